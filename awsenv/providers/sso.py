"""IAM Identity Center: the session a profile signs in with, its token, and role credentials.

One :func:`ensure_login` makes sure a session has a usable token (the hot path reads only the
token's memo); :func:`ensure` adds until when the SDKs keep working without a browser, and
:func:`obtain` fetches role credentials (the AWS CLI's cache first, else the portal).
"""

from __future__ import annotations

import time

from awsenv.errors import InvalidProfile, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TypeVar

    from awsenv.config import ConfigFiles, Section
    from awsenv.exports import Keys
    from awsenv.providers import Context
    from awsenv.sso import tokens
    from awsenv.sso.login import LoginOptions

    T = TypeVar("T")


def login_options(ctx: Context) -> LoginOptions:
    """Build login options from the command line and AWSENV_LOGIN_TIMEOUT (seconds)."""
    from awsenv.sso.login import LoginOptions

    timeout_text = ctx.environ.get("AWSENV_LOGIN_TIMEOUT", "")
    number = timeout_text.replace(".", "", 1)
    # ASCII only: "²".isdigit() is True, and float("²") raises
    timeout = float(timeout_text) if number.isascii() and number.isdigit() else 600.0
    return LoginOptions(
        device_code=ctx.device_code,
        no_browser=ctx.no_browser,
        force=ctx.force_login,
        timeout=timeout,
        unattended=ctx.unattended,
    )


def session_of(
    files: ConfigFiles, profile: str, section: Section, *, resolved: bool = False
) -> tokens.SsoSession:
    """Return the SSO session a profile logs in with (sso-session or legacy keys).

    ``resolved``: the profile comes from ``profiles.resolve``, which checked its session.
    """
    from awsenv import profiles
    from awsenv.sso import tokens

    if not resolved:
        profiles.check_sso_session(files, profile, section)
    if "sso_session" not in section and not (
        "sso_start_url" in section and "sso_region" in section
    ):
        raise InvalidProfile(profile, "has no sso_session (nor sso_start_url and sso_region)")
    return tokens.session_for_profile(section, files.sso_session)


def named_session(files: ConfigFiles, name: str) -> tokens.SsoSession:
    """Return the ``[sso-session NAME]`` session, or a clear error naming what is missing."""
    from awsenv.sso import tokens

    section = files.sso_session(name)
    if section is None:
        known = files.sso_session_names()
        raise UsageError(
            f"there is no [sso-session {name}] in {files.config_path}",
            hint=("sessions: " + ", ".join(known)) if known else "add one (see aws configure sso)",
        )
    for key in ("sso_start_url", "sso_region"):
        if key not in section:
            raise UsageError(f"[sso-session {name}] has no {key}")
    return tokens.session_for_profile({"sso_session": name}, files.sso_session)


def session_settings(files: ConfigFiles, sess: tokens.SsoSession) -> Mapping[str, object]:
    """Return the ``[sso-session]`` section (awsenv_* settings live there), or nothing (legacy)."""
    return (files.sso_session(sess.name) or {}) if sess.name else {}


def describe_login(sess: tokens.SsoSession, expires_at: int) -> str:
    """Say which session is logged in and until when (local time)."""
    until = time.strftime("%H:%M", time.localtime(expires_at))
    what = f"sso-session {sess.name}" if sess.name else sess.start_url
    return f"logged in to {what} until {until}"


def ensure_login(
    files: ConfigFiles, sess: tokens.SsoSession, *, profile: str | None, ctx: Context
) -> int:
    """Log in to the session if needed (saying so when a login or refresh ran); its expiry."""
    environ = ctx.environ
    if not ctx.force_login:
        from awsenv.sso import tokens

        # The hot path: a valid cached token needs neither the login machinery nor the UI.
        expiry = tokens.usable_until(environ, sess, time.time())
        if expiry is not None:
            return expiry
    from awsenv import ui
    from awsenv.sso import login, tokens

    class SignInNoted(ui.TerminalLoginUI):
        """The terminal UI, noting whether the user was sent to sign in (not a refresh)."""

        signed_in = False

        def open_url(self, url: str, *, user_code: str | None) -> None:
            self.signed_in = True
            super().open_url(url, user_code=user_code)

    options = login_options(ctx)
    terminal = SignInNoted(no_browser=options.no_browser, environ=environ)
    expiry, logged_in = login.ensure_token(
        environ,
        sess,
        profile=profile,
        settings=session_settings(files, sess),
        options=options,
        ui=terminal,
    )
    if terminal.signed_in:
        # the start of the session IAM Identity Center will end (see tokens.renewable_until)
        tokens.record_login(environ, sess, int(time.time()))
    from awsenv import log

    what = f"sso-session {sess.name}" if sess.name else sess.start_url
    log.debug("%s: %s", what, "signed in or refreshed" if logged_in else "cached token reused")
    if logged_in:
        ui.info(describe_login(sess, expiry))
    return expiry


