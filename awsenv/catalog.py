"""What every profile is, read from the config index and cache summaries with no network.

``list`` prints it as a table or JSON; the ``use`` picker shows it on each row.
"""

from __future__ import annotations

from awsenv import profiles
from awsenv.config import ORIGIN, ConfigFiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.config import Section


def _login_state(
    files: ConfigFiles,
    name: str,
    section: Section,
    environ: Mapping[str, str],
    seen: dict[str, tuple[str, int | None]],
) -> tuple[str, int | None]:
    """Return ("valid"|"expired"|"refreshable"|"none"|"invalid", expiry) for an SSO profile."""
    import time

    from awsenv.errors import AwsenvError
    from awsenv.providers import sso
    from awsenv.sso import tokens

    try:
        sess = sso.session_of(files, name, section)
    except AwsenvError:
        return "invalid", None
    if sess.cache_key not in seen:
        status = tokens.token_status(environ, sess)
        if status is None:
            seen[sess.cache_key] = ("none", None)
        elif status.expires_at > time.time():
            seen[sess.cache_key] = ("valid", status.expires_at)
        else:
            state = "refreshable" if status.refreshable else "expired"
            seen[sess.cache_key] = (state, status.expires_at)
    return seen[sess.cache_key]


def rows(environ: Mapping[str, str]) -> list[dict[str, str | None]]:
    """Describe every profile without logging in or calling AWS."""
    files = ConfigFiles(environ)
    active = environ.get("AWSENV_PROFILE")
    result: list[dict[str, str | None]] = []
    seen: dict[str, tuple[str, int | None]] = {}
    for name, section in files.iter_profiles():
        kind = profiles.classify(section)
        login, expiry = (
            _login_state(files, name, section, environ, seen)
            if kind == profiles.SSO
            else ("-", None)
        )
        account, role = profiles.account_and_role(section)
        region = section.get("region")
        source = section.get("source_profile") or section.get("credential_source")
        if kind == profiles.SSO and isinstance(section.get("sso_session"), str):
            source = f"sso-session {section['sso_session']}"
        result.append(
            {
                "name": name,
                "kind": kind,
                "account": account,
                "role": role,
                "region": region if isinstance(region, str) else None,
                "source": source if isinstance(source, str) else None,
                "active": "yes" if name == active else None,
                "defined_at": str(section.get(ORIGIN) or "") or None,
                "login": login if kind == profiles.SSO else None,
                "login_expires": str(expiry) if expiry is not None else None,
            }
        )
    return result
