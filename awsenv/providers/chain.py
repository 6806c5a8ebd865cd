"""Role chains, web identity and credential_process: botocore's providers, the AWS CLI's cache.

A cached role session (``~/.aws/cli/cache``) is taken while the reuse window remains; otherwise
botocore obtains it (:mod:`awsenv.providers.role`). A chain rooted in IAM Identity Center signs
in first. A chain of MFA roles over an IAM user's long-lived keys is assumed hop by hop from the
user's MFA session (:mod:`awsenv.providers.session`: one code for every role, in every shell),
each role's answer written to ``~/.aws/cli/cache`` under botocore's key for that profile, so
botocore and the AWS CLI take it from there.
"""

from __future__ import annotations

from awsenv import log, profiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from awsenv.config import ConfigFiles, Section
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


def mfa_serial(resolved: Resolved) -> str | None:
    """The MFA device of a chain served by an MFA session, else None.

    That is an AssumeRole chain over long-lived keys (in the files or the OS keychain) whose
    roles name one ``mfa_serial`` between them; roles naming different devices are left to
    botocore, which asks for each hop's code.
    """
    if resolved.kind != profiles.ASSUME_ROLE or resolved.root_kind not in profiles.LONG_LIVED:
        return None
    serials = {
        section.get("mfa_serial")
        for (_name, kind), section in zip(resolved.chain, resolved.sections)
        if kind == profiles.ASSUME_ROLE and "mfa_serial" in section
    }
    if len(serials) != 1:
        return None
    serial = serials.pop()
    return serial if isinstance(serial, str) and serial else None


def session_end(resolved: Resolved, environ: Mapping[str, str]) -> int | None:
    """When the MFA session this chain is renewed from ends (None: no usable session)."""
    serial = mfa_serial(resolved)
    if serial is None:
        return None
    from awsenv.providers import session

    keys, end = session.cached(environ, resolved.chain[-1][0], serial)
    return end if keys is not None else None


def role_section(resolved: Resolved, ctx: Context, index: int = 0) -> Section:
    """The section of hop ``index``, with ``--duration`` on the profile's own role (hop 0).

    botocore hashes ``duration_seconds`` into the cache key, so a session of another length is
    another file, as the AWS CLI would name it.
    """
    section = resolved.sections[index]
    if index == 0 and ctx.duration is not None and "role_arn" in section:
        return {**section, "duration_seconds": str(int(ctx.duration))}
    return section


def obtain(files: ConfigFiles, resolved: Resolved, ctx: Context) -> Keys:
    """Return keys for a role, web-identity or process profile (the AWS CLI's cache first)."""
    from awsenv.providers import rolecache

    if _cached_kind(resolved):
        cached = rolecache.cached_role_credentials(ctx.environ, role_section(resolved, ctx))
        if cached is not None:
            return cached
    serial = mfa_serial(resolved)
    if serial is not None:
        return _from_session(files, resolved, ctx, serial)
    if resolved.kind == profiles.ASSUME_ROLE:
        _sso_root(files, resolved, ctx)
    _check_token_file(resolved)
    from awsenv import ui
    from awsenv.providers import WrongMfaCode, mfa, role

    prompt = mfa.tty_prompt if mfa.may_ask(ctx) else None
    try:
        return _refused_duration(
            ctx,
            resolved,
            lambda: role.obtain(
                ctx.environ,
                resolved.name,
                mfa_code=ctx.mfa_code,
                mfa_prompt=prompt,
                duration=ctx.duration,
                region=ctx.region,
                notify=ui.info,
            ),
        )
    except WrongMfaCode:
        if prompt is None:
            raise
        ui.warn("that MFA code was not accepted; one more try")
        return role.obtain(
            ctx.environ,
            resolved.name,
            mfa_prompt=prompt,
            duration=ctx.duration,
            region=ctx.region,
            notify=ui.info,
        )


def _refused_duration(ctx: Context, resolved: Resolved, call: Callable[[], Keys]) -> Keys:
    """Run ``call``; a DurationSeconds refused for ``--duration`` names the option, not the key."""
    from awsenv.providers import DurationRefused

    try:
        return call()
    except DurationRefused as exc:
        if ctx.duration is None or exc.profile != resolved.name:
            raise
        raise DurationRefused(
            exc.role_arn, exc.profile, ctx.duration, exc.sts_message, option="--duration"
        ) from None


def _from_session(files: ConfigFiles, resolved: Resolved, ctx: Context, serial: str) -> Keys:
    """Assume the chain's roles from the root's MFA session, the nearest cached role first.

    No MFA code goes with AssumeRole: the session was made with one. Each role's answer is
    cached where botocore looks for that profile's role (its key names the ``mfa_serial``).
    """
    from awsenv.providers import rolecache, session

    environ = ctx.environ
    hops = len(resolved.chain) - 1  # the roles, from the profile towards the root
    sections = [role_section(resolved, ctx, index) for index in range(hops)]
    start = hops
    keys: Keys | None = None
    for index in range(hops):
        keys = rolecache.cached_role_credentials(environ, sections[index])
        if keys is not None:
            start = index
            break
    if keys is None:
        root = resolved.chain[-1][0]
        log.debug("profile %r: roles from the MFA session of profile %r", resolved.name, root)
        keys = session.session_keys(files, root, ctx, serial=serial)
    for index in range(start - 1, -1, -1):
        name = resolved.chain[index][0]
        keys = _assume_hop(resolved, ctx, name, sections[index], keys, chained=index < hops - 1)
    return keys


