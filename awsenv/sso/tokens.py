"""The SSO token, client-registration and role-credential caches, byte for byte as the AWS CLI v2.

Files and names, as botocore (``botocore/utils.py``, ``botocore/credentials.py``) and the AWS
CLI v2 (``awscli/botocore/utils.py``) compute them; ``tests/unit/test_sso_tokens.py`` checks
each key rule, against the installed botocore where it has the rule:

- ``~/.aws/sso/cache/<sha1(session name or start URL)>.json``: the access token, with the client
  registration and refresh token botocore needs to refresh it (``SSOTokenLoader``,
  ``SSOTokenProvider``).
- ``~/.aws/sso/cache/<sha1(JSON of region, scopes, session, start URL, tool)>.json``: the OIDC
  client registration ``aws sso login`` reuses (``BaseSSOTokenFetcher._registration_cache_key``).
- ``~/.aws/cli/cache/<sha1(compact JSON of account, role, session or start URL)>.json``: role
  credentials (``SSOCredentialFetcher``), reused while at least 15 minutes remain.

Asking whether a session's token is valid (:func:`token_status`) is on the hot path of
``awsenv use``: the answer is kept in a small marshal memo under awsenv's cache directory, keyed
by the token file's identity (path, device, inode, size, mtime, ctime), so an unchanged token
file is never parsed twice and ``json`` is not even imported.
"""

from __future__ import annotations

import os
import time

from awsenv import cache, paths
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import TypeGuard

    from awsenv.exports import Keys

# botocore SSOTokenProvider._REFRESH_WINDOW and DeferredRefreshableToken._advisory_refresh_timeout:
# below this much validity botocore tries to refresh (without blocking other threads).
REFRESH_WINDOW = 15 * 60
# DeferredRefreshableToken._mandatory_refresh_timeout: below this every caller blocks on a refresh.
MANDATORY_REFRESH_WINDOW = 10 * 60
# (Cached role credentials have one reuse window, for every cache: providers/entry.py.)
# BaseSSOTokenFetcher._EXPIRY_WINDOW (AWS CLI v2): a registration with less left is not reused.
REGISTRATION_REUSE_WINDOW = 15 * 60

AUTH_CODE_GRANT = "authorization_code"


def _sha1_hex(text: str) -> str:
    return cache.sha1_hex(text)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def sso_cache_dir(environ: Mapping[str, str]) -> str:
    """Return ``~/.aws/sso/cache`` (fixed in botocore and the CLI: no variable moves it)."""
    return os.path.join(paths.home(environ), ".aws", "sso", "cache")


def cli_cache_dir(environ: Mapping[str, str]) -> str:
    """Return ``~/.aws/cli/cache``, the AWS CLI's credential cache."""
    return paths.cli_cache_dir(environ)


# --- sessions --------------------------------------------------------------------------------


class SsoSession:
    """Where and how a profile logs in: an ``[sso-session]`` or a legacy profile's own keys."""

    __slots__ = ("name", "region", "scopes", "start_url")

    def __init__(
        self, name: str | None, start_url: str, region: str, scopes: list[str] | None = None
    ) -> None:
        self.name = name  # the sso-session name; None for a legacy profile
        self.start_url = start_url  # exactly as configured (a trailing / changes the file name)
        self.region = region
        # sso_registration_scopes, parsed as the CLI does; None if the key is absent, [] if empty
        self.scopes = scopes

    @property
    def refreshable(self) -> bool:
        """True for sso-session configs: only those get botocore's refreshing token provider."""
        return self.name is not None

    @property
    def cache_key(self) -> str:
        """The SHA-1 input of the token file name: the session name, else the start URL."""
        return self.name if self.name is not None else self.start_url

    def __repr__(self) -> str:
        return (
            f"SsoSession(name={self.name!r}, start_url={self.start_url!r}, "
            f"region={self.region!r}, scopes={self.scopes!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SsoSession):
            return NotImplemented
        return (self.name, self.start_url, self.region, self.scopes) == (
            other.name,
            other.start_url,
            other.region,
            other.scopes,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.start_url, self.region))


