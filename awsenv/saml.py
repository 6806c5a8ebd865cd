"""Read a base64 SAML response: the AWS roles it offers, its SessionDuration, and which role to use.

A SAML response is a credential (whoever holds it can call AssumeRoleWithSAML until it expires),
so nothing here ever puts its text into a message or a ``repr``. Role ARNs are not secret and do
appear in messages.

Input rules for :func:`parse`, decided once:

- Whitespace and newlines anywhere are dropped (a saved file is often wrapped at 76 columns).
- A leading ``SAMLResponse=`` (the form field as a browser's developer tools show it) is dropped.
- ``%XX`` escapes are decoded when a ``%`` occurs (``%2B``, ``%2F``, ``%3D``: the form body as
  posted); base64 has no ``%``, so this is never ambiguous. ``+`` is kept as ``+`` (it is base64,
  not a space: an encoded form writes a real ``+`` as ``%2B``).
- The URL-safe alphabet (``-``, ``_``) and missing ``=`` padding are accepted.
- The decoded document is at most 1 MiB, UTF-8, and may not contain a DOCTYPE or an ENTITY
  declaration (refused before parsing, so entity expansion such as "billion laughs" never runs).
- Elements are matched on local names, so any namespace prefix (``saml2:``, ``saml:``, none)
  works; attribute names are matched exactly (AWS matches them case-sensitively).
- Each Role value is a pair of ARNs separated by a comma, in either order: the half containing
  ``:saml-provider/`` is the principal, the half containing ``:role/`` the role.

Standard library only; the XML modules are imported inside functions (cold path).
"""

from __future__ import annotations

import os

from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from xml.etree.ElementTree import Element

ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
MAX_DOCUMENT_BYTES = 1024 * 1024  # decoded XML
MAX_TEXT_CHARS = 4 * MAX_DOCUMENT_BYTES  # base64 text with whitespace and %-escapes
ROLE_HINT = "pass --role ROLE_ARN, or set saml_role_arn in the profile"
_FORM_FIELD = "SAMLResponse="
_ARN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/,+=.@_- ")
_SHOWN_VALUE_MAX = 300


class SamlError(AwsenvError):
    """A SAML response, or the choice of a role in it, cannot be used (never shows its text)."""


class SamlRoleNotOffered(SamlError):
    """The preset role (``--role`` / ``saml_role_arn``) is not among the assertion's roles."""

    def __init__(self, preset: str, roles: Sequence[SamlRole]) -> None:
        super().__init__(
            f"the SAML assertion does not offer role {preset}; it offers: {_listing(roles)}",
            hint="pass one of these with --role, or change saml_role_arn in the profile",
        )
        self.preset = preset
        self.offered = tuple(r.role_arn for r in roles)


class SamlRoleChoiceNeeded(SamlError):
    """Several roles are offered, no preset names one, and there is no terminal to ask on."""

    def __init__(self, roles: Sequence[SamlRole]) -> None:
        super().__init__(
            f"the SAML assertion offers {len(roles)} roles and there is no terminal to choose "
            f"on: {_listing(roles)}",
            hint=ROLE_HINT,
        )
        self.offered = tuple(r.role_arn for r in roles)


class SamlRole:
    """One ``Role`` value of an assertion: an IAM role and the SAML provider that vouches for it."""

    __slots__ = ("principal_arn", "role_arn")

    def __init__(self, role_arn: str, principal_arn: str) -> None:
        self.role_arn = role_arn
        self.principal_arn = principal_arn

    @property
    def account_id(self) -> str:
        """The role's account (the fifth field of its ARN)."""
        parts = self.role_arn.split(":", 5)
        return parts[4] if len(parts) > 4 else ""

    @property
    def role_name(self) -> str:
        """The role's name (the last path segment after ``:role/``)."""
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def role_path_name(self) -> str:
        """What follows ``:role/`` (the path and the name), for display."""
        return self.role_arn.split(":role/", 1)[-1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SamlRole):
            return NotImplemented
        return (self.role_arn, self.principal_arn) == (other.role_arn, other.principal_arn)

    def __hash__(self) -> int:
        return hash((self.role_arn, self.principal_arn))

    def __repr__(self) -> str:
        return f"SamlRole(role_arn={self.role_arn!r}, principal_arn={self.principal_arn!r})"


class Assertion:
    """A parsed SAML response: its base64 text (for STS), the roles it offers, SessionDuration."""

    __slots__ = ("raw_b64", "roles", "session_duration")

    def __init__(
        self, raw_b64: str, roles: list[SamlRole], session_duration: int | None = None
    ) -> None:
        self.raw_b64 = raw_b64  # standard base64 of the whole samlp:Response, as STS wants it
        self.roles = roles
        self.session_duration = session_duration

    def __repr__(self) -> str:
        return (
            f"Assertion(raw_b64=<{len(self.raw_b64)} chars redacted>, roles={self.roles!r}, "
            f"session_duration={self.session_duration!r})"
        )


