"""`awsenv demo` without a terminal runs its tour through the real bash wrapper."""

from __future__ import annotations

from tests.helpers import minimal_env, require_tool, run_awsenv


def test_demo_tour_logs_in_switches_profiles_and_restores_the_shell(home):
    require_tool("bash")
    result = run_awsenv(["demo"], minimal_env(home))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "AWS_PROFILE=demo-dev AWS_REGION=eu-west-1" in out
    # a real PKCE login against the stand-in, then STS names the role of each profile
    assert "logged in to sso-session demo" in result.stdout + result.stderr
    assert "arn:aws:sts::111111111111:assumed-role/Developer/demo-user" in out
    assert "arn:aws:sts::222222222222:assumed-role/ReadOnly/demo-user" in out
    assert "valid 7h59m" in out or "valid 8h00m" in out
    assert "AWS_PROFILE=<unset> AWS_REGION=<unset>" in out
    assert "no terminal" in result.stderr
    # the demo works in its own HOME and leaves the user's untouched
    assert not (home / ".aws").exists()
