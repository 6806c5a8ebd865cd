"""Role credentials through botocore against moto's STS, sharing ~/.aws/cli/cache with the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from awsenv.errors import InvalidProfile, ProfileCycle, ProfileNotFound
from awsenv.providers import (
    CredentialProcessFailed,
    DurationRefused,
    EndpointUnreachable,
    MfaRequired,
    RoleDenied,
    WrongMfaCode,
    mfa,
    role,
    rolecache,
)
from awsenv.sso.tokens import cli_cache_dir
from tests.helpers import CLOSED_ENDPOINT, PYTHON, cli_whoami, minimal_env, write_config
from tests.terminal import run_pty
from tests.worlds import ACCOUNT, REFUSING_PROFILES, SERIAL, arn, refusing_sts

pytestmark = pytest.mark.e2e

CANARY = "CANARY-7f3a-SECRET"


CONFIG = """\
[profile base]
region = us-east-1

[profile r1]
role_arn = {r1}
source_profile = base

[profile r2]
role_arn = {r2}
source_profile = r1

[profile r3]
role_arn = {r3}
source_profile = r2

[profile ext]
role_arn = {ext}
source_profile = base
external_id = ext-123
role_session_name = alice
duration_seconds = 1800

[profile deploy]
role_arn = {deploy}
source_profile = base

[profile deploy-mfa]
role_arn = {deploy_mfa}
source_profile = base
mfa_serial = {serial}

[profile long-chain]
role_arn = {long}
source_profile = r1
duration_seconds = 7200

[profile long-direct]
role_arn = {long_direct}
source_profile = base
duration_seconds = 7200

[profile ci]
role_arn = {ci}
web_identity_token_file = {token}
role_session_name = ci

[profile from-env]
role_arn = {from_env}
credential_source = Environment

[profile proc]
credential_process = {python} {scripts}/good.py

[profile proc-bad-json]
credential_process = {python} {scripts}/bad_json.py

[profile proc-exit]
credential_process = {python} {scripts}/exit3.py

[profile proc-version]
credential_process = {python} {scripts}/version2.py

[profile proc-missing]
credential_process = {scripts}/no-such-program

[profile from-proc]
role_arn = {from_proc}
source_profile = proc

[profile loop-a]
role_arn = {r1}
source_profile = loop-b

[profile loop-b]
role_arn = {r2}
source_profile = loop-a

[profile orphan]
role_arn = {r1}
source_profile = nowhere
"""

CREDENTIALS = """\
[base]
aws_access_key_id = AKIABASEEXAMPLE00001
aws_secret_access_key = base-secret
"""

GOOD = """\
import json
print(json.dumps({"Version": 1, "AccessKeyId": "AKIAPROCESS0000001",
                  "SecretAccessKey": "proc-secret", "SessionToken": "proc-token",
                  "Expiration": "2099-01-01T00:00:00Z"}))
