"""Network faults and hostile servers (reliability.md T12, T18-T25): bounded, one line, no secret.

Every awsenv run here goes through the real command line against loopback stand-ins that fail
on purpose (500, 503, resets, stalls, huge or hostile answers). Each run's stdout and stderr,
with and without ``--debug``, are kept and searched for every secret the stand-ins issued.
``AWSENV_HTTP_TIMEOUT`` is 3 s in the fault runs: one stalled socket operation gives up after
0.5 s, a call after 3 tries, and the documented bound for a call is 1.5 x the budget + 3 s.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from awsenv import net, saml
from awsenv.demo.base import QuietHandler, Reply
from awsenv.demo.idc import IdentityCenterStandIn
from awsenv.errors import AwsenvError
from awsenv.sso import oidc, tokens
from awsenv.sso.callback import MAX_CONNECTIONS, CallbackServer
from awsenv.ui import LoginUI
from tests.helpers import PYTHON, minimal_env, write_config
from tests.standin.federation import FederationStandIn
from tests.standin.okta import OktaStandIn
from tests.worlds import CORP_DEV

pytestmark = pytest.mark.faults

BUDGET = 3.0  # AWSENV_HTTP_TIMEOUT of the fault runs
BOUND = 1.5 * BUDGET + 3  # the documented bound of one call (awsenv.net), first request to exit
CORP = tokens.SsoSession("corp", "https://d-1234567890.awsapps.com/start", "us-east-1")
ACCOUNTS = {"111111111111": ("Development", ["Admin", "ReadOnly"])}
CONFIG = (
    CORP_DEV.replace("{", "{{").replace("}", "}}")
    + """
[profile corp-saml]
saml_assertion_file = {assertion}
saml_role_arn = arn:aws:iam::123456789012:role/OktaAdmin
region = us-east-1
"""
)
OKTA_PROFILE = """
[profile okta-prod]
okta_org_url = {url}
okta_oidc_client_id = {client}
okta_aws_acct_fed_app_id = {app}
saml_role_arn = arn:aws:iam::123456789012:role/OktaAdmin
region = us-east-1
"""
BROWSER = """#!{python}
# A scripted browser: logs the URL, then opens it as a signed-in user would.
import sys, urllib.request
with open({log!r}, "a") as log:
    log.write(sys.argv[1] + "\\n")
try:
    urllib.request.urlopen(sys.argv[1], timeout=30).read()
except Exception:
    pass
"""
HTML_PAGE = "<!doctype html><title>Oops</title><h1>Internal error BODY-MARKER-{}</h1>"
# Servers that answer one byte at a time: each byte comes sooner than one socket operation's
# timeout (B/6 = 0.67 s), so only the overall deadline of a try can end such a call.
DRIP_EVERY = 0.5
DRIP_BUDGET = 4.0
DRIP_BOUND = 1.5 * DRIP_BUDGET + 3


class Run:
    """One finished awsenv process."""

    def __init__(self, code: int, out: str, err: str, started: float, ended: float, rss: int):
        self.code = code
        self.out = out
        self.err = err
        self.started = started
        self.ended = ended
        self.rss_kib = rss
        self.debug = False

    @property
    def elapsed(self) -> float:
        return self.ended - self.started


class Dripping(QuietHandler):
    """Answers to the paths in the stand-in's ``drips`` trickle out, one byte every DRIP_EVERY s.

    ``drips[path]`` is ``"headers"`` (the whole answer from its status line on) or ``"body"``
    (the status line and headers at once, then the body), or ``(mode, grant)``: only token
    requests of that grant drip.
    """

    def send(self, reply: Reply) -> None:
        standin = self.server.standin
        path = urlsplit(self.path).path
        mode = getattr(standin, "drips", {}).get(path)
        if isinstance(mode, tuple):
            mode, grant = mode
            last = [r for r in standin.requests if r.path == path][-1]
            mode = mode if last.grant == grant else None
        if mode is None:
            super().send(reply)
            return
        self.close_connection = True
        lines = [f"HTTP/1.1 {reply.status} Dripping", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        lines.append(f"Content-Length: {len(reply.body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        now, later = (b"", head + reply.body) if mode == "headers" else (head, reply.body)
        stop: threading.Event = standin.drip_stop  # type: ignore[attr-defined]
        try:
            self.wfile.write(now)
            for byte in later:
                if stop.wait(DRIP_EVERY):
                    return
                self.wfile.write(bytes([byte]))
        except OSError:
            pass  # the client gave up: what this is for


S = TypeVar("S", IdentityCenterStandIn, OktaStandIn, FederationStandIn)


def dripping(standin: S) -> S:
    """Give a stand-in that is not started yet the dripping handler (no path drips at first)."""
    base = standin.handler_class
    standin.handler_class = type(f"Dripping{base.__name__}", (Dripping, base), {})
    standin.drips = {}  # type: ignore[attr-defined]
    standin.drip_stop = threading.Event()  # type: ignore[attr-defined]
    return standin


def stop_dripping(*standins: object) -> None:
    for standin in standins:
        standin.drip_stop.set()  # type: ignore[attr-defined]
        standin.stop()  # type: ignore[attr-defined]


class World:
    """A temporary HOME, the IAM Identity Center and Okta stand-ins, and a scripted browser."""

    def __init__(self, home: Path, idc: IdentityCenterStandIn, okta: OktaStandIn) -> None:
        self.home = home
        self.idc = idc
        self.okta = okta
        self.outputs: list[str] = []
        self.browser_log = home / "browser.log"
        browser = home / "browser"
        browser.write_text(BROWSER.format(python=PYTHON, log=str(self.browser_log)))
        browser.chmod(0o755)
        self.assertion = okta.saml_response()
        (home / "assertion.b64").write_text(self.assertion)
        config = CONFIG.format(assertion=home / "assertion.b64")
        config += OKTA_PROFILE.format(url=okta.base_url, client=okta.client_id, app=okta.app_id)
        write_config(home, config)
        self.env = minimal_env(
            home,
            BROWSER=f"{browser} %s",
            AWSENV_LOGIN_TIMEOUT="20",
            AWSENV_HTTP_TIMEOUT=str(BUDGET),
            AWSENV_SHELL="bash",
            AWS_ENDPOINT_URL_STS=idc.base_url,  # the stand-in scripts STS faults too
            **idc.environ(),
        )

    def run(self, *args: str, debug: bool = False, env: dict[str, str] | None = None) -> Run:
        """Run ``python -I -m awsenv ARGS`` (``--debug`` last when asked) and keep its output."""
        argv = [PYTHON, "-I", "-m", "awsenv", *args, *(["--debug"] if debug else [])]
        out_path, err_path = self.home / "out.txt", self.home / "err.txt"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            started = time.monotonic()
            proc = subprocess.Popen(
                argv, env=env or self.env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(proc.pid, 0)
            ended = time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)
        run = Run(
            proc.returncode,
            out_path.read_text(errors="replace"),
            err_path.read_text(errors="replace"),
            started,
            ended,
            usage.ru_maxrss,
        )
        run.debug = debug or bool(self.env.get("AWSENV_DEBUG"))
        self.outputs.append(run.err)
        if "--keys" not in args:  # exported keys are the point of --keys (and go to eval)
            self.outputs.append(run.out)
        return run

    def browser_urls(self) -> list[str]:
        return self.browser_log.read_text().splitlines() if self.browser_log.exists() else []

    def leaked(self) -> list[str]:
        """Every secret any stand-in issued that appears in any output so far."""
        secrets = [*self.idc.canaries(), *self.okta.canaries(), self.assertion]
        return [s for s in secrets if any(s in text for text in self.outputs)]

    def temp_files(self) -> list[Path]:
        return [p for p in self.home.rglob("*") if p.name.endswith(".tmp")]


@pytest.fixture
def world(home: Path):
    idc = dripping(IdentityCenterStandIn(accounts=ACCOUNTS, auto_approve_device_after_polls=0))
    okta = dripping(OktaStandIn(auto_approve_after_polls=0))
    idc.start()
    okta.start()
    try:
        made = World(home, idc, okta)
        yield made
        assert made.leaked() == []
    finally:
        stop_dripping(idc, okta)


def assert_one_line_failure(run: Run, *needles: str) -> None:
    """Exit 1, nothing on stdout, one error line (plus an optional hint), no traceback."""
    assert run.code == 1, run.err
    assert run.out == ""
    if not run.debug:  # --debug adds the redacted traceback on purpose
        assert "Traceback" not in run.err
    errors = [line for line in run.err.splitlines() if line.startswith("awsenv:")]
    assert errors, run.err
    for needle in needles:
        assert needle in errors[-1], run.err


def error_lines(run: Run) -> str:
    """What awsenv itself said (not the --debug log)."""
    said = [line for line in run.err.splitlines() if line.startswith(("awsenv: ", "  hint: "))]
    return "\n".join(said)


def network_time(world: World, run: Run, operation: str, standin: object = None) -> float:
    """Seconds from the first request to ``operation`` until the process ended."""
    server = standin or world.idc
    first = min(r.at for r in server.requests if r.operation == operation)  # type: ignore[attr-defined]
    return run.ended - first


def seed_token(world: World, *, expires_in: int) -> None:
    """Log in once (device code, approved at once) and move the token's expiry."""
    first = world.run("login", "dev", "--device-code", "--no-browser")
    assert first.code == 0, first.err
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    token.expires_at = int(time.time()) + expires_in
    tokens.save_token(world.env, CORP, token)
    past = time.time() - 10
    os.utime(tokens.token_path(world.env, CORP), (past, past))


