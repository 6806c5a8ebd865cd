"""The hostile-string corpus, and a fast in-process core for driving real shells with it.

``CORPUS`` is generated deterministically: the T1/T2 list of reliability.md section 3, the
``HOSTILE`` tuple, virtualenv's special name, PowerShell's five single and three double quotes,
every ASCII control character, substitutions of every shell (``$(...)``, backticks, ``${...}``,
zsh prompt escapes, fish ``(cmd)`` and braces), dashes, 4 KiB strings, bidi and zero-width
characters, undecodable bytes (as ``surrogateescape`` code points) and NUL, plus a grid of
quote-breakers times payloads. Every payload runs ``touch $CANARY_DIR/pwned-<id>`` with the
entry's own id, so a file in the canary directory names the string that ran.

Running the Python core once per string per shell would cost minutes, so ``CoreServer`` serves
the shells' ``awsenv`` functions from this process: the init script's core command is a small
``sh`` client that hands its arguments and its whole environment (``env -0``) to the server
through two FIFOs; the server runs ``awsenv.cli.main`` in-process with exactly that environment
and sends back the exit status and stdout. Everything on the shell side (the wrapper function,
its eval, the prompt hook, completion) is the shipped code, run by the real shell.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.helpers import HOSTILE, require_tool

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

CANARY_VAR = "CANARY_DIR"
PAYLOAD = "touch $CANARY_DIR/pwned-{id}"
PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
PS_DOUBLE_QUOTES = '"\u201c\u201d\u201e'
KIB4 = 4096


@dataclass(frozen=True)
class Hostile:
    """One corpus entry: a unique id, the string, and the family it was generated from."""

    id: str
    value: str
    family: str

    @property
    def raw(self) -> bytes:
        """Return the bytes a POSIX environment holds for the value."""
        return self.value.encode("utf-8", "surrogateescape")

    @property
    def has_nul(self) -> bool:
        """Return True if no environment variable or argument can hold the value."""
        return "\0" in self.value

    @property
    def undecodable(self) -> bool:
        """Return True if the value holds bytes that are not UTF-8 (surrogateescape)."""
        return any("\udc80" <= c <= "\udcff" for c in self.value)

    @property
    def can_be_profile_name(self) -> bool:
        """Return True if a ``[profile NAME]`` header in a UTF-8 config file can spell it."""
        return not (self.has_nul or self.undecodable or "\n" in self.value or "\r" in self.value)

    @property
    def can_be_config_value(self) -> bool:
        """Return True if ``key = value`` can hold it (NUL included: it must then be refused)."""
        return not (self.undecodable or "\n" in self.value or "\r" in self.value)


def _templates() -> list[tuple[str, str]]:
    """Return (family, template) pairs; ``{p}`` in a template becomes the entry's payload."""
    out: list[tuple[str, str]] = []

    def add(family: str, *templates: str) -> None:
        out.extend((family, t) for t in templates)

    # reliability.md T1/T2 (P is the payload)
    add(
        "T1",
        "a b",
        "x'$({p})'y",
        "`{p}`",
        '";{p};"',
        "$HOME",
        "a\nexport X=1",
        "a\n{p}",
        "a\rb",
        "\x1b]0;t\x07",
        "-n",
        "--",
        "None",
        "",
        "\u00e9\u2019\u2018\u201a\u201b\u201c\u201d",
        "\u202eevil\u202c",
        "a\u200bb",
    )
    add("HOSTILE", *(h.replace("{", "{{").replace("}", "}}") for h in HOSTILE))
    # virtualenv's fixture name and its two CVE proofs of concept (CVE-2024-53899, -9287)
    add("virtualenv", "'\";&&e-$ \u00e8\u0440\u0442\U0001f692\u265e\u4e2d\u7247-j", "';{p};':")
    add("virtualenv", "'\";{p};\"'", "x'$({p})'y'")
    # PowerShell ends a '...' string at any of five characters (CharTraits.IsSingleQuote)
    for q in PS_SINGLE_QUOTES:
        add("ps-single", q, q + q, f"{q};{{p}};{q}", f"a{q}b", f"{q}$({{p}}){q}", f"{q}{q}{q}")
    for q in PS_DOUBLE_QUOTES:
        add("ps-double", q, f"{q}$({{p}}){q}", f"{q};{{p}};{q}", f"a{q}b")
    add("ps-mixed", PS_SINGLE_QUOTES + PS_DOUBLE_QUOTES, "Bob\u2019s Project", "a\u201b;b")
    add("ps-mixed", "\u2018$({p})\u2019", "`$({p})`", "$env:HOME", "@({p})", "& {p}")
    # every ASCII control character, NUL included (refused), and two C1 controls
    for code in [*range(0x20), 0x7F, 0x85, 0x9B]:
        add("control", f"a{chr(code)}b")
    for char in "\n\r\x0b\x0c\x00":
        add("control", f"x{char}{{p}}{char}")
    add("control", "\x1b[2J\x1b[H", "\x1b]52;c;cHduZWQ=\x07", "\x07\x08\x7f", "\r\n", "\t")
    # substitutions and expansions of bash and zsh
    add(
        "posix",
        "$({p})",
        "${{UNSET_AWSENV_X:-$({p})}}",
        "$((a[$({p})]))",
        "<({p})",
        ">({p})",
        "$'\\x27;{p};'",
        '"$({p})"',
        "'$({p})'",
        "a;{p}",
        "a&&{p}",
        "a||{p}",
        "a|{p}",
        "a&{p}&",
        "${HOME}",
        "${IFS}",
        "$'x'",
        '$"x"',
        "~",
        "~root",
        "*",
        "?",
        "[a]",
        "#comment",
        "!",
        "&",
        "|",
        ";",
        "<",
        ">",
        "=",
        "a=b",
        "^",
        " lead",
        "trail ",
        "  ",
        "a\tb",
    )
    # zsh prompt escapes (PROMPT_SUBST, PROMPT_BANG)
    add(
        "zsh-prompt",
        "%F{{red}}x%f",
        "%{{$({p})%}}",
        "%(?.a.b)",
        "%n%m%~",
        "%D{{%s}}",
        "${{(e):-$({p})}}",
        "!!",
        "!$",
        "%!",
        "%%",
        "%",
        "%B%U%S",
        "%{{\x1b[31m%}}",
        "%F{{$({p})}}",
    )
    # fish: command substitution in parentheses, braces, wildcards, its own variables
    add(
        "fish",
        "({p})",
        "a({p})b",
        "{{a,b}}",
        "{{$({p}),x}}",
        "\\({p}\\)",
        "**",
        "%self",
        "$status",
        "(",
        ")",
        "{{",
        "}}",
        "$argv[1]",
    )
    # backslashes
    add(
        "backslash",
        "trailing\\",
        "\\",
        "\\\\",
        "\\'",
        '\\"',
        "a\\nb",
        "\\x41",
        "\\X41",
        "\\u0041",
        "\\e[31m",
        "\\$(true)",
    )
    # values that look like options
    add("dash", "-e", "-E", "--help", "-gx", "--erase", "-", "-n x", "-- -e", "-v", "-p")
    # 4 KiB strings
    add(
        "4KiB",
        "A" * KIB4,
        "$({p})" * 200,
        "'" * KIB4,
        "\u00e9" * (KIB4 // 2),
        "\u2019" * (KIB4 // 3),
        ("a b\t" * KIB4)[:KIB4],
    )
    # bidi controls, zero-width and other invisible or unusual code points
    add(
        "unicode",
        "\u200b",
        "\u200d",
        "\ufeffbom",
        "\u2066x\u2069",
        "\u061c",
        "e\u0301",
        "\u00a0",
        "\u2028",
        "\u2029",
        "\u3000",
        "\uf600",
        "\ufffe",
        "\uffff",
        "\U0010fffd",
        "\U0001f692",
        "\u4e2d\u7247",
        "\U0001f468\u200d\U0001f469",
        "\u00b2",  # str.isdigit() says yes, int() says no
        "\u0661\u0662\u0663",  # Arabic-Indic digits: int() reads them
        "1\u00b2",
    )
    # bytes that are not UTF-8, as os.environ holds them (surrogateescape)
    add(
        "undecodable",
        "\udcff",
        "a\udc80b",
        "\udcc3(",
        "\udce2\udc80",
        "$({p})\udcff",
        "\udc9b31m",
        "\udcff\n{p}",
    )
    # quote-breakers times payload forms
    breakers = [
        "'",
        '"',
        "\u2019",
        "\u2018",
        "\u201a",
        "\u201b",
        "\u201c",
        "\u201d",
        "\\",
        "`",
        "$'",
        "%{",
        "(",
        "{",
        "\n",
        "\r",
        ";",
        "&&",
        "|",
        ")",
        "}",
        "]",
    ]
    forms = ["$({p})", "`{p}`", ";{p};", "({p})", "\n{p}\n"]
    for breaker in breakers:
        b = breaker.replace("{", "{{").replace("}", "}}")
        for form in forms:
            add("combo", f"{b}{form}{b}")
    return out


def build_corpus() -> tuple[Hostile, ...]:
    """Return the corpus: unique values, ids ``h000``, ``h001``... in generation order."""
    seen: set[str] = set()
    entries: list[Hostile] = []
    for family, template in _templates():
        ident = f"h{len(entries):03d}"
        value = template.replace("{p}", PAYLOAD.format(id=ident))
        value = value.replace("{{", "{").replace("}}", "}")
        if family == "4KiB":
            value = value[:KIB4]
        if value in seen:
            continue
        seen.add(value)
        entries.append(Hostile(ident, value, family))
    return tuple(entries)


CORPUS = build_corpus()


def expected_bytes(value: str) -> bytes:
    """Return what a shell variable holding ``value`` prints with ``printf %s``."""
    return value.encode("utf-8", "surrogateescape")


def values_file(path: Path, values: Sequence[str]) -> Path:
    """Write the values NUL-terminated, as the shells' ``read -d ''``/``read -z`` read them."""
    path.write_bytes(b"".join(expected_bytes(v) + b"\0" for v in values))
    return path


def fired(*directories: Path) -> list[str]:
    """Return the names of canary files a payload created (``pwned-*``, or HOSTILE's CANARY)."""
    found: list[str] = []
    for directory in directories:
        for path in directory.rglob("*"):
            if path.name.startswith("pwned-") or path.name == "CANARY":
                found.append(str(path))
    return sorted(found)


# --- config files with hostile names and values ----------------------------------------------


def shlex_word(text: str) -> str:
    """Spell ``text`` as one word that ``shlex.split`` (botocore's header rule) reads back."""
    if not text:
        return "''"
    return "".join("\\" + c for c in text)


def profile_header(name: str) -> str:
    """Return the ``[profile NAME]`` line for any name a config file can hold."""
    return f"[profile {shlex_word(name)}]\n"


def age(path: Path) -> None:
    """Date a file back, so awsenv's config index trusts its stamp (the hot path) at once."""
    old = time.time() - 3600
    os.utime(path, (old, old))


# --- the in-process core ---------------------------------------------------------------------


@dataclass
class CoreCall:
    """One run of the core: what it was given and what it answered."""

    argv: list[str]
    environ: dict[str, str]
    status: int
    stdout: str
    stderr: str


_CORE_LOCK = threading.Lock()


def run_core(argv: Sequence[str], environ: Mapping[str, str]) -> CoreCall:
    """Run ``awsenv.cli.main`` in this process with exactly ``environ`` as ``os.environ``."""
    from awsenv import cli

    out, err = io.StringIO(), io.StringIO()
    with _CORE_LOCK:
        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update(environ)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = cli.main(list(argv))
                except SystemExit as exc:  # argparse's usage errors
                    status = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return CoreCall(list(argv), dict(environ), status, out.getvalue(), err.getvalue())


CLIENT = """\
#!{dash}
# Stand-in for the awsenv core: hand argv and the environment to the test's in-process core
# (tests/faults/corpus.py, CoreServer), print what it wrote on stdout, exit with its status.
# Only builtins after the start of sh: `export -p` instead of `env -0`, `read` instead of `cat`.
{ printf '%s\\0' "$#" "$@"; export -p; } >"$T_CORE_DIR/request" || exit 98
{
    IFS= read -r status || exit 97
    while IFS= read -r line; do printf '%s\\n' "$line"; done
} <"$T_CORE_DIR/reply"
exit "$status"
"""


def parse_export_p(data: bytes) -> dict[str, str]:
    """Read dash's ``export -p``: ``export NAME='...'"'"'...'`` lines (or ``export NAME``)."""
    environ: dict[str, str] = {}
    i = 0
    while i < len(data):
        if not data.startswith(b"export ", i):
            raise ValueError(f"unexpected export -p output at {data[i : i + 40]!r}")
        j = i + len(b"export ")
        end = j
        while data[end : end + 1] not in (b"=", b"\n", b""):
            end += 1
        name = os.fsdecode(data[j:end])
        if data[end : end + 1] != b"=":
            i = end + 1  # exported but without a value
            continue
        k = end + 1
        value = bytearray()
        while data[k : k + 1] in (b"'", b'"'):
            close = data.index(data[k : k + 1], k + 1)
            value += data[k + 1 : close]
            k = close + 1
        if data[k : k + 1] != b"\n":
            raise ValueError(f"unexpected export -p value for {name}")
        environ[name] = os.fsdecode(bytes(value))
        i = k + 1
    return environ


@dataclass
class CoreServer:
    """Serve the ``CLIENT`` core of real shells from this process (see the module docstring)."""

    directory: Path
    calls: list[CoreCall] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _thread: threading.Thread | None = None

    @property
    def client(self) -> str:
        """Return the path of the client script (the command the init script runs)."""
        return str(self.directory / "core")

    def environ(self) -> dict[str, str]:
        """Return what the shell's environment needs for the client to reach this server."""
        return {"T_CORE_DIR": str(self.directory)}

    def __enter__(self) -> CoreServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.mkfifo(self.directory / "request")
        os.mkfifo(self.directory / "reply")
        client = self.directory / "core"
        # dash: its `export -p` format is what parse_export_p reads
        client.write_text(CLIENT.replace("{dash}", require_tool("dash")), encoding="ascii")
        client.chmod(client.stat().st_mode | stat.S_IXUSR)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _serve(self) -> None:
        while True:
            with open(self.directory / "request", "rb") as handle:
                data = handle.read()
            if data == b"STOP":
                return
            try:
                call = self._answer(data)
                reply = f"{call.status}\n".encode() + call.stdout.encode("utf-8", "surrogateescape")
            except Exception as exc:  # reported by the test; the shell goes on
                self.errors.append(f"{type(exc).__name__}: {exc}")
                reply = b"99\n"
            with open(self.directory / "reply", "wb") as handle:
                handle.write(reply)

    def _answer(self, data: bytes) -> CoreCall:
        fields = data.split(b"\0")
        count = int(fields[0])
        argv = [os.fsdecode(f) for f in fields[1 : 1 + count]]
        exports = b"\0".join(fields[1 + count :])
        call = run_core(argv, parse_export_p(exports))
        self.calls.append(call)
        return call

    def _stop(self) -> None:
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and thread.is_alive():
            try:
                fd = os.open(self.directory / "request", os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # not waiting for a request: a client died mid-call, unblock it
                with contextlib.suppress(OSError):
                    os.close(os.open(self.directory / "reply", os.O_RDONLY | os.O_NONBLOCK))
                time.sleep(0.01)
                continue
            os.write(fd, b"STOP")
            os.close(fd)
            thread.join(timeout=5)
        self._thread = None


def exported_after(calls: Sequence[CoreCall], index: int, name: str) -> bytes:
    """Return ``name`` as exported after call ``index``: what the next call's environment held."""
    value = calls[index + 1].environ.get(name)
    return b"<unset>" if value is None else expected_bytes(value)
