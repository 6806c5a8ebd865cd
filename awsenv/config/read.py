"""Read ~/.aws/config and ~/.aws/credentials exactly as botocore does.

Parsing follows botocore's ``configloader`` (a default ``RawConfigParser``: strict duplicates, no
inline comments, ``[DEFAULT]`` copied into every section, nested ``s3 =`` blocks, two-word
``[profile x]`` headers, later sections replacing earlier ones) and ``Session.full_config`` (the
credentials file's sections update or add profiles). Line numbers for messages (the parser does
not give them) come from the one line scanner, ``ini_lines``.

Parsing costs far more than a cached ``awsenv use`` may spend: ``index`` keeps the result and
calls :func:`parse` only when a file changed, so nothing here is imported on the hot path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from awsenv import paths
from awsenv.config import ini_lines
from awsenv.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    Value = str | dict[str, str]
    Section = dict[str, Value]


class Parsed:
    """Everything botocore would see in the two files, as plain dicts."""

    __slots__ = ("origins", "profiles", "services", "sso_sessions")

    def __init__(
        self,
        profiles: dict[str, Section],
        sso_sessions: dict[str, Section],
        services: dict[str, Section],
        origins: dict[str, str],
    ) -> None:
        self.profiles = profiles
        self.sso_sessions = sso_sessions
        self.services = services
        self.origins = origins


def _read_text(path: str) -> str | None:
    """Read a file as configparser does (locale encoding, universal newlines); None on error."""
    try:
        with open(path, encoding=None) as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _decode_error_line(path: str) -> int:
    """Find the line of the first byte the locale's encoding cannot decode (0 if unknown)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        raw.decode(paths.file_encoding())
    except UnicodeDecodeError as exc:
        return raw[: exc.start].count(b"\n") + 1
    except OSError:
        return 0
    return 0


