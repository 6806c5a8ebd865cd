"""shells.quote and render in pure Python: exact forms, errors, models of each shell's reader."""

from __future__ import annotations

from typing import Callable, TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from awsenv import clispec, shells
from awsenv.errors import AwsenvError, UnsafeValue, UsageError
from tests.helpers import HOSTILE, IN_CI, REPO

SMART_QUOTES = "\u2018\u2019\u201a\u201b"
# PowerShell's CharTraits.IsSingleQuote: the ASCII apostrophe and the four smart single quotes.
PS_QUOTES = frozenset("'" + SMART_QUOTES)

# Characters that have broken shell quoting somewhere, mixed into otherwise arbitrary text.
TRICKY = list(
    "'\"$()`;&|<>!*?[]{}~#%^=\\ \t\n\r\x1b\x7f\x01\x85\xa0-"
    + SMART_QUOTES
    + "\u2028\ufeff\uf600\uf6ff\ufffe\uffffé\u0440\u0442中片🚒♞\U0010fffd"
)
CHARS = st.one_of(st.sampled_from(TRICKY), st.characters(codec="utf-8", exclude_characters="\x00"))
VALUES = st.text(alphabet=CHARS, max_size=40)
SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=IN_CI, suppress_health_check=[HealthCheck.too_slow]
)


class ModelError(Exception):
    """The model met something the real shell would not read as the quoter intends."""


# --------------------------------------------------------------------------------------------
# bash/zsh: a model of the word forms quote() emits ($'...' decoding as bash's ansicstr does)
# --------------------------------------------------------------------------------------------

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@%+,-")
_HEX = "0123456789abcdefABCDEF"
_SIMPLE = {
    "a": 7,
    "b": 8,
    "e": 27,
    "E": 27,
    "f": 12,
    "n": 10,
    "r": 13,
    "t": 9,
    "v": 11,
    "\\": 92,
    "'": 39,
    '"': 34,
    "?": 63,
}


