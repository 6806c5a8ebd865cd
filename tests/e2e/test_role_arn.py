"""`awsenv use --role-arn ARN --source PROFILE`: a role no profile names, in real shells.

Against moto's STS on loopback (and the small refusing STS of tests/worlds.py): the keys are
exported, the SDK in the shell acts as the role, `refresh` assumes it again, `use -` comes back
to it, the answer is cached where botocore would cache those AssumeRole arguments, and every
mistake on the command line is a usage error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from awsenv import shells
from awsenv.providers import rolecache, session
from awsenv.sso.tokens import cli_cache_dir
from tests.e2e.test_roles_core import assumed
from tests.e2e.test_roles_use import (
    AWS_CLI,
    BOTO3_ARN,
    UseWorld,
    error_lines,
    leaked,
    load_init,
    print_vars,
)
from tests.helpers import PYTHON, SHELLS, cli_whoami, require_tool, run_awsenv
from tests.terminal import run_pty
from tests.worlds import SERIAL, SsoWorld, arn, refusing_sts

pytestmark = pytest.mark.e2e

ADHOC = arn("adhoc")


@pytest.fixture(scope="module")
def fake_sts():
    yield from refusing_sts()


@pytest.fixture
def world(home, moto_sts, fake_sts):
    """A UseWorld (profiles base, deploy-mfa, ...); no issued secret may reach any stderr."""
    world = UseWorld(home, moto_sts, fake_sts)
    yield world
    assert leaked(world.stderrs, world.issued_secrets()) == []


@pytest.fixture
def aws_cli() -> str:
    if not os.path.exists(AWS_CLI):
        pytest.skip("the AWS CLI is not installed")
    return AWS_CLI


def entry_path(world, **args: str | int) -> Path:
    key = rolecache.cache_key_for_args({"RoleArn": ADHOC, **args})
    return Path(cli_cache_dir(world.env)) / f"{key}.json"


def boto(dialect: str) -> str:
    """Print the caller ARN boto3 finds in this shell, then a NUL (stdin closed: no prompt)."""
    return (
        f"{shells.quote(dialect, PYTHON)} -c {shells.quote(dialect, BOTO3_ARN)} </dev/null; "
        "printf '\\0'\n"
    )


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_role_arn_exports_keys_the_sdk_acts_as_the_role_and_refresh_assumes_it_again(
    world, dialect
):
    entry = entry_path(world, RoleSessionName="alice-adhoc")
    q = shells.quote
    body = (
        f"awsenv use --role-arn {q(dialect, ADHOC)} --source base --session-name alice-adhoc\n"
        + print_vars(
            dialect,
            "AWSENV_PROFILE",
            "AWS_PROFILE",
            "AWSENV_RENEWABLE",
            "AWS_ACCESS_KEY_ID",
            "AWS_REGION",
        )
        + boto(dialect)
        # the cached answer gone, refresh has to call STS again with base's keys
        + f"rm -f {q(dialect, str(entry))}\n"
        + "awsenv refresh\n"
        + print_vars(dialect, "AWSENV_PROFILE", "AWS_ACCESS_KEY_ID")
        + boto(dialect)
        + "awsenv unset\n"
        + print_vars(dialect, "AWSENV_ROLE", "AWSENV_PROFILE", "AWS_ACCESS_KEY_ID")
    )
    status, values, stderr = world.shell(dialect, body)
    assert status == 0, stderr
    profile, aws_profile, renewable, key, region, arn1 = values[:6]
    profile2, key2, arn2, role_after, profile_after, key_after = values[6:12]
    assert (profile, aws_profile, renewable, region) == (
        "base>adhoc",
        "<unset>",
        "always",
        "us-east-1",
    )
    assert key.startswith("ASIA")
    assert arn1 == assumed("adhoc", "alice-adhoc")
    assert profile2 == "base>adhoc"
    assert key2 != key  # assumed again, not the old keys
    assert arn2 == assumed("adhoc", "alice-adhoc")
    assert json.loads(entry.read_text())["Credentials"]["AccessKeyId"] == key2
    assert (role_after, profile_after, key_after) == ("<unset>", "<unset>", "<unset>")


@pytest.mark.skipif(sys.platform.startswith("win"), reason="no pty")
@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_role_arn_over_an_mfa_source_asks_on_the_terminal_once(world, dialect):
    spec = SHELLS[dialect]
    require_tool(spec.argv[0])
    q = shells.quote
    script = world.home / f"script.{dialect}"
    body = (
        f"awsenv use --role-arn {q(dialect, ADHOC)} --source deploy-mfa\n"
        + print_vars(dialect, "AWSENV_PROFILE", "AWSENV_RENEWABLE")
        + boto(dialect)
        + "awsenv refresh\n"  # within the reuse window: the cached role, no second code
        + print_vars(dialect, "AWSENV_PROFILE")
    )
    script.write_text(load_init(dialect) + body, encoding="utf-8")
    run = run_pty(
        [*spec.argv, str(script)],
        world.env,
        answers=["123456"],
        trigger=b"MFA code for",
        pipe_stdout=True,
        cwd=world.home,
        timeout=90,
    )
    world.stderrs.append(run.screen)
    assert run.code == 0, run.screen
    assert run.screen.count(f"MFA code for {SERIAL}") == 1
    profile, renewable, role_arn, profile2 = run.stdout.split("\0")[:4]
    assert profile == "deploy-mfa>adhoc"
    # the source is assumed from base's MFA session, which renews it with no code until it ends
    _keys, end = session.cached(world.env, "base", SERIAL)
    assert end is not None
    assert renewable == str(end)
    assert role_arn.startswith(assumed("adhoc"))
    assert profile2 == "deploy-mfa>adhoc"


def test_use_dash_comes_back_to_the_role_arn(world):
    body = (
        f"awsenv use --role-arn {ADHOC} --source base --external-id ext-1 --duration 1800\n"
        + "awsenv use deploy\n"
        + "awsenv use -\n"
        + print_vars("bash", "AWSENV_PROFILE", "AWS_PROFILE")
        + boto("bash")
        + "awsenv use -\n"
        + print_vars("bash", "AWSENV_PROFILE", "AWSENV_ROLE")
    )
    status, values, stderr = world.shell("bash", body)
    assert status == 0, stderr
    profile, aws_profile, role_arn, back, role_var = values[:5]
    assert (profile, aws_profile) == ("base>adhoc", "<unset>")
    assert role_arn.startswith(assumed("adhoc"))
    assert (back, role_var) == ("deploy", "<unset>")
    # the options reached STS's arguments: the answer sits under botocore's key for them
    assert entry_path(world, ExternalId="ext-1", DurationSeconds=1800).exists()


def test_role_arn_is_cached_and_reused_under_botocores_key(world):
    first = world.awsenv("use", "--role-arn", ADHOC, "--source", "base")
    assert first.returncode == 0, first.stderr
    entry = entry_path(world)  # no options: {"RoleArn": ...}, as for a profile naming the role
    key = json.loads(entry.read_text())["Credentials"]["AccessKeyId"]
    assert f"export AWS_ACCESS_KEY_ID={key}" in first.stdout
    second = world.awsenv("use", "--role-arn", ADHOC, "--source", "base")
    assert second.returncode == 0, second.stderr
    assert f"export AWS_ACCESS_KEY_ID={key}" in second.stdout  # no second AssumeRole


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--role-arn", ADHOC], "--role-arn needs --source PROFILE"),
        (["--role-arn", ADHOC, "--source", "nowhere"], "'nowhere' is not in"),
        (
            ["--role-arn", "arn:aws:iam::1111:role/x", "--source", "base"],
            "not the ARN of an IAM role",
        ),
        (["--role-arn", "arn:aws:iam::111111111111:user/x", "--source", "base"], "not the ARN"),
        (["--role-arn", ADHOC, "--source", "base", "--duration", "60"], "--duration '60'"),
        (["--role-arn", ADHOC, "--source", "base", "--duration", "1h"], "--duration '1h'"),
        (["--role-arn", ADHOC, "--source", "base", "--session-name", "a b"], "--session-name"),
        (["deploy", "--role-arn", ADHOC, "--source", "base"], "not both"),
        (["deploy", "--source", "base"], "--source goes with --role-arn"),
        (["deploy", "--external-id", "x1"], "--external-id goes with --role-arn"),
        (["--role-arn", ADHOC, "--source", "base", "--role", ADHOC], "--role chooses"),
    ],
)
def test_role_arn_mistakes_are_usage_errors(world, argv, words):
    result = world.awsenv("use", *argv)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_role_arn_refused_durations_and_denials_are_one_line_naming_the_role(world):
    too_long = arn("too-long")
    result = world.awsenv(
        "use", "--role-arn", too_long, "--source", "base", "--duration", "43200", env=world.fake_env
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert too_long in lines[0]
    assert "--duration 43200" in lines[0]
    assert "MaxSessionDuration" in lines[0]
    assert "MaxSessionDuration" in result.stderr.split("hint:", 1)[1]

    denied = world.awsenv(
        "use", "--role-arn", arn("denied"), "--source", "base", env=world.fake_env
    )
    assert denied.returncode == 1
    lines = error_lines(denied.stderr)
    assert len(lines) == 1, denied.stderr
    assert f"role {arn('denied')} denied for profile 'base'" in lines[0]


def test_role_arn_over_an_sso_source_renews_while_the_sso_session_does(home, idc, moto_sts):
    world = SsoWorld(home, idc, moto_sts)
    env = {**world.env, "AWSENV_SHELL": "bash"}
    result = run_awsenv(["use", "--role-arn", ADHOC, "--source", "dev"], env)
    assert result.returncode == 0, result.stderr
    exported = dict(
        line[len("export ") :].split("=", 1)
        for line in result.stdout.splitlines()
        if line.startswith("export ")
    )
    assert exported["AWSENV_PROFILE"] == shells.quote("bash", "dev>adhoc")
    assert exported["AWS_REGION"] == "eu-west-1"  # the source's region
    # the same renewal clock `use dev --keys` exports: the SSO session's
    keys = run_awsenv(["use", "dev", "--keys"], env)
    assert keys.returncode == 0, keys.stderr
    assert f"export AWSENV_RENEWABLE={exported['AWSENV_RENEWABLE']}\n" in keys.stdout
    # renews while the SSO session does; without awsenv_session_duration its end is not known
    assert exported["AWSENV_RENEWABLE"] == "session"
    assert len(world.browser_urls()) == 1  # one sign-in, for the source


# --- no region anywhere: a role with MFA and one without meet STS alike --------------------------


def test_without_a_region_roles_with_and_without_mfa_fail_alike_naming_the_sts_endpoint(
    world, moto_sts
):
    # botocore (and so the AWS CLI) signs for AWS's global endpoint (aws-global, us-east-1) when
    # nothing names a region and no endpoint is set; an endpoint set for STS needs a region to
    # sign with. Both kinds of role take the same path, so they fail the same way, and both work
    # once a region is named.
    env = {k: v for k, v in world.env.items() if k != "AWS_DEFAULT_REGION"}
    plain = world.awsenv("use", "deploy", env=env)
    gated = world.awsenv("use", "deploy-mfa", "--mfa-code", "123456", env=env)
    for result in (plain, gated):
        assert result.returncode == 1
        assert result.stdout == ""
        assert len(error_lines(result.stderr)) == 1, result.stderr
        assert f"STS at {moto_sts}" in result.stderr
        assert "--region" in result.stderr  # the hint
    assert (
        error_lines(plain.stderr)[0].replace("'deploy'", "'deploy-mfa'")
        == error_lines(gated.stderr)[0]
    )
    assert world.awsenv("use", "deploy", "--region", "eu-west-1", env=env).returncode == 0
    worked = world.awsenv(
        "use", "deploy-mfa", "--mfa-code", "123456", "--region", "eu-west-1", env=env
    )
    assert worked.returncode == 0, worked.stderr


def test_the_aws_cli_also_needs_a_region_for_a_role_when_sts_has_an_endpoint(world, aws_cli):
    # Evidence for the test above: the AWS CLI takes the same path and stops at the same point.
    env = {k: v for k, v in world.env.items() if k != "AWS_DEFAULT_REGION"}
    result = cli_whoami(aws_cli, env, "deploy", new_session=True)
    world.stderrs.append(result.stderr)
    assert result.returncode != 0
    assert "You must specify a region" in result.stderr


def test_status_names_an_ad_hoc_role_as_such(world):
    # it used to say "kind unknown (not in the config files)" for `base>adhoc`
    body = f"awsenv use --role-arn {ADHOC} --source base\nawsenv status --json\n"
    status, values, stderr = world.shell("bash", body)
    assert status == 0, stderr
    state = json.loads(values[0])
    assert (state["profile"], state["kind"], state["mode"]) == ("base>adhoc", "role-arn", "keys")


def test_login_and_logout_in_a_shell_using_an_ad_hoc_role_act_on_its_source(home, idc, moto_sts):
    # AWSENV_PROFILE is `dev>adhoc`, which names no profile: they used to fail on that name
    from awsenv.providers.adhoc import Spec

    world = SsoWorld(home, idc, moto_sts)
    env = {
        **world.env,
        "AWSENV_PROFILE": "dev>adhoc",
        "AWSENV_ROLE": Spec(ADHOC, "dev").encode(),
    }
    login = run_awsenv(["login"], env)
    assert login.returncode == 0, login.stderr
    assert "sso-session corp" in login.stderr
    logout = run_awsenv(["logout"], env)
    assert logout.returncode == 0, logout.stderr
    assert world.token_files() == [] or all(
        "accessToken" not in path.read_text() for path in world.token_files()
    )
