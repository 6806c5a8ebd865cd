"""The test worlds several test folders share: SSO set-ups and an STS that refuses roles.

- SSO: the ``corp`` sso-session and its profiles (``SSO_CONFIG``), the accounts the IAM Identity
  Center stand-in offers (``ACCOUNTS``), a scripted browser, and ``SsoWorld`` (a temporary HOME
  wired to the stand-in and moto's STS);
- refusing roles: ``REFUSING_PROFILES`` (``denied``, ``too-long``, ``mfa``, all sourced from
  ``base``) and a small STS (``start_refusing_sts``) that refuses each the way AWS does.
"""

from __future__ import annotations

import os
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from awsenv.demo.idc import IdentityCenterStandIn
from tests.helpers import PYTHON, minimal_env, write_config

# --- SSO -------------------------------------------------------------------------------------

CORP_DEV = """\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = eu-west-1
"""

SSO_CONFIG = (
    CORP_DEV
    + """
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
)

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


# --- roles STS refuses -----------------------------------------------------------------------

ACCOUNT = "111111111111"
SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/alice"


def arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


REFUSING_PROFILES = f"""
[profile denied]
role_arn = {arn("denied")}
source_profile = base

[profile too-long]
role_arn = {arn("too-long")}
source_profile = base
duration_seconds = 43200

[profile mfa]
role_arn = {arn("mfa")}
source_profile = base
mfa_serial = {SERIAL}
"""

REFUSALS = {
    arn("denied"): (
        403,
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: "
        f"sts:AssumeRole on resource: {arn('denied')}",
    ),
    arn("too-long"): (
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    ),
    arn("mfa"): (
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
    ),
}


class FakeSts(BaseHTTPRequestHandler):
    """An STS that answers AssumeRole of each role in ``REFUSALS`` with its refusal, and
    GetSessionToken (an MFA session) with the refusal of a wrong MFA code."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        if form.get("Action") == ["GetSessionToken"]:
            # an MFA session is asked for with the code, and STS checks the code there
            status, code, message = REFUSALS[arn("mfa")]
        else:
            status, code, message = REFUSALS[form["RoleArn"][0]]
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def start_refusing_sts() -> tuple[ThreadingHTTPServer, str]:
    """Serve ``FakeSts`` on a free loopback port; return the server and its endpoint URL.

    Stop it with ``server.shutdown()`` and ``server.server_close()``.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSts)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def refusing_sts() -> Iterator[str]:
    """For a fixture to ``yield from``: ``FakeSts`` running, its endpoint URL, then stopped."""
    server, endpoint = start_refusing_sts()
    yield endpoint
    server.shutdown()
    server.server_close()


# Replaces its own section of the credentials file, as `use --write-credentials` does, until
# told to stop; prints how many writes went through and how many were refused.
CREDENTIALS_WRITER = textwrap.dedent(
    """
    import json, os, sys
    from awsenv import cache
    from awsenv.config import edit as configwrite
    from awsenv.errors import AwsenvError
    path, stop, name = sys.argv[1], sys.argv[2], sys.argv[3]
    counts = {"written": 0, "refused": 0}
    n = 0
    while not os.path.exists(stop):
        n += 1
        section = configwrite.NewSection(
            name, [("aws_access_key_id", f"ASIA{n:012d}"), ("aws_secret_access_key", "s" * 40)]
        )
        try:
            edit = configwrite.plan_replace(path, section, comment="stress")
            edit.commit(lock=cache.lock_path(os.environ, "aws-credentials"))
            counts["written"] += 1
        except AwsenvError:
            counts["refused"] += 1
    print(json.dumps(counts))
    """
)