def parse_scopes(raw: str) -> list[str]:
    """Split ``sso_registration_scopes`` as the CLI does: at commas, trimmed, empties dropped."""
    return [scope.strip() for scope in raw.split(",") if scope.strip()]


def session_for_profile(
    section: Mapping[str, object],
    sso_sessions: Callable[[str], Mapping[str, object] | None],
) -> SsoSession:
    """Return the session of an SSO profile: its ``sso_session``, else the legacy keys.

    Callers validate profiles first (``profiles.check_sso_session``); an incomplete one still
    raises AwsenvError here rather than KeyError. Legacy profiles have no registration scopes,
    as in ``aws sso login``.
    """
    name = section.get("sso_session")
    if isinstance(name, str):
        found = sso_sessions(name)
        start_url = _text(found.get("sso_start_url")) if found is not None else None
        region = _text(found.get("sso_region")) if found is not None else None
        if found is None or start_url is None or region is None:
            raise AwsenvError(
                f"[sso-session {name}] is missing or lacks sso_start_url or sso_region",
                hint="see aws configure sso-session",
            )
        raw = found.get("sso_registration_scopes")
        scopes = parse_scopes(raw) if isinstance(raw, str) else None
        return SsoSession(name, start_url, region, scopes)
    start_url = _text(section.get("sso_start_url"))
    region = _text(section.get("sso_region"))
    if start_url is None or region is None:
        raise AwsenvError("the profile has no sso_session (nor sso_start_url and sso_region)")
    return SsoSession(None, start_url, region, None)


def token_path(environ: Mapping[str, str], sess: SsoSession) -> str:
    """Return the token file (``SSOTokenLoader._generate_cache_key``)."""
    return os.path.join(sso_cache_dir(environ), _sha1_hex(sess.cache_key) + ".json")


def registration_path(environ: Mapping[str, str], sess: SsoSession) -> str:
    """Return the client-registration file (CLI ``_registration_cache_key``).

    The key is ``json.dumps`` with sorted keys and default separators; ``scopes`` is the parsed
    ``sso_registration_scopes`` as is (null when the key is absent, [] when it is empty).
    """
    import json

    args = {
        "tool": "botocore",
        "startUrl": sess.start_url,
        "region": sess.region,
        "scopes": sess.scopes,
        "session_name": sess.name,
    }
    return os.path.join(
        sso_cache_dir(environ), _sha1_hex(json.dumps(args, sort_keys=True)) + ".json"
    )


# --- tokens ----------------------------------------------------------------------------------


class Token:
    """An SSO access token and what refreshing it needs; ``repr`` never shows the secrets."""

    __slots__ = (
        "access_token",
        "client_id",
        "client_secret",
        "expires_at",
        "refresh_token",
        "region",
        "registration_expires_at",
        "start_url",
    )

    def __init__(
        self,
        *,
        access_token: str,
        expires_at: int,
        refresh_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        registration_expires_at: int | None = None,
        start_url: str = "",
        region: str = "",
    ) -> None:
        self.access_token = access_token
        self.expires_at = expires_at  # epoch seconds, UTC
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.registration_expires_at = registration_expires_at
        self.start_url = start_url
        self.region = region

    @property
    def refreshable(self) -> bool:
        """True if the file holds everything botocore's refresh needs (expiry not checked)."""
        return bool(
            self.refresh_token
            and self.client_id
            and self.client_secret
            and self.registration_expires_at is not None
        )

    def __repr__(self) -> str:
        return (
            f"Token(start_url={self.start_url!r}, region={self.region!r}, "
            f"expires_at={self.expires_at}, "
            f"refresh_token={'<set>' if self.refresh_token else None}, "
            f"registration_expires_at={self.registration_expires_at})"
        )


def _token_from(data: Mapping[str, object] | None, sess: SsoSession) -> Token | None:
    from awsenv import timefmt

    if data is None:
        return None
    access_token = _text(data.get("accessToken"))
    expires_at = timefmt.parse_timestamp(data.get("expiresAt"))
    if access_token is None or expires_at is None:
        return None
    return Token(
        access_token=access_token,
        expires_at=expires_at,
        refresh_token=_text(data.get("refreshToken")),
        client_id=_text(data.get("clientId")),
        client_secret=_text(data.get("clientSecret")),
        registration_expires_at=timefmt.parse_timestamp(data.get("registrationExpiresAt")),
        start_url=_text(data.get("startUrl")) or sess.start_url,
        region=_text(data.get("region")) or sess.region,
    )