# --- T19: 500, 503, reset, stall, slow -----------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "needle", "debug"),
    [
        ([("status", 500)] * 3, "failed (HTTP 500, InternalServerException) 3 times", True),
        ([("status", 503)] * 3, "failed (HTTP 503, ServiceUnavailableException) 3 times", False),
        ([("reset",)] * 3, "cannot reach IAM Identity Center at http://127.0.0.1:", True),
        ([("delay", 60)] * 3, "no answer in time, 3 attempts", False),
    ],
    ids=["500-debug", "503", "reset-debug", "stall"],
)
def test_identity_center_failing_is_retried_three_times_then_one_line(world, steps, needle, debug):
    world.idc.script("RegisterClient", steps)
    run = world.run("login", "dev", "--device-code", "--no-browser", debug=debug)
    assert_one_line_failure(run, needle)
    assert str(world.idc.port or urlsplit(world.idc.base_url).port) in run.err
    assert world.idc.calls.get("RegisterClient") == 3
    assert world.idc.calls.get("StartDeviceAuthorization") is None
    assert network_time(world, run, "RegisterClient") <= BOUND
    assert world.temp_files() == []
    if debug:
        assert "HTTP POST 127.0.0.1:" in run.err
        assert "/client/register" in run.err


@pytest.mark.parametrize("status", [500, 503])
def test_a_transient_failure_is_retried_and_the_login_succeeds(world, status):
    world.idc.script("RegisterClient", [("status", status), ("reset",)])
    world.idc.script("StartDeviceAuthorization", [("delay", 0.2)])  # slow, within the timeout
    run = world.run("login", "dev", "--device-code", "--no-browser", debug=True)
    assert run.code == 0, run.err
    assert world.idc.calls.get("RegisterClient") == 3
    assert world.idc.authorizations == 1


def test_device_polling_failing_ends_with_one_line(world):
    world.idc.script("CreateToken", [("status", 500)] * 3)
    run = world.run("login", "dev", "--device-code", "--no-browser")
    assert_one_line_failure(run, "IAM Identity Center at 127.0.0.1:", "HTTP 500")
    assert world.idc.calls.get("CreateToken") == 3
    assert tokens.load_token(world.env, CORP) is None


@pytest.mark.parametrize(
    ("steps", "needle"),
    [
        ([("status", 503)] * 3, "failed (HTTP 503, ServiceUnavailableException) 3 times"),
        ([("reset",)] * 3, "cannot reach IAM Identity Center at http://127.0.0.1:"),
        ([("delay", 60)] * 3, "no answer in time"),
    ],
    ids=["503", "reset", "stall"],
)
def test_portal_failing_while_fetching_role_credentials(world, steps, needle):
    seed_token(world, expires_in=8 * 3600)
    world.idc.script("GetRoleCredentials", steps)
    run = world.run("use", "dev", "--keys", debug=True)
    assert_one_line_failure(run, needle)
    assert world.idc.calls.get("GetRoleCredentials") == 3
    assert network_time(world, run, "GetRoleCredentials") <= BOUND


def test_refresh_failing_with_an_expired_token_fails_without_a_browser(world):
    seed_token(world, expires_in=-60)
    world.idc.script("CreateToken", [("status", 503)] * 3)
    run = world.run("login", "dev", debug=True)
    assert_one_line_failure(run, "HTTP 503", "3 times")
    assert world.idc.grant_calls("refresh_token") == 3
    assert world.browser_urls() == []
    assert world.idc.authorizations == 1  # the seeding login only


def test_refresh_failing_with_a_token_still_valid_keeps_using_it(world):
    seed_token(world, expires_in=300)  # inside the 15-minute refresh window
    world.idc.script("CreateToken", [("reset",)] * 3)
    run = world.run("login", "dev", debug=True)
    assert run.code == 0, run.err
    assert "already logged in" in run.err
    assert world.idc.grant_calls("refresh_token") == 3
    assert world.browser_urls() == []


@pytest.mark.parametrize(
    ("steps", "needle"),
    [
        ([("status", 503)] * 3, "failed the device authorization (HTTP 503"),
        ([("reset",)] * 3, "cannot reach Okta at http://127.0.0.1:"),
        ([("delay", 60)] * 3, "timed out"),
    ],
    ids=["503", "reset", "stall"],
)
def test_okta_failing_is_retried_three_times_then_one_line(world, steps, needle):
    world.okta.script("DeviceAuthorize", steps)
    run = world.run("use", "okta-prod", "--keys", debug=True)
    assert_one_line_failure(run, needle)
    assert world.okta.calls.get("DeviceAuthorize") == 3
    assert network_time(world, run, "DeviceAuthorize", world.okta) <= BOUND


