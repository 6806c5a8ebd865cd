"""Switch a shell to a profile: resolve, decide, obtain or ensure, plan, render.

What ``use`` and ``refresh`` share (and, later, anything else that switches a shell):

    profiles.resolve -> plan.decide -> providers.obtain / providers.ensure
        -> exports.plan_* -> shells.render
"""

from __future__ import annotations

import os

from awsenv import exports, log, plan, profiles, providers, shells

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.config import ConfigFiles
    from awsenv.providers.adhoc import Spec


def write_credentials(files: ConfigFiles, name: str, keys: exports.Keys) -> None:
    """Write the keys as ``[name]`` in the credentials file, everything else kept byte for byte.

    For tools that read only ~/.aws/credentials (as okta-aws-cli's -z and AWS's SAML how-to
    do): the section is replaced (or appended), the file is replaced atomically with its mode
    kept, and the previous content stays in ``credentials.awsenv-backup``.
    """
    import time

    from awsenv import cache, ui
    from awsenv.config import edit as configwrite

    items = [
        ("aws_access_key_id", keys.access_key_id),
        ("aws_secret_access_key", keys.secret_access_key),
    ]
    if keys.session_token:
        items.append(("aws_session_token", keys.session_token))
    section = configwrite.NewSection(name, items)
    edit = configwrite.plan_replace(
        files.credentials_path,
        section,
        comment=f"Added by awsenv use --write-credentials on {time.strftime('%Y-%m-%d')}",
    )
    edit.commit(lock=cache.lock_path(os.environ, "aws-credentials"))
    ui.info(f"wrote [{name}] to {files.credentials_path} (previous file: {edit.backup_path})")


def _reap_temps(environ: Mapping[str, str], files: ConfigFiles) -> None:
    """Remove what writers killed in the files' directories left (the backup is a full copy).

    Two stats per directory when nothing changed there (``cache.reap_temps``).
    """
    from awsenv import cache

    directories = {os.path.dirname(files.config_path), os.path.dirname(files.credentials_path)}
    for directory in sorted(directories):
        cache.reap_temps(environ, directory)


def _role_is_not_for(resolved: profiles.Resolved, role: str, dialect: str) -> None:
    """``--role`` picks among the roles a SAML assertion offers; anywhere else it is a mistake.

    It used to be ignored (the profile exported as if it had not been given): the shell then
    acted as another role than the one asked for.
    """
    from awsenv.errors import UsageError

    command = (
        f"awsenv use --role-arn {shells.quote(dialect, role)} "
        f"--source {shells.quote(dialect, resolved.name)}"
    )
    raise UsageError(
        f"--role chooses among the roles a SAML or Okta sign-in offers, and profile "
        f"{resolved.name!r} is {resolved.kind}",
        hint=f"to assume a role with this profile's credentials: {command}",
    )


def shell_code(
    environ: Mapping[str, str],
    name: str,
    ctx: providers.Context,
    *,
    dialect: str,
    keys: bool = False,
    write: bool = False,
    region: str | None = None,
    previous: str | None = None,
) -> str:
    """Return the shell code that makes the shell act as profile ``name``.

    ``region`` replaces the profile's own; ``keys`` exports keys, ``write`` also writes them to
    the credentials file (``use --keys``, ``--write-credentials``); ``previous`` is what
    ``use -`` will go back to (``exports.encode_previous``; None keeps the shell's).
    """
    from awsenv.config import ConfigFiles

    files = ConfigFiles(environ)
    _reap_temps(environ, files)
    resolved = profiles.resolve(files, name)
    if ctx.role and resolved.kind not in (profiles.SAML, profiles.OKTA):
        _role_is_not_for(resolved, ctx.role, dialect)
    log.debug(
        "profile %r: %s, chain %s",
        name,
        resolved.kind,
        " -> ".join(f"{n} ({k})" for n, k in resolved.chain),
    )
    if region is None:
        region = resolved.region
    # a role session of another length than the profile's is not what SDKs would assume
    # through AWS_PROFILE: export its keys
    decision = plan.decide(resolved, keys=keys or ctx.duration is not None, write=write)
    obtained = None
    if decision.obtains:
        obtained = providers.obtain(files, resolved, ctx)
    if obtained is not None and decision.mode == plan.KEYS:
        until = providers.renewable(files, resolved, environ)
        steps = exports.plan_keys(
            environ,
            name,
            obtained,
            region=region,
            renewable=until,
            previous=previous,
            duration=ctx.duration,
        )
    elif obtained is not None:
        # a credential_process (one that calls awsenv, for SAML and Okta) lets every SDK get
        # the keys itself, so the profile is exported, with their clock
        steps = exports.plan_profile(
            environ, name, region=region, expiration=obtained.expiration, previous=previous
        )
    else:
        if resolved.kind == profiles.NONE:
            from awsenv import ui

            ui.warn(
                f"profile {name!r} holds no credentials; SDKs will look for them elsewhere "
                "(environment, instance role)"
            )
        ready = providers.ensure(files, resolved, ctx)
        steps = exports.plan_profile(
            environ,
            name,
            region=region,
            expiration=ready.expiration,
            renewable=ready.renewable,
            previous=previous,
        )
    # the export is planned (and its size checked) before the file is written: a refused
    # export leaves ~/.aws/credentials as it was
    code = shells.render(exports.changes(steps, environ), dialect)
    if write and obtained is not None:
        write_credentials(files, name, obtained)
    return code


def role_shell_code(
    environ: Mapping[str, str],
    spec: Spec,
    ctx: providers.Context,
    *,
    dialect: str,
    region: str | None = None,
    previous: str | None = None,
) -> str:
    """Return the shell code that makes the shell act as the ad-hoc role ``spec`` (its keys).

    The source profile is resolved as ``use`` would resolve it (a missing one is a usage
    error); its region is the shell's unless ``region`` is given. ``AWSENV_PROFILE`` says
    ``SOURCE>ROLE``, ``AWSENV_ROLE`` holds what ``refresh`` and ``use -`` need to do it again.
    """
    from awsenv.config import ConfigFiles
    from awsenv.errors import ProfileNotFound, UsageError

    files = ConfigFiles(environ)
    _reap_temps(environ, files)
    try:
        source = profiles.resolve(files, spec.source)
    except ProfileNotFound as exc:
        if exc.name != spec.source:
            raise
        raise UsageError(f"--source: {exc.message}", hint=exc.hint) from None
    if ctx.role and source.kind not in (profiles.SAML, profiles.OKTA):
        _role_is_not_for(source, ctx.role, dialect)
    log.debug(
        "role %s with the credentials of profile %r (%s)", spec.role_arn, source.name, source.kind
    )
    decision = plan.decide_role_arn()
    log.debug("export: %s (%s)", decision.mode, decision.reason)
    keys = providers.assume(files, spec, source, ctx)
    until = providers.assume_renewable(files, source, environ)
    steps = exports.plan_keys(
        environ,
        spec.label,
        keys,
        region=region or source.region,
        renewable=until,
        previous=previous,
        role=spec.encode(),
    )
    return shells.render(exports.changes(steps, environ), dialect)
