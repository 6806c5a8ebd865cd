"""One MFA code per session: MFA roles over an IAM user's keys are assumed from one cached
GetSessionToken session, in every shell, by the AWS CLI and by SDKs through credential_process.

moto answers STS behind a loopback proxy that records each call (tests/standin/counting.py), so
the tests can say how often GetSessionToken ran and which calls carried the MFA code.
"""

from __future__ import annotations

import calendar
import json
import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from awsenv import shells
from awsenv.providers import rolecache, session
from awsenv.sso.tokens import cli_cache_dir
from tests.e2e.test_roles_core import assumed
from tests.e2e.test_roles_use import AWS_CLI, BINDIR, load_init, print_vars
from tests.helpers import IN_CI, PYTHON, SHELLS, cli_whoami, minimal_env, require_tool, write_config
from tests.standin.counting import CountingSts
from tests.worlds import REFUSALS, SERIAL, arn, refusing_sts

pytestmark = pytest.mark.e2e

CODE = "123456"
CONFIG = """\
[profile base]
region = us-east-1

[profile A]
role_arn = {a}
source_profile = base
mfa_serial = {serial}

[profile B]
role_arn = {b}
source_profile = base
mfa_serial = {serial}

[profile C]
role_arn = {c}
source_profile = B

[profile short]
role_arn = {short}
source_profile = base
mfa_serial = {serial}
duration_seconds = 900

[profile tf]
credential_process = {python} -I -m awsenv credential-process short

[profile plain]
role_arn = {plain}
source_profile = base

[profile too-long]
role_arn = {too_long}
source_profile = base
"""
CREDENTIALS = """\
[base]
aws_access_key_id = AKIABASEEXAMPLE00001
aws_secret_access_key = base-secret
"""


class MfaWorld:
    def __init__(self, home: Path, sts: CountingSts) -> None:
        self.home = home
        self.sts = sts
        self.config = CONFIG.format(
            a=arn("a"),
            b=arn("b"),
            c=arn("c"),
            short=arn("short"),
            plain=arn("plain"),
            too_long=arn("too-long"),
            serial=SERIAL,
            python=PYTHON,
        )
        write_config(home, self.config, credentials=CREDENTIALS)
        self.env = minimal_env(
            home, AWS_ENDPOINT_URL_STS=sts.endpoint, AWS_DEFAULT_REGION="us-east-1"
        )
        self.env["PATH"] = BINDIR + os.pathsep + self.env["PATH"]

    def awsenv(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """The core as the bash function runs it, with no terminal and nothing on stdin."""
        return subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", *args],
            env={**(env or self.env), "AWSENV_SHELL": "bash"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            start_new_session=True,
        )

    def bash(self, body: str) -> tuple[int, list[str], str]:
        """A new bash with awsenv loaded and no controlling terminal: status, values, stderr."""
        require_tool(SHELLS["bash"].argv[0])
        script = self.home / "script.bash"
        script.write_text(load_init("bash") + body, encoding="utf-8")
        result = subprocess.run(
            [*SHELLS["bash"].argv, str(script)],
            env=self.env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
            start_new_session=True,
        )
        return result.returncode, result.stdout.decode().split("\0"), result.stderr.decode()

    def section(self, profile: str) -> dict[str, str]:
        import configparser

        parser = configparser.RawConfigParser()
        parser.read_string(self.config)
        return dict(parser[f"profile {profile}"])

    def role_entry(self, profile: str, **override: str) -> Path:
        key = rolecache.assume_role_cache_key({**self.section(profile), **override})
        return Path(cli_cache_dir(self.env)) / f"{key}.json"

    def session_file(self) -> Path:
        return Path(session.cache_path(self.env, "base", SERIAL))

    def age(self, path: Path, expiration: str = "2001-01-01T00:00:00Z") -> None:
        data = json.loads(path.read_text())
        data["Credentials"]["Expiration"] = expiration
        path.write_text(json.dumps(data))


@pytest.fixture
def counting_sts(moto_sts):
    proxy = CountingSts(moto_sts).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def world(home, counting_sts) -> MfaWorld:
    return MfaWorld(home, counting_sts)


@pytest.fixture
def aws_cli() -> str:
    if not os.path.exists(AWS_CLI):
        if IN_CI:
            pytest.fail("the AWS CLI (awscli from the test extra) is not installed")
        pytest.skip("the AWS CLI is not installed")
    return AWS_CLI


def cli_arn() -> str:
    return "aws sts get-caller-identity --query Arn --output text </dev/null; printf '\\0'\n"


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("  ")]


