"""`awsenv console` end to end: static, SSO and role profiles signed in through the federation
stand-in, with moto's STS and the Identity Center stand-in behind them. The sign-in URL is a
bearer credential: it may reach stdout with --print only, and never stderr or the debug log."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from awsenv.sso.tokens import cli_cache_dir
from tests.helpers import CLOSED_ENDPOINT, PYTHON, run_awsenv
from tests.standin.federation import MOTO_FEDERATION_KEY_ID, FederationStandIn

pytestmark = pytest.mark.e2e

CONSOLE_PROFILES = """
[profile static-user]
region = us-east-1

[profile deploy]
role_arn = arn:aws:iam::111111111111:role/deploy
source_profile = static-user
region = eu-central-1

[profile temp]
region = us-west-2
"""

CREDENTIALS = """\
[static-user]
aws_access_key_id = AKIASTATICEXAMPLE001
aws_secret_access_key = static-secret-CANARY-0001

[temp]
aws_access_key_id = ASIATEMPEXAMPLE00001
aws_secret_access_key = temp-secret-CANARY-0002
aws_session_token = temp-token-CANARY-0003
"""
STATIC_SECRETS = ("static-secret-CANARY-0001", "temp-secret-CANARY-0002", "temp-token-CANARY-0003")

# moto's GetFederationToken answers fixed keys; they must not leak either.
MOTO_FEDERATION_SECRETS = (
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfI",
)

BROWSER = """#!{python}
# A scripted browser: logs each URL it is given and opens it as a signed-in user would,
# following redirects on loopback only (the SSO sign-in's way back to awsenv); a redirect
# elsewhere (the console) is where the browser lands, logged and not fetched.
import sys, urllib.error, urllib.parse, urllib.request
url = sys.argv[1]
with open({log!r}, "a") as log:
    log.write(url + "\\n")

class LoopbackOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).hostname == "127.0.0.1":
            return super().redirect_request(req, fp, code, msg, headers, newurl)
        with open({landed!r}, "a") as landed:
            landed.write(newurl + "\\n")
        return None

opener = urllib.request.build_opener(LoopbackOnly, urllib.request.ProxyHandler({{}}))
try:
    opener.open(url, timeout=30).read()
except urllib.error.HTTPError as exc:
    if exc.code // 100 != 3:
        raise
"""


@pytest.fixture
def federation():
    standin = FederationStandIn().start()
    yield standin
    standin.stop()


class ConsoleWorld:
    """The SSO world (config, stand-ins, STS) plus static and role profiles, the federation
    stand-in and a browser that stops at the console; every stderr it sees is kept."""

    def __init__(self, sso_world, federation: FederationStandIn) -> None:
        self.home: Path = sso_world.home
        self.sso = sso_world
        self.federation = federation
        aws = self.home / ".aws"
        with (aws / "config").open("a") as config:
            config.write(CONSOLE_PROFILES)
        (aws / "credentials").write_text(CREDENTIALS)
        self.browser_log = self.home / "console-browser.log"
        self.landed_log = self.home / "console-landed.log"
        browser = self.home / "console-browser"
        browser.write_text(
            BROWSER.format(python=PYTHON, log=str(self.browser_log), landed=str(self.landed_log))
        )
        browser.chmod(0o755)
        self.env = {**sso_world.env, "BROWSER": f"{browser} %s", **federation.environ()}
        self.stderrs: list[str] = []

    def console(self, *args: str, env: dict[str, str] | None = None):
        result = run_awsenv(["console", *args], env or self.env)
        self.stderrs.append(result.stderr)
        return result

    def browser_urls(self) -> list[str]:
        return self.browser_log.read_text().splitlines() if self.browser_log.exists() else []

    def landed(self) -> list[str]:
        return self.landed_log.read_text().splitlines() if self.landed_log.exists() else []

    def secrets(self) -> list[str]:
        """Every secret in play: static keys, moto's federation keys, cached role keys,
        the Identity Center stand-in's tokens, and every sign-in token issued."""
        found = [*STATIC_SECRETS, *MOTO_FEDERATION_SECRETS]
        cache = Path(cli_cache_dir(self.env))
        for path in cache.glob("*.json") if cache.exists() else []:
            creds = json.loads(path.read_text()).get("Credentials", {})
            found += [creds[k] for k in ("SecretAccessKey", "SessionToken") if creds.get(k)]
        found += self.sso.idc.canaries()
        found += self.federation.canaries()
        return found


