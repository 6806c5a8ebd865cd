"""Keys for SAML and Okta profiles: assertion, role choice, AssumeRoleWithSAML, a small cache.

The keys are cached (0600, atomic) in awsenv's own cache directory, keyed by profile and role,
so ``awsenv credential-process`` can answer SDKs without a sign-in while they are valid. The
AWS CLI has no cache format for SAML credentials, so this one is awsenv's own.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys
    from awsenv.profiles import Resolved

REUSE_WINDOW = 15 * 60  # as botocore's cached credentials: at least 15 minutes left


def _cache_path(environ: Mapping[str, str], profile: str, preset: str | None) -> str:
    from awsenv import cache, paths

    name = cache.sha1_hex(f"{profile}\x00{preset or ''}")
    return os.path.join(paths.cache_dir(environ), "saml", name + ".json")


def cached_keys(environ: Mapping[str, str], profile: str, preset: str | None) -> Keys | None:
    """Return keys cached for this profile (and preset role) with 15 minutes left, else None."""
    from awsenv import cache
    from awsenv.providers.rolecache import keys_from_entry

    keys = keys_from_entry(cache.read_json(_cache_path(environ, profile, preset)))
    if keys is None or keys.expiration is None or keys.expiration - time.time() < REUSE_WINDOW:
        return None
    return keys


def _save(environ: Mapping[str, str], profile: str, preset: str | None, keys: Keys) -> None:
    from awsenv import cache, timefmt

    cache.write_json(
        _cache_path(environ, profile, preset),
        {
            "ProviderType": "awsenv-saml",
            "Credentials": {
                "AccessKeyId": keys.access_key_id,
                "SecretAccessKey": keys.secret_access_key,
                "SessionToken": keys.session_token,
                "Expiration": timefmt.format_z(keys.expiration or 0),
            },
        },
    )


def _assertion_text(resolved: Resolved, args: Args, environ: Mapping[str, str]) -> str:
    from awsenv import profiles, saml, ui

    given = args.get("saml_assertion")
    if given == "-":
        return sys.stdin.read()
    if given:
        return saml.read_assertion_file(str(given))
    if resolved.kind == profiles.SAML:
        return saml.read_assertion_file(str(resolved.section["saml_assertion_file"]))
    from awsenv import okta

    settings = {k: v for k, v in resolved.section.items() if isinstance(v, str)}
    return okta.saml_assertion(
        environ,
        settings,
        profile=resolved.name,
        ui=ui.TerminalLoginUI(no_browser=bool(args.get("no_browser")), environ=environ),
        force=bool(args.get("force_login")),
    )


def saml_keys(
    files: ConfigFiles, resolved: Resolved, args: Args, environ: Mapping[str, str]
) -> Keys:
    """Return keys for a SAML or Okta profile: from awsenv's cache, else a sign-in and STS."""
    del files
    from awsenv import saml
    from awsenv.providers import mfa
    from awsenv.providers import saml as saml_provider

    section = resolved.section
    preset_value = args.get("role") or section.get("saml_role_arn")
    preset = str(preset_value) if isinstance(preset_value, str) and preset_value else None
    if not args.get("force_login") and not args.get("saml_assertion"):
        cached = cached_keys(environ, resolved.name, preset)
        if cached is not None:
            from awsenv import log

            log.debug("profile %r: SAML keys from awsenv's cache", resolved.name)
            return cached
    from awsenv import log

    log.debug("profile %r: no cached SAML keys; reading the assertion", resolved.name)
    text = _assertion_text(resolved, args, environ)
    log.remember_secret(text.strip())
    assertion = saml.parse(text)
    picker = saml_provider.tty_picker if mfa.have_tty() else None
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
    _save(environ, resolved.name, preset, keys)
    return keys
