"""The throwaway AWS config and caches the benchmarks run against (bench/compare.py).

``write_profiles(home, count)`` writes ``count`` profiles of every kind awsenv switches to
(static, sso-session, legacy SSO, role chains, with regions), a valid cached SSO token for the
sso-session, and valid cached credentials for the role, as `aws sso login` and the AWS CLI
leave them. Every file is dated an hour back, so awsenv's caches treat it as settled.

``sso_home(root)`` makes the HOME the SSO benchmarks (sso_calls.py, stress.py) sign in from:
one sso-session profile and a browser that follows the sign-in URL, for the local stand-in.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from awsenv.sso import tokens

SSO_CONFIG = """\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
"""
SSO_SESSION = tokens.SsoSession("corp", "https://d-1234567890.awsapps.com/start", "us-east-1")


def sso_home(root: Path) -> tuple[Path, dict[str, str]]:
    """A HOME with ``SSO_CONFIG`` and a browser that follows the sign-in URL; and its env."""
    home = root / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(SSO_CONFIG)
    browser = home / "browser"
    browser.write_text(
        f"#!{sys.executable}\nimport sys, urllib.request\n"
        "urllib.request.urlopen(sys.argv[1], timeout=60).read()\n"
    )
    browser.chmod(0o755)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "XDG_CACHE_HOME": str(home / ".cache"),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWSENV_SHELL": "bash",
        "AWSENV_LOGIN_TIMEOUT": "120",
        "BROWSER": f"{browser} %s",
    }
    return home, env


def write_profiles(home: Path, count: int) -> None:
    """Write a config with `count` profiles: static, sso-session, legacy SSO and role chains."""
    aws = home / ".aws"
    aws.mkdir(parents=True)
    parts = [
        "[profile static]\nregion = eu-west-1\naws_access_key_id = AKIAEXAMPLE\n"
        "aws_secret_access_key = example\n",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/Bench\n"
        "source_profile = static\nregion = us-east-1\n",
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n",
        "[profile sso]\nsso_session = corp\nsso_account_id = 111111111111\n"
        "sso_role_name = Admin\nregion = us-west-2\n",
    ]
    for i in range(max(0, count - 3)):
        kind = i % 4
        if kind == 0:
            parts.append(
                f"[profile sso-{i}]\nsso_session = corp\nsso_account_id = {i:012d}\n"
                f"sso_role_name = Admin\nregion = us-west-2\n"
            )
        elif kind == 1:
            parts.append(
                f"[profile legacy-{i}]\nsso_start_url = https://example.awsapps.com/start\n"
                f"sso_region = us-east-1\nsso_account_id = {i:012d}\nsso_role_name = Dev\n"
            )
        elif kind == 2:
            parts.append(
                f"[profile chain-{i}]\nrole_arn = arn:aws:iam::{i:012d}:role/Deploy\n"
                f"source_profile = static\nregion = eu-central-1\n"
            )
        else:
            parts.append(
                f"[profile keys-{i}]\naws_access_key_id = AKIA{i:016d}\n"
                f"aws_secret_access_key = s{i}\nregion = ap-south-1\n"
            )
    config = aws / "config"
    config.write_text("\n".join(parts), encoding="utf-8")
    past = time.time() - 3600
    os.utime(config, (past, past))
    # A valid cached SSO token for sso-session corp, as `aws sso login` or awsenv leaves it.
    from awsenv.sso import tokens

    env = {"HOME": str(home)}
    session = tokens.SsoSession("corp", "https://example.awsapps.com/start", "us-east-1")
    tokens.save_token(
        env,
        session,
        tokens.Token(
            access_token="bench",
            expires_at=int(time.time()) + 8 * 3600,
            refresh_token="bench",
            client_id="bench",
            client_secret="bench",
            registration_expires_at=int(time.time()) + 86400,
        ),
    )
    os.utime(tokens.token_path(env, session), (past, past))
    # A valid assumed-role session for `role`, as the AWS CLI (or awsenv) caches it.
    from datetime import datetime, timezone

    from awsenv.providers import rolecache

    role = {"role_arn": "arn:aws:iam::123456789012:role/Bench"}
    rolecache.save_role_credentials(
        env,
        role,
        {
            "Credentials": {
                "AccessKeyId": "ASIABENCH",
                "SecretAccessKey": "bench",
                "SessionToken": "bench",
                "Expiration": datetime.fromtimestamp(time.time() + 3600, timezone.utc),
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/Bench/b"},
        },
    )
    os.utime(rolecache.cache_path(env, rolecache.assume_role_cache_key(role)), (past, past))