def test_okta_transient_failures_then_success(world):
    world.okta.script("DeviceAuthorize", [("status", 503), ("reset",)])
    world.okta.script("Token", [("delay", 0.2)])
    sts_error = "<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>"
    world.idc.script("Sts", [("raw", 500, sts_error, "text/xml")])
    run = world.run("use", "okta-prod", "--keys")
    # STS is the Identity Center stand-in here: after its scripted 500, it answers that it only
    # knows GetCallerIdentity, which proves the retry reached it; the Okta part got through.
    assert world.okta.calls.get("DeviceAuthorize") == 3
    assert world.okta.assertions == 2  # the fixture's own, and this sign-in's
    assert world.idc.calls.get("Sts") == 2
    assert_one_line_failure(run, "InvalidAction")


def test_okta_refresh_failing_does_not_start_a_new_sign_in(world):
    from awsenv import okta

    world.run("use", "okta-prod", "--keys")  # signs in (STS here is not real: it fails after)
    path = Path(okta.okta_token_cache_path(world.env, world.okta.base_url, world.okta.client_id))
    cached = json.loads(path.read_text())
    cached["expires_at"] = int(time.time()) - 60
    path.write_text(json.dumps(cached))
    world.okta.script("Token", [("status", 503)] * 3)
    run = world.run("use", "okta-prod", "--keys", debug=True)
    assert_one_line_failure(run, "failed the refresh of the sign-in (HTTP 503", "3 times")
    assert world.okta.grant_calls("refresh_token") == 3
    assert world.okta.calls.get("DeviceAuthorize") == 1  # the first sign-in only


@pytest.mark.parametrize(
    ("steps", "needle", "calls"),
    [
        ([("status", 500)] * 3, "AssumeRoleWithSAML with something that cannot be read", 1),
        ([("raw", 503, "<Error><Code>Busy</Code></Error>", "text/xml")] * 3, "HTTP 503", 3),
        ([("reset",)] * 3, "cannot reach STS at http://127.0.0.1:", 3),
        ([("delay", 60)] * 3, "cannot reach STS at http://127.0.0.1:", 3),
    ],
    ids=["500-json", "503-xml", "reset", "stall"],
)
def test_sts_failing_for_a_saml_profile(world, steps, needle, calls):
    world.idc.script("Sts", steps)
    run = world.run("use", "corp-saml", "--keys", debug=True)
    assert_one_line_failure(run, needle)
    assert "scripted" not in error_lines(run)  # the body is never shown
    assert world.idc.calls.get("Sts") == calls
    assert network_time(world, run, "Sts") <= BOUND


def _sts_credentials(action: str, expiration: str) -> str:
    return (
        f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><{action}Result>'
        "<Credentials><AccessKeyId>ASIAABSURD</AccessKeyId>"
        "<SecretAccessKey>s-CANARY-sts-absurd</SecretAccessKey>"
        "<SessionToken>t-CANARY-sts-absurd</SessionToken>"
        f"<Expiration>{expiration}</Expiration></Credentials>"
        f"<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/OktaAdmin/x</Arn>"
        "<AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>"
        f"</{action}Result></{action}Response>"
    )


