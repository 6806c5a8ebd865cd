"""The paths people feel (use, completion, list, status) never import boto3 or other heavy modules.

Each case runs the real entry point in a fresh interpreter (as the shell wrapper does) and looks
at ``sys.modules`` afterwards; nothing is timed here (timing lives in bench/).
"""

from __future__ import annotations

import ast
import os
import subprocess
import time
from datetime import datetime, timezone

import pytest

from tests.helpers import PYTHON, minimal_env, run_awsenv, write_config

NEVER = {
    "boto3",
    "botocore",
    "psutil",
    "colorama",
    "s3transfer",
    "urllib3",
    "http.client",
    "socket",
    "ssl",
    "keyring",
}
# Each of these costs a large part of a cached `use`'s budget (measured in bench/).
NOT_ON_HOT_PATH = {
    "argparse",
    "re",
    "configparser",
    "platformdirs",
    "dataclasses",
    "typing",
    "enum",
    "pathlib",
    "json",
    "difflib",
    "shlex",
    "importlib.resources",
    "prompt_toolkit",  # the `use` picker's alone (awsenv/picker.py imports it inside pick)
}

PROBE = """
import io, sys
from awsenv import cli
real, sys.stdout = sys.stdout, io.StringIO()
code = cli.main(sys.argv[1:])
sys.stdout = real
# repr, not json: the probe itself must not import what the test looks for
real.write(repr({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.fixture
def env(home):
    config = write_config(
        home,
        """\
        [profile static]
        region = eu-west-1
        aws_access_key_id = AKIAEXAMPLE
        aws_secret_access_key = secret
        [profile role]
        role_arn = arn:aws:iam::123456789012:role/R
        source_profile = static
        [sso-session corp]
        sso_start_url = https://d-1234567890.awsapps.com/start
        sso_region = us-east-1
        [profile sso]
        sso_session = corp
        sso_account_id = 111111111111
        sso_role_name = Admin
        [profile gated]
        role_arn = arn:aws:iam::123456789012:role/Gated
        source_profile = static
        mfa_serial = arn:aws:iam::123456789012:mfa/me
        [profile vault]
        credential_process = awsenv credential-process vault
        awsenv_keychain = true
        """,
    )
    from awsenv.sso import tokens

    session = tokens.SsoSession("corp", "https://d-1234567890.awsapps.com/start", "us-east-1")
    tokens.save_token(
        dict(os.environ),
        session,
        tokens.Token(
            access_token="a",
            expires_at=int(time.time()) + 8 * 3600,
            refresh_token="r",
            client_id="c",
            client_secret="s",
            registration_expires_at=int(time.time()) + 86400,
        ),
    )
    os.utime(tokens.token_path(dict(os.environ), session), (time.time() - 60,) * 2)
    from awsenv.providers import rolecache

    rolecache.save_role_credentials(
        dict(os.environ),
        {"role_arn": "arn:aws:iam::123456789012:role/R"},
        {
            "Credentials": {
                "AccessKeyId": "ASIACACHED",
                "SecretAccessKey": "cached-secret",
                "SessionToken": "cached-token",
                "Expiration": datetime.fromtimestamp(time.time() + 3600, timezone.utc),
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/R/x"},
        },
    )
    # an MFA role's cached session, and the keychain profile's GetSessionToken session: a cached
    # `use` of either opens neither STS nor the keychain
    rolecache.save_role_credentials(
        dict(os.environ),
        {
            "role_arn": "arn:aws:iam::123456789012:role/Gated",
            "mfa_serial": "arn:aws:iam::123456789012:mfa/me",
        },
        {
            "Credentials": {
                "AccessKeyId": "ASIAGATED",
                "SecretAccessKey": "gated-secret",
                "SessionToken": "gated-token",
                "Expiration": datetime.fromtimestamp(time.time() + 3600, timezone.utc),
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/Gated/x"},
        },
    )
    from awsenv import cache
    from awsenv.exports import Keys
    from awsenv.providers import entry as cache_entry
    from awsenv.providers import session

    later = int(time.time()) + 8 * 3600
    for root, serial in (("vault", None), ("static", "arn:aws:iam::123456789012:mfa/me")):
        cache.write_json(
            session.cache_path(dict(os.environ), root, serial),
            cache_entry.entry(Keys("ASIASESSION", "s", "t", later), session.PROVIDER_TYPE),
        )
    past = time.time() - 60
    os.utime(config, (past, past))
    # ~/.aws itself too: a directory changed within 2 s is listed for dead writers' temporary
    # files on every use (cache.reap_temps), as a file changed within 2 s is parsed every time
    os.utime(home / ".aws", (past, past))
    env = minimal_env(home, AWSENV_SHELL="bash")
    assert run_awsenv(["list"], env).returncode == 0  # builds the index and the token memo
    for entry in (home / ".aws" / "cli" / "cache").glob("*.json"):
        os.utime(entry, (time.time() - 60,) * 2)
    warm = run_awsenv(["use", "role"], env)  # remembers the cached role session's expiry
    assert warm.returncode == 0, warm.stderr
    return env


def modules_after(args, env):
    result = subprocess.run(
        [PYTHON, "-I", "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = ast.literal_eval(result.stdout)
    assert data["code"] == 0, result.stderr
    return set(data["modules"])


@pytest.mark.parametrize(
    "args",
    [
        ["use", "static"],
        ["use", "role"],
        ["use", "sso"],
        ["use", "static", "--region", "us-west-2"],
        ["unset"],
        ["region", "eu-west-2"],
        ["__complete", "profiles"],
        ["__complete", "profiles", "st"],
        ["init", "bash"],
        ["init", "fish", "--no-prompt"],
        ["completion", "zsh"],
    ],
)
def test_hot_commands_import_nothing_heavy(env, args):
    modules = modules_after(args, env)
    assert not (modules & NEVER), modules & NEVER
    assert not (modules & NOT_ON_HOT_PATH), modules & NOT_ON_HOT_PATH


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--json"],
        ["status"],
        ["use", "static", "--keys"],
        # an MFA role whose session is cached: no code, no STS
        ["use", "gated"],
        # a keychain profile whose GetSessionToken session is cached: no keychain, no STS
        ["use", "vault"],
        # an ad-hoc role whose AssumeRole answer is cached (the key of profile `role`'s)
        ["use", "--role-arn", "arn:aws:iam::123456789012:role/R", "--source", "static"],
    ],
)
def test_other_everyday_commands_never_import_boto3(env, args):
    modules = modules_after(args, env)
    assert not (modules & NEVER), modules & NEVER
    assert "prompt_toolkit" not in modules


def core(args, env, *, python_flags=()):
    """Run the core exactly as the shell wrappers do: ``python -I -S <pkg>/__main__.py``."""
    from awsenv.shells import core_command

    python, *flags = core_command(env)
    assert flags[:2] == ["-I", "-S"], flags
    return subprocess.run(
        [python, *python_flags, *flags, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("args", [["use", "static"], ["use", "sso"], ["__complete", "profiles"]])
def test_hot_commands_never_load_site(env, args):
    # -S skips site's .pth processing; a hot path that imported a third-party module would
    # load site on demand, and `-X importtime` would list it.
    result = core(args, env, python_flags=("-X", "importtime"))
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "awsenv.cli" in imported
    assert "site" not in imported
    assert "_distutils_hack" not in imported


def test_a_cold_path_loads_site_on_demand_and_finds_third_party_packages(env):
    # whoami needs boto3, which only site-packages holds: the on-demand loader must find it,
    # so the failure is the closed endpoint, not an ImportError.
    result = core(["whoami"], {**env, "AWS_PROFILE": "static"})
    assert result.returncode == 1
    assert "cannot reach STS" in result.stderr
    assert "No module named" not in result.stderr


@pytest.mark.parametrize("profile", ["static", "sso", "role"])
def test_cached_use_opens_each_file_once_and_never_parses_the_config(env, profile, tmp_path):
    from tests.helpers import require_tool

    strace = require_tool("strace")
    log = tmp_path / "trace"
    from awsenv.shells import core_command

    result = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-e",
            "trace=openat,open",
            "-o",
            str(log),
            *core_command(env),
            "use",
            profile,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    home = env["HOME"]
    opened = [
        line.split('"')[1]
        for line in log.read_text().splitlines()
        if '"' in line and "ENOENT" not in line and line.split('"')[1].startswith(home)
    ]
    assert len(opened) == len(set(opened)), opened  # nothing read twice
    # answered from the index and the memos: the config, credentials and cache JSON files
    # themselves are never opened (only stat'ed), and nothing outside them is
    for path in opened:
        assert "/.cache/awsenv/" in path, path
    assert any("/index/" in path for path in opened)
    # not the list of every profile name either (large at 10 000 profiles)
    assert not [path for path in opened if path.endswith("/meta")]