def load_token(environ: Mapping[str, str], sess: SsoSession) -> Token | None:
    """Return the cached token, or None if the file is missing, torn or lacks a usable token.

    A usable token has a non-empty ``accessToken`` and a parseable ``expiresAt``; an expired
    one is still returned (check ``expires_at``).
    """
    return _token_from(cache.read_json(token_path(environ, sess)), sess)


def save_token(environ: Mapping[str, str], sess: SsoSession, token: Token) -> None:
    """Write the token file as ``aws sso login`` and botocore's refresh do.

    Same keys, order and time format; ``startUrl``/``region`` from the config; ``refreshToken``
    only if there is one.
    """
    from awsenv import timefmt

    data: dict[str, object] = {
        "startUrl": sess.start_url,
        "region": sess.region,
        "accessToken": token.access_token,
        "expiresAt": timefmt.format_z(token.expires_at),
    }
    if token.client_id is not None:
        data["clientId"] = token.client_id
    if token.client_secret is not None:
        data["clientSecret"] = token.client_secret
    if token.registration_expires_at is not None:
        data["registrationExpiresAt"] = timefmt.format_z(token.registration_expires_at)
    if token.refresh_token:
        data["refreshToken"] = token.refresh_token
    cache.write_json(token_path(environ, sess), data)


def remove_token(environ: Mapping[str, str], sess: SsoSession) -> bool:
    """Delete the session's token file; False if there was none."""
    return cache.remove(token_path(environ, sess))


# --- token status (hot path) -----------------------------------------------------------------


class TokenStatus:
    """What ``awsenv use`` and ``list`` need to know about a cached token, without its secrets."""

    __slots__ = ("expires_at", "refreshable", "registration_expires_at")

    def __init__(
        self, expires_at: int, refreshable: bool, registration_expires_at: int | None = None
    ) -> None:
        self.expires_at = expires_at
        self.refreshable = refreshable  # botocore could refresh it now (see token_status)
        self.registration_expires_at = registration_expires_at

    def __repr__(self) -> str:
        return f"TokenStatus(expires_at={self.expires_at}, refreshable={self.refreshable})"


def _summary(path: str, sess: SsoSession) -> tuple[int, bool, int | None] | None:
    """Parse the token file: (expires_at, has refresh fields, registration expiry) or None."""
    token = _token_from(cache.read_json(path), sess)
    if token is None:
        return None
    return token.expires_at, token.refreshable, token.registration_expires_at


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _well_formed(summary: object) -> TypeGuard[tuple[int, bool, int | None]]:
    """True for what :func:`_summary` returns (a memo written by anything else is not)."""
    return (
        isinstance(summary, tuple)
        and len(summary) == 3
        and _whole(summary[0])
        and isinstance(summary[1], bool)
        and (summary[2] is None or _whole(summary[2]))
    )


def token_status(
    environ: Mapping[str, str], sess: SsoSession, *, now: float | None = None
) -> TokenStatus | None:
    """Return the cached token's expiry and whether botocore could refresh it (None: no token).

    Cheap: an unchanged file is answered from a memo without importing ``json``.

    ``refreshable`` means: an sso-session config, a file with ``refreshToken``, ``clientId``,
    ``clientSecret`` and ``registrationExpiresAt``, and a registration that has not expired
    (botocore ``SSOTokenProvider._refresh_access_token``).
    """
    path = token_path(environ, sess)
    summary = cache.memoized_summary(environ, path, "sso-status", lambda p: _summary(p, sess))
    if summary is not None and not _well_formed(summary):
        summary = _summary(path, sess)  # a memo of another shape: ask the file itself
    if summary is None:
        return None
    expires_at, has_refresh_fields, registration_expires_at = summary
    current = time.time() if now is None else now
    refreshable = bool(
        sess.refreshable
        and has_refresh_fields
        and registration_expires_at is not None
        and registration_expires_at > current
    )
    registration = int(registration_expires_at) if registration_expires_at is not None else None
    return TokenStatus(int(expires_at), refreshable, registration)