STS_EXPIRATIONS = ["1000-01-01T00:00:00Z", "2001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]


@pytest.mark.parametrize("expiration", STS_EXPIRATIONS, ids=["year-1000", "past", "year-9999"])
def test_an_absurd_sts_expiry_for_a_saml_profile_is_one_line(world, expiration):
    """Finding 16.4 for STS: the same check as GetRoleCredentials', nothing cached."""
    answer = _sts_credentials("AssumeRoleWithSAML", expiration)
    world.idc.script("Sts", [("raw", 200, answer, "text/xml")])
    run = world.run("use", "corp-saml", "--keys")
    assert_one_line_failure(run, "STS at http://127.0.0.1:", "expiration")
    assert "bug in awsenv" not in run.err
    assert "CANARY" not in run.err
    assert not list((world.home / ".cache").rglob("saml/*.json"))


# --- T19: servers that answer one byte at a time -------------------------------------------------

ASSUMED_ROLE = """
[profile static-keys]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

[profile assumed]
role_arn = arn:aws:iam::123456789012:role/Admin
source_profile = static-keys
region = us-east-1
"""


def since(standin: object, operation: str, started: float, grant: str | None = None) -> float:
    """Return when ``operation`` (with ``grant``, if given) first came after ``started``."""
    return min(
        r.at
        for r in standin.requests  # type: ignore[attr-defined]
        if r.operation == operation and r.at >= started and (grant is None or r.grant == grant)
    )


def _assume_role_profile(world: World) -> None:
    config = world.home / ".aws" / "config"
    config.write_text(config.read_text() + ASSUMED_ROLE)


@pytest.fixture
def federation_standin(world):
    standin = dripping(FederationStandIn())
    standin.start()
    world.env.update(standin.environ())
    yield standin
    stop_dripping(standin)


DRIP_CALLS = [
    # (id, stand-in, path, operation, setup, command, what the one line says)
    (
        "oidc-device-auth",
        "idc",
        "/device_authorization",
        "StartDeviceAuthorization",
        None,
        ["login", "dev", "--device-code", "--no-browser"],
        "cannot reach IAM Identity Center at",
    ),
    (
        "oidc-create-token",
        "idc",
        "/token",
        "CreateToken",
        None,
        ["login", "dev", "--device-code", "--no-browser"],
        "cannot reach IAM Identity Center at",
    ),
    (
        "portal-role-credentials",
        "idc",
        "/federation/credentials",
        "GetRoleCredentials",
        "sso-token",
        ["use", "dev", "--keys"],
        "cannot reach IAM Identity Center at",
    ),
    (
        "sts-assume-role",
        "idc",
        "/",
        "Sts",
        "role-profile",
        ["use", "assumed", "--keys"],
        "cannot reach STS",
    ),
    (
        "okta-token",
        "okta",
        "/oauth2/v1/token",
        "Token",
        None,
        ["use", "okta-prod", "--keys"],
        # a poll cut off after the org answered it may have spent the device code: the retry
        # is then refused (HTTP 400), which is as good an end as "cannot reach"
        "Okta at http://127.0.0.1:",
    ),
    (
        "federation-signin-token",
        "federation",
        "/federation",
        "GetSigninToken",
        "sso-token",
        ["console", "dev", "--print"],
        "cannot reach the federation endpoint",
    ),
]


@pytest.mark.parametrize("mode", ["headers", "body"])
@pytest.mark.parametrize(
    ("server", "path", "operation", "setup", "command", "needle"),
    [pytest.param(*case[1:], id=case[0]) for case in DRIP_CALLS],
)
def test_a_server_dripping_its_answer_is_cut_off_by_the_deadline(
    world, request, mode, server, path, operation, setup, command, needle
):
    standin = (
        request.getfixturevalue("federation_standin")
        if server == "federation"
        else getattr(world, server)
    )
    if setup == "sso-token":
        seed_token(world, expires_in=8 * 3600)
    elif setup == "role-profile":
        _assume_role_profile(world)
    standin.drips[path] = mode
    started = time.monotonic()
    run = world.run(*command, env={**world.env, "AWSENV_HTTP_TIMEOUT": str(DRIP_BUDGET)})
    assert_one_line_failure(run, needle)
    assert run.ended - since(standin, operation, started) < DRIP_BOUND
    assert standin.calls.get(operation, 0) >= 2  # tried again, within the same bound


@pytest.mark.parametrize("mode", ["headers", "body"])
def test_use_keeps_a_still_valid_token_when_its_refresh_drips(world, mode):
    seed_token(world, expires_in=300)  # valid, but inside the 15-minute refresh window
    world.idc.drips["/token"] = (mode, "refresh_token")
    started = time.monotonic()
    run = world.run(
        "use", "dev", "--keys", env={**world.env, "AWSENV_HTTP_TIMEOUT": str(DRIP_BUDGET)}
    )
    assert run.code == 0, run.err
    assert "export AWS_ACCESS_KEY_ID=" in run.out
    assert world.idc.grant_calls("refresh_token") == 3
    assert run.ended - since(world.idc, "CreateToken", started, "refresh_token") < DRIP_BOUND
    assert world.browser_urls() == []
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    assert token.expires_at - time.time() < 300  # the cached token, not a new one


def test_okta_keeps_a_still_valid_sign_in_when_its_refresh_drips(world):
    # Headers only: the org rotates refresh tokens, so once one answer arrived whole (a body
    # drip sends the status at once) the next try is refused, and a refused refresh signs in.
    mode = "headers"
    from awsenv import okta

    world.run("use", "okta-prod", "--keys")  # signs in (STS here is not real: it fails after)
    path = Path(okta.okta_token_cache_path(world.env, world.okta.base_url, world.okta.client_id))
    cached = json.loads(path.read_text())
    cached["expires_at"] = int(time.time()) + 100  # valid, but inside the refresh window
    path.write_text(json.dumps(cached))
    world.okta.drips["/oauth2/v1/token"] = (mode, "refresh_token")
    sts_calls = world.idc.calls.get("Sts", 0)
    opened = world.browser_urls()
    started = time.monotonic()
    run = world.run(
        "use", "okta-prod", "--keys", env={**world.env, "AWSENV_HTTP_TIMEOUT": str(DRIP_BUDGET)}
    )
    assert world.okta.grant_calls("refresh_token") == 3, run.err
    refreshed = since(world.okta, "Token", started, "refresh_token")
    exchanged = since(world.okta, "Token", started, "token_exchange")
    assert exchanged - refreshed < DRIP_BOUND  # the refresh gave up in time...
    assert "using the cached Okta sign-in" in run.err  # ...and the cached sign-in went on
    assert world.okta.calls.get("DeviceAuthorize") == 1  # no new sign-in
    assert world.idc.calls.get("Sts", 0) == sts_calls + 1  # to STS, with the SAML assertion
    assert world.browser_urls() == opened


# --- T22: huge, nested, HTML, wrong content type, 10 000 roles ------------------------------------


def test_a_huge_answer_is_refused_unread_without_a_memory_blow_up(world):
    world.idc.script("RegisterClient", [("huge_body", 50 * 1024 * 1024)])
    run = world.run("login", "dev", "--device-code", "--no-browser", debug=True)
    assert_one_line_failure(run, "larger than 1048576 bytes", "RegisterClient")
    assert world.idc.calls.get("RegisterClient") == 1  # not retried
    assert run.rss_kib < 200 * 1024
    assert "xxxxxxxx" not in run.err


def test_a_huge_okta_answer_is_refused(world):
    world.okta.script("DeviceAuthorize", [("huge_body", 50 * 1024 * 1024)])
    run = world.run("use", "okta-prod", "--keys")
    assert_one_line_failure(run, "larger than 1048576 bytes")
    assert run.rss_kib < 200 * 1024


@pytest.fixture
def in_process(world, monkeypatch):
    """Run awsenv's login in this process against the world's stand-ins (no start-up cost)."""
    for name, value in world.env.items():
        monkeypatch.setenv(name, value)

    def login(**options: object) -> object:
        from awsenv.sso import login as sso_login

        return sso_login.ensure_token(
            dict(os.environ),
            CORP,
            profile=None,
            settings={},
            options=sso_login.LoginOptions(device_code=True, **options),  # type: ignore[arg-type]
            ui=LoginUI(),
        )

    return login


@pytest.mark.parametrize(
    ("operation", "status", "body", "content_type", "needle"),
    [
        ("RegisterClient", 200, "[" * 200_000, "application/json", "nested too deeply"),
        ("RegisterClient", 500, HTML_PAGE, "text/html", "HTTP 500"),
        ("CreateToken", 200, '{"accessToken": "a-CANARY"}', "application/json", "expiresIn"),
    ],
    ids=["nested", "html-500", "no-expiry"],
)
def test_hostile_identity_center_answers_end_in_one_line(
    world, operation, status, body, content_type, needle
):
    world.idc.script(operation, [("raw", status, body, content_type)] * 3)
    run = world.run("login", "dev", "--device-code", "--no-browser", debug=True)
    assert_one_line_failure(run, needle)
    assert "BODY-MARKER" not in error_lines(run)
    assert "[[[[" not in error_lines(run)


@pytest.mark.parametrize(
    ("operation", "status", "body", "content_type", "needle"),
    [
        ("RegisterClient", 200, HTML_PAGE, "text/html", "without clientSecret"),
        ("RegisterClient", 200, '{"clientId": 5}', "application/json", "without clientSecret"),
        ("RegisterClient", 200, "null", "application/json", "cannot be read"),
        ("RegisterClient", 200, "", "application/json", "without clientSecret"),
        ("RegisterClient", 404, HTML_PAGE, "text/html", "refused the login"),
        ("StartDeviceAuthorization", 200, "{}", "application/json", "without deviceCode"),
        ("StartDeviceAuthorization", 200, "[1, 2]", "application/json", "cannot be read"),
        ("CreateToken", 200, '{"expiresIn": 10}', "application/json", "without accessToken"),
        (
            "CreateToken",
            200,
            '{"accessToken": "a-CANARY", "expiresIn": "soon"}',
            "application/json",
            "cannot be read",
        ),
    ],
)
def test_hostile_identity_center_answers_in_process(
    in_process, world, operation, status, body, content_type, needle
):
    world.idc.script(operation, [("raw", status, body, content_type)] * 3)
    with pytest.raises(AwsenvError) as caught:
        in_process()
    message = caught.value.message
    assert needle in message
    assert "\n" not in message
    assert "BODY-MARKER" not in message
    assert f"127.0.0.1:{urlsplit(world.idc.base_url).port}" in message


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("{}", "without roleCredentials"),
        ('{"roleCredentials": []}', "cannot be read"),
        ('{"roleCredentials": {"accessKeyId": "AKIA"}}', "without keys"),
        (
            '{"roleCredentials": {"accessKeyId": "A", "secretAccessKey": "s-CANARY-1"}}',
            "without a valid expiration",
        ),
        (
            '{"roleCredentials": {"accessKeyId": "A", "secretAccessKey": "s-CANARY-1",'
            ' "expiration": "tomorrow"}}',
            "cannot be read",
        ),
        ("<html>BODY-MARKER</html>", "without roleCredentials"),
    ],
)
def test_hostile_portal_answers_in_process(world, monkeypatch, body, needle):
    from awsenv.sso import portal

    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    world.idc.script("GetRoleCredentials", [("raw", 200, body, "application/json")])
    with pytest.raises(AwsenvError) as caught:
        portal.role_credentials(
            dict(os.environ), CORP, "token-CANARY", "111111111111", "Admin", profile=None
        )
    assert needle in caught.value.message
    assert "CANARY" not in caught.value.message
    assert "BODY-MARKER" not in caught.value.message