@pytest.fixture
def world(world, federation):
    """A ConsoleWorld; when the test ends, no secret may appear in any stderr it saw."""
    console_world = ConsoleWorld(world, federation)
    yield console_world
    secrets = console_world.secrets()
    leaked = [s for s in secrets if any(s in text for text in console_world.stderrs)]
    assert leaked == []
    for text in console_world.stderrs:
        assert "Action=login" not in text
        assert "SigninToken=" not in text


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def the_url(result, federation: FederationStandIn) -> str:
    """The one line --print wrote, checked to be a login URL of the stand-in."""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert result.stdout == lines[0] + "\n"
    url = lines[0]
    assert url.startswith(federation.endpoint + "?Action=login&")
    return url


def open_without_following(url: str) -> tuple[int, str | None]:
    """GET the URL as a browser would, stopping at the first redirect: (status, Location)."""

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(Stop, urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location")


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("  hint:")]


def assert_failed_cleanly(result, code: int, needle: str) -> None:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("awsenv: ")
    assert needle in lines[0]


# --- the three kinds of profile --------------------------------------------------------------


def test_print_for_a_static_profile_federates_the_iam_user_and_prints_one_working_url(world):
    result = world.console("static-user", "--print")
    assert result.returncode == 0, result.stderr
    url = the_url(result, world.federation)
    query = query_of(url)
    assert query["Issuer"] == "awsenv"
    assert query["Destination"] == "https://console.aws.amazon.com/console/home?region=us-east-1"
    assert query["SigninToken"] in world.federation.canaries()
    # GetFederationToken's keys (moto's fixed ones) signed in, with no SessionDuration
    [signin] = world.federation.signin_requests
    assert signin.session_id == MOTO_FEDERATION_KEY_ID
    assert signin.session_duration is None
    assert signin.status == 200
    # the URL does sign in, and lands on the destination
    assert open_without_following(url) == (302, query["Destination"])
    assert world.federation.logins[0].session_id == MOTO_FEDERATION_KEY_ID
    assert world.browser_urls() == []


def test_console_for_an_sso_profile_logs_in_then_opens_the_console_with_stdout_empty(world):
    result = world.console("dev")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert world.sso.idc.authorizations == 1  # the login use would have made
    authorize, console = world.browser_urls()
    assert "/authorize?" in authorize
    assert console.startswith(world.federation.endpoint + "?Action=login&")
    page = "https://console.aws.amazon.com/console/home?region=eu-west-1"
    assert world.landed() == [page]
    [signin] = world.federation.signin_requests
    assert signin.session_id is not None
    assert signin.session_id.startswith("ASIA")  # the role credentials moto minted
    assert world.federation.logins == [
        (
            "awsenv",
            page,
            signin.session_id,
        )
    ]
    assert "opened the AWS console" in result.stderr
    # a second console reuses the SSO login: no new browser sign-in
    again = world.console("dev", "--print")
    assert again.returncode == 0, again.stderr
    assert world.sso.idc.authorizations == 1


