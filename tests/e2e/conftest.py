"""Loopback servers for end-to-end tests: moto's STS and awsenv's IAM Identity Center stand-in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from awsenv.demo.idc import IdentityCenterStandIn
from tests.helpers import PYTHON, minimal_env, write_config
from tests.standin.sts import start_moto_sts

SSO_CONFIG = """\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = eu-west-1

[profile dev-ro]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly

[profile legacy]
sso_start_url = https://d-1234567890.awsapps.com/legacy
sso_region = us-east-1
sso_account_id = 222222222222
sso_role_name = Admin
region = us-west-2
"""

ACCOUNTS = {
    "111111111111": ("Development", ["Admin", "ReadOnly"]),
    "222222222222": ("Production", ["Admin"]),
}

BROWSER = """#!{python}
# A scripted browser: opens the URL as a signed-in user would (the stand-in approves), follows
# the redirect to awsenv's loopback listener, and logs each URL it was given.
import sys, urllib.request
with open({log!r}, "a") as log:
    log.write(sys.argv[1] + "\\n")
urllib.request.urlopen(sys.argv[1], timeout=30).read()
"""


@pytest.fixture(scope="session")
def moto_sts():
    server, endpoint = start_moto_sts()
    yield endpoint
    server.stop()


@pytest.fixture
def idc(moto_sts):
    standin = IdentityCenterStandIn(sts_endpoint=moto_sts, accounts=ACCOUNTS).start()
    yield standin
    standin.stop()


class SsoWorld:
    """A temporary HOME with SSO profiles, the stand-in, STS, and a scripted browser."""

    def __init__(self, home: Path, idc: IdentityCenterStandIn, sts: str) -> None:
        self.home = home
        self.idc = idc
        self.browser_log = home / "browser.log"
        browser = home / "browser"
        browser.write_text(BROWSER.format(python=PYTHON, log=str(self.browser_log)))
        browser.chmod(0o755)
        bindir = os.path.dirname(PYTHON)
        self.env = minimal_env(
            home,
            AWS_ENDPOINT_URL_STS=sts,
            BROWSER=f"{browser} %s",
            PATH=bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            AWSENV_LOGIN_TIMEOUT="30",
            **idc.environ(),
        )
        write_config(home, SSO_CONFIG)

    def browser_urls(self) -> list[str]:
        if not self.browser_log.exists():
            return []
        return self.browser_log.read_text().splitlines()

    def token_files(self) -> list[Path]:
        cache = self.home / ".aws" / "sso" / "cache"
        return sorted(cache.glob("*.json")) if cache.exists() else []


@pytest.fixture
def world(home, idc, moto_sts) -> SsoWorld:
    return SsoWorld(home, idc, moto_sts)


@pytest.fixture
def aws_cli() -> str:
    path = os.path.join(os.path.dirname(sys.executable), "aws")
    if not os.path.exists(path):
        from tests.helpers import IN_CI

        if IN_CI:
            pytest.fail("the AWS CLI (awscli from the test extra) is not installed")
        pytest.skip("the AWS CLI is not installed")
    return path
