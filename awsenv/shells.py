"""The only module that knows shell syntax and per-shell facts: one :class:`Shell` record each.

Quoting, export/unset statements, the line that sources a file, the rc file and the line to put
in it, the names a shell's process goes by, and the shipped init and completion scripts. Other
modules ask this one (``shells.get("zsh").rc_file``) instead of keeping a table of their own.
It is imported on the hot paths (``use``, the prompt, completion): ``os`` and awsenv's errors only.
"""

from __future__ import annotations

import os

from awsenv.errors import AwsenvError, UnsafeValue, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NAME_CHARS = frozenset(_UPPER + "0123456789_")
# Characters that need no quoting in a bash or zsh word (direnv's set). None is special at the
# start of a word or after `NAME=`; `~`, `=` (zsh EQUALS), `#`, `!`, `{`, `*` and `^` are left out.
_BARE = frozenset(_UPPER + _UPPER.lower() + "0123456789_./:@%+,-")
# The five characters PowerShell's tokenizer treats as a single quote (CharTraits.IsSingleQuote):
# ', left, right, low-9 and high-reversed-9 single quotation marks.
_PS_SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")
_POSIX_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


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


def _check_name(name: str) -> None:
    if not (isinstance(name, str) and name and name[0] in _UPPER and _NAME_CHARS.issuperset(name)):
        raise ValueError(f"not a variable name awsenv sets: {name!r} (must match [A-Z][A-Z0-9_]*)")


class Shell:
    """Everything awsenv knows about one shell (a dialect), as one read-only record.

    ``extension`` names the shipped script (``shell/awsenv.EXT``) and the file ``init --write``
    writes; ``init_line`` goes in ``rc_file`` to load the integration; ``process_names`` are the
    executable names :mod:`awsenv.detect` recognises; ``clock`` says whether the prompt segment
    reads the time from a clock file's mtime (``__AWSENV_CLOCK__``) instead of the shell's own.
    """

    __slots__ = (
        "_export",
        "_quoter",
        "_source",
        "_unset",
        "aliases",
        "clock",
        "completion_file",
        "extension",
        "init_line",
        "name",
        "process_names",
        "rc_file",
    )

    name: str
    aliases: tuple[str, ...]
    process_names: tuple[str, ...]
    extension: str
    completion_file: str
    rc_file: str
    init_line: str
    clock: bool
    _quoter: Callable[[str, str | None], str]
    _export: str
    _unset: str
    _source: str

    def __init__(
        self,
        name: str,
        *,
        aliases: tuple[str, ...] = (),
        process_names: tuple[str, ...],
        quoter: Callable[[str, str | None], str],
        export: str,
        unset: str,
        source: str,
        extension: str,
        completion_file: str,
        rc_file: str,
        init_line: str,
        clock: bool = False,
    ) -> None:
        values = {
            "name": name,
            "aliases": aliases,
            "process_names": process_names,
            "_quoter": quoter,
            "_export": export,
            "_unset": unset,
            "_source": source,
            "extension": extension,
            "completion_file": completion_file,
            "rc_file": rc_file,
            "init_line": init_line,
            "clock": clock,
        }
        for attribute, value in values.items():
            object.__setattr__(self, attribute, value)

    def __setattr__(self, attribute: str, value: object) -> None:
        raise AttributeError(f"Shell records are read-only (tried to set {attribute})")

    def __repr__(self) -> str:
        return f"<Shell {self.name}>"

    @property
    def script_file(self) -> str:
        """The file name of the shipped integration script, in ``shell/``."""
        return "awsenv." + self.extension

    def quote(self, value: str, name: str | None = None) -> str:
        """Return an ASCII literal this shell reads back as exactly ``value``.

        ``name`` (the variable the value is for) only makes error messages precise.
        """
        if "\0" in value:
            what = f"the value for {name}" if name else "a value"
            raise UnsafeValue(
                f"{what} contains a NUL byte, which no environment variable can hold",
                hint="check where the value came from",
            )
        return self._quoter(value, name)

    def export(self, name: str, value: str) -> str:
        """Return the statement (with its newline) that exports ``name`` as ``value``."""
        _check_name(name)
        return self._export.format(name=name, value=self.quote(value, name))

    def unset(self, name: str) -> str:
        """Return the statement (with its newline) that removes ``name`` from the environment."""
        _check_name(name)
        return self._unset.format(name=name)

    def source_line(self, path: str) -> str:
        """Return the line (no newline) that runs the file at ``path`` in the current shell."""
        return self._source.format(path=self.quote(path))

    def render(self, plan: Sequence[tuple[str, str | None]]) -> str:
        """Return the code (one statement a line) that sets or, for None, unsets each variable."""
        return "".join(
            self.unset(name) if value is None else self.export(name, value) for name, value in plan
        )


