"""``awsenv logout [PROFILE | --sso-session NAME | --all]``: end SSO sessions, drop tokens."""

from __future__ import annotations

import os

from awsenv.commands import shell_profile
from awsenv.config import ConfigFiles
from awsenv.errors import AwsenvError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.sso import tokens


def _sessions(
    files: ConfigFiles, args: Args, environ: Mapping[str, str]
) -> list[tokens.SsoSession]:
    from awsenv import profiles
    from awsenv.providers import sso

    chosen = [bool(args.get("profile")), bool(args.get("sso_session")), bool(args.get("all"))]
    if sum(chosen) > 1:
        raise UsageError("name a profile, --sso-session or --all, only one")
    if args.get("all"):
        found: dict[str, tokens.SsoSession] = {}
        for name in files.sso_session_names():
            sess = sso.named_session(files, name)
            found[sess.cache_key] = sess
        for name, section in files.iter_profiles():
            if profiles.classify(section) == profiles.SSO and "sso_session" not in section:
                try:
                    sess = sso.session_of(files, name, section)
                except AwsenvError:  # a broken profile has no login to end
                    continue
                found.setdefault(sess.cache_key, sess)
        return list(found.values())
    if args.get("sso_session"):
        return [sso.named_session(files, str(args.get("sso_session")))]
    name = str(args.get("profile") or shell_profile(environ))
    if not name:
        raise UsageError("name a profile, --sso-session NAME or --all")
    resolved = profiles.resolve(files, name)
    return [sso.session_of(files, name, resolved.section)]


def _shell_clock(
    files: ConfigFiles, ended: list[tokens.SsoSession], environ: Mapping[str, str]
) -> str:
    """Return the code that stops this shell's clock if its profile lived on an ended session.

    Only for the shell function (it evaluates stdout; run by hand, or by an older function that
    does not capture it, nothing is printed). A profile that used the session's token directly
    stops working now; exported keys (or a role's cached keys) keep their own end, but nothing
    renews them any more.
    """
    import sys
    import time

    from awsenv import exports, profiles, shells
    from awsenv.providers import sso

    dialect = environ.get("AWSENV_SHELL", "")
    name = shell_profile(environ) if environ.get(exports.AWSENV_PROFILE) else ""
    if dialect not in shells.SHELLS or not name or sys.stdout.isatty():
        return ""
    try:
        resolved = profiles.resolve(files, name)
        if resolved.root_kind != profiles.SSO:
            return ""
        root = resolved.chain[-1][0]
        used = sso.session_of(files, root, files.profile(root) or {}, resolved=True)
    except AwsenvError:
        return ""
    if used.cache_key not in {sess.cache_key for sess in ended}:
        return ""
    until: int | None = int(time.time())
    if environ.get("AWS_ACCESS_KEY_ID") or resolved.kind != profiles.SSO:
        kept = environ.get(exports.AWSENV_EXPIRATION, "")
        until = int(kept) if kept.isascii() and kept.isdigit() else None
    plan = exports.plan_clock(until, None)
    return shells.render(exports.changes(plan, environ), dialect)


def _and_roles(count: int) -> str:
    if not count:
        return ""
    return f" and {count} cached role {'session' if count == 1 else 'sessions'} made with it"


def _forget_mfa(files: ConfigFiles, args: Args, environ: Mapping[str, str]) -> str | None:
    """Forget MFA sessions (``providers/session.py``): every one with --all, else the profile's.

    Returns the shell code to print when the named profile's credentials start at long-lived
    keys (there is no SSO login to end then), None to go on to the SSO sessions.
    """
    from awsenv import profiles, ui
    from awsenv.providers import chain, session

    if args.get("sso_session") or (args.get("all") and args.get("profile")):
        return None  # _sessions says what is wrong with the combination
    if args.get("all"):
        removed = session.forget(environ)
        roles = chain.forget_roles(files, environ, None)
        if removed:
            count = len(removed)
            ui.info(
                f"forgot {count} MFA {'session' if count == 1 else 'sessions'} "
                f"({os.path.dirname(removed[0])}){_and_roles(roles)}"
            )
        return None
    name = str(args.get("profile") or shell_profile(environ))
    if not name:
        return None
    resolved = profiles.resolve(files, name)
    if resolved.root_kind not in profiles.LONG_LIVED:
        return None
    root = resolved.chain[-1][0]
    removed = session.forget(environ, root)
    roles = chain.forget_roles(files, environ, root)
    if removed:
        ui.info(f"forgot the MFA session of profile {root!r} ({removed[0]}){_and_roles(roles)}")
    else:
        ui.info(f"no MFA session of profile {root!r} to forget")
    return _mfa_clock(files, root, environ) if removed else ""


