"""``awsenv configure sso`` / ``sso-session`` end to end, against the Identity Center stand-in.

Driven two ways: by flags alone with no terminal (a new session, ``start_new_session``), and
through a pseudo-terminal in real bash, answering each question as a person would. What it
wrote is then used by separate clients: boto3, the AWS CLI, and ``awsenv use`` in bash, zsh
and fish.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from awsenv import shells
from tests.helpers import PYTHON, SHELLS, cli_whoami, sdk_whoami, write_config
from tests.terminal import run_pty

pytestmark = pytest.mark.e2e

URL = "https://d-1234567890.awsapps.com/start"
FLAGS = ["--start-url", URL, "--sso-region", "us-east-1", "--account", "111111111111"]


def configure(world, *args: str, env=None) -> subprocess.CompletedProcess[str]:
    """Run ``awsenv configure ...`` with no controlling terminal (nothing can be asked)."""
    return subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", "configure", *args],
        env=env or world.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        start_new_session=True,
    )


@pytest.fixture
def fresh(world):
    """The SSO world with an empty config: a new user with only a start URL."""
    (world.home / ".aws" / "config").unlink()
    return world


def config_text(world) -> str:
    return (world.home / ".aws" / "config").read_text()


def test_flags_alone_write_what_the_aws_cli_writes_and_every_client_uses_it(fresh, aws_cli):
    result = configure(fresh, "sso", *FLAGS, "--role", "Admin", "--region", "eu-west-1", "--yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    text = config_text(fresh)
    assert "[sso-session d-1234567890]\n" in text
    assert f"sso_start_url = {URL}\nsso_region = us-east-1\n" in text
    assert "sso_registration_scopes = sso:account:access\n" in text
    assert (
        "[profile development-admin]\nsso_session = d-1234567890\nsso_account_id = 111111111111\n"
        "sso_role_name = Admin\nregion = eu-west-1\noutput = json\n"
    ) in text
    assert "awsenv use development-admin" in result.stderr.splitlines()[-1]
    sdk = sdk_whoami(fresh.env, "development-admin")
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.startswith("arn:aws:sts::111111111111:assumed-role/Admin/")
    cli = cli_whoami(aws_cli, fresh.env, "development-admin", arn_only=True)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip().startswith("arn:aws:sts::111111111111:assumed-role/Admin/")
