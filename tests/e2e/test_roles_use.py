"""Roles at the command level: `use`, `use --keys`, `exec`, `whoami` in real shells, against
moto's STS (and a small fake STS for refusals), sharing ~/.aws/cli/cache with the AWS CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from awsenv import shells
from awsenv.providers import role
from awsenv.sso.tokens import cli_cache_dir
from tests.e2e.test_roles_core import CANARY, World, assumed
from tests.helpers import PYTHON, SHELLS, cli_whoami, require_tool, sdk_whoami_code
from tests.terminal import run_pty
from tests.worlds import REFUSING_PROFILES, SERIAL, arn, refusing_sts

pytestmark = pytest.mark.e2e

BINDIR = os.path.dirname(PYTHON)
AWS_CLI = os.path.join(BINDIR, "aws")
# Static secrets written by the test world: they must not reach stderr either.
STATIC_SECRETS = ("base-secret", "proc-secret", "proc-token")


BOTO3_ARN = sdk_whoami_code(end="")


class UseWorld(World):
    """The core test world, plus the fake STS's profiles, a PATH with the venv, and a record of
    every stderr produced, checked for secrets when the test ends."""

    def __init__(self, home: Path, sts: str, fake: str) -> None:
        super().__init__(home, sts)
        with (home / ".aws" / "config").open("a") as config:
            config.write(REFUSING_PROFILES)
        self.config += REFUSING_PROFILES
        self.env["PATH"] = BINDIR + os.pathsep + self.env["PATH"]
        self.fake_env = {**self.env, "AWS_ENDPOINT_URL_STS": fake}
        self.stderrs: list[str] = []

    def awsenv(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the core as the bash wrapper does, with no terminal."""
        result = subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", *args],
            env={**(env or self.env), "AWSENV_SHELL": "bash"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            start_new_session=True,
        )
        self.stderrs.append(result.stderr)
        return result

    def shell(
        self, dialect: str, body: str, *, env: dict[str, str] | None = None
    ) -> tuple[int, list[str], str]:
        """Run ``body`` after loading awsenv in a real shell with no terminal; return the exit
        status, the NUL-separated values printed, and stderr."""
        spec = SHELLS[dialect]
        require_tool(spec.argv[0])
        path = self.home / f"script.{dialect}"
        path.write_text(load_init(dialect) + body, encoding="utf-8")
        result = subprocess.run(
            [*spec.argv, str(path)],
            env=env or self.env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=90,
            check=False,
            start_new_session=True,
        )
        stderr = result.stderr.decode(errors="replace")
        self.stderrs.append(stderr)
        return result.returncode, result.stdout.decode().split("\0"), stderr

    def cache_entry(self, profile: str) -> dict:
        return json.loads(self.entry(profile).read_text())

    def issued_secrets(self) -> list[str]:
        """Every SecretAccessKey and SessionToken in ~/.aws/cli/cache, plus the static ones."""
        found = list(STATIC_SECRETS)
        cache = Path(cli_cache_dir(self.env))
        for path in cache.glob("*.json") if cache.exists() else []:
            creds = json.loads(path.read_text()).get("Credentials", {})
            found += [creds[k] for k in ("SecretAccessKey", "SessionToken") if creds.get(k)]
        return found


def load_init(dialect: str) -> str:
    py = shells.quote(dialect, PYTHON)
    if dialect == "fish":
        return f"{py} -I -m awsenv init fish | source\n"
    return f'eval "$({py} -I -m awsenv init {dialect})"\n'


def leaked(texts: list[str], secrets: list[str]) -> list[str]:
    return [s for s in secrets if any(s in text for text in texts)]


@pytest.fixture(scope="module")
def fake_sts():
    yield from refusing_sts()


@pytest.fixture
def world(home, moto_sts, fake_sts):
    """A UseWorld; when the test ends, no issued secret may appear in any stderr it saw."""
    world = UseWorld(home, moto_sts, fake_sts)
    yield world
    secrets = world.issued_secrets()
    assert len(secrets) >= len(STATIC_SECRETS)
    assert leaked(world.stderrs, secrets) == []


@pytest.fixture
def aws_cli() -> str:
    if not os.path.exists(AWS_CLI):
        pytest.skip("the AWS CLI is not installed")
    return AWS_CLI


def print_vars(dialect: str, *names: str) -> str:
    spec = SHELLS[dialect]
    return "".join(spec.print_var(name) + "\n" for name in names)


def error_lines(stderr: str) -> list[str]:
    """The lines of stderr that are not an indented hint."""
    return [line for line in stderr.splitlines() if not line.startswith("  hint:")]


