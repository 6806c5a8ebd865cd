"""``awsenv use PROFILE``: make this shell act as the profile."""

from __future__ import annotations

from awsenv import exports, profiles, shells
from awsenv.commands import changes, check_region, wrapper_dialect
from awsenv.config import ConfigFiles
from awsenv.errors import NotSupported

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.cli import Args


def _chain_needs_mfa(files: ConfigFiles, resolved: profiles.Resolved) -> bool:
    for name, kind in resolved.chain:
        if kind == profiles.ASSUME_ROLE:
            section = files.profile(name)
            if section is not None and "mfa_serial" in section:
                return True
    return False


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Resolve the profile and return the shell code that exports it."""
    dialect = wrapper_dialect(environ, "use")
    name = str(args.get("profile"))
    files = ConfigFiles(environ)
    resolved = profiles.resolve(files, name)
    region_arg = args.get("region")
    region = check_region(str(region_arg)) if region_arg else resolved.region
    kind = resolved.kind
    if kind in (profiles.SAML, profiles.OKTA):
        raise NotSupported(
            f"profile {name!r} is a {kind} profile; SAML and Okta logins are not supported yet"
        )
    if kind == profiles.SSO:
        raise NotSupported(f"profile {name!r} is an SSO profile; SSO logins are not supported yet")
    if _chain_needs_mfa(files, resolved):
        raise NotSupported(f"profile {name!r} needs an MFA code; MFA is not supported yet")
    if args.get("keys"):
        if kind != profiles.STATIC:
            raise NotSupported(f"--keys for {kind} profiles is not supported yet")
        secret = files.secret_profile(name) or {}
        # botocore checks aws_security_token before aws_session_token
        token = secret.get("aws_security_token") or secret.get("aws_session_token")
        keys = exports.Keys(
            str(secret.get("aws_access_key_id", "")),
            str(secret.get("aws_secret_access_key", "")),
            token if isinstance(token, str) else None,
        )
        plan = exports.plan_keys(environ, name, keys, region=region)
    else:
        if kind == profiles.NONE:
            from awsenv import ui

            ui.warn(
                f"profile {name!r} holds no credentials; SDKs will look for them elsewhere "
                "(environment, instance role)"
            )
        plan = exports.plan_profile(environ, name, region=region)
    return shells.render(changes(plan, environ), dialect)
