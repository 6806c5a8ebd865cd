"""``awsenv logout [PROFILE | --sso-session NAME | --all]``: end SSO sessions, drop tokens."""

from __future__ import annotations

from awsenv.config import ConfigFiles
from awsenv.errors import AwsenvError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.cli import Args
    from awsenv.sso import tokens


def _sessions(
    files: ConfigFiles, args: Args, environ: Mapping[str, str]
) -> list[tokens.SsoSession]:
    from awsenv import profiles
    from awsenv.commands import _login

    chosen = [bool(args.get("profile")), bool(args.get("sso_session")), bool(args.get("all"))]
    if sum(chosen) > 1:
        raise UsageError("name a profile, --sso-session or --all, only one")
    if args.get("all"):
        found: dict[str, tokens.SsoSession] = {}
        for name in files.sso_session_names():
            sess = _login.named_session(files, name)
            found[sess.cache_key] = sess
        for name, section in files.iter_profiles():
            if profiles.classify(section) == profiles.SSO and "sso_session" not in section:
                try:
                    sess = _login.session_of(files, name, section)
                except AwsenvError:  # a broken profile has no login to end
                    continue
                found.setdefault(sess.cache_key, sess)
        return list(found.values())
    if args.get("sso_session"):
        return [_login.named_session(files, str(args.get("sso_session")))]
    name = str(
        args.get("profile") or environ.get("AWSENV_PROFILE") or environ.get("AWS_PROFILE") or ""
    )
    if not name:
        raise UsageError("name a profile, --sso-session NAME or --all")
    resolved = profiles.resolve(files, name)
    return [_login.session_of(files, name, resolved.section)]


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Call Logout for each session (best effort), then delete tokens and cached role keys."""
    from awsenv import ui
    from awsenv.sso import portal, tokens

    files = ConfigFiles(environ)
    sessions = _sessions(files, args, environ)
    ended = 0
    for sess in sessions:
        token = tokens.load_token(environ, sess)
        what = f"sso-session {sess.name}" if sess.name else sess.start_url
        if token is None:
            continue
        reached = portal.logout(environ, sess, token.access_token, profile=None)
        tokens.remove_token(environ, sess)
        ended += 1
        ui.info(
            f"logged out of {what}"
            + ("" if reached else " (IAM Identity Center was not reachable; deleted locally)")
        )
    removed = tokens.remove_sso_role_credentials(environ)
    if not ended:
        ui.info(
            "no SSO login to end"
            + (f"; removed {removed} cached role credentials" if removed else "")
        )
    return ""