def posix_word(text: str) -> bytes:
    """Decode one bash/zsh word made of bare characters, '...' and $'...' parts, to bytes."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if text.startswith("$'", i):
            i += 2
            while True:
                if i >= len(text):
                    raise ModelError("unterminated $'")
                c = text[i]
                if c == "'":
                    i += 1
                    break
                if c != "\\":
                    if not " " <= c <= "~":
                        raise ModelError(f"raw {c!r} inside $'...'")
                    out.append(ord(c))
                    i += 1
                    continue
                e = text[i + 1]
                i += 2
                if e in _SIMPLE:
                    out.append(_SIMPLE[e])
                elif e == "x":
                    digits = ""
                    while len(digits) < 2 and i < len(text) and text[i] in _HEX:
                        digits += text[i]
                        i += 1
                    if not digits:
                        raise ModelError("\\x without digits")
                    out.append(int(digits, 16))
                elif e in "01234567":
                    digits = e
                    while len(digits) < 3 and i < len(text) and text[i] in "01234567":
                        digits += text[i]
                        i += 1
                    out.append(int(digits, 8) & 0xFF)
                else:
                    raise ModelError(f"escape \\{e} is not modelled")
        elif c == "'":
            end = text.index("'", i + 1)
            out += text[i + 1 : end].encode()
            i = end + 1
        elif c in _BARE:
            out.append(ord(c))
            i += 1
        else:
            raise ModelError(f"unquoted {c!r}")
    return bytes(out)


def posix_plan(code: str) -> list[tuple[str, bytes | None]]:
    result: list[tuple[str, bytes | None]] = []
    assert code.endswith("\n") or not code
    for line in code.splitlines():
        if line.startswith("unset "):
            result.append((line[6:], None))
        else:
            assert line.startswith("export ")
            name, _, word = line[7:].partition("=")
            result.append((name, posix_word(word)))
    return result


# --------------------------------------------------------------------------------------------
# fish: '...' with \\ and \' inside, \xHH (ASCII) and \XHH (byte) escapes outside
# --------------------------------------------------------------------------------------------


def fish_word(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "'":
            i += 1
            while True:
                if i >= len(text):
                    raise ModelError("unterminated '")
                c = text[i]
                if c == "'":
                    i += 1
                    break
                if c == "\\" and i + 1 < len(text) and text[i + 1] in "\\'":
                    out.append(ord(text[i + 1]))
                    i += 2
                    continue
                out += c.encode()
                i += 1
        elif c == "\\" and i + 1 < len(text) and text[i + 1] in "xX":
            digits = ""
            i += 2
            while len(digits) < 2 and i < len(text) and text[i] in _HEX:
                digits += text[i]
                i += 1
            if not digits:
                raise ModelError("\\x without digits")
            value = int(digits, 16)
            if text[i - len(digits) - 1] == "x" and value > 0x7F:
                raise ModelError("fish documents \\xHH for ASCII only; bytes use \\XHH")
            out.append(value)
        else:
            raise ModelError(f"unquoted {c!r} outside quotes")
    return bytes(out)


def fish_plan(code: str) -> list[tuple[str, bytes | None]]:
    result: list[tuple[str, bytes | None]] = []
    for line in code.splitlines():
        if line.startswith("set -e -g "):
            result.append((line[10:], None))
        else:
            assert line.startswith("set -gx ")
            name, _, word = line[8:].partition(" ")
            result.append((name, fish_word(word)))
    return result


# --------------------------------------------------------------------------------------------
# PowerShell: the tokenizer's ScanStringLiteral, [char] casts and + concatenation
# --------------------------------------------------------------------------------------------


def ps_verbatim(src: str, i: int) -> tuple[str, int]:
    """Scan a single-quoted string from src[i] (any IsSingleQuote char), as tokenizer.cs does.

    A quote character followed by another one is an escape: the SECOND is appended and scanning
    goes on. An unpaired quote character ends the string.
    """
    assert src[i] in PS_QUOTES
    i += 1
    out: list[str] = []
    while True:
        if i >= len(src):
            raise ModelError("TerminatorExpectedAtEndOfString")
        c = src[i]
        if c in PS_QUOTES:
            if i + 1 < len(src) and src[i + 1] in PS_QUOTES:
                out.append(src[i + 1])
                i += 2
                continue
            return "".join(out), i + 1
        out.append(c)
        i += 1


def _ps_hex(src: str, i: int) -> tuple[int, int]:
    if not src.startswith("0x", i):
        raise ModelError("expected 0x")
    j = i + 2
    while j < len(src) and src[j] in _HEX:
        j += 1
    if j == i + 2:
        raise ModelError("expected hex digits")
    return int(src[i + 2 : j], 16), j


def ps_term(src: str, i: int) -> tuple[str, bool, int]:
    """Return (value as UTF-16-faithful str, is_string, end) of one term."""
    if src[i] in PS_QUOTES:
        value, i = ps_verbatim(src, i)
        return value, True, i
    if src.startswith("[char]::ConvertFromUtf32(", i):
        code, i = _ps_hex(src, i + len("[char]::ConvertFromUtf32("))
        if not src.startswith(")", i) or not 0x10000 <= code <= 0x10FFFF:
            raise ModelError("bad ConvertFromUtf32")
        return chr(code), True, i + 1
    if src.startswith("[char]", i):
        code, i = _ps_hex(src, i + len("[char]"))
        if code > 0xFFFF:
            raise ModelError("[char] holds one UTF-16 code unit")
        return chr(code), False, i
    raise ModelError(f"unexpected {src[i : i + 10]!r}")


def ps_expression(src: str) -> str:
    """Evaluate the whole right-hand side; it must be consumed exactly."""
    if src[0] in PS_QUOTES:
        value, end = ps_verbatim(src, 0)
    elif src[0] == "(":
        i = 1
        value, is_string, i = ps_term(src, i)
        if not is_string:
            raise ModelError("[char] + [char] adds numbers; the first term must be a string")
        while src.startswith(" + ", i):
            part, _, i = ps_term(src, i + 3)
            value += part
        if not src.startswith(")", i):
            raise ModelError("expected )")
        end = i + 1
    else:
        raise ModelError("not a string expression")
    if end != len(src):
        raise ModelError(f"trailing text {src[end:]!r}")
    return value


def ps_plan(code: str) -> list[tuple[str, str | None]]:
    result: list[tuple[str, str | None]] = []
    for line in code.splitlines():
        if line.startswith("Remove-Item "):
            prefix, _, name = line.partition("Env:")
            assert prefix == "Remove-Item -LiteralPath "
            name, _, rest = name.partition(" ")
            assert rest == "-ErrorAction SilentlyContinue"
            result.append((name, None))
        else:
            assert line.startswith("$env:")
            name, _, expr = line[5:].partition(" = ")
            result.append((name, ps_expression(expr)))
    return result


def utf16(value: str) -> bytes:
    """How .NET holds a string: consecutive surrogate [char]s join into one code point."""
    return value.encode("utf-16-le", "surrogatepass")


# --------------------------------------------------------------------------------------------
# exact forms
# --------------------------------------------------------------------------------------------

POSIX_CASES = [
    ("", "''"),
    ("eu-west-1", "eu-west-1"),
    ("arn:aws:iam::1:role/a_b.c@d%e+f,g", "arn:aws:iam::1:role/a_b.c@d%e+f,g"),
    ("-n", "-n"),
    ("a b", "$'a b'"),
    ("it's", "$'it\\'s'"),
    ("back\\slash", "$'back\\\\slash'"),
    ("new\nline", "$'new\\nline'"),
    ("tab\tcr\r", "$'tab\\tcr\\r'"),
    ("esc\x1b[31m", "$'esc\\x1b[31m'"),
    ("\x1bfa", "$'\\x1bfa'"),
    ("é", "$'\\xc3\\xa9'"),
    ("🚒", "$'\\xf0\\x9f\\x9a\\x92'"),
    ("\u2018\u2019\u201a\u201b", "$'\\xe2\\x80\\x98\\xe2\\x80\\x99\\xe2\\x80\\x9a\\xe2\\x80\\x9b'"),
    ("$(x)`y`", "$'$(x)`y`'"),
    ("~root", "$'~root'"),
    ("a=b", "$'a=b'"),
]


@pytest.mark.parametrize("dialect", ["bash", "zsh"])
@pytest.mark.parametrize(("value", "expected"), POSIX_CASES)
def test_posix_quote_has_the_documented_form(dialect: str, value: str, expected: str) -> None:
    assert shells.quote(dialect, value) == expected
    assert posix_word(expected) == value.encode()


FISH_CASES = [
    ("", "''"),
    ("eu-west-1", "'eu-west-1'"),
    ("-n", "'-n'"),
    ("it's", "'it\\'s'"),
    ("back\\slash", "'back\\\\slash'"),
    ("trailing\\", "'trailing\\\\'"),
    ("new\nline", "'new'\\x0a'line'"),
    ("esc\x1b[31m", "'esc'\\x1b'[31m'"),
    ("é", "\\Xc3\\Xa9"),
    ("aéb", "'a'\\Xc3\\Xa9'b'"),
    ("🚒", "\\Xf0\\X9f\\X9a\\X92"),
    ("\u2019", "\\Xe2\\X80\\X99"),
    ("\uf600", "\\Xef\\X98\\X80"),
    ("$(x) {a,b} *", "'$(x) {a,b} *'"),
]


@pytest.mark.parametrize(("value", "expected"), FISH_CASES)
def test_fish_quote_has_the_documented_form(value: str, expected: str) -> None:
    assert shells.quote("fish", value) == expected
    assert fish_word(expected) == value.encode()


PS_CASES = [
    ("", "''"),
    ("eu-west-1", "'eu-west-1'"),
    ("-n", "'-n'"),
    ("it's", "'it''s'"),
    ("'", "''''"),
    ("back\\slash `$x` $(y)", "'back\\slash `$x` $(y)'"),
    ("new\nline", "('new' + [char]0x000A + 'line')"),
    ("\x1b", "('' + [char]0x001B)"),
    ("é", "('' + [char]0x00E9)"),
    ("aéb", "('a' + [char]0x00E9 + 'b')"),
    ("éé", "('' + [char]0x00E9 + [char]0x00E9)"),
    ("🚒", "('' + [char]::ConvertFromUtf32(0x1F692))"),
    (
        "\u2018\u2019\u201a\u201b",
        "('' + [char]0x2018 + [char]0x2019 + [char]0x201A + [char]0x201B)",
    ),
]


@pytest.mark.parametrize(("value", "expected"), PS_CASES)
def test_powershell_quote_has_the_documented_form(value: str, expected: str) -> None:
    assert shells.quote("powershell", value) == expected
    assert ps_expression(expected) == value


@pytest.mark.parametrize("dialect", shells.DIALECTS)
def test_render_writes_one_statement_a_line(dialect: str) -> None:
    code = shells.render([("AWS_PROFILE", "dev"), ("AWS_REGION", None)], dialect)
    expected = {
        "bash": "export AWS_PROFILE=dev\nunset AWS_REGION\n",
        "zsh": "export AWS_PROFILE=dev\nunset AWS_REGION\n",
        "fish": "set -gx AWS_PROFILE 'dev'\nset -e -g AWS_REGION\n",
        "powershell": (
            "$env:AWS_PROFILE = 'dev'\n"
            "Remove-Item -LiteralPath Env:AWS_REGION -ErrorAction SilentlyContinue\n"
        ),
    }[dialect]
    assert code == expected


@pytest.mark.parametrize("dialect", shells.DIALECTS)
def test_render_of_an_empty_plan_is_empty(dialect: str) -> None:
    assert shells.render([], dialect) == ""


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", shells.DIALECTS)
def test_render_rejects_nul_naming_the_variable_but_not_the_value(dialect: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        shells.render([("AWS_OK", "fine"), ("AWS_SECRET_ACCESS_KEY", "hunter2\0x")], dialect)
    text = f"{caught.value.message} {caught.value.hint}"
    assert "AWS_SECRET_ACCESS_KEY" in text
    assert "NUL" in text
    assert "hunter2" not in text


@pytest.mark.parametrize("dialect", shells.DIALECTS)
def test_quote_rejects_nul(dialect: str) -> None:
    with pytest.raises(UnsafeValue):
        shells.quote(dialect, "\0")


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_posix_dialects_turn_escaped_bytes_back_into_bytes(dialect: str) -> None:
    # os.environ decodes undecodable bytes as lone surrogates (surrogateescape).
    code = shells.render([("AWS_X", "a\udcff")], dialect)
    plan = fish_plan(code) if dialect == "fish" else posix_plan(code)
    assert plan == [("AWS_X", b"a\xff")]


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_posix_dialects_reject_other_lone_surrogates_naming_the_variable(dialect: str) -> None:
    with pytest.raises(UnsafeValue, match="AWS_X"):
        shells.render([("AWS_X", "a\ud800")], dialect)


def test_powershell_keeps_lone_surrogates_as_utf16_units() -> None:
    value = "a\ud83d\ude92b"  # a pair split in two Python chars, as .NET would hold it
    assert utf16(ps_expression(shells.quote("powershell", value))) == utf16(value)


@pytest.mark.parametrize(
    "name", ["", "aws_profile", "1AWS", "_AWS", "AWS-X", "AWS X", "AWS=X", "AWS\n", "ÉTÉ", "AWSé"]
)
@pytest.mark.parametrize("dialect", shells.DIALECTS)
def test_render_rejects_bad_variable_names(dialect: str, name: str) -> None:
    with pytest.raises(ValueError, match="variable name"):
        shells.render([(name, "x")], dialect)
    with pytest.raises(ValueError, match="variable name"):
        shells.render([(name, None)], dialect)


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ("bash", "bash"),
        ("zsh", "zsh"),
        ("fish", "fish"),
        ("powershell", "powershell"),
        ("pwsh", "powershell"),
        ("ps", "powershell"),
        ("PowerShell", "powershell"),
        ("Bash", "bash"),
    ],
)
def test_normalize_maps_names_and_aliases(name: str, dialect: str) -> None:
    assert shells.normalize(name) == dialect


@pytest.mark.parametrize("name", ["tcsh", "sh", "", "cmd", "bash "])
def test_normalize_rejects_unknown_shells_listing_the_supported_ones(name: str) -> None:
    with pytest.raises(UsageError) as caught:
        shells.normalize(name)
    for dialect in shells.DIALECTS:
        assert dialect in caught.value.message


def test_dialects_agree_with_the_cli_spec() -> None:
    assert shells.DIALECTS == clispec.SHELLS
    for alias, dialect in clispec.SHELL_ALIASES.items():
        assert shells.normalize(alias) == dialect


@pytest.mark.parametrize("function", [shells.quote, lambda d, v: shells.render([("A", v)], d)])
def test_unknown_dialect_is_a_usage_error(function: object) -> None:
    with pytest.raises(UsageError):
        function("csh", "x")  # type: ignore[operator]


# --------------------------------------------------------------------------------------------
# properties: every dialect's model reads back exactly the value, output always ASCII
# --------------------------------------------------------------------------------------------


_Test = TypeVar("_Test", bound=Callable[..., None])


def _with_hostile(test: _Test) -> _Test:
    for value in (*HOSTILE, *SMART_QUOTES, SMART_QUOTES, "''", "'\u2019", "\u2019'", "-n", ""):
        test = example(value)(test)
    return test


@_with_hostile
@given(VALUES)
@SETTINGS
def test_posix_model_reads_back_every_value(value: str) -> None:
    for dialect in ("bash", "zsh"):
        code = shells.render([("AWSENV_T", value)], dialect)
        assert code.isascii()
        assert code.count("\n") == 1
        assert posix_plan(code) == [("AWSENV_T", value.encode())]


@_with_hostile
@given(VALUES)
@SETTINGS
def test_fish_model_reads_back_every_value(value: str) -> None:
    code = shells.render([("AWSENV_T", value)], "fish")
    assert code.isascii()
    assert code.count("\n") == 1
    assert fish_plan(code) == [("AWSENV_T", value.encode())]


@_with_hostile
@given(VALUES)
@SETTINGS
def test_powershell_scanner_model_reads_back_every_value(value: str) -> None:
    code = shells.render([("AWSENV_T", value)], "powershell")
    assert code.isascii()
    assert code.count("\n") == 1
    assert ps_plan(code) == [("AWSENV_T", value)]


@given(st.lists(st.tuples(st.sampled_from(["AWS_A", "AWS_B9", "X_"]), st.none() | VALUES)))
@settings(max_examples=100, deadline=None, derandomize=IN_CI)
def test_every_dialect_renders_whole_plans_in_order(plan: list[tuple[str, str | None]]) -> None:
    expected = [(n, None if v is None else v.encode()) for n, v in plan]
    assert posix_plan(shells.render(plan, "bash")) == expected
    assert posix_plan(shells.render(plan, "zsh")) == expected
    assert fish_plan(shells.render(plan, "fish")) == expected
    assert ps_plan(shells.render(plan, "powershell")) == plan


# --------------------------------------------------------------------------------------------
# the PowerShell model itself: smart quotes are quotes, a doubled pair yields the second char
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("'it''s'", "it's"),
        ("'it\u2019\u2019s'", "it\u2019s"),
        ("'it'\u2019s'", "it\u2019s"),  # the first quote is the escape; the second is kept
        ("'it\u2019's'", "it's"),
        ("\u2018abc\u2019", "abc"),
        ("\u201aabc'", "abc"),
    ],
)
def test_powershell_model_follows_the_tokenizer(source: str, value: str) -> None:
    assert ps_expression(source) == value


@pytest.mark.parametrize(
    "source", ["'it\u2019s'", "'abc", "('' + )", "([char]0x41 + 'a')", "'a' + 'b'"]
)
def test_powershell_model_rejects_what_powershell_misreads(source: str) -> None:
    with pytest.raises((ModelError, IndexError)):
        ps_expression(source)


@given(st.text(alphabet=CHARS, max_size=40))
@SETTINGS
@example("\u2018\u2019\u201a\u201b'")
@example("a\u2019")
def test_powershell_literal_doubles_all_five_quotes(text: str) -> None:
    # The private helper alone keeps smart quotes in the output (render never passes them);
    # the scanner model proves it doubles every one of them.
    literal = shells._ps_literal(text)
    for char in SMART_QUOTES + "'":
        assert literal.count(char) == 2 * text.count(char) + (2 if char == "'" else 0)
    assert ps_expression(literal) == text


# --------------------------------------------------------------------------------------------
# load, init_script, completion_script
# --------------------------------------------------------------------------------------------

_SHIPPED = {
    ("shell", "bash"): "shell/awsenv.bash",
    ("shell", "zsh"): "shell/awsenv.zsh",
    ("shell", "fish"): "shell/awsenv.fish",
    ("shell", "powershell"): "shell/awsenv.ps1",
    ("completion", "bash"): "completions/awsenv.bash",
    ("completion", "zsh"): "completions/_awsenv",
    ("completion", "fish"): "completions/awsenv.fish",
    ("completion", "powershell"): "completions/awsenv.completion.ps1",
}


@pytest.mark.parametrize(("kind", "dialect"), sorted(_SHIPPED))
def test_load_reads_the_checkout_file_or_says_it_is_missing(kind: str, dialect: str) -> None:
    path = REPO / _SHIPPED[kind, dialect]
    if path.is_file():
        assert shells.load(kind, dialect) == path.read_text(encoding="utf-8")
    else:
        with pytest.raises(AwsenvError, match="missing"):
            shells.load(kind, dialect)


def test_load_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="kind"):
        shells.load("plugin", "bash")


_TEMPLATE = (
    'run() { command __AWSENV_CORE__ "$@"; }\n'
    "clock=__AWSENV_CLOCK__ prompt=__AWSENV_PROMPT__ __AWSENV_OTHER__"
)


@pytest.fixture
def templates(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_load(kind: str, dialect: str) -> str:
        return _TEMPLATE if kind == "shell" else f"complete __AWSENV_CORE__ {dialect}\n"

    monkeypatch.setattr(shells, "load", fake_load)


@pytest.mark.usefixtures("templates")
def test_init_script_substitutes_every_token_once() -> None:
    # A path that itself contains a token must not be substituted again.
    command = ["/opt/my env/__AWSENV_CLOCK__/python", "-I"]
    text = shells.init_script(
        "bash", command=command, clock="/tmp/c k", prompt=False, completion=False
    )
    assert text == (
        "run() { command $'/opt/my env/__AWSENV_CLOCK__/python' -I \"$@\"; }\n"
        "clock=$'/tmp/c k' prompt=0 __AWSENV_OTHER__"
    )


@pytest.mark.usefixtures("templates")
def test_init_script_appends_the_completion_on_its_own_line() -> None:
    text = shells.init_script(
        "pwsh", command=["C:/Python/python.exe"], clock="", prompt=True, completion=True
    )
    assert text.endswith("prompt=1 __AWSENV_OTHER__\ncomplete 'C:/Python/python.exe' powershell\n")
    assert "clock=''" in text


@pytest.mark.usefixtures("templates")
def test_completion_script_substitutes_the_command() -> None:
    text = shells.completion_script("fish", command=["/usr/bin/python3", "-I"])
    assert text == "complete '/usr/bin/python3' '-I' fish\n"


@pytest.mark.usefixtures("templates")
def test_init_script_needs_a_command() -> None:
    with pytest.raises(ValueError, match="command"):
        shells.init_script("zsh", command=[], clock="", prompt=True, completion=True)
