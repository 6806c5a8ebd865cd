"""`awsenv use`, `region` and `unset` through the real wrapper in bash, zsh and fish.

Profile names and values come from the hostile corpus: each must arrive in the shell (and in
its children's environment) byte for byte, nothing may execute, and `unset` must give the
shell back exactly as it was.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from awsenv import shells
from tests.helpers import HOSTILE, PYTHON, SHELLS, minimal_env, write_config

pytestmark = pytest.mark.shells

# A section header holds one line, so names with line breaks cannot be profile names.
NAMES = [name for name in HOSTILE if "\n" not in name and "\r" not in name]
REGION = "'\";$(touch CANARY)`touch CANARY`\\ é"
SHELL_OPTIONS = {
    "bash": "set -u\n",
    "zsh": "setopt RC_QUOTES SH_WORD_SPLIT NO_UNSET KSH_ARRAYS\n",
    "fish": "",
}
VARS = ("AWS_PROFILE", "AWSENV_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION")


def header(name: str) -> str:
    """Write a [profile NAME] header that botocore's shlex rule reads back as ``name``."""
    return '[profile "' + name.replace("\\", "\\\\").replace('"', '\\"') + '"]'


def config_text() -> str:
    parts = []
    for index, name in enumerate(NAMES):
        parts.append(
            f"{header(name)}\nregion = {REGION}{index}\n"
            f"aws_access_key_id = AKIA{index:016d}\naws_secret_access_key = s{index}\n"
        )
    return "\n".join(parts)


def load_init(dialect: str) -> str:
    if dialect == "fish":
        return f"{shells.quote('fish', PYTHON)} -I -m awsenv init fish | source\n"
    return f'eval "$({shells.quote(dialect, PYTHON)} -I -m awsenv init {dialect})"\n'


def print_env_child(dialect: str) -> str:
    """Print a child process's view of the variables (proves they were exported)."""
    code = (
        "import os, sys; sys.stdout.buffer.write(b''.join("
        f"os.environb.get(n, b'<unset>') + bytes(1) for n in {[v.encode() for v in VARS]!r}))"
    )
    return f"{shells.quote(dialect, PYTHON)} -I -c {shells.quote(dialect, code)}\n"


