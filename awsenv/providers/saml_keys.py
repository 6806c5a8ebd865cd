"""Keys for SAML and Okta profiles: assertion, role choice, AssumeRoleWithSAML, a small cache.

The keys are cached (0600, atomic) in awsenv's own cache directory, keyed by profile and role,
so ``awsenv credential-process`` can answer SDKs without a sign-in while they are valid. The
AWS CLI has no cache format for SAML credentials, so this one is awsenv's own.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.exports import Keys
    from awsenv.profiles import Resolved
    from awsenv.providers import Context


def cache_path(environ: Mapping[str, str], profile: str, preset: str | None) -> str:
    """Return the file awsenv caches a SAML/Okta profile's keys in (per preset role)."""
    from awsenv import cache, paths

    name = cache.sha1_hex(f"{profile}\x00{preset or ''}")
    return os.path.join(paths.cache_dir(environ), "saml", name + ".json")


def cached_keys(environ: Mapping[str, str], profile: str, preset: str | None) -> Keys | None:
    """Return keys cached for this profile (and preset role) with 15 minutes left, else None."""
    from awsenv.providers import entry

    return entry.load(cache_path(environ, profile, preset))


def save(environ: Mapping[str, str], profile: str, preset: str | None, keys: Keys) -> None:
    """Cache the keys for the profile and preset role (0600, atomic)."""
    from awsenv.providers import entry

    entry.save(cache_path(environ, profile, preset), keys, "awsenv-saml")


def preset_role(resolved: Resolved, ctx: Context | None = None) -> str | None:
    """Return the role asked for: ``--role``, else ``saml_role_arn``, else None (pick one)."""
    value = (ctx.role if ctx is not None else None) or resolved.section.get("saml_role_arn")
    return value if isinstance(value, str) and value else None


def _assertion_text(resolved: Resolved, ctx: Context) -> str:
    from awsenv import profiles, saml, ui

    given = ctx.saml_assertion
    if given == "-":
        return sys.stdin.read()
    if given:
        return saml.read_assertion_file(str(given))
    if resolved.kind == profiles.SAML:
        return saml.read_assertion_file(str(resolved.section["saml_assertion_file"]))
    from awsenv import okta

    settings = {k: v for k, v in resolved.section.items() if isinstance(v, str)}
    return okta.saml_assertion(
        ctx.environ,
        settings,
        profile=resolved.name,
        ui=ui.TerminalLoginUI(no_browser=ctx.no_browser, environ=ctx.environ),
        force=ctx.force_login,
    )


def obtain(resolved: Resolved, ctx: Context) -> Keys:
    """Return keys for a SAML or Okta profile: from awsenv's cache, else a sign-in and STS."""
    from awsenv import saml
    from awsenv.providers import mfa
    from awsenv.providers import saml as saml_provider

    environ = ctx.environ
    section = resolved.section
    preset = preset_role(resolved, ctx)
    if not ctx.force_login and not ctx.saml_assertion:
        cached = cached_keys(environ, resolved.name, preset)
        if cached is not None:
            from awsenv import log

            log.debug("profile %r: SAML keys from awsenv's cache", resolved.name)
            return cached
    from awsenv import log

    log.debug("profile %r: no cached SAML keys; reading the assertion", resolved.name)
    text = _assertion_text(resolved, ctx)
    log.remember_secret(text.strip())
    assertion = saml.parse(text)
    picker = saml_provider.tty_picker if mfa.may_ask(ctx) else None
    role = saml.choose(assertion.roles, preset=preset, picker=picker)
    duration_text = section.get("duration_seconds")
    duration = (
        int(duration_text)
        if isinstance(duration_text, str) and duration_text.isascii() and duration_text.isdigit()
        else None
    )
    region = section.get("region")
    keys = saml_provider.assume_role_with_saml(
        environ,
        role,
        assertion,
        region=region if isinstance(region, str) else None,
        duration=duration,
        profile=resolved.name,
    )
    save(environ, resolved.name, preset, keys)
    return keys
