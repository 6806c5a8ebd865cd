"""What is cached for a profile, read from the files alone: no network, no secrets kept.

Each source's cache files (the SSO token, role credentials in ``~/.aws/cli/cache``, awsenv's
SAML keys and Okta tokens, the ``aws login`` session) as :class:`CacheFile` records: where the
file is, what state it is in, when it ends. ``explain`` and ``doctor`` read these; nothing here
logs in, imports boto3 or writes a file.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from awsenv import cache, paths, profiles, timefmt
from awsenv.providers import entry
from awsenv.sso import tokens

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from awsenv.config import Section
    from awsenv.profiles import ProfileFiles

_OKTA_WINDOW = 120  # okta.REFRESH_WINDOW, without importing the Okta client for a number
_LOGIN_WINDOW = 5 * 60  # botocore's login provider refreshes under 5 minutes


def _text(section: Mapping[str, object], key: str) -> str | None:
    value = section.get(key)
    return value if isinstance(value, str) else None


def iso(epoch: int | None) -> str | None:
    """Return ``epoch`` as ``YYYY-MM-DDTHH:MM:SSZ`` (None stays None)."""
    return timefmt.format_z(epoch) if epoch is not None else None


# Cache-file states.
MISSING = "missing"
VALID = "valid"  # usable as is
EXPIRING = "expiring"  # present but inside the window where it is refreshed or not reused
EXPIRED = "expired"
TORN = "torn"  # empty or not a JSON object: botocore raises on it instead of missing it
INCOMPLETE = "incomplete"  # JSON, but lacks what a reader needs
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class CacheFile:
    """A cache file a profile reads: where it is and what state it is in (never its content)."""

    what: str  # sso-token, sso-role-credentials, role-credentials, saml-credentials, ...
    path: str
    profile: str | None
    state: str
    expires_at: int | None = None
    refresh_token: bool | None = None  # None where the file kind has none
    detail: str | None = None
    used_by: tuple[str, ...] | None = None  # an MFA session: the role profiles assumed from it

    @property
    def present(self) -> bool:
        """True if the file exists (whatever it holds)."""
        return self.state != MISSING

    def to_json(self, now: float) -> dict[str, object]:
        """Return the documented JSON object (``expires_in`` in seconds from ``now``)."""
        return {
            "what": self.what,
            "profile": self.profile,
            "path": self.path,
            "present": self.present,
            "state": self.state,
            "expires_at": iso(self.expires_at),
            "expires_in": int(self.expires_at - now) if self.expires_at is not None else None,
            "refresh_token": self.refresh_token,
            "detail": self.detail,
            "used_by": list(self.used_by) if self.used_by is not None else None,
        }


@dataclass(frozen=True)
class SsoInfo:
    """The IAM Identity Center session a profile logs in with, and its token cache."""

    profile: str
    session: str | None  # None: a legacy profile with sso_start_url of its own
    start_url: str
    region: str
    registration_scopes: tuple[str, ...] | None
    token: CacheFile
    refreshable: bool  # botocore could refresh the cached token now

    @property
    def legacy(self) -> bool:
        """True for a profile without ``sso_session`` (its token can never be refreshed)."""
        return self.session is None

    def to_json(self) -> dict[str, object]:
        """Return the documented JSON object."""
        return {
            "profile": self.profile,
            "session": self.session,
            "legacy": self.legacy,
            "start_url": self.start_url,
            "region": self.region,
            "registration_scopes": (
                list(self.registration_scopes) if self.registration_scopes is not None else None
            ),
            "token_cache": self.token.path,
            "refreshable": self.refreshable,
        }


def read_object(path: str) -> tuple[str, dict[str, object] | None, str | None]:
    """Return (state, JSON object, detail) for a cache file, never raising."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return MISSING, None, None
    except (OSError, ValueError) as exc:
        return UNREADABLE, None, getattr(exc, "strerror", None) or "cannot be inspected"
    if not stat.S_ISREG(st.st_mode):
        return UNREADABLE, None, "not a regular file"
    if st.st_size > cache.MAX_JSON_BYTES:
        return UNREADABLE, None, "larger than any cache file the AWS tools write"
    data = cache.read_bytes(path)
    if data is None:
        return UNREADABLE, None, "permission denied" if not os.access(path, os.R_OK) else None
    if not data.strip():
        return TORN, None, "empty"
    value = cache.loads_object(data)
    if value is None:
        return TORN, None, "not a complete JSON object"
    return VALID, value, None