ROLE_ANSWER = (
    '{"roleCredentials": {"accessKeyId": "ASIAABSURD", "secretAccessKey": "s-CANARY-absurd",'
    ' "sessionToken": "t-CANARY-absurd", "expiration": %s}}'
)


@pytest.mark.parametrize(
    "expiration",
    [
        "1e30",
        "-1",
        "NaN",
        "Infinity",
        "1e400",
        '"tomorrow"',
        '"1700000000000"',
        "1000",
        "253402300800000",
    ],
    ids=[
        "1e30",
        "minus-1",
        "nan",
        "infinity",
        "1e400",
        "text",
        "past-as-text",
        "past",
        "year-10000",
    ],
)
def test_an_absurd_role_credentials_expiry_is_one_line_and_nothing_is_cached(world, expiration):
    """Finding 16.4: an expiry no credentials can have is an unusable answer, not a bug."""
    seed_token(world, expires_in=8 * 3600)
    world.idc.script(
        "GetRoleCredentials", [("raw", 200, ROLE_ANSWER % expiration, "application/json")]
    )
    run = world.run("use", "dev", "--keys")
    assert_one_line_failure(
        run, f"IAM Identity Center at 127.0.0.1:{urlsplit(world.idc.base_url).port}"
    )
    assert "bug in awsenv" not in run.err
    assert len(error_lines(run).splitlines()) <= 2  # the line and at most a hint
    assert "CANARY" not in run.err
    cached = list((world.home / ".aws" / "cli" / "cache").glob("*.json"))
    assert cached == []
    assert world.idc.calls.get("GetRoleCredentials") == 1


def test_an_absurd_token_lifetime_is_taken_as_a_year(in_process, world):
    answer = '{"accessToken": "a-CANARY", "expiresIn": 99999999999999999}'
    world.idc.script("CreateToken", [("raw", 200, answer, "application/json")])
    in_process()
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    assert token.expires_at <= time.time() + oidc.MAX_TOKEN_LIFETIME + 60


@pytest.mark.parametrize(
    ("operation", "status", "body", "content_type", "needle"),
    [
        ("DeviceAuthorize", 200, HTML_PAGE, "text/html", "text/html"),
        ("DeviceAuthorize", 500, HTML_PAGE, "text/html", "HTTP 500"),
        ("DeviceAuthorize", 200, "[" * 200_000, "application/json", "not a JSON object"),
    ],
    ids=["html-200", "html-500", "nested"],
)
def test_hostile_okta_answers_end_in_one_line(world, operation, status, body, content_type, needle):
    world.okta.script(operation, [("raw", status, body, content_type)] * 3)
    run = world.run("use", "okta-prod", "--keys", debug=True)
    assert_one_line_failure(run, needle)
    assert "BODY-MARKER" not in error_lines(run)


def _roles_assertion(count: int) -> str:
    values = "".join(
        f"<AttributeValue>arn:aws:iam::123456789012:role/r{i},"
        f"arn:aws:iam::123456789012:saml-provider/p</AttributeValue>"
        for i in range(count)
    )
    xml = (
        '<Response xmlns="urn:oasis:names:tc:SAML:2.0:protocol"><Assertion><AttributeStatement>'
        f'<Attribute Name="{saml.ROLE_ATTRIBUTE}">{values}</Attribute>'
        "</AttributeStatement></Assertion></Response>"
    )
    return base64.b64encode(xml.encode()).decode()


def test_a_saml_response_with_ten_thousand_roles_is_read_quickly():
    text = _roles_assertion(9_000)  # just under the 1 MiB cap
    started = time.monotonic()
    parsed = saml.parse(text)
    assert len(parsed.roles) == 9_000
    chosen = saml.choose(parsed.roles, preset="r8999", picker=None)
    assert chosen.role_arn.endswith("role/r8999")
    assert time.monotonic() - started < 5  # quadratic de-duplication took minutes here
    with pytest.raises(saml.SamlError) as caught:
        saml.parse(_roles_assertion(10_000))
    assert "larger than" in caught.value.message


def test_okta_saml_page_with_ten_thousand_roles_is_refused_by_the_cap(world):
    world.okta.roles = [
        (f"arn:aws:iam::123456789012:role/r{i}", "arn:aws:iam::123456789012:saml-provider/Okta")
        for i in range(10_000)
    ]
    run = world.run("use", "okta-prod", "--keys")
    assert_one_line_failure(run, "larger than 1048576 bytes")
    assert run.rss_kib < 200 * 1024


# --- T20: device flow polling --------------------------------------------------------------------


class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake_idc(monkeypatch):
    """An Identity Center stand-in and oidc clients on a fake clock; records poll times."""
    fake = FakeTime()
    epoch = time.time() - fake.now
    standin = IdentityCenterStandIn(accounts=ACCOUNTS, interval=2, clock=lambda: epoch + fake.now)
    standin.start()
    for name, value in standin.environ().items():
        monkeypatch.setenv(name, value)
    polls: list[float] = []
    real_client = oidc.client

    def recording_client(*args, **kwargs):
        made = real_client(*args, **kwargs)
        made.meta.events.register(
            "before-call.sso-oidc.CreateToken", lambda **_: polls.append(fake.now)
        )
        return made

    monkeypatch.setattr(oidc, "client", recording_client)
    yield standin, fake, polls
    standin.stop()


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in zip(times, times[1:])]


def test_device_polling_honours_interval_and_slows_down_by_five_seconds(fake_idc):
    standin, fake, polls = fake_idc
    standin.auto_approve_device_after_polls = 0
    standin.script(
        "CreateToken",
        [("error", "authorization_pending"), ("error", "slow_down"), ("error", "slow_down")],
    )
    token = oidc.device_login(
        dict(os.environ), CORP, profile=None, ui=LoginUI(), sleep=fake.sleep, clock=fake.clock
    )
    assert token.access_token in standin.canaries()
    assert gaps(polls) == [2, 7, 12]  # interval 2; +5 after each slow_down (RFC 8628 §3.5)


def test_device_polling_stops_when_the_code_expires(fake_idc):
    standin, fake, polls = fake_idc
    standin.device_expires_in = 5
    with pytest.raises(oidc.LoginFailed) as caught:
        oidc.device_login(
            dict(os.environ), CORP, profile=None, ui=LoginUI(), sleep=fake.sleep, clock=fake.clock
        )
    assert "expired" in caught.value.message
    assert gaps(polls) == [2, 2, 1]  # 0, 2, 4, then the last second: expired at 5
    assert fake.now - polls[0] <= 5 + 0.01