@pytest.fixture
def prepared(home: Path) -> tuple[Path, dict[str, str]]:
    config = write_config(home, config_text())
    past = time.time() - 60
    os.utime(config, (past, past))
    env = minimal_env(home, AWS_PROFILE="users-own", AWS_REGION="users-region")
    return home, env


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_use_exports_hostile_names_exactly_and_unset_restores_the_shell(
    prepared, dialect, tmp_path
):
    home, env = prepared
    spec = SHELLS[dialect]
    lines = [SHELL_OPTIONS[dialect], load_init(dialect)]
    for name in NAMES:
        lines.append(f"awsenv use -- {shells.quote(dialect, name)}\n")
        lines.extend(spec.print_var(v) + "\n" for v in VARS)
        lines.append(print_env_child(dialect))
    lines.append("awsenv unset\n")
    lines.extend(spec.print_var(v) + "\n" for v in VARS)
    lines.append(spec.print_var("AWSENV_SAVED") + "\n")
    result = spec.run("".join(lines), env, cwd=tmp_path, timeout=240)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stderr == b""
    values = result.stdout.decode("utf-8").split("\0")[:-1]
    per_name = 2 * len(VARS)
    for index, name in enumerate(NAMES):
        chunk = values[index * per_name : (index + 1) * per_name]
        expected = [name, name, f"{REGION}{index}", f"{REGION}{index}"]
        assert chunk[: len(VARS)] == expected, f"in the shell, for {name!r}"
        assert chunk[len(VARS) :] == expected, f"in a child process, for {name!r}"
    after = values[len(NAMES) * per_name :]
    assert after == ["users-own", "<unset>", "users-region", "<unset>", "<unset>"]
    assert not (tmp_path / "CANARY").exists()
    assert not (home / "CANARY").exists()


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_failed_use_leaves_the_shell_as_it_was(prepared, dialect, tmp_path):
    _, env = prepared
    spec = SHELLS[dialect]
    status = "$status" if dialect == "fish" else "$?"
    script = (
        SHELL_OPTIONS[dialect]
        + load_init(dialect)
        + f"awsenv use {shells.quote(dialect, NAMES[1])}\n"
        + "awsenv use no-such-profile\n"
        + f"printf '%s\\0' {status}\n"
        + "".join(spec.print_var(v) + "\n" for v in VARS)
    )
    result = spec.run(script, env, cwd=tmp_path)
    values = result.stdout.decode("utf-8").split("\0")[:-1]
    assert values[0] == "1"
    assert values[1:] == [NAMES[1], NAMES[1], f"{REGION}1", f"{REGION}1"]
    stderr = result.stderr.decode()
    assert "'no-such-profile'" in stderr
    assert len([line for line in stderr.splitlines() if not line.startswith("  ")]) == 1


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_region_changes_only_the_region(prepared, dialect, tmp_path):
    _, env = prepared
    spec = SHELLS[dialect]
    script = (
        load_init(dialect)
        + f"awsenv use {shells.quote(dialect, NAMES[2])}\n"
        + "awsenv region eu-north-1\n"
        + "".join(spec.print_var(v) + "\n" for v in VARS)
    )
    result = spec.run(script, env, cwd=tmp_path)
    values = result.stdout.decode("utf-8").split("\0")[:-1]
    assert values == [NAMES[2], NAMES[2], "eu-north-1", "eu-north-1"]


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_region_without_a_name_says_which_region_and_where_from(prepared, dialect, tmp_path):
    _, env = prepared
    env = {k: v for k, v in env.items() if k != "AWS_REGION"}
    spec = SHELLS[dialect]
    script = (
        load_init(dialect)
        + "awsenv region\n"  # AWS_PROFILE=users-own: no such profile, so no region anywhere
        + f"awsenv use {shells.quote(dialect, NAMES[2])}\n"
        + "awsenv region\n"
        + "awsenv region eu-north-1\n"
        + "awsenv region\n"
        + "".join(spec.print_var(v) + "\n" for v in VARS)
    )
    result = spec.run(script, env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    said = result.stderr.decode("utf-8", "replace").splitlines()
    assert said[0] == (
        "awsenv: no region (no AWS_REGION, AWS_DEFAULT_REGION or region in profile "
        "'users-own'); set one with 'awsenv region NAME'"
    )
    assert said[1].startswith("awsenv: region ")
    assert said[1].endswith("2, from AWS_REGION (set by awsenv)")
    assert said[2] == "awsenv: region eu-north-1, from AWS_REGION (set by awsenv)"
    assert len(said) == 3
    # showing changes nothing: the variables are those the last `region NAME` set
    values = result.stdout.decode("utf-8").split("\0")[:-1]
    assert values == [NAMES[2], NAMES[2], "eu-north-1", "eu-north-1"]


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_debug_before_the_command_still_changes_the_shell(prepared, dialect, tmp_path):
    # `awsenv --debug use prod` (the help lists --debug before the command) used to be refused
    _, env = prepared
    spec = SHELLS[dialect]
    script = (
        load_init(dialect)
        + f"awsenv --debug use {shells.quote(dialect, NAMES[2])}\n"
        + "".join(spec.print_var(v) + "\n" for v in VARS)
    )
    result = spec.run(script, env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    values = result.stdout.decode("utf-8").split("\0")[:-1]
    assert values == [NAMES[2], NAMES[2], f"{REGION}2", f"{REGION}2"]
    stderr = result.stderr.decode("utf-8", "replace")
    assert "debug" in stderr
    assert "s2" not in stderr.split()  # the profile's secret key is never logged


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_use_dash_goes_back_and_forth_with_mode_and_region(prepared, dialect, tmp_path):
    _, env = prepared
    spec = SHELLS[dialect]
    status = "$status" if dialect == "fish" else "$?"
    show = "".join(spec.print_var(v) + "\n" for v in (*VARS, "AWS_ACCESS_KEY_ID"))
    script = (
        load_init(dialect)
        + "awsenv use -\n"  # nothing to go back to yet
        + f"printf '%s\\0' {status}\n"
        + f"awsenv use {shells.quote(dialect, NAMES[1])}\n"
        + f"awsenv use {shells.quote(dialect, NAMES[2])} --keys --region eu-north-1\n"
        + "awsenv use -\n"
        + show
        + "awsenv use -\n"
        + show
        + "awsenv unset\n"
        + spec.print_var("AWSENV_PREVIOUS")
        + "\n"
    )
    result = spec.run(script, env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    values = result.stdout.decode("utf-8").split("\0")[:-1]
    assert values[0] == "2"
    assert "not used another profile" in result.stderr.decode()
    # back to NAMES[1]: AWS_PROFILE, its own region, no keys
    assert values[1:6] == [NAMES[1], NAMES[1], f"{REGION}1", f"{REGION}1", "<unset>"]
    # and forth to NAMES[2] as it was: keys, --region eu-north-1
    assert values[6:10] == ["<unset>", NAMES[2], "eu-north-1", "eu-north-1"]
    assert values[10] == "AKIA0000000000000002"
    assert values[11:] == ["<unset>"]  # unset forgets the previous profile too


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_use_without_the_shell_function_fails_and_says_how_to_set_it_up(
    prepared, dialect, tmp_path
):
    _, env = prepared
    spec = SHELLS[dialect]
    status = "$status" if dialect == "fish" else "$?"
    script = (
        f"{shells.quote(dialect, PYTHON)} -I -m awsenv use {shells.quote(dialect, NAMES[1])}\n"
        f"printf '%s\\0' {status}\n" + spec.print_var("AWS_PROFILE") + "\n"
    )
    result = spec.run(script, env, cwd=tmp_path)
    values = result.stdout.decode().split("\0")[:-1]
    assert values == ["1", "users-own"]
    assert f"awsenv init {dialect}" in result.stderr.decode()


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_init_without_a_shell_name_detects_the_parent_shell(prepared, dialect, tmp_path):
    _, env = prepared
    spec = SHELLS[dialect]
    py = shells.quote(dialect, PYTHON)
    script = f"{py} -I -m awsenv init > detected\n{py} -I -m awsenv init {dialect} > named\n"
    result = spec.run(script, env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "detected").read_text() == (tmp_path / "named").read_text()