def _starts_with_bom(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(3) == b"\xef\xbb\xbf"
    except OSError:
        return False


def _broken_header(path: str, before: int | None) -> tuple[int, str] | None:
    """Find a ``[section`` line without its ``]`` at or before line ``before``.

    configparser does not see such a line as a header, so the keys under it land in the section
    above, and the error it raises (a key "appearing twice" there) names the wrong place.
    """
    text = _read_text(path)
    if text is None:
        return None
    for line in ini_lines.scan_text(ini_lines.text_lines(text)):
        if before is not None and line.number > before:
            break
        stripped = line.text.strip()
        if line.kind == ini_lines.OTHER and stripped.startswith("[") and "]" not in stripped:
            return line.number, f"section header {stripped!r} lacks its closing ']'"
    return None


def _describe(exc: Exception, path: str) -> tuple[int | None, str]:
    """Turn a configparser error into (line, one-line description)."""
    line, what = _configparser_error(exc, path)
    return _broken_header(path, line) or (line, what)


def _configparser_error(exc: Exception, path: str) -> tuple[int | None, str]:
    import configparser

    if isinstance(exc, configparser.DuplicateSectionError):
        return exc.lineno, f"section [{exc.section}] appears twice in this file"
    if isinstance(exc, configparser.DuplicateOptionError):
        return exc.lineno, f"key {exc.option!r} appears twice in section [{exc.section}]"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return exc.lineno, "a key = value line comes before the first [section] header"
    if isinstance(exc, configparser.ParsingError):
        lineno = exc.errors[0][0]
        # configparser keeps repr() of the line; show the line itself, from the file.
        text = _read_text(path)
        lines = ini_lines.text_lines(text) if text is not None else []
        shown = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
        return lineno, f"cannot parse line {shown!r} (expected 'key = value')"
    return None, str(exc).splitlines()[0]


def raw_parse(path: str) -> tuple[dict[str, Section], dict[str, int]]:
    """Parse one INI file as botocore's ``raw_config_parse`` does; a missing file is empty.

    Returns the sections (nested blocks already split into dicts) and each header's line.
    """
    if not os.path.isfile(path):
        return {}, {}
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except configparser.Error as exc:
        if _starts_with_bom(path):
            raise ConfigError(
                path, 1, "the file starts with a UTF-8 byte-order mark; save it without one"
            ) from None
        line, what = _describe(exc, path)
        raise ConfigError(path, line, what) from None
    except UnicodeDecodeError:
        raise ConfigError(
            path, _decode_error_line(path), "the file is not valid text in this locale's encoding"
        ) from None
    text = _read_text(path)
    lines = ini_lines.scan_text(ini_lines.text_lines(text)) if text is not None else []
    headers = ini_lines.header_lines(lines)
    sections: dict[str, Section] = {}
    for section in parser.sections():
        values: Section = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            if value.startswith("\n"):
                nested = _parse_nested(value)
                if isinstance(nested, str):
                    line = _nested_line(lines, headers, section, option, nested)
                    raise ConfigError(
                        path,
                        line,
                        f"nested line {nested!r} under {option!r} in [{section}] has no '='",
                    )
                values[option] = nested
            else:
                values[option] = value
        sections[section] = values
    return sections, headers


def _parse_nested(value: str) -> dict[str, str] | str:
    """Split an ``s3 =`` block as botocore does; return the offending line if one has no '='."""
    nested: dict[str, str] = {}
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        if "=" not in line:
            return line
        key, _, nested_value = line.partition("=")
        nested[key.strip()] = nested_value.strip()
    return nested


def _nested_line(
    lines: Sequence[ini_lines.Line], headers: dict[str, int], section: str, option: str, bad: str
) -> int:
    """Find the line of ``bad`` inside ``option``'s block in ``section`` (or in [DEFAULT])."""
    for header in (section, ini_lines.DEFAULT):
        for line in lines:
            if (
                line.kind == ini_lines.CONTINUATION
                and line.section == header
                and line.key == option
                and line.text.strip() == bad
            ):
                return line.number
    return headers.get(section, 0)


def two_words(header: str) -> str | None:
    """Return the name in ``[profile NAME]``-style headers, by botocore's shlex rule."""
    if not ("'" in header or '"' in header or "\\" in header):
        # Without quotes or escapes shlex only splits at its whitespace (space, tab, CR, LF),
        # and shlex costs about 60 us a header: a 10 000-profile config would spend 0.6 s here.
        parts = [p for p in header.replace("\t", " ").split(" ") if p]
        return parts[1] if len(parts) == 2 else None
    import shlex

    try:
        parts = shlex.split(header)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


def parse(config_path: str, credentials_path: str) -> Parsed:
    """Parse both files and merge them as ``botocore.session.Session.full_config`` does."""
    sections, config_lines = raw_parse(config_path)
    profiles: dict[str, Section] = {}
    sso_sessions: dict[str, Section] = {}
    services: dict[str, Section] = {}
    origins: dict[str, str] = {}
    for header, values in sections.items():
        if header.startswith("profile"):
            name = two_words(header)
            if name is not None:
                profiles[name] = dict(values)
                origins[name] = f"{config_path}:{config_lines.get(header, 0)}"
        elif header.startswith("sso-session"):
            name = two_words(header)
            if name is not None:
                sso_sessions[name] = dict(values)
        elif header.startswith("services"):
            name = two_words(header)
            if name is not None:
                services[name] = dict(values)
        elif header == "default":
            profiles[header] = dict(values)
            origins[header] = f"{config_path}:{config_lines.get(header, 0)}"
    credentials, credential_lines = raw_parse(credentials_path)
    for name, values in credentials.items():
        if name in profiles:
            profiles[name].update(values)
        else:
            profiles[name] = dict(values)
            origins[name] = f"{credentials_path}:{credential_lines.get(name, 0)}"
    return Parsed(profiles, sso_sessions, services, origins)


@dataclass(frozen=True, eq=False)
class Files:
    """The two config files as botocore reads them (no index), or the error that stops botocore.

    What ``explain``, ``doctor`` and ``doctor --fix`` read: it never raises.
    """

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

    def profile_names(self) -> list[str]:
        """Return every profile name (as ``config.ConfigFiles`` does)."""
        return self.names()

    def sso_session_names(self) -> list[str]:
        """Return every ``[sso-session]`` name."""
        return list(self.parsed.sso_sessions) if self.parsed is not None else []

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
        parsed = parse(config_path, credentials_path)
    except ConfigError as exc:
        return Files(config_path, credentials_path, None, exc)
    return Files(config_path, credentials_path, parsed)