def test_device_polling_stops_at_the_login_timeout_before_expires_in(fake_idc):
    _standin, fake, polls = fake_idc
    with pytest.raises(oidc.LoginFailed) as caught:
        oidc.device_login(
            dict(os.environ),
            CORP,
            profile=None,
            ui=LoginUI(),
            sleep=fake.sleep,
            clock=fake.clock,
            timeout=3,
        )
    assert "expired" in caught.value.message
    assert fake.now - polls[0] <= 3 + 0.01
    assert len(polls) == 3


@pytest.mark.parametrize(
    ("error", "needle"),
    [("access_denied", "denied"), ("expired_token", "expired")],
)
def test_device_polling_denied_or_expired_by_the_server(fake_idc, error, needle):
    standin, fake, polls = fake_idc
    standin.script("CreateToken", [("error", "authorization_pending"), ("error", error)])
    with pytest.raises(oidc.LoginFailed) as caught:
        oidc.device_login(
            dict(os.environ), CORP, profile=None, ui=LoginUI(), sleep=fake.sleep, clock=fake.clock
        )
    assert needle in caught.value.message
    assert len(polls) == 2


def test_device_polling_spacing_in_real_time(world):
    world.idc.auto_approve_device_after_polls = 2
    world.idc.enforce_interval = True  # a poll sooner than the interval would get slow_down
    run = world.run("login", "dev", "--device-code", "--no-browser")
    assert run.code == 0, run.err
    times = [
        r.at
        for r in world.idc.requests
        if r.operation == "CreateToken" and r.grant == "device_code"
    ]
    assert len(times) == 3  # immediate, +1 s, +2 s: approved on the third poll, no slow_down
    for gap in gaps(times):
        assert 0.95 <= gap <= 3.0


# --- T21: refresh token, revoked and expired registrations ---------------------------------------


def test_an_expired_refresh_token_leads_to_exactly_one_login(world):
    seed_token(world, expires_in=-60)
    world.idc.revoke_refresh_tokens()
    run = world.run("login", "dev", "--device-code", "--no-browser", debug=True)
    assert run.code == 0, run.err
    assert world.idc.grant_calls("refresh_token") == 1
    assert world.idc.calls.get("StartDeviceAuthorization") == 2
    assert world.idc.authorizations == 2
    assert world.idc.calls.get("RegisterClient") == 1  # the registration is still good


def test_a_revoked_registration_is_replaced_and_the_login_runs_once(world):
    seed_token(world, expires_in=-60)
    world.idc.revoke_clients()
    run = world.run("login", "dev", "--device-code", "--no-browser", debug=True)
    assert run.code == 0, run.err
    assert world.idc.grant_calls("refresh_token") == 1  # invalid_client
    assert world.idc.calls.get("RegisterClient") == 2
    assert world.idc.authorizations == 2
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    assert token.expires_at > time.time() + 3600


def test_a_revoked_registration_during_a_device_login_is_replaced_once(world):
    seed_token(world, expires_in=8 * 3600)
    os.unlink(tokens.token_path(world.env, CORP))  # logged out, registration still cached
    world.idc.revoke_clients()
    run = world.run("login", "dev", "--device-code", "--no-browser")
    assert run.code == 0, run.err
    assert world.idc.calls.get("RegisterClient") == 2
    assert world.idc.calls.get("StartDeviceAuthorization") == 3  # seed, refused, then fine
    world.idc.revoke_clients()
    os.unlink(tokens.token_path(world.env, CORP))
    world.idc.script("RegisterClient", [("error", "invalid_client")])
    again = world.run("login", "dev", "--device-code", "--no-browser")
    assert_one_line_failure(again, "InvalidClientException")  # no loop: one new registration


def test_an_expired_registration_is_replaced_without_trying_to_refresh(world):
    seed_token(world, expires_in=-60)
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    token.registration_expires_at = int(time.time()) - 10
    tokens.save_token(world.env, CORP, token)
    path = tokens.registration_path(world.env, CORP)
    data = json.loads(Path(path).read_text())
    data["expiresAt"] = "2020-01-01T00:00:00Z"
    Path(path).write_text(json.dumps(data))
    run = world.run("login", "dev", "--device-code", "--no-browser")
    assert run.code == 0, run.err
    assert world.idc.grant_calls("refresh_token") == 0
    assert world.idc.calls.get("RegisterClient") == 2
    assert world.idc.authorizations == 2


# --- T18: expiries and clocks --------------------------------------------------------------------


def test_short_token_lifetimes_refresh_once_per_run_never_in_a_loop(world):
    world.idc.access_token_lifetime = 120  # always inside the 15-minute refresh window
    assert world.run("login", "dev", "--device-code", "--no-browser").code == 0
    for expected in (1, 2):
        run = world.run("login", "dev")
        assert run.code == 0, run.err
        assert world.idc.grant_calls("refresh_token") == expected
    assert world.idc.authorizations == 1


def test_a_token_already_expired_when_issued_is_refused_once(world):
    world.idc.access_token_lifetime = 0
    run = world.run("login", "dev", "--device-code", "--no-browser")
    assert_one_line_failure(run, "already expired")
    assert world.idc.calls.get("CreateToken") == 1


@pytest.mark.parametrize("offset", [-7200, 7200])
def test_server_clock_offsets_do_not_change_the_token_lifetime(world, offset):
    world.idc.clock = lambda: time.time() + offset
    run = world.run("login", "dev", "--device-code", "--no-browser")
    assert run.code == 0, run.err
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    assert abs(token.expires_at - (time.time() + world.idc.access_token_lifetime)) < 120
    again = world.run("login", "dev")
    assert "already logged in" in again.err
    assert world.idc.calls.get("CreateToken") == 1


# --- T23/T24: the PKCE callback listener ---------------------------------------------------------


