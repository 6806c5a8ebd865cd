"""``awsenv use PROFILE``: make this shell act as the profile, logging in when needed."""

from __future__ import annotations

import os
import time

from awsenv import exports, log, profiles, shells
from awsenv.commands import changes, check_region, wrapper_dialect
from awsenv.config import ConfigFiles
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.config import Section


def _chain_needs_mfa(files: ConfigFiles, resolved: profiles.Resolved) -> bool:
    for name, kind in resolved.chain:
        if kind == profiles.ASSUME_ROLE:
            section = files.profile(name)
            if section is not None and "mfa_serial" in section:
                return True
    return False


def static_keys(files: ConfigFiles, name: str) -> exports.Keys:
    """Return the static keys written in the profile (read from the files, never the index)."""
    secret = files.secret_profile(name) or {}
    # botocore checks aws_security_token before aws_session_token
    token = secret.get("aws_security_token") or secret.get("aws_session_token")
    return exports.Keys(
        str(secret.get("aws_access_key_id", "")),
        str(secret.get("aws_secret_access_key", "")),
        token if isinstance(token, str) else None,
    )


def sso_login(
    files: ConfigFiles, name: str, section: Section, args: Args, environ: Mapping[str, str]
) -> int:
    """Make sure the profile's SSO session has a usable token; return its expiry."""
    from awsenv.commands import _login

    sess = _login.session_of(files, name, section)
    return _login.ensure_login(files, sess, profile=name, args=args, environ=environ)


def session_clock(
    files: ConfigFiles, name: str, section: Section, environ: Mapping[str, str], expiry: int
) -> int:
    """When AWS_PROFILE of an SSO-rooted profile stops working without a new sign-in.

    The SDKs refresh the token themselves while the session can renew, so that end counts
    (see tokens.renewable_until); otherwise the token's own expiry does.
    """
    from awsenv.commands import _login
    from awsenv.sso import tokens

    sess = _login.session_of(files, name, section)
    settings = _login.session_settings(files, sess)
    until = tokens.renewable_until(environ, sess, settings, time.time())
    return until if until is not None else expiry


def renewable(
    files: ConfigFiles, resolved: profiles.Resolved, environ: Mapping[str, str]
) -> int | str | None:
    """Until when exported keys of this profile renew with no browser and no prompt.

    An SSO root renews while its session does; a role over static keys, web identity or a
    credential process renews at any time (``always``); MFA, SAML and Okta need the user.
    """
    kind = resolved.kind
    if kind in (profiles.SAML, profiles.OKTA, profiles.STATIC) or _chain_needs_mfa(files, resolved):
        return None
    if resolved.root_kind == profiles.SSO:
        from awsenv.commands import _login
        from awsenv.sso import tokens

        root = resolved.chain[-1][0]
        sess = _login.session_of(files, root, files.profile(root) or {})
        settings = _login.session_settings(files, sess)
        return tokens.renewable_until(environ, sess, settings, time.time())
    if kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY, profiles.PROCESS):
        return exports.ALWAYS
    return None


def sso_keys(
    files: ConfigFiles, name: str, section: Section, args: Args, environ: Mapping[str, str]
) -> exports.Keys:
    """Return role credentials for an SSO profile: from the AWS CLI's cache, else the portal."""
    from awsenv.commands import _login
    from awsenv.sso import portal, tokens

    sess = _login.session_of(files, name, section)
    account, role = str(section["sso_account_id"]), str(section["sso_role_name"])
    if not args.get("force_login"):
        cached = tokens.load_role_credentials(environ, sess, account, role)
        if cached is not None:
            log.debug("profile %r: role credentials from ~/.aws/cli/cache", name)
            return cached
    log.debug("profile %r: asking the portal for %s/%s credentials", name, account, role)
    keys = _login.with_token(
        files,
        sess,
        lambda token: portal.role_credentials(environ, sess, token, account, role, profile=name),
        profile=name,
        args=args,
        environ=environ,
    )
    tokens.save_role_credentials(environ, sess, account, role, keys)
    return keys


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


def _role_profile(
    files: ConfigFiles,
    resolved: profiles.Resolved,
    args: Args,
    environ: Mapping[str, str],
    region: str | None,
) -> exports.Plan:
    """Plan for role, web-identity and process profiles.

    A chain that asks for an MFA code exports keys: boto3 keeps assumed-role credentials in
    memory only, so every new program would ask for a code again. Everything else exports
    AWS_PROFILE, once it is clear that credentials can be had now (a denied role fails here,
    not at the next aws call).
    """
    from awsenv.providers import rolecache

    name = resolved.name
    if _chain_needs_mfa(files, resolved):
        from awsenv.commands import _creds

        keys = _creds.role_keys(files, resolved, args, environ)
        return exports.plan_keys(environ, name, keys, region=region)  # MFA: not renewable
    expiration = None
    if resolved.root_kind == profiles.SSO:
        root = resolved.chain[-1][0]
        section = files.profile(root) or {}
        expiry = sso_login(files, root, section, args, environ)
        expiration = session_clock(files, root, section, environ, expiry)
    cached = None
    if resolved.kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY):
        cached = rolecache.cached_role_expiry(environ, resolved.section)
    log.debug("profile %r: cached role session %s", name, "found" if cached else "missing")
    if cached is None:
        from awsenv.commands import _creds

        _creds.role_keys(files, resolved, args, environ)
    return exports.plan_profile(environ, name, region=region, expiration=expiration)


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Resolve the profile and return the shell code that exports it."""
    dialect = wrapper_dialect(environ, "use")
    name = str(args.get("profile"))
    if not name:
        # botocore would read `[profile '']`, but an empty AWS_PROFILE or AWSENV_PROFILE means
        # "none" to the prompt, status, refresh and most tools: the shell would be half set.
        raise UsageError("the profile name is empty", hint="'awsenv list' shows every profile")
    files = ConfigFiles(environ)
    resolved = profiles.resolve(files, name)
    log.debug(
        "profile %r: %s, chain %s",
        name,
        resolved.kind,
        " -> ".join(f"{n} ({k})" for n, k in resolved.chain),
    )
    region_arg = args.get("region")
    # `--region ""` is a usage error, not "no --region" (it used to export the profile's)
    region = check_region(str(region_arg)) if region_arg is not None else resolved.region
    kind = resolved.kind
    if args.get("keys") or args.get("write_credentials") or kind in (profiles.SAML, profiles.OKTA):
        from awsenv.commands import _creds

        keys = _creds.keys_for(files, resolved, args, environ)
        if args.get("write_credentials"):
            write_credentials(files, name, keys)
        if not args.get("keys") and "credential_process" in resolved.section:
            # SAML/Okta with `credential_process = awsenv credential-process ...`: every SDK
            # can now get the keys itself (from awsenv's cache), so the profile is exported.
            plan = exports.plan_profile(environ, name, region=region, expiration=keys.expiration)
        else:
            until = renewable(files, resolved, environ)
            plan = exports.plan_keys(environ, name, keys, region=region, renewable=until)
    elif kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY, profiles.PROCESS):
        plan = _role_profile(files, resolved, args, environ, region)
    else:
        expiration = None
        if kind == profiles.SSO:
            expiry = sso_login(files, name, resolved.section, args, environ)
            expiration = session_clock(files, name, resolved.section, environ, expiry)
        elif kind == profiles.NONE:
            from awsenv import ui

            ui.warn(
                f"profile {name!r} holds no credentials; SDKs will look for them elsewhere "
                "(environment, instance role)"
            )
        plan = exports.plan_profile(environ, name, region=region, expiration=expiration)
    return shells.render(changes(plan, environ), dialect)
