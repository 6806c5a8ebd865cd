"""`awsenv exec PROFILE` with no command: the user's shell, as the profile, on a real terminal.

A script in bash, zsh or fish (the parent, with awsenv's function loaded) uses a profile and
runs `awsenv exec dev`; what is typed on the pseudo-terminal goes to the shell that starts
(the only reader of the terminal meanwhile), which loads awsenv from its own rc file as a
user's would. The parent must come back unchanged, with the subshell's exit status.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from awsenv import shells
from tests.helpers import PYTHON, minimal_env, require_tool, write_config
from tests.terminal import run_pty

pytestmark = pytest.mark.shells

DIALECTS = ["bash", "zsh", "fish"]
CONFIG = """\
    [profile dev]
    aws_access_key_id = AKIADEVEXAMPLE000001
    aws_secret_access_key = dev-secret
    region = eu-west-1

    [profile ops]
    aws_access_key_id = AKIAOPSEXAMPLE000002
    aws_secret_access_key = ops-secret
    region = us-east-2
    """
PARENT_VARS = ("AWS_ACCESS_KEY_ID", "AWSENV_EXEC", "AWSENV_PROFILE", "AWS_PROFILE")
# Version variables no shell exports: whichever is set says which shell reads the line.
VERSION_VAR = {"bash": "BASH_VERSION", "zsh": "ZSH_VERSION", "fish": "FISH_VERSION"}
STATUS_VAR = {"bash": "$?", "zsh": "$?", "fish": "$status"}


def load_init(dialect: str) -> str:
    if dialect == "fish":
        return f"{shells.quote('fish', PYTHON)} -I -m awsenv init fish | source\n"
    return f'eval "$({shells.quote(dialect, PYTHON)} -I -m awsenv init {dialect})"\n'


def write_rc(home: Path, dialect: str) -> None:
    """The rc file the started shell reads: awsenv loaded, a prompt that forks nothing."""
    if dialect == "bash":
        (home / ".bashrc").write_text("PS1='child$ '\n" + load_init("bash"), encoding="utf-8")
    elif dialect == "zsh":
        (home / ".zshrc").write_text("PROMPT='child%% '\n" + load_init("zsh"), encoding="utf-8")
    else:
        config = home / ".config" / "fish"
        config.mkdir(parents=True, exist_ok=True)
        (config / "config.fish").write_text(
            "function fish_prompt; printf 'child> '; end\n" + load_init("fish"), encoding="utf-8"
        )


def parent_argv(dialect: str, script: Path) -> list[str]:
    flags = {"bash": ["--noprofile", "--norc"], "zsh": ["-f"], "fish": ["--no-config"]}
    return [dialect, *flags[dialect], str(script)]


def print_parent_state(dialect: str) -> str:
    """A child process prints the parent's exported state on one line."""
    code = (
        "import os; print('PARENT ' + ' '.join("
        f"n + '=' + os.environ.get(n, '<unset>') for n in {list(PARENT_VARS)!r}))"
    )
    return f"{shells.quote(dialect, PYTHON)} -I -c {shells.quote(dialect, code)}\n"


def run_exec(
    dialect: str, home: Path, tmp_path: Path, typed: list[str], *, shell_var: str | None = "own"
) -> str:
    """Run the parent script on a terminal; ``typed`` goes to the shell `awsenv exec` starts."""
    path = require_tool(dialect)
    write_config(home, CONFIG)
    write_rc(home, dialect)
    extra = {"TERM": "xterm", "NO_COLOR": "1"}
    if shell_var == "own":
        extra["SHELL"] = path
    elif shell_var is not None:
        extra["SHELL"] = shell_var
    env = minimal_env(home, **extra)
    script = tmp_path / f"parent.{dialect}"
    script.write_text(
        load_init(dialect)
        + "awsenv use ops\n"
        + "awsenv exec dev\n"
        + f"printf 'RC=%s\\n' {STATUS_VAR[dialect]}\n"
        + print_parent_state(dialect),
        encoding="utf-8",
    )
    run = run_pty(
        parent_argv(dialect, script),
        env,
        type_ahead="".join(line + "\n" for line in typed).encode(),
        cwd=tmp_path,
    )
    screen = run.screen.replace("\r\n", "\n")
    assert run.code == 0, screen[-2000:]
    return screen


def parent_line(screen: str) -> str:
    found = re.findall(r"^PARENT .*$", screen, re.MULTILINE)
    assert len(found) == 1, screen[-2000:]
    return found[0]