def http(method: str, url: str, timeout: float = 5) -> int:
    """Return the status of one request; 0 when the server cut the connection instead."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (ConnectionError, urllib.error.URLError):
        return 0


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def bogus_requests(port: int) -> list[tuple[str, str, int]]:
    """Send every kind of wrong request (state "s" is wrong in a real login); return statuses."""
    root = f"http://127.0.0.1:{port}"
    base = root + "/oauth/callback"
    cases = [
        ("wrong state", "GET", f"{base}?code=c&state=wrong"),
        ("missing state", "GET", f"{base}?code=c"),
        ("empty state", "GET", f"{base}?code=c&state="),
        ("state twice", "GET", f"{base}?code=c&state=s&state=s"),
        ("code twice", "GET", f"{base}?code=c&code=d&state=s"),
        ("error, wrong state", "GET", f"{base}?error=access_denied&state=wrong"),
        ("error, no state", "GET", f"{base}?error=access_denied"),
        ("wrong path", "GET", f"{root}/?code=c&state=s"),
        ("path prefix", "GET", f"{root}/oauth/callbackx?code=c&state=s"),
        ("HEAD", "HEAD", f"{base}?code=c&state=s"),
        ("POST", "POST", f"{base}?code=c&state=s"),
        ("PUT", "PUT", f"{base}?code=c&state=s"),
        ("very long query", "GET", f"{base}?code=c&state=s&pad={'x' * 70000}"),
        ("many fields", "GET", f"{base}?state=s&code=c&" + "&".join(f"f{i}=1" for i in range(500))),
    ]
    return [(what, method, http(method, url)) for what, method, url in cases]


def refusal(what: str, status: int) -> bool:
    """A 4xx; a request line over 64 KiB may also be cut off after its 414."""
    return 400 <= status < 500 or (status == 0 and what == "very long query")


def test_callback_refuses_every_wrong_request_and_keeps_waiting():
    with CallbackServer("s") as server:
        assert server.address == ("127.0.0.1", server.port)
        answers = bogus_requests(server.port)
        assert server.wait(0.05) is None
        for what, _method, status in answers:
            assert refusal(what, status), (what, status)
        assert http("GET", server.redirect_uri + "?code=good&state=s") == 200
        result = server.wait(1)
        assert result is not None
        assert (result.code, result.error) == ("good", None)
        assert http("GET", server.redirect_uri + "?code=late&state=s") == 404
        started = time.monotonic()
    assert time.monotonic() - started < 1
    assert refused(server.port)


def test_callback_error_with_the_right_state_ends_the_wait_with_a_short_message():
    with CallbackServer("s") as server:
        long_error = "denied\x1b[31m" + "x" * 500
        url = server.redirect_uri + "?state=s&error=" + urllib.request.quote(long_error)
        assert http("GET", url) == 200
        result = server.wait(1)
    assert result is not None
    assert result.code is None
    assert result.error is not None
    assert len(result.error) <= 100
    assert "\x1b" not in result.error
    assert refused(server.port)


def test_fifty_idle_connections_do_not_hold_up_the_real_callback():
    with CallbackServer("s") as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(50)]
        half = socket.create_connection(("127.0.0.1", server.port))
        half.sendall(b"GET /oauth/callback?code=x&st")  # an unfinished request line
        started = time.monotonic()
        assert http("GET", server.redirect_uri + "?code=good&state=s", timeout=3) == 200
        assert time.monotonic() - started < 2
        result = server.wait(1)
        assert result is not None
        assert result.code == "good"
        closing = time.monotonic()
    assert time.monotonic() - closing < 1  # idle clients are cut, not waited for
    assert refused(server.port)
    for sock in [*idle, half]:
        sock.settimeout(2)
        assert sock.recv(1) == b""  # the server closed them
        sock.close()


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_more_connections_than_the_cap_are_closed_and_the_callback_still_works():
    with CallbackServer("s") as server:
        held = server._server.connections
        idle = [
            socket.create_connection(("127.0.0.1", server.port))
            for _ in range(MAX_CONNECTIONS + 20)
        ]
        for sock in idle[MAX_CONNECTIONS:]:
            sock.settimeout(5)
            assert sock.recv(1) == b""  # over the cap: closed unanswered
        wait_for(lambda: len(held) == MAX_CONNECTIONS)
        for sock in idle[:10]:
            sock.close()  # the oldest idle clients go away (or time out)...
        wait_for(lambda: len(held) <= MAX_CONNECTIONS - 10)
        # ...and the browser gets through
        assert http("GET", server.redirect_uri + "?code=good&state=s", timeout=3) == 200
        assert server.wait(1) is not None
    for sock in idle:
        sock.close()
    assert refused(server.port)


def test_listener_closes_within_a_second_after_a_timeout():
    with CallbackServer("s") as server:
        port = server.port
        idle = socket.create_connection(("127.0.0.1", port))
        assert server.wait(0.2) is None  # the login gave up
        started = time.monotonic()
    assert time.monotonic() - started < 1
    assert refused(port)
    idle.close()


class BogusFirstBrowser(LoginUI):
    """A browser that a local attacker races: bogus callbacks first, then the real sign-in."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str, int]] = []
        self.errors: list[str] = []

    def open_url(self, url: str, *, user_code: str | None) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        port = urlsplit(redirect).port
        assert port is not None

        def browse() -> None:
            try:
                self.answers = bogus_requests(port)
                page = urllib.request.urlopen(url, timeout=10).read()  # redirected to awsenv
                if b"Signed in" not in page:
                    self.errors.append("the browser did not get the signed-in page")
            except Exception as exc:
                self.errors.append(repr(exc))

        self.thread = threading.Thread(target=browse, daemon=True)
        self.thread.start()


def test_bogus_callbacks_never_abort_a_pkce_login(home, monkeypatch):
    with IdentityCenterStandIn(accounts=ACCOUNTS) as standin:
        for name, value in standin.environ().items():
            monkeypatch.setenv(name, value)
        ui = BogusFirstBrowser()
        token = oidc.pkce_login(dict(os.environ), CORP, profile=None, ui=ui, timeout=20)
    assert token.access_token in standin.canaries()
    ui.thread.join(10)
    assert ui.errors == []  # the browser got the whole "Signed in" page
    assert ui.answers
    assert all(refusal(what, status) for what, _, status in ui.answers), ui.answers
    assert standin.authorizations == 1


# --- T12: Ctrl-C while waiting -------------------------------------------------------------------


def _interrupt(world: World, args: list[str], marker: str) -> tuple[subprocess.Popen, str, float]:
    proc = subprocess.Popen(
        [PYTHON, "-I", "-m", "awsenv", *args],
        env={**world.env, "BROWSER": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            break
    time.sleep(0.3)  # well inside the wait
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    took = time.monotonic() - sent
    return proc, "".join(seen) + proc.stderr.read(), took


def test_ctrl_c_during_the_pkce_wait(world):
    proc, err, took = _interrupt(world, ["use", "dev", "--no-browser"], "waiting")
    assert proc.returncode == 130
    assert took < 1.0, took
    assert proc.stdout is not None
    assert proc.stdout.read() == ""
    url = next(line.strip() for line in err.splitlines() if "/authorize?" in line)
    redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
    port = urlsplit(redirect).port
    assert port is not None
    assert refused(port)
    assert tokens.load_token(world.env, CORP) is None
    assert world.temp_files() == []
    world.outputs.append(err)


def test_ctrl_c_during_device_polling(world):
    world.idc.auto_approve_device_after_polls = None
    proc, err, took = _interrupt(
        world, ["use", "dev", "--device-code", "--no-browser"], "waiting for approval"
    )
    assert proc.returncode == 130
    assert took < 1.0, took
    assert proc.stdout is not None
    assert proc.stdout.read() == ""
    assert tokens.load_token(world.env, CORP) is None
    assert world.temp_files() == []
    world.outputs.append(err)


# --- T25: URLs a server wants opened -------------------------------------------------------------


def _start_answer(url: str) -> str:
    return json.dumps(
        {
            "deviceCode": "devicecode.CANARY-hostile",
            "userCode": "ABCD-EFGH",
            "verificationUri": url,
            "verificationUriComplete": url,
            "expiresIn": 600,
            "interval": 1,
        }
    )


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("https://evil.example.com/device?user_code=ABCD", "on evil.example.com"),
        ("javascript:alert(document.cookie)", "with scheme javascript:"),
        ("https://evil.example.com\x1b]0;pwned\x07/", "with scheme"),
    ],
    ids=["other-host", "javascript", "escape"],
)
def test_a_device_url_off_the_expected_host_is_never_opened(world, url, needle):
    world.idc.script(
        "StartDeviceAuthorization", [("raw", 200, _start_answer(url), "application/json")]
    )
    run = world.run("login", "dev", "--device-code")
    assert_one_line_failure(run, needle, "does not open")
    assert world.browser_urls() == []
    assert world.idc.calls.get("CreateToken") is None
    assert "\x1b]" not in run.err


