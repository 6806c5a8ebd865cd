"""``awsenv use`` with no profile, at a terminal, in real bash, zsh and fish: the picker.

The picker draws on and reads from the terminal while the shell function captures stdout, so a
profile picked by typing part of its name ends up exported in the calling shell; Esc changes
nothing and the function returns 130.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from awsenv import shells
from tests.helpers import PYTHON, minimal_env, require_tool, run_awsenv, write_config
from tests.terminal import run_pty

pytestmark = pytest.mark.shells

DIALECTS = ["bash", "zsh", "fish"]
CONFIG = """\
    [profile dev]
    aws_access_key_id = AKIADEVEXAMPLE000001
    aws_secret_access_key = dev-secret
    region = eu-west-1

    [profile ops-prod]
    aws_access_key_id = AKIAOPSEXAMPLE000002
    aws_secret_access_key = ops-secret
    region = us-east-2

    [profile staging]
    role_arn = arn:aws:iam::222222222222:role/Deployer
    source_profile = dev
    """
STATUS = {"bash": "$?", "zsh": "$?", "fish": "$status"}
PROMPT = b"Esc: leave"


def script_for(dialect: str, tmp_path: Path, *, before: str = "", after: str = "") -> Path:
    """Load awsenv, maybe use a profile, run the picker, print its status and AWS_PROFILE."""
    python = shells.quote(dialect, PYTHON)
    if dialect == "fish":
        load = f"{python} -I -m awsenv init fish | source\n"
    else:
        load = f'eval "$({python} -I -m awsenv init {dialect})"\n'
    show = "import os; print('PROFILE=' + os.environ.get('AWS_PROFILE', '<unset>'))"
    script = tmp_path / f"picker.{dialect}"
    script.write_text(
        load
        + before
        + "awsenv use\n"
        + after
        + f"printf 'RC=%s\\n' {STATUS[dialect]}\n"
        + f"{python} -I -c {shells.quote(dialect, show)}\n",
        encoding="utf-8",
    )
    return script


def run_picker(
    dialect: str, home: Path, tmp_path: Path, keys: bytes, *, before: str = "", after: str = ""
) -> tuple[str, str, str]:
    require_tool(dialect)
    write_config(home, CONFIG)
    env = minimal_env(home, TERM="xterm", NO_COLOR="1")
    flags = {"bash": ["--noprofile", "--norc"], "zsh": ["-f"], "fish": ["--no-config"]}
    script = script_for(dialect, tmp_path, before=before, after=after)
    run = run_pty(
        [dialect, *flags[dialect], str(script)],
        env,
        answers=[keys],
        trigger=PROMPT,
        cwd=tmp_path,
    )
    screen = run.screen.replace("\r\n", "\n")
    assert run.code == 0, screen[-2000:]
    rc = re.findall(r"RC=(\d+)\n", screen)
    profile = re.findall(r"^PROFILE=(\S+)", screen, re.MULTILINE)
    assert len(rc) == 1, screen[-2000:]
    assert len(profile) == 1, screen[-2000:]
    return rc[0], profile[0], screen


@pytest.mark.parametrize("dialect", DIALECTS)
def test_typing_part_of_a_name_and_enter_uses_that_profile(dialect, home, tmp_path):
    rc, profile, screen = run_picker(dialect, home, tmp_path, b"prod\r")
    assert (rc, profile) == ("0", "ops-prod"), screen[-2000:]
    # every row says what the profile is, from the files alone
    assert "222222222222" in screen
    assert "Deployer" in screen


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_fuzzy_match_picks_the_profile(dialect, home, tmp_path):
    rc, profile, screen = run_picker(dialect, home, tmp_path, b"opsrd\r")
    assert (rc, profile) == ("0", "ops-prod"), screen[-2000:]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_escape_leaves_the_shell_unchanged_with_status_130(dialect, home, tmp_path):
    rc, profile, screen = run_picker(dialect, home, tmp_path, b"ops\x1b", before="awsenv use dev\n")
    assert (rc, profile) == ("130", "dev"), screen[-2000:]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_ctrl_c_leaves_the_shell_unchanged_with_status_130(dialect, home, tmp_path):
    rc, profile, screen = run_picker(dialect, home, tmp_path, b"\x03")
    assert (rc, profile) == ("130", "<unset>"), screen[-2000:]


def test_without_a_terminal_use_with_no_profile_is_a_usage_error(home):
    write_config(home, CONFIG)
    result = run_awsenv(["use"], minimal_env(home, AWSENV_SHELL="bash"), input_="")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "required: profile" in result.stderr


@pytest.mark.parametrize("dialect", DIALECTS)
def test_use_dash_after_the_picker_goes_back_at_the_terminal(dialect, home, tmp_path):
    # `use -` at a terminal: back to the profile used before the one picked
    rc, profile, screen = run_picker(
        dialect, home, tmp_path, b"prod\r", before="awsenv use dev\n", after="awsenv use -\n"
    )
    assert (rc, profile) == ("0", "dev"), screen[-2000:]
