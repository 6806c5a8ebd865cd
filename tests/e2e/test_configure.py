"""``awsenv configure sso`` / ``sso-session`` end to end, against the Identity Center stand-in.

Driven two ways: by flags alone with no terminal (a new session, ``start_new_session``), and
through a pseudo-terminal in real bash, answering each question as a person would. What it
wrote is then used by separate clients: boto3, the AWS CLI, and ``awsenv use`` in bash, zsh
and fish.
"""

from __future__ import annotations

import subprocess

import pytest

from awsenv import shells
from tests.helpers import PYTHON, cli_whoami, sdk_whoami, use_in_each_shell
from tests.terminal import run_expect

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


def test_without_a_terminal_the_missing_answers_are_one_usage_error_naming_every_flag(fresh):
    result = configure(fresh, "sso", "--region", "eu-west-1")
    assert result.returncode == 2
    assert result.stdout == ""
    [line, *_] = [x for x in result.stderr.splitlines() if "missing" in x]
    assert line.split(": ")[-1].split() == [
        "--start-url",
        "--sso-region",
        "--account",
        "--role",
        "--yes",
    ]
    assert not (fresh.home / ".aws" / "config").exists()
    assert fresh.idc.authorizations == 0  # refused before any sign-in


def test_a_start_url_that_is_not_https_is_a_usage_error(fresh):
    result = configure(
        fresh, "sso", "--start-url", "http://corp.awsapps.com/start", "--sso-region", "us-east-1",
        "--account", "111111111111", "--role", "Admin", "--yes",
    )  # fmt: skip
    assert result.returncode == 2
    assert "is not an https URL" in result.stderr
    assert not (fresh.home / ".aws" / "config").exists()


def test_the_same_answers_again_change_no_byte_and_a_new_role_adds_only_its_profile(fresh):
    first = configure(fresh, "sso", *FLAGS, "--role", "Admin", "--yes")
    assert first.returncode == 0, first.stderr
    path = fresh.home / ".aws" / "config"
    before = path.read_bytes()
    stat_before = path.stat()
    again = configure(fresh, "sso", *FLAGS, "--role", "Admin", "--yes")
    assert again.returncode == 0, again.stderr
    assert path.read_bytes() == before
    assert path.stat().st_ino == stat_before.st_ino  # not even rewritten
    assert "nothing to write" in again.stderr
    assert fresh.idc.authorizations == 1  # the cached sign-in was reused

    other = configure(fresh, "sso", *FLAGS, "--role", "ReadOnly", "--yes")
    assert other.returncode == 0, other.stderr
    after = path.read_bytes()
    assert after.startswith(before)
    added = after[len(before) :].decode()
    assert "[profile development-readonly]\n" in added
    assert "sso_role_name = ReadOnly\n" in added
    assert "[sso-session" not in added  # the session is reused, not duplicated
    assert added.count("[") == 1


def test_a_new_role_for_a_named_profile_changes_only_that_line(fresh):
    first = configure(fresh, "sso", *FLAGS, "--role", "Admin", "--profile", "dev", "--yes")
    assert first.returncode == 0, first.stderr
    path = fresh.home / ".aws" / "config"
    before = path.read_text()
    second = configure(fresh, "sso", *FLAGS, "--role", "ReadOnly", "--profile", "dev", "--yes")
    assert second.returncode == 0, second.stderr
    assert path.read_text() == before.replace(
        "sso_role_name = Admin\n", "sso_role_name = ReadOnly\n"
    )
    assert "-sso_role_name = Admin" in second.stderr  # the diff was shown
    assert "+sso_role_name = ReadOnly" in second.stderr


def test_the_session_of_the_same_start_url_is_reused_and_the_profile_updated_in_place(world):
    # SSO_CONFIG: [sso-session corp] for URL and [profile dev] for 111111111111/Admin
    path = world.home / ".aws" / "config"
    path.write_text(
        path.read_text().replace("region = eu-west-1\n", "region = eu-west-1\n# mine\n")
    )
    before = path.read_text()
    result = configure(world, "sso", *FLAGS, "--role", "Admin", "--yes")
    assert result.returncode == 0, result.stderr
    # dev reaches this account and role already: it keeps its name and region, gains output
    assert path.read_text() == before.replace(
        "region = eu-west-1\n# mine\n", "region = eu-west-1\noutput = json\n# mine\n", 1
    )
    assert "using [sso-session corp]" in result.stderr
    assert "awsenv use dev" in result.stderr.splitlines()[-1]


def test_a_session_name_taken_by_another_start_url_is_refused(world):
    result = configure(
        world, "sso", "--sso-session", "corp", "--start-url", "https://other.awsapps.com/start",
        "--sso-region", "us-east-1", "--account", "111111111111", "--role", "Admin", "--yes",
    )  # fmt: skip
    assert result.returncode == 2
    assert "[sso-session corp] already has start URL" in result.stderr