class RecordingUI(LoginUI):
    def __init__(self) -> None:
        self.opened: list[str] = []

    def open_url(self, url: str, *, user_code: str | None) -> None:
        self.opened.append(url)


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("https://d-1234567890.awsapps.com.evil.example/x", "on d-1234567890.awsapps.com.evil"),
        ("file:///etc/passwd", "with scheme file:"),
        ("http://10.1.2.3/device", "on 10.1.2.3"),
        ("http://127.0.0.1:1/device", "on 127.0.0.1"),
        ("http://d-1234567890.awsapps.com/start", "on d-1234567890.awsapps.com"),
        ("", "without verificationUri"),
    ],
    ids=["suffix-trick", "file", "http-lan", "other-port", "plain-http", "empty"],
)
def test_device_urls_in_process(world, monkeypatch, url, needle):
    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    world.idc.script(
        "StartDeviceAuthorization", [("raw", 200, _start_answer(url), "application/json")]
    )
    ui = RecordingUI()
    with pytest.raises(AwsenvError) as caught:
        oidc.device_login(dict(os.environ), CORP, profile=None, ui=ui)
    assert needle in caught.value.message
    assert ui.opened == []
    assert world.idc.calls.get("CreateToken") is None


def test_a_device_url_on_an_aws_sign_in_host_is_accepted(world):
    url = "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH"
    world.idc.script(
        "StartDeviceAuthorization", [("raw", 200, _start_answer(url), "application/json")]
    )
    run = world.run("login", "dev", "--device-code", "--no-browser")
    assert "does not open" not in run.err
    assert world.idc.calls.get("CreateToken") == 1  # polled (the stand-in does not know the code)


def test_an_authorization_endpoint_on_another_host_is_ignored(world):
    answer = {
        "clientId": "standin-client-x",
        "clientSecret": "clientsecret.CANARY-hostile",
        "clientIdIssuedAt": int(time.time()),
        "clientSecretExpiresAt": int(time.time()) + 86400,
        "authorizationEndpoint": "https://evil.example.com/authorize",
        "tokenEndpoint": "https://evil.example.com/token",
    }
    world.idc.script("RegisterClient", [("raw", 200, json.dumps(answer), "application/json")])
    run = world.run("login", "dev", env={**world.env, "AWSENV_LOGIN_TIMEOUT": "2"})
    assert run.code == 1  # the stand-in does not know that client: no sign-in, but...
    urls = world.browser_urls()
    assert len(urls) == 1
    assert urls[0].startswith(world.idc.base_url + "/authorize?")  # ...only its own host opened
    assert "evil" not in run.err


@pytest.mark.parametrize(
    "url", ["https://evil.example.com/activate", "javascript:alert(1)", "file:///etc/passwd"]
)
def test_an_okta_verification_url_off_the_org_is_never_opened(world, url):
    answer = {
        "device_code": "devicecode.CANARY-hostile",
        "user_code": "ABCDEFGH",
        "verification_uri": url,
        "verification_uri_complete": url,
        "expires_in": 600,
        "interval": 1,
    }
    world.okta.script("DeviceAuthorize", [("raw", 200, json.dumps(answer), "application/json")])
    run = world.run("use", "okta-prod", "--keys")
    assert_one_line_failure(run, "does not open")
    assert world.browser_urls() == []
    assert world.okta.calls.get("Token") is None


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://d-1.awsapps.com/start/#/device?user_code=X", True),
        ("https://oidc.us-east-1.amazonaws.com/authorize?x=1", True),
        ("https://d-1.app.aws/device", True),
        ("HTTPS://D-1.AWSAPPS.COM/start", True),
        ("https://evil.com/?https://d-1.awsapps.com", False),
        ("https://user:pw@d-1.awsapps.com/", False),
        ("https://d-1.awsapps.com.evil.com/", False),
        ("http://d-1.awsapps.com/", False),
        ("data:text/html,<script>", False),
        ("//d-1.awsapps.com/", False),
        ("https://d-1.awsapps.com/ x", False),
        ("https://[::1/", False),
        ("https://d-1.awsapps.com:99999/", False),
    ],
)
def test_sign_in_url_policy(url, ok):
    def check() -> str:
        return net.check_sign_in_url(
            url,
            service="IAM Identity Center",
            server="oidc.us-east-1.amazonaws.com",
            hosts=("oidc.us-east-1.amazonaws.com", "d-1.awsapps.com"),
            suffixes=net.AWS_SIGN_IN_SUFFIXES,
        )

    if ok:
        assert check() == url
    else:
        with pytest.raises(net.UnsafeUrl) as caught:
            check()
        assert "evil" not in caught.value.message or "evil.com" in url


# --- secrets with --debug ------------------------------------------------------------------------


def test_debug_log_of_a_whole_session_holds_no_secret(world):
    runs = [
        world.run("login", "dev", "--device-code", "--no-browser", debug=True),
        world.run("use", "dev", "--keys", debug=True),
        world.run("use", "okta-prod", "--keys", debug=True),
        world.run("logout", "--all", debug=True),
    ]
    for run in runs[:2]:
        assert run.code == 0, run.err
        assert "awsenv debug:" in run.err
    assert "HTTP GET 127.0.0.1:" in runs[1].err
    assert "/federation/credentials" in runs[1].err
    assert world.leaked() == []


def test_a_portal_that_keeps_throttling_ends_the_listing_after_bounded_rounds(world, monkeypatch):
    # sso sync honours 429 TooManyRequestsException (botocore's tries, then more rounds), but a
    # portal that never stops throttling fails it after THROTTLE_ROUNDS x ATTEMPTS tries of one
    # call, with one line. One worker keeps the count exact; the waits are skipped.
    from awsenv.sso import portal

    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(portal, "WORKERS", 1)
    monkeypatch.setattr(net, "backoff", lambda attempt, throttled: 0.0)
    monkeypatch.setattr(
        "botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0.0
    )
    tries = portal.THROTTLE_ROUNDS * net.ATTEMPTS
    world.idc.script("ListAccountRoles", [("error", "TooManyRequestsException")] * tries)
    token = world.idc.issue_session()["accessToken"]
    with pytest.raises(oidc.ServiceUnavailable) as caught:
        portal.accounts_and_roles(dict(os.environ), CORP, token, profile=None)
    message = caught.value.message
    assert "kept answering ListAccountRoles with TooManyRequestsException" in message
    assert f"({tries} tries, {tries} throttled in all)" in message
    assert world.idc.calls["ListAccountRoles"] == tries
    assert world.idc.pending_script("ListAccountRoles") == 0
    assert not any(secret in message for secret in world.idc.canaries())
