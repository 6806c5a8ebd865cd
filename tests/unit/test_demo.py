"""`awsenv demo` without a terminal runs its tour through the real bash wrapper."""

from __future__ import annotations

from tests.helpers import minimal_env, require_tool, run_awsenv


def test_demo_tour_switches_profiles_and_restores_the_shell(home):
    require_tool("bash")
    result = run_awsenv(["demo"], minimal_env(home))
    assert result.returncode == 0, result.stderr
    assert "AWS_PROFILE=demo-dev AWS_REGION=eu-west-1 AWSENV_PROFILE=demo-dev" in result.stdout
    assert "AWS_REGION=ap-south-1" in result.stdout
    assert "AWS_PROFILE=<unset> AWS_REGION=<unset>" in result.stdout
    assert "no terminal" in result.stderr
    # the demo works in its own HOME and leaves the user's untouched
    assert not (home / ".aws").exists()
