"""The data explain and doctor return: problems, the chain, steps, exports (each with ``to_json``).

No secret value ever enters it: static keys, tokens and client secrets appear as presence only,
an access key id as its last four characters at most.
"""

from __future__ import annotations

from dataclasses import dataclass

from awsenv.log import key_hint as key_hint
from awsenv.profiles import ERROR as ERROR
from awsenv.profiles import INVALID_PROFILE as INVALID_PROFILE
from awsenv.profiles import LEGACY_SSO as LEGACY_SSO
from awsenv.profiles import MISSING_SOURCE_PROFILE as MISSING_SOURCE_PROFILE
from awsenv.profiles import MISSING_SSO_SESSION as MISSING_SSO_SESSION
from awsenv.profiles import MISSING_TOKEN_FILE as MISSING_TOKEN_FILE
from awsenv.profiles import SOURCE_PROFILE_CHAIN_TOO_DEEP as SOURCE_PROFILE_CHAIN_TOO_DEEP
from awsenv.profiles import SOURCE_PROFILE_CYCLE as SOURCE_PROFILE_CYCLE
from awsenv.profiles import WARNING as WARNING
from awsenv.providers.cached import CacheFile as CacheFile
from awsenv.providers.cached import SsoInfo as SsoInfo
from awsenv.providers.cached import iso as iso

SCHEMA = 1  # bumped when the JSON shape of explain or doctor changes incompatibly

# Problem ids: stable, documented in the README; tests refer to them by these names.
CONFIG_UNPARSABLE = "config-unparsable"
WRONG_FILE_MODE = "wrong-file-mode"
TORN_CACHE_FILE = "torn-cache-file"
UNREADABLE_CACHE_FILE = "unreadable-cache-file"
ENV_CREDENTIALS = "env-credentials"
ENV_DEFAULT_PROFILE = "env-default-profile"
ENV_UNKNOWN_PROFILE = "env-unknown-profile"
NO_SHELL_WRAPPER = "no-shell-wrapper"
AWSENV_NOT_ON_PATH = "awsenv-not-on-path"
PROBLEM_IDS = (
    CONFIG_UNPARSABLE,
    MISSING_SOURCE_PROFILE,
    MISSING_SSO_SESSION,
    SOURCE_PROFILE_CYCLE,
    SOURCE_PROFILE_CHAIN_TOO_DEEP,
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
    AWSENV_NOT_ON_PATH,
)

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
    # One chain too deep, seen from each of its first profiles: its last names, shared by all.
    same_as: str | None = None

    @property
    def key(self) -> tuple[str, str | None, str | None, str]:
        """Identity for de-duplication (the same problem seen from two profiles)."""
        if self.same_as is not None:
            return self.id, None, None, self.same_as
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
