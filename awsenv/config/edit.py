"""Add or replace sections in ~/.aws/config (or credentials), every other byte kept.

Two edits, both line-level: :func:`plan` appends new sections after one ``# Added by ...`` comment
line, and :func:`plan_replace` writes one section over its old lines (``use --write-credentials``)
or appends it if the file has none. The rest of the file stays exactly as it was (comments,
spacing, CRLF or CR line ends, a missing final newline, which gets one before an appended block);
where a section starts and ends is decided by the one line scanner, ``ini_lines``. Before anything
is written the result is parsed with botocore's rules (``read.raw_parse``: strict duplicates, no
inline comments, ``[profile NAME]`` read back through shlex) and must hold exactly the old
sections, unchanged, plus the new or replaced one; otherwise nothing is written. The file is
replaced atomically through ``cache.write_bytes`` with its own mode kept (0600 for a new file);
the previous content is kept in ``<file>.awsenv-backup`` (0600, one generation, overwritten by the
next write). A symlinked file (dotfile managers) is written through to its target, so the link
stays a link; a file kept read-only is refused, and so is a file owned by another user (replacing
it would make it ours). Another write between planning and committing is detected (the file is
read again under awsenv's lock) and nothing is written. A program that appends without the lock
while the file is being replaced does not lose its bytes: the replaced file is read back through
a descriptor kept open on it, and what was appended is taken in with the edit redone (bounded),
or kept with the edit refused (:meth:`Plan._write` names the window left). The candidate texts
are parsed from memory files on Linux, so a SIGKILL leaves no copy of the credentials in TMPDIR;
a failed write (disk full, ``ulimit -f``, read-only) leaves the file byte for byte as it was.

:func:`slug` is the naming rule for what awsenv writes (profiles from ``sso sync``, sessions from
``doctor --fix``).
"""

from __future__ import annotations

import os

from awsenv import cache, paths
from awsenv.config import ini_lines, read
from awsenv.config.index import SECRET_KEYS
from awsenv.errors import AwsenvError, CacheError, ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from awsenv.config.read import Section

BACKUP_SUFFIX = ".awsenv-backup"
MAX_BYTES = 64 << 20  # a config file larger than this is not something to rewrite blindly
_FORBIDDEN_IN_NAMES = ("\n", "\r", "\x00", "[", "]")


class ConfigWriteError(AwsenvError):
    """A config file cannot be changed safely; nothing was written."""

    def __init__(self, path: str, what: str, *, hint: str | None = None) -> None:
        super().__init__(f"{path}: {what}", hint=hint)
        self.path = path


class NewSection:
    """One section to append: the text between the brackets and its ``key = value`` lines.

    ``profile`` is the profile name the config file must read back for this section (set by
    :func:`profile_section`); None for a credentials-file section or a non-profile section.
    """

    __slots__ = ("header", "items", "profile")

    def __init__(
        self, header: str, items: Sequence[tuple[str, str]], *, profile: str | None = None
    ) -> None:
        self.header = header
        self.items = tuple(items)
        self.profile = profile

    def __repr__(self) -> str:
        return f"NewSection({self.header!r}, {self.items!r}, profile={self.profile!r})"


# --- what may be written -------------------------------------------------------------------


def check_header(header: str) -> None:
    """Refuse a section header configparser would not read back as exactly ``header``."""
    if not header or header != header.strip():
        raise ValueError(f"section name {header!r} is empty or has spaces at either end")
    bad = [c for c in _FORBIDDEN_IN_NAMES if c in header]
    if bad or not header.isprintable():
        raise ValueError(f"section name {header!r} holds a newline, bracket or control character")


def check_item(key: str, value: str) -> None:
    """Refuse a ``key = value`` line that would not read back as exactly (key, value)."""
    if (
        not key
        or key != key.lower()  # configparser lower-cases keys
        or not key.isprintable()
        or any(c.isspace() or c in "=:[]" for c in key)
        or key[0] in "#;"
    ):
        raise ValueError(f"{key!r} cannot be written as a key")
    if "\n" in value or "\r" in value:
        raise ValueError(f"the value of {key} holds a line break, which would start a new line")
    if value != value.strip() or "\x00" in value:
        raise ValueError(f"the value of {key} has spaces at either end or a NUL byte")