def _timed(expires_at: int, now: float, window: float) -> str:
    if expires_at <= now:
        return EXPIRED
    return EXPIRING if expires_at - now < window else VALID


def read_sso_token(path: str, profile: str | None, now: float) -> CacheFile:
    """Describe an SSO token file: state, expiry, whether it holds a refresh token."""
    state, data, detail = read_object(path)
    if data is None:
        return CacheFile("sso-token", path, profile, state, detail=detail)
    expires_at = timefmt.parse_timestamp(data.get("expiresAt"))
    access = data.get("accessToken")
    has_refresh = isinstance(data.get("refreshToken"), str) and bool(data.get("refreshToken"))
    if not (isinstance(access, str) and access) or expires_at is None:
        return CacheFile(
            "sso-token",
            path,
            profile,
            INCOMPLETE,
            refresh_token=has_refresh,
            detail="no accessToken or expiresAt (botocore raises SSOTokenLoadError)",
        )
    return CacheFile(
        "sso-token",
        path,
        profile,
        _timed(expires_at, now, tokens.REFRESH_WINDOW),
        expires_at,
        has_refresh,
    )


def _token_refreshable(path: str, session: str | None, now: float) -> bool:
    """Return True if botocore could refresh: sso-session, refresh fields, live registration."""
    if session is None:
        return False
    _state, data, _detail = read_object(path)
    if data is None:
        return False
    needed = all(
        isinstance(data.get(k), str) and data.get(k)
        for k in ("refreshToken", "clientId", "clientSecret")
    )
    registration = timefmt.parse_timestamp(data.get("registrationExpiresAt"))
    return bool(needed and registration is not None and registration > now)


def read_credentials_entry(
    path: str, what: str, profile: str | None, now: float, window: float
) -> CacheFile:
    """Describe a ``{"Credentials": {...}}`` cache entry (AWS CLI cache, awsenv's SAML cache)."""
    state, data, detail = read_object(path)
    if data is None:
        return CacheFile(what, path, profile, state, detail=detail)
    keys = entry.keys_from_entry(data)
    if keys is None or keys.expiration is None:
        return CacheFile(what, path, profile, INCOMPLETE, detail="no usable Credentials object")
    return CacheFile(what, path, profile, _timed(keys.expiration, now, window), keys.expiration)


def read_okta_tokens(path: str, profile: str | None, now: float) -> CacheFile:
    """Describe awsenv's Okta token cache file."""
    state, data, detail = read_object(path)
    if data is None:
        return CacheFile("okta-tokens", path, profile, state, detail=detail)
    expires = data.get("expires_at")
    access = data.get("access_token")
    if not (isinstance(access, str) and access) or not isinstance(expires, int):
        return CacheFile("okta-tokens", path, profile, INCOMPLETE, detail="not awsenv's format")
    refresh = isinstance(data.get("refresh_token"), str) and bool(data.get("refresh_token"))
    if not (isinstance(data.get("id_token"), str) and data.get("id_token")):
        return CacheFile(
            "okta-tokens", path, profile, EXPIRED, expires, refresh, detail="no id token"
        )
    return CacheFile(
        "okta-tokens", path, profile, _timed(expires, now, _OKTA_WINDOW), expires, refresh
    )