def usable_until(environ: Mapping[str, str], sess: SsoSession, now: float) -> int | None:
    """Return the cached token's expiry if ``use`` can take it as is, without a login or refresh.

    Valid for more than the refresh window; or, when it cannot be refreshed, valid at all (used
    while it lasts, as botocore does). Cheap: answered from the memo of :func:`token_status`.
    """
    status = token_status(environ, sess, now=now)
    if status is None:
        return None
    if status.expires_at - now > REFRESH_WINDOW:
        return status.expires_at
    if not status.refreshable and status.expires_at > now:
        return status.expires_at
    return None


# --- how long a session can renew itself (the prompt's second clock) --------------------------

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def session_duration(settings: Mapping[str, object]) -> int | None:
    """Return ``awsenv_session_duration`` of an ``[sso-session]`` in seconds (``12h``, ``90m``).

    IAM Identity Center ends a session this long after the browser sign-in (an administrator
    sets it, 8 hours by default) and does not tell clients; without the setting awsenv knows
    no end at all (the client registration's says nothing about the session).
    """
    raw = settings.get("awsenv_session_duration")
    if not isinstance(raw, str):
        return None
    text = raw.strip().lower()
    unit = _DURATION_UNITS.get(text[-1:], 0)
    number = text[:-1] if unit else text
    if not number.isdigit() or not number.isascii():
        return None
    return int(number) * (unit or 1)


def login_record_path(environ: Mapping[str, str], sess: SsoSession) -> str:
    """Return awsenv's note of when the session's last browser sign-in happened."""
    name = os.path.basename(token_path(environ, sess))
    return os.path.join(paths.cache_dir(environ), "sso-logins", name[:-5] + ".txt")


def record_login(environ: Mapping[str, str], sess: SsoSession, when: int) -> None:
    """Note the time of a browser (or device-code) sign-in; a failure only loses the estimate."""
    import contextlib

    with contextlib.suppress(AwsenvError):
        cache.write_bytes(login_record_path(environ, sess), str(int(when)).encode("ascii"))


def last_login(environ: Mapping[str, str], sess: SsoSession) -> int | None:
    """Return when awsenv last signed in to the session in a browser, if it did."""
    data = cache.read_bytes(login_record_path(environ, sess), limit=32)
    text = data.decode("ascii", "replace").strip() if data else ""
    return int(text) if text.isdigit() and text.isascii() else None


def renewable_until(
    environ: Mapping[str, str], sess: SsoSession, settings: Mapping[str, object], now: float
) -> int | str | None:
    """Return until when the session renews its token with no browser, or None if it cannot.

    With ``awsenv_session_duration`` and a sign-in awsenv did, that long after it (never past
    the client registration's end, which a refresh needs). Otherwise ``exports.SESSION``: it
    renews while the Identity Center session lasts, and no client can know until when; the
    registration's end (90 days) is not the session's and is never given as one.
    """
    from awsenv import exports

    status = token_status(environ, sess, now=now)
    if status is None or not status.refreshable or status.registration_expires_at is None:
        return None
    duration = session_duration(settings)
    signed_in = last_login(environ, sess) if duration is not None else None
    if duration is None or signed_in is None:
        return exports.SESSION
    bound = min(status.registration_expires_at, signed_in + duration)
    return bound if bound > now else None


# --- client registrations --------------------------------------------------------------------


class Registration:
    """An OIDC client registration as the CLI caches it; ``repr`` never shows the secret."""

    __slots__ = ("client_id", "client_secret", "expires_at", "grant_types", "scopes")

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        expires_at: int,
        scopes: Sequence[str] | None = None,
        grant_types: Sequence[str] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_at = expires_at  # epoch seconds (clientSecretExpiresAt)
        self.scopes = list(scopes) if scopes is not None else None
        self.grant_types = list(grant_types) if grant_types is not None else None

    @property
    def for_auth_code(self) -> bool:
        """True for a PKCE registration (CLI ``_is_registration_for_auth_code``)."""
        return self.grant_types is not None and AUTH_CODE_GRANT in self.grant_types

    def __repr__(self) -> str:
        return (
            f"Registration(client_id={self.client_id[:6]}..., expires_at={self.expires_at}, "
            f"scopes={self.scopes!r}, grant_types={self.grant_types!r})"
        )


