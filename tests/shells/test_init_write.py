"""`awsenv init SHELL --write`: the integration as a file that the rc line sources.

Sourcing a file starts no Python at shell start (see docs/performance.md); the file must give
the same working `awsenv use` as the eval form, be private, and print only the line to add.
"""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from tests.helpers import PYTHON, minimal_env, require_tool, write_config

pytestmark = pytest.mark.shells

SHELL_ARGV = {
    "bash": ["bash", "--noprofile", "--norc", "-c"],
    "zsh": ["zsh", "-f", "-c"],
    "fish": ["fish", "--no-config", "-c"],
}


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_written_init_file_gives_a_working_awsenv_without_python_at_start(dialect, home):
    require_tool(dialect)
    write_config(
        home,
        "[profile static]\nregion = eu-west-1\n"
        "aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
    )
    data = home / "data"
    env = minimal_env(home, XDG_DATA_HOME=str(data))
    result = subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", "init", dialect, "--write"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    written = data / "awsenv" / f"init.{dialect}"
    # bash and zsh leave a plain path bare; fish always quotes
    assert result.stdout in (f"source {written}\n", f"source '{written}'\n")
    assert "put this line in" in result.stderr
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700
    script = result.stdout + "awsenv use static\nprintf '%s\\n' \"$AWS_PROFILE\"\n"
    shell = subprocess.run(
        [*SHELL_ARGV[dialect], script], env=env, capture_output=True, text=True, check=False
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines()[-1] == "static"


def test_the_source_line_quotes_an_odd_data_directory(home):
    odd = home / "it's $(touch CANARY) here"
    env = minimal_env(home, XDG_DATA_HOME=str(odd))
    result = subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", "init", "bash", "--write"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=home,
    )
    assert result.returncode == 0, result.stderr
    shell = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", result.stdout + "type -t awsenv"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=home,
    )
    assert shell.stdout.strip() == "function", shell.stderr
    assert not os.path.exists(home / "CANARY")