def read_login_session(path: str, profile: str | None, now: float) -> CacheFile:
    """Describe an ``aws login`` session file (``~/.aws/login/cache``)."""
    state, data, detail = read_object(path)
    if data is None:
        return CacheFile("aws-login", path, profile, state, detail=detail)
    access = data.get("accessToken")
    expires = timefmt.parse_timestamp(access.get("expiresAt")) if isinstance(access, dict) else None
    refresh = isinstance(data.get("refreshToken"), str) and bool(data.get("refreshToken"))
    if expires is None:
        return CacheFile(
            "aws-login", path, profile, INCOMPLETE, refresh_token=refresh, detail="no expiresAt"
        )
    return CacheFile(
        "aws-login", path, profile, _timed(expires, now, _LOGIN_WINDOW), expires, refresh
    )


def login_cache_path(environ: Mapping[str, str], session: str) -> str:
    """Return the ``aws login`` session file (``AWS_LOGIN_CACHE_DIRECTORY``, sha256 name)."""
    import hashlib

    directory = environ.get("AWS_LOGIN_CACHE_DIRECTORY")
    base = (
        paths.expand(directory, environ)
        if directory
        else os.path.join(paths.home(environ), ".aws", "login", "cache")
    )
    return os.path.join(base, hashlib.sha256(session.encode("utf-8")).hexdigest() + ".json")


def sso_info(
    files: ProfileFiles, environ: Mapping[str, str], name: str, section: Section, now: float
) -> SsoInfo | None:
    """Return the SSO session and token cache of an SSO profile (None if it names none)."""
    session_name = _text(section, "sso_session")
    scopes: tuple[str, ...] | None = None
    if session_name is not None:
        session = files.sso_session(session_name)
        if session is None:
            return None
        start_url = _text(session, "sso_start_url") or _text(section, "sso_start_url")
        region = _text(session, "sso_region") or _text(section, "sso_region")
        raw = _text(session, "sso_registration_scopes")
        scopes = tuple(tokens.parse_scopes(raw)) if raw is not None else None
    else:
        start_url = _text(section, "sso_start_url")
        region = _text(section, "sso_region")
    if not start_url or not region:
        return None
    sess = tokens.SsoSession(session_name, start_url, region, list(scopes) if scopes else None)
    path = tokens.token_path(environ, sess)
    return SsoInfo(
        profile=name,
        session=session_name,
        start_url=start_url,
        region=region,
        registration_scopes=scopes,
        token=read_sso_token(path, name, now),
        refreshable=_token_refreshable(path, session_name, now),
    )


def role_cache(
    environ: Mapping[str, str], name: str, section: Section, now: float
) -> CacheFile | None:
    """Describe the profile's assumed-role entry in ``~/.aws/cli/cache`` (None: no role_arn)."""
    from awsenv.providers import rolecache

    if _text(section, "role_arn") is None:
        return None
    path = rolecache.cache_path(environ, rolecache.assume_role_cache_key(section))
    return read_credentials_entry(path, "role-credentials", name, now, entry.REUSE_WINDOW)


def saml_caches(
    environ: Mapping[str, str], name: str, section: Section, now: float
) -> list[CacheFile]:
    """Describe awsenv's SAML key cache for the profile, and its Okta tokens if it has some."""
    from awsenv.providers import saml_keys

    preset = _text(section, "saml_role_arn") or None
    found = [
        read_credentials_entry(
            saml_keys.cache_path(environ, name, preset),
            "saml-credentials",
            name,
            now,
            entry.REUSE_WINDOW,
        )
    ]
    if profiles.classify(section) == profiles.OKTA:
        from awsenv import okta
        from awsenv.errors import InvalidProfile

        settings = {k: v for k, v in section.items() if isinstance(v, str)}
        client_id = settings.get("okta_oidc_client_id", "").strip()
        try:
            base_url = okta.org_base_url(settings, profile=name)
        except InvalidProfile:
            return found
        if client_id:
            path = okta.okta_token_cache_path(environ, base_url, client_id)
            found.append(read_okta_tokens(path, name, now))
    return found