def profile_section(name: str, items: Sequence[tuple[str, str]]) -> NewSection:
    """Build a config-file ``[profile NAME]`` section; ValueError if botocore would misread it.

    botocore splits the header with shlex and keeps the profile only if that gives exactly
    ``profile`` and the name, so names with spaces, quotes or backslashes are refused. The
    default profile is ``[default]``, as the AWS CLI writes it: a ``[profile default]`` after
    it would hide every key of ``[default]`` from botocore.
    """
    if name == "default":
        for key, value in items:
            check_item(key, value)
        return NewSection("default", items, profile=name)
    header = f"profile {name}"
    check_header(header)
    if read.two_words(header) != name:  # botocore's rule, kept in one place
        raise ValueError(f"botocore would not read [profile {name}] back as profile {name!r}")
    for key, value in items:
        check_item(key, value)
    return NewSection(header, items, profile=name)


def slug(text: str) -> str:
    """Lower-case ``text``; every run of characters other than a-z and 0-9 becomes one '-'.

    Accents are dropped first (``Développement`` → ``developpement``). Names awsenv makes up for
    what it writes (``sso sync`` profiles, ``doctor --fix`` sessions) are built from slugs.
    """
    import unicodedata

    out: list[str] = []
    for char in unicodedata.normalize("NFKD", text).lower():
        if unicodedata.combining(char):
            continue
        if "a" <= char <= "z" or "0" <= char <= "9":
            out.append(char)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


# --- building the new text -----------------------------------------------------------------


def newline_of(data: bytes) -> bytes:
    """Return the file's line end: that of its first line (CRLF, LF or CR); LF if none."""
    lf = data.find(b"\n")
    cr = data.find(b"\r")
    if cr != -1 and (lf == -1 or cr < lf):
        return b"\r\n" if data[cr : cr + 2] == b"\r\n" else b"\r"
    return b"\n"


def render(
    old: bytes,
    sections: Sequence[NewSection],
    comment: str,
    path: str = "",
    *,
    newline: bytes | None = None,
    keep_no_final_newline: bool = False,
) -> bytes:
    """Return ``old`` with ``sections`` appended after one ``# comment`` line (old bytes kept).

    Lines end with ``newline`` (default: the file's own, :func:`newline_of`). A file that does
    not end in a newline gets one; with ``keep_no_final_newline`` the result does not end in one
    either (the new block goes without it). ValueError if a header, key or value cannot be
    written so that botocore reads it back.
    """
    if not sections:
        return old
    if "\n" in comment or "\r" in comment:
        raise ValueError("the comment must be one line")
    for section in sections:
        check_header(section.header)
        for key, value in section.items:
            check_item(key, value)
    nl = newline_of(old) if newline is None else newline
    no_final_newline = bool(old) and not old.endswith((b"\n", b"\r"))
    out = old + nl if no_final_newline else old  # the last line keeps its bytes, gets its end
    if out.strip() and not out.endswith(nl + nl):
        out += nl  # one blank line between what was there and the new block
    lines = [f"# {comment}"]
    for number, section in enumerate(sections):
        if number:
            lines.append("")
        lines.append(f"[{section.header}]")
        lines.extend(f"{key} = {value}" for key, value in section.items)
    encoding = paths.file_encoding()
    try:
        block = nl.join(line.encode(encoding) for line in lines)
    except UnicodeEncodeError:
        raise ConfigWriteError(
            path, f"the new sections cannot be written in this locale's encoding ({encoding})"
        ) from None
    return out + block + (b"" if no_final_newline and keep_no_final_newline else nl)


# --- checking the result as botocore will read it ------------------------------------------