# --- use: AWS_PROFILE for role chains without MFA -----------------------------------------------


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_use_of_a_role_chain_exports_the_profile_and_the_aws_cli_acts_as_the_role(
    world, aws_cli, dialect
):
    aws = shells.quote(dialect, aws_cli)
    arn_of = f"{aws} sts get-caller-identity --query Arn --output text; printf '\\0'\n"
    body = (
        "awsenv use deploy\n"
        + print_vars(dialect, "AWS_PROFILE", "AWS_ACCESS_KEY_ID")
        + arn_of
        + f"{shells.quote(dialect, PYTHON)} -c {shells.quote(dialect, BOTO3_ARN)}; printf '\\0'\n"
        + "awsenv use r2\n"  # base -> r1 -> r2
        + print_vars(dialect, "AWS_PROFILE")
        + arn_of
    )
    status, values, stderr = world.shell(dialect, body)
    assert status == 0, stderr
    profile, key, cli_arn, boto_arn, profile2, cli_arn2 = values[:6]
    assert (profile, key, profile2) == ("deploy", "<unset>", "r2")
    assert cli_arn.strip().startswith(assumed("deploy"))
    assert boto_arn.startswith(assumed("deploy"))
    assert cli_arn2.strip().startswith(assumed("two"))
    # `use` made sure the credentials could be had: the entry the CLI then reused is there
    assert world.entry("deploy").exists()
    assert world.entry("r2").exists()


# --- use: MFA exports keys ---------------------------------------------------------------------


def test_use_with_an_mfa_code_exports_keys_that_programs_use_without_a_prompt(world):
    boto = f"{shells.quote('bash', PYTHON)} -c {shells.quote('bash', BOTO3_ARN)} </dev/null"
    body = (
        "awsenv use deploy-mfa --mfa-code 123456\n"
        + print_vars(
            "bash",
            "AWS_ACCESS_KEY_ID",
            "AWS_PROFILE",
            "AWSENV_EXPIRATION",
            "AWS_CREDENTIAL_EXPIRATION",
        )
        + f"{boto}; printf '\\0'\n"
        + "awsenv unset\n"
        + "awsenv use deploy-mfa; printf 'status=%s\\0' $?\n"  # no code, no terminal
        + print_vars("bash", "AWS_ACCESS_KEY_ID")
        + f"{boto}; printf '\\0'\n"
    )
    status, values, stderr = world.shell("bash", body)
    assert status == 0, stderr
    key, profile, expiration, iso, arn1, second, key2, arn2 = values[:8]
    assert key.startswith(("ASIA", "AKIA")), key
    assert profile == "<unset>"
    assert abs(int(expiration) - (time.time() + 3600)) < 120
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(expiration))) == iso
    assert arn1.startswith(assumed("deploy-mfa"))
    assert "MFA code" not in stderr
    # asked once per session lifetime: the second use comes from the cache, same keys
    assert second == "status=0"
    assert key2 == key
    assert arn2.startswith(assumed("deploy-mfa"))
    assert world.cache_entry("deploy-mfa")["Credentials"]["AccessKeyId"] == key


def run_in_pty(
    argv: list[str], env: dict[str, str], answer: str, *, trigger: bytes = b"MFA code for"
) -> tuple[int, str, str]:
    """Run ``argv`` with a pty as its controlling terminal (stdin and stderr) and a pipe as its
    stdout; type ``answer`` once ``trigger`` shows. Return status, stdout and the screen."""
    run = run_pty(argv, env, answers=[answer], trigger=trigger, pipe_stdout=True, timeout=60)
    return run.code, run.stdout, run.screen


@pytest.mark.skipif(sys.platform.startswith("win"), reason="no pty")
def test_mfa_asked_on_the_terminal_keeps_stdout_clean_and_the_aws_cli_reuses_it(world, aws_cli):
    env = {**world.env, "AWSENV_SHELL": "bash"}
    status, stdout, screen = run_in_pty(
        [PYTHON, "-I", "-m", "awsenv", "use", "deploy-mfa"], env, "123456"
    )
    world.stderrs.append(screen)
    assert status == 0, screen
    assert f"MFA code for {SERIAL}: " in screen
    lines = stdout.splitlines()
    assert lines
    assert all(line.startswith(("export ", "unset ")) for line in lines), stdout
    assert "MFA" not in stdout
    assert any(line.startswith("export AWS_ACCESS_KEY_ID=") for line in lines)
    before = world.entry("deploy-mfa").read_bytes()
    cli = cli_whoami(aws_cli, world.env, "deploy-mfa", new_session=True)
    world.stderrs.append(cli.stderr)
    assert cli.returncode == 0, cli.stderr
    assert "MFA" not in cli.stderr
    assert json.loads(cli.stdout)["Arn"].startswith(assumed("deploy-mfa"))
    assert world.entry("deploy-mfa").read_bytes() == before  # no new AssumeRole


