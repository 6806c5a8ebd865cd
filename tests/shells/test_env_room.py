"""A value or a plan too large for the environment is refused, and the shell keeps working.

Every external command a shell runs gets its whole environment through execve, so one variable
longer than the kernel takes (Linux: MAX_ARG_STRLEN, 32 pages, ``NAME=value`` and its NUL) or an
environment past ARG_MAX makes every later command fail with "Argument list too long", the
``awsenv`` core (and so ``awsenv unset``) included. Run through the real wrapper in bash, zsh and
fish: the refusal is one line, stdout empty, nothing exported, and the shell still runs programs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from awsenv import exports, shells
from tests.helpers import PYTHON, SHELLS, minimal_env, write_config

pytestmark = pytest.mark.shells

if not sys.platform.startswith("linux"):
    pytest.skip("MAX_ARG_STRLEN and these sizes are Linux's", allow_module_level=True)

LIMIT = 32 * os.sysconf("SC_PAGE_SIZE")
# the longest AWS_SESSION_TOKEN one environment string holds: NAME=, the value, the NUL
LONGEST = LIMIT - len("AWS_SESSION_TOKEN=") - 1
STATUS = {"bash": "$?", "zsh": "$?", "fish": "$status"}


def load_init(dialect: str) -> str:
    if dialect == "fish":
        return f"{shells.quote('fish', PYTHON)} -I -m awsenv init fish --no-prompt | source\n"
    return f'eval "$({shells.quote(dialect, PYTHON)} -I -m awsenv init {dialect} --no-prompt)"\n'


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    config = write_config(
        home,
        "[profile ok]\nregion = eu-west-1\naws_access_key_id = AKIAOK\naws_secret_access_key = s\n"
        f"[profile big]\naws_access_key_id = AKIABIG\naws_secret_access_key = s\n"
        f"aws_session_token = {'t' * 200 * 1024}\n"
        f"[profile edge]\naws_access_key_id = AKIAEDGE\naws_secret_access_key = s\n"
        f"aws_session_token = {'e' * LONGEST}\n"
        f"[profile past]\naws_access_key_id = AKIAPAST\naws_secret_access_key = s\n"
        f"aws_session_token = {'p' * (LONGEST + 1)}\n",
    )
    past = time.time() - 60
    os.utime(config, (past, past))
    return minimal_env(home)


def script(dialect: str, *lines: str) -> str:
    """Run each awsenv line, then print its status and whether an external program still runs."""
    status = STATUS[dialect]
    out = [load_init(dialect)]
    for line in lines:
        out.append(f"{line}\nprintf '%s\\0' {status}\n")
        out.append("/usr/bin/env true && printf 'ran\\0' || printf 'broken\\0'\n")
        out.append(SHELLS[dialect].print_var("AWSENV_PROFILE") + "\n")
    return "".join(out)


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_a_value_too_long_for_the_environment_is_refused_and_the_shell_still_runs_programs(
    env, dialect, tmp_path
):
    spec = SHELLS[dialect]
    result = spec.run(
        script(dialect, "awsenv use ok", "awsenv use --keys big", "awsenv unset"),
        env,
        cwd=tmp_path,
    )
    fields = result.stdout.decode().split("\0")[:-1]
    assert fields == ["0", "ran", "ok", "1", "ran", "ok", "0", "ran", "<unset>"], result.stderr
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "AWS_SESSION_TOKEN" in lines[0]
    assert "'big'" in lines[0]


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_the_longest_value_is_exported_and_usable_and_one_byte_more_is_refused(
    env, dialect, tmp_path
):
    spec = SHELLS[dialect]
    result = spec.run(
        script(dialect, "awsenv use --keys edge", "awsenv use --keys past", "awsenv unset"),
        env,
        cwd=tmp_path,
    )
    fields = result.stdout.decode().split("\0")[:-1]
    assert fields == ["0", "ran", "edge", "1", "ran", "edge", "0", "ran", "<unset>"], result.stderr
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "AWS_SESSION_TOKEN" in lines[0]
    assert "'past'" in lines[0]


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_a_shell_with_a_large_baseline_can_use_and_unset(env, dialect, tmp_path):
    # AWSENV_SAVED holds the values before the first use, hex-encoded: 60 KiB of a token the
    # user exported become 120 KiB there, still one environment string; unset gives them back
    token = "u" * 60 * 1024
    env = {**env, "AWS_SESSION_TOKEN": token, "AWS_ACCESS_KEY_ID": "AKIAUSER"}
    spec = SHELLS[dialect]
    body = script(dialect, "awsenv use ok", "awsenv unset") + spec.print_var("AWS_SESSION_TOKEN")
    result = spec.run(body, env, cwd=tmp_path)
    fields = result.stdout.decode().split("\0")[:-1]
    assert fields == ["0", "ran", "ok", "0", "ran", "<unset>", token], result.stderr
    assert result.stderr == b""
    assert exports.string_limit() == LIMIT


def test_write_credentials_writes_nothing_when_the_export_is_refused(env, home):
    """--write-credentials used to write the file before the size check refused the export:
    the shell was unchanged but ~/.aws/credentials held a section the user never got."""
    from tests.helpers import run_awsenv

    credentials = home / ".aws" / "credentials"
    credentials.write_text("[other]\naws_access_key_id = AKIAOTHER\n", encoding="utf-8")
    before = credentials.read_bytes()
    result = run_awsenv(["use", "past", "--write-credentials"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 1
    assert result.stdout == ""
    assert "AWS_SESSION_TOKEN" in result.stderr
    assert credentials.read_bytes() == before
    assert sorted(p.name for p in credentials.parent.iterdir()) == ["config", "credentials"]