def _mfa_clock(files: ConfigFiles, root: str, environ: Mapping[str, str]) -> str:
    """Return the code that stops the renewable clock of a shell renewed from ``root``'s session.

    Its keys keep their own end; nothing renews them without a code any more.
    """
    import sys

    from awsenv import exports, profiles, shells

    dialect = environ.get("AWSENV_SHELL", "")
    name = shell_profile(environ) if environ.get(exports.AWSENV_PROFILE) else ""
    if dialect not in shells.SHELLS or not name or sys.stdout.isatty():
        return ""
    if not environ.get(exports.AWSENV_RENEWABLE, "").isdigit():
        return ""
    try:
        resolved = profiles.resolve(files, name)
    except AwsenvError:
        return ""
    if resolved.root_kind not in profiles.LONG_LIVED or resolved.chain[-1][0] != root:
        return ""
    kept = environ.get(exports.AWSENV_EXPIRATION, "")
    until = int(kept) if kept.isascii() and kept.isdigit() else None
    return shells.render(exports.changes(exports.plan_clock(until, None), environ), dialect)


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Call Logout for each session (best effort), then delete tokens and cached role keys.

    A token file that cannot be read (torn, foreign, not JSON) is deleted all the same, and
    said so: it may still hold a token. Leftover copies of the token's secrets (temporary files
    of writers that died) go with it. Unreadable files in ``~/.aws/cli/cache`` are reported
    and left, as ``aws sso logout`` leaves them: which tool they belong to cannot be told.
    """
    from awsenv import cache, ui
    from awsenv.sso import portal, tokens

    files = ConfigFiles(environ)
    mfa_only = _forget_mfa(files, args, environ)
    if mfa_only is not None:
        return mfa_only
    sessions = _sessions(files, args, environ)
    ended = 0
    for sess in sessions:
        token = tokens.load_token(environ, sess)
        what = f"sso-session {sess.name}" if sess.name else sess.start_url
        reached = True
        if token is not None:
            reached = portal.logout(environ, sess, token.access_token, profile=None)
        forgotten = tokens.forget_token(environ, sess, token)
        if forgotten.unreadable:
            ui.warn(
                f"deleted the unreadable token file {tokens.token_path(environ, sess)} "
                f"of {what} (torn, foreign or not a token); nothing to log out of remotely"
            )
        if forgotten.copies:
            ui.info(f"deleted {forgotten.copies} leftover copies of the token of {what}")
        if token is None:
            continue
        ended += 1
        ui.info(
            f"logged out of {what}"
            + ("" if reached else " (IAM Identity Center was not reachable; deleted locally)")
        )
    removed = tokens.remove_sso_role_credentials(environ)
    cli_cache = tokens.cli_cache_dir(environ)
    cache.remove_stale_temps(cli_cache)
    unreadable = tokens.unreadable_cache_files(cli_cache)
    if unreadable:
        count = len(unreadable)
        ui.warn(
            f"{count} unreadable {'file' if count == 1 else 'files'} in {cli_cache} left as "
            f"{'it is' if count == 1 else 'they are'} (which tool wrote "
            f"{'it' if count == 1 else 'them'} cannot be told): {os.path.basename(unreadable[0])}"
            + (" ..." if count > 1 else "")
        )
    if not ended:
        ui.info(
            "no SSO login to end"
            + (f"; removed {removed} cached role credentials" if removed else "")
        )
    return _shell_clock(files, sessions, environ)