# --- one code, every role, every shell ----------------------------------------------------------


def test_one_mfa_code_serves_every_mfa_role_in_this_shell_and_a_new_one(world, aws_cli):
    first = (
        f"awsenv use A --mfa-code {CODE}; printf 'a=%s\\0' $?\n"
        + cli_arn()
        + "awsenv use B; printf 'b=%s\\0' $?\n"  # no code, no terminal
        + cli_arn()
        + print_vars("bash", "AWSENV_RENEWABLE")
    )
    status, values, stderr = world.bash(first)
    assert status == 0, stderr
    used_a, arn_a, used_b, arn_b, renewable = values[:5]
    assert (used_a, used_b) == ("a=0", "b=0"), stderr
    assert arn_a.startswith(assumed("a")), stderr
    assert arn_b.startswith(assumed("b")), stderr
    assert "MFA code" not in stderr

    # a new shell, no terminal, no code: B again, and C (a role over B) too
    second = (
        "awsenv use B; printf 'b=%s\\0' $?\n"
        + cli_arn()
        + "awsenv use C; printf 'c=%s\\0' $?\n"
        + cli_arn()
    )
    status, values, stderr = world.bash(second)
    assert status == 0, stderr
    assert values[:4][0::2] == ["b=0", "c=0"], stderr
    assert values[1].startswith(assumed("b"))
    assert values[3].startswith(assumed("c"))

    assert world.sts.count("GetSessionToken") == 1
    (call,) = world.sts.of("GetSessionToken")
    assert call["SerialNumber"] == SERIAL
    assert call["TokenCode"] == "<given>"
    assert call["DurationSeconds"] == str(session.DEFAULT_DURATION)
    # the roles were assumed from the session: no AssumeRole carried a code
    assumed_roles = world.sts.of("AssumeRole")
    assert {c["RoleArn"] for c in assumed_roles} == {arn("a"), arn("b"), arn("c")}
    assert all("TokenCode" not in c and "SerialNumber" not in c for c in assumed_roles)

    # exported keys renew until the session ends: that is what the prompt's clock counts to
    end = json.loads(world.session_file().read_text())["Credentials"]["Expiration"]
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(renewable))) == end
    assert abs(int(renewable) - (time.time() + session.DEFAULT_DURATION)) < 300

    # the session file is private; the role went where botocore looks for profile B
    assert world.session_file().stat().st_mode & 0o777 == 0o600
    assert world.session_file().parent.stat().st_mode & 0o777 == 0o700
    assert world.role_entry("B").exists()  # botocore's key names the mfa_serial
    cli = cli_whoami(aws_cli, world.env, "B", arn_only=True, new_session=True)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip().startswith(assumed("b"))
    assert world.sts.count("GetSessionToken") == 1
    assert len(world.sts.of("AssumeRole")) == 3  # the AWS CLI took B from the cache


