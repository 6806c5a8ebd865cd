"""Read ~/.aws/config and ~/.aws/credentials exactly as botocore does, through a stat-keyed index.

Parsing follows botocore's ``configloader`` (a default ``RawConfigParser``: strict duplicates, no
inline comments, ``[DEFAULT]`` copied into every section, nested ``s3 =`` blocks, two-word
``[profile x]`` headers, later sections replacing earlier ones) and ``Session.full_config`` (the
credentials file's sections update or add profiles).

Parsing costs far more than a cached ``awsenv use`` may spend, so the result is kept in an index
under awsenv's cache directory, addressed by the two files' identity (path, device, inode, size,
mtime). A call whose files are unchanged reads one small bucket for the profile it needs and never
parses. Secret values are not copied into the index: a record keeps only that they are present.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

from awsenv import paths
from awsenv.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    Value = str | dict[str, str]
    Section = dict[str, Value]

# Keys whose values are secrets: the index stores SECRET_PLACEHOLDER instead of the value.
SECRET_KEYS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})
SECRET_PLACEHOLDER = "\x00secret"

# Bumped whenever the record layout changes; part of every index path.
_INDEX_FORMAT = 1
_BUCKETS = 256
# A file modified this recently may change again within the filesystem's timestamp granularity
# without its stamp changing, so it is parsed but not indexed (git's "racy" rule).
_RACY_NS = 2_000_000_000

ORIGIN = "__origin__"  # key in each profile record: "path:line" of the section that defined it
_MISSING = object()  # what _read returns for an index file that does not exist


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


# --- botocore-compatible parsing (cold path) -------------------------------------------------


def _file_lines(text: str) -> list[str]:
    """Split text as iterating over a text file does: at newlines only (not splitlines)."""
    return text.split("\n")


def _section_lines(text: str) -> dict[str, int]:
    """Map each section header to the line it is on (for messages; the parser does not say).

    Follows configparser's reading loop: whole-line comments and blank lines are skipped, and a
    line indented deeper than the key above it continues that key's value (even if it looks like
    ``[a header]``).
    """
    lines: dict[str, int] = {}
    key_indent: int | None = None  # indent of the current key line; None right after a header
    for number, line in enumerate(_file_lines(text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        indent = len(line) - len(line.lstrip())
        if key_indent is not None and indent > key_indent:
            continue  # continuation of a value
        if stripped.startswith("[") and "]" in stripped[1:]:
            header = stripped[1 : stripped.rindex("]")]
            if header:
                lines.setdefault(header, number)
                key_indent = None
                continue
        key_indent = indent
    return lines


def _read_text(path: str) -> str | None:
    """Read a file as configparser does (locale encoding, universal newlines); None on error."""
    try:
        with open(path, encoding=None) as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _decode_error_line(path: str) -> int:
    """Find the line of the first byte the locale's encoding cannot decode (0 if unknown)."""
    import locale

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        raw.decode(locale.getpreferredencoding(False))
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


def _describe(exc: Exception, path: str) -> tuple[int | None, str]:
    """Turn a configparser error into (line, one-line description)."""
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
        lines = _file_lines(text) if text is not None else []
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
    lines = _section_lines(text) if text is not None else {}
    sections: dict[str, Section] = {}
    for section in parser.sections():
        values: Section = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            if value.startswith("\n"):
                nested = _parse_nested(value)
                if isinstance(nested, str):
                    line = _nested_line(text or "", lines, section, option, nested)
                    raise ConfigError(
                        path,
                        line,
                        f"nested line {nested!r} under {option!r} in [{section}] has no '='",
                    )
                values[option] = nested
            else:
                values[option] = value
        sections[section] = values
    return sections, lines


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


def _nested_line(text: str, headers: dict[str, int], section: str, option: str, bad: str) -> int:
    """Find the line of ``bad`` inside ``option``'s block in ``section`` (or in [DEFAULT])."""
    lines = _file_lines(text)
    for header in (section, "DEFAULT"):
        start = headers.get(header)
        if start is None:
            continue
        option_indent: int | None = None  # indent of the option's key line once found
        for number in range(start + 1, len(lines) + 1):
            line = lines[number - 1]
            stripped = line.strip()
            if not stripped or stripped.startswith(("#", ";")):
                continue
            indent = len(line) - len(line.lstrip())
            if option_indent is not None and indent > option_indent:
                if stripped == bad:
                    return number
                continue
            if stripped.startswith("["):
                break  # the next section
            key = stripped.split("=", 1)[0].split(":", 1)[0]
            option_indent = indent if key.strip().lower() == option else None
    return headers.get(section, 0)


