"""Profile kinds, ``source_profile`` chains with cycle detection, and close-match suggestions."""

from __future__ import annotations

from awsenv.errors import (
    AwsenvError,
    InvalidProfile,
    ProfileChainTooDeep,
    ProfileCycle,
    ProfileNotFound,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Protocol

    from awsenv.config import Section

    class ProfileFiles(Protocol):
        """What the resolver reads: ``config.ConfigFiles`` and ``diagnose``'s parsed files."""

        @property
        def config_path(self) -> str: ...  # noqa: D102

        def profile(self, name: str) -> Section | None: ...  # noqa: D102
        def profile_names(self) -> list[str]: ...  # noqa: D102
        def sso_session(self, name: str) -> Section | None: ...  # noqa: D102
        def sso_session_names(self) -> list[str]: ...  # noqa: D102


# Profile kinds (plain strings: an Enum import costs more than a cached `use` may spend).
STATIC = "static"
SSO = "sso"
ASSUME_ROLE = "assume-role"
WEB_IDENTITY = "web-identity"
PROCESS = "process"
SAML = "saml"
OKTA = "okta"
LOGIN = "login"
KEYCHAIN = "keychain"  # long-lived keys in the OS keychain, served by `awsenv credential-process`
NONE = "none"
KINDS = (STATIC, SSO, ASSUME_ROLE, WEB_IDENTITY, PROCESS, SAML, OKTA, LOGIN, KEYCHAIN, NONE)

# Kinds whose credentials every SDK obtains from the profile alone, without asking the user.
SDK_RESOLVABLE = frozenset({STATIC, ASSUME_ROLE, WEB_IDENTITY, PROCESS, SSO, LOGIN, KEYCHAIN, NONE})
KEYCHAIN_MARKER = "awsenv_keychain"  # the key awsenv writes next to its credential_process
# kinds holding an IAM user's long-lived keys: what signs GetSessionToken (MFA sessions)
LONG_LIVED = (STATIC, KEYCHAIN)

CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")
MAX_CHAIN = 64  # profiles in one source_profile chain, the first included


def _text(section: Section, key: str) -> str | None:
    value = section.get(key)
    return value if isinstance(value, str) else None


def has_static_keys(section: Section) -> bool:
    """Return True if the profile carries static keys (botocore: either key is enough)."""
    return "aws_access_key_id" in section or "aws_secret_access_key" in section


def is_assume_role(section: Section) -> bool:
    """Return True if botocore's AssumeRole provider would take this profile."""
    return "role_arn" in section and "web_identity_token_file" not in section


def classify(section: Section) -> str:
    """Return the kind of a profile, in the order its credentials would be found.

    awsenv's own SAML/Okta keys and keychain profiles come first (so a ``credential_process``
    that calls awsenv never calls itself); then botocore's profile provider order.
    """
    if "okta_org_domain" in section or "okta_org_url" in section:
        return OKTA
    if "saml_assertion_file" in section:
        return SAML
    if KEYCHAIN_MARKER in section:
        return KEYCHAIN
    if is_assume_role(section):
        return ASSUME_ROLE
    if "web_identity_token_file" in section:
        return WEB_IDENTITY
    if "sso_account_id" in section or "sso_role_name" in section:
        return SSO
    if "login_session" in section:
        return LOGIN
    if "credential_process" in section:
        return PROCESS
    if has_static_keys(section):  # one key without the other is a broken static profile
        return STATIC
    return NONE


def account_and_role(section: Section) -> tuple[str | None, str | None]:
    """Return the account id and role name a profile points at, where the config says."""
    if "sso_account_id" in section or "sso_role_name" in section:
        return _text(section, "sso_account_id"), _text(section, "sso_role_name")
    arn = _text(section, "role_arn") or _text(section, "saml_role_arn")
    if arn:
        parts = arn.split(":", 5)
        if len(parts) == 6:
            resource = parts[5]
            return parts[4] or None, resource.split("/")[-1] if "/" in resource else resource
    return _text(section, "aws_account_id"), None


class Resolved:
    """A profile with its kind and the ``source_profile`` chain down to where credentials start."""

    __slots__ = ("chain", "kind", "name", "section", "sections")

    def __init__(
        self,
        name: str,
        kind: str,
        section: Section,
        chain: tuple[tuple[str, str], ...],
        sections: tuple[Section, ...] = (),
    ) -> None:
        self.name = name
        self.kind = kind
        self.section = section
        # (profile name, kind) from this profile to the root; length 1 for a non-role profile
        self.chain = chain
        # the section of each hop of ``chain`` (empty for a credential_source root)
        self.sections = sections or (section,)

    @property
    def region(self) -> str | None:
        """Return the profile's own region setting."""
        return _text(self.section, "region")

    @property
    def root_kind(self) -> str:
        """Return the kind of the profile whose credentials start the chain."""
        return self.chain[-1][1]

    @property
    def needs_mfa(self) -> bool:
        """Return True if a role anywhere in the chain asks for an MFA code."""
        return any(
            kind == ASSUME_ROLE and "mfa_serial" in section
            for (_name, kind), section in zip(self.chain, self.sections)
        )


def suggestions(name: str, names: list[str]) -> list[str]:
    """Return up to three existing profile names that look like ``name``."""
    import difflib

    folded = [n for n in names if n.lower() == name.lower() and n != name]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return list(dict.fromkeys(folded + close))[:3]


def lookup(files: ProfileFiles, name: str) -> Section:
    """Return the named profile or raise ProfileNotFound with suggestions."""
    section = files.profile(name)
    if section is None:
        raise ProfileNotFound(name, suggestions(name, files.profile_names()), files.config_path)
    return section


# --- what can be wrong with a profile: found once, raised by resolve, listed by validate ---------

ERROR = "error"  # `use` (or every SDK) fails because of it
WARNING = "warning"  # works now, but badly or not for long

INVALID_PROFILE = "invalid-profile"
MISSING_SOURCE_PROFILE = "missing-source-profile"
MISSING_SSO_SESSION = "missing-sso-session"
SOURCE_PROFILE_CYCLE = "source-profile-cycle"
SOURCE_PROFILE_CHAIN_TOO_DEEP = "source-profile-chain-too-deep"
LEGACY_SSO = "legacy-sso"
MISSING_TOKEN_FILE = "missing-web-identity-token-file"


class Issue:
    """One thing wrong with a profile: a stable id, the profile, what is wrong and what to do.

    ``blocking`` issues make :func:`resolve` raise. A missing web identity token file does not:
    cached role credentials may still serve the profile, so the provider decides.
    """

    __slots__ = ("blocking", "chain", "hint", "id", "path", "profile", "severity", "what")

    def __init__(
        self,
        id_: str,
        profile: str,
        what: str,
        *,
        hint: str,
        severity: str = ERROR,
        path: str | None = None,
        chain: tuple[str, ...] = (),
        blocking: bool | None = None,
    ) -> None:
        self.id = id_
        self.profile = profile
        self.what = what
        self.hint = hint
        self.severity = severity
        self.path = path
        self.chain = chain  # the names walked, for a cycle
        self.blocking = severity == ERROR if blocking is None else blocking

    def message(self, origin: str | None = None) -> str:
        """Return the one-line message (``origin``, ``path:line``, shown after the name)."""
        if self.id == SOURCE_PROFILE_CYCLE:
            return "source_profile cycle: " + " -> ".join(repr(p) for p in self.chain)
        where = f" ({origin})" if origin else ""
        return f"profile {self.profile!r}{where}: {self.what}"

    def error(self) -> AwsenvError:
        """Return the exception ``resolve`` raises for it."""
        if self.id == SOURCE_PROFILE_CYCLE:
            return ProfileCycle(self.chain)
        if self.id == SOURCE_PROFILE_CHAIN_TOO_DEEP:
            return ProfileChainTooDeep(self.profile, self.what, hint=self.hint)
        return InvalidProfile(self.profile, self.what, hint=self.hint)


class Walk:
    """A ``source_profile`` chain as far as it goes: (name, kind, section) per hop, and issues."""

    __slots__ = ("issues", "nodes")

    def __init__(self) -> None:
        self.nodes: list[tuple[str, str, Section]] = []
        self.issues: list[Issue] = []


def _own_issues(files: ProfileFiles, name: str, section: Section, kind: str) -> list[Issue]:
    """What is wrong with one profile's own keys (not with the profiles it names)."""
    found: list[Issue] = []

    def invalid(what: str, hint: str) -> None:
        found.append(Issue(INVALID_PROFILE, name, what, hint=hint))

    if kind in (SAML, OKTA) and "role_arn" in section:
        invalid(
            "has role_arn, which makes botocore treat it as an AssumeRole profile and fail",
            "rename the key to saml_role_arn",
        )
    if kind == KEYCHAIN:
        found += _keychain_issues(name, section)
    if kind == STATIC and not (
        "aws_access_key_id" in section and "aws_secret_access_key" in section
    ):
        missing = "aws_secret_access_key" if "aws_access_key_id" in section else "aws_access_key_id"
        invalid(
            f"has static keys but no {missing}",
            f"add {missing} (botocore raises PartialCredentialsError without it)",
        )
    if kind == WEB_IDENTITY:
        if "role_arn" not in section:
            invalid(
                "has web_identity_token_file but no role_arn",
                "add role_arn: the role the token is exchanged for",
            )
        import os

        token_file = _text(section, "web_identity_token_file") or ""
        if not os.path.isfile(token_file):
            found.append(
                Issue(
                    MISSING_TOKEN_FILE,
                    name,
                    f"web_identity_token_file {token_file!r} does not exist",
                    hint="botocore reads the token from this file on every call: fix the "
                    "path, or run where the platform writes it",
                    path=token_file,
                    blocking=False,
                )
            )
    if kind == OKTA:
        found += _okta_issues(name, section)
    if kind == SSO:
        missing_keys = [k for k in ("sso_account_id", "sso_role_name") if k not in section]
        if "sso_session" not in section:
            missing_keys += [k for k in ("sso_start_url", "sso_region") if k not in section]
        if missing_keys:
            invalid(
                "is an SSO profile but lacks " + ", ".join(missing_keys),
                "add them (aws configure sso writes a complete profile)",
            )
    found += _session_issues(files, name, section)
    if "sso_session" not in section and "sso_start_url" in section:
        found.append(
            Issue(
                LEGACY_SSO,
                name,
                "is a legacy SSO profile (sso_start_url without sso_session): its token can "
                "never be refreshed, so it needs a new login each time the token expires",
                hint="move sso_start_url and sso_region into an [sso-session] section "
                "('awsenv doctor' shows the change as a diff, 'awsenv doctor --fix' writes it)",
                severity=WARNING,
                path=files.config_path,
            )
        )
    if kind == ASSUME_ROLE:
        found += _role_source_issues(files, name, section)
    return found


def _keychain_issues(name: str, section: Section) -> list[Issue]:
    """A keychain profile must reach botocore through its credential_process alone."""
    found = []
    if "role_arn" in section:
        found.append(
            Issue(
                INVALID_PROFILE,
                name,
                f"has {KEYCHAIN_MARKER} and role_arn: botocore would assume the role instead "
                "of running its credential_process",
                hint="put the role in a profile of its own with source_profile = " + name,
            )
        )
    if has_static_keys(section):
        found.append(
            Issue(
                INVALID_PROFILE,
                name,
                f"has {KEYCHAIN_MARKER} but also keys in the files, which botocore would use "
                "instead of the keychain's",
                hint=f"move them to the keychain with 'awsenv keys import {name}'",
            )
        )
    if "credential_process" not in section:
        found.append(
            Issue(
                INVALID_PROFILE,
                name,
                f"has {KEYCHAIN_MARKER} but no credential_process: no SDK can get its credentials",
                hint=f"add 'credential_process = awsenv credential-process {name}' "
                f"(awsenv keys add {name} writes it)",
                severity=WARNING,
            )
        )
    return found


def _okta_issues(name: str, section: Section) -> list[Issue]:
    """Okta settings the sign-in needs (the Okta provider raises them when it signs in)."""
    settings = {k: v for k, v in section.items() if isinstance(v, str)}
    found = []
    try:
        org_base_url(settings, profile=name)
    except InvalidProfile as exc:
        what = exc.message.split(": ", 1)[1] if ": " in exc.message else exc.message
        found.append(
            Issue(
                INVALID_PROFILE,
                name,
                what,
                hint=exc.hint or "see okta-aws-cli's okta_org_domain",
                blocking=False,
            )
        )
    for key in ("okta_oidc_client_id", "okta_aws_acct_fed_app_id"):
        if not settings.get(key, "").strip():
            found.append(
                Issue(
                    INVALID_PROFILE,
                    name,
                    f"has no {key}",
                    hint="okta-aws-cli's settings name it",
                    blocking=False,
                )
            )
    return found


def _session_issues(files: ProfileFiles, name: str, section: Section) -> list[Issue]:
    """Check a profile's ``sso_session`` reference as botocore would."""
    session_name = _text(section, "sso_session")
    if session_name is None:
        return []
    session = files.sso_session(session_name)
    if session is None:
        known = ", ".join(sorted(files.sso_session_names()))
        return [
            Issue(
                MISSING_SSO_SESSION,
                name,
                f"names sso_session {session_name!r}, but there is no "
                f"[sso-session {session_name}] in {files.config_path}",
                hint=(f"sessions there: {known}; " if known else "")
                + "fix the name or add the section (aws configure sso-session)",
                path=files.config_path,
            )
        ]
    found = [
        Issue(
            INVALID_PROFILE,
            name,
            f"sets {key} differently from [sso-session {session_name}] (botocore refuses it)",
            hint="keep the key in one place",
        )
        for key, value in session.items()
        if key in section and section[key] != value
    ]
    missing = [k for k in ("sso_start_url", "sso_region") if k not in session and k not in section]
    if missing:
        found.append(
            Issue(
                INVALID_PROFILE,
                name,
                f"[sso-session {session_name}] lacks " + ", ".join(missing),
                hint=f"add {' and '.join(missing)} to [sso-session {session_name}]",
                path=files.config_path,
            )
        )
    return found


def _role_source_issues(files: ProfileFiles, name: str, section: Section) -> list[Issue]:
    source = _text(section, "source_profile")
    credential_source = _text(section, "credential_source")
    if source is not None and credential_source is not None:
        return [
            Issue(
                INVALID_PROFILE,
                name,
                "has both source_profile and credential_source",
                hint="keep one of them",
            )
        ]
    if source is None and credential_source is None:
        return [
            Issue(
                INVALID_PROFILE,
                name,
                "has role_arn but neither source_profile nor credential_source",
                hint="add source_profile = <a profile with credentials>, or credential_source",
            )
        ]
    if credential_source is not None and credential_source not in CREDENTIAL_SOURCES:
        return [
            Issue(
                INVALID_PROFILE,
                name,
                f"credential_source {credential_source!r} is not valid",
                hint="use " + ", ".join(CREDENTIAL_SOURCES),
            )
        ]
    if source is not None and files.profile(source) is None:
        close = suggestions(source, files.profile_names())
        return [
            Issue(
                MISSING_SOURCE_PROFILE,
                name,
                f"source_profile {source!r} does not exist",
                hint=("did you mean " + " or ".join(repr(c) for c in close) + "?")
                if close
                else "'awsenv list' shows every profile",
            )
        ]
    return []


def walk(files: ProfileFiles, name: str, section: Section) -> Walk:
    """Follow ``source_profile`` from ``name`` as botocore does, collecting issues on the way.

    Never raises: it stops where the chain breaks and says why. The root's kind is STATIC when
    it holds keys (botocore takes keys before a role there).
    """
    result = Walk()
    kind = classify(section)
    result.nodes.append((name, kind, section))
    result.issues += _own_issues(files, name, section, kind)
    if kind != ASSUME_ROLE or any(i.blocking for i in result.issues):
        return result
    visited = [name]
    current_name, current = name, section
    while True:
        source = _text(current, "source_profile")
        credential_source = _text(current, "credential_source")
        if credential_source is not None:
            result.nodes.append((f"<{credential_source}>", credential_source, {}))
            return result
        assert source is not None  # noqa: S101 - _own_issues reported both or neither
        source_section = files.profile(source)
        if source_section is None:
            return result  # missing-source-profile, reported for current_name
        static_self = source == current_name and has_static_keys(source_section)
        if source in visited and not static_self:
            result.issues.append(
                Issue(
                    SOURCE_PROFILE_CYCLE,
                    source,
                    "source_profile cycle",
                    hint="one profile of the cycle must get credentials another way "
                    "(keys, SSO, a process)",
                    chain=(*visited, source),
                )
            )
            return result
        visited.append(source)
        if len(visited) > MAX_CHAIN:
            result.issues.append(_too_deep(files, visited))
            return result
        if has_static_keys(source_section) or not is_assume_role(source_section):
            source_kind = STATIC if has_static_keys(source_section) else classify(source_section)
            if source_kind == NONE:
                result.issues.append(
                    Issue(
                        INVALID_PROFILE,
                        source,
                        "is a source_profile but has no credentials",
                        hint=f"{source!r} holds no credentials: give it keys, SSO or a process, "
                        f"or point the source_profile of {current_name!r} elsewhere",
                    )
                )
            elif source != current_name:
                result.issues += _own_issues(files, source, source_section, source_kind)
            result.nodes.append((source, source_kind, source_section))
            return result
        if source != current_name:
            issues = _own_issues(files, source, source_section, ASSUME_ROLE)
            result.issues += issues
            if any(i.blocking for i in issues):
                return result
        result.nodes.append((source, ASSUME_ROLE, source_section))
        current_name, current = source, source_section


_SHOWN_ENDS = 3  # names shown at each end of a chain too deep to show whole
_SHOWN_NAME = 40  # characters of one name shown


def _shown(name: str) -> str:
    return repr(name if len(name) <= _SHOWN_NAME else name[: _SHOWN_NAME - 3] + "...")


def _too_deep(files: ProfileFiles, visited: list[str]) -> Issue:
    """Say a chain is deeper than MAX_CHAIN: how deep, its first and last few names.

    The rest of the chain is followed by name alone (a set of names seen, so it ends: at its
    root, at a missing profile, or where it comes back to a name, which is then said too).
    """
    walked = list(visited)
    seen = set(walked)
    looped = False
    section = files.profile(walked[-1])
    while section is not None and is_assume_role(section) and not has_static_keys(section):
        source = _text(section, "source_profile")
        if source is None or _text(section, "credential_source") is not None:
            break
        walked.append(source)
        if source in seen:
            looped = True
            break
        seen.add(source)
        section = files.profile(source)
    ends = _SHOWN_ENDS
    names = [*walked[:ends], "...", *walked[-ends:]] if len(walked) > 2 * ends else walked
    shown = " -> ".join(n if n == "..." and i == ends else _shown(n) for i, n in enumerate(names))
    if looped:
        what = f"its source_profile chain is deeper than the limit of {MAX_CHAIN} profiles"
        what += f" and ends in a cycle: {shown}"
    else:
        what = (
            f"its source_profile chain holds {len(walked)} profiles, "
            f"more than the limit of {MAX_CHAIN}: {shown}"
        )
    return Issue(
        SOURCE_PROFILE_CHAIN_TOO_DEEP,
        visited[0],
        what,
        hint=f"awsenv follows at most {MAX_CHAIN} profiles: let a profile nearer the start get "
        "its credentials another way (keys, SSO, a process) or skip some hops",
        chain=tuple(walked[:ends] + walked[-ends:]),
    )


def validate(files: ProfileFiles, name: str) -> list[Issue]:
    """Return everything wrong with the profile and its chain (ProfileNotFound if it is absent)."""
    return walk(files, name, lookup(files, name)).issues


def resolve(files: ProfileFiles, name: str) -> Resolved:
    """Load a profile, classify it and walk its ``source_profile`` chain as botocore would.

    Raises the first blocking issue :func:`validate` would list.
    """
    section = lookup(files, name)
    walked = walk(files, name, section)
    for issue in walked.issues:
        if issue.blocking:
            raise issue.error()
    chain = tuple((hop, kind) for hop, kind, _section in walked.nodes)
    sections = tuple(hop_section for _hop, _kind, hop_section in walked.nodes)
    return Resolved(name, walked.nodes[0][1], section, chain, sections)


def check_sso_session(files: ProfileFiles, name: str, section: Section) -> Section | None:
    """Return the profile's ``[sso-session]`` section, raising if it is missing or disagrees."""
    for issue in _session_issues(files, name, section):
        raise issue.error()
    session_name = _text(section, "sso_session")
    return files.sso_session(session_name) if session_name is not None else None


# --- Okta settings (okta-aws-cli's names) -----------------------------------------------------


def normalize_domain(domain: str) -> str:
    """Normalise an org domain as okta-aws-cli does: no scheme, no trailing ``/``, no ``-admin``."""
    value = domain.strip()
    for scheme in ("https://", "http://"):
        if value.lower().startswith(scheme):
            value = value[len(scheme) :]
    value = value.rstrip("/")
    head, dot, rest = value.partition(".")
    if head.endswith("-admin"):
        value = head[: -len("-admin")] + dot + rest
    return value


def org_base_url(settings: Mapping[str, str], *, profile: str) -> str:
    """Return the org's base URL from ``okta_org_domain`` or ``okta_org_url`` (no trailing ``/``).

    ``okta_org_domain`` means ``https://<domain>``; ``okta_org_url`` is taken as given, but plain
    ``http://`` only for loopback hosts (the stand-in used by tests and the demo).
    """
    domain = settings.get("okta_org_domain", "").strip()
    url = settings.get("okta_org_url", "").strip()
    if domain and url:
        raise InvalidProfile(
            profile, "has both okta_org_domain and okta_org_url", hint="keep only one of them"
        )
    if domain:
        host = normalize_domain(domain)
        if not host or any(c in host for c in "/?#@ \t") or host.startswith("."):
            raise InvalidProfile(
                profile,
                f"okta_org_domain {domain!r} is not a host name",
                hint="use the org's domain, e.g. example.okta.com",
            )
        return f"https://{host}"
    if not url:
        raise InvalidProfile(
            profile,
            "has no okta_org_domain (or okta_org_url)",
            hint="add okta_org_domain = <your org>.okta.com",
        )
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        host = ""
    if parts.scheme not in ("https", "http") or not host or parts.query or parts.fragment:
        raise InvalidProfile(
            profile,
            f"okta_org_url {url!r} is not an http(s) URL",
            hint="use https://<your org>.okta.com",
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidProfile(profile, "okta_org_url must not contain a user name or password")
    from awsenv import net

    if parts.scheme == "http" and not net.is_loopback(host):
        raise InvalidProfile(
            profile,
            f"okta_org_url {url!r} uses plain http",
            hint="http is accepted only for 127.0.0.1, localhost and [::1]; use https",
        )
    return url.rstrip("/")
