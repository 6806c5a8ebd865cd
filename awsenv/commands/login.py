"""``awsenv login [PROFILE] [--sso-session NAME]``: log in without touching the shell."""

from __future__ import annotations

from awsenv.config import ConfigFiles
from awsenv.errors import NotSupported, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Log in to the profile's (or the named) SSO session; reuse a valid login unless --force."""
    from awsenv import profiles, ui
    from awsenv.commands import shell_profile
    from awsenv.providers import sso
    from awsenv.sso import login

    files = ConfigFiles(environ)
    profile = args.get("profile")
    session_name = args.get("sso_session")
    if profile and session_name:
        raise UsageError("name a profile or --sso-session, not both")
    if session_name:
        sess = sso.named_session(files, str(session_name))
        profile_name = None
    else:
        profile_name = str(profile or shell_profile(environ))
        if not profile_name:
            raise UsageError("name a profile or --sso-session to log in to")
        resolved = profiles.resolve(files, profile_name)
        if resolved.kind != profiles.SSO and not (
            "sso_session" in resolved.section or "sso_start_url" in resolved.section
        ):
            raise NotSupported(
                f"profile {profile_name!r} is a {resolved.kind} profile; "
                "'awsenv login' handles SSO profiles"
            )
        sess = sso.session_of(files, profile_name, resolved.section)
    from awsenv.commands import provider_context

    options = sso.login_options(provider_context(args, environ))
    expiry, logged_in = login.ensure_token(
        environ,
        sess,
        profile=profile_name,
        settings=sso.session_settings(files, sess),
        options=options,
        ui=ui.TerminalLoginUI(no_browser=options.no_browser, environ=environ),
    )
    message = sso.describe_login(sess, expiry)
    ui.info(message if logged_in else f"already {message} (--force logs in again)")
    return ""
