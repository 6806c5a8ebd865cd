"""``awsenv logout [PROFILE | --sso-session NAME | --all]``: end SSO sessions, drop tokens."""

from __future__ import annotations

import os

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
    name = str(
        args.get("profile") or environ.get("AWSENV_PROFILE") or environ.get("AWS_PROFILE") or ""
    )
    if not name:
        raise UsageError("name a profile, --sso-session NAME or --all")
    resolved = profiles.resolve(files, name)
    return [sso.session_of(files, name, resolved.section)]


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
    return ""