UNCHANGED = (
    "PARENT AWS_ACCESS_KEY_ID=<unset> AWSENV_EXEC=<unset> AWSENV_PROFILE=ops AWS_PROFILE=ops"
)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_exec_without_a_command_starts_the_users_shell_as_the_profile(
    dialect, home, tmp_path
) -> None:
    typed = [
        'printf \'K=%s X=%s P=%s\\n\' "$AWS_ACCESS_KEY_ID" "$AWSENV_EXEC" "$AWSENV_PROFILE"',
        "awsenv status",
        "awsenv status --json",
        "exit 3",
    ]
    screen = run_exec(dialect, home, tmp_path, typed)
    # the started shell holds the keys, the region and the mark
    assert "K=AKIADEVEXAMPLE000001 X=dev P=dev" in screen, screen[-2000:]
    # its prompt segment shows that it is an exec shell of the profile
    assert "aws:dev(exec)" in screen, screen[-2000:]
    # status says so, in text and JSON
    assert re.search(r"^exec +subshell of dev\b", screen, re.MULTILINE), screen[-2000:]
    assert '"exec": "dev"' in screen, screen[-2000:]
    # the parent gets the shell's exit status back, and is as it was
    assert "RC=3\n" in screen, screen[-2000:]
    assert parent_line(screen) == UNCHANGED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_nested_exec_says_what_it_does_and_starts_another_shell(dialect, home, tmp_path) -> None:
    typed = [
        "awsenv exec ops",
        'printf \'K2=%s X2=%s\\n\' "$AWS_ACCESS_KEY_ID" "$AWSENV_EXEC"',
        "exit 4",
        f"printf 'RC2=%s K1=%s X1=%s\\n' {STATUS_VAR[dialect]} \"$AWS_ACCESS_KEY_ID\" "
        '"$AWSENV_EXEC"',
        "exit",
    ]
    screen = run_exec(dialect, home, tmp_path, typed)
    assert "awsenv: already in an exec shell of dev; starting another for ops" in screen, screen[
        -2000:
    ]
    assert "K2=AKIAOPSEXAMPLE000002 X2=ops" in screen, screen[-2000:]
    assert "aws:ops(exec)" in screen, screen[-2000:]
    # back in the first exec shell: its own keys and mark
    assert "RC2=4 K1=AKIADEVEXAMPLE000001 X1=dev" in screen, screen[-2000:]
    assert "RC=0\n" in screen, screen[-2000:]
    assert parent_line(screen) == UNCHANGED


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("shell_var", ["missing", "not-executable", None])
def test_an_unusable_shell_variable_falls_back_to_the_shell_that_ran_awsenv(
    dialect, shell_var, home, tmp_path
) -> None:
    value = None
    if shell_var == "missing":
        value = str(tmp_path / "no-such-shell")
    elif shell_var == "not-executable":
        plain = tmp_path / "plain-file"
        plain.write_text("#!/bin/sh\n", encoding="utf-8")
        value = str(plain)
    typed = [f'printf \'D=%s X=%s\\n\' "${VERSION_VAR[dialect]}" "$AWSENV_EXEC"', "exit"]
    screen = run_exec(dialect, home, tmp_path, typed, shell_var=value)
    assert re.search(r"D=\d\S* X=dev$", screen, re.MULTILINE), screen[-2000:]
    assert "RC=0\n" in screen, screen[-2000:]
    assert parent_line(screen) == UNCHANGED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_use_and_unset_work_inside_an_exec_shell(dialect, home, tmp_path) -> None:
    show = 'printf \'{}=%s/%s/%s\\n\' "$AWS_PROFILE" "$AWS_ACCESS_KEY_ID" "$AWSENV_EXEC"'
    typed = [
        "awsenv use ops",
        show.format("U"),
        "awsenv unset",
        # back to what the shell that ran exec had before awsenv: no keys; still the subshell
        show.format("N"),
        "awsenv status",
        "exit",
    ]
    screen = run_exec(dialect, home, tmp_path, typed)
    assert "U=ops//dev\n" in screen, screen[-2000:]
    assert "N=//dev\n" in screen, screen[-2000:]
    assert "aws:ops(exec)" in screen, screen[-2000:]
    assert "no profile is active in this shell (awsenv use PROFILE)\nexec     subshell of dev" in (
        screen
    ), screen[-2000:]
    assert parent_line(screen) == UNCHANGED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_use_dash_in_an_exec_shell_goes_back_to_what_the_parent_used(
    dialect, home, tmp_path
) -> None:
    show = 'printf \'{}=%s/%s/%s\\n\' "$AWS_PROFILE" "$AWS_ACCESS_KEY_ID" "$AWSENV_EXEC"'
    screen = run_exec(dialect, home, tmp_path, ["awsenv use -", show.format("B"), "exit"])
    # the parent used ops (AWS_PROFILE) when it ran `awsenv exec dev`
    assert "B=ops//dev\n" in screen, screen[-2000:]
    assert parent_line(screen) == UNCHANGED