class _Scratch:
    """Candidate file contents, parsed from paths that are not the file being edited.

    On Linux each copy is an anonymous memory file (``memfd_create``, read back through
    ``/proc/self/fd``): a SIGKILL leaves no copy of the credentials behind, and a full,
    read-only or missing TMPDIR does not matter. Elsewhere a private (0700) temporary directory
    holds them, removed on the way out.
    """

    def __init__(self, path: str) -> None:
        self.path = path  # the file being edited, for messages
        self._fds: list[int] = []
        self._directory: str | None = None

    def __enter__(self) -> _Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()
        if self._directory is not None:
            import shutil

            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def _in_memory(self, name: str) -> tuple[int, str] | None:
        create = getattr(os, "memfd_create", None)
        if create is None or not os.path.isdir("/proc/self/fd"):
            return None
        try:
            fd: int = create("awsenv-" + name)
        except OSError:
            return None
        self._fds.append(fd)
        return fd, f"/proc/self/fd/{fd}"

    def copy(self, name: str, data: bytes) -> str:
        """Return a path that reads as ``data``; ConfigWriteError if it cannot be made."""
        try:
            found = self._in_memory(name)
            if found is None:
                if self._directory is None:
                    import tempfile

                    self._directory = tempfile.mkdtemp(prefix="awsenv-configwrite-")  # 0700
                path = os.path.join(self._directory, name)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    _write_all(fd, data)
                finally:
                    os.close(fd)
                return path
            fd, path = found
            _write_all(fd, data)
        except OSError as exc:
            raise ConfigWriteError(
                self.path,
                f"cannot check the edit before making it ({exc.strerror}); nothing was changed",
            ) from None
        return path


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _parse_bytes(
    data: bytes, scratch: _Scratch, name: str, *, profiles: bool
) -> tuple[dict[str, Section], dict[str, Section], str]:
    """Parse ``data`` as a file: raw sections, (config) the profile map, the scratch path."""
    path = scratch.copy(name, data)
    sections, _lines = read.raw_parse(path)
    mapped = read.parse(path, os.devnull).profiles if profiles else {}
    return sections, mapped, path


def _what(exc: ConfigError, scratch_path: str) -> str:
    """The description in a parse error found on the scratch copy, without its path."""
    where = f"{scratch_path}:{exc.line}" if exc.line else scratch_path
    return exc.message[len(where) + 2 :] if exc.message.startswith(where) else exc.message


def verify(path: str, old: bytes, new: bytes, sections: Sequence[NewSection]) -> None:
    """Raise unless ``new`` parses as botocore would and holds ``old``'s sections plus ``sections``.

    ``old`` must parse too (a file botocore rejects is not edited: the error names its line).
    Checked: every old section is still there with the same values; the only new sections are
    ``sections``, each with at least its own keys and values (a ``[DEFAULT]`` section adds its
    keys to every section); for profile sections, the profile map is the old one plus the new
    names, none of which replaces an existing profile.
    """
    want_profiles = any(s.profile is not None for s in sections)
    with _Scratch(path) as scratch:
        try:
            old_sections, old_profiles, _ = _parse_bytes(
                old, scratch, "old", profiles=want_profiles
            )
        except ConfigError as exc:
            raise ConfigError(path, exc.line, _what(exc, exc.path)) from None
        try:
            new_sections, new_profiles, _ = _parse_bytes(
                new, scratch, "new", profiles=want_profiles
            )
        except ConfigError as exc:
            what = _what(exc, exc.path)
            at = f" at line {exc.line}" if exc.line else ""
            raise ConfigWriteError(
                path, f"refusing to write: the result would not parse{at} ({what})"
            ) from None

    def refuse(what: str) -> ConfigWriteError:
        return ConfigWriteError(path, f"refusing to write: {what}; nothing was changed")

    for header, values in old_sections.items():
        if new_sections.get(header) != values:
            raise refuse(f"section [{header}] would change")
    added = {s.header: s for s in sections}
    if len(added) != len(sections):
        raise refuse("the same section would be added twice")
    extra = set(new_sections) - set(old_sections)
    if extra != set(added):
        raise refuse("the sections read back are not the ones meant to be added")
    for header, section in added.items():
        got = new_sections[header]
        if any(got.get(key) != value for key, value in section.items):
            raise refuse(f"section [{header}] would not read back as written")
    if want_profiles:
        for name, values in old_profiles.items():
            if new_profiles.get(name) != values:
                raise refuse(f"profile {name!r} would change")
        names = {s.profile for s in sections if s.profile is not None}
        if names & set(old_profiles) or set(new_profiles) - set(old_profiles) != names:
            raise refuse("the profiles read back are not the ones meant to be added")


# --- reading and replacing the file --------------------------------------------------------


