"""SAML and Okta through `awsenv use` and `credential-process`, in real shells, on loopback.

Okta: the Okta stand-in (device authorization, token exchange, the SAML form) and moto's STS.
moto accepts single-role assertions only and files SAML roles under account 123456789012, so
the multi-role cases use the local STS fake from test_saml_core (FakeSts).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from awsenv import shells
from tests.e2e.test_saml_core import (
    CANARY,
    DEV,
    MULTI,
    PROD,
    FakeSts,
    provider_arn,
    role_arn,
    saml_response,
)
from tests.helpers import PYTHON, SHELLS, minimal_env, sdk_whoami, sdk_whoami_code, write_config
from tests.standin.okta import OktaStandIn

pytestmark = pytest.mark.e2e

OKTA_ROLE = role_arn("123456789012", "OktaAdmin")
OKTA_PROVIDER = provider_arn("123456789012")


def load_init(dialect: str) -> str:
    py = shells.quote(dialect, PYTHON)
    if dialect == "fish":
        return f"{py} -I -m awsenv init fish | source\n"
    return f'eval "$({py} -I -m awsenv init {dialect})"\n'


def browser(home) -> str:
    path = home / "browser"
    path.write_text(
        f"#!{PYTHON}\nimport sys, urllib.request\nurllib.request.urlopen(sys.argv[1]).read()\n"
    )
    path.chmod(0o755)
    return f"{path} %s"


def awsenv(args, env, *, input_=None):
    """Run the core with no controlling terminal (no picker, no prompt)."""
    return subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", *args],
        env=env,
        input=input_,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        start_new_session=True,
        stdin=None if input_ is not None else subprocess.DEVNULL,
    )


@pytest.fixture
def okta(moto_sts):
    standin = OktaStandIn(roles=[(OKTA_ROLE, OKTA_PROVIDER)]).start()
    yield standin
    standin.stop()


@pytest.fixture
def okta_env(home, okta, moto_sts):
    keys = "".join(f"{k} = {v}\n" for k, v in okta.profile().items())
    process = f"{PYTHON} -I -m awsenv credential-process okta-prod"
    write_config(
        home,
        f"[profile okta-prod]\n{keys}region = us-east-1\n\n"
        f"[profile okta-sdk]\n{keys}credential_process = {PYTHON} -I -m awsenv "
        "credential-process okta-sdk\nregion = us-east-1\n\n"
        f"[profile via-process]\ncredential_process = {process}\nregion = us-east-1\n",
    )
    return minimal_env(
        home, AWS_ENDPOINT_URL_STS=moto_sts, BROWSER=browser(home), AWSENV_SHELL="bash"
    )


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_okta_profile_signs_in_and_the_aws_cli_names_the_saml_role(
    okta, okta_env, dialect, tmp_path
):
    spec = SHELLS[dialect]
    aws = os.path.join(os.path.dirname(PYTHON), "aws")
    script = (
        load_init(dialect)
        + "awsenv use okta-prod\n"
        + spec.print_var("AWS_PROFILE")
        + "\n"
        + spec.print_var("AWSENV_PROFILE")
        + "\n"
        + f"{shells.quote(dialect, aws)} sts get-caller-identity --query Arn --output text\n"
    )
    env = {k: v for k, v in okta_env.items() if k != "AWSENV_SHELL"}
    result = spec.run(script, {**env, "AWS_DEFAULT_REGION": "us-east-1"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    profile, awsenv_profile, arn = result.stdout.decode().split("\0")
    assert (profile, awsenv_profile) == ("<unset>", "okta-prod")
    assert arn.strip().startswith("arn:aws:sts::123456789012:assumed-role/OktaAdmin/")
    assert okta.authorizations == 1


def test_the_second_use_needs_no_new_device_authorization(okta, okta_env):
    first = awsenv(["use", "okta-prod"], okta_env)
    second = awsenv(["use", "okta-prod"], okta_env)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert okta.authorizations == 1
    assert okta.calls.get("DeviceAuthorize") == 1
    assert "export AWS_ACCESS_KEY_ID=" in second.stdout


def test_credential_process_output_is_accepted_by_botocore(okta, okta_env):
    printed = awsenv(["credential-process", "okta-prod"], okta_env)
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["Version"] == 1
    assert document["Expiration"].endswith("Z")
    result = sdk_whoami(okta_env, "via-process")
    assert result.returncode == 0, result.stderr
    assert "assumed-role/OktaAdmin" in result.stdout


def test_a_credential_process_line_in_the_okta_profile_itself_exports_aws_profile(okta, okta_env):
    result = awsenv(["use", "okta-sdk"], okta_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "export AWS_PROFILE=okta-sdk" in lines
    assert not any(line.startswith("export AWS_ACCESS_KEY_ID") for line in lines)
    # every SDK now gets the keys through `awsenv credential-process okta-sdk`, no new sign-in
    sdk = sdk_whoami(okta_env, "okta-sdk")
    assert sdk.returncode == 0, sdk.stderr
    assert "assumed-role/OktaAdmin" in sdk.stdout
    assert okta.authorizations == 1


def test_concurrent_sdk_calls_through_credential_process_share_one_okta_sign_in(okta, okta_env):
    code = sdk_whoami_code("via-process")
    procs = [
        subprocess.Popen(
            [PYTHON, "-c", code],
            env=okta_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [o[1][-300:] for o in outputs]
    assert okta.authorizations == 1


@pytest.fixture
def saml_env(home):
    sts = FakeSts()
    assertion = home / "response.b64"
    assertion.write_text(saml_response(MULTI))
    single = home / "single.b64"
    single.write_text(saml_response([f"{DEV},{provider_arn('111111111111')}"]))
    write_config(
        home,
        f"[profile corp]\nsaml_assertion_file = {assertion}\nregion = us-east-1\n\n"
        f"[profile corp-prod]\nsaml_assertion_file = {assertion}\nsaml_role_arn = {PROD}\n\n"
        f"[profile corp-single]\nsaml_assertion_file = {single}\n\n"
        f"[profile corp-bad]\nsaml_assertion_file = {assertion}\nrole_arn = {PROD}\n",
    )
    yield minimal_env(home, AWS_ENDPOINT_URL_STS=sts.endpoint, AWSENV_SHELL="bash")
    sts.stop()


def test_a_saml_file_profile_with_one_role_takes_it(saml_env):
    result = awsenv(["use", "corp-single"], saml_env)
    assert result.returncode == 0, result.stderr
    assert "export AWS_ACCESS_KEY_ID=" in result.stdout
    assert "export AWSENV_PROFILE=corp-single" in result.stdout.splitlines()


def test_a_preset_role_skips_the_picker(saml_env):
    for args in (["use", "corp-prod"], ["use", "corp", "--role", PROD]):
        result = awsenv(args, saml_env)
        assert result.returncode == 0, result.stderr
        assert "export AWS_CREDENTIAL_EXPIRATION=" in result.stdout


def test_the_assertion_can_come_on_stdin(saml_env, home):
    text = (home / "single.b64").read_text()
    result = awsenv(["use", "corp", "--saml-assertion", "-", "--role", DEV], saml_env, input_=text)
    assert result.returncode == 0, result.stderr


def assert_failed_cleanly(result, *needles):
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert CANARY not in result.stderr
    for needle in needles:
        assert needle in result.stderr


def test_several_roles_and_no_terminal_point_at_role(saml_env):
    assert_failed_cleanly(awsenv(["use", "corp"], saml_env), "--role")


def test_a_preset_role_the_assertion_does_not_offer(saml_env):
    missing = role_arn("999999999999", "Nope")
    assert_failed_cleanly(awsenv(["use", "corp", "--role", missing], saml_env), "999999999999")


def test_role_arn_in_a_saml_profile_names_the_key_to_use(saml_env):
    assert_failed_cleanly(awsenv(["use", "corp-bad"], saml_env), "saml_role_arn")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("%%% not base64 %%%", "base64"),
        ("PHhtbD4gbm90IGNsb3NlZA==", "XML"),  # "<xml> not closed"
        (None, "Role"),
    ],
)
def test_bad_assertions_are_one_clear_line(saml_env, home, text, needle):
    if text is None:
        import base64

        text = base64.b64encode(
            b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'
        ).decode()
    (home / "bad.b64").write_text(text)
    result = awsenv(["use", "corp", "--saml-assertion", str(home / "bad.b64")], saml_env)
    assert_failed_cleanly(result, needle)
    assert len([line for line in result.stderr.splitlines() if not line.startswith("  ")]) == 1


def test_okta_denying_the_device(okta, okta_env):
    okta.deny = True
    assert_failed_cleanly(awsenv(["use", "okta-prod"], okta_env), "denied")


def test_okta_org_unreachable(okta_env, home):
    config = (home / ".aws" / "config").read_text()
    import re

    (home / ".aws" / "config").write_text(
        re.sub(r"okta_org_url = \S+", "okta_org_url = http://127.0.0.1:9", config)
    )
    assert_failed_cleanly(awsenv(["use", "okta-prod"], okta_env), "127.0.0.1:9")


def test_no_token_or_assertion_reaches_stderr(okta, okta_env):
    outputs = [awsenv(["use", "okta-prod"], okta_env).stderr]
    outputs.append(awsenv(["credential-process", "okta-prod"], okta_env).stderr)
    leaked = [c for c in okta.canaries() if any(c in text for text in outputs)]
    assert leaked == []


def test_write_credentials_lets_tools_that_read_only_the_credentials_file_work(
    okta, okta_env, home
):
    credentials = home / ".aws" / "credentials"
    credentials.write_text(
        "# mine\n[default]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n"
    )
    result = awsenv(["use", "okta-prod", "--write-credentials"], okta_env)
    assert result.returncode == 0, result.stderr
    text = credentials.read_text()
    assert text.startswith("# mine\n[default]\naws_access_key_id = AKIAMINE\n")
    assert "[okta-prod]\naws_access_key_id = ASIA" in text
    assert (home / ".aws" / "credentials.awsenv-backup").exists()
    assert "wrote [okta-prod]" in result.stderr
    sdk = sdk_whoami(okta_env, "okta-prod", method=True)
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.splitlines()[0] == "shared-credentials-file"
    assert "assumed-role/OktaAdmin" in sdk.stdout


def test_an_expired_device_code(okta, okta_env):
    okta.device_expires_in = 2
    env = {**okta_env, "BROWSER": ""}
    assert_failed_cleanly(awsenv(["use", "okta-prod", "--no-browser"], env), "expired")


def test_the_role_picker_works_on_a_terminal_and_keeps_stdout_clean(saml_env):
    from tests.e2e.test_roles_use import run_in_pty

    status, stdout, screen = run_in_pty(
        [PYTHON, "-I", "-m", "awsenv", "use", "corp"], saml_env, "7", trigger=b"Role number"
    )
    assert status == 0, screen
    assert "222222222222" in screen  # the accounts and roles are listed on the terminal
    lines = stdout.splitlines()
    assert all(line.startswith(("export ", "unset ")) for line in lines), stdout
    assert any(line.startswith("export AWS_ACCESS_KEY_ID=") for line in lines)
    assert "Role number" not in stdout
