"""``awsenv configure role`` end to end, against moto (STS and IAM) and the refusing STS.

The source profile holds the keys of an IAM user made in moto's IAM, with a virtual MFA device
enabled, so ListMFADevices has something to offer at the terminal. The wizard is driven by flags
alone with no terminal and through a pseudo-terminal in real bash; what it wrote is then used by
boto3, the AWS CLI and ``awsenv use`` in bash, zsh and fish.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from awsenv import shells
from tests.helpers import (
    PYTHON,
    cli_whoami,
    minimal_env,
    sdk_whoami,
    use_in_each_shell,
    write_config,
)
from tests.terminal import run_expect
from tests.worlds import arn, refusing_sts

pytestmark = pytest.mark.e2e

MOTO_ACCOUNT = "123456789012"  # moto's default account
ROLE = f"arn:aws:iam::{MOTO_ACCOUNT}:role/Deploy-Admin"
OTHER_ROLE = f"arn:aws:iam::{MOTO_ACCOUNT}:role/ReadOnly"
ASSUMED = f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/Deploy-Admin/"
BINDIR = os.path.dirname(PYTHON)


class RoleWorld:
    """A temporary HOME whose profile ``base`` holds an IAM user's keys (moto), with one MFA
    device, and a second profile ``spare`` so that the source picker has a choice."""

    def __init__(self, home: Path, moto: str) -> None:
        import boto3

        self.home = home
        iam = boto3.client(
            "iam",
            endpoint_url=moto,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # moto takes any key
        )
        self.user = "alice-" + uuid.uuid4().hex[:8]  # moto's IAM lives for the whole run
        iam.create_user(UserName=self.user)
        key = iam.create_access_key(UserName=self.user)["AccessKey"]
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=self.user)
        self.serial = device["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=self.user,
            SerialNumber=self.serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
        self.secret = key["SecretAccessKey"]
        write_config(
            home,
            "[profile base]\nregion = us-east-1\n\n[profile spare]\nregion = eu-west-2\n",
            credentials=(
                f"[base]\naws_access_key_id = {key['AccessKeyId']}\n"
                f"aws_secret_access_key = {self.secret}\n"
            ),
        )
        self.config = home / ".aws" / "config"
        self.env = minimal_env(
            home,
            AWS_ENDPOINT_URL_STS=moto,
            AWS_ENDPOINT_URL_IAM=moto,
            PATH=BINDIR + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        )

    def configure(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``awsenv configure role ...`` with no controlling terminal."""
        result = subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", "configure", "role", *args],
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            start_new_session=True,
        )
        assert self.secret not in result.stderr
        return result


@pytest.fixture
def world(home, moto_sts) -> RoleWorld:
    return RoleWorld(home, moto_sts)


@pytest.fixture(scope="module")
def fake_sts():
    yield from refusing_sts()


FLAGS = ["--source-profile", "base", "--role-arn", ROLE]


