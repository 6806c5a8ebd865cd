"""Log in only when needed: reuse a valid token, refresh it silently, else one login for everyone.

Every process that needs a new token for a session takes the same lock; the first logs in, the
others wait and then find the token it saved. So ten shells opening at once make one browser
tab, not ten. Reusing a valid token takes no lock and imports no boto3.
"""

from __future__ import annotations

import os
import time

from awsenv.sso import tokens

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.ui import LoginUI

DEVICE = "device"
PKCE = "pkce"
# A token that cannot be refreshed (IAM Identity Center unreachable) is still used if at least
# this much of it is left.
USABLE_MARGIN = 60


class LoginOptions:
    """How a login may run, from the command line and the ``[sso-session]`` settings."""

    __slots__ = ("device_code", "force", "no_browser", "port", "timeout", "unattended")

    def __init__(
        self,
        *,
        device_code: bool = False,
        no_browser: bool = False,
        force: bool = False,
        port: int = 0,
        timeout: float = 600.0,
        unattended: bool = False,
    ) -> None:
        self.device_code = device_code
        self.no_browser = no_browser
        self.force = force
        self.port = port
        self.timeout = timeout
        self.unattended = unattended  # a refresh token may be used; a sign-in raises NeedsUser


def choose_flow(
    sess: tokens.SsoSession,
    settings: Mapping[str, object],
    options: LoginOptions,
    environ: Mapping[str, str],
) -> tuple[str, str | None]:
    """Return the flow to use and, when it was not the user's explicit choice, why."""
    if options.device_code:
        return DEVICE, None
    configured = settings.get("awsenv_login_flow")
    if configured in (DEVICE, PKCE):
        return str(configured), None
    if not sess.refreshable:
        return DEVICE, None  # the AWS CLI also uses the device flow for legacy profiles
    remote = bool(environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"))
    if remote and not options.port and not environ.get("DISPLAY"):
        return DEVICE, (
            "this is an SSH session, where the browser's redirect to 127.0.0.1 cannot reach "
            "awsenv; using a device code instead (set awsenv_callback_port in the sso-session "
            "and forward it with ssh -L to use the browser flow)"
        )
    return PKCE, None


def ensure_token(
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    *,
    profile: str | None,
    settings: Mapping[str, object],
    options: LoginOptions,
    ui: LoginUI,
) -> tuple[int, bool]:
    """Make sure a usable token is cached; return its expiry and whether a login or refresh ran."""
    if not options.force:
        expiry = tokens.usable_until(environ, sess, time.time())
        if expiry is not None:
            return expiry, False
    from awsenv import cache

    waited = []

    def on_wait() -> None:
        waited.append(True)
        ui.tick("another awsenv is logging in to this session; waiting for it", options.timeout)

    name = os.path.basename(tokens.token_path(environ, sess)).rsplit(".", 1)[0]
    lock = cache.lock_path(environ, "sso-" + name)
    with cache.FileLock(lock, timeout=options.timeout + 60, on_wait=on_wait):
        now = time.time()
        token = tokens.load_token(environ, sess)
        why = (
            "no sign-in is cached for this session"
            if token is None
            else "a new sign-in was asked for"
        )
        if token is not None and (not options.force or waited):
            if token.expires_at - now > tokens.REFRESH_WINDOW:
                ui.done()
                return token.expires_at, False
            if sess.refreshable:
                from awsenv.sso import oidc

                try:
                    refreshed = oidc.refresh(environ, sess, token, profile=profile)
                except oidc.ServiceUnavailable as exc:
                    # Unreachable, failing or too slow: keep using the token while it lasts (as
                    # botocore does), rather than sending the user to a browser that cannot help.
                    if token.expires_at - now > USABLE_MARGIN:
                        ui.notice(f"{exc.message}; the token could not be refreshed, using it")
                        ui.done()
                        return token.expires_at, False
                    raise
                if refreshed is not None:
                    tokens.save_token(environ, sess, refreshed)
                    ui.done()
                    return refreshed.expires_at, True
                why = "the session could not be renewed (it ended, or its refresh was refused)"
            if not sess.refreshable and token.expires_at > now and not options.force:
                ui.done()
                return token.expires_at, False
            if not sess.refreshable and not options.force:
                why = "the session's token expired, and a legacy profile's cannot be renewed"
        if options.unattended:
            from awsenv.errors import NeedsUser

            what = f"sso-session {sess.name}" if sess.name else sess.start_url
            raise NeedsUser(f"{what}: {why}; signing in needs you", hint="run: awsenv refresh")
        ui.notice(f"signing in: {why}")
        flow, reason = choose_flow(sess, settings, options, environ)
        if reason:
            ui.notice(reason)
        # Only now: a shell that waited on the lock usually finds the token saved above, and
        # the OIDC client (botocore) costs a hundred shells that wait together a lot of CPU.
        from awsenv.sso import oidc

        port = options.port or _configured_port(settings)
        try:
            if flow == PKCE:
                token = oidc.pkce_login(
                    environ, sess, profile=profile, ui=ui, port=port, timeout=options.timeout
                )
            else:
                token = oidc.device_login(
                    environ, sess, profile=profile, ui=ui, timeout=options.timeout
                )
        except oidc.aws_errors() as exc:
            failure = oidc.failure(exc, _endpoint(environ, sess))
            if failure is not None:
                raise failure from None
            raise
        finally:
            ui.done()
        tokens.save_token(environ, sess, token)
        return token.expires_at, True


def _configured_port(settings: Mapping[str, object]) -> int:
    value = settings.get("awsenv_callback_port")
    if isinstance(value, str) and value.isdigit() and 0 < int(value) < 65536:
        return int(value)
    return 0


def _endpoint(environ: Mapping[str, str], sess: tokens.SsoSession) -> str:
    return (
        environ.get("AWS_ENDPOINT_URL_SSO_OIDC")
        or environ.get("AWS_ENDPOINT_URL")
        or f"https://oidc.{sess.region}.amazonaws.com"
    )
