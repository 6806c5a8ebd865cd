"""IAM Identity Center end to end: awsenv in real shells against the stand-in and moto's STS."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from awsenv import shells
from awsenv.sso import tokens
from tests.helpers import PYTHON, SHELLS, cli_whoami, run_awsenv, sdk_whoami

pytestmark = pytest.mark.e2e

CORP = tokens.SsoSession("corp", "https://d-1234567890.awsapps.com/start", "us-east-1")


def load_init(dialect: str) -> str:
    py = shells.quote(dialect, PYTHON)
    if dialect == "fish":
        return f"{py} -I -m awsenv init fish | source\n"
    return f'eval "$({py} -I -m awsenv init {dialect})"\n'


def use(world, *args, env=None):
    return run_awsenv(["use", *args], {**(env or world.env), "AWSENV_SHELL": "bash"})


def token_of(world):
    return tokens.load_token(world.env, CORP)


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_pkce_login_in_the_shell_then_the_aws_cli_acts_as_the_role(
    world, aws_cli, dialect, tmp_path
):
    spec = SHELLS[dialect]
    script = (
        load_init(dialect)
        + "awsenv use dev\n"
        + spec.print_var("AWS_PROFILE")
        + "\n"
        + spec.print_var("AWSENV_EXPIRATION")
        + "\n"
        + spec.print_var("AWSENV_RENEWABLE")
        + "\n"
        + f"{shells.quote(dialect, aws_cli)} sts get-caller-identity --query Arn --output text\n"
    )
    result = spec.run(script, world.env, cwd=tmp_path, timeout=120)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    profile, expiration, renewable, arn = out.split("\0")
    assert profile == "dev"
    # The SDKs refresh this token themselves while the session lasts, but no client is told
    # until when: the shell's clock is the 8-hour token's, marked renewable after it, and never
    # the client registration's end, which says nothing about the session (issue 15, finding 6;
    # issue 8 counted to the registration).
    token = token_of(world)
    assert token is not None
    assert token.refreshable
    assert token.registration_expires_at is not None
    assert int(expiration) == token.expires_at > time.time() + 7 * 3600
    assert int(expiration) < token.registration_expires_at
    assert renewable == "session"
    assert arn.strip().startswith("arn:aws:sts::111111111111:assumed-role/Admin/")
    assert world.idc.authorizations == 1
    assert len(world.browser_urls()) == 1
    assert "/authorize?" in world.browser_urls()[0]
    assert "code_challenge_method=S256" in world.browser_urls()[0]


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_device_code_login_in_the_shell(world, dialect, tmp_path):
    spec = SHELLS[dialect]
    script = (
        load_init(dialect)
        + "awsenv use dev-ro --device-code\n"
        + spec.print_var("AWS_PROFILE")
        + "\n"
        + spec.print_var("AWSENV_PROFILE")
        + "\n"
    )
    result = spec.run(script, world.env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split("\0")[:2] == ["dev-ro", "dev-ro"]
    assert world.idc.calls.get("StartDeviceAuthorization") == 1
    assert world.idc.authorizations == 1
    assert "/device" in world.browser_urls()[0]
    assert "Check that the page shows the code" in result.stderr.decode()


def test_pkce_wait_ends_at_the_timeout_with_a_clear_error(world):
    env = {**world.env, "BROWSER": "", "AWSENV_LOGIN_TIMEOUT": "2"}
    result = use(world, "dev", "--no-browser", env=env)
    assert_failed_cleanly(result, "no sign-in arrived within 2 seconds")
    assert token_of(world) is None


def test_no_browser_prints_the_url_on_stderr_and_keeps_waiting(world):
    env = {**world.env, "BROWSER": ""}
    proc = subprocess.Popen(
        [PYTHON, "-I", "-m", "awsenv", "use", "dev", "--no-browser"],
        env={**env, "AWSENV_SHELL": "bash"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = None
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.strip().startswith("http://127.0.0.1"):
            url = line.strip()
            break
    assert url is not None
    import urllib.request

    urllib.request.urlopen(url, timeout=30).read()
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "export AWS_PROFILE=dev" in out.splitlines()
    assert world.browser_urls() == []


def test_a_second_shell_and_another_profile_of_the_session_reuse_the_login(world):
    assert use(world, "dev").returncode == 0
    again = use(world, "dev")
    other = use(world, "dev-ro")
    assert again.returncode == other.returncode == 0
    assert world.idc.authorizations == 1
    assert world.idc.calls.get("CreateToken") == 1
    assert again.stderr == other.stderr == ""


def test_a_token_near_expiry_is_refreshed_without_a_browser(world):
    assert use(world, "dev").returncode == 0
    token = token_of(world)
    token.expires_at = int(time.time()) + 300
    tokens.save_token(world.env, CORP, token)
    os.utime(tokens.token_path(world.env, CORP), (time.time() - 10, time.time() - 10))
    result = use(world, "dev")
    assert result.returncode == 0, result.stderr
    assert world.idc.authorizations == 1
    assert len(world.browser_urls()) == 1
    assert world.idc.calls.get("CreateToken") == 2  # the login, then one refresh
    assert token_of(world).expires_at > time.time() + 7 * 3600


def test_a_rejected_refresh_token_leads_to_a_new_login(world):
    assert use(world, "dev").returncode == 0
    token = token_of(world)
    token.expires_at = int(time.time()) - 60
    token.refresh_token = "revoked-" + (token.refresh_token or "")
    tokens.save_token(world.env, CORP, token)
    result = use(world, "dev")
    assert result.returncode == 0, result.stderr
    assert world.idc.authorizations == 2
    assert len(world.browser_urls()) == 2
    # the user is told why a browser opened again, and where to sign in if it did not
    assert "signing in: the session could not be renewed" in result.stderr
    assert world.browser_urls()[-1] in result.stderr


def test_the_first_sign_in_says_why_and_shows_the_url(world):
    result = use(world, "dev")
    assert result.returncode == 0, result.stderr
    assert "awsenv: signing in: no sign-in is cached for this session" in result.stderr
    assert world.browser_urls()[0] in result.stderr


def test_ten_concurrent_uses_of_one_session_make_one_authorization(world):
    procs = [
        subprocess.Popen(
            [PYTHON, "-I", "-m", "awsenv", "use", "dev" if i % 2 else "dev-ro"],
            env={**world.env, "AWSENV_SHELL": "bash"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(10)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, [r[1] for r in results]
    assert world.idc.authorizations == 1
    assert world.idc.calls.get("RegisterClient") == 1
    assert len(world.browser_urls()) == 1


def test_legacy_profile_logs_in_with_the_device_flow_and_works_for_the_aws_cli(world, aws_cli):
    result = use(world, "legacy")
    assert result.returncode == 0, result.stderr
    assert world.idc.calls.get("StartDeviceAuthorization") == 1
    env = {**world.env, "AWS_PROFILE": "legacy"}
    arn = cli_whoami(aws_cli, env, arn_only=True)
    assert arn.returncode == 0, arn.stderr
    assert arn.stdout.startswith("arn:aws:sts::222222222222:assumed-role/Admin/")


def test_use_keys_exports_role_credentials_and_reuses_them_from_the_cli_cache(world):
    first = use(world, "dev", "--keys")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert any(line.startswith("export AWS_ACCESS_KEY_ID=") for line in lines)
    assert any(line.startswith("export AWS_CREDENTIAL_EXPIRATION=") for line in lines)
    assert world.idc.calls.get("GetRoleCredentials") == 1
    second = use(world, "dev", "--keys")
    assert second.returncode == 0
    assert world.idc.calls.get("GetRoleCredentials") == 1  # from ~/.aws/cli/cache
    assert second.stdout == first.stdout


def test_botocore_uses_awsenvs_login_and_awsenv_uses_botocores_refresh(world):
    assert use(world, "dev").returncode == 0
    token = token_of(world)
    token.expires_at = int(time.time()) + 300  # botocore refreshes inside 15 minutes
    tokens.save_token(world.env, CORP, token)
    result = sdk_whoami(world.env, "dev")
    assert result.returncode == 0, result.stderr
    assert "assumed-role/Admin" in result.stdout
    refreshed = token_of(world)
    assert refreshed.expires_at > time.time() + 7 * 3600  # botocore rewrote the file
    calls = world.idc.calls.get("CreateToken")
    os.utime(tokens.token_path(world.env, CORP), (time.time() - 10, time.time() - 10))
    again = use(world, "dev")
    assert again.returncode == 0
    assert world.idc.calls.get("CreateToken") == calls  # awsenv took botocore's token as is
    assert world.idc.authorizations == 1


def test_logout_ends_the_session_and_deletes_tokens_and_role_credentials(world):
    assert use(world, "dev", "--keys").returncode == 0
    cli_cache = world.home / ".aws" / "cli" / "cache"
    assert list(cli_cache.glob("*.json"))
    result = run_awsenv(["logout", "dev"], world.env)
    assert result.returncode == 0, result.stderr
    assert world.idc.calls.get("Logout") == 1
    assert token_of(world) is None
    assert not list(cli_cache.glob("*.json"))
    assert "logged out of sso-session corp" in result.stderr


def test_logout_works_offline(world):
    assert use(world, "dev").returncode == 0
    env = {**world.env, "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:9"}
    result = run_awsenv(["logout", "--sso-session", "corp"], env)
    assert result.returncode == 0
    assert token_of(world) is None
    assert "deleted locally" in result.stderr


def test_login_command_logs_in_without_touching_the_shell(world):
    result = run_awsenv(["login", "dev"], world.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "logged in to sso-session corp" in result.stderr
    again = run_awsenv(["login", "--sso-session", "corp"], world.env)
    assert "already logged in" in again.stderr
    assert world.idc.authorizations == 1


def test_list_shows_the_login_state_of_sso_profiles(world):
    assert json.loads(run_awsenv(["list", "--json"], world.env).stdout)[0]["login"] == "none"
    assert use(world, "dev").returncode == 0
    rows = {r["name"]: r for r in json.loads(run_awsenv(["list", "--json"], world.env).stdout)}
    assert rows["dev"]["login"] == rows["dev-ro"]["login"] == "valid"
    assert rows["legacy"]["login"] == "none"


# --- bad input and faults: a clear message, exit 1, nothing exported, nothing written -----------


def assert_failed_cleanly(result, *needles):
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr


def test_unknown_sso_session(world):
    (world.home / ".aws" / "config").write_text(
        "[profile x]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = r\n"
    )
    assert_failed_cleanly(use(world, "x"), "no [sso-session nope]")


def test_missing_sso_region(world):
    (world.home / ".aws" / "config").write_text(
        "[sso-session s]\nsso_start_url = https://d-1.awsapps.com/start\n"
        "[profile x]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n"
    )
    assert_failed_cleanly(use(world, "x"), "sso_region")
    assert world.token_files() == []


def test_denied_authorization(world):
    world.idc.deny = True
    assert_failed_cleanly(use(world, "dev"), "not completed")
    assert world.token_files() == [] or token_of(world) is None


def test_expired_device_code(world):
    world.idc.device_expires_in = 2
    env = {**world.env, "BROWSER": ""}
    assert_failed_cleanly(use(world, "dev", "--device-code", "--no-browser", env=env), "expired")
    assert token_of(world) is None


def test_a_corrupted_token_file_is_treated_as_absent(world):
    path = tokens.token_path(world.env, CORP)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write('{"accessToken": "x", "expiresAt": ')
    result = use(world, "dev")
    assert result.returncode == 0, result.stderr
    assert world.idc.authorizations == 1
    assert token_of(world) is not None


def test_ctrl_c_while_waiting_stops_cleanly_and_changes_nothing(world):
    env = {**world.env, "BROWSER": "", "AWSENV_SHELL": "bash"}
    proc = subprocess.Popen(
        [PYTHON, "-I", "-m", "awsenv", "use", "dev", "--no-browser"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "waiting" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert out == ""
    assert "interrupted" in err
    assert token_of(world) is None


def test_no_secret_reaches_stderr_or_any_file_but_the_caches(world, aws_cli):
    outputs = []
    for args in (["dev"], ["dev", "--keys"], ["legacy"]):
        result = use(world, *args)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stderr)
        if "--keys" not in args:
            outputs.append(result.stdout)
    outputs.append(run_awsenv(["list"], world.env).stdout)
    outputs.append(run_awsenv(["logout", "--all"], world.env).stderr)
    canaries = world.idc.canaries()
    assert canaries
    leaked = [c for c in canaries if any(c in text for text in outputs)]
    assert leaked == []
    # awsenv's own cache (config index, locks, status memo) holds none either
    for path in (world.home / ".cache").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [c for c in canaries if c.encode() in data], path


if sys.platform.startswith("win"):  # pragma: no cover
    pytest.skip("POSIX shells only", allow_module_level=True)