def with_token(
    files: ConfigFiles,
    sess: tokens.SsoSession,
    call: Callable[[str], T],
    *,
    profile: str | None,
    ctx: Context,
) -> T:
    """Return ``call(access_token)`` after a login if needed; a rejected token gets one more."""
    from awsenv import log
    from awsenv.errors import AwsenvError
    from awsenv.sso import portal, tokens

    for attempt in (1, 2):
        ensure_login(files, sess, profile=profile, ctx=ctx)
        token = tokens.load_token(ctx.environ, sess)
        if token is None:  # pragma: no cover - ensure_login just saved it
            raise AwsenvError("the SSO token vanished from the cache right after the login")
        log.remember_secret(token.access_token)
        log.remember_secret(token.refresh_token)
        try:
            return call(token.access_token)
        except portal.TokenRejected:
            if attempt == 2:
                raise
            log.debug("the portal rejected the cached token; signing in again")
            tokens.remove_token(ctx.environ, sess)  # revoked elsewhere: log in once more
    raise AssertionError("unreachable")  # pragma: no cover


def renewable_until(
    files: ConfigFiles, name: str, section: Section, environ: Mapping[str, str]
) -> int | str | None:
    """Until when the profile's session renews its token with no browser (None: it cannot).

    Epoch seconds with ``awsenv_session_duration``, else ``exports.SESSION`` (an end no client
    is told; see ``tokens.renewable_until``).
    """
    from awsenv.sso import tokens

    sess = session_of(files, name, section, resolved=True)
    return tokens.renewable_until(environ, sess, session_settings(files, sess), time.time())


def ensure(
    files: ConfigFiles, name: str, section: Section, ctx: Context
) -> tuple[int, int | str | None]:
    """Sign in if needed; return (until when the profile works, until when it renews).

    The SDKs refresh the token themselves while the session can renew. When the session's end
    is known (``awsenv_session_duration``), that end is the profile's clock; otherwise it is the
    token's own expiry, with ``exports.SESSION`` as the renewal (the prompt marks the profile
    renewable after the token's end), never the client registration's end.
    """
    from awsenv.sso import tokens

    sess = session_of(files, name, section, resolved=True)
    expiry = ensure_login(files, sess, profile=name, ctx=ctx)
    settings = session_settings(files, sess)
    until = tokens.renewable_until(ctx.environ, sess, settings, time.time())
    return (until if isinstance(until, int) else expiry), until


def obtain(files: ConfigFiles, name: str, section: Section, ctx: Context) -> Keys:
    """Return role credentials for an SSO profile: from the AWS CLI's cache, else the portal."""
    import os

    from awsenv import log
    from awsenv.providers import entry
    from awsenv.sso import portal, tokens

    environ = ctx.environ
    sess = session_of(files, name, section, resolved=True)
    account, role = str(section["sso_account_id"]), str(section["sso_role_name"])

    def load() -> Keys | None:
        if ctx.force_login:  # a new sign-in was asked for: fresh credentials too
            return None
        cached = tokens.load_role_credentials(environ, sess, account, role)
        if cached is not None:
            log.debug("profile %r: role credentials from ~/.aws/cli/cache", name)
        return cached

    def fetch() -> Keys:
        log.debug("profile %r: asking the portal for %s/%s credentials", name, account, role)
        keys = with_token(
            files,
            sess,
            lambda token: portal.role_credentials(
                environ, sess, token, account, role, profile=name
            ),
            profile=name,
            ctx=ctx,
        )
        tokens.save_role_credentials(environ, sess, account, role, keys)
        return keys

    path = tokens.role_credentials_path(environ, sess, account, role)
    lock = "sso-role-" + os.path.basename(path).rsplit(".", 1)[0]
    # a waiter may wait through the holder's sign-in (a browser), as the login lock's do
    return entry.fetch_once(environ, lock, load, fetch, timeout=login_options(ctx).timeout + 60)
