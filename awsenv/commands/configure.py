"""``awsenv configure sso|sso-session|okta|role``: the wizards of :mod:`awsenv.wizard`."""

from __future__ import annotations

from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args

KINDS = ("sso", "sso-session", "okta", "role")

_SESSION = ("--sso-session", "--start-url", "--sso-region", "--scopes", "--yes")
_PROFILE = ("--region", "--profile", "--yes")
# The flags each kind answers its questions with; tests/unit/test_cli.py checks that every
# flag of `configure` in clispec is here.
FLAGS: dict[str, tuple[str, ...]] = {
    "sso": (
        *_SESSION,
        "--account",
        "--role",
        "--output",
        "--device-code",
        "--no-browser",
        *_PROFILE,
    ),
    "sso-session": _SESSION,
    "okta": (
        "--org-domain",
        "--org-url",
        "--oidc-client-id",
        "--aws-acct-fed-app-id",
        "--aws-iam-idp",
        "--aws-iam-role",
        "--all-roles",
        "--device-code",
        "--no-browser",
        *_PROFILE,
    ),
    "role": (
        "--source-profile",
        "--role-arn",
        "--mfa-serial",
        "--mfa-code",
        "--external-id",
        "--role-session-name",
        "--duration-seconds",
        "--force",
        *_PROFILE,
    ),
}


def _refuse_foreign_flags(kind: str, args: Args) -> None:
    """A flag of another kind is a usage error (it used to be ignored without a word)."""
    for flags in FLAGS.values():
        for flag in flags:
            value = args.get(flag.lstrip("-").replace("-", "_"))
            if value is None or value is False or flag in FLAGS[kind]:
                continue
            owners = [f"configure {k}" for k, owned in FLAGS.items() if flag in owned]
            raise UsageError(
                f"{flag} is not an option of 'configure {kind}'",
                hint=f"it belongs to {' and '.join(owners)}; 'awsenv configure --help' lists "
                "each kind's flags",
            )


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Run the wizard the kind names; what it writes goes to the config file, never stdout."""
    kind = str(args.get("kind") or "")
    if kind in FLAGS:
        _refuse_foreign_flags(kind, args)
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
