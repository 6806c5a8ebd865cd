"""Plans rendered by shells.render, eval'd by real bash, zsh and fish, read back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from awsenv import shells
from tests.helpers import HOSTILE, IN_CI, SHELLS, ShellSpec, minimal_env

pytestmark = pytest.mark.shells

SMART_QUOTES = ("\u2018", "\u2019", "\u201a", "\u201b")
DASHES = ("-n", "--", "--help", "-e", "-x", "-gx", "-E", "-", "-g", "--erase")
TRICKY = list(
    "'\"$()`;&|<>!*?[]{}~#%^=\\ \t\n\r\x1b\x7f\x01\x85\xa0-"
    + "".join(SMART_QUOTES)
    + "\u2028\ufeff\uf600\uf6ff\ufffe\uffffé\u0440\u0442中片🚒♞\U0010fffd"
)
CHARS = st.one_of(st.sampled_from(TRICKY), st.characters(codec="utf-8", exclude_characters="\x00"))
VALUE = st.one_of(
    st.text(alphabet=CHARS, max_size=24),
    st.sampled_from([*HOSTILE, *DASHES, *SMART_QUOTES]),
    st.builds(lambda dash, text: dash + text, st.sampled_from(DASHES), st.text(CHARS, max_size=8)),
)
BATCHES = st.lists(VALUE, min_size=1, max_size=20)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=IN_CI,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Variant:
    """One shell with the user options and locale a round trip runs under."""

    def __init__(self, shell: str, dialect: str, lang: str, prelude: str) -> None:
        self.spec: ShellSpec = SHELLS[shell]
        self.dialect = dialect
        self.lang = lang
        self.prelude = prelude
        self.id = f"{shell}-{lang}" + ("-" + prelude.split()[-1] if prelude else "")


VARIANTS = [
    Variant("bash", "bash", "C.UTF-8", "set -u"),
    Variant("bash", "bash", "C", "set -u"),
    Variant("zsh", "zsh", "C.UTF-8", ""),
    Variant("zsh", "zsh", "C.UTF-8", "setopt RC_QUOTES SH_WORD_SPLIT"),
    Variant("zsh", "zsh", "C", "setopt RC_QUOTES SH_WORD_SPLIT NO_UNSET"),
    Variant("fish", "fish", "C.UTF-8", ""),
    Variant("fish", "fish", "C", ""),
]

# The wrappers (shell/awsenv.*) capture the core's stdout inside the `awsenv` function and eval it
# from there (bash and zsh through a second function that guards SIGINT; fish by piping the
# captured lines to `source`). These do the same with the rendered plan read from a file.
_POSIX_APPLY = """\
__awsenv_eval() {
    \\builtin eval -- "$1"
}
__awsenv_apply() {
    \\builtin local __awsenv_out
    __awsenv_out="$(\\command cat -- "$1")" || \\builtin return
    __awsenv_eval "${__awsenv_out}"
}
"""
APPLY = {
    "bash": _POSIX_APPLY,
    "zsh": _POSIX_APPLY,
    "fish": """\
function __awsenv_apply
    set -l __awsenv_out (command cat -- $argv[1])
    or return
    string join \\n -- $__awsenv_out | source
end
""",
}


def run_plan(
    variant: Variant,
    plan: list[tuple[str, str | None]],
    workdir: Path,
    *,
    inherited: dict[str, str] | None = None,
) -> tuple[list[bytes], dict[bytes, bytes]]:
    """Eval the rendered plan in the shell; return each variable as printed and `env -0`."""
    (workdir / "plan.txt").write_text(shells.render(plan, variant.dialect), encoding="ascii")
    lines = [variant.prelude, APPLY[variant.spec.name], "__awsenv_apply plan.txt"]
    lines += [variant.spec.print_var(name) for name, _ in plan]
    lines.append("env -0")
    env = minimal_env(workdir / "home", LANG=variant.lang, **(inherited or {}))
    result = variant.spec.run("\n".join(lines) + "\n", env, cwd=workdir)
    assert result.stderr == b"", result.stderr.decode(errors="replace")
    assert result.returncode == 0
    assert not (workdir / "CANARY").exists(), "a value was executed as code"
    fields = result.stdout.split(b"\0")
    assert fields[-1] == b""
    printed, environ = fields[: len(plan)], fields[len(plan) : -1]
    exported = dict(entry.partition(b"=")[::2] for entry in environ)
    return printed, exported


def _check_round_trip(variant: Variant, values: list[str], workdir: Path) -> None:
    plan: list[tuple[str, str | None]] = [(f"AWSENV_T{i}", v) for i, v in enumerate(values)]
    printed, exported = run_plan(variant, plan, workdir)
    expected = [v.encode() for v in values]
    assert printed == expected
    assert [exported.get(name.encode()) for name, _ in plan] == expected


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
@given(values=BATCHES)
@example(values=list(HOSTILE))
@example(values=[*SMART_QUOTES, "".join(SMART_QUOTES), "'\u2019'", "\u2019'\u2019"])
@example(values=list(DASHES))
@example(values=["", " ", "\n", "\\", "'", "\\'", "$'x'", "\r\n", "\x1b", "\x7f"])
@example(values=["\x1bfa", "\x1b0", "é1", "\U0010fffd", "\uf600", "\ufffe", "\u2028", "\x85"])
@SETTINGS
def test_rendered_plan_reads_back_exactly_and_exported(
    variant: Variant, values: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    _check_round_trip(variant, values, tmp_path_factory.mktemp("roundtrip"))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_unset_removes_inherited_and_set_variables(variant: Variant, tmp_path: Path) -> None:
    # GIVEN AWSENV_T0 inherited from the environment and AWSENV_T1 set earlier in the same plan
    # WHEN the plan unsets both, and AWSENV_T2 that never existed
    plan: list[tuple[str, str | None]] = [
        ("AWSENV_T1", "set first"),
        ("AWSENV_T0", None),
        ("AWSENV_T1", None),
        ("AWSENV_T2", None),
        ("AWSENV_T3", "kept"),
    ]
    printed, exported = run_plan(
        variant, plan, tmp_path, inherited={"AWSENV_T0": "inherited", "AWSENV_T4": "other"}
    )
    # THEN they are gone from the shell and from the environment of child processes
    assert printed == [b"<unset>", b"<unset>", b"<unset>", b"<unset>", b"kept"]
    assert b"AWSENV_T0" not in exported
    assert b"AWSENV_T1" not in exported
    assert b"AWSENV_T2" not in exported
    assert exported[b"AWSENV_T3"] == b"kept"
    assert exported[b"AWSENV_T4"] == b"other"


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_values_starting_with_a_dash_need_no_double_dash(variant: Variant, tmp_path: Path) -> None:
    # `set -gx NAME -n` in fish and `export NAME=-n` in bash/zsh: option parsing stops at NAME.
    values = [*DASHES, "-n x", "-- -e"]
    code = shells.render([(f"AWSENV_T{i}", v) for i, v in enumerate(values)], variant.dialect)
    assert " -- " not in code
    _check_round_trip(variant, values, tmp_path)
