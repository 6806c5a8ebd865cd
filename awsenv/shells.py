"""The only module that knows shell syntax: quoting, export/unset statements, init scripts."""

from __future__ import annotations

import os

from awsenv.errors import AwsenvError, UnsafeValue, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

DIALECTS: tuple[str, ...] = ("bash", "zsh", "fish", "powershell")
_ALIASES = {
    "bash": "bash",
    "zsh": "zsh",
    "fish": "fish",
    "powershell": "powershell",
    "pwsh": "powershell",
    "ps": "powershell",
}

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NAME_CHARS = frozenset(_UPPER + "0123456789_")
# Characters that need no quoting in a bash or zsh word (direnv's set). None is special at the
# start of a word or after `NAME=`; `~`, `=` (zsh EQUALS), `#`, `!`, `{`, `*` and `^` are left out.
_BARE = frozenset(_UPPER + _UPPER.lower() + "0123456789_./:@%+,-")
# The five characters PowerShell's tokenizer treats as a single quote (CharTraits.IsSingleQuote):
# ', left, right, low-9 and high-reversed-9 single quotation marks.
_PS_SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")
_POSIX_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r"}

_FILES = {
    "shell": (
        "shell",
        {
            "bash": "awsenv.bash",
            "zsh": "awsenv.zsh",
            "fish": "awsenv.fish",
            "powershell": "awsenv.ps1",
        },
    ),
    "completion": (
        "completions",
        {
            "bash": "awsenv.bash",
            "zsh": "_awsenv",
            "fish": "awsenv.fish",
            "powershell": "awsenv.completion.ps1",
        },
    ),
}


def normalize(name: str) -> str:
    """Return the dialect for a shell name (``pwsh`` and ``ps`` are PowerShell)."""
    dialect = _ALIASES.get(name) or _ALIASES.get(name.lower())
    if dialect is None:
        raise UsageError(
            f"unknown shell {name!r}; supported shells: " + ", ".join(DIALECTS),
            hint="pwsh and ps are accepted for powershell",
        )
    return dialect


def _printable(char: str) -> bool:
    return " " <= char <= "~"


def _utf8(value: str, name: str | None) -> bytes:
    """Encode for a POSIX environment; lone surrogates from undecodable bytes become those bytes."""
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        what = f"the value for {name}" if name else "a value"
        raise UnsafeValue(
            f"{what} holds a lone UTF-16 surrogate, which has no byte form in the environment",
            hint="check where the value came from",
        ) from None


def _quote_posix(value: str, name: str | None) -> str:
    """Bare word when safe, else one ASCII line of ``$'...'`` (bash and zsh read it the same)."""
    if not value:
        return "''"
    if _BARE.issuperset(value):
        return value
    parts = ["$'"]
    for char in value:
        escape = _POSIX_ESCAPES.get(char)
        if escape is not None:
            parts.append(escape)
        elif _printable(char):
            parts.append(char)
        else:
            # \xHH reads at most two hex digits in bash and zsh, so a following "a" stays literal.
            parts.extend(f"\\x{byte:02x}" for byte in _utf8(char, name))
    parts.append("'")
    return "".join(parts)


def _quote_fish(value: str, name: str | None) -> str:
    r"""``'...'`` runs of printable ASCII; every other byte goes between them as ``\xHH``/``\XHH``.

    fish reads ``\XHH`` as one raw byte and joins valid UTF-8 sequences into characters, in a
    UTF-8 and in the C locale alike. ``\uHHHH`` is not used: fish rejects it for code points it
    reserves internally (U+F600-U+F6FF) and for noncharacters such as U+FFFE.
    """
    if not value:
        return "''"
    parts: list[str] = []
    run: list[str] = []
    for char in value:
        if _printable(char):
            run.append("\\" + char if char in "\\'" else char)
            continue
        if run:
            parts.append("'" + "".join(run) + "'")
            run = []
        if char < "\x80":
            parts.append(f"\\x{ord(char):02x}")
        else:
            parts.extend(f"\\X{byte:02x}" for byte in _utf8(char, name))
    if run:
        parts.append("'" + "".join(run) + "'")
    return "".join(parts)


def _ps_literal(text: str) -> str:
    """A PowerShell verbatim string: each of the five single-quote characters is doubled."""
    return "'" + "".join(c + c if c in _PS_SINGLE_QUOTES else c for c in text) + "'"


def _quote_powershell(value: str) -> str:
    """``'...'``, or ``('...' + [char]0xNNNN + ...)`` so that the output stays ASCII."""
    if all(_printable(c) for c in value):
        return _ps_literal(value)
    terms: list[str] = []
    run: list[str] = []
    for char in value:
        if _printable(char):
            run.append(char)
            continue
        if run or not terms:
            # The first term must be a string: [char] + [char] would add numbers.
            terms.append(_ps_literal("".join(run)))
            run = []
        code = ord(char)
        if code > 0xFFFF:
            terms.append(f"[char]::ConvertFromUtf32(0x{code:X})")
        else:
            terms.append(f"[char]0x{code:04X}")
    if run:
        terms.append(_ps_literal("".join(run)))
    return "(" + " + ".join(terms) + ")"