# --- --keys, web identity, credential_process --------------------------------------------------


@pytest.mark.parametrize(("profile", "name"), [("r1", "one"), ("ci", "ci")])
def test_keys_exports_temporary_keys_for_role_and_web_identity(world, profile, name):
    body = f"awsenv use {profile} --keys\n" + print_vars(
        "bash",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_PROFILE",
        "AWSENV_EXPIRATION",
    )
    status, values, stderr = world.shell("bash", body, env={**world.env, "AWS_PROFILE": "base"})
    assert status == 0, stderr
    key, secret, token, iso, profile_var, expiration = values[:6]
    assert profile_var == "<unset>"
    assert token not in ("", "<unset>")
    assert int(expiration) > time.time()
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(expiration))) == iso
    keys = role.obtain(world.env, profile)  # from the cache: the keys the shell got
    assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == (key, secret, token)
    assert world.whoami(keys).startswith(assumed(name))


def test_use_of_a_credential_process_profile_exports_the_profile(world):
    status, values, stderr = world.shell(
        "bash", "awsenv use proc\n" + print_vars("bash", "AWS_PROFILE", "AWS_ACCESS_KEY_ID")
    )
    assert status == 0, stderr
    assert values[:2] == ["proc", "<unset>"]
    assert stderr == ""


def test_use_keys_of_a_credential_process_profile_exports_its_keys(world):
    result = world.awsenv("use", "proc", "--keys")
    assert result.returncode == 0, result.stderr
    assert "export AWS_ACCESS_KEY_ID=AKIAPROCESS0000001" in result.stdout.splitlines()
    assert "AWS_CREDENTIAL_EXPIRATION=2099-01-01T00:00:00Z" in result.stdout


# --- exec --------------------------------------------------------------------------------------

CHILD = 'import sys,os; print(os.environ["AWS_ACCESS_KEY_ID"][:4]); sys.exit(7)'


def test_exec_runs_the_command_with_keys_and_returns_its_exit_code(world):
    body = (
        "awsenv use base\n"
        + f"awsenv exec deploy -- python -c {shells.quote('bash', CHILD)}\n"
        + "rc=$?; printf '\\0rc=%s\\0' \"$rc\"\n"
        + print_vars("bash", "AWS_ACCESS_KEY_ID", "AWS_PROFILE")
    )
    status, values, stderr = world.shell("bash", body)
    assert status == 0, stderr
    printed, rc, key, profile = values[:4]
    assert rc == "rc=7"
    key_id = world.cache_entry("deploy")["Credentials"]["AccessKeyId"]
    assert printed == key_id[:4] + "\n"
    assert (key, profile) == ("<unset>", "base")  # the shell is untouched


