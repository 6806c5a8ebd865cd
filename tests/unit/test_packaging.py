"""The built wheel carries the shell and completion scripts, and `init` finds them there."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.helpers import REPO

SCRIPTS = (
    "awsenv/shell/awsenv.bash",
    "awsenv/shell/awsenv.zsh",
    "awsenv/shell/awsenv.fish",
    "awsenv/shell/awsenv.ps1",
    "awsenv/completions/awsenv.bash",
    "awsenv/completions/_awsenv",
    "awsenv/completions/awsenv.fish",
    "awsenv/completions/awsenv.completion.ps1",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("awsenv-*.whl")
    return path


def test_wheel_contains_every_shell_and_completion_script(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [s for s in SCRIPTS if s not in names]
    assert not missing


def test_init_from_the_installed_wheel_loads_the_packaged_scripts(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import awsenv, awsenv.shells as s;"
        "assert awsenv.__file__.startswith(sys.argv[1]), awsenv.__file__;"
        "from awsenv.cli import main; sys.exit(main(['init', sys.argv[2]]))"
    )
    for shell in ("bash", "zsh", "fish", "powershell"):
        result = subprocess.run(
            [sys.executable, "-c", probe, str(target), shell],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "__AWSENV_CORE__" not in result.stdout
        assert "awsenv" in result.stdout