def _quote(dialect: str, value: str, name: str | None) -> str:
    if "\0" in value:
        what = f"the value for {name}" if name else "a value"
        raise UnsafeValue(
            f"{what} contains a NUL byte, which no environment variable can hold",
            hint="check where the value came from",
        )
    if dialect == "fish":
        return _quote_fish(value, name)
    if dialect == "powershell":
        return _quote_powershell(value)
    return _quote_posix(value, name)


def quote(dialect: str, value: str) -> str:
    """Return an ASCII literal that the shell reads back as exactly ``value``."""
    return _quote(normalize(dialect), value, None)


def _check_name(name: str) -> None:
    if not (isinstance(name, str) and name and name[0] in _UPPER and _NAME_CHARS.issuperset(name)):
        raise ValueError(f"not a variable name awsenv sets: {name!r} (must match [A-Z][A-Z0-9_]*)")


def render(plan: Sequence[tuple[str, str | None]], dialect: str) -> str:
    """Return the shell code (one statement a line) that sets or, for None, unsets each variable."""
    dialect = normalize(dialect)
    lines: list[str] = []
    for name, value in plan:
        _check_name(name)
        if value is None:
            if dialect == "fish":
                lines.append(f"set -e -g {name}\n")
            elif dialect == "powershell":
                lines.append(f"Remove-Item -LiteralPath Env:{name} -ErrorAction SilentlyContinue\n")
            else:
                lines.append(f"unset {name}\n")
            continue
        quoted = _quote(dialect, value, name)
        if dialect == "fish":
            # No `--` needed: `set` stops reading options at NAME, so a value like -n stays a value.
            lines.append(f"set -gx {name} {quoted}\n")
        elif dialect == "powershell":
            lines.append(f"$env:{name} = {quoted}\n")
        else:
            lines.append(f"export {name}={quoted}\n")
    return "".join(lines)


def load(kind: str, dialect: str) -> str:
    """Return the text of a shell (``kind="shell"``) or completion script as shipped."""
    if kind not in _FILES:
        raise ValueError(f"unknown script kind {kind!r}; expected 'shell' or 'completion'")
    folder, names = _FILES[kind]
    filename = names[normalize(dialect)]
    package_dir = os.path.dirname(os.path.abspath(__file__))
    # The wheel holds awsenv/shell and awsenv/completions; a source checkout has them at the root.
    for base in (package_dir, os.path.dirname(package_dir)):
        path = os.path.join(base, folder, filename)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                return handle.read()
    if not os.path.isdir(package_dir):
        # Imported from a zip archive: only importlib.resources can reach the files.
        from importlib.resources import files

        resource = files(__package__ or "awsenv").joinpath(folder).joinpath(filename)
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
    raise AwsenvError(
        f"{folder}/{filename} is missing from the awsenv installation",
        hint="reinstall awsenv",
    )


def _substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace the ``__AWSENV_*__`` tokens in one pass, so replacements are never rescanned."""
    out: list[str] = []
    start = 0
    while True:
        found = text.find("__AWSENV_", start)
        if found < 0:
            out.append(text[start:])
            return "".join(out)
        for token, value in values.items():
            if text.startswith(token, found):
                out.append(text[start:found])
                out.append(value)
                start = found + len(token)
                break
        else:
            out.append(text[start : found + 1])
            start = found + 1


def _command(dialect: str, command: Sequence[str]) -> str:
    if not command:
        raise ValueError("command must name the interpreter")
    return " ".join(_quote(dialect, word, None) for word in command)


def completion_script(dialect: str, *, command: Sequence[str]) -> str:
    """Return the completion script with ``__AWSENV_CORE__`` replaced by ``command``."""
    dialect = normalize(dialect)
    return _substitute(load("completion", dialect), {"__AWSENV_CORE__": _command(dialect, command)})


def init_script(
    dialect: str, *, command: Sequence[str], clock: str, prompt: bool, completion: bool
) -> str:
    """Return the shell integration: wrapper function, prompt segment and optional completion."""
    dialect = normalize(dialect)
    text = _substitute(
        load("shell", dialect),
        {
            "__AWSENV_CORE__": _command(dialect, command),
            "__AWSENV_CLOCK__": _quote(dialect, clock, None),
            "__AWSENV_PROMPT__": "1" if prompt else "0",
        },
    )
    if completion:
        if text and not text.endswith("\n"):
            text += "\n"
        text += completion_script(dialect, command=command)
    return text