def _strings(value: object) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def load_registration(
    environ: Mapping[str, str], sess: SsoSession, *, pkce: bool, now: float | None = None
) -> Registration | None:
    """Return the cached registration if the CLI would reuse it for this flow, else None.

    Not reused: missing or torn file, less than 15 minutes left, or the wrong kind (the device
    flow refuses one whose ``grantTypes`` has ``authorization_code``; PKCE refuses one without).
    """
    from awsenv import timefmt

    data = cache.read_json(registration_path(environ, sess))
    if data is None:
        return None
    client_id = _text(data.get("clientId"))
    client_secret = _text(data.get("clientSecret"))
    expires_at = timefmt.parse_timestamp(data.get("expiresAt"))
    if client_id is None or client_secret is None or expires_at is None:
        return None
    current = time.time() if now is None else now
    if expires_at - current < REGISTRATION_REUSE_WINDOW:
        return None
    registration = Registration(
        client_id=client_id,
        client_secret=client_secret,
        expires_at=expires_at,
        scopes=_strings(data.get("scopes")),
        grant_types=_strings(data.get("grantTypes")),
    )
    return registration if registration.for_auth_code == pkce else None


def save_registration(environ: Mapping[str, str], sess: SsoSession, reg: Registration) -> None:
    """Write the registration as the CLI does.

    ``clientId``, ``clientSecret``, ``expiresAt``, then ``scopes`` when any were sent and
    ``grantTypes`` for a PKCE registration.
    """
    from awsenv import timefmt

    data: dict[str, object] = {
        "clientId": reg.client_id,
        "clientSecret": reg.client_secret,
        "expiresAt": timefmt.format_z(reg.expires_at),
    }
    if reg.scopes:
        data["scopes"] = list(reg.scopes)
    if reg.grant_types:
        data["grantTypes"] = list(reg.grant_types)
    cache.write_json(registration_path(environ, sess), data)


# --- role credentials (~/.aws/cli/cache) -----------------------------------------------------


def role_credentials_path(
    environ: Mapping[str, str], sess: SsoSession, account_id: str, role_name: str
) -> str:
    """Return the file ``SSOCredentialFetcher`` caches this role's credentials in."""
    import json

    args = {"roleName": role_name, "accountId": account_id}
    if sess.name:  # botocore tests truthiness: an empty session name falls back to the URL
        args["sessionName"] = sess.name
    else:
        args["startUrl"] = sess.start_url
    text = json.dumps(args, sort_keys=True, separators=(",", ":"))
    return os.path.join(cli_cache_dir(environ), _sha1_hex(text) + ".json")


def load_role_credentials(
    environ: Mapping[str, str],
    sess: SsoSession,
    account_id: str,
    role_name: str,
    *,
    now: int | None = None,
) -> Keys | None:
    """Return cached role credentials if at least 15 minutes remain (botocore's rule), else None.

    Reads entries botocore wrote with either time form (``…Z`` or the default ``…UTC``).
    """
    # The same {"Credentials": {...}} entry the assume-role cache holds: one codec for both.
    from awsenv.providers import entry

    return entry.load(role_credentials_path(environ, sess, account_id, role_name), now=now)


def save_role_credentials(
    environ: Mapping[str, str], sess: SsoSession, account_id: str, role_name: str, keys: Keys
) -> None:
    """Write role credentials where and as ``SSOCredentialFetcher`` would (``…Z`` expiry)."""
    from awsenv.providers import entry

    path = role_credentials_path(environ, sess, account_id, role_name)
    entry.save(path, keys, "sso", account_id=account_id)