def test_flags_alone_write_the_profile_and_boto3_and_the_aws_cli_assume_it(world, aws_cli):
    result = world.configure(
        *FLAGS, "--external-id", "ext-123", "--role-session-name", "alice",
        "--duration-seconds", "1800", "--region", "eu-west-1", "--yes",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"checked: profile 'base' can assume {ROLE}" in result.stderr
    assert "awsenv use deploy-admin" in result.stderr.splitlines()[-1]
    assert world.config.read_text().endswith(
        f"[profile deploy-admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
        "external_id = ext-123\nrole_session_name = alice\nduration_seconds = 1800\n"
        "region = eu-west-1\n"
    )
    sdk = sdk_whoami(world.env, "deploy-admin")
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip() == ASSUMED + "alice"
    cli = cli_whoami(aws_cli, world.env, "deploy-admin", arn_only=True, new_session=True)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == ASSUMED + "alice"


def test_an_mfa_role_by_flags_is_checked_with_the_code_and_use_needs_no_second_one(world):
    result = world.configure(*FLAGS, "--mfa-serial", world.serial, "--mfa-code", "123456", "--yes")
    assert result.returncode == 0, result.stderr
    text = world.config.read_text()
    assert f"role_arn = {ROLE}\nsource_profile = base\nmfa_serial = {world.serial}\n" in text
    assert "region = us-east-1\n" in text  # the source's region by default
    # the check's session is cached where botocore looks for this profile: no code asked again
    use = subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", "use", "deploy-admin"],
        env={**world.env, "AWSENV_SHELL": "bash"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=True,
    )
    assert use.returncode == 0, use.stderr
    assert "AWS_ACCESS_KEY_ID" in use.stdout
    assert world.secret not in use.stderr


def test_missing_answers_without_a_terminal_are_one_usage_error_naming_them(world):
    before = world.config.read_bytes()
    result = world.configure("--region", "eu-west-1")
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = [x for x in result.stderr.splitlines() if "missing" in x]
    assert line.split(": ")[-1].split() == ["--source-profile", "--role-arn", "--yes"]
    mfa = world.configure(*FLAGS, "--mfa-serial", world.serial)
    assert mfa.returncode == 2
    assert "missing: --mfa-code --yes" in mfa.stderr
    assert world.config.read_bytes() == before


def test_bad_answers_by_flag_are_usage_errors_and_write_nothing(world):
    before = world.config.read_bytes()
    for extra, said in (
        (["--role-arn", "arn:aws:iam::123:user/bob"], "is not the ARN of an IAM role"),
        ([*FLAGS[2:], "--duration-seconds", "60"], "--duration-seconds '60' is not a number"),
        ([*FLAGS[2:], "--external-id", "x"], "--external-id must be 2 to 1224"),
        ([*FLAGS[2:], "--mfa-serial", "12"], "is not the ARN or serial number of an MFA device"),
    ):
        result = world.configure("--source-profile", "base", *extra, "--mfa-code", "1", "--yes")
        assert result.returncode == 2, (extra, result.stderr)
        assert said in result.stderr, extra
    unknown = world.configure("--source-profile", "nope", "--role-arn", ROLE, "--yes")
    assert unknown.returncode == 2
    assert "--source-profile 'nope': no such source profile" in unknown.stderr
    assert world.config.read_bytes() == before


def test_the_same_answers_again_change_no_byte_and_a_changed_answer_only_its_line(world):
    first = world.configure(*FLAGS, "--duration-seconds", "1800", "--yes")
    assert first.returncode == 0, first.stderr
    before = world.config.read_bytes()
    inode = world.config.stat().st_ino
    again = world.configure(*FLAGS, "--duration-seconds", "1800", "--yes")
    assert again.returncode == 0, again.stderr
    assert world.config.read_bytes() == before
    assert world.config.stat().st_ino == inode  # not even rewritten
    assert "nothing to write" in again.stderr

    longer = world.configure(*FLAGS, "--duration-seconds", "3600", "--yes")
    assert longer.returncode == 0, longer.stderr
    after = before.replace(b"duration_seconds = 1800\n", b"duration_seconds = 3600\n")
    assert world.config.read_bytes() == after
    assert "-duration_seconds = 1800" in longer.stderr  # the diff was shown
    assert "+duration_seconds = 3600" in longer.stderr

    other = world.configure(
        "--source-profile", "base", "--role-arn", OTHER_ROLE, "--profile", "deploy-admin",
        "--duration-seconds", "3600", "--yes",
    )  # fmt: skip
    assert other.returncode == 0, other.stderr
    assert world.config.read_bytes() == after.replace(ROLE.encode(), OTHER_ROLE.encode())


def test_a_role_sts_refuses_is_one_line_and_nothing_is_written_unless_force(world, fake_sts):
    env = {**world.env, "AWS_ENDPOINT_URL_STS": fake_sts}
    before = world.config.read_bytes()
    denied = arn("denied")
    refused = world.configure("--source-profile", "base", "--role-arn", denied, "--yes", env=env)
    assert refused.returncode == 1
    assert refused.stdout == ""
    [line] = [x for x in refused.stderr.splitlines() if x.startswith("awsenv")]
    assert f"cannot assume {denied} with the credentials of profile 'base'" in line
    assert "is not authorized to perform: sts:AssumeRole" in line  # STS's reason
    assert "nothing was written" in line
    assert world.config.read_bytes() == before
    assert "--force" in refused.stderr

    forced = world.configure(
        "--source-profile", "base", "--role-arn", denied, "--force", "--yes", env=env
    )
    assert forced.returncode == 0, forced.stderr
    assert "writing the profile anyway (--force)" in forced.stderr
    assert world.config.read_text().endswith(
        f"[profile denied]\nrole_arn = {denied}\nsource_profile = base\nregion = us-east-1\n"
    )


def test_what_it_wrote_works_with_awsenv_use_in_bash_zsh_and_fish(world, tmp_path):
    result = world.configure(*FLAGS, "--region", "eu-west-1", "--yes")
    assert result.returncode == 0, result.stderr
    shown = use_in_each_shell(
        world.env, "deploy-admin", tmp_path, variables=("AWSENV_PROFILE", "AWS_REGION")
    )
    for dialect, (profile, region, caller) in shown.items():
        assert (profile, region) == ("deploy-admin", "eu-west-1"), dialect
        assert caller.startswith(ASSUMED), dialect


def test_the_wizard_at_a_terminal_in_bash_picks_the_source_and_the_mfa_device(world, tmp_path):
    python = shells.quote("bash", PYTHON)
    script = tmp_path / "wizard.bash"
    script.write_text(
        f'eval "$({python} -I -m awsenv init bash)"\n'
        "awsenv configure role\n"
        "printf 'RC=%s\\n' $?\n"
        "awsenv use deploy-admin\n"  # the check's session is cached: no second MFA code
        'printf \'PROFILE=%s REGION=%s\\n\' "$AWSENV_PROFILE" "$AWS_REGION"\n'
        f"{python} -c \"import boto3; print('CALLER=' + "
        "boto3.client('sts').get_caller_identity()['Arn'])\"\n"
    )
    steps = [
        (b"Esc: leave", b"bas\r"),  # the source picker: base or spare
        (b"source profile: base", b""),
        (b"Role ARN", b"arn:aws:iam::123:role/x\r"),
        (b"is not the ARN of an IAM role", b""),  # asked again
        (b"Role ARN", ROLE.encode() + b"\r"),
        (b"Esc: leave", world.user.encode() + b"\r"),  # the caller's own MFA devices
        (b"External id", b"\r"),
        (b"Role session name", b"\r"),
        (b"Session duration", b"\r"),
        (b"Default region [us-east-1]", b"\r"),
        (b"Profile name [deploy-admin]", b"\r"),
        (b"MFA code for " + world.serial.encode(), b"123456\r"),
        (b"(y/n)", b"y\r"),
        (b"CALLER=", b""),
    ]
    env = {**world.env, "TERM": "xterm", "NO_COLOR": "1"}
    run = run_expect(["bash", "--noprofile", "--norc", str(script)], env, steps, cwd=tmp_path)
    screen = run.screen.replace("\r\n", "\n")
    assert run.code == 0, screen[-3000:]
    assert "RC=0" in screen
    assert f"MFA device: {world.serial}" in screen
    assert f"checked: profile 'base' can assume {ROLE}" in screen
    assert "+[profile deploy-admin]" in screen  # the diff, before it was written
    assert "PROFILE=deploy-admin REGION=us-east-1" in screen
    assert "CALLER=" + ASSUMED in screen
    assert screen.count("MFA code for") == 1
    assert world.config.read_text().endswith(
        f"[profile deploy-admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"mfa_serial = {world.serial}\nregion = us-east-1\n"
    )
    assert world.secret not in screen


def test_when_iam_cannot_list_devices_the_terminal_asks_for_an_arn_and_empty_is_none(
    world, tmp_path
):
    env = {**world.env, "TERM": "xterm", "NO_COLOR": "1"}
    del env["AWS_ENDPOINT_URL_IAM"]  # IAM is then the closed loopback port: nothing listed
    steps = [
        (b"MFA device ARN (empty: none)", b"\r"),
        (b"External id", b"ext-123\r"),
        (b"Role session name", b"\r"),
        (b"Session duration", b"90\r"),
        (b"is not a number of seconds from 900 to 43200", b""),  # asked again
        (b"Session duration", b"1800\r"),
        (b"Default region [us-east-1]", b"\r"),
        (b"Profile name [deploy-admin]", b"deploy\r"),
        (b"(y/n)", b"y\r"),
    ]
    run = run_expect(
        [PYTHON, "-I", "-m", "awsenv", "configure", "role", *FLAGS], env, steps, cwd=tmp_path
    )
    screen = run.screen.replace("\r\n", "\n")
    assert run.code == 0, screen[-3000:]
    assert "MFA code for" not in screen
    assert world.config.read_text().endswith(
        f"[profile deploy]\nrole_arn = {ROLE}\nsource_profile = base\nexternal_id = ext-123\n"
        "duration_seconds = 1800\nregion = us-east-1\n"
    )
