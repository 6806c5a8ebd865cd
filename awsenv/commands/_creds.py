"""Temporary keys for any profile: what ``use --keys``, ``exec`` and ``whoami`` share."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys
    from awsenv.profiles import Resolved


def keys_for(
    files: ConfigFiles, resolved: Resolved, args: Args, environ: Mapping[str, str]
) -> Keys:
    """Return keys for the profile: static from the file, SSO from the portal, else via STS."""
    from awsenv import profiles

    if resolved.kind == profiles.STATIC:
        from awsenv.commands.use import static_keys

        return static_keys(files, resolved.name)
    if resolved.kind == profiles.SSO:
        from awsenv.commands.use import sso_keys

        return sso_keys(files, resolved.name, resolved.section, args, environ)
    if resolved.kind in (profiles.SAML, profiles.OKTA):
        from awsenv.commands._saml import saml_keys

        return saml_keys(files, resolved, args, environ)
    return role_keys(files, resolved, args, environ)


def role_keys(
    files: ConfigFiles, resolved: Resolved, args: Args, environ: Mapping[str, str]
) -> Keys:
    """Return keys for a role, web-identity or process profile (the AWS CLI's cache first)."""
    from awsenv.providers import mfa, role, rolecache

    if resolved.kind in ("assume-role", "web-identity"):
        cached = rolecache.cached_role_credentials(environ, resolved.section)
        if cached is not None:
            return cached
    if resolved.kind == "assume-role" and resolved.root_kind == "sso":
        # make sure the SSO login at the root of the chain exists before botocore needs it
        from awsenv.commands.use import sso_login

        root = resolved.chain[-1][0]
        section = files.profile(root) or {}
        sso_login(files, root, section, args, environ)
    from awsenv import ui
    from awsenv.providers import WrongMfaCode

    code = args.get("mfa_code")
    prompt = mfa.tty_prompt if mfa.have_tty() else None
    # --region of use/exec/console: STS's region when the profile names none
    region = str(args.get("region")) if args.get("region") else None
    try:
        return role.obtain(
            environ,
            resolved.name,
            mfa_code=str(code) if code else None,
            mfa_prompt=prompt,
            region=region,
            notify=ui.info,
        )
    except WrongMfaCode:
        if prompt is None:
            raise
        ui.warn("that MFA code was not accepted; one more try")
        return role.obtain(environ, resolved.name, mfa_prompt=prompt, region=region, notify=ui.info)