def remove_sso_role_credentials(environ: Mapping[str, str]) -> int:
    """Delete every ``ProviderType: sso`` entry in ``~/.aws/cli/cache``; return how many.

    The file names are hashes, so which session an entry belongs to cannot be told: like
    ``aws sso logout`` (``SSOCredentialSweeper``), this removes all of them.
    """
    directory = cli_cache_dir(environ)
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    removed = 0
    for name in names:
        if name.endswith(cache.TEMP_SUFFIX):
            continue
        path = os.path.join(directory, name)
        data = cache.read_json(path)
        if data is not None and data.get("ProviderType") == "sso" and cache.remove(path):
            removed += 1
    return removed


# --- logout: every copy of a session's secrets ----------------------------------------------

_BOTOCORE_TEMP_PREFIX = "tmp"  # tempfile.mkstemp(dir=..., suffix=".tmp") in JSONFileCache


class Forgotten:
    """What :func:`forget_token` removed for one session."""

    __slots__ = ("copies", "removed", "unreadable")

    def __init__(self, removed: bool, unreadable: bool, copies: int) -> None:
        self.removed = removed  # the token file was deleted
        self.unreadable = unreadable  # ... and it could not be read as a token (torn, foreign)
        self.copies = copies  # leftover temporary or torn copies of its secrets deleted

    def __repr__(self) -> str:
        return (
            f"Forgotten(removed={self.removed}, unreadable={self.unreadable}, copies={self.copies})"
        )


def _secrets_in(data: bytes) -> set[bytes]:
    """Return the complete ``accessToken``/``refreshToken`` string values in (torn) JSON bytes."""
    import re

    pattern = rb'"(?:accessToken|refreshToken)"\s*:\s*"((?:[^"\\]|\\.){8,})"'
    return set(re.findall(pattern, data))


def forget_token(
    environ: Mapping[str, str], sess: SsoSession, token: Token | None = None
) -> Forgotten:
    """Delete the session's token file, readable or not, and the copies of its secrets.

    For ``awsenv logout``: a torn or foreign file at the session's name is deleted too (it may
    hold a token). Copies are awsenv's temporary files of the token file (whoever wrote them)
    and, in ``~/.aws/sso/cache``, botocore's temporary files and unreadable ``.json`` files that
    hold the token's access or refresh token (taken from ``token`` and from the file's bytes,
    torn or not). Files that are readable tokens of other sessions are never touched. Never
    raises for what a file holds; CacheError if the token file cannot be deleted.
    """
    path = token_path(environ, sess)
    directory, name = os.path.split(path)
    known: set[bytes] = set()
    if token is not None:
        for value in (token.access_token, token.refresh_token):
            if value:
                known.add(value.encode("utf-8", "surrogatepass"))
    raw = cache.read_bytes(path, require_owner=False)
    if raw:
        known |= _secrets_in(raw)
    unreadable = token is None and os.path.lexists(path)
    removed = cache.remove(path) if not os.path.isdir(path) or os.path.islink(path) else False
    copies = cache.remove_stale_temps(directory, name, every=True)
    if known:
        copies += _remove_copies(directory, known)
    return Forgotten(removed, unreadable and removed, copies)


def _remove_copies(directory: str, known: set[bytes]) -> int:
    """Delete leftover (temporary or unreadable) files in ``directory`` that hold a secret."""
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    removed = 0
    for entry in names:
        temp = entry.endswith(cache.TEMP_SUFFIX) and (
            entry.startswith(_BOTOCORE_TEMP_PREFIX) or cache.temp_owner(entry) is not None
        )
        if not temp and not entry.endswith(".json"):
            continue
        path = os.path.join(directory, entry)
        data = cache.read_bytes(path, require_owner=False)
        if not data or not any(secret in data for secret in known):
            continue
        if not temp and cache.loads_object(data) is not None:
            continue  # a readable file is some tool's live entry, not a leftover copy
        try:
            if cache.remove(path):
                removed += 1
        except AwsenvError:
            continue
    return removed


def unreadable_cache_files(directory: str) -> list[str]:
    """Return the ``.json`` files in ``directory`` that cannot be read as JSON objects."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [
        os.path.join(directory, name)
        for name in names
        if name.endswith(".json") and cache.read_json(os.path.join(directory, name)) is None
    ]
