"""``doctor --fix``: move legacy SSO profiles to an ``[sso-session]``, every other byte kept.

A legacy profile (``sso_start_url`` and ``sso_region`` in the profile itself) can never have its
token refreshed: botocore refreshes only sessions. The fix is a line-level edit of the config
file: in each such profile the ``sso_start_url`` line becomes ``sso_session = NAME`` (same
indentation, separator and line end), the ``sso_region`` line (and an ``sso_registration_scopes``
line, which legacy profiles ignore) goes, and one ``[sso-session NAME]`` section per portal is
appended with ``sso_start_url``, ``sso_region`` and ``sso_registration_scopes =
sso:account:access``. Profiles with the same start URL and region share one session; an existing
session for the same portal is reused. Nothing else changes: comments, blank lines, CRLF line
ends and a missing final newline stay as they were.

Lines are classified by the one line scanner, ``ini_lines``, exactly as ``configparser`` reads
them (whole-line comments, continuation lines by indentation, ``[header]`` matching, ``=``/``:``
separators). Before anything is shown or written, the old and new texts are parsed with
botocore's rules in memory and must give the same profiles, accounts, roles, start URLs and
regions, with no key of a profile contradicting its session (botocore refuses that). Writing goes
through ``edit.Plan``: under awsenv's config lock, the file read again and compared, the previous
content kept in ``<file>.awsenv-backup``, the file replaced atomically with its own mode.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from awsenv import cache, paths
from awsenv.config import edit, ini_lines, read
from awsenv.config.edit import ConfigWriteError
from awsenv.config.ini_lines import split_lines

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Literal

    from awsenv.config.ini_lines import Line
    from awsenv.config.read import Files

    Tag = Literal["replace", "delete", "insert", "equal"]
    Opcode = tuple[Tag, int, int, int, int]

MOVED = ("sso_start_url", "sso_region", "sso_registration_scopes")
SCOPES = "sso:account:access"

# configparser's option split on the unstripped line, to rebuild a key line in the file's style.
_KEY_LINE = re.compile(r"(?P<indent>\s*)(?P<option>.*?)(?P<sep>\s*[=:]\s*)(?P<value>.*)$")


def _ending(raw: bytes) -> bytes:
    return raw[len(raw.rstrip(b"\r\n")) :]


def profile_of_header(header: str) -> str | None:
    """Return the profile a config-file header defines (botocore's rule), or None."""
    if header == "default":
        return "default"
    if header.startswith("profile"):
        return read.two_words(header)
    return None


def session_of_header(header: str) -> str | None:
    """Return the sso-session a config-file header defines, or None."""
    return read.two_words(header) if header.startswith("sso-session") else None


def session_name(start_url: str, taken: set[str]) -> str:
    """Name a new session after its portal: ``d-1234567890`` or ``mycorp`` (unique in ``taken``)."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(start_url).hostname or ""
    except ValueError:
        host = ""
    label = host.split(".")[0] if host.endswith(".awsapps.com") else host
    base = edit.slug(label) or "sso"
    name, number = base, 2
    while name in taken:
        name = f"{base}-{number}"
        number += 1
    return name


@dataclass(frozen=True)
class Session:
    """An ``[sso-session]`` the fix points legacy profiles at."""

    name: str
    start_url: str
    region: str
    profiles: tuple[str, ...]
    new: bool  # a section the fix appends (False: an existing session for the same portal)

    def to_json(self) -> dict[str, object]:
        """Return the documented JSON object."""
        return {
            "name": self.name,
            "start_url": self.start_url,
            "region": self.region,
            "profiles": list(self.profiles),
            "new": self.new,
        }


@dataclass(frozen=True, eq=False)
class LegacyFix:
    """The edit that moves legacy SSO profiles to sessions, ready to show or write."""

    path: str
    plan: edit.Plan | None  # None: no profile could be moved automatically
    sessions: tuple[Session, ...]
    skipped: tuple[tuple[str, str], ...]  # (profile, why a person has to do it)
    unified: str = ""  # the diff, built from the known edits

    @property
    def profiles(self) -> tuple[str, ...]:
        """The profiles the fix moves to a session."""
        return tuple(p for s in self.sessions for p in s.profiles)

    @property
    def backup_path(self) -> str:
        """Where the previous content goes when the fix is written."""
        return self.path + edit.BACKUP_SUFFIX

    def diff(self) -> str:
        """Return the unified diff of the edit, or '' (secret values redacted)."""
        return self.unified if self.plan is not None else ""

    def commit(self, environ: Mapping[str, str]) -> bool:
        """Write the edit (backup first, under awsenv's config lock); False if nothing to do."""
        if self.plan is None or not self.plan.changed:
            return False
        mode = self.plan.mode
        if mode is not None and not mode & 0o200:
            raise ConfigWriteError(
                self.path,
                f"is read-only (mode {mode:04o}); awsenv does not replace a file kept read-only",
                hint="make it writable (chmod u+w) if awsenv may fix it",
            )
        return self.plan.commit(lock=cache.lock_path(environ, "aws-config"))


def _opcodes(
    lines: Sequence[Line], new: Sequence[bytes], replaced: Mapping[int, bytes], dropped: set[int]
) -> list[Opcode]:
    """Return difflib-style opcodes of the edit, from what was changed rather than a guess.

    A generic diff may pair a removed ``sso_start_url`` line with the same line in the new
    section at the end, which reads as if the whole profile moved; the edit knows better.
    """
    ops: list[Opcode] = []

    def add(tag: Tag, i1: int, i2: int, j1: int, j2: int) -> None:
        if ops and ops[-1][0] == tag == "equal":
            ops[-1] = ("equal", ops[-1][1], i2, ops[-1][3], j2)
        elif ops and ops[-1][0] != "equal" and tag != "equal":
            ops[-1] = ("replace", ops[-1][1], i2, ops[-1][3], j2)
        else:
            ops.append((tag, i1, i2, j1, j2))

    j = 0
    for i, line in enumerate(lines):
        if i in dropped:
            add("delete", i, i + 1, j, j)
        elif i in replaced or j >= len(new) or new[j] != line.raw:
            add("replace", i, i + 1, j, j + 1)  # also: a last line that gained its line end
            j += 1
        else:
            add("equal", i, i + 1, j, j + 1)
            j += 1
    if j < len(new):
        add("insert", len(lines), len(lines), j, len(new))
    return ops


def _range(start: int, stop: int) -> str:
    """Format a hunk range as ``diff -u`` does."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


def render_diff(
    path: str, old: Sequence[bytes], new: Sequence[bytes], opcodes: list[Opcode], encoding: str
) -> str:
    """Return a unified diff (3 lines of context) for known opcodes, secrets redacted."""
    import difflib

    class _Known(difflib.SequenceMatcher[bytes]):
        def get_opcodes(self) -> list[Opcode]:
            return opcodes

    def text(prefix: str, raw: bytes) -> str:
        line = prefix + raw.decode(encoding, "replace")
        line = _shorten_key_id(edit._redact_line(line))
        return line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"

    out = [f"--- {path}\n", f"+++ {path}\n"]
    for group in _Known(None, old, new).get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [text(" ", raw) for raw in old[i1:i2]]
                continue
            out += [text("-", raw) for raw in old[i1:i2]]
            out += [text("+", raw) for raw in new[j1:j2]]
    return "".join(out) if len(out) > 2 else ""


def _shorten_key_id(line: str) -> str:
    """Show an ``aws_access_key_id`` value on a diff line as its last four characters."""
    if line[:1] not in (" ", "-", "+") or line.startswith(("---", "+++")):
        return line
    found = _KEY_LINE.match(line[1:].rstrip("\r\n"))
    if found is None or found.group("option").strip().lower() != "aws_access_key_id":
        return line
    from awsenv.log import key_hint

    end = line[len(line.rstrip("\r\n")) :]
    body = line[1:].rstrip("\r\n")
    value_at = found.start("value")
    return f"{line[0]}{body[:value_at]}{key_hint(found.group('value'))}{end}"


def _parse_text(text: str, path: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Parse as botocore's ``raw_config_parse`` does, in memory: (sections, [DEFAULT] keys)."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text.replace("\r\n", "\n").replace("\r", "\n"), source=path)
    except configparser.Error as exc:
        raise ConfigWriteError(
            path, f"refusing to write: the result would not parse ({exc})"
        ) from None
    sections = {s: {o: parser.get(s, o) for o in parser.options(s)} for s in parser.sections()}
    return sections, dict(parser.defaults())


def _maps(
    sections: Mapping[str, Mapping[str, str]], credentials: Mapping[str, Mapping[str, object]]
) -> tuple[dict[str, dict[str, object]], dict[str, dict[str, str]]]:
    """Build botocore's profile map (credentials merged) and sso-session map from sections."""
    profile_map: dict[str, dict[str, object]] = {}
    session_map: dict[str, dict[str, str]] = {}
    for header, values in sections.items():
        name = profile_of_header(header)
        if name is not None:
            profile_map[name] = dict(values)
        session = session_of_header(header)
        if session is not None:
            session_map[session] = dict(values)
    for name, extra in credentials.items():
        profile_map.setdefault(name, {}).update(extra)
    return profile_map, session_map


def _effective(
    profile: Mapping[str, object], sessions: Mapping[str, Mapping[str, str]]
) -> tuple[object, ...] | None:
    """Return (start URL, region, account, role) as botocore resolves them; None if refused."""
    name = profile.get("sso_session")
    view = dict(profile)
    if isinstance(name, str):
        session = sessions.get(name)
        if session is None:
            return None
        for key, value in session.items():
            if view.get(key, value) != value:
                return None  # botocore: "inconsistent between profile and sso-session"
            view[key] = value
    start_url = view.get("sso_start_url")
    if isinstance(start_url, str):
        start_url = start_url.rstrip("/")  # one portal, whichever way it is written
    return (start_url, *(view.get(k) for k in ("sso_region", *_ACCOUNT_ROLE)))


_ACCOUNT_ROLE = ("sso_account_id", "sso_role_name")


def _verify(
    path: str,
    old_text: str,
    new_text: str,
    credentials: Mapping[str, Mapping[str, object]],
    edited: Mapping[str, str],
    added: Sequence[Session],
) -> None:
    """Raise unless the new text reads back as the old one with only the intended change."""

    def refuse(what: str) -> ConfigWriteError:
        return ConfigWriteError(path, f"refusing to write: {what}; nothing was changed")

    old_sections, _ = _parse_text(old_text, path)
    new_sections, _ = _parse_text(new_text, path)
    new_headers = {f"sso-session {s.name}" for s in added if s.new}
    if set(new_sections) != set(old_sections) | new_headers or new_headers & set(old_sections):
        raise refuse("the sections read back are not the ones meant to be there")
    for header, values in old_sections.items():
        want = dict(values)
        if header in edited:
            want = {k: v for k, v in want.items() if k not in MOVED}
            want["sso_session"] = edited[header]
        if new_sections[header] != want:
            raise refuse(f"section [{header}] would not read back as intended")
    for session in added:
        if not session.new:
            continue
        got = new_sections[f"sso-session {session.name}"]
        if (got.get("sso_start_url"), got.get("sso_region")) != (
            session.start_url,
            session.region,
        ):
            raise refuse(f"[sso-session {session.name}] would not read back as written")
    old_profiles, old_sessions = _maps(old_sections, credentials)
    new_profiles, new_sessions = _maps(new_sections, credentials)
    if set(old_profiles) != set(new_profiles):
        raise refuse("the profiles read back would change")
    moved = {p for s in added for p in s.profiles}
    for name, old in old_profiles.items():
        if name not in moved:
            if new_profiles[name] != old:
                raise refuse(f"profile {name!r} would change")
            continue
        before = _effective(old, old_sessions)
        after = _effective(new_profiles[name], new_sessions)
        if after is None or before != after:
            raise refuse(f"profile {name!r} would not resolve to the same portal, account and role")


def _read(path: str) -> tuple[str, bytes, int] | None:
    """Return (target, bytes, mode) of the config file; None if it is not a regular file."""
    import stat

    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > edit.MAX_BYTES:
        return None
    data = cache.read_bytes(target, limit=edit.MAX_BYTES)
    return None if data is None else (target, data, stat.S_IMODE(st.st_mode))


def _legacy_names(files: Files) -> list[str]:
    """Profiles botocore reads as legacy SSO: ``sso_start_url`` without ``sso_session``."""
    return [
        name
        for name in files.names()
        if "sso_session" not in (files.profile(name) or {})
        and "sso_start_url" in (files.profile(name) or {})
    ]


def plan_legacy_sso(files: Files, *, today: str) -> LegacyFix | None:
    """Prepare the fix for every legacy SSO profile; None if there is none.

    Profiles that cannot be moved safely (keys in the credentials file or ``[DEFAULT]``, no
    ``sso_region``, a key that would contradict the session) are listed in ``skipped`` with the
    reason, and the file is left alone for them.

    Raises:
        ConfigWriteError: the edit would not read back as intended (nothing is shown or written).
    """
    legacy = _legacy_names(files)
    if not legacy or files.parsed is None:
        return None
    path = files.config_path
    skipped: list[tuple[str, str]] = []
    found = _read(path)
    if found is None:
        return LegacyFix(
            path, None, (), tuple((n, "the config file cannot be read") for n in legacy)
        )
    target, old, mode = found
    encoding = paths.file_encoding()
    try:
        old_text = old.decode(encoding)
        lines = ini_lines.scan(old, encoding)
    except UnicodeDecodeError:
        reason = f"the config file is not valid {encoding}"
        return LegacyFix(path, None, (), tuple((n, reason) for n in legacy))
    _sections, defaults = _parse_text(old_text, path)
    credentials, _ = read.raw_parse(files.credentials_path)
    ranges = ini_lines.sections(lines)
    last_range: dict[str, tuple[str, int, int]] = {}
    for header, start, end in ranges:
        name = profile_of_header(header)
        if name is not None:
            last_range[name] = (header, start, end)

    # Group the movable profiles by portal; reuse a session already there for it.
    existing = {
        (str(v.get("sso_start_url", "")).rstrip("/"), str(v.get("sso_region", ""))): k
        for k, v in files.parsed.sso_sessions.items()
    }
    taken = set(files.parsed.sso_sessions)
    groups: dict[tuple[str, str], list[str]] = {}
    names: dict[tuple[str, str], tuple[str, str, bool]] = {}  # portal -> (name, url, new)
    for name in legacy:
        profile = files.profile(name) or {}
        why = _why_not(name, profile, credentials, defaults, last_range)
        if why is not None:
            skipped.append((name, why))
            continue
        start_url, region = str(profile["sso_start_url"]), str(profile["sso_region"])
        portal = (start_url.rstrip("/"), region)
        if portal not in names:
            reuse = existing.get(portal)
            if reuse is not None:
                names[portal] = (
                    reuse,
                    str(files.parsed.sso_sessions[reuse]["sso_start_url"]),
                    False,
                )
            else:
                new_name = session_name(start_url, taken)
                taken.add(new_name)
                names[portal] = (new_name, start_url, True)
        session_name_, _url, is_new = names[portal]
        session_view: dict[str, object] = (
            dict(files.parsed.sso_sessions[session_name_])
            if not is_new
            else {
                **defaults,
                "sso_start_url": start_url,
                "sso_region": region,
                "sso_registration_scopes": SCOPES,
            }
        )
        view = {k: v for k, v in profile.items() if k not in MOVED}
        clash = [k for k, v in session_view.items() if k in view and view[k] != v]
        if clash:
            skipped.append((name, f"its {clash[0]} would contradict [sso-session {session_name_}]"))
            continue
        groups.setdefault(portal, []).append(name)

    sessions = tuple(
        Session(names[p][0], names[p][1], p[1], tuple(members), names[p][2])
        for p, members in groups.items()
    )
    if not sessions:
        return LegacyFix(path, None, (), tuple(skipped))
    edited: dict[str, str] = {}
    replace_at: dict[int, bytes] = {}
    drop: set[int] = set()
    for session in sessions:
        for name in session.profiles:
            header, start, end = last_range[name]
            edited[header] = session.name
            url_lines = ini_lines.key_lines(lines, start, end, "sso_start_url")
            first = lines[url_lines[0]]
            parts = _KEY_LINE.match(first.text)
            assert parts is not None  # noqa: S101 - a KEY line matches by construction
            new_line = f"{parts.group('indent')}sso_session{parts.group('sep')}{session.name}"
            replace_at[url_lines[0]] = new_line.encode(encoding) + _ending(first.raw)
            drop.update(url_lines[1:])
            for key in ("sso_region", "sso_registration_scopes"):
                drop.update(ini_lines.key_lines(lines, start, end, key))
    body = b"".join(replace_at.get(i, line.raw) for i, line in enumerate(lines) if i not in drop)
    new = _append(body, old, [s for s in sessions if s.new], today, path)
    _verify(path, old_text, new.decode(encoding), credentials, edited, sessions)
    plan = edit.Plan(path, target, old, new, mode, ())
    opcodes = _opcodes(lines, split_lines(new), replace_at, drop)
    unified = render_diff(path, [x.raw for x in lines], split_lines(new), opcodes, encoding)
    return LegacyFix(path, plan, sessions, tuple(skipped), unified)


def _why_not(
    name: str,
    profile: Mapping[str, object],
    credentials: Mapping[str, Mapping[str, object]],
    defaults: Mapping[str, str],
    last_range: Mapping[str, tuple[str, int, int]],
) -> str | None:
    """Say why a legacy profile cannot be moved automatically, or None if it can."""
    if name not in last_range:
        return "it is defined in the credentials file, not the config file"
    if any(key in credentials.get(name, {}) for key in (*MOVED, "sso_session")):
        return "the credentials file sets its SSO keys"
    if any(key in defaults for key in (*MOVED, "sso_session")):
        return "[DEFAULT] sets SSO keys for every section"
    if not isinstance(profile.get("sso_region"), str) or not profile.get("sso_region"):
        return "it has no sso_region"
    if not profile.get("sso_start_url"):
        return "its sso_start_url is empty"
    if any("\n" in str(profile.get(key, "")) for key in ("sso_start_url", "sso_region")):
        return "its sso_start_url or sso_region spans several lines"
    return None


def _append(body: bytes, old: bytes, sessions: Sequence[Session], today: str, path: str) -> bytes:
    """Append the new ``[sso-session]`` sections after one comment line.

    A file without a final newline keeps that: its last line gets one (it is no longer last),
    and the new block ends without one.
    """
    sections = [
        edit.NewSection(
            f"sso-session {session.name}",
            (
                ("sso_start_url", session.start_url),
                ("sso_region", session.region),
                ("sso_registration_scopes", SCOPES),
            ),
        )
        for session in sessions
    ]
    comment = f"Added by awsenv doctor --fix on {today}: sessions for legacy SSO profiles"
    try:
        return edit.render(
            body, sections, comment, path, newline=edit.newline_of(old), keep_no_final_newline=True
        )
    except ValueError as exc:
        raise ConfigWriteError(path, f"refusing to write: {exc}") from None