def test_print_for_a_role_profile_lands_on_the_service_and_region_asked(world):
    result = world.console("deploy", "--print", "--service", "s3", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    query = query_of(the_url(result, world.federation))
    assert query["Destination"] == "https://console.aws.amazon.com/s3/home?region=eu-west-1"
    [signin] = world.federation.signin_requests
    assert signin.session_id is not None
    assert signin.session_id.startswith("ASIA")
    # fresh one-hour role credentials: the console is asked to last the hour
    assert signin.session_duration == "3600"


def test_the_profiles_own_region_is_the_default_destination(world):
    result = world.console("deploy", "--print", "--service", "ec2")
    assert result.returncode == 0, result.stderr
    query = query_of(the_url(result, world.federation))
    assert query["Destination"] == "https://console.aws.amazon.com/ec2/home?region=eu-central-1"


def test_static_keys_with_a_session_token_sign_in_as_they_are(world):
    result = world.console("temp", "--print")
    assert result.returncode == 0, result.stderr
    the_url(result, world.federation)
    [signin] = world.federation.signin_requests
    assert signin.session_id == "ASIATEMPEXAMPLE00001"
    assert signin.session_duration is None


@pytest.mark.parametrize("profile", ["static-user", "deploy"])
def test_the_debug_log_never_holds_the_url_the_token_or_any_key(world, profile):
    result = world.console(profile, "--print", "--debug")
    assert result.returncode == 0, result.stderr
    url = the_url(result, world.federation)
    assert "awsenv debug:" in result.stderr
    assert "getSigninToken at " + world.federation.endpoint in result.stderr
    assert url not in result.stderr
    assert query_of(url)["SigninToken"] not in result.stderr
    # the fixture checks every other secret


def test_without_print_and_with_debug_stdout_stays_empty(world):
    result = world.console("deploy", "--debug")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    [url] = world.browser_urls()
    assert url not in result.stderr
    assert world.landed() == ["https://console.aws.amazon.com/console/home?region=eu-central-1"]


# --- which profile ---------------------------------------------------------------------------


def test_the_profile_defaults_to_awsenv_profile_then_aws_profile(world):
    env = {**world.env, "AWSENV_PROFILE": "temp", "AWS_PROFILE": "static-user"}
    assert world.console("--print", env=env).returncode == 0
    env = {**world.env, "AWS_PROFILE": "temp"}
    assert world.console("--print", env=env).returncode == 0
    ids = [r.session_id for r in world.federation.signin_requests]
    assert ids == ["ASIATEMPEXAMPLE00001", "ASIATEMPEXAMPLE00001"]


def test_in_a_shell_using_an_ad_hoc_role_the_console_signs_in_as_that_role(world):
    # `use --role-arn ARN --source static-user` leaves AWSENV_PROFILE=static-user>adhoc, which
    # names no profile: console used to fail with "profile ... not found"
    from awsenv.providers.adhoc import Spec

    spec = Spec("arn:aws:iam::111111111111:role/adhoc", "static-user")
    env = {**world.env, "AWSENV_PROFILE": "static-user>adhoc", "AWSENV_ROLE": spec.encode()}
    result = world.console("--print", env=env)
    assert result.returncode == 0, result.stderr
    query = query_of(the_url(result, world.federation))
    assert query["Destination"] == "https://console.aws.amazon.com/console/home?region=us-east-1"
    [signin] = world.federation.signin_requests
    assert signin.session_id is not None
    assert signin.session_id.startswith("ASIA")  # the role's session, not the IAM user's keys


def test_no_profile_anywhere_is_a_usage_error(world):
    result = world.console("--print")
    assert_failed_cleanly(result, 2, "name the profile")
    assert world.federation.calls == {}


# --- browsers --------------------------------------------------------------------------------


def test_with_no_browser_to_open_it_fails_before_any_call_and_suggests_print(world):
    env = {k: v for k, v in world.env.items() if k != "BROWSER"}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    result = world.console("static-user", env=env)
    assert_failed_cleanly(result, 1, "no browser can be opened")
    assert "--print" in result.stderr
    assert world.federation.calls == {}


def test_a_browser_that_fails_is_an_error_and_the_url_is_not_shown(world, tmp_path):
    failing = tmp_path / "failing-browser"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    result = world.console("static-user", env={**world.env, "BROWSER": f"{failing} %s"})
    assert_failed_cleanly(result, 1, "browser could not be started")
    assert "--print" in result.stderr
    assert world.federation.calls == {"GetSigninToken": 1}


def text_browsers(tmp_path: Path) -> tuple[Path, Path]:
    """Text browsers webbrowser would fall back to on a terminal; each notes that it ran."""
    bindir = tmp_path / "text-browsers"
    bindir.mkdir()
    ran = tmp_path / "text-browser-ran"
    for name in ("www-browser", "links", "elinks", "lynx", "w3m"):
        script = bindir / name
        script.write_text(f"#!/bin/sh\necho {name} >> {ran}\nexit 0\n")
        script.chmod(0o755)
    return bindir, ran


@pytest.mark.parametrize("browser", ["/bin/false %s", "no-such-browser-anywhere %s"])
def test_a_failing_browser_never_falls_back_to_a_text_browser(world, tmp_path, browser):
    # Found on a Debian machine with lynx installed: BROWSER="/bin/false %s" handed the
    # terminal to lynx, and console said it had opened the console, exit 0.
    bindir, ran = text_browsers(tmp_path)
    env = {
        **world.env,
        "BROWSER": browser,
        "TERM": "xterm-256color",
        "PATH": f"{bindir}{os.pathsep}{world.env['PATH']}",
    }
    result = world.console("static-user", env=env)
    assert_failed_cleanly(result, 1, "browser could not be started")
    assert not ran.exists(), ran.read_text()


def test_without_browser_no_text_browser_is_started_either(world, tmp_path):
    bindir, ran = text_browsers(tmp_path)
    env = {k: v for k, v in world.env.items() if k != "BROWSER"}
    # nothing but text browsers on PATH (no xdg-open or gio to succeed first)
    env.update(DISPLAY=":99", TERM="xterm-256color", PATH=str(bindir))
    result = world.console("static-user", env=env)
    assert not ran.exists(), ran.read_text()
    assert_failed_cleanly(result, 1, "browser could not be started")


def test_a_browser_that_echoes_the_url_on_stderr_does_not_put_it_on_ours(world, tmp_path):
    chatty = tmp_path / "chatty-browser"
    chatty.write_text('#!/bin/sh\necho "opening $1" >&2\necho "opening $1"\nexit 0\n')
    chatty.chmod(0o755)
    result = world.console("temp", env={**world.env, "BROWSER": f"{chatty} %s"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "opening" not in result.stderr
    assert "opened the AWS console" in result.stderr
    assert world.federation.calls == {"GetSigninToken": 1}


def test_no_browser_without_print_is_a_usage_error(world):
    result = world.console("static-user", "--no-browser")
    assert_failed_cleanly(result, 2, "--no-browser without --print")
    assert world.federation.calls == {}


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "needle"),
    [
        (("status", 500), "answered HTTP 500 to getSigninToken"),
        (("status", 400), "refused these credentials"),
        (("raw", 200, "<html>not json</html>", "text/html"), "did not answer with a sign-in token"),
        (("raw", 200, '{"Other": "x"}', "application/json"), "did not answer with a sign-in"),
        (("huge_body", 100_000), "larger than 65536 bytes"),
    ],
)
def test_federation_endpoint_failures_are_one_line_naming_the_endpoint(world, step, needle):
    world.federation.script("GetSigninToken", [step])
    result = world.console("static-user", "--print")
    assert_failed_cleanly(result, 1, needle)
    assert world.federation.endpoint in result.stderr
    assert "not json" not in result.stderr  # the body is never echoed


def test_an_unreachable_endpoint_is_one_line(world):
    env = {**world.env, "AWSENV_FEDERATION_ENDPOINT": CLOSED_ENDPOINT + "/federation"}
    result = world.console("temp", "--print", env=env)
    assert_failed_cleanly(result, 1, "cannot reach the federation endpoint")


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://signin.example.com/federation",
        "http://10.0.0.1/federation",
        "ftp://127.0.0.1/federation",
        "http://user:pw@127.0.0.1/federation",
        "http://127.0.0.1.example.com/federation",
    ],
)
def test_an_endpoint_override_off_loopback_is_refused_before_any_credentials(world, endpoint):
    env = {**world.env, "AWSENV_FEDERATION_ENDPOINT": endpoint}
    result = world.console("static-user", "--print", env=env)
    assert_failed_cleanly(result, 1, "AWSENV_FEDERATION_ENDPOINT")
    assert not Path(cli_cache_dir(world.env)).exists()
    assert world.federation.calls == {}


