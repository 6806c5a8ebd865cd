"""The prompt segment in real bash, zsh and fish: text, colours, hostile names, `$?`, user prompt.

Each test loads `awsenv init <shell>` into a shell with no rc files, runs the prompt hooks the way
the shell does before a prompt, and expands the prompt with the shell's own machinery (bash
`${PS1@P}`, zsh `print -P`, fish `fish_prompt`). Several cases share one shell process; each
rendered prompt ends with a NUL. Values reach the shell through the environment, never through
the script's text, so the test itself cannot mis-quote them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import HOSTILE, SHELLS, minimal_env, run_awsenv

pytestmark = pytest.mark.shells

GREEN, YELLOW, RED = "32", "33", "31"


@dataclass(frozen=True)
class Case:
    """One prompt render: the variables awsenv exported, and the status of the last command."""

    profile: str | None = None
    expiration: str | None = None
    no_color: str | None = None
    status: int = 0
    renewable: str | None = None


@dataclass(frozen=True)
class Variant:
    """How one shell (with one set of user options) loads init and renders its prompt."""

    id: str
    shell: str
    prelude: str
    user_prompt_setup: str
    render: str
    options: str = ""
    # how each shell shows the user prompt of the tests once rendered, given the status
    user_prompt: str = "user[{status}]> "
    strip: tuple[str, ...] = field(default=())
    # code run after init (e.g. the user replacing the prompt)
    after_init: str = ""

    def set_env(self, name: str, source: str) -> str:
        if self.shell == "fish":
            return f"set -gx {name} ${source}\n"
        return f'export {name}="${source}"\n'

    def unset_env(self, name: str) -> str:
        return f"set -e {name}\n" if self.shell == "fish" else f"unset {name}\n"

    def set_status(self, status: int) -> str:
        return f"__t_status {status}\n" if self.shell == "fish" else f"(exit {status})\n"


BASH_RENDER = (
    'for __t in ${PROMPT_COMMAND[@]+"${PROMPT_COMMAND[@]}"}; do eval "${__t}"; done\n'
    "printf '%s\\0' \"${PS1@P}\"\n"
)
ZSH_RENDER = (
    'for __t in "${precmd_functions[@]}"; do "${__t}"; done\n'
    "print -rnP -- \"${PROMPT}\"; printf '\\0'\n"
)
# The fish_prompt event fires before every render in an interactive fish.
FISH_RENDER = "emit fish_prompt\n__t_status $__t_last\nfish_prompt; printf '\\0'\n"
FISH_PRELUDE = "function __t_status; return $argv[1]; end\n"

VARIANTS = {
    v.id: v
    for v in (
        Variant(
            "bash",
            "bash",
            "set -u\n",
            "PS1='user[$?]> '\n",
            BASH_RENDER,
            strip=("\x01", "\x02"),
        ),
        Variant(
            "bash-options",
            "bash",
            "set -u\nshopt -s nullglob failglob extglob nocasematch\n",
            "PS1='user[$?]> '\n",
            BASH_RENDER,
            strip=("\x01", "\x02"),
        ),
        Variant("zsh", "zsh", "", "PROMPT='user[%?]> '\n", ZSH_RENDER),
        Variant(
            "zsh-options",
            "zsh",
            "setopt prompt_subst prompt_bang ksh_arrays sh_word_split rc_quotes no_unset"
            " octal_zeroes\n",
            "PROMPT='user[%?]> '\n",
            ZSH_RENDER,
        ),
        Variant(
            "fish",
            "fish",
            FISH_PRELUDE,
            "function fish_prompt; printf 'user[%s]> ' $status; end\n",
            FISH_RENDER,
        ),
    )
}


_INIT_CACHE: dict[tuple[str, ...], Path] = {}


def _init(shell: str, home: Path, tmp_path: Path, *flags: str) -> Path:
    """Write `awsenv init` output to a file, once per shell and flags (Python starts are slow)."""
    key = (shell, *flags)
    if key not in _INIT_CACHE or not _INIT_CACHE[key].exists():
        result = run_awsenv(["init", shell, "--no-completion", *flags], minimal_env(home))
        assert result.returncode == 0, result.stderr
        path = tmp_path / f"init-{'-'.join(key)}"
        path.write_text(result.stdout, encoding="utf-8")
        _INIT_CACHE[key] = path
    return _INIT_CACHE[key]


def _source(shell: str) -> str:
    return "source $T_INIT\n" if shell == "fish" else 'source "${T_INIT}"\n'


def render(
    variant: Variant, cases: list[Case], home: Path, tmp_path: Path, *, flags: tuple[str, ...] = ()
) -> list[str]:
    """Render the prompt once per case in one shell process; return the prompts as shown."""
    env = minimal_env(home, T_INIT=str(_init(variant.shell, home, tmp_path, *flags)))
    lines = [variant.prelude, variant.user_prompt_setup, _source(variant.shell), variant.after_init]
    for i, case in enumerate(cases):
        for name, value, source in (
            ("AWSENV_PROFILE", case.profile, f"T{i}_P"),
            ("AWSENV_EXPIRATION", case.expiration, f"T{i}_E"),
            ("AWSENV_RENEWABLE", case.renewable, f"T{i}_R"),
            ("NO_COLOR", case.no_color, f"T{i}_N"),
        ):
            if value is None:
                lines.append(variant.unset_env(name))
            else:
                env[source] = value
                lines.append(variant.set_env(name, source))
        if variant.shell == "fish":
            lines.append(f"set -g __t_last {case.status}\n")
        else:
            lines.append(variant.set_status(case.status))
        lines.append(variant.render)
    result = SHELLS[variant.shell].run("".join(lines), env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stderr == b""
    assert not (tmp_path / "CANARY").exists(), "a profile name or expiration ran code"
    shown = result.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    assert shown[-1] == ""
    prompts = []
    for prompt in shown[:-1]:
        for char in variant.strip:
            prompt = prompt.replace(char, "")
        # fish prints the user's prompt lines back joined by newlines; the last one is dropped
        # when fish draws the prompt.
        prompts.append(prompt.removesuffix("\n") if variant.shell == "fish" else prompt)
    assert len(prompts) == len(cases)
    return prompts


def sanitized(name: str) -> str:
    """Return the name as the segment shows it: control characters become `?`."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", "?", name)