def test_exec_passes_signals_to_the_command(world):
    child = (
        "import signal,sys,time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(42)); "
        'print("ready", flush=True); time.sleep(30)'
    )
    proc = subprocess.Popen(
        [PYTHON, "-I", "-m", "awsenv", "exec", "deploy", "--", "python", "-c", child],
        env=world.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 42
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _, err = proc.communicate()
    world.stderrs.append(err)


def test_exec_of_a_missing_command_exits_127_with_one_line(world):
    result = world.awsenv("exec", "deploy", "--", "no-such-command-4f2a")
    assert result.returncode == 127
    assert result.stdout == ""
    assert error_lines(result.stderr) == ["awsenv: command not found: no-such-command-4f2a"]


# --- whoami and status --identity --------------------------------------------------------------


def test_whoami_and_status_identity_name_the_assumed_role(world):
    body = (
        "awsenv use deploy\n"
        "awsenv whoami; printf '\\0'\n"
        "awsenv status --identity; printf '\\0'\n"
        "awsenv use deploy-mfa --mfa-code 123456\n"
        "awsenv whoami; printf '\\0'\n"
    )
    status, values, stderr = world.shell("bash", body)
    assert status == 0, stderr
    whoami, report, whoami_mfa = values[:3]
    assert f"account  111111111111\narn      {assumed('deploy')}" in whoami
    assert "profile  deploy" in report
    assert f"arn      {assumed('deploy')}" in report
    assert f"arn      {assumed('deploy-mfa')}" in whoami_mfa


# --- bad input ---------------------------------------------------------------------------------

BAD = {
    # case: (profile, extra args, the fake STS?, words in the one line)
    "cycle": ("loop-a", (), False, "source_profile cycle: 'loop-a' -> 'loop-b' -> 'loop-a'"),
    "missing-source": ("orphan", (), False, "source_profile 'nowhere' does not exist"),
    "denied": ("denied", (), True, f"role {arn('denied')} denied for profile 'denied': User: "),
    "wrong-mfa": ("mfa", ("--mfa-code", "000000"), True, f"the MFA code for {SERIAL} was refused"),
    "mfa-no-terminal": ("deploy-mfa", (), False, f"an MFA code for {SERIAL} is needed"),
    "process-fails": ("proc-exit", (), False, "exited with status 3"),
    "too-long": ("too-long", (), True, "refused duration_seconds = 43200"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_exit_1_and_the_shell_unchanged(world, case):
    profile, extra, fake, words = BAD[case]
    env = world.fake_env if fake else world.env
    result = world.awsenv("use", profile, *extra, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("awsenv: ")
    assert words in lines[0]
    assert CANARY not in result.stderr
    if case == "mfa-no-terminal":
        assert "--mfa-code" in result.stderr
    if case == "wrong-mfa":
        assert "000000" not in result.stderr
    # the same in a real shell: the previous profile stays, no keys appear
    body = (
        "awsenv use base\n"
        + f"awsenv use {' '.join(shells.quote('bash', w) for w in (profile, *extra))}\n"
        + "printf 'status=%s\\0' $?\n"
        + print_vars("bash", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWSENV_PROFILE")
    )
    status, values, stderr = world.shell("bash", body, env=env)
    assert status == 0, stderr
    assert values[:4] == ["status=1", "base", "<unset>", "base"]
    assert CANARY not in "".join(values)
    assert CANARY not in stderr
    if profile != "proc-exit":
        assert not world.entry(profile).exists()  # nothing half-made was cached


def check_process_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    assert CANARY not in result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "exited with status 3" in lines[0]


def test_a_failing_credential_process_with_keys_never_shows_its_output(world):
    check_process_failure(world.awsenv("use", "proc-exit", "--keys"))


def test_a_failing_credential_process_under_exec_never_shows_its_output(world):
    check_process_failure(world.awsenv("exec", "proc-exit", "--", "true"))


# --- secrets -----------------------------------------------------------------------------------


def test_no_secret_reaches_stderr(world, aws_cli):
    """Every command that handles keys, successes and failures, with notes (chained duration)
    and warnings: stderr never holds a secret that moto issued or that the files hold."""
    runs = [
        ("use", "r3"),
        ("use", "r3", "--keys"),
        ("use", "long-chain"),  # prints a note about the one-hour limit
        ("use", "deploy-mfa", "--mfa-code", "123456"),
        ("use", "ci", "--keys"),
        ("use", "proc", "--keys"),
        ("use", "from-proc"),
        ("use", "base", "--keys"),
        ("exec", "deploy", "--", "python", "-c", "print(1)"),
        ("exec", "from-proc", "--", "false"),
    ]
    for args in runs:
        result = world.awsenv(*args)
        assert result.returncode in (0, 1), result.stderr
    assert any("3600" in err for err in world.stderrs)  # the chained-duration note was shown
    status, _, _ = world.shell(
        "bash", "awsenv use deploy-mfa\nawsenv whoami\nawsenv status --identity\n"
    )
    assert status == 0
    secrets = world.issued_secrets()
    assert len(secrets) > len(STATIC_SECRETS) + 10  # r1..r3, long-chain, deploy-mfa, ci, ...
    assert leaked(world.stderrs, secrets) == []


def test_region_option_gives_sts_a_region_when_the_profile_has_none(world):
    # r2 names no region; without AWS_DEFAULT_REGION only --region can tell STS where to go
    env = {k: v for k, v in world.env.items() if k != "AWS_DEFAULT_REGION"}
    refused = world.awsenv("use", "r2", "--keys", env=env)
    assert refused.returncode == 1
    assert "region" in refused.stderr
    result = world.awsenv("use", "r2", "--keys", "--region", "eu-west-1", env=env)
    assert result.returncode == 0, result.stderr
    assert "export AWS_REGION=eu-west-1" in result.stdout
    assert "AWS_SESSION_TOKEN=" in result.stdout
