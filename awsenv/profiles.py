"""Profile kinds, ``source_profile`` chains with cycle detection, and close-match suggestions."""

from __future__ import annotations

from awsenv.errors import InvalidProfile, ProfileCycle, ProfileNotFound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from awsenv.config import ConfigFiles, Section

# Profile kinds (plain strings: an Enum import costs more than a cached `use` may spend).
STATIC = "static"
SSO = "sso"
ASSUME_ROLE = "assume-role"
WEB_IDENTITY = "web-identity"
PROCESS = "process"
SAML = "saml"
OKTA = "okta"
LOGIN = "login"
NONE = "none"
KINDS = (STATIC, SSO, ASSUME_ROLE, WEB_IDENTITY, PROCESS, SAML, OKTA, LOGIN, NONE)

# Kinds whose credentials every SDK obtains from the profile alone, without asking the user.
SDK_RESOLVABLE = frozenset({STATIC, ASSUME_ROLE, WEB_IDENTITY, PROCESS, SSO, LOGIN, NONE})

CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")
_MAX_CHAIN = 64


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

    awsenv's own SAML/Okta keys come first (so a ``credential_process`` that calls awsenv never
    calls itself); then botocore's profile provider order.
    """
    if "okta_org_domain" in section or "okta_org_url" in section:
        return OKTA
    if "saml_assertion_file" in section:
        return SAML
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

    __slots__ = ("chain", "kind", "name", "section")

    def __init__(
        self, name: str, kind: str, section: Section, chain: tuple[tuple[str, str], ...]
    ) -> None:
        self.name = name
        self.kind = kind
        self.section = section
        # (profile name, kind) from this profile to the root; length 1 for a non-role profile
        self.chain = chain

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
        """Return True if a role in the chain asks for an MFA code (the profile's own role)."""
        return self.kind == ASSUME_ROLE and "mfa_serial" in self.section


def suggestions(name: str, names: list[str]) -> list[str]:
    """Return up to three existing profile names that look like ``name``."""
    import difflib

    folded = [n for n in names if n.lower() == name.lower() and n != name]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return list(dict.fromkeys(folded + close))[:3]


def lookup(files: ConfigFiles, name: str) -> Section:
    """Return the named profile or raise ProfileNotFound with suggestions."""
    section = files.profile(name)
    if section is None:
        raise ProfileNotFound(name, suggestions(name, files.profile_names()), files.config_path)
    return section


def _check_own_keys(name: str, section: Section, kind: str) -> None:
    if kind in (SAML, OKTA) and "role_arn" in section:
        raise InvalidProfile(
            name,
            "has role_arn, which makes botocore treat it as an AssumeRole profile and fail",
            hint="rename the key to saml_role_arn",
        )
    if kind == STATIC and not (
        "aws_access_key_id" in section and "aws_secret_access_key" in section
    ):
        missing = "aws_secret_access_key" if "aws_access_key_id" in section else "aws_access_key_id"
        raise InvalidProfile(name, f"has static keys but no {missing}")
    if kind == WEB_IDENTITY and "role_arn" not in section:
        raise InvalidProfile(name, "has web_identity_token_file but no role_arn")
    if kind == SSO:
        _check_sso(name, section)


def _check_sso(name: str, section: Section) -> None:
    missing = [k for k in ("sso_account_id", "sso_role_name") if k not in section]
    if "sso_session" not in section:
        missing += [k for k in ("sso_start_url", "sso_region") if k not in section]
    if missing:
        raise InvalidProfile(name, "is an SSO profile but lacks " + ", ".join(missing))


def check_sso_session(files: ConfigFiles, name: str, section: Section) -> Section | None:
    """Return the profile's ``[sso-session]`` section, checking it exists and agrees with it."""
    session_name = _text(section, "sso_session")
    if session_name is None:
        return None
    session = files.sso_session(session_name)
    if session is None:
        raise InvalidProfile(
            name,
            f"names sso_session {session_name!r}, but there is no [sso-session {session_name}]",
            hint=f"add the section to {files.config_path}, or fix the name",
        )
    for key, value in session.items():
        if key in section and section[key] != value:
            raise InvalidProfile(
                name,
                f"sets {key} differently from [sso-session {session_name}]",
                hint="keep the key in one place",
            )
    missing = [k for k in ("sso_start_url", "sso_region") if k not in session and k not in section]
    if missing:
        raise InvalidProfile(name, f"[sso-session {session_name}] lacks " + ", ".join(missing))
    return session


def resolve(files: ConfigFiles, name: str) -> Resolved:
    """Load a profile, classify it and walk its ``source_profile`` chain as botocore would."""
    section = lookup(files, name)
    kind = classify(section)
    _check_own_keys(name, section, kind)
    if kind == SSO:
        check_sso_session(files, name, section)
    chain: list[tuple[str, str]] = [(name, kind)]
    visited = [name]
    current_name, current = name, section
    while is_assume_role(current) and kind == ASSUME_ROLE:
        source = _text(current, "source_profile")
        credential_source = _text(current, "credential_source")
        if source is not None and credential_source is not None:
            raise InvalidProfile(current_name, "has both source_profile and credential_source")
        if source is None and credential_source is None:
            raise InvalidProfile(
                current_name, "has role_arn but neither source_profile nor credential_source"
            )
        if credential_source is not None:
            if credential_source not in CREDENTIAL_SOURCES:
                raise InvalidProfile(
                    current_name,
                    f"credential_source {credential_source!r} is not valid",
                    hint="use " + ", ".join(CREDENTIAL_SOURCES),
                )
            chain.append((f"<{credential_source}>", credential_source))
            break
        assert source is not None  # noqa: S101 - narrowed by the checks above
        source_section = files.profile(source)
        if source_section is None:
            raise InvalidProfile(
                current_name,
                f"source_profile {source!r} does not exist",
                hint="'awsenv list' shows every profile",
            )
        if source in visited and not (source == current_name and has_static_keys(source_section)):
            raise ProfileCycle([*visited, source])
        visited.append(source)
        if len(visited) > _MAX_CHAIN:
            raise ProfileCycle(visited)
        if has_static_keys(source_section) or not is_assume_role(source_section):
            source_kind = STATIC if has_static_keys(source_section) else classify(source_section)
            if source_kind == NONE:
                raise InvalidProfile(source, "is a source_profile but has no credentials")
            _check_own_keys(source, source_section, source_kind)
            if source_kind == SSO:
                check_sso_session(files, source, source_section)
            chain.append((source, source_kind))
            break
        chain.append((source, ASSUME_ROLE))
        current_name, current = source, source_section
    return Resolved(name, kind, section, tuple(chain))