def test_refresh_renews_keys_from_the_session_with_no_prompt(world):
    body = (
        f"awsenv use B --mfa-code {CODE}\n"
        + print_vars("bash", "AWS_ACCESS_KEY_ID")
        + f"{shells.quote('bash', PYTHON)} -c "
        + shells.quote(
            "bash",
            "import json,sys; p=sys.argv[1]; d=json.load(open(p)); "
            "d['Credentials']['Expiration']='2001-01-01T00:00:00Z'; json.dump(d, open(p,'w'))",
        )
        + f" {shells.quote('bash', str(world.role_entry('B')))}\n"
        + "awsenv refresh; printf 'r=%s\\0' $?\n"
        + print_vars("bash", "AWS_ACCESS_KEY_ID")
        + cli_arn()
    )
    status, values, stderr = world.bash(body)
    assert status == 0, stderr
    before, refreshed, after, whoami = values[:4]
    assert refreshed == "r=0", stderr
    assert after != before
    assert whoami.startswith(assumed("b"))
    assert world.sts.count("GetSessionToken") == 1
    assert len(world.sts.of("AssumeRole")) == 2


def test_after_the_session_ends_use_without_a_terminal_fails_with_one_line(world):
    assert world.awsenv("use", "A", "--mfa-code", CODE).returncode == 0
    world.age(world.session_file())
    started = time.monotonic()
    result = world.awsenv("use", "B")
    assert time.monotonic() - started < 30  # promptly: nothing waits for a code
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = error_lines(result.stderr)
    assert f"an MFA code for {SERIAL} is needed" in line
    assert "--mfa-code" in result.stderr
    assert world.sts.count("GetSessionToken") == 1


def test_use_of_another_role_with_a_new_code_after_the_end_starts_a_new_session(world):
    assert world.awsenv("use", "A", "--mfa-code", CODE).returncode == 0
    world.age(world.session_file())
    assert world.awsenv("use", "B", "--mfa-code", "654321").returncode == 0
    assert world.sts.count("GetSessionToken") == 2
    keys, end = session.cached(world.env, "base", SERIAL)
    assert keys is not None
    assert end is not None
    assert end > time.time() + 3600


# --- credential_process ------------------------------------------------------------------------

LONG_RUNNING = textwrap.dedent(
    """
    import json, sys, boto3
    entry = sys.argv[1]
    client = boto3.Session(profile_name="tf").client("sts")
    first = client.get_caller_identity()["Arn"]
    key1 = client._request_signer._credentials.get_frozen_credentials().access_key
    # the role session ends: its cache entry says so, and botocore renews (900 s sessions are
    # inside botocore's refresh window at once, so the next call runs the process again)
    data = json.load(open(entry))
    data["Credentials"]["Expiration"] = "2001-01-01T00:00:00Z"
    json.dump(data, open(entry, "w"))
    second = client.get_caller_identity()["Arn"]
    key2 = client._request_signer._credentials.get_frozen_credentials().access_key
    print(json.dumps({"first": first, "second": second, "renewed": key1 != key2}))
    """
)


def test_a_program_using_credential_process_renews_from_the_session_without_a_prompt(world):
    assert world.awsenv("use", "A", "--mfa-code", CODE).returncode == 0
    result = subprocess.run(
        [PYTHON, "-c", LONG_RUNNING, str(world.role_entry("short"))],
        env=world.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        start_new_session=True,  # no terminal: nothing can prompt
    )
    assert result.returncode == 0, result.stderr
    said = json.loads(result.stdout)
    assert said["first"].startswith(assumed("short"))
    assert said["second"].startswith(assumed("short"))
    assert said["renewed"] is True
    assert world.sts.count("GetSessionToken") == 1
    # a 900 s role session is inside the 15-minute reuse window from the start, so every run of
    # the process assumes it again: always from the session, never with a code
    renewals = [c for c in world.sts.of("AssumeRole") if c["RoleArn"] == arn("short")]
    assert len(renewals) >= 2
    assert all("TokenCode" not in c for c in renewals)


def test_credential_process_without_a_session_or_terminal_fails_with_one_line(world):
    started = time.monotonic()
    result = world.awsenv("credential-process", "short")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = error_lines(result.stderr)
    assert f"an MFA code for {SERIAL} is needed" in line
    assert world.sts.count("GetSessionToken") == 0


# --- its length ----------------------------------------------------------------------------------


