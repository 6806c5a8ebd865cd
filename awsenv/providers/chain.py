"""Role chains, web identity and credential_process: botocore's providers, the AWS CLI's cache.

A cached role session (``~/.aws/cli/cache``) is taken while the reuse window remains; otherwise
botocore obtains it (:mod:`awsenv.providers.role`), asking for an MFA code on the terminal when
a role in the chain needs one. A chain rooted in IAM Identity Center signs in first.
"""

from __future__ import annotations

from awsenv import log, profiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys
    from awsenv.profiles import Resolved
    from awsenv.providers import Context


def _cached_kind(resolved: Resolved) -> bool:
    return resolved.kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY)


def _sso_root(files: ConfigFiles, resolved: Resolved, ctx: Context) -> int | None:
    """Make sure the SSO sign-in at the root of the chain exists before botocore needs it."""
    if resolved.root_kind != profiles.SSO:
        return None
    from awsenv.providers import sso

    root = resolved.chain[-1][0]
    return sso.ensure(files, root, files.profile(root) or {}, ctx)[0]


def _check_token_file(resolved: Resolved) -> None:
    """A web-identity profile whose token file is missing fails here, naming the file."""
    if resolved.kind != profiles.WEB_IDENTITY:
        return
    import os

    from awsenv.errors import InvalidProfile

    token_file = resolved.section.get("web_identity_token_file")
    if not isinstance(token_file, str) or not os.path.isfile(token_file):
        raise InvalidProfile(
            resolved.name,
            f"web_identity_token_file {token_file!r} does not exist",
            hint="fix the path, or run where the platform writes the token",
        )


def obtain(files: ConfigFiles, resolved: Resolved, ctx: Context) -> Keys:
    """Return keys for a role, web-identity or process profile (the AWS CLI's cache first)."""
    from awsenv.providers import rolecache

    if _cached_kind(resolved):
        cached = rolecache.cached_role_credentials(ctx.environ, resolved.section)
        if cached is not None:
            return cached
    if resolved.kind == profiles.ASSUME_ROLE:
        _sso_root(files, resolved, ctx)
    _check_token_file(resolved)
    from awsenv import ui
    from awsenv.providers import WrongMfaCode, mfa, role

    prompt = mfa.tty_prompt if not ctx.unattended and mfa.have_tty() else None
    try:
        return role.obtain(
            ctx.environ,
            resolved.name,
            mfa_code=ctx.mfa_code,
            mfa_prompt=prompt,
            region=ctx.region,
            notify=ui.info,
        )
    except WrongMfaCode:
        if prompt is None:
            raise
        ui.warn("that MFA code was not accepted; one more try")
        return role.obtain(
            ctx.environ, resolved.name, mfa_prompt=prompt, region=ctx.region, notify=ui.info
        )


def ensure(files: ConfigFiles, resolved: Resolved, ctx: Context) -> int | None:
    """Make sure the SDKs can get this profile's credentials now (a denied role fails here).

    An SSO root is signed in to first, and its clock (returned) is the profile's; a cached role
    session spares the STS call.
    """
    from awsenv.providers import rolecache

    root = _sso_root(files, resolved, ctx)
    cached = (
        rolecache.cached_role_expiry(ctx.environ, resolved.section)
        if _cached_kind(resolved)
        else None
    )
    log.debug("profile %r: cached role session %s", resolved.name, "found" if cached else "missing")
    if cached is None:
        obtain(files, resolved, ctx)
    return root
