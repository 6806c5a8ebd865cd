"""``awsenv configure okta`` end to end: the Okta stand-in (device sign-in, SAML form), moto STS.

The profile it writes is then used as a user would next: ``awsenv use`` in bash, zsh and fish
(from the sign-in configure made, no second one), boto3 and the AWS CLI through its
credential_process.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from awsenv import shells
from tests.e2e.test_saml_core import provider_arn, role_arn
from tests.helpers import PYTHON, cli_whoami, minimal_env, use_in_each_shell
from tests.standin.okta import OktaStandIn
from tests.terminal import run_expect

pytestmark = pytest.mark.e2e

ADMIN = role_arn("123456789012", "OktaAdmin")
READER = role_arn("123456789012", "OktaReader")
PROVIDER = provider_arn("123456789012")


def browser(home) -> str:
    path = home / "browser"
    path.write_text(
        f"#!{PYTHON}\nimport sys, urllib.request\nurllib.request.urlopen(sys.argv[1]).read()\n"
    )
    path.chmod(0o755)
    return f"{path} %s"


@pytest.fixture
def okta(moto_sts):
    standin = OktaStandIn(roles=[(ADMIN, PROVIDER), (READER, PROVIDER)]).start()
    yield standin
    standin.stop()


@pytest.fixture
def okta_one(moto_sts):
    """One role only: moto's AssumeRoleWithSAML reads single-role assertions only."""
    standin = OktaStandIn(roles=[(ADMIN, PROVIDER)]).start()
    yield standin
    standin.stop()


@pytest.fixture
def env(home, moto_sts):
    env = minimal_env(home, AWS_ENDPOINT_URL_STS=moto_sts, BROWSER=browser(home))
    # the profile's credential_process runs `awsenv` from PATH, as after pipx install
    env["PATH"] = f"{os.path.dirname(PYTHON)}{os.pathsep}{env['PATH']}"
    return env


def flags(okta) -> list[str]:
    return [
        "--org-url", okta.base_url, "--oidc-client-id", okta.client_id,
        "--aws-acct-fed-app-id", okta.app_id,
    ]  # fmt: skip


def configure(env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", "configure", "okta", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        start_new_session=True,
    )


def test_flags_alone_write_the_okta_keys_and_use_signs_in_no_more(
    okta_one, env, home, tmp_path, aws_cli
):
    okta = okta_one
    result = configure(env, *flags(okta), "--aws-iam-role", ADMIN, "--yes")
    assert result.returncode == 0, result.stderr
    assert "no awsenv is on PATH" not in result.stderr
    text = (home / ".aws" / "config").read_text()
    assert (
        "[profile okta-123456789012-oktaadmin]\n"
        f"okta_org_url = {okta.base_url}\nokta_oidc_client_id = {okta.client_id}\n"
        f"okta_aws_acct_fed_app_id = {okta.app_id}\nsaml_role_arn = {ADMIN}\n"
        f"saml_principal_arn = {PROVIDER}\nregion = us-east-1\n"
        "credential_process = awsenv credential-process okta-123456789012-oktaadmin\n"
    ) in text
    assert "role_arn = " not in text.replace("saml_role_arn = ", "")  # never botocore's key
    again = configure(env, *flags(okta), "--aws-iam-role", ADMIN, "--yes")
    assert again.returncode == 0, again.stderr
    assert (home / ".aws" / "config").read_text() == text  # the same answers: no change
    shown = use_in_each_shell(env, "okta-123456789012-oktaadmin", tmp_path)
    for dialect, (arn,) in shown.items():
        assert arn.startswith("arn:aws:sts::123456789012:assumed-role/OktaAdmin/"), dialect
    assert okta.authorizations == 1  # configure's sign-in served use too
    # the AWS CLI, a separate client, gets the role through the profile's credential_process
    aws = cli_whoami(aws_cli, env, "okta-123456789012-oktaadmin", arn_only=True)
    assert aws.returncode == 0, aws.stderr
    assert aws.stdout.startswith("arn:aws:sts::123456789012:assumed-role/OktaAdmin/")
    assert okta.authorizations == 1


def test_all_roles_writes_one_profile_per_role(okta, env, home):
    result = configure(env, *flags(okta), "--all-roles", "--region", "eu-west-1", "--yes")
    assert result.returncode == 0, result.stderr
    text = (home / ".aws" / "config").read_text()
    assert "[profile okta-123456789012-oktaadmin]\n" in text
    assert "[profile okta-123456789012-oktareader]\n" in text
    assert text.count("region = eu-west-1\n") == 2


def test_without_a_terminal_the_missing_okta_flags_are_named(okta, env, home):
    result = configure(env, "--oidc-client-id", "x")
    assert result.returncode == 2
    assert "--org-domain --aws-acct-fed-app-id --aws-iam-role --yes" in result.stderr
    assert okta.authorizations == 0
    assert not (home / ".aws" / "config").exists()


def test_the_okta_wizard_at_a_terminal_picks_a_role(okta, env, home, tmp_path):
    python = shells.quote("bash", PYTHON)
    script = tmp_path / "okta.bash"
    script.write_text(
        f'eval "$({python} -I -m awsenv init bash)"\n'
        f"awsenv configure okta --org-url {okta.base_url}\n"
        "printf 'RC=%s\\n' $?\n"
    )
    steps = [
        (b"OIDC client id", f"{okta.client_id}\r".encode()),
        (b"Federation app id", f"{okta.app_id}\r".encode()),
        (b"Esc: leave", b"reader\r"),
        (b"[us-east-1]", b"eu-central-1\r"),
        (b"Profile name [okta-123456789012-oktareader]", b"okta-read\r"),
        (b"(y/n)", b"y\r"),
        (b"RC=", b""),
    ]
    run = run_expect(
        ["bash", "--noprofile", "--norc", str(script)],
        {**env, "TERM": "xterm", "NO_COLOR": "1"},
        steps,
        cwd=tmp_path,
    )
    screen = run.screen.replace("\r\n", "\n")
    assert "RC=0" in screen, screen[-3000:]
    text = (home / ".aws" / "config").read_text()
    assert f"[profile okta-read]\nokta_org_url = {okta.base_url}\n" in text
    assert f"saml_role_arn = {READER}\n" in text
    assert "region = eu-central-1\n" in text
    assert "awsenv use okta-read" in screen


def test_without_awsenv_on_path_configure_okta_says_the_sdks_cannot_run_it(okta_one, env, home):
    """The profile's credential_process starts `awsenv` by name: say so when PATH has none."""
    bare = {**env, "PATH": "/usr/bin:/bin"}
    result = configure(bare, *flags(okta_one), "--aws-iam-role", ADMIN, "--yes")
    assert result.returncode == 0, result.stderr
    assert "no awsenv is on PATH" in result.stderr
    assert (
        "credential_process = awsenv credential-process" in (home / ".aws" / "config").read_text()
    )