def test_awsenv_mfa_session_duration_sets_the_length(world):
    with (world.home / ".aws" / "credentials").open("a") as credentials:
        credentials.write("awsenv_mfa_session_duration = 3600\n")  # in [base], with its keys
    assert world.awsenv("use", "A", "--mfa-code", CODE).returncode == 0
    (call,) = world.sts.of("GetSessionToken")
    assert call["DurationSeconds"] == "3600"
    _keys, end = session.cached(world.env, "base", SERIAL)
    assert end is not None
    assert abs(end - (time.time() + 3600)) < 300


@pytest.mark.parametrize("value", ["600", "200000", "12h"])
def test_an_out_of_range_session_duration_is_one_line_naming_file_and_line(world, value):
    config = world.home / ".aws" / "config"
    lines = config.read_text().splitlines()
    at = lines.index("[profile base]") + 2  # the line after the header (1-based: +2)
    lines.insert(at - 1, f"awsenv_mfa_session_duration = {value}")
    config.write_text("\n".join(lines) + "\n")
    result = world.awsenv("use", "A", "--mfa-code", CODE)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = error_lines(result.stderr)
    assert f"{config}:{at}" in line
    assert "awsenv_mfa_session_duration" in line
    assert "900" in line
    assert "129600" in line
    assert world.sts.count("GetSessionToken") == 0


# --- logout and explain --------------------------------------------------------------------------


def test_logout_forgets_the_mfa_session(world):
    assert world.awsenv("use", "A", "--mfa-code", CODE).returncode == 0
    assert world.session_file().exists()
    result = world.awsenv("logout", "B")
    assert result.returncode == 0, result.stderr
    assert "forgot the MFA session of profile 'base'" in result.stderr
    assert not world.session_file().exists()
    again = world.awsenv("use", "B")  # B was never assumed: it needs a code again
    assert again.returncode == 1
    assert f"an MFA code for {SERIAL} is needed" in again.stderr
    # A's role session went too: a logout leaves no credentials made with the code behind
    # (they used to serve `use A` and the AWS CLI for up to an hour after it)
    assert "and 1 cached role session" in result.stderr
    gone = world.awsenv("use", "A")
    assert gone.returncode == 1
    assert f"an MFA code for {SERIAL} is needed" in gone.stderr

    assert world.awsenv("use", "B", "--mfa-code", CODE).returncode == 0
    everything = world.awsenv("logout", "--all")
    assert "forgot 1 MFA session" in everything.stderr
    assert not world.session_file().exists()


def test_explain_shows_the_session_its_end_and_the_roles_that_use_it(world):
    before = json.loads(world.awsenv("explain", "B", "--json").stdout)
    (cached,) = [c for c in before["caches"] if c["what"] == "mfa-session"]
    assert cached["state"] == "missing"
    assert cached["path"] == str(world.session_file())
    assert sorted(cached["used_by"]) == ["A", "B", "C", "short"]
    (prompt,) = [s for s in before["login"]["steps"] if s["action"] == "mfa-prompt"]
    assert prompt["profile"] == "B"
    assert "GetSessionToken" in prompt["reason"]

    assert world.awsenv("use", "A", "--mfa-code", CODE).returncode == 0
    after = json.loads(world.awsenv("explain", "B", "--json").stdout)
    (cached,) = [c for c in after["caches"] if c["what"] == "mfa-session"]
    end = json.loads(world.session_file().read_text())["Credentials"]["Expiration"]
    assert cached["state"] == "valid"
    assert cached["expires_at"] == end
    assert after["login"]["interactive"] is False
    assert "AWSENV_RENEWABLE" in after["exports"]["set"]
    text = world.awsenv("explain", "B").stdout
    assert "mfa-session" in text
    assert "roles that use it: A, B, C, short" in text
    # a role without MFA over the same keys is not served by it
    plain = json.loads(world.awsenv("explain", "plain", "--json").stdout)
    assert [c for c in plain["caches"] if c["what"] == "mfa-session"] == []


# --- --duration ----------------------------------------------------------------------------------