# --- parsing ------------------------------------------------------------------------------------


def _listing(roles: Sequence[SamlRole]) -> str:
    return ", ".join(r.role_arn for r in roles) if roles else "no roles"


def _decode_base64(text: str) -> bytes:
    """Turn the text as saved or posted into the decoded document bytes."""
    import base64
    import binascii

    if len(text) > MAX_TEXT_CHARS:
        raise SamlError(
            f"the SAML assertion is larger than {MAX_TEXT_CHARS} characters",
            hint="save only the SAMLResponse value",
        )
    compact = "".join(text.split())
    if compact.startswith(_FORM_FIELD):
        compact = compact[len(_FORM_FIELD) :]
    if "%" in compact:
        from urllib.parse import unquote

        compact = "".join(unquote(compact).split())
    if not compact:
        raise SamlError("the SAML assertion is empty", hint="save the base64 SAMLResponse value")
    if "-" in compact or "_" in compact:
        compact = compact.replace("-", "+").replace("_", "/")
    compact = compact.rstrip("=")
    compact += "=" * (-len(compact) % 4)
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise SamlError(
            "the SAML assertion is not base64 (its text is not shown: it is a credential)",
            hint="save the SAMLResponse form value exactly as the identity provider posted it",
        ) from None
    if not data:
        raise SamlError("the SAML assertion is empty", hint="save the base64 SAMLResponse value")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SamlError(f"the decoded SAML assertion is larger than {MAX_DOCUMENT_BYTES} bytes")
    return data


def _not_xml(why: str) -> SamlError:
    return SamlError(
        f"the SAML assertion is base64 but not a SAML XML document ({why}; "
        "its text is not shown: it is a credential)",
        hint="save the SAMLResponse form value, not the page or another field",
    )


def _parse_xml(data: bytes) -> Element:
    """Parse the decoded document, refusing DTDs (and so any entity expansion) beforehand."""
    import xml.etree.ElementTree as ET

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_xml("not UTF-8 text") from None
    if "\x00" in text:
        raise _not_xml("it contains NUL bytes")
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise SamlError(
            "the SAML assertion contains a DOCTYPE or ENTITY declaration, which SAML never "
            "needs; it is refused unparsed",
            hint="get a fresh SAML response from the identity provider",
        )
    if not text.lstrip().startswith("<"):
        raise _not_xml("it does not start with '<'")
    try:
        # A str goes to expat as UTF-8, whatever the XML declaration says.
        return ET.fromstring(text)  # noqa: S314 - DTDs refused above; size capped
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise _not_xml(f"malformed at line {line}, column {column}") from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attribute_values(root: Element, name: str) -> list[str] | None:
    """Return the text of every AttributeValue of the Attributes named ``name`` (None: no such)."""
    found = False
    values: list[str] = []
    for element in root.iter():
        if _local(element.tag) != "Attribute" or element.get("Name") != name:
            continue
        found = True
        for child in element.iter():
            if _local(child.tag) == "AttributeValue":
                values.append("".join(child.itertext()).strip())
    return values if found else None


def _shown(value: str) -> str:
    if len(value) <= _SHOWN_VALUE_MAX and all(c in _ARN_CHARS for c in value):
        return f" ({value!r})"
    return ""


def _is_arn(text: str, resource: str) -> bool:
    parts = text.split(":", 5)
    return (
        len(parts) == 6
        and parts[0] == "arn"
        and bool(parts[1])
        and parts[2] == "iam"
        and len(parts[4]) == 12
        and parts[4].isascii()
        and parts[4].isdigit()
        and parts[5].startswith(resource)
        and len(parts[5]) > len(resource)
        and not parts[5].endswith("/")
    )


def parse_role_value(value: str, index: int = 1) -> SamlRole:
    """Split one Role AttributeValue (role and provider ARNs, either order) into a SamlRole."""
    halves = [part.strip() for part in value.split(",")]
    if len(halves) == 2:
        providers = [h for h in halves if ":saml-provider/" in h]
        roles = [h for h in halves if ":role/" in h and ":saml-provider/" not in h]
        if (
            len(providers) == 1
            and len(roles) == 1
            and _is_arn(roles[0], "role/")
            and _is_arn(providers[0], "saml-provider/")
        ):
            return SamlRole(roles[0], providers[0])
    raise SamlError(
        f"Role value {index} of the SAML assertion{_shown(value)} is not a role ARN and a "
        "SAML provider ARN separated by a comma",
        hint="the identity provider's AWS app must send "
        "'arn:aws:iam::ACCOUNT:role/NAME,arn:aws:iam::ACCOUNT:saml-provider/NAME'",
    )