def _quote_powershell_named(value: str, _name: str | None) -> str:
    """PowerShell can spell every code point, so the variable name never shows in an error."""
    return _quote_powershell(value)


BASH = Shell(
    "bash",
    process_names=("bash",),
    quoter=_quote_posix,
    export="export {name}={value}\n",
    unset="unset {name}\n",
    source="source {path}",
    extension="bash",
    completion_file="awsenv.bash",
    rc_file="~/.bashrc",
    init_line='eval "$(awsenv init bash)"',
)
ZSH = Shell(
    "zsh",
    process_names=("zsh",),
    quoter=_quote_posix,  # bash and zsh read $'...' alike
    export="export {name}={value}\n",
    unset="unset {name}\n",
    source="source {path}",
    extension="zsh",
    completion_file="_awsenv",
    rc_file="~/.zshrc",
    init_line='eval "$(awsenv init zsh)"',
)
FISH = Shell(
    "fish",
    process_names=("fish",),
    quoter=_quote_fish,
    # No `--` needed: `set` stops reading options at NAME, so a value like -n stays a value.
    export="set -gx {name} {value}\n",
    unset="set -e -g {name}\n",
    source="source {path}",
    extension="fish",
    completion_file="awsenv.fish",
    rc_file="~/.config/fish/config.fish",
    init_line="awsenv init fish | source",
    clock=True,
)
POWERSHELL = Shell(
    "powershell",
    aliases=("pwsh", "ps"),
    process_names=("pwsh", "powershell"),
    quoter=_quote_powershell_named,
    export="$env:{name} = {value}\n",
    unset="Remove-Item -LiteralPath Env:{name} -ErrorAction SilentlyContinue\n",
    source=". {path}",
    extension="ps1",
    completion_file="awsenv.completion.ps1",
    rc_file="$PROFILE",
    init_line="awsenv init powershell | Out-String | Invoke-Expression",
)

SHELLS: dict[str, Shell] = {shell.name: shell for shell in (BASH, ZSH, FISH, POWERSHELL)}
DIALECTS: tuple[str, ...] = tuple(SHELLS)
ALIASES: dict[str, str] = {alias: s.name for s in SHELLS.values() for alias in s.aliases}
_BY_NAME = {**{name: name for name in SHELLS}, **ALIASES}


def normalize(name: str) -> str:
    """Return the dialect for a shell name (``pwsh`` and ``ps`` are PowerShell)."""
    dialect = _BY_NAME.get(name) or _BY_NAME.get(name.lower())
    if dialect is None:
        raise UsageError(
            f"unknown shell {name!r}; supported shells: " + ", ".join(DIALECTS),
            hint="pwsh and ps are accepted for powershell",
        )
    return dialect


def get(name: str) -> Shell:
    """Return the record of a shell by dialect or alias; a UsageError names the supported ones."""
    return SHELLS[normalize(name)]


def by_process_name(executable: str) -> Shell | None:
    """Return the shell whose process goes by ``executable`` (``pwsh``, ``bash``), else None."""
    for shell in SHELLS.values():
        if executable in shell.process_names:
            return shell
    return None


def quote(dialect: str, value: str) -> str:
    """Return an ASCII literal that the shell reads back as exactly ``value``."""
    return get(dialect).quote(value)


def render(plan: Sequence[tuple[str, str | None]], dialect: str) -> str:
    """Return the shell code (one statement a line) that sets or, for None, unsets each variable."""
    return get(dialect).render(plan)


def load(kind: str, dialect: str) -> str:
    """Return the text of a shell (``kind="shell"``) or completion script as shipped."""
    if kind == "shell":
        folder, filename = "shell", get(dialect).script_file
    elif kind == "completion":
        folder, filename = "completions", get(dialect).completion_file
    else:
        raise ValueError(f"unknown script kind {kind!r}; expected 'shell' or 'completion'")
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