def test_duration_sets_the_role_session_length_and_exports_keys(world):
    body = (
        "awsenv use plain --duration 1800; printf 's=%s\\0' $?\n"
        + print_vars("bash", "AWS_PROFILE", "AWSENV_EXPIRATION")
        + cli_arn()
    )
    status, values, stderr = world.bash(body)
    assert status == 0, stderr
    used, profile, expiration, whoami = values[:4]
    assert used == "s=0", stderr
    assert profile == "<unset>"  # a length the profile does not name: its keys are exported
    assert abs(int(expiration) - (time.time() + 1800)) < 120
    assert whoami.startswith(assumed("plain"))
    (call,) = world.sts.of("AssumeRole")
    assert call["DurationSeconds"] == "1800"
    # cached under the key botocore would compute for that duration, not the profile's
    assert world.role_entry("plain", duration_seconds="1800").exists()
    assert not world.role_entry("plain").exists()


def test_refresh_and_region_keep_the_duration_use_asked_for(world):
    """A renewal (typed, or the prompt's) asks for the length `use --duration` asked for; it
    used to fall back to the profile's, so a 30-minute shell became an hour's at the first
    renewal. `region` keeps it; a `use` without --duration forgets it."""
    entry = shells.quote("bash", str(world.role_entry("plain", duration_seconds="1800")))
    body = (
        "awsenv use plain --duration 1800\n"
        + print_vars("bash", "AWSENV_DURATION")
        + "awsenv region eu-central-1\n"
        + f"rm {entry}\n"  # as if it had run out: refresh must call STS again
        + "awsenv refresh; printf 's=%s\\0' $?\n"
        + print_vars("bash", "AWSENV_DURATION", "AWSENV_EXPIRATION", "AWS_REGION")
        + "awsenv use plain\n"
        + print_vars("bash", "AWSENV_DURATION")
    )
    status, values, stderr = world.bash(body)
    assert status == 0, stderr
    first, refreshed, kept, expiration, region, forgotten = values[:6]
    assert first == "1800"
    assert refreshed == "s=0", stderr
    assert kept == "1800"
    assert abs(int(expiration) - (time.time() + 1800)) < 120
    assert region == "eu-central-1"
    assert forgotten == "<unset>"
    calls = world.sts.of("AssumeRole")
    assert [call.get("DurationSeconds") for call in calls][:2] == ["1800", "1800"]


def test_exec_duration_reaches_the_mfa_role(world):
    code = "import os; print(os.environ['AWS_CREDENTIAL_EXPIRATION'])"
    result = world.awsenv(
        "exec", "--mfa-code", CODE, "--duration", "2400", "A", "--", PYTHON, "-c", code
    )
    assert result.returncode == 0, result.stderr
    expiration = calendar.timegm(time.strptime(result.stdout.strip(), "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(expiration - (time.time() + 2400)) < 120
    assert world.sts.of("AssumeRole")[0]["DurationSeconds"] == "2400"


@pytest.fixture
def fake_sts():
    yield from refusing_sts()


def test_a_duration_sts_refuses_is_one_line_naming_the_role_and_its_limit(world, fake_sts):
    assert arn("too-long") in REFUSALS
    env = {**world.env, "AWS_ENDPOINT_URL_STS": fake_sts}
    result = world.awsenv("use", "too-long", "--duration", "7200", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = error_lines(result.stderr)
    assert f"role {arn('too-long')} refused --duration 7200 for profile 'too-long'" in line
    assert "MaxSessionDuration" in line
    assert "lower --duration" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["use", "base", "--duration", "1800"], "profile 'base' is static"),
        (["use", "plain", "--duration", "60"], "--duration '60'"),
        (["exec", "--duration", "1h", "plain", "--", "true"], "--duration '1h'"),
    ],
)
def test_a_wrong_duration_is_a_usage_error(world, args, says):
    result = world.awsenv(*args)
    assert result.returncode == 2
    assert says in result.stderr
    assert world.sts.calls == []