def expected(
    variant: Variant, case: Case, *, left: str | None = None, color: str = GREEN
) -> re.Pattern[str]:
    """Return the pattern the whole rendered prompt must match (``left`` is a regex)."""
    user = re.escape(variant.user_prompt.format(status=case.status))
    if not case.profile:
        return re.compile(user)
    text = "aws:" + re.escape(sanitized(case.profile)) + (" " + left if left else "")
    if not case.no_color:
        text = re.escape(f"\x1b[{color}m") + text + re.escape("\x1b[0m")
    return re.compile(text + " " + user)


def _assert_match(prompts: list[str], patterns: list[re.Pattern[str]]) -> None:
    for prompt, pattern in zip(prompts, patterns):
        assert pattern.fullmatch(prompt), (prompt, pattern.pattern)


def _in(seconds: int) -> str:
    return str(int(time.time()) + seconds)


@pytest.fixture(params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> Variant:
    return VARIANTS[request.param]


def test_prompt_shows_nothing_until_a_profile_is_set(variant, home, tmp_path) -> None:
    cases = [Case(), Case(profile=""), Case(profile="dev"), Case()]
    prompts = render(variant, cases, home, tmp_path)
    assert prompts[0] == prompts[1] == prompts[3] == "user[0]> "
    _assert_match(prompts[2:3], [expected(variant, cases[2])])


def test_prompt_shows_green_profile_without_expiration(variant, home, tmp_path) -> None:
    case = Case(profile="dev")
    _assert_match(render(variant, [case], home, tmp_path), [expected(variant, case)])


def test_prompt_shows_green_hours_and_padded_minutes(variant, home, tmp_path) -> None:
    case = Case(profile="prod", expiration=_in(3930))
    prompts = render(variant, [case], home, tmp_path)
    _assert_match(prompts, [expected(variant, case, left="1h0[45]m")])


def test_prompt_shows_green_above_15_minutes(variant, home, tmp_path) -> None:
    case = Case(profile="prod", expiration=_in(990))
    prompts = render(variant, [case], home, tmp_path)
    _assert_match(prompts, [expected(variant, case, left="1[56]m")])


def test_prompt_shows_yellow_under_15_minutes(variant, home, tmp_path) -> None:
    case = Case(profile="prod", expiration=_in(630))
    prompts = render(variant, [case], home, tmp_path)
    _assert_match(prompts, [expected(variant, case, left="(10|9)m", color=YELLOW)])


def test_prompt_shows_yellow_seconds_under_a_minute(variant, home, tmp_path) -> None:
    case = Case(profile="prod", expiration=_in(45))
    prompts = render(variant, [case], home, tmp_path)
    _assert_match(prompts, [expected(variant, case, left="[1-4]?[0-9]s", color=YELLOW)])


def test_prompt_shows_red_expired(variant, home, tmp_path) -> None:
    cases = [Case(profile="prod", expiration="1"), Case(profile="prod", expiration=_in(-30))]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(prompts, [expected(variant, c, left="expired", color=RED) for c in cases])


def test_prompt_has_no_colour_when_no_color_is_set(variant, home, tmp_path) -> None:
    cases = [
        Case(profile="prod", expiration=_in(630), no_color="1"),
        Case(profile="prod", expiration="1", no_color="1"),
        # NO_COLOR only counts when non-empty (no-color.org)
        Case(profile="prod", no_color=""),
    ]
    prompts = render(variant, cases, home, tmp_path)
    assert "\x1b" not in prompts[0] + prompts[1]
    _assert_match(
        prompts,
        [
            expected(variant, cases[0], left="(10|9)m"),
            expected(variant, cases[1], left="expired"),
            expected(variant, Case(profile="prod")),
        ],
    )


def test_prompt_shows_hostile_profile_names_as_sanitized_text(variant, home, tmp_path) -> None:
    cases = [Case(profile=name, expiration=_in(3930)) for name in HOSTILE]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(prompts, [expected(variant, c, left="1h0[45]m") for c in cases])


@pytest.mark.parametrize(
    "expiration",
    [
        "a[$(touch CANARY)]",
        "$(touch CANARY)",
        "x[`touch CANARY`]",
        "1e3",
        "0x10",
        " 123",
        "123\n",
        "-5",
        "",
        "\u0661\u0662\u0663",
        "9" * 30,
    ],
    ids=repr,
)
def test_prompt_ignores_non_numeric_expiration_safely(variant, home, tmp_path, expiration) -> None:
    case = Case(profile="dev", expiration=expiration)
    _assert_match(render(variant, [case], home, tmp_path), [expected(variant, case)])


def test_prompt_reads_expiration_with_leading_zero_as_decimal(variant, home, tmp_path) -> None:
    # `08...` is an error in shell arithmetic, and `0...` octal, unless read as base 10.
    case = Case(profile="dev", expiration="0" + _in(3930))
    prompts = render(variant, [case], home, tmp_path)
    _assert_match(prompts, [expected(variant, case, left="1h0[45]m")])


def test_prompt_preserves_exit_status_for_the_user_prompt(variant, home, tmp_path) -> None:
    cases = [
        Case(profile="dev", status=7),
        Case(status=3),
        Case(profile="dev", expiration="1", status=0),
        Case(profile="dev", status=1),
    ]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(
        prompts,
        [
            expected(variant, cases[0]),
            expected(variant, cases[1]),
            expected(variant, cases[2], left="expired", color=RED),
            expected(variant, cases[3]),
        ],
    )


def test_bash_segment_escapes_are_marked_zero_width_for_readline(home, tmp_path) -> None:
    raw = Variant("bash-raw", "bash", "set -u\n", "PS1='> '\n", BASH_RENDER)
    prompts = render(raw, [Case(profile="dev", expiration=_in(630))], home, tmp_path)
    assert re.fullmatch(r"\x01\x1b\[33m\x02aws:dev (10|9)m\x01\x1b\[0m\x02 > ", prompts[0]), prompts


# The user's prompt: kept, re-wrapped when replaced after init, untouched with --no-prompt.

REPLACE_PROMPT = {
    "bash": "PS1='new> '\n",
    "zsh": "PROMPT='new> '\n",
    "fish": "function fish_prompt; printf 'new> '; end\n",
}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_prompt_wraps_a_prompt_set_after_init(shell, home, tmp_path) -> None:
    # GIVEN init ran, WHEN the user (or a theme) replaces the prompt afterwards,
    # THEN the next render puts the segment in front of the new prompt, once.
    variant = VARIANTS[shell]
    changed = Variant(
        shell,
        shell,
        variant.prelude,
        variant.user_prompt_setup,
        variant.render,
        user_prompt="new> ",
        strip=variant.strip,
        after_init=REPLACE_PROMPT[shell],
    )
    cases = [Case(profile="dev"), Case(profile="dev"), Case()]
    prompts = render(changed, cases, home, tmp_path)
    _assert_match(prompts, [expected(changed, c) for c in cases])


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_prompt_segment_is_added_once_over_many_renders(shell, home, tmp_path) -> None:
    variant = VARIANTS[shell]
    cases = [Case(profile="dev")] * 5 + [Case()]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(prompts, [expected(variant, c) for c in cases])


def test_bash_prompt_hook_keeps_existing_prompt_command_entries(home, tmp_path) -> None:
    script = (
        "set -u\nPS1='> '\nPROMPT_COMMAND='first_hook;'\n"
        'source "${T_INIT}"\nsource "${T_INIT}"\n'
        "printf '%s\\0' \"${PROMPT_COMMAND}\"\n"
        "unset PROMPT_COMMAND\nPROMPT_COMMAND=(a b)\n"
        'source "${T_INIT}"\nsource "${T_INIT}"\n'
        "printf '%s\\0' \"${PROMPT_COMMAND[@]}\"\n"
    )
    env = minimal_env(home, T_INIT=str(_init("bash", home, tmp_path)))
    result = SHELLS["bash"].run(script, env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(b"\0")[:-1] == [
        b"first_hook;\n__awsenv_prompt_hook",
        b"a",
        b"b",
        b"__awsenv_prompt_hook",
    ]


NO_PROMPT_CHECK = {
    "bash": (
        "PS1='user> '\nsource \"${T_INIT}\"\n"
        'printf \'%s\\0\' "${PS1}" "${PROMPT_COMMAND-<unset>}"\n'
        "awsenv_defined=$(type -t awsenv); printf '%s\\0' \"${awsenv_defined}\"\n"
    ),
    "zsh": (
        "PROMPT='user> '\nsource \"${T_INIT}\"\n"
        'printf \'%s\\0\' "${PROMPT}" "${precmd_functions[*]-<unset>}"\n'
        "printf '%s\\0' \"${+functions[awsenv]}\"\n"
    ),
    "fish": (
        "function fish_prompt; printf 'user> '; end\n"
        "set -l before (functions fish_prompt)\nsource $T_INIT\n"
        "set -l after (functions fish_prompt)\n"
        "printf '%s\\0' (string join \\n -- $after | string collect) "
        '(test "$before" = "$after"; and echo same; or echo changed)\n'
        "functions -q awsenv; and printf '%s\\0' 1\n"
    ),
}
NO_PROMPT_EXPECTED = {
    "bash": [b"user> ", b"<unset>", b"function"],
    "zsh": [b"user> ", b"<unset>", b"1"],
}
# With --no-prompt alone, one hook that only renews (tests/shells/test_auto_refresh.py).
RENEWAL_HOOK = {"bash": b"__awsenv_auto_hook", "zsh": b"__awsenv_auto_precmd"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize(
    "flags",
    [("--no-prompt", "--no-auto-refresh"), ("--no-prompt",)],
    ids=["no-hooks", "renewal-only"],
)
def test_init_no_prompt_leaves_the_prompt_untouched(shell, flags, home, tmp_path) -> None:
    env = minimal_env(home, T_INIT=str(_init(shell, home, tmp_path, *flags)))
    result = SHELLS[shell].run(NO_PROMPT_CHECK[shell], env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    shown = result.stdout.split(b"\0")[:-1]
    if shell == "fish":
        assert shown[1:] == [b"same", b"1"]
        assert b"awsenv" not in shown[0]
    elif "--no-auto-refresh" in flags:
        assert shown == NO_PROMPT_EXPECTED[shell]
    else:
        # the prompt text as the user set it; the hook list holds the renewal hook alone
        expected = list(NO_PROMPT_EXPECTED[shell])
        expected[1] = RENEWAL_HOOK[shell]
        assert shown == expected


# --- two clocks: a session that renews silently counts, not the short credential -------------

YELLOW_MARK = "\u21bb"  # the mark: exports expired, `awsenv refresh` renews them silently


def test_renewable_session_time_replaces_the_credential_time(variant, home, tmp_path) -> None:
    cases = [
        # short credentials, long session: the session's time, green
        Case(profile="sso", expiration=_in(1800), renewable=_in(7260)),
        # credentials expired, session alive: the mark and the session's time, never "expired"
        Case(profile="sso", expiration=_in(-60), renewable=_in(7260)),
        # a session ends within 15 minutes: yellow, as a browser sign-in comes soon
        Case(profile="sso", expiration=_in(-60), renewable=_in(630)),
    ]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(
        prompts,
        [
            expected(variant, cases[0], left="2h0[01]m"),
            expected(variant, cases[1], left=YELLOW_MARK + " 2h0[01]m", color=YELLOW),
            expected(variant, cases[2], left=YELLOW_MARK + " (10|9)m", color=YELLOW),
        ],
    )


def test_always_renewable_shows_no_clock_and_marks_expired_keys(variant, home, tmp_path) -> None:
    cases = [
        Case(profile="role", expiration=_in(1800), renewable="always"),
        Case(profile="role", expiration=_in(-5), renewable="always"),
    ]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(
        prompts,
        [expected(variant, cases[0]), expected(variant, cases[1], left=YELLOW_MARK, color=YELLOW)],
    )


def test_a_session_of_unknown_end_counts_the_exports_then_shows_the_mark(
    variant, home, tmp_path
) -> None:
    # `session`: an Identity Center session renews the exports, and its end is not known, so
    # the prompt counts to the exports' own end, then shows the mark with no time.
    cases = [
        Case(profile="sso", expiration=_in(28800), renewable="session"),
        Case(profile="sso", expiration=_in(-60), renewable="session"),
        Case(profile="sso", renewable="session"),
        # not the word exactly: as if absent
        Case(profile="sso", expiration=_in(-60), renewable="SESSION"),
        Case(profile="sso", expiration=_in(-60), renewable="session\n"),
    ]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(
        prompts,
        [
            expected(variant, cases[0], left="(8h00m|7h59m)"),
            expected(variant, cases[1], left=YELLOW_MARK, color=YELLOW),
            expected(variant, cases[2]),
            expected(variant, cases[3], left="expired", color=RED),
            expected(variant, cases[4], left="expired", color=RED),
        ],
    )


def test_an_ended_session_falls_back_to_the_credential_clock(variant, home, tmp_path) -> None:
    cases = [
        Case(profile="sso", expiration=_in(-60), renewable=_in(-1)),
        Case(profile="sso", expiration=_in(1800), renewable="1"),
    ]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(
        prompts,
        [
            expected(variant, cases[0], left="expired", color=RED),
            expected(variant, cases[1], left="(30|29)m"),
        ],
    )


def test_days_are_shown_for_long_sessions(variant, home, tmp_path) -> None:
    case = Case(profile="sso", expiration=_in(3600), renewable=_in(89 * 86400 + 3 * 3600 + 30))
    prompts = render(variant, [case], home, tmp_path)
    _assert_match(prompts, [expected(variant, case, left="89d0[23]h")])


def test_hostile_renewable_values_never_run_and_count_as_absent(variant, home, tmp_path) -> None:
    hostile = ["a[$(touch CANARY)]", "$(touch CANARY)", "`touch CANARY`", "(touch CANARY)", "1e9"]
    hostile += ["9" * 19, "-5", " 5", "ALWAYS", "always\n"]
    cases = [Case(profile="p", expiration=_in(3930), renewable=value) for value in hostile]
    prompts = render(variant, cases, home, tmp_path)  # render() asserts no CANARY file
    _assert_match(prompts, [expected(variant, c, left="1h0[45]m") for c in cases])


def test_line_and_paragraph_separators_are_shown_as_question_marks(variant, home, tmp_path):
    # U+2028/U+2029 move the cursor in some terminals; every shell shows them as `?`
    cases = [Case(profile="a\u2028b\u2029c", expiration=_in(3930))]
    prompts = render(variant, cases, home, tmp_path)
    _assert_match(prompts, [expected(variant, cases[0], left="1h0[45]m")])
    assert "a?b?c" in prompts[0]