def _command(shell: Shell, command: Sequence[str]) -> str:
    if not command:
        raise ValueError("command must name the interpreter")
    return " ".join(shell.quote(word) for word in command)


def completion_script(dialect: str, *, command: Sequence[str]) -> str:
    """Return the completion script with ``__AWSENV_CORE__`` replaced by ``command``."""
    shell = get(dialect)
    return _substitute(
        load("completion", shell.name), {"__AWSENV_CORE__": _command(shell, command)}
    )


def init_script(
    dialect: str,
    *,
    command: Sequence[str],
    clock: str,
    prompt: bool,
    completion: bool,
    auto_refresh: bool = True,
) -> str:
    """Return the shell integration: wrapper function, prompt segment and optional completion.

    ``auto_refresh``: the prompt hook renews exported keys that renew silently when they are
    due (``refresh --auto``); off with ``init --no-auto-refresh``. With ``prompt`` false the
    renewal runs from a hook of its own that leaves the prompt's text alone; with both false
    no hook is added at all.
    """
    shell = get(dialect)
    text = _substitute(
        load("shell", shell.name),
        {
            "__AWSENV_CORE__": _command(shell, command),
            "__AWSENV_CLOCK__": shell.quote(clock),
            "__AWSENV_PROMPT__": "1" if prompt else "0",
            "__AWSENV_AUTO__": "1" if auto_refresh else "0",
        },
    )
    if completion:
        if text and not text.endswith("\n"):
            text += "\n"
        text += completion_script(shell.name, command=command)
    return text


# --- how the wrappers start the core ------------------------------------------------------------


def core_command(environ: Mapping[str, str]) -> list[str]:
    """Return how the wrappers start the core: this interpreter and awsenv's ``__main__.py``.

    Both by absolute path: no PATH lookup, no pyenv shim. ``-I`` (isolated mode) keeps the
    current directory and PYTHON* variables out, so a directory that happens to hold an
    ``awsenv`` package cannot take over. It is left out only when awsenv itself is found
    through the user site or PYTHONPATH, which ``-I`` ignores. ``-S`` leaves ``site`` to the
    first import that needs it (see ``awsenv/__main__.py``).
    """
    import sys

    executable = sys.executable
    if not executable:
        raise AwsenvError("cannot tell which Python interpreter runs awsenv")
    import site

    import awsenv

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(awsenv.__file__)))
    pythonpath = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
    needs_env = any(os.path.abspath(p) == package_parent for p in pythonpath) or (
        bool(user_site) and package_parent.startswith(os.path.abspath(user_site))
    )
    main = os.path.join(os.path.dirname(os.path.abspath(awsenv.__file__)), "__main__.py")
    return [executable, main] if needs_env else [executable, "-I", "-S", main]


def clock_file(environ: Mapping[str, str]) -> str:
    """Create (if needed) the file whose mtime is 0, which fish's prompt reads as a clock."""
    from awsenv import paths

    path = os.path.join(paths.ensure_private_dir(paths.cache_dir(environ)), "clock")
    try:
        if not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if os.stat(path).st_mtime != 0:
            os.utime(path, (0, 0))
    except OSError:
        return path  # the prompt then shows the profile without the time left
    return path


def credential_process(profile: str) -> str:
    """The ``credential_process`` line through which every SDK gets ``profile`` from awsenv.

    botocore splits the line as a POSIX shell would (shlex), so the name is quoted as bash
    quotes it: an unusual name stays one argument and runs nothing.
    """
    return f"awsenv credential-process {quote('bash', profile)}"


def awsenv_on_path(environ: Mapping[str, str]) -> bool:
    """True if the ``awsenv`` of :func:`credential_process` lines is on ``PATH``.

    Every SDK starts it by name, so without it (awsenv installed in a virtualenv, say) each one
    fails to get the credentials of such a profile while ``awsenv use`` works.
    """
    import shutil

    return shutil.which("awsenv", path=environ.get("PATH", "")) is not None


def warn_unless_on_path(environ: Mapping[str, str]) -> None:
    """Say on stderr that the credential_process just written cannot run (see above)."""
    if awsenv_on_path(environ):
        return
    from awsenv import ui

    ui.warn(
        "no awsenv is on PATH, so the AWS CLI and the SDKs cannot run this profile's "
        "credential_process: install awsenv with pipx (it puts awsenv on PATH), or write "
        "awsenv's full path there"
    )