def _assume_hop(
    resolved: Resolved,
    ctx: Context,
    name: str,
    section: Section,
    source: Keys,
    *,
    chained: bool,
) -> Keys:
    """One AssumeRole (locked, rechecked) for hop ``name``, signed with ``source``."""
    from awsenv.providers import entry, rolecache

    environ = ctx.environ
    key = rolecache.assume_role_cache_key(section)
    return entry.fetch_once(
        environ,
        "cli-cache-" + key,
        lambda: rolecache.cached_role_credentials(environ, section),
        lambda: _refused_duration(
            ctx,
            resolved,
            lambda: _assume(resolved, ctx, name, section, source, chained=chained),
        ),
    )


def _assume(
    resolved: Resolved,
    ctx: Context,
    name: str,
    section: Section,
    source: Keys,
    *,
    chained: bool,
) -> Keys:
    import time

    import botocore.exceptions as bx

    from awsenv import cache, ui
    from awsenv.errors import AwsenvError
    from awsenv.providers import CredentialsUnavailable, entry, role, rolecache

    environ = ctx.environ
    role_arn = str(section.get("role_arn"))
    trace = role.Trace(name, ui.info)
    trace.role_profiles[role_arn] = name
    if chained:  # a role's credentials sign it: at most one hour (the trace lowers it)
        trace.chained[role_arn] = name
    args = rolecache.assume_role_args(section)
    params: dict[str, object] = {
        "RoleArn": role_arn,
        # botocore's default name when the profile gives none
        "RoleSessionName": args.get("RoleSessionName") or f"botocore-session-{int(time.time())}",
    }
    for option in ("ExternalId", "DurationSeconds"):
        if option in args:
            params[option] = args[option]
    with role.Swap(environ):
        try:
            # the profile's settings, as botocore's assume-role provider of the profile has them
            client = role.sts_client(
                environ,
                resolved.name,
                source,
                trace,
                region=lambda session: role.sts_region(session, environ, ctx.region),
            )
            log.debug("AssumeRole %s for profile %r, from the MFA session", role_arn, name)
            response = client.assume_role(**params)
        except AwsenvError:
            raise
        except bx.ClientError as exc:
            raise (role.map_error(exc, environ, trace) or exc) from None
        except Exception as exc:
            mapped = role.map_error(exc, environ, trace)
            if mapped is None:
                raise
            raise mapped from None
    data = rolecache.entry_from_response(response)
    keys = entry.keys_from_entry(data)
    if keys is None:
        raise CredentialsUnavailable(f"STS answered AssumeRole of {role_arn} without keys")
    cache.write_json(rolecache.cache_path(environ, rolecache.assume_role_cache_key(section)), data)
    return keys


def ensure(files: ConfigFiles, resolved: Resolved, ctx: Context) -> int | None:
    """Make sure the SDKs can get this profile's credentials now (a denied role fails here).

    An SSO root is signed in to first, and its clock (returned) is the profile's; a cached role
    session spares the STS call.
    """
    from awsenv.providers import rolecache

    root = _sso_root(files, resolved, ctx)
    cached = (
        rolecache.cached_role_expiry(ctx.environ, role_section(resolved, ctx))
        if _cached_kind(resolved)
        else None
    )
    log.debug("profile %r: cached role session %s", resolved.name, "found" if cached else "missing")
    if cached is None:
        obtain(files, resolved, ctx)
    return root


def forget_roles(files: ConfigFiles, environ: Mapping[str, str], root: str | None) -> int:
    """Delete the ~/.aws/cli/cache entries of the roles MFA sessions serve; return how many.

    Every role of each chain :func:`mfa_serial` finds over ``root`` (over any root when None):
    what a code made must go with the session on logout, or the AWS CLI and ``use`` would go
    on with it for up to an hour. An entry asked for with ``--duration`` has another key and
    stays until it ends.
    """
    from awsenv import cache
    from awsenv.errors import AwsenvError
    from awsenv.providers import rolecache

    removed = 0
    for name in files.profile_names():
        try:
            resolved = profiles.resolve(files, name)
        except AwsenvError:
            continue
        if mfa_serial(resolved) is None:
            continue
        if root is not None and resolved.chain[-1][0] != root:
            continue
        for (_hop, kind), section in zip(resolved.chain, resolved.sections):
            if kind != profiles.ASSUME_ROLE:
                continue
            key = rolecache.assume_role_cache_key(section)
            if cache.remove(rolecache.cache_path(environ, key)):
                removed += 1
    return removed
