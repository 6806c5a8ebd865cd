"""What use, login and logout share: SSO sessions from config, login options, messages."""

from __future__ import annotations

import time

from awsenv.errors import InvalidProfile, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TypeVar

    from awsenv.clispec import Args
    from awsenv.config import ConfigFiles, Section
    from awsenv.sso import tokens
    from awsenv.sso.login import LoginOptions

    T = TypeVar("T")


def login_options(args: Args, environ: Mapping[str, str]) -> LoginOptions:
    """Build login options from the command line and AWSENV_LOGIN_TIMEOUT (seconds)."""
    from awsenv.sso.login import LoginOptions

    timeout_text = environ.get("AWSENV_LOGIN_TIMEOUT", "")
    number = timeout_text.replace(".", "", 1)
    # ASCII only: "²".isdigit() is True, and float("²") raises
    timeout = float(timeout_text) if number.isascii() and number.isdigit() else 600.0
    return LoginOptions(
        device_code=bool(args.get("device_code")),
        no_browser=bool(args.get("no_browser")),
        force=bool(args.get("force_login") or args.get("force")),
        timeout=timeout,
    )


def session_of(files: ConfigFiles, profile: str, section: Section) -> tokens.SsoSession:
    """Return the SSO session a profile logs in with (sso-session or legacy keys)."""
    from awsenv import profiles
    from awsenv.sso import tokens

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
    files: ConfigFiles,
    sess: tokens.SsoSession,
    *,
    profile: str | None,
    args: Args,
    environ: Mapping[str, str],
) -> int:
    """Log in to the session if needed (saying so when a login or refresh ran); its expiry."""
    if not (args.get("force_login") or args.get("force")):
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

    options = login_options(args, environ)
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
    args: Args,
    environ: Mapping[str, str],
) -> T:
    """Return ``call(access_token)`` after a login if needed; a rejected token gets one more."""
    from awsenv import log
    from awsenv.errors import AwsenvError
    from awsenv.sso import portal, tokens

    for attempt in (1, 2):
        ensure_login(files, sess, profile=profile, args=args, environ=environ)
        token = tokens.load_token(environ, sess)
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
            tokens.remove_token(environ, sess)  # revoked elsewhere: log in once more
    raise AssertionError("unreachable")  # pragma: no cover