def test_configure_sso_session_writes_only_the_session(fresh):
    args = ["sso-session", "--start-url", "https://corp.awsapps.com/start"]
    result = configure(fresh, *args, "--sso-region", "eu-west-1", "--yes")
    assert result.returncode == 0, result.stderr
    text = config_text(fresh)
    assert text.endswith(
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
    )
    assert "[profile" not in text
    assert fresh.idc.authorizations == 0  # no sign-in
    again = configure(fresh, *args, "--sso-region", "eu-west-1", "--yes")
    assert again.returncode == 0, again.stderr
    assert config_text(fresh) == text
    missing = configure(fresh, "sso-session")
    assert missing.returncode == 2
    assert "--start-url --sso-region --yes" in missing.stderr


def test_what_it_wrote_works_with_awsenv_use_in_bash_zsh_and_fish(fresh, tmp_path):
    result = configure(fresh, "sso", *FLAGS, "--role", "ReadOnly", "--yes")
    assert result.returncode == 0, result.stderr
    shown = use_in_each_shell(
        fresh.env, "development-readonly", tmp_path, variables=("AWS_PROFILE", "AWS_REGION")
    )
    for dialect, (profile, region, arn) in shown.items():
        assert (profile, region) == ("development-readonly", "us-east-1"), dialect
        assert arn.startswith("arn:aws:sts::111111111111:assumed-role/ReadOnly/"), dialect


def test_the_wizard_at_a_terminal_in_bash_asks_signs_in_picks_and_writes(fresh, tmp_path):
    python = shells.quote("bash", PYTHON)
    script = tmp_path / "wizard.bash"
    script.write_text(
        f'eval "$({python} -I -m awsenv init bash)"\n'
        "awsenv configure sso\n"
        "printf 'RC=%s\\n' $?\n"
        "awsenv use production-admin\n"
        'printf \'PROFILE=%s REGION=%s\\n\' "$AWS_PROFILE" "$AWS_REGION"\n'
    )
    steps = [
        (b"SSO start URL", f"{URL}\r".encode()),
        (b"SSO session name [d-1234567890]", b"\r"),
        (b"SSO region", b"us-east-\t"),  # Tab offers the regions; Enter takes what is typed
        (b"us-east-2", b"\r"),
        (b"not a region name", b""),  # asked again
        (b"SSO region", b"us-east-1\r"),
        (b"[sso:account:access]", b"\r"),
        (b"Esc: leave", b"prod\r"),  # the account picker: type part of the name
        (b"[us-east-1]", b"mx-c\t"),  # one region starts so: Tab completes it
        (b"mx-central-1", b"\r"),
        (b"[json]", b"\r"),
        (b"Profile name [production-admin]", b"\r"),
        (b"(y/n)", b"y\r"),
        (b"every other account and role", b"y\r"),
        (b"+[profile development-readonly]", b""),  # the second diff, then its question
        (b"(y/n)", b"y\r"),
        (b"PROFILE=", b""),
    ]
    env = {**fresh.env, "TERM": "xterm", "NO_COLOR": "1"}
    run = run_expect(["bash", "--noprofile", "--norc", str(script)], env, steps, cwd=tmp_path)
    screen = run.screen.replace("\r\n", "\n")
    assert run.code == 0, screen[-3000:]
    assert "RC=0" in screen
    assert "PROFILE=production-admin REGION=mx-central-1" in screen
    assert "role: Admin (the only one)" in screen
    assert "+[profile production-admin]" in screen  # the diff, before it was written
    assert "awsenv use production-admin" in screen
    text = config_text(fresh)
    assert (
        "[profile production-admin]\nsso_session = d-1234567890\nsso_account_id = 222222222222\n"
        "sso_role_name = Admin\nregion = mx-central-1\noutput = json\n"
    ) in text
    # and the offer added every other account role as sso sync does
    for name in ("development-admin", "development-readonly"):
        assert f"[profile {name}]\n" in text
    assert text.count("[profile ") == 3
    assert fresh.idc.authorizations == 1


def test_device_code_and_an_account_named_by_name(fresh):
    result = configure(
        fresh, "sso", "--start-url", URL, "--sso-region", "us-east-1", "--account", "production",
        "--role", "Admin", "--profile", "prod", "--output", "table", "--device-code", "--yes",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert fresh.idc.calls.get("StartDeviceAuthorization") == 1
    assert "/device" in fresh.browser_urls()[0]
    text = config_text(fresh)
    assert "[profile prod]\n" in text
    assert "sso_account_id = 222222222222\n" in text
    assert "region = us-east-1\noutput = table\n" in text  # the region defaults to the SSO one
    unknown = configure(fresh, "sso", *FLAGS[:4], "--account", "999", "--role", "Admin", "--yes")
    assert unknown.returncode == 2
    assert "--account '999': no such account" in unknown.stderr


def test_esc_at_the_account_picker_writes_nothing_and_exits_130(fresh, tmp_path):
    steps = [
        (b"Esc: leave", b"\x1b"),
    ]
    run = run_expect(
        [PYTHON, "-I", "-m", "awsenv", "configure", "sso", "--start-url", URL, "--sso-region",
         "us-east-1", "--scopes", "sso:account:access", "--sso-session", "corp"],
        {**fresh.env, "TERM": "xterm", "NO_COLOR": "1"},
        steps,
        cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 130, run.screen[-2000:]
    assert not (fresh.home / ".aws" / "config").exists()
