"""The command line as a user meets it: exit codes, messages on stderr, stdout only for code."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from awsenv import cli, clispec
from tests.helpers import minimal_env, run_awsenv, write_config

CONFIG = """\
[profile prod]
region = eu-west-1
aws_access_key_id = AKIAPRODEXAMPLE
aws_secret_access_key = prod-secret-canary-7d1f

[profile deploy]
role_arn = arn:aws:iam::123456789012:role/Deploy
source_profile = prod

[profile deploy-mfa]
role_arn = arn:aws:iam::123456789012:role/Deploy
source_profile = prod
mfa_serial = arn:aws:iam::123456789012:mfa/me

[profile sso-dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1

[profile a]
role_arn = arn:aws:iam::1:role/a
source_profile = b

[profile b]
role_arn = arn:aws:iam::1:role/b
source_profile = a
"""


@pytest.fixture
def env(home):
    write_config(home, CONFIG)
    return minimal_env(home)


def test_use_without_the_shell_function_explains_the_setup(env):
    result = run_awsenv(["use", "prod"], env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "shell function" in result.stderr
    assert "awsenv init" in result.stderr


def test_use_of_a_static_profile_prints_only_shell_code(env):
    result = run_awsenv(["use", "prod"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "export AWS_PROFILE=prod" in lines
    assert "export AWS_REGION=eu-west-1" in lines
    assert all(line.startswith(("export ", "unset ")) for line in lines)
    assert "prod-secret-canary" not in result.stdout


def test_use_keys_of_a_static_profile_exports_the_keys_only_on_stdout(env):
    result = run_awsenv(["use", "prod", "--keys"], {**env, "AWSENV_SHELL": "zsh"})
    assert result.returncode == 0, result.stderr
    assert "prod-secret-canary-7d1f" in result.stdout
    assert "prod-secret-canary" not in result.stderr
    assert "unset AWS_PROFILE" not in result.stdout  # it was not set: nothing to clear


def test_unknown_profile_names_it_and_suggests_close_matches(env):
    result = run_awsenv(["use", "prdo"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 1
    assert result.stdout == ""
    assert "'prdo'" in result.stderr
    assert "'prod'" in result.stderr


def test_source_profile_cycle_is_a_one_line_error(env):
    result = run_awsenv(["use", "a"], {**env, "AWSENV_SHELL": "fish"})
    assert result.returncode == 1
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert "cycle" in first
    assert "'a' -> 'b' -> 'a'" in first


def cache_role_session(home, section, expires_in=3600):
    """Leave what the AWS CLI caches after an AssumeRole, so `use` needs no STS call."""
    import os
    import time

    from awsenv.providers import rolecache

    environ = {**os.environ, "HOME": str(home)}
    rolecache.save_role_credentials(
        environ,
        section,
        {
            "Credentials": {
                "AccessKeyId": "ASIACACHED",
                "SecretAccessKey": "cached-secret",
                "SessionToken": "cached-token",
                "Expiration": datetime.fromtimestamp(time.time() + expires_in, timezone.utc),
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/Deploy/x"},
        },
    )


def test_role_chain_with_cached_credentials_exports_the_profile_without_calling_sts(env, home):
    cache_role_session(home, {"role_arn": "arn:aws:iam::123456789012:role/Deploy"})
    result = run_awsenv(["use", "deploy"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 0, result.stderr
    assert "export AWS_PROFILE=deploy" in result.stdout.splitlines()


def test_mfa_needed_without_a_terminal_points_at_mfa_code(env):
    import subprocess

    from tests.helpers import PYTHON

    result = subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", "use", "deploy-mfa"],
        env={**env, "AWSENV_SHELL": "bash", "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "--mfa-code" in result.stderr
    assert "Traceback" not in result.stderr


def test_sso_login_with_the_identity_provider_unreachable_is_one_clear_error(env):
    result = run_awsenv(["use", "sso-dev", "--no-browser"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 1
    assert result.stdout == ""
    assert "cannot reach IAM Identity Center at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("profile", ["prod", "deploy", "sso-dev"])
def test_role_on_a_profile_that_is_not_saml_or_okta_is_a_usage_error_pointing_at_role_arn(
    env, profile
):
    # `--role` picks among the roles a SAML assertion offers; on any other profile it used to be
    # ignored silently (AWS_PROFILE=prod exported, exit 0) although another role was asked for.
    other = "arn:aws:iam::123456789012:role/Other"
    result = run_awsenv(["use", profile, "--role", other], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"awsenv use --role-arn {other} --source {profile}" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2(env):
    result = run_awsenv(["use"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 2
    assert result.stdout == ""


def test_help_of_an_env_command_under_the_wrapper_goes_to_stderr(env):
    # stdout of `use` is eval'd by the wrapper: help text there would be run as code.
    result = run_awsenv(["use", "--help"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 0
    assert result.stdout == ""
    assert "--keys" in result.stderr


def test_help_outside_the_wrapper_goes_to_stdout(env):
    result = run_awsenv(["--help"], env)
    assert result.returncode == 0
    for command in clispec.COMMANDS:
        if not command.hidden:
            assert command.name in result.stdout


def test_bad_region_is_a_usage_error(env):
    result = run_awsenv(["region", "eu west;1"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 2
    assert result.stdout == ""


def test_unknown_region_is_used_with_a_warning(env):
    result = run_awsenv(["region", "xx-future-9"], {**env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 0
    assert "export AWS_REGION=xx-future-9" in result.stdout.splitlines()
    assert "xx-future-9" in result.stderr


def test_list_json_describes_every_profile(env):
    import json

    result = run_awsenv(["list", "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["prod"]["kind"] == "static"
    assert rows["deploy"]["kind"] == "assume-role"
    assert rows["deploy"]["account"] == "123456789012"
    assert rows["sso-dev"]["kind"] == "sso"
    assert rows["sso-dev"]["role"] == "Admin"
    assert "prod-secret-canary" not in result.stdout


def test_list_without_a_terminal_has_no_colour(env):
    result = run_awsenv(["list"], env)
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout
    assert "prod" in result.stdout


def test_status_reports_the_active_profile_and_time_left(env):
    import time

    shell_env = {
        **env,
        "AWSENV_PROFILE": "prod",
        "AWS_PROFILE": "prod",
        "AWSENV_EXPIRATION": str(int(time.time()) + 3000),
    }
    result = run_awsenv(["status"], shell_env)
    assert result.returncode == 0
    assert "prod" in result.stdout
    assert "expires in 49m" in result.stdout or "expires in 50m" in result.stdout


def test_completion_candidates_for_profiles_skip_names_with_control_characters(home):
    write_config(home, "[profile ok]\nregion = x\n[profile 'bad\x1bname']\nregion = y\n")
    result = run_awsenv(["__complete", "profiles"], minimal_env(home))
    assert result.stdout.splitlines() == ["ok"]


def test_fast_parser_agrees_with_argparse_on_common_forms():
    parser = cli.build_parser()
    for argv in (
        ["use", "prod"],
        ["use", "prod", "--region", "eu-west-1", "--keys"],
        ["use", "--region=eu-west-1", "prod"],
        ["use", "--", "-n"],
        ["unset"],
        ["region", "us-east-1"],
        ["__complete", "profiles", "pr"],
        ["init"],
        ["init", "zsh", "--no-prompt"],
        ["init", "--no-completion", "fish"],
        ["completion", "bash"],
    ):
        fast = cli.fast_parse(argv)
        assert fast is not None, argv
        slow = vars(parser.parse_args(argv))
        assert slow.pop("command") == fast.command
        assert {k: fast.get(k) for k in slow} == slow, argv


def test_fast_parser_hands_unusual_forms_to_argparse():
    for argv in (
        ["use", "--help"],
        ["use", "--reg", "x", "p"],
        ["use"],
        ["use", "a", "b"],
        ["use", "p", "--keys=yes"],
        ["list"],
    ):
        assert cli.fast_parse(argv) is None, argv


def test_no_argument_is_named_command_which_would_hide_the_subcommand():
    # cli.Args keeps the subcommand in .command; an argument of that name would overwrite it
    # (this is how `awsenv exec` once failed with "unknown command").
    for command in clispec.COMMANDS:
        names = [p.name for p in command.positionals] + [o.dest for o in command.options]
        assert "command" not in names, command.name


def test_a_bug_ends_as_one_line_naming_only_the_exception_type(monkeypatch, capsys):
    def broken(args, environ):
        raise RuntimeError("body: accessToken=SECRET-IN-BODY")

    monkeypatch.setattr(cli, "dispatch", broken)
    assert cli.main(["list"]) == 1
    err = capsys.readouterr().err
    assert "unexpected RuntimeError" in err
    assert "SECRET-IN-BODY" not in err
    assert "Traceback" not in err


def test_debug_shows_the_bug_as_a_redacted_traceback(monkeypatch, capsys):
    from awsenv import log

    log.remember_secret("registered-secret-value")

    def broken(args, environ):
        raise RuntimeError("registered-secret-value and accessToken=SECRET-IN-BODY")

    monkeypatch.setattr(cli, "dispatch", broken)
    state = {"enabled": False}
    monkeypatch.setattr(log, "_state", state)
    # only the flag: the real enable() would leave handlers on the process's loggers
    monkeypatch.setattr(log, "enable", lambda: state.update(enabled=True))
    assert cli.main(["--debug", "list"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "RuntimeError" in err
    assert "registered-secret-value" not in err
    assert "SECRET-IN-BODY" not in err


def test_every_configure_flag_belongs_to_a_kind() -> None:
    from awsenv import clispec
    from awsenv.commands import configure

    given = {flag for option in clispec.BY_NAME["configure"].options for flag in option.flags}
    owned = {flag for flags in configure.FLAGS.values() for flag in flags}
    assert owned == given


@pytest.mark.parametrize(
    ("kind", "flag", "owner"),
    [
        ("sso", "--org-domain=x.okta.com", "configure okta"),
        ("okta", "--start-url=https://corp.awsapps.com/start", "configure sso"),
        ("sso-session", "--account=111111111111", "configure sso"),
        ("role", "--all-roles", "configure okta"),
    ],
)
def test_a_flag_of_another_configure_kind_is_a_usage_error(home, kind, flag, owner) -> None:
    """It used to be ignored: `configure sso --org-domain ...` went on as if it were not there."""
    result = run_awsenv(["configure", kind, flag], minimal_env(home))
    assert result.returncode == 2
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert f"{flag.split('=')[0]} is not an option of 'configure {kind}'" in first
    assert owner in result.stderr