"""
BAD_JSON = f'print("this is not json {CANARY}")\n'
EXIT3 = f'import sys\nsys.stderr.write("{CANARY}\\n")\nprint("{CANARY}")\nsys.exit(3)\n'
VERSION2 = f"""\
import json
print(json.dumps({{"Version": 2, "AccessKeyId": "{CANARY}", "SecretAccessKey": "{CANARY}"}}))
"""


class World:
    def __init__(self, home: Path, sts: str) -> None:
        self.home = home
        scripts = home / "scripts"
        scripts.mkdir()
        for name, text in (
            ("good.py", GOOD),
            ("bad_json.py", BAD_JSON),
            ("exit3.py", EXIT3),
            ("version2.py", VERSION2),
        ):
            (scripts / name).write_text(text)
        self.token = home / "web-identity-token"
        self.token.write_text("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
        self.config = CONFIG.format(
            r1=arn("one"),
            r2=arn("two"),
            r3=arn("three"),
            ext=arn("ext"),
            deploy=arn("deploy"),
            deploy_mfa=arn("deploy-mfa"),
            long=arn("long"),
            long_direct=arn("long-direct"),
            ci=arn("ci"),
            from_env=arn("from-env"),
            from_proc=arn("from-proc"),
            serial=SERIAL,
            token=self.token,
            python=PYTHON,
            scripts=scripts,
        )
        write_config(home, self.config, credentials=CREDENTIALS)
        self.env = minimal_env(home, AWS_ENDPOINT_URL_STS=sts, AWS_DEFAULT_REGION="us-east-1")

    def section(self, profile: str) -> dict[str, str]:
        import configparser

        parser = configparser.RawConfigParser()
        parser.read_string(self.config)
        return dict(parser[f"profile {profile}"])

    def entry(self, profile: str) -> Path:
        key = rolecache.assume_role_cache_key(self.section(profile))
        return Path(cli_cache_dir(self.env)) / f"{key}.json"

    def whoami(self, keys) -> str:
        return role.caller_identity(keys, region="us-east-1", environ=self.env)["Arn"]


@pytest.fixture
def world(home, moto_sts) -> World:
    return World(home, moto_sts)


def assumed(name: str, session: str | None = None) -> str:
    prefix = f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/"
    return prefix + session if session else prefix


# --- chains -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "last"), [("r1", "one"), ("r2", "two"), ("r3", "three")])
def test_a_chain_of_any_depth_ends_as_its_last_role(world, profile, last):
    keys = role.obtain(world.env, profile)
    assert keys.session_token
    assert keys.expiration is not None
    assert world.whoami(keys).startswith(assumed(last))
    assert world.entry(profile).exists()


def test_every_hop_of_a_chain_is_cached_and_reused(world):
    role.obtain(world.env, "r3")
    for hop in ("r1", "r2", "r3"):
        assert rolecache.cached_role_credentials(world.env, world.section(hop)) is not None
    before = rolecache.cached_role_credentials(world.env, world.section("r3"))
    again = role.obtain(world.env, "r3")
    assert before is not None
    assert again.access_key_id == before.access_key_id  # moto mints new keys on every call


def test_environment_keys_do_not_replace_the_profiles(world):
    env = {**world.env, "AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY": "x"}
    keys = role.obtain(env, "base")
    assert keys.access_key_id == "AKIABASEEXAMPLE00001"
    assert keys.expiration is None
    assert role.obtain(env, "r1").access_key_id != "AKIAENVIRONMENT00001"


def test_credential_source_environment_signs_with_the_environment_keys(world):
    env = {**world.env, "AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY": "x"}
    keys = role.obtain(env, "from-env")
    assert world.whoami(keys).startswith(assumed("from-env"))


def test_the_process_environment_is_restored(world):
    before = dict(os.environ)
    role.obtain(world.env, "r1")
    assert dict(os.environ) == before


# --- options passed through -------------------------------------------------------------------


def test_external_id_session_name_and_duration_are_passed(world):
    start = time.time()
    keys = role.obtain(world.env, "ext")
    assert world.whoami(keys) == assumed("ext", "alice")
    assert keys.expiration is not None
    assert abs(keys.expiration - (start + 1800)) < 60
    # the file name is botocore's key over all three options
    entry = json.loads(world.entry("ext").read_text())
    assert entry["Credentials"]["AccessKeyId"] == keys.access_key_id
    assert entry["Credentials"]["Expiration"].endswith("UTC")
    assert entry["Credentials"]["AccountId"] == ACCOUNT
    assert entry["AssumedRoleUser"]["Arn"] == assumed("ext", "alice")


def test_a_duration_given_by_the_caller_replaces_the_profiles(world):
    start = time.time()
    keys = role.obtain(world.env, "deploy", duration=1200)
    assert keys.expiration is not None
    assert abs(keys.expiration - (start + 1200)) < 60
    section = {**world.section("deploy"), "duration_seconds": "1200"}
    assert rolecache.cached_role_credentials(world.env, section) is not None
    assert rolecache.cached_role_credentials(world.env, world.section("deploy")) is None


def test_a_chained_role_asks_for_one_hour_and_says_so(world):
    notes: list[str] = []
    start = time.time()
    keys = role.obtain(world.env, "long-chain", notify=notes.append)
    assert keys.expiration is not None
    assert abs(keys.expiration - (start + 3600)) < 60
    assert len(notes) == 1
    assert "long-chain" in notes[0]
    assert "3600" in notes[0]
    # stored under the profile's own key (7200), where the AWS CLI looks for it
    assert world.entry("long-chain").exists()


def test_a_direct_role_gets_the_duration_it_asks_for(world):
    notes: list[str] = []
    start = time.time()
    keys = role.obtain(world.env, "long-direct", notify=notes.append)
    assert keys.expiration is not None
    assert abs(keys.expiration - (start + 7200)) < 60
    assert notes == []


# --- MFA --------------------------------------------------------------------------------------


def test_mfa_by_code(world):
    keys = role.obtain(world.env, "deploy-mfa", mfa_code="123456")
    assert world.whoami(keys).startswith(assumed("deploy-mfa"))
    assert world.entry("deploy-mfa").exists()


def test_mfa_by_prompt_is_asked_once_per_session(world):
    asked: list[str] = []

    def prompt(serial: str) -> str:
        asked.append(serial)
        return "654321"

    first = role.obtain(world.env, "deploy-mfa", mfa_prompt=prompt)
    second = role.obtain(world.env, "deploy-mfa", mfa_prompt=prompt)
    assert asked == [SERIAL]
    assert first.access_key_id == second.access_key_id


def test_mfa_without_code_or_prompt_points_at_the_flag(world):
    with pytest.raises(MfaRequired) as caught:
        role.obtain(world.env, "deploy-mfa")
    assert SERIAL in caught.value.message
    assert "--mfa-code" in (caught.value.hint or "")
    assert not world.entry("deploy-mfa").exists()


def test_the_aws_cli_reuses_the_mfa_session_awsenv_cached(world, aws_cli):
    keys = role.obtain(world.env, "deploy-mfa", mfa_code="123456")
    before = world.entry("deploy-mfa").read_bytes()
    out = cli_whoami(aws_cli, world.env, "deploy-mfa")
    assert out.returncode == 0, out.stderr
    assert "MFA" not in out.stderr
    assert json.loads(out.stdout)["Arn"].startswith(assumed("deploy-mfa"))
    assert world.entry("deploy-mfa").read_bytes() == before  # no new AssumeRole
    assert keys.access_key_id in before.decode()


def test_awsenv_reuses_a_session_the_aws_cli_cached(world, aws_cli):
    out = cli_whoami(aws_cli, world.env, "deploy")
    assert out.returncode == 0, out.stderr
    cached = rolecache.cached_role_credentials(world.env, world.section("deploy"))
    assert cached is not None
    keys = role.obtain(world.env, "deploy")
    # moto mints new keys on every AssumeRole: the same keys mean no STS call was made
    assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == (
        cached.access_key_id,
        cached.secret_access_key,
        cached.session_token,
    )
    assert keys.expiration == cached.expiration


def test_a_torn_cache_entry_is_replaced_not_fatal(world):
    entry = world.entry("deploy")
    entry.parent.mkdir(parents=True)
    entry.write_text('{"Credentials": {"AccessKeyId": "A"')
    keys = role.obtain(world.env, "deploy")
    assert json.loads(entry.read_text())["Credentials"]["AccessKeyId"] == keys.access_key_id


# --- web identity and credential_process ------------------------------------------------------


def test_web_identity(world):
    keys = role.obtain(world.env, "ci")
    assert keys.session_token
    assert keys.expiration is not None
    assert world.entry("ci").exists()
    again = role.obtain(world.env, "ci")
    assert again.access_key_id == keys.access_key_id


def test_credential_process(world):
    keys = role.obtain(world.env, "proc")
    assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == (
        "AKIAPROCESS0000001",
        "proc-secret",
        "proc-token",
    )
    assert keys.expiration == 4070908800  # 2099-01-01T00:00:00Z


def test_a_role_sourced_from_credential_process(world):
    keys = role.obtain(world.env, "from-proc")
    assert world.whoami(keys).startswith(assumed("from-proc"))


@pytest.mark.parametrize(
    ("profile", "words"),
    [
        ("proc-bad-json", "did not print valid credentials"),
        ("proc-exit", "exited with status 3"),
        ("proc-version", "did not print valid credentials"),
        ("proc-missing", "could not be run"),
    ],
)
def test_credential_process_failures_never_echo_the_output(world, profile, words):
    with pytest.raises(CredentialProcessFailed) as caught:
        role.obtain(world.env, profile)
    text = f"{caught.value.message} {caught.value.hint}"
    assert words in caught.value.message
    assert profile in caught.value.message
    assert CANARY not in text
    assert "\n" not in caught.value.message


# --- configuration errors ---------------------------------------------------------------------


def test_config_errors_are_awsenv_errors(world):
    with pytest.raises(ProfileCycle):
        role.obtain(world.env, "loop-a")
    with pytest.raises(InvalidProfile, match="nowhere"):
        role.obtain(world.env, "orphan")
    with pytest.raises(ProfileNotFound):
        role.obtain(world.env, "no-such-profile")


def test_no_region_is_a_clear_error(world):
    env = {k: v for k, v in world.env.items() if k != "AWS_DEFAULT_REGION"}
    with pytest.raises(InvalidProfile, match="no region"):
        role.obtain(env, "r2")
    assert role.obtain(env, "r2", region="eu-west-1").session_token


def test_aws_region_counts_as_the_aws_cli_v2_reads_it(world):
    env = {k: v for k, v in world.env.items() if k != "AWS_DEFAULT_REGION"}
    assert role.obtain({**env, "AWS_REGION": "eu-west-1"}, "r1").session_token


def test_an_unreachable_sts_is_named(world):
    env = {**world.env, "AWS_ENDPOINT_URL_STS": CLOSED_ENDPOINT, "AWS_MAX_ATTEMPTS": "1"}
    with pytest.raises(EndpointUnreachable) as caught:
        role.obtain(env, "deploy")
    assert caught.value.message.startswith("cannot reach STS at http://127.0.0.1:9")


# --- STS refusals, from a small fake ----------------------------------------------------------


@pytest.fixture
def fake_sts():
    yield from refusing_sts()


@pytest.fixture
def refusing(home, fake_sts):
    base = "[profile base]\nregion = us-east-1\n"
    write_config(home, base + REFUSING_PROFILES, credentials=CREDENTIALS)
    return minimal_env(home, AWS_ENDPOINT_URL_STS=fake_sts, AWS_DEFAULT_REGION="us-east-1")


def test_access_denied_is_one_line_naming_role_and_profile(refusing):
    with pytest.raises(RoleDenied) as caught:
        role.obtain(refusing, "denied")
    message = caught.value.message
    assert message.startswith(f"role {arn('denied')} denied for profile 'denied': User: ")
    assert "\n" not in message


def test_a_duration_above_the_maximum_names_duration_seconds(refusing):
    with pytest.raises(DurationRefused) as caught:
        role.obtain(refusing, "too-long")
    assert "duration_seconds = 43200" in caught.value.message
    assert "MaxSessionDuration" in caught.value.message
    assert "duration_seconds" in (caught.value.hint or "")


def test_a_wrong_mfa_code_is_its_own_error(refusing):
    with pytest.raises(WrongMfaCode) as caught:
        role.obtain(refusing, "mfa", mfa_code="000000")
    assert SERIAL in caught.value.message
    assert "000000" not in caught.value.message


# --- the terminal prompt ----------------------------------------------------------------------


PROMPT_CHILD = textwrap.dedent(
    """\
    import sys
    from awsenv.errors import AwsenvError
    from awsenv.providers import mfa
    try:
        code = mfa.tty_prompt(sys.argv[1])
    except AwsenvError as exc:
        sys.stderr.write("ERR " + exc.message + " | " + str(exc.hint) + "\\n")
        sys.exit(1)
    sys.stderr.write("CODE " + code + "\\n")
    """
)


def run_with_pty(answers: list[str]) -> tuple[str, int]:
    """Run tty_prompt in a child whose controlling terminal is a pty we type into."""
    child = PROMPT_CHILD.replace("sys.stderr", "sys.__stdout__")
    run = run_pty([PYTHON, "-c", child, SERIAL], answers=answers, trigger=b"MFA code for")
    return run.screen, run.code


@pytest.mark.skipif(sys.platform.startswith("win"), reason="no pty")
def test_the_prompt_reads_the_code_from_the_terminal():
    screen, code = run_with_pty(["123456"])
    assert f"MFA code for {SERIAL}: " in screen
    assert "CODE 123456" in screen
    assert code == 0


@pytest.mark.skipif(sys.platform.startswith("win"), reason="no pty")
def test_the_prompt_asks_once_more_after_a_bad_code():
    screen, code = run_with_pty(["12345", "654321"])
    assert "6 digits" in screen
    assert "CODE 654321" in screen
    assert code == 0


@pytest.mark.skipif(sys.platform.startswith("win"), reason="no pty")
def test_the_prompt_gives_up_after_two_bad_codes():
    screen, code = run_with_pty(["abc", "1234567"])
    assert "ERR " in screen
    assert "--mfa-code" in screen
    assert code == 1


def test_no_terminal_means_mfa_required(tmp_path):
    missing = str(tmp_path / "no-tty")
    assert not mfa.have_tty(missing)
    with pytest.raises(MfaRequired) as caught:
        mfa.tty_prompt(SERIAL, path=missing)
    assert "--mfa-code" in (caught.value.hint or "")


def test_without_a_controlling_terminal_the_prompt_fails_cleanly():
    """A process with no controlling terminal (setsid, as under cron or CI) gets MfaRequired."""
    out = subprocess.run(
        [PYTHON, "-c", PROMPT_CHILD, SERIAL],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
        check=False,
    )
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.startswith("ERR an MFA code for")
