"""``awsenv configure sso|sso-session|okta|role``: the wizards of :mod:`awsenv.wizard`."""

from __future__ import annotations

from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args

KINDS = ("sso", "sso-session", "okta", "role")


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Run the wizard the kind names; what it writes goes to the config file, never stdout."""
    kind = str(args.get("kind") or "")
    if kind == "sso":
        from awsenv.wizard import sso

        return sso.configure_sso(args, environ)
    if kind == "sso-session":
        from awsenv.wizard import sso

        return sso.configure_session(args, environ)
    if kind == "okta":
        from awsenv.wizard import okta

        return okta.configure_okta(args, environ)
    if kind == "role":
        from awsenv.wizard import role

        return role.configure_role(args, environ)
    raise UsageError(f"unknown kind {kind!r}", hint="one of " + ", ".join(KINDS))