def _mfa_serial(nodes: Sequence[tuple[str, str, Section]]) -> str | None:
    """The MFA device whose session serves this chain (``chain.mfa_serial``), else None."""
    from awsenv.providers import chain

    name, kind, section = nodes[0]
    resolved = profiles.Resolved(
        name,
        kind,
        section,
        tuple((hop, hop_kind) for hop, hop_kind, _s in nodes),
        tuple(hop_section for _h, _k, hop_section in nodes),
    )
    return chain.mfa_serial(resolved)


def mfa_session(
    files: ProfileFiles,
    nodes: Sequence[tuple[str, str, Section]],
    environ: Mapping[str, str],
    now: float,
) -> CacheFile | None:
    """Describe the MFA session a chain of MFA roles over long-lived keys is assumed from.

    ``used_by``: every profile whose chain is served by the same session (same root, same
    device), found by walking each profile of the files.
    """
    serial = _mfa_serial(nodes)
    if serial is None:
        return None
    from awsenv.providers import session

    root = nodes[-1][0]
    users = []
    for other in files.profile_names():
        other_section = files.profile(other)
        if other_section is None or profiles.classify(other_section) != profiles.ASSUME_ROLE:
            continue
        walked = profiles.walk(files, other, other_section).nodes
        if walked[-1][0] == root and _mfa_serial(walked) == serial:
            users.append(other)
    found = read_credentials_entry(
        session.cache_path(environ, root, serial), "mfa-session", root, now, session.MFA_MARGIN
    )
    return CacheFile(
        found.what,
        found.path,
        found.profile,
        found.state,
        found.expires_at,
        detail=found.detail or f"MFA device {serial}",
        used_by=tuple(users),
    )


class Cached:
    """What is cached for a profile and its chain: the SSO session, and every cache file."""

    __slots__ = ("files", "mfa_session", "role", "sso")

    def __init__(
        self, sso: SsoInfo | None, files: list[CacheFile], role: dict[str, CacheFile]
    ) -> None:
        self.sso = sso  # the IAM Identity Center session at the root, if any
        self.files = files  # in the order explain shows them
        self.role = role  # role credentials per hop of the chain
        self.mfa_session = next((f for f in files if f.what == "mfa-session"), None)


def describe(
    files: ProfileFiles,
    nodes: Sequence[tuple[str, str, Section]],
    environ: Mapping[str, str],
    *,
    now: float,
) -> Cached:
    """Describe the caches of a (possibly broken) chain: (name, kind, section) from the profile."""
    name, kind, section = nodes[0]
    root_name, root_kind, root_section = nodes[-1]
    sso = (
        sso_info(files, environ, root_name, root_section, now)
        if root_kind == profiles.SSO or (kind == profiles.NONE and "sso_session" in section)
        else None
    )
    found: list[CacheFile] = [sso.token] if sso is not None else []
    mfa = mfa_session(files, nodes, environ, now) if root_kind in profiles.LONG_LIVED else None
    if mfa is not None:
        found.append(mfa)
    role: dict[str, CacheFile] = {}
    for hop_name, hop_kind, hop_section in nodes:
        if hop_kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY):
            hop_cache = role_cache(environ, hop_name, hop_section, now)
            if hop_cache is not None:
                role[hop_name] = hop_cache
                found.append(hop_cache)
    if kind == profiles.SSO and sso is not None:
        account, role_name = _text(section, "sso_account_id"), _text(section, "sso_role_name")
        if account and role_name:
            sess = tokens.SsoSession(sso.session, sso.start_url, sso.region)
            found.append(
                read_credentials_entry(
                    tokens.role_credentials_path(environ, sess, account, role_name),
                    "sso-role-credentials",
                    name,
                    now,
                    entry.REUSE_WINDOW,
                )
            )
    elif kind in (profiles.SAML, profiles.OKTA):
        found += saml_caches(environ, name, section, now)
    elif kind == profiles.LOGIN:
        session = _text(section, "login_session") or ""
        found.append(read_login_session(login_cache_path(environ, session), name, now))
    return Cached(sso, found, role)