def _session_duration(root: Element) -> int | None:
    values = _attribute_values(root, SESSION_DURATION_ATTRIBUTE)
    if not values:
        return None
    text = values[0].strip()
    if not (text.isascii() and text.isdigit()):
        return None  # only advisory for API credentials; STS judges the assertion itself
    return int(text)


def parse(b64: str) -> Assertion:
    """Decode and read a base64 SAML response (see the module docstring for the input rules).

    Raises :class:`SamlError` (one line, never the assertion's text) when it is not base64, not
    XML, declares a DTD, has no Role attribute, or a Role value is not an ARN pair.
    """
    import base64

    from awsenv import log

    log.remember_secret(b64.strip())
    data = _decode_base64(b64)
    root = _parse_xml(data)
    values = _attribute_values(root, ROLE_ATTRIBUTE)
    if values is None:
        raise SamlError(
            f"the SAML assertion has no {ROLE_ATTRIBUTE} attribute, so it offers no AWS role",
            hint="assign the user an AWS role in the identity provider's AWS app",
        )
    if not values:
        raise SamlError(
            f"the {ROLE_ATTRIBUTE} attribute of the SAML assertion has no values",
            hint="assign the user an AWS role in the identity provider's AWS app",
        )
    roles: list[SamlRole] = []
    seen: set[SamlRole] = set()  # a set: 10 000 roles must not take 50 million comparisons
    for index, value in enumerate(values, 1):
        role = parse_role_value(value, index)
        if role not in seen:
            seen.add(role)
            roles.append(role)
    raw = base64.b64encode(data).decode("ascii")
    log.remember_secret(raw)
    return Assertion(raw, roles, _session_duration(root))


def read_assertion_file(path: str) -> str:
    """Return the text of a saved SAML response (``~`` expanded); SamlError if there is none."""
    full = os.path.expanduser(path)
    try:
        with open(full, "rb") as handle:
            data = handle.read(MAX_TEXT_CHARS + 1)
    except FileNotFoundError:
        raise SamlError(
            f"the SAML assertion file {full} does not exist",
            hint="save the SAMLResponse value there, or fix saml_assertion_file",
        ) from None
    except IsADirectoryError:
        raise SamlError(f"the SAML assertion file {full} is a directory") from None
    except OSError as exc:
        raise SamlError(
            f"cannot read the SAML assertion file {full}: {exc.strerror or exc}"
        ) from None
    if len(data) > MAX_TEXT_CHARS:
        raise SamlError(f"the SAML assertion file {full} is larger than {MAX_TEXT_CHARS} bytes")
    text = data.decode("utf-8", "replace")
    if not text.strip():
        raise SamlError(
            f"the SAML assertion file {full} is empty",
            hint="save the base64 SAMLResponse value in it",
        )
    return text


# --- choosing ----------------------------------------------------------------------------------


def choose(
    roles: Sequence[SamlRole],
    *,
    preset: str | None,
    picker: Callable[[list[SamlRole]], SamlRole] | None,
) -> SamlRole:
    """Pick the role to assume.

    A preset (``--role`` / ``saml_role_arn``: a role ARN, or a role name that only one offered
    role has) wins and must be offered; otherwise a single role is taken; otherwise ``picker``
    chooses (None, as when there is no terminal: :class:`SamlRoleChoiceNeeded`).
    """
    offered = list(roles)
    if not offered:
        raise SamlError("the SAML assertion offers no AWS role")
    if preset is not None and preset.strip():
        wanted = preset.strip()
        matches = [r for r in offered if r.role_arn == wanted]
        if not matches and ":" not in wanted:
            matches = [r for r in offered if wanted in (r.role_name, r.role_path_name)]
            if len({r.role_arn for r in matches}) > 1:
                raise SamlError(
                    f"role name {wanted!r} matches {len(matches)} roles in the SAML assertion: "
                    f"{_listing(matches)}",
                    hint="pass the role ARN with --role, or in saml_role_arn",
                )
        if not matches:
            raise SamlRoleNotOffered(wanted, offered)
        return matches[0]
    if len({r.role_arn for r in offered}) == 1:
        return offered[0]
    if picker is None:
        raise SamlRoleChoiceNeeded(offered)
    chosen = picker(offered)
    if chosen not in offered:  # a picker must return one of the roles it was given
        raise SamlError("the role picker returned a role the SAML assertion does not offer")
    return chosen
