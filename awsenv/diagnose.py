"""What explain and doctor know: how a profile resolves, the caches it reads, what goes wrong.

Pure analysis: these functions read the config files, the cache files and the environment they
are given, and return data (frozen dataclasses with ``to_json``). They never log in, never make a
network call, never import boto3/botocore and never write anything; the commands render the data
and only ``doctor --fix`` (``configfix``) changes a file. No secret value ever enters the data:
static keys, tokens and client secrets appear as presence only, an access key id as its last
four characters at most.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from awsenv import cache, config, exports, paths, profiles, timefmt
from awsenv.errors import ConfigError, ProfileNotFound
from awsenv.sso import tokens

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from awsenv.config import Parsed, Section

SCHEMA = 1  # bumped when the JSON shape of explain or doctor changes incompatibly

ERROR = "error"  # `use` (or every SDK) fails because of it
WARNING = "warning"  # works now, but badly or not for long

# Problem ids: stable, documented in the README; tests refer to them by these names.
CONFIG_UNPARSABLE = "config-unparsable"
MISSING_SOURCE_PROFILE = "missing-source-profile"
MISSING_SSO_SESSION = "missing-sso-session"
SOURCE_PROFILE_CYCLE = "source-profile-cycle"
INVALID_PROFILE = "invalid-profile"
LEGACY_SSO = "legacy-sso"
MISSING_TOKEN_FILE = "missing-web-identity-token-file"
WRONG_FILE_MODE = "wrong-file-mode"
TORN_CACHE_FILE = "torn-cache-file"
UNREADABLE_CACHE_FILE = "unreadable-cache-file"
ENV_CREDENTIALS = "env-credentials"
ENV_DEFAULT_PROFILE = "env-default-profile"
ENV_UNKNOWN_PROFILE = "env-unknown-profile"
NO_SHELL_WRAPPER = "no-shell-wrapper"
PROBLEM_IDS = (
    CONFIG_UNPARSABLE,
    MISSING_SOURCE_PROFILE,
    MISSING_SSO_SESSION,
    SOURCE_PROFILE_CYCLE,
    INVALID_PROFILE,
    LEGACY_SSO,
    MISSING_TOKEN_FILE,
    WRONG_FILE_MODE,
    TORN_CACHE_FILE,
    UNREADABLE_CACHE_FILE,
    ENV_CREDENTIALS,
    ENV_DEFAULT_PROFILE,
    ENV_UNKNOWN_PROFILE,
    NO_SHELL_WRAPPER,
)

# Cache-file states.
MISSING = "missing"
VALID = "valid"  # usable as is
EXPIRING = "expiring"  # present but inside the window where it is refreshed or not reused
EXPIRED = "expired"
TORN = "torn"  # empty or not a JSON object: botocore raises on it instead of missing it
INCOMPLETE = "incomplete"  # JSON, but lacks what a reader needs
UNREADABLE = "unreadable"

# What `use` does for each step of getting credentials (Step.action).
USE_CACHE = "use-cache"
REFRESH = "refresh"
PKCE = "pkce"
DEVICE_CODE = "device-code"
MFA_PROMPT = "mfa-prompt"
OKTA_DEVICE = "okta-device"
OKTA_REFRESH = "okta-refresh"
ASSUME_ROLE = "assume-role"
ASSUME_ROLE_WEB_IDENTITY = "assume-role-with-web-identity"
ASSUME_ROLE_SAML = "assume-role-with-saml"
READ_SAML_FILE = "read-saml-file"
RUN_PROCESS = "run-process"
FROM_ENVIRONMENT = "environment"
FROM_INSTANCE = "instance-metadata"
FROM_CONTAINER = "container"
SDK = "sdk"
NOTHING = "none"
INTERACTIVE = frozenset({PKCE, DEVICE_CODE, MFA_PROMPT, OKTA_DEVICE})

DEFAULT_SCOPES = "sso:account:access"
_OKTA_WINDOW = 120  # okta.REFRESH_WINDOW, without importing the Okta client for a number
_LOGIN_WINDOW = 5 * 60  # botocore's login provider refreshes under 5 minutes (protocols §5.4)
_SSO_KEYS = ("sso_start_url", "sso_region", "sso_account_id", "sso_role_name")


def _text(section: Mapping[str, object], key: str) -> str | None:
    value = section.get(key)
    return value if isinstance(value, str) else None


def iso(epoch: int | None) -> str | None:
    """Return ``epoch`` as ``YYYY-MM-DDTHH:MM:SSZ`` (None stays None)."""
    return timefmt.format_z(epoch) if epoch is not None else None


def key_hint(access_key_id: str | None) -> str:
    """Show an access key id as its last four characters, never more."""
    if not access_key_id:
        return "empty"
    return "..." + access_key_id[-4:] if len(access_key_id) > 8 else "(short)"


# --- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong, with a stable id and a one-line message naming where."""

    id: str
    severity: str
    message: str
    profile: str | None = None
    path: str | None = None
    hint: str | None = None
    fixable: bool = False
    fixed: bool = False
    chmod: int | None = None  # wrong-file-mode: the mode --fix gives the file

    @property
    def key(self) -> tuple[str, str | None, str | None, str]:
        """Identity for de-duplication (the same problem seen from two profiles)."""
        return self.id, self.profile, self.path, self.message

    def to_json(self) -> dict[str, object]:
        """Return the documented JSON object."""
        return {
            "id": self.id,
            "severity": self.severity,
            "message": self.message,
            "profile": self.profile,
            "path": self.path,
            "hint": self.hint,
            "fixable": self.fixable,
            "fixed": self.fixed,
        }


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
        }


