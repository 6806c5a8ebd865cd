"""The benchmark itself keeps working (its --quick mode); nothing here looks at a timing."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import PYTHON, REPO, require_tool

pytestmark = pytest.mark.slow


def test_quick_benchmark_runs_every_awsenv_case_and_prints_the_table():
    require_tool("zsh")
    result = subprocess.run(
        [PYTHON, str(REPO / "bench" / "compare.py"), "--quick", "--no-awsume"],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for label in (
        "python -I -c pass (floor)",
        "awsenv use static (bash wrapper)",
        "awsenv use sso (bash wrapper)",
        "awsenv use role (bash wrapper)",
        "awsenv complete",
        'init: eval "$(awsenv init bash)" adds',
        "init: source <rendered file> adds",
        "prompt hook per render, bash",
        "prompt hook per render, zsh",
        "peak RSS, awsenv use static (core)",
    ):
        assert label in result.stdout, label
    # each size's rows are there, and awsume's are marked as not measured
    assert result.stdout.count("(floor)") == 2
    assert "awsume static (. awsume)" in result.stdout
    assert " n/a" in result.stdout