def _two_words(header: str) -> str | None:
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
            name = _two_words(header)
            if name is not None:
                profiles[name] = dict(values)
                origins[name] = f"{config_path}:{config_lines.get(header, 0)}"
        elif header.startswith("sso-session"):
            name = _two_words(header)
            if name is not None:
                sso_sessions[name] = dict(values)
        elif header.startswith("services"):
            name = _two_words(header)
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


# --- the index (hot path) --------------------------------------------------------------------


def _stamp(path: str) -> tuple[str, int, int, int, int] | tuple[str]:
    try:
        st = os.stat(path)
    except OSError:
        return (path,)
    if st.st_mode & 0o170000 != 0o100000:  # not a regular file: botocore ignores it
        return (path,)
    return (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _bucket(name: str) -> str:
    import binascii

    return f"{binascii.crc32(name.encode('utf-8', 'surrogatepass')) % _BUCKETS:02x}"


def _redact(section: Section) -> Section:
    return {k: (SECRET_PLACEHOLDER if k in SECRET_KEYS else v) for k, v in section.items()}


def _meta(parsed: Parsed) -> tuple[list[str], dict[str, Section], dict[str, Section]]:
    # [DEFAULT] copies its keys into every section, so sso-sessions and services may hold secrets.
    return (
        list(parsed.profiles),
        {k: _redact(v) for k, v in parsed.sso_sessions.items()},
        {k: _redact(v) for k, v in parsed.services.items()},
    )


def _encoding() -> str:
    """Return the encoding configparser reads with, cheaply (``locale`` itself imports ``re``)."""
    if sys.flags.utf8_mode:
        return "utf-8"
    try:
        import _locale  # the C module behind locale.getpreferredencoding

        return str(_locale.nl_langinfo(_locale.CODESET))
    except (ImportError, AttributeError):
        return ""


def _foreign(st: os.stat_result) -> bool:
    """True if another user owns the file (as cache.foreign; not imported on the hot path)."""
    return sys.platform != "win32" and hasattr(os, "geteuid") and st.st_uid != os.geteuid()


class ConfigFiles:
    """The merged view of the two files, loaded lazily from the index or by parsing."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.config_path = paths.config_file(environ)
        self.credentials_path = paths.credentials_file(environ)
        self._environ = environ
        self._stamps = (_stamp(self.config_path), _stamp(self.credentials_path))
        self._key = repr((_INDEX_FORMAT, sys.version_info[:2], _encoding(), self._stamps))
        self._parsed: Parsed | None = None
        self._meta: tuple[list[str], dict[str, Section], dict[str, Section]] | None = None
        self._reads: dict[str, object] = {}
        self._index_dir = self._locate_index()

    # The index lives at <cache>/index/<crc of the stamp>; every file in it repeats the full
    # stamp, so a crc collision is detected rather than trusted.
    def _locate_index(self) -> str:
        import binascii

        base = os.path.join(paths.cache_dir(self._environ), "index")
        return os.path.join(
            base, f"{binascii.crc32(self._key.encode('utf-8', 'surrogatepass')):08x}"
        )

    def _read(self, name: str) -> object:
        """Return a payload of this index, _MISSING if the file is absent, None if unusable.

        Each index file is read at most once per ConfigFiles (a chain asks for the same
        bucket again).
        """
        if name in self._reads:
            return self._reads[name]
        try:
            with open(os.path.join(self._index_dir, name), "rb") as handle:
                mine = not _foreign(os.fstat(handle.fileno()))  # planted: not ours to trust
                key, payload = marshal.loads(handle.read())  # noqa: S302 - our own 0600 file
        except FileNotFoundError:
            payload = _MISSING
        except (OSError, ValueError, EOFError, TypeError):
            payload = None
        else:
            payload = payload if mine and key == self._key else None
        self._reads[name] = payload
        return payload

    def _parse(self) -> Parsed:
        if self._parsed is None:
            self._parsed = parse(self.config_path, self.credentials_path)
            # secret_profile parses even when the index is good: rebuilding all of it then
            # (256 buckets, a rename, an rmtree) cost more than the parse itself.
            if not isinstance(self._read("meta"), tuple):
                self._write_index(self._parsed)
        return self._parsed

    def _indexable(self) -> bool:
        now = time.time_ns()
        return all(len(stamp) == 1 or now - stamp[-1] >= _RACY_NS for stamp in self._stamps)

    def _write_index(self, parsed: Parsed) -> None:
        if not self._indexable():
            return
        if (_stamp(self.config_path), _stamp(self.credentials_path)) != self._stamps:
            return  # a file changed while it was parsed: what was read may match neither stamp
        import shutil
        import tempfile

        base = os.path.dirname(self._index_dir)
        try:
            paths.ensure_private_dir(base)
            tmp = tempfile.mkdtemp(prefix=".build-", dir=base)
            buckets: dict[str, dict[str, Section]] = {}
            for name, section in parsed.profiles.items():
                record = _redact(section)
                record[ORIGIN] = parsed.origins.get(name, "")
                buckets.setdefault(_bucket(name), {})[name] = record
            files: dict[str, object] = {f"b{k}": v for k, v in buckets.items()}
            meta = _meta(parsed)
            files["meta"] = meta
            # on their own too: an SSO use needs its session, not every profile name
            files["sessions"] = meta[1]
            for file_name, payload in files.items():
                fd = os.open(
                    os.path.join(tmp, file_name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
                )
                with os.fdopen(fd, "wb") as handle:
                    handle.write(marshal.dumps((self._key, payload)))  # type: ignore[arg-type]
            try:
                os.rename(tmp, self._index_dir)
            except OSError:
                self._reads.pop("meta", None)  # read it now, not as it was before
                if isinstance(self._read("meta"), tuple):  # another process indexed them first
                    shutil.rmtree(tmp, ignore_errors=True)
                    return
                # a foreign (crc collision) or damaged index is in the way: replace it
                stale = tmp + ".stale"
                os.rename(self._index_dir, stale)
                shutil.rmtree(stale, ignore_errors=True)
                os.rename(tmp, self._index_dir)
            for entry in os.listdir(base):
                path = os.path.join(base, entry)
                if path != self._index_dir and (
                    not entry.startswith(".build-") or time.time() - os.stat(path).st_mtime > 60
                ):
                    shutil.rmtree(path, ignore_errors=True)
        except OSError:
            return  # the index is an optimisation: a read-only cache must not break awsenv

    def _load_meta(self) -> tuple[list[str], dict[str, Section], dict[str, Section]]:
        if self._meta is None:
            meta = self._read("meta")
            if isinstance(meta, tuple):
                self._meta = meta
            else:
                self._meta = _meta(self._parse())
        return self._meta

    def profile(self, name: str) -> Section | None:
        """Return the merged profile (secret values replaced by a placeholder), or None."""
        if self._parsed is None:
            bucket = self._read(f"b{_bucket(name)}")
            if isinstance(bucket, dict):
                found = bucket.get(name)
                return dict(found) if found is not None else None
            if bucket is _MISSING:  # no profile in this bucket, if the index's name list agrees
                meta = self._read("meta")
                if isinstance(meta, tuple) and name not in meta[0]:
                    return None
            # an unreadable or foreign bucket, or an incomplete index: parse
        parsed = self._parse()
        section = parsed.profiles.get(name)
        if section is None:
            return None
        record = _redact(section)
        record[ORIGIN] = parsed.origins.get(name, "")
        return record

    def secret_profile(self, name: str) -> Section | None:
        """Return the profile with its secret values (parses the files; never from the index)."""
        section = self._parse().profiles.get(name)
        if section is not None:
            from awsenv import log

            for key in SECRET_KEYS:
                log.remember_secret(section.get(key))
        return section

    def profile_names(self) -> list[str]:
        """Return every profile name, config file first, in file order."""
        return self._load_meta()[0]

    def sso_session(self, name: str) -> Section | None:
        """Return the ``[sso-session NAME]`` section, or None."""
        if self._meta is None and self._parsed is None:
            sessions = self._read("sessions")  # small, where "meta" lists every profile
            if isinstance(sessions, dict):
                found = sessions.get(name)
                return dict(found) if found is not None else None
        return self._load_meta()[1].get(name)

    def sso_session_names(self) -> list[str]:
        """Return every sso-session name."""
        return list(self._load_meta()[1])

    def iter_profiles(self) -> Iterator[tuple[str, Section]]:
        """Yield every profile (redacted), in file order."""
        for name in self.profile_names():
            section = self.profile(name)
            if section is not None:
                yield name, section