@dataclass(frozen=True)
class Hop:
    """One profile of a ``source_profile`` chain (the last one is where credentials start)."""

    profile: str
    kind: str
    defined_at: str | None
    role_arn: str | None = None
    mfa_serial: str | None = None
    source: str | None = None  # how this hop gets its signing credentials
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Return the documented JSON object."""
        return {
            "profile": self.profile,
            "kind": self.kind,
            "defined_at": self.defined_at,
            "role_arn": self.role_arn,
            "mfa_serial": self.mfa_serial,
            "source": self.source,
            "notes": list(self.notes),
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


@dataclass(frozen=True)
class Step:
    """One thing ``use`` would do to get credentials, and why."""

    profile: str
    action: str
    reason: str

    @property
    def interactive(self) -> bool:
        """True if the step needs the user (a browser, a code, an MFA code)."""
        return self.action in INTERACTIVE

    def to_json(self) -> dict[str, object]:
        """Return the documented JSON object."""
        return {
            "profile": self.profile,
            "action": self.action,
            "interactive": self.interactive,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Exports:
    """What ``use`` would export, what it would clear, and why."""

    mode: str  # "profile" (AWS_PROFILE) or "keys"
    set: tuple[str, ...]
    clears: tuple[str, ...]  # variables set in this environment that use would remove
    region: str | None
    reason: str
    shell_function: bool  # the awsenv shell function is loaded (use can change this shell)

    def to_json(self) -> dict[str, object]:
        """Return the documented JSON object."""
        return {
            "mode": self.mode,
            "set": list(self.set),
            "clears": list(self.clears),
            "region": self.region,
            "reason": self.reason,
            "shell_function": self.shell_function,
        }


@dataclass(frozen=True)
class Explanation:
    """Everything ``awsenv explain PROFILE`` shows."""

    profile: str
    kind: str
    defined_at: str | None
    account: str | None
    role: str | None
    region: str | None
    chain: tuple[Hop, ...]
    sso: SsoInfo | None
    caches: tuple[CacheFile, ...]
    steps: tuple[Step, ...]
    exports: Exports
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True if nothing in the chain stops ``use`` (warnings allowed)."""
        return not any(p.severity == ERROR for p in self.problems)

    @property
    def login_flow(self) -> str | None:
        """The interactive step ``use`` would run (pkce, device-code, mfa-prompt, okta-device)."""
        return next((s.action for s in self.steps if s.interactive), None)

    def to_json(self, now: float) -> dict[str, object]:
        """Return the documented JSON object."""
        return {
            "schema": SCHEMA,
            "profile": self.profile,
            "kind": self.kind,
            "defined_at": self.defined_at,
            "account": self.account,
            "role": self.role,
            "region": self.region,
            "ok": self.ok,
            "chain": [hop.to_json() for hop in self.chain],
            "sso": self.sso.to_json() if self.sso is not None else None,
            "caches": [c.to_json(now) for c in self.caches],
            "login": {
                "flow": self.login_flow,
                "interactive": self.login_flow is not None,
                "steps": [s.to_json() for s in self.steps],
            },
            "exports": self.exports.to_json(),
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(frozen=True, eq=False)
class Files:
    """The two config files as botocore reads them, or the error that stops botocore."""

    config_path: str
    credentials_path: str
    parsed: Parsed | None
    error: ConfigError | None = None

    def profile(self, name: str) -> Section | None:
        """Return the merged profile (with secrets: never print its values), or None."""
        return self.parsed.profiles.get(name) if self.parsed is not None else None

    def names(self) -> list[str]:
        """Return every profile name, config file first, in file order."""
        return list(self.parsed.profiles) if self.parsed is not None else []

    def sso_session(self, name: str) -> Section | None:
        """Return the ``[sso-session NAME]`` section, or None."""
        return self.parsed.sso_sessions.get(name) if self.parsed is not None else None

    def origin(self, name: str) -> str | None:
        """Return ``path:line`` of the section that defines the profile."""
        return self.parsed.origins.get(name) if self.parsed is not None else None


def load_files(environ: Mapping[str, str]) -> Files:
    """Parse the config and credentials files (no index is written; nothing raises)."""
    config_path = paths.config_file(environ)
    credentials_path = paths.credentials_file(environ)
    try:
        parsed = config.parse(config_path, credentials_path)
    except ConfigError as exc:
        return Files(config_path, credentials_path, None, exc)
    return Files(config_path, credentials_path, parsed)


# --- cache files -----------------------------------------------------------------------------


def _read_object(path: str) -> tuple[str, dict[str, object] | None, str | None]:
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
    state, data, detail = _read_object(path)
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
    _state, data, _detail = _read_object(path)
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
    from awsenv.providers.rolecache import keys_from_entry

    state, data, detail = _read_object(path)
    if data is None:
        return CacheFile(what, path, profile, state, detail=detail)
    keys = keys_from_entry(data)
    if keys is None or keys.expiration is None:
        return CacheFile(what, path, profile, INCOMPLETE, detail="no usable Credentials object")
    return CacheFile(what, path, profile, _timed(keys.expiration, now, window), keys.expiration)


def read_okta_tokens(path: str, profile: str | None, now: float) -> CacheFile:
    """Describe awsenv's Okta token cache file."""
    state, data, detail = _read_object(path)
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
    state, data, detail = _read_object(path)
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


# --- profiles --------------------------------------------------------------------------------


def _problem(
    id_: str,
    message: str,
    *,
    profile: str | None = None,
    path: str | None = None,
    hint: str,
    severity: str = ERROR,
) -> Problem:
    return Problem(id_, severity, message, profile=profile, path=path, hint=hint)


def _where(files: Files, name: str) -> str:
    origin = files.origin(name)
    return f" ({origin})" if origin else ""


def session_problems(files: Files, name: str, section: Section) -> list[Problem]:
    """Check a profile's ``sso_session`` reference as botocore would."""
    session_name = _text(section, "sso_session")
    if session_name is None:
        return []
    session = files.sso_session(session_name)
    if session is None:
        known = ", ".join(sorted(files.parsed.sso_sessions)) if files.parsed else ""
        return [
            _problem(
                MISSING_SSO_SESSION,
                f"profile {name!r} names sso_session {session_name!r}, but there is no "
                f"[sso-session {session_name}] in {files.config_path}",
                profile=name,
                path=files.config_path,
                hint=(f"sessions there: {known}; " if known else "")
                + "fix the name or add the section (aws configure sso-session)",
            )
        ]
    found = []
    for key, value in session.items():
        if key in section and section[key] != value:
            found.append(
                _problem(
                    INVALID_PROFILE,
                    f"profile {name!r} sets {key} differently from [sso-session {session_name}]"
                    " (botocore refuses the profile)",
                    profile=name,
                    hint="keep the key in one place",
                )
            )
    missing = [k for k in ("sso_start_url", "sso_region") if k not in session and k not in section]
    if missing:
        found.append(
            _problem(
                INVALID_PROFILE,
                f"[sso-session {session_name}] (used by profile {name!r}) lacks "
                + ", ".join(missing),
                profile=name,
                path=files.config_path,
                hint=f"add {' and '.join(missing)} to [sso-session {session_name}]",
            )
        )
    return found


def profile_problems(files: Files, name: str, section: Section) -> list[Problem]:
    """Return what is wrong with one profile's own keys (not with the profiles it names)."""
    kind = profiles.classify(section)
    found: list[Problem] = []

    def invalid(what: str, hint: str) -> None:
        found.append(_problem(INVALID_PROFILE, f"profile {name!r} {what}", profile=name, hint=hint))

    if kind in (profiles.SAML, profiles.OKTA) and "role_arn" in section:
        invalid(
            "has role_arn, which makes botocore treat it as an AssumeRole profile and fail",
            "rename the key to saml_role_arn",
        )
    if kind == profiles.STATIC and not (
        "aws_access_key_id" in section and "aws_secret_access_key" in section
    ):
        missing = "aws_secret_access_key" if "aws_access_key_id" in section else "aws_access_key_id"
        invalid(
            f"has static keys but no {missing}",
            f"add {missing} (botocore raises PartialCredentialsError without it)",
        )
    if kind == profiles.WEB_IDENTITY:
        if "role_arn" not in section:
            invalid(
                "has web_identity_token_file but no role_arn",
                "add role_arn: the role the token is exchanged for",
            )
        token_file = _text(section, "web_identity_token_file") or ""
        if not os.path.isfile(token_file):
            found.append(
                _problem(
                    MISSING_TOKEN_FILE,
                    f"profile {name!r}: web_identity_token_file {token_file!r} does not exist",
                    profile=name,
                    path=token_file,
                    hint="botocore reads the token from this file on every call: fix the "
                    "path, or run where the platform writes it",
                )
            )
    if kind == profiles.OKTA:
        from awsenv import okta
        from awsenv.errors import InvalidProfile

        settings = {k: v for k, v in section.items() if isinstance(v, str)}
        try:
            okta.org_base_url(settings, profile=name)
        except InvalidProfile as exc:
            found.append(
                _problem(
                    INVALID_PROFILE,
                    exc.message,
                    profile=name,
                    hint=exc.hint or "see okta-aws-cli's okta_org_domain setting",
                )
            )
        for key in ("okta_oidc_client_id", "okta_aws_acct_fed_app_id"):
            if not settings.get(key, "").strip():
                invalid(f"has no {key}", "okta-aws-cli's settings name it")
    if kind == profiles.SSO:
        missing_keys = [k for k in ("sso_account_id", "sso_role_name") if k not in section]
        if "sso_session" not in section:
            missing_keys += [k for k in ("sso_start_url", "sso_region") if k not in section]
        if missing_keys:
            invalid(
                "is an SSO profile but lacks " + ", ".join(missing_keys),
                "add them (aws configure sso writes a complete profile)",
            )
    found += session_problems(files, name, section)
    if "sso_session" not in section and "sso_start_url" in section:
        found.append(
            _problem(
                LEGACY_SSO,
                f"profile {name!r}{_where(files, name)} is a legacy SSO profile (sso_start_url "
                "without sso_session): its token can never be refreshed, so it needs a new "
                "login each time the token expires",
                profile=name,
                path=files.config_path,
                hint="move sso_start_url and sso_region into an [sso-session] section "
                "('awsenv doctor' shows the change as a diff, 'awsenv doctor --fix' writes it)",
                severity=WARNING,
            )
        )
    if kind == profiles.ASSUME_ROLE:
        found += _role_source_problems(files, name, section)
    return found


def _role_source_problems(files: Files, name: str, section: Section) -> list[Problem]:
    source = _text(section, "source_profile")
    credential_source = _text(section, "credential_source")
    if source is not None and credential_source is not None:
        return [
            _problem(
                INVALID_PROFILE,
                f"profile {name!r} has both source_profile and credential_source",
                profile=name,
                hint="keep one of them",
            )
        ]
    if source is None and credential_source is None:
        return [
            _problem(
                INVALID_PROFILE,
                f"profile {name!r} has role_arn but neither source_profile nor credential_source",
                profile=name,
                hint="add source_profile = <a profile with credentials>, or credential_source",
            )
        ]
    if credential_source is not None and credential_source not in profiles.CREDENTIAL_SOURCES:
        return [
            _problem(
                INVALID_PROFILE,
                f"profile {name!r}: credential_source {credential_source!r} is not valid",
                profile=name,
                hint="use " + ", ".join(profiles.CREDENTIAL_SOURCES),
            )
        ]
    if source is not None and files.profile(source) is None:
        close = profiles.suggestions(source, files.names())
        return [
            _problem(
                MISSING_SOURCE_PROFILE,
                f"profile {name!r}{_where(files, name)} names source_profile {source!r}, "
                "which does not exist",
                profile=name,
                hint=("did you mean " + " or ".join(repr(c) for c in close) + "?")
                if close
                else "'awsenv list' shows every profile",
            )
        ]
    return []


@dataclass
class _Walk:
    nodes: list[tuple[str, str, Section]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _cycle_problem(files: Files, loop: list[str]) -> Problem:
    """Describe a cycle starting from its member that comes first in the files (stable text)."""
    members = loop[:-1]
    order = {n: i for i, n in enumerate(files.names())}
    start = min(range(len(members)), key=lambda i: order.get(members[i], len(order)))
    rotated = members[start:] + members[:start]
    shown = " -> ".join(repr(p) for p in [*rotated, rotated[0]])
    return _problem(
        SOURCE_PROFILE_CYCLE,
        f"source_profile cycle: {shown}",
        profile=rotated[0],
        hint="one profile of the cycle must get credentials another way (keys, SSO, a process)",
    )


def walk(files: Files, name: str) -> _Walk:
    """Follow ``source_profile`` from ``name`` as botocore does, collecting problems on the way.

    Unlike ``profiles.resolve`` this never raises: it stops where the chain breaks and says why.
    """
    section = files.profile(name) or {}
    result = _Walk([(name, profiles.classify(section), section)])
    result.problems += profile_problems(files, name, section)
    if profiles.classify(section) != profiles.ASSUME_ROLE:
        return result
    visited = [name]
    current_name, current = name, section
    while True:
        source = _text(current, "source_profile")
        credential_source = _text(current, "credential_source")
        if (source is None) == (credential_source is None):
            return result  # both or neither: reported by profile_problems
        if credential_source is not None:
            result.nodes.append((f"<{credential_source}>", credential_source, {}))
            return result
        assert source is not None  # noqa: S101 - narrowed above
        source_section = files.profile(source)
        if source_section is None:
            return result  # missing-source-profile, reported for current_name
        static_self = source == current_name and profiles.has_static_keys(source_section)
        if source in visited and not static_self:
            loop = [*visited[visited.index(source) :], source]
            result.problems.append(_cycle_problem(files, loop))
            return result
        visited.append(source)
        if source != current_name:
            result.problems += profile_problems(files, source, source_section)
        if profiles.has_static_keys(source_section) or not profiles.is_assume_role(source_section):
            if profiles.has_static_keys(source_section):
                source_kind = profiles.STATIC
            else:
                source_kind = profiles.classify(source_section)
            if source_kind == profiles.NONE:
                result.problems.append(
                    _problem(
                        INVALID_PROFILE,
                        f"profile {source!r} is the source_profile of {current_name!r} but holds "
                        "no credentials",
                        profile=source,
                        hint=f"give {source!r} credentials, or point source_profile elsewhere",
                    )
                )
            result.nodes.append((source, source_kind, source_section))
            return result
        result.nodes.append((source, profiles.ASSUME_ROLE, source_section))
        current_name, current = source, source_section


def _program(command: str) -> str:
    """Return the program a ``credential_process`` runs (its arguments may hold secrets)."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return words[0] if words else ""


def _hop(files: Files, name: str, kind: str, section: Section, source: str | None) -> Hop:
    notes: list[str] = []
    role_arn = _text(section, "role_arn")
    mfa_serial = _text(section, "mfa_serial") if kind == profiles.ASSUME_ROLE else None
    if kind == profiles.ASSUME_ROLE:
        if "external_id" in section:
            notes.append("external_id set")
        if _text(section, "role_session_name"):
            notes.append(f"role_session_name {_text(section, 'role_session_name')}")
        if _text(section, "duration_seconds"):
            notes.append(f"duration_seconds {_text(section, 'duration_seconds')}")
    elif kind == profiles.STATIC:
        shown = key_hint(_text(section, "aws_access_key_id"))
        notes.append(f"static keys present (access key id {shown})")
        if "aws_session_token" in section or "aws_security_token" in section:
            notes.append("session token present")
    elif kind == profiles.SSO:
        session = _text(section, "sso_session")
        notes.append(f"sso-session {session}" if session else "legacy SSO (no sso-session)")
        account, role = _text(section, "sso_account_id"), _text(section, "sso_role_name")
        notes.append(f"account {account or '?'}, role {role or '?'}")
    elif kind == profiles.WEB_IDENTITY:
        token_file = _text(section, "web_identity_token_file") or ""
        present = "present" if os.path.isfile(token_file) else "missing"
        notes.append(f"web_identity_token_file {token_file} ({present})")
    elif kind == profiles.PROCESS:
        notes.append(
            f"credential_process runs {_program(_text(section, 'credential_process') or '')}"
            " (arguments not shown)"
        )
    elif kind == profiles.SAML:
        assertion = _text(section, "saml_assertion_file") or ""
        present = "present" if os.path.isfile(os.path.expanduser(assertion)) else "missing"
        notes.append(f"saml_assertion_file {assertion} ({present})")
    elif kind == profiles.OKTA:
        org = _text(section, "okta_org_domain") or _text(section, "okta_org_url") or "?"
        notes.append(f"Okta org {org}")
        notes.append(f"OIDC client {_text(section, 'okta_oidc_client_id') or '?'}")
        notes.append(f"AWS federation app {_text(section, 'okta_aws_acct_fed_app_id') or '?'}")
    elif kind == profiles.LOGIN:
        notes.append(f"login_session {_text(section, 'login_session')}")
    elif kind in profiles.CREDENTIAL_SOURCES:
        notes.append(
            {
                "Environment": "keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                "Ec2InstanceMetadata": "the EC2 instance role (IMDS)",
                "EcsContainer": "the ECS/EKS container role",
            }[kind]
        )
    elif kind == profiles.NONE:
        notes.append("no credentials")
    if kind in (profiles.SAML, profiles.OKTA):
        preset = _text(section, "saml_role_arn")
        notes.append(f"saml_role_arn {preset}" if preset else "role picked from the assertion")
    return Hop(
        profile=name,
        kind=kind,
        defined_at=files.origin(name),
        role_arn=role_arn if kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY) else None,
        mfa_serial=mfa_serial,
        source=source,
        notes=tuple(notes),
    )


def sso_info(
    files: Files, environ: Mapping[str, str], name: str, section: Section, now: float
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


def _left(expires_at: int | None, now: float) -> str:
    from awsenv.ui import human_duration

    return human_duration(int(expires_at - now)) if expires_at is not None else "?"


def _sso_steps(files: Files, info: SsoInfo, environ: Mapping[str, str], now: float) -> list[Step]:
    """What ``use`` does about the SSO token: reuse, refresh, or which login and why."""
    from awsenv.sso import login

    token = info.token
    who = info.profile
    if token.state == VALID:
        return [
            Step(
                who,
                USE_CACHE,
                f"the cached SSO token is valid for {_left(token.expires_at, now)}; no login",
            )
        ]
    if token.state in (EXPIRING, EXPIRED) and info.refreshable:
        return [
            Step(
                who,
                REFRESH,
                "the cached token has under 15 minutes left and holds a refresh token: "
                "refreshed silently, no browser (a login only if the refresh is refused)",
            )
        ]
    if token.state == EXPIRING:
        return [
            Step(
                who,
                USE_CACHE,
                f"the cached token has {_left(token.expires_at, now)} left and cannot be "
                "refreshed: used as it is, then a new login",
            )
        ]
    why = {
        MISSING: "no SSO token is cached for this session",
        EXPIRED: "the cached token has expired and cannot be refreshed"
        + (" (legacy profile)" if info.legacy else " (no refresh token, or its client expired)"),
        TORN: "the cached token file is torn",
        INCOMPLETE: "the cached token file lacks a token",
        UNREADABLE: "the cached token file cannot be read",
    }.get(token.state, "no usable token")
    sess = tokens.SsoSession(info.session, info.start_url, info.region)
    settings: Mapping[str, object] = (
        (files.sso_session(info.session) or {}) if info.session is not None else {}
    )
    flow, reason = login.choose_flow(sess, settings, login.LoginOptions(), environ)
    configured = settings.get("awsenv_login_flow")
    if reason is None:
        if configured in (login.DEVICE, login.PKCE):
            reason = f"awsenv_login_flow = {configured} in [sso-session {info.session}]"
        elif info.legacy:
            reason = "a legacy profile logs in with a device code, as the AWS CLI does"
        else:
            reason = (
                "a browser sign-in with PKCE, as the AWS CLI v2 does "
                "(awsenv use --device-code asks for a device code instead)"
            )
    action = PKCE if flow == login.PKCE else DEVICE_CODE
    return [Step(who, action, f"{why}: {reason}")]


def _role_cache(
    environ: Mapping[str, str], name: str, section: Section, now: float
) -> CacheFile | None:
    from awsenv.providers import rolecache

    if _text(section, "role_arn") is None:
        return None
    path = rolecache.cache_path(environ, rolecache.assume_role_cache_key(section))
    return read_credentials_entry(
        path, "role-credentials", name, now, tokens.CREDENTIALS_REUSE_WINDOW
    )


def _root_steps(
    files: Files,
    environ: Mapping[str, str],
    node: tuple[str, str, Section],
    sso: SsoInfo | None,
    now: float,
) -> list[Step]:
    name, kind, section = node
    if kind == profiles.STATIC:
        return [Step(name, NOTHING, "static keys from the file: nothing to log in to")]
    if kind == profiles.SSO:
        return _sso_steps(files, sso, environ, now) if sso is not None else []
    if kind == profiles.WEB_IDENTITY:
        return [
            Step(
                name,
                ASSUME_ROLE_WEB_IDENTITY,
                "STS AssumeRoleWithWebIdentity with the token read from web_identity_token_file",
            )
        ]
    if kind == profiles.PROCESS:
        program = _program(_text(section, "credential_process") or "")
        return [Step(name, RUN_PROCESS, f"runs {program} for the credentials")]
    if kind == profiles.LOGIN:
        return [
            Step(
                name,
                SDK,
                "botocore's login provider refreshes the 'aws login' session itself; "
                "awsenv never signs in (run 'aws login' when it has expired)",
            )
        ]
    if kind == "Environment":
        present = bool(environ.get("AWS_ACCESS_KEY_ID"))
        return [
            Step(
                name,
                FROM_ENVIRONMENT,
                "the keys in the environment sign the AssumeRole"
                + ("" if present else " (AWS_ACCESS_KEY_ID is not set here)"),
            )
        ]
    if kind == "Ec2InstanceMetadata":
        return [Step(name, FROM_INSTANCE, "the EC2 instance role signs the AssumeRole")]
    if kind == "EcsContainer":
        return [Step(name, FROM_CONTAINER, "the container's role signs the AssumeRole")]
    return []


def _role_steps(
    files: Files,
    environ: Mapping[str, str],
    nodes: list[tuple[str, str, Section]],
    sso: SsoInfo | None,
    caches: dict[str, CacheFile],
    *,
    keys_mode: bool,
    now: float,
) -> list[Step]:
    """Steps for a role chain, in the order they run (the root first).

    As ``use`` does it: exporting AWS_PROFILE, an SSO login at the root is made sure of first,
    then the profile's cached role session is looked at; exporting keys (an MFA chain), the
    cached session comes first and the SSO login only when it is missing.
    """
    root = nodes[-1]
    down: list[Step] = []  # from the profile towards the root
    reached_root = True
    for name, kind, section in nodes[:-1]:
        cached = caches.get(name)
        if cached is not None and cached.state == VALID:
            down.append(
                Step(
                    name,
                    USE_CACHE,
                    f"the AWS CLI cache holds this role's credentials for "
                    f"{_left(cached.expires_at, now)}: no STS call"
                    + (", no MFA code" if _text(section, "mfa_serial") else ""),
                )
            )
            reached_root = False
            break
        arn = _text(section, "role_arn") or "?"
        if kind == profiles.ASSUME_ROLE and _text(section, "mfa_serial"):
            down.append(
                Step(
                    name,
                    MFA_PROMPT,
                    f"asks for the MFA code of {_text(section, 'mfa_serial')} on the terminal "
                    f"(or --mfa-code), then STS AssumeRole {arn}; the session is cached in "
                    "~/.aws/cli/cache, so neither awsenv nor the AWS CLI asks again while it lasts",
                )
            )
        else:
            down.append(Step(name, ASSUME_ROLE, f"STS AssumeRole {arn}"))
    steps = list(reversed(down))
    top_cached = bool(down) and down[0].action == USE_CACHE
    sso_root = root[1] == profiles.SSO
    if reached_root or (sso_root and not (keys_mode and top_cached)):
        return _root_steps(files, environ, root, sso, now) + steps
    return steps


def _exports(
    environ: Mapping[str, str],
    kind: str,
    section: Section,
    nodes: list[tuple[str, str, Section]],
    region: str | None,
) -> Exports:
    """What ``use PROFILE`` (without --keys) exports, as ``commands/use.py`` decides it."""
    mfa = any(k == profiles.ASSUME_ROLE and "mfa_serial" in s for _n, k, s in nodes)
    has_process = "credential_process" in section
    region_vars = ("AWS_REGION", "AWS_DEFAULT_REGION") if region else ()
    own = (exports.AWSENV_PROFILE, exports.AWSENV_SAVED)
    names: tuple[str, ...]
    if (kind in (profiles.SAML, profiles.OKTA) and not has_process) or (
        kind == profiles.ASSUME_ROLE and mfa
    ):
        mode = "keys"
        names = (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            *region_vars,
            *own,
            exports.AWSENV_EXPIRATION,
        )
        cleared: tuple[str, ...] = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN")
        if kind == profiles.ASSUME_ROLE:
            reason = (
                "a role in the chain asks for an MFA code, and boto3 keeps assumed-role "
                "credentials in memory only: with AWS_PROFILE every new program would ask again"
            )
        else:
            reason = (
                "no SDK can sign in to SAML/Okta by itself; add 'credential_process = awsenv "
                "credential-process PROFILE' to the profile to export AWS_PROFILE instead"
            )
    else:
        mode = "profile"
        expires = kind in (profiles.SSO, profiles.SAML, profiles.OKTA) or (
            nodes[-1][1] == profiles.SSO
        )
        names = (
            "AWS_PROFILE",
            *region_vars,
            *own,
            *((exports.AWSENV_EXPIRATION,) if expires else ()),
        )
        cleared = ("AWS_DEFAULT_PROFILE", *exports.KEY_VARS)
        reason = {
            profiles.STATIC: "every SDK reads the static keys from the profile itself",
            profiles.SSO: "every SDK reads the SSO token from ~/.aws/sso/cache and gets the "
            "role credentials itself",
            profiles.ASSUME_ROLE: "every SDK can assume the roles of the chain itself (no MFA "
            "code is asked); use first makes sure the credentials can be had now",
            profiles.WEB_IDENTITY: "every SDK assumes the role with the token file itself; use "
            "first makes sure it works",
            profiles.PROCESS: "every SDK runs credential_process itself; use runs it once "
            "first to make sure it works",
            profiles.LOGIN: "every SDK with botocore[crt] uses the 'aws login' session itself",
            profiles.SAML: "its credential_process lets every SDK get the keys from awsenv",
            profiles.OKTA: "its credential_process lets every SDK get the keys from awsenv",
            profiles.NONE: "the profile holds no credentials: SDKs look for them elsewhere "
            "(environment, instance role), and use warns",
        }[kind]
    clears = tuple(name for name in cleared if environ.get(name) is not None)
    return Exports(
        mode=mode,
        set=names,
        clears=clears,
        region=region,
        reason=reason,
        shell_function=bool(environ.get("AWSENV_SHELL")),
    )


def _saml_caches(
    environ: Mapping[str, str], name: str, section: Section, now: float
) -> list[CacheFile]:
    from awsenv.commands._saml import REUSE_WINDOW, _cache_path

    preset = _text(section, "saml_role_arn") or None
    found = [
        read_credentials_entry(
            _cache_path(environ, name, preset), "saml-credentials", name, now, REUSE_WINDOW
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


def _saml_steps(name: str, section: Section, caches: list[CacheFile], now: float) -> list[Step]:
    keys = caches[0]
    if keys.state == VALID:
        return [
            Step(
                name,
                USE_CACHE,
                f"awsenv's cache holds keys for {_left(keys.expires_at, now)}: no sign-in",
            )
        ]
    steps = []
    if profiles.classify(section) == profiles.SAML:
        steps.append(
            Step(
                name,
                READ_SAML_FILE,
                f"reads the SAMLResponse saved in {_text(section, 'saml_assertion_file')}",
            )
        )
    else:
        tokens_file = caches[1] if len(caches) > 1 else None
        if tokens_file is not None and tokens_file.state == VALID:
            steps.append(
                Step(
                    name,
                    USE_CACHE,
                    f"the Okta sign-in is cached for {_left(tokens_file.expires_at, now)}: "
                    "no browser",
                )
            )
        elif tokens_file is not None and tokens_file.refresh_token:
            steps.append(
                Step(
                    name,
                    OKTA_REFRESH,
                    "the cached Okta sign-in is refreshed with its refresh token, no browser "
                    "(a device sign-in only if Okta refuses)",
                )
            )
        else:
            steps.append(
                Step(
                    name,
                    OKTA_DEVICE,
                    "no usable Okta sign-in is cached: an Okta device sign-in in the browser, "
                    "as okta-aws-cli's web flow does",
                )
            )
    preset = _text(section, "saml_role_arn")
    steps.append(
        Step(
            name,
            ASSUME_ROLE_SAML,
            f"STS AssumeRoleWithSAML for {preset}"
            if preset
            else "STS AssumeRoleWithSAML for the role the assertion offers (a picker on the "
            "terminal when it offers several, or --role)",
        )
    )
    return steps


def explain(files: Files, environ: Mapping[str, str], name: str, *, now: float) -> Explanation:
    """Describe how ``name`` resolves and what ``awsenv use name`` would do (no login).

    Raises:
        ProfileNotFound: the profile is in neither file (with close-match suggestions).
    """
    section = files.profile(name)
    if section is None:
        raise ProfileNotFound(name, profiles.suggestions(name, files.names()), files.config_path)
    kind = profiles.classify(section)
    walked = walk(files, name)
    nodes = walked.nodes
    hops = []
    for index, (hop_name, hop_kind, hop_section) in enumerate(nodes):
        source = None
        if index + 1 < len(nodes):
            next_name = nodes[index + 1][0]
            source = (
                f"credential_source {next_name[1:-1]}"
                if next_name.startswith("<")
                else f"source_profile {next_name}"
            )
        hops.append(_hop(files, hop_name, hop_kind, hop_section, source))
    root_name, root_kind, root_section = nodes[-1]
    sso = (
        sso_info(files, environ, root_name, root_section, now)
        if root_kind == profiles.SSO or (kind == profiles.NONE and "sso_session" in section)
        else None
    )
    caches: list[CacheFile] = []
    if sso is not None:
        caches.append(sso.token)
    role_caches: dict[str, CacheFile] = {}
    for hop_name, hop_kind, hop_section in nodes:
        if hop_kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY):
            found = _role_cache(environ, hop_name, hop_section, now)
            if found is not None:
                role_caches[hop_name] = found
                caches.append(found)
    steps: list[Step] = []
    if kind == profiles.SSO and sso is not None:
        steps = _sso_steps(files, sso, environ, now)
        account, role = _text(section, "sso_account_id"), _text(section, "sso_role_name")
        if account and role:
            sess = tokens.SsoSession(sso.session, sso.start_url, sso.region)
            caches.append(
                read_credentials_entry(
                    tokens.role_credentials_path(environ, sess, account, role),
                    "sso-role-credentials",
                    name,
                    now,
                    tokens.CREDENTIALS_REUSE_WINDOW,
                )
            )
    elif kind in (profiles.SAML, profiles.OKTA):
        saml_caches = _saml_caches(environ, name, section, now)
        caches += saml_caches
        steps = _saml_steps(name, section, saml_caches, now)
    elif kind == profiles.LOGIN:
        session = _text(section, "login_session") or ""
        caches.append(read_login_session(login_cache_path(environ, session), name, now))
        steps = _root_steps(files, environ, nodes[-1], sso, now)
    elif kind == profiles.WEB_IDENTITY:
        cached = role_caches.get(name)
        if cached is not None and cached.state == VALID:
            steps = [
                Step(
                    name,
                    USE_CACHE,
                    f"the AWS CLI cache holds this role's credentials for "
                    f"{_left(cached.expires_at, now)}: no STS call",
                )
            ]
        else:
            steps = _root_steps(files, environ, nodes[-1], sso, now)
    elif kind == profiles.ASSUME_ROLE and len(nodes) > 1:
        mfa = any(k == profiles.ASSUME_ROLE and "mfa_serial" in s for _n, k, s in nodes)
        steps = _role_steps(files, environ, nodes, sso, role_caches, keys_mode=mfa, now=now)
    elif kind in (profiles.STATIC, profiles.PROCESS):
        steps = _root_steps(files, environ, nodes[-1], sso, now)
    elif kind == profiles.NONE:
        steps = [Step(name, NOTHING, "the profile holds no credentials: nothing to log in to")]
    account, role = profiles.account_and_role(section)
    region = _text(section, "region")
    problems = _dedupe(walked.problems)
    return Explanation(
        profile=name,
        kind=kind,
        defined_at=files.origin(name),
        account=account,
        role=role,
        region=region,
        chain=tuple(hops),
        sso=sso,
        caches=tuple(caches),
        steps=tuple(steps),
        exports=_exports(environ, kind, section, nodes, region),
        problems=tuple(problems),
    )


def _dedupe(found: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[str, str | None, str | None, str]] = set()
    out = []
    for problem in found:
        if problem.key not in seen:
            seen.add(problem.key)
            out.append(problem)
    return out


# --- files, caches, environment --------------------------------------------------------------


def _holds_secrets(path: str) -> bool:
    try:
        sections, _lines = config.raw_parse(path)
    except ConfigError:
        return False
    return any(key in config.SECRET_KEYS for s in sections.values() for key in s)


def wanted_mode(path: str, mode: int, *, secret: bool) -> int | None:
    """Return the mode a file should have, or None if its mode is fine.

    Files holding secrets (or tokens) must be private; any other file must at least not be
    writable by others (a ``credential_process`` line someone adds runs as you).
    """
    del path
    bits = 0o077 if secret else 0o022
    return mode & ~bits if mode & bits else None


def _mode_problem(path: str, mode: int, want: int, what: str) -> Problem:
    return Problem(
        WRONG_FILE_MODE,
        ERROR,
        f"{path} has mode {mode:04o}: {what}",
        path=path,
        hint=f"chmod {want:o} {path} ('awsenv doctor --fix' does it)",
        fixable=True,
        chmod=want,
    )


def config_problems(files: Files) -> list[Problem]:
    """Return parse errors and wrong modes of the config and credentials files."""
    found: list[Problem] = []
    if files.error is not None:
        found.append(
            Problem(
                CONFIG_UNPARSABLE,
                ERROR,
                files.error.message,
                path=files.error.path,
                hint="botocore and the AWS CLI reject this file too; fix the line it names",
            )
        )
    if os.name == "nt":  # pragma: no cover - no POSIX modes there
        return found
    for path in (files.config_path, files.credentials_path):
        try:
            st = os.stat(path)
        except OSError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        secret = _holds_secrets(path)
        want = wanted_mode(path, mode, secret=secret)
        if want is not None:
            what = (
                "it holds secret keys but others can read it"
                if secret and mode & 0o044
                else "others can change it (and make any profile run their code)"
            )
            found.append(_mode_problem(path, mode, want, what))
    return found


def cache_dirs(environ: Mapping[str, str]) -> list[str]:
    """Return the directories of cache files that hold tokens or credentials."""
    own = paths.cache_dir(environ)
    return [
        tokens.sso_cache_dir(environ),
        tokens.cli_cache_dir(environ),
        os.path.join(own, "okta"),
        os.path.join(own, "saml"),
    ]


def cache_problems(environ: Mapping[str, str]) -> list[Problem]:
    """Find torn, unreadable and too-open cache files (botocore raises on a torn one)."""
    found: list[Problem] = []
    for directory in cache_dirs(environ):
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in entries:
            if not entry.endswith(".json") or entry.startswith("."):
                continue  # temporary files of a write in progress, and foreign files
            path = os.path.join(directory, entry)
            state, _data, detail = _read_object(path)
            if state == TORN:
                found.append(
                    Problem(
                        TORN_CACHE_FILE,
                        ERROR,
                        f"cache file {path} is torn ({detail}): botocore and the AWS CLI raise "
                        "an error on it instead of logging in again",
                        path=path,
                        hint=f"delete it: rm {path} (the next use logs in or fetches again)",
                    )
                )
            elif state == UNREADABLE:
                found.append(
                    Problem(
                        UNREADABLE_CACHE_FILE,
                        ERROR,
                        f"cache file {path} cannot be read ({detail or 'unreadable'})",
                        path=path,
                        hint=f"check its owner and mode, or delete it: rm {path}",
                    )
                )
            if os.name == "nt" or state in (MISSING, UNREADABLE):
                continue
            try:
                mode = stat.S_IMODE(os.stat(path).st_mode)
            except OSError:
                continue
            want = wanted_mode(path, mode, secret=True)
            if want is not None:
                found.append(
                    _mode_problem(path, mode, want, "it holds tokens or keys others can read")
                )
    return found


def _init_line(environ: Mapping[str, str]) -> str:
    """The line that loads awsenv and the rc file it goes in, for the shell that started us."""
    from awsenv import detect, shells

    shell = shells.SHELLS[detect.parent_shell(environ) or "bash"]
    return f"{shell.init_line} in {shell.rc_file}"


def _set_by_awsenv(environ: Mapping[str, str], name: str) -> bool:
    """True if awsenv exported ``name`` (``use --keys``) rather than the user or a tool."""
    if not environ.get(exports.AWSENV_PROFILE) or exports.AWSENV_SAVED not in environ:
        return False
    saved = exports.decode_saved(environ[exports.AWSENV_SAVED])
    return saved is not None and saved.get(name) != environ.get(name)


def environment_problems(environ: Mapping[str, str], files: Files) -> list[Problem]:
    """Find variables that override the profile, and a shell without the awsenv function."""
    found: list[Problem] = []
    key_id = environ.get("AWS_ACCESS_KEY_ID")
    if key_id and not (
        _set_by_awsenv(environ, "AWS_ACCESS_KEY_ID") and not environ.get("AWS_PROFILE")
    ):
        found.append(
            Problem(
                ENV_CREDENTIALS,
                ERROR,
                f"AWS_ACCESS_KEY_ID ({key_hint(key_id)}) is set in this environment: keys in "
                "the environment beat every profile, AWS_PROFILE included",
                hint="unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN "
                "('awsenv use PROFILE' clears them too)",
            )
        )
    default_profile = environ.get("AWS_DEFAULT_PROFILE")
    profile = environ.get("AWS_PROFILE")
    if default_profile and default_profile != profile:
        message = f"AWS_DEFAULT_PROFILE is set to {default_profile!r}: botocore and boto3 read it "
        message += (
            f"before AWS_PROFILE ({profile!r}), so they use another profile than the AWS CLI"
            if profile
            else "before AWS_PROFILE, so it overrides any profile awsenv exports in other tools"
        )
        found.append(
            Problem(
                ENV_DEFAULT_PROFILE,
                ERROR if profile else WARNING,
                message,
                profile=default_profile,
                hint="unset AWS_DEFAULT_PROFILE ('awsenv use PROFILE' clears it too)",
            )
        )
    if files.parsed is not None:
        for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            named = environ.get(variable)
            if named and files.profile(named) is None:
                found.append(
                    Problem(
                        ENV_UNKNOWN_PROFILE,
                        ERROR,
                        f"{variable} names profile {named!r}, which is in neither "
                        f"{files.config_path} nor {files.credentials_path}: every SDK fails",
                        profile=named,
                        hint=f"unset {variable}, or 'awsenv use' an existing profile",
                    )
                )
    shell = environ.get("AWSENV_SHELL")
    if not shell or shell not in ("bash", "zsh", "fish", "powershell"):
        what = f"is {shell!r}, not a shell awsenv knows" if shell else "is not set"
        found.append(
            Problem(
                NO_SHELL_WRAPPER,
                WARNING,
                f"AWSENV_SHELL {what}: this shell does not run awsenv through its shell "
                "function, so 'awsenv use' cannot change it",
                hint=f"add {_init_line(environ)}, then open a new shell",
            )
        )
    return found


# --- doctor ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Everything ``awsenv doctor`` found (before any fix)."""

    files: Files
    profiles: tuple[Explanation, ...]
    problems: tuple[Problem, ...]


def check(environ: Mapping[str, str], *, now: float) -> Report:
    """Explain every profile and collect every problem, each once, in a stable order."""
    files = load_files(environ)
    explained = tuple(explain(files, environ, name, now=now) for name in files.names())
    found: list[Problem] = config_problems(files)
    for item in explained:
        found += item.problems
    found += cache_problems(environ)
    found += environment_problems(environ, files)
    return Report(files, explained, tuple(_dedupe(found)))