def _read(target: str) -> tuple[bytes, int | None]:
    """Return the file's bytes and permission bits; (b"", None) if there is no file."""
    import stat

    try:
        st = os.stat(target)
    except FileNotFoundError:
        return b"", None
    except OSError as exc:
        raise ConfigWriteError(target, f"cannot read it: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigWriteError(target, "is not a regular file; awsenv only edits regular files")
    if cache.foreign(st):
        # Replacing it would make it ours (0600: its owner could no longer read it).
        raise ConfigWriteError(
            target,
            f"is owned by another user (uid {st.st_uid}); awsenv does not replace it",
            hint="run awsenv as the file's owner, or give yourself a copy",
        )
    if st.st_size > MAX_BYTES:
        raise ConfigWriteError(target, f"is larger than {MAX_BYTES >> 20} MiB; not editing it")
    data = cache.read_bytes(target, limit=MAX_BYTES)
    if data is None:
        raise ConfigWriteError(target, "cannot be read (or changed while being read)")
    return data, stat.S_IMODE(st.st_mode)


def _redact_line(line: str) -> str:
    """Hide the value of a secret key on a diff line (context shows the user's own lines)."""
    body = line[1:]
    cut = min((i for i in (body.find("="), body.find(":")) if i != -1), default=-1)
    if line[:1] not in (" ", "-", "+") or cut == -1:
        return line
    if body[:cut].strip().lower() not in SECRET_KEYS:
        return line
    end = body[len(body.rstrip("\r\n")) :]
    return f"{line[0]}{body[: cut + 1]} <redacted>{end}"


class Plan:
    """A checked edit of one file: the bytes it has now and the bytes it will have.

    ``replan`` makes the same edit on other bytes (checked as the first one was, raising
    ConfigWriteError if it does not hold): with it, bytes another program appends while the
    file is replaced are taken in and the edit redone; without it (an edit shown as a diff
    first) they are kept and the edit is refused.
    """

    __slots__ = ("added", "backup", "mode", "new", "old", "path", "replan", "target")

    def __init__(
        self,
        path: str,
        target: str,
        old: bytes,
        new: bytes,
        mode: int | None,
        added: Sequence[NewSection],
        *,
        replan: Callable[[bytes], bytes] | None = None,
        backup: bool = True,
    ) -> None:
        self.path = path  # as configured (AWS_CONFIG_FILE); messages and the backup use it
        # False: the previous content is not kept (it holds a secret the edit takes out)
        self.backup = backup
        self.target = target  # the file actually replaced (a symlink's target)
        self.old = old
        self.new = new
        self.mode = mode  # None: the file does not exist yet
        self.added = tuple(added)
        self.replan = replan

    @property
    def changed(self) -> bool:
        """True if committing would write anything."""
        return self.new != self.old

    @property
    def backup_path(self) -> str:
        """Where the previous content is kept."""
        return self.path + BACKUP_SUFFIX

    def diff(self) -> str:
        """Return a unified diff of the change (empty if none), line ends as in the file.

        Values of secret keys (``aws_secret_access_key``...) in context lines are shown as
        ``<redacted>``: the diff is for reading, and it may end up in a terminal log or a ticket.
        """
        import difflib

        if not self.changed:
            return ""
        encoding = paths.file_encoding()

        def lines(data: bytes) -> list[str]:
            # the line ends configparser splits at (\n, \r\n, \r), kept as they are
            return [raw.decode(encoding, "replace") for raw in ini_lines.split_lines(data)]

        out = []
        for line in difflib.unified_diff(
            lines(self.old), lines(self.new), fromfile=self.path, tofile=self.path
        ):
            line = _redact_line(line)
            if not line.endswith(("\n", "\r")):
                line += "\n\\ No newline at end of file\n"  # as diff(1) marks it
            out.append(line)
        return "".join(out)

    def commit(self, *, lock: str | None = None) -> bool:
        """Write the new content (backup first); False if there was nothing to write.

        Under ``lock`` (awsenv's lock file for this config), the file is read again first: if it
        changed since the plan was made (another tool, an editor), nothing is written. After the
        rename, the file replaced is read again through the descriptor kept open on it: bytes
        another program appended to it meanwhile (it does not take awsenv's lock) are put back,
        with the edit redone on them (:attr:`replan`) or refused; see :meth:`_write`.
        """
        if not self.changed:
            return False
        if lock is None:
            self._write()
        else:
            with cache.FileLock(lock, timeout=30):
                self._write()
        return True

    def _write(self) -> None:
        """Replace the file, then take in what was appended to the one replaced (bounded).

        The window left: a program that opened the file before the rename and writes to it
        after the last read-back (microseconds after the rename) writes into the replaced file,
        which nothing reads any more; so does one that creates the file when there was none.
        """
        fd, data = _open_current(self.path, self.target)
        held = [fd]  # the descriptor open now, closed on the way out whatever happens
        try:
            if data != self.old:
                raise ConfigWriteError(
                    self.path,
                    "changed while awsenv was preparing its edit; nothing was written",
                    hint="run the command again",
                )
            self._replace(held, data)
        finally:
            if held[0] is not None:
                os.close(held[0])

    def _replace(self, held: list[int | None], data: bytes) -> None:
        mode = 0o600 if self.mode is None else self.mode
        try:
            if self.mode is not None and self.backup:
                cache.write_bytes(self.backup_path, self.old)
            cache.write_bytes(self.target, self.new, mode=mode)
        except CacheError as exc:  # disk full, ulimit -f, read-only: the old file is intact
            raise CacheError(f"{self.path} was not changed: {exc.message}") from None
        base, new = self.old, self.new  # the file without the edit, and with it
        refused: str | None = None
        for attempt in range(_REWRITES + 1):
            fd = held[0]
            if fd is None:
                return  # there was no file: nothing could be appended to it
            full = _contents(fd)
            if full == data:
                break  # the file replaced did not change after it was read
            held[0] = None
            os.close(fd)
            held[0], now = _open_current(self.path, self.target)
            if held[0] is None or not now.startswith(new):
                self._keep(base + full[len(data) :] if full.startswith(data) else full)
                raise ConfigWriteError(
                    self.path,
                    "another program replaced it while awsenv wrote it; what that program "
                    f"appended to the previous file is kept in {self.backup_path}",
                    hint="merge it by hand if it is needed",
                )
            if not full.startswith(data):
                refused = "another program rewrote it while awsenv replaced it"
                base = full + now[len(new) :]
            else:
                base = base + full[len(data) :] + now[len(new) :]
            data = now
            if attempt == _REWRITES:
                self._keep(base)
                raise ConfigWriteError(
                    self.path,
                    f"another program kept appending to it while awsenv replaced it; "
                    f"the file without awsenv's edit, with what it appended, is kept in "
                    f"{self.backup_path}",
                    hint="run the command again",
                )
            if refused is None and self.replan is not None and attempt < _REWRITES // 2:
                try:
                    new = self.replan(base)
                except AwsenvError as exc:  # ConfigError too: what was appended does not parse
                    refused = (
                        "another program appended to it while awsenv replaced it, and the edit "
                        f"does not hold on what it appended ({exc.message})"
                    )
            elif refused is None:
                refused = "another program appended to it while awsenv replaced it"
            if refused is not None:
                new = base
            try:
                if new != base and self.mode is not None and self.backup:
                    cache.write_bytes(self.backup_path, base)
                cache.write_bytes(self.target, new, mode=mode)
            except CacheError as exc:
                self._keep(base)
                raise CacheError(
                    f"{self.path}: {exc.message}; what another program appended to it while "
                    f"awsenv replaced it is kept in {self.backup_path}"
                ) from None
        if refused is not None:
            raise ConfigWriteError(
                self.path,
                f"{refused}; its bytes are kept and awsenv's edit is not written",
                hint="run the command again",
            )

    def _keep(self, data: bytes) -> None:
        """Save bytes that could not go back into the file where the backup goes (best effort).

        Without a backup (an edit that takes a secret out), they are kept with the edit made on
        them, or not at all: the secret is never written to the backup.
        """
        if not self.backup:
            if self.replan is None:
                return
            try:
                data = self.replan(data)
            except AwsenvError:
                return
        try:  # noqa: SIM105
            cache.write_bytes(self.backup_path, data)
        except CacheError:
            pass


# How many times the file is replaced at most in one commit: the edit, redone up to half as many
# times on bytes appended meanwhile, then the appended bytes kept without the edit.
_REWRITES = 6


def _open_current(path: str, target: str) -> tuple[int | None, bytes]:
    """Open ``target`` and return the descriptor and its bytes; (None, b"") if there is none.

    The descriptor stays on this file after a rename replaces it, so what is appended to it
    afterwards can be read back (:func:`_contents`). Refuses as :func:`_read` does.
    """
    import stat

    try:
        fd = os.open(
            target, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except FileNotFoundError:
        return None, b""
    except OSError as exc:
        raise ConfigWriteError(path, f"cannot read it: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        data = _contents(fd)
    except OSError as exc:
        os.close(fd)
        raise ConfigWriteError(path, f"cannot read it: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode) or cache.foreign(st) or len(data) > MAX_BYTES:
        os.close(fd)
        raise ConfigWriteError(path, "is no longer a regular file of yours under the size limit")
    return fd, data


def _contents(fd: int) -> bytes:
    """Every byte of the open file, from its start (at most MAX_BYTES + 1)."""
    chunks = []
    total = 0
    while total <= MAX_BYTES:
        chunk = os.pread(fd, min(1 << 20, MAX_BYTES + 1 - total), total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def plan(path: str, sections: Sequence[NewSection], *, comment: str) -> Plan:
    """Read ``path`` and prepare appending ``sections``; raise if the result would be unsafe.

    A file kept read-only (no owner write bit) is refused: someone meant it not to change.
    """
    target = os.path.realpath(path)
    old, mode = _read(target)
    if mode is not None and not mode & 0o200:
        raise ConfigWriteError(
            path,
            f"is read-only (mode {mode:04o}); awsenv does not replace a file kept read-only",
            hint="make it writable (chmod u+w) if awsenv may add to it",
        )
    if not sections:
        return Plan(path, target, old, old, mode, ())

    def append(base: bytes) -> bytes:
        try:
            new = render(base, sections, comment, path)
        except ValueError as exc:
            raise ConfigWriteError(path, f"refusing to write: {exc}") from None
        verify(path, base, new, sections)
        return new

    return Plan(path, target, old, append(old), mode, sections, replan=append)


# --- replacing one section (awsenv use --write-credentials) -----------------------------------


def _section_span(lines: list[ini_lines.Line], header: str) -> tuple[int, int] | None:
    """Return the line range of ``[header]`` up to the next section (comments above it kept)."""
    for name, start, end in ini_lines.sections(lines):
        if name == header:
            return start, ini_lines.body_end(lines, start, end)
    return None


def _read_back(
    path: str, old: bytes, new: bytes, header: str
) -> tuple[dict[str, Section], dict[str, Section]]:
    """Parse ``old`` and ``new`` as botocore does; refuse a ``new`` that changes another section.

    Returns both parses, for the caller to check ``[header]`` itself.
    """
    with _Scratch(path) as scratch:
        try:
            old_sections, _, _ = _parse_bytes(old, scratch, "old", profiles=False)
        except ConfigError as exc:
            raise ConfigError(path, exc.line, _what(exc, exc.path)) from None
        try:
            new_sections, _, _ = _parse_bytes(new, scratch, "new", profiles=False)
        except ConfigError:
            raise ConfigWriteError(path, "refusing to write: the result would not parse") from None
    others_kept = all(new_sections.get(h) == v for h, v in old_sections.items() if h != header)
    if set(new_sections) != set(old_sections) or not others_kept:
        raise ConfigWriteError(path, "refusing to write: other sections would change")
    return old_sections, new_sections


def plan_replace(path: str, section: NewSection, *, comment: str) -> Plan:
    """Prepare writing ``section`` over its old lines (or appending it): nothing else changes.

    Every other byte of the file stays as it was. Before anything is written, the result is
    parsed as botocore reads it and must hold every other section unchanged and exactly
    ``section``'s keys in it; otherwise nothing is written.
    """
    target = os.path.realpath(path)
    old, mode = _read(target)
    if mode is not None and not mode & 0o200:
        raise ConfigWriteError(path, f"is read-only (mode {mode:04o}); awsenv will not replace it")
    try:
        check_header(section.header)
        for key, value in section.items:
            check_item(key, value)
    except ValueError as exc:
        raise ConfigWriteError(path, f"refusing to write: {exc}") from None

    def replace(base: bytes) -> bytes:
        return _replaced(path, base, section, comment)

    return Plan(path, target, old, replace(old), mode, [section], replan=replace)


def _replaced(path: str, old: bytes, section: NewSection, comment: str) -> bytes:
    """Return ``old`` with ``section`` written over its lines, or appended; checked as botocore."""
    encoding = paths.file_encoding()
    # undecodable bytes do not hide a header; the parse below reports them with their line
    scanned = ini_lines.scan(old, encoding, "surrogateescape")
    found = _section_span(scanned, section.header)
    if found is None:
        try:
            new = render(old, [section], comment, path)
        except ValueError as exc:
            raise ConfigWriteError(path, f"refusing to write: {exc}") from None
        verify(path, old, new, [section])
        return new
    lines = [line.raw for line in scanned]
    nl = newline_of(old)
    block = [f"[{section.header}]".encode(encoding) + nl] + [
        f"{key} = {value}".encode(encoding) + nl for key, value in section.items
    ]
    start, end = found
    if end == len(lines) and lines and not lines[-1].endswith((b"\n", b"\r")):
        block[-1] = block[-1].rstrip(b"\r\n")  # the file had no final newline: keep it so
    new = b"".join(lines[:start] + block + lines[end:])
    _old, new_sections = _read_back(path, old, new, section.header)
    written = new_sections.get(section.header, {})
    if any(written.get(key) != value for key, value in section.items):
        raise ConfigWriteError(path, f"refusing to write: [{section.header}] would not read back")
    return new


# --- setting keys in sections (awsenv configure) ------------------------------------------


def base_name(prefix: str, account_id: str, account_name: str, role: str) -> str:
    """``[prefix-]<account-name>-<role>``; the account id stands in for a name with no letters.

    How awsenv names the SSO profiles it writes (``sso sync``, ``configure sso``).
    """
    parts = [prefix.rstrip("-")] if prefix.rstrip("-") else []
    parts += [slug(account_name) or account_id, slug(role) or "role"]
    return "-".join(parts)


def free_name(base: str, account_id: str, taken: set[str]) -> str:
    """Return ``base`` if free, else ``base-<account id>``, then ``-2``, ``-3``... appended."""
    if base not in taken:
        return base
    name = f"{base}-{account_id}"
    number = 2
    while name in taken:
        name = f"{base}-{account_id}-{number}"
        number += 1
    return name


def plan_set(path: str, sections: Sequence[NewSection], *, comment: str) -> Plan:
    """Prepare setting ``sections``' keys: in place where the section exists, else appended.

    In an existing section, a key whose value already reads back as the one given keeps its
    line byte for byte; another value replaces the key's line (and its continuation lines),
    with that line's own indentation kept out and its line end kept; a missing key gets a line
    after the section's last key. Sections that do not exist are appended as :func:`plan`
    does. Every other byte stays; the result is checked with botocore's rules (every other
    section unchanged, each edited one exactly its old keys with the new values) before
    anything is written. Running it again with the same sections changes nothing.
    """
    target = os.path.realpath(path)
    old, mode = _read(target)
    if mode is not None and not mode & 0o200:
        raise ConfigWriteError(
            path,
            f"is read-only (mode {mode:04o}); awsenv does not replace a file kept read-only",
            hint="make it writable (chmod u+w) if awsenv may add to it",
        )
    try:
        for section in sections:
            check_header(section.header)
            for key, value in section.items:
                check_item(key, value)
    except ValueError as exc:
        raise ConfigWriteError(path, f"refusing to write: {exc}") from None

    def edit(base: bytes) -> bytes:
        return _set_keys(path, base, sections, comment)

    return Plan(path, target, old, edit(old), mode, sections, replan=edit)


def _set_keys(path: str, old: bytes, sections: Sequence[NewSection], comment: str) -> bytes:
    """Return ``old`` with every section's keys set (see :func:`plan_set`), checked."""
    encoding = paths.file_encoding()
    with _Scratch(path) as scratch:
        try:
            old_sections, _, _ = _parse_bytes(old, scratch, "old", profiles=False)
        except ConfigError as exc:
            raise ConfigError(path, exc.line, _what(exc, exc.path)) from None
    nl = newline_of(old)
    lines = [line.raw for line in ini_lines.scan(old, encoding, "surrogateescape")]
    appended: list[NewSection] = []
    for section in sections:
        have = old_sections.get(section.header)
        if have is None:
            appended.append(section)
            continue
        for key, value in section.items:
            if have.get(key) == value:
                continue
            lines = _set_key(lines, encoding, section.header, key, value, nl)
    new = b"".join(lines)
    if appended:
        try:
            new = render(new, appended, comment, path)
        except ValueError as exc:
            raise ConfigWriteError(path, f"refusing to write: {exc}") from None
    with _Scratch(path) as scratch:
        try:
            new_sections, _, _ = _parse_bytes(new, scratch, "new", profiles=False)
        except ConfigError:
            raise ConfigWriteError(path, "refusing to write: the result would not parse") from None
    want = {header: dict(values) for header, values in old_sections.items()}
    for section in sections:
        want.setdefault(section.header, {}).update(section.items)
    if set(new_sections) != set(want):
        raise ConfigWriteError(path, "refusing to write: the sections read back differ")
    for header, values in want.items():
        if new_sections[header] != values:
            raise ConfigWriteError(path, f"refusing to write: [{header}] would not read back")
    return new


def _set_key(
    raw: list[bytes], encoding: str, header: str, key: str, value: str, nl: bytes
) -> list[bytes]:
    """Set ``key = value`` in the first ``[header]`` of the file's lines; return the new lines."""
    scanned = ini_lines.scan(b"".join(raw), encoding, "surrogateescape")
    found = _section_span(scanned, header)
    if found is None:  # pragma: no cover - the caller checked that the section exists
        raise ConfigWriteError(header, "section vanished")
    start, end = found
    text = f"{key} = {value}".encode(encoding)
    at = ini_lines.key_lines(scanned, start, end, key)
    if at:
        first = scanned[at[0]]
        indent = first.raw[: len(first.raw) - len(first.raw.lstrip(b" \t"))]
        ending = first.raw[len(first.raw.rstrip(b"\r\n")) :] or b""
        replaced = indent + text + ending
        return [
            *raw[: at[0]],
            replaced,
            *(r for i, r in enumerate(raw) if i > at[0] and i not in at),
        ]
    last = raw[end - 1]
    if not last.endswith((b"\n", b"\r")):  # the section ends the file with no final newline
        return [*raw[: end - 1], last + nl, text, *raw[end:]]
    return [*raw[:end], text + nl, *raw[end:]]


# --- editing keys inside one section (awsenv keys import) -------------------------------------


def plan_keys(
    path: str,
    header: str,
    *,
    remove: Sequence[str] = (),
    add: Sequence[tuple[str, str]] = (),
    comment: str,
    profile: str | None = None,
    backup: bool = True,
) -> Plan:
    """Prepare taking ``remove``'s key lines out of ``[header]`` and adding ``add``'s lines to it.

    Added lines go after the section's last key (a missing section is appended, with
    ``comment``); removed keys take their continuation lines along. Every other byte stays.
    Checked as botocore reads the result: every other section unchanged, ``[header]`` exactly
    the old one without ``remove`` and with ``add``. ``backup=False`` keeps no copy of the old
    file (it holds a secret the edit removes).
    """
    target = os.path.realpath(path)
    old, mode = _read(target)
    if mode is not None and not mode & 0o200:
        raise ConfigWriteError(path, f"is read-only (mode {mode:04o}); awsenv will not replace it")
    try:
        check_header(header)
        for key, value in add:
            check_item(key, value)
    except ValueError as exc:
        raise ConfigWriteError(path, f"refusing to write: {exc}") from None
    section = NewSection(header, add, profile=profile)

    def edit(base: bytes) -> bytes:
        return _edited(path, base, section, tuple(k.lower() for k in remove), comment)

    return Plan(path, target, old, edit(old), mode, [section], replan=edit, backup=backup)


def _edited(
    path: str, old: bytes, section: NewSection, remove: tuple[str, ...], comment: str
) -> bytes:
    """Return ``old`` with the key lines of ``remove`` gone from the section and its items added."""
    encoding = paths.file_encoding()
    scanned = ini_lines.scan(old, encoding, "surrogateescape")
    found = None
    for name, start, end in ini_lines.sections(scanned):
        if name == section.header:
            found = (start, end)
            break
    if found is None:
        if not section.items:
            return old
        try:
            new = render(old, [section], comment, path)
        except ValueError as exc:
            raise ConfigWriteError(path, f"refusing to write: {exc}") from None
        verify(path, old, new, [section])
        return new
    start, end = found
    gone = {i for key in remove for i in ini_lines.key_lines(scanned, start, end, key)}
    lines = [line.raw for line in scanned]
    nl = newline_of(old)
    at = ini_lines.body_end(scanned, start, end)
    block = [f"{key} = {value}".encode(encoding) + nl for key, value in section.items]
    if block and at == len(lines) and lines and not lines[-1].endswith((b"\n", b"\r")):
        lines[-1] += nl  # the file had no final newline: the new lines end it the same way
        block[-1] = block[-1][: -len(nl)]
    out = [raw for index, raw in enumerate(lines[:at]) if index not in gone]
    out += block
    out += [raw for index, raw in enumerate(lines[at:], at) if index not in gone]
    new = b"".join(out)
    old_sections, new_sections = _read_back(path, old, new, section.header)
    want = {k: v for k, v in old_sections.get(section.header, {}).items() if k not in remove}
    want.update(section.items)
    if new_sections.get(section.header) != want:
        raise ConfigWriteError(path, f"refusing to write: [{section.header}] would not read back")
    return new