def test_a_refused_session_duration_is_dropped_and_asked_again(world):
    with FederationStandIn(refuse_session_duration=True) as strict:
        env = {**world.env, **strict.environ()}
        result = world.console("deploy", "--print", env=env)
        assert result.returncode == 0, result.stderr
        assert urlsplit(result.stdout.strip()).netloc == urlsplit(strict.endpoint).netloc
        first, second = strict.signin_requests
        world.federation = strict  # so the fixture's leak check sees these tokens too
    assert (first.session_duration, first.status) == ("3600", 400)
    assert (second.session_duration, second.status) == (None, 200)


def test_a_profile_that_does_not_exist(world):
    result = world.console("nope", "--print")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "'nope'" in result.stderr


def test_a_bad_service_name_is_a_usage_error(world):
    result = world.console("temp", "--print", "--service", "s3/../../evil")
    assert_failed_cleanly(result, 2, "is not a service name")
    assert world.federation.calls == {}


def test_stdout_is_empty_when_the_wrapper_runs_console(world):
    """Under the shell function stdout is not eval'd for console, but it stays a wire."""
    env = {**world.env, "AWSENV_SHELL": "bash"}
    result = world.console("temp", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert len(world.browser_urls()) == 1
    assert world.landed() == ["https://console.aws.amazon.com/console/home?region=us-west-2"]
