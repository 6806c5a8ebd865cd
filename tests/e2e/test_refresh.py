"""Two clocks, end to end: what `use` says about renewing, and `refresh` doing it silently.

When what a shell exports expires while its session can still renew (an SSO session with a
refresh token, a role over static keys), `awsenv refresh` renews it with no browser and no
prompt; the exported AWSENV_RENEWABLE says until when that holds.
"""

from __future__ import annotations

import json
import time

import pytest

from awsenv.sso import tokens
from tests.helpers import SHELLS, run_awsenv, write_config
from tests.worlds import SSO_CONFIG

pytestmark = pytest.mark.e2e

CORP = tokens.SsoSession("corp", "https://d-1234567890.awsapps.com/start", "us-east-1")


def exports(result) -> dict[str, str]:
    """Parse `export NAME=value` lines of bash output (values here need no unquoting)."""
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            found[name] = value.strip("'")
    return found


def core(world, *args, env=None):
    return run_awsenv(list(args), {**world.env, "AWSENV_SHELL": "bash", **(env or {})})


def age_everything(world) -> None:
    """Make the access token and every cached role credential expired (the session lives on)."""
    path = tokens.token_path(world.env, CORP)
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    data["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    for entry in (world.home / ".aws" / "cli" / "cache").glob("*.json"):
        entry.unlink()
    world.idc.expire_access_tokens()


def test_sso_keys_carry_the_session_clock_and_refresh_renews_them_without_a_browser(world):
    first = core(world, "use", "dev", "--keys")
    assert first.returncode == 0, first.stderr
    before = exports(first)
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    assert token.registration_expires_at is not None
    # no awsenv_session_duration: the session renews until an end no client is told (issue 15:
    # never the client registration's end)
    assert before["AWSENV_RENEWABLE"] == "session"
    assert int(before["AWSENV_EXPIRATION"]) <= token.expires_at < token.registration_expires_at
    assert world.idc.authorizations == 1

    age_everything(world)
    shell = {name: before[name] for name in before if name != "AWSENV_SAVED"}
    shell["AWSENV_SAVED"] = before["AWSENV_SAVED"]
    again = core(world, "refresh", env=shell)
    assert again.returncode == 0, again.stderr
    after = exports(again)
    assert after["AWS_ACCESS_KEY_ID"] != before["AWS_ACCESS_KEY_ID"]  # new keys were exported
    assert "AWS_PROFILE" not in after  # still keys, as the shell had them
    assert world.idc.authorizations == 1  # no second sign-in
    assert world.idc.grant_calls("refresh_token") == 1
    assert len(world.browser_urls()) == 1


def test_profile_mode_sso_counts_to_the_token_and_marks_the_session_renewable(world):
    result = core(world, "use", "dev")
    assert result.returncode == 0, result.stderr
    values = exports(result)
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    # the token's end, not the registration's (issue 15); the SDKs renew it by themselves
    # after that while the session lasts, which the prompt marks
    assert values["AWSENV_EXPIRATION"] == str(token.expires_at)
    assert values["AWSENV_RENEWABLE"] == "session"


def test_a_session_duration_setting_bounds_the_clock_from_the_sign_in(world):
    write_config(
        world.home,
        SSO_CONFIG.replace(
            "sso_region = us-east-1\n\n[profile dev]",
            "sso_region = us-east-1\nawsenv_session_duration = 8h\n\n[profile dev]",
            1,
        ),
    )
    started = time.time()
    result = core(world, "use", "dev")
    assert result.returncode == 0, result.stderr
    clock = int(exports(result)["AWSENV_EXPIRATION"])
    assert started + 8 * 3600 - 5 <= clock <= time.time() + 8 * 3600 + 5


def test_legacy_sso_cannot_renew_and_keeps_the_token_clock(world):
    result = core(world, "use", "legacy", "--keys")
    assert result.returncode == 0, result.stderr
    assert "AWSENV_RENEWABLE" not in exports(result)


def test_refresh_without_a_profile_says_what_to_do(world):
    result = core(world, "refresh")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "awsenv use PROFILE" in result.stderr


def test_role_over_static_keys_in_keys_mode_renews_always(world):
    write_config(
        world.home,
        "[profile base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n"
        "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/Ops\nsource_profile = base\n"
        "region = eu-west-1\n",
    )
    result = core(world, "use", "ops", "--keys")
    assert result.returncode == 0, result.stderr
    assert exports(result)["AWSENV_RENEWABLE"] == "always"


def test_the_prompt_shows_the_mark_after_the_keys_expire_and_refresh_clears_it(world, tmp_path):
    spec = SHELLS["bash"]
    script = (
        'eval "$(python -I -m awsenv init bash)"\n'
        + "awsenv use dev --keys\n"
        + "AWSENV_EXPIRATION=$((EPOCHSECONDS - 5))\n"  # as if an hour had passed
        # the hook would renew them itself (tests/shells/test_auto_refresh.py): by hand here
        + "AWSENV_AUTO_REFRESH=0\n"
        + "NO_COLOR=1; __awsenv_prompt_hook; printf '%s\\0' \"$__awsenv_segment\"\n"
        + "awsenv refresh\n"
        + "__awsenv_prompt_hook; printf '%s\\0' \"$__awsenv_segment\"\n"
    )
    result = spec.run(script, world.env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    expired, renewed = result.stdout.decode().split("\0")[:2]
    assert expired.startswith("aws:dev \u21bb ")
    assert renewed.startswith("aws:dev ")
    assert "\u21bb" not in renewed
    assert world.idc.authorizations == 1


def test_refresh_keeps_the_region_the_shell_chose(world):
    """`use dev --region X` then `refresh`: the shell stays in X (it used to fall back to the
    profile's region, so a renewal, by hand or from the prompt, moved the shell silently)."""
    first = core(world, "use", "dev", "--keys", "--region", "ap-south-1")
    assert first.returncode == 0, first.stderr
    before = exports(first)
    assert before["AWS_REGION"] == before["AWS_DEFAULT_REGION"] == "ap-south-1"
    age_everything(world)
    again = core(world, "refresh", env=before)
    assert again.returncode == 0, again.stderr
    after = {**before, **exports(again)}
    assert after["AWS_ACCESS_KEY_ID"] != before["AWS_ACCESS_KEY_ID"]
    assert after["AWS_REGION"] == after["AWS_DEFAULT_REGION"] == "ap-south-1"
    assert "unset AWS_REGION" not in again.stdout


# --- refresh --auto: what the prompt hook runs (tests/shells/test_auto_refresh.py) -----------


def test_auto_renews_sso_keys_through_the_refresh_token_and_says_nothing(world):
    first = core(world, "use", "dev", "--keys")
    assert first.returncode == 0, first.stderr
    before = exports(first)
    age_everything(world)
    again = core(world, "refresh", "--auto", env=before)
    assert again.returncode == 0, again.stderr
    assert exports(again)["AWS_ACCESS_KEY_ID"] != before["AWS_ACCESS_KEY_ID"]
    assert world.idc.grant_calls("refresh_token") == 1
    assert len(world.browser_urls()) == 1  # the first sign-in only


def test_auto_never_signs_in_and_exits_3_with_nothing_on_stdout(world):
    first = core(world, "use", "dev", "--keys")
    assert first.returncode == 0, first.stderr
    before = exports(first)
    age_everything(world)
    world.idc.revoke_refresh_tokens()  # the session ended: only a sign-in would help
    again = core(world, "refresh", "--auto", env=before)
    assert again.returncode == 3
    assert again.stdout == ""
    assert "signing in needs you" in again.stderr
    assert len(world.browser_urls()) == 1
    assert world.idc.authorizations == 1
    # the interactive refresh that follows signs in as before
    manual = core(world, "refresh", env=before)
    assert manual.returncode == 0, manual.stderr
    assert exports(manual)["AWS_ACCESS_KEY_ID"] != before["AWS_ACCESS_KEY_ID"]
    assert len(world.browser_urls()) == 2


def test_auto_with_a_renewable_end_past_calls_nothing(world):
    shell = {
        "AWSENV_PROFILE": "dev",
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE000000001",
        "AWSENV_EXPIRATION": str(int(time.time()) - 60),
        "AWSENV_RENEWABLE": str(int(time.time()) - 1),
    }
    result = core(world, "refresh", "--auto", env=shell)
    assert result.returncode == 3
    assert result.stdout == ""
    assert world.idc.grant_calls("refresh_token") == 0
    assert world.browser_urls() == []
    for renewable in ("", "tomorrow"):  # keys that never renewed silently: same answer
        result = core(world, "refresh", "--auto", env={**shell, "AWSENV_RENEWABLE": renewable})
        assert result.returncode == 3
        assert result.stdout == ""


def test_auto_asks_no_mfa_code_even_at_a_terminal(home, moto_sts, tmp_path):
    from tests.helpers import PYTHON, minimal_env
    from tests.terminal import run_pty

    write_config(
        home,
        "[profile gated]\nrole_arn = arn:aws:iam::123456789012:role/Gated\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = us-east-1\n",
        credentials="[base]\naws_access_key_id = AKIABASEEXAMPLE00001\naws_secret_access_key = s\n",
    )
    env = minimal_env(
        home,
        AWS_ENDPOINT_URL_STS=moto_sts,
        AWSENV_SHELL="bash",
        AWSENV_PROFILE="gated",
        AWS_ACCESS_KEY_ID="ASIAEXAMPLE000000001",
        AWSENV_EXPIRATION=str(int(time.time()) - 60),
        # as if it renewed silently (an MFA session's end, issue 14 section 1)
        AWSENV_RENEWABLE=str(int(time.time()) + 3600),
    )
    run = run_pty(
        [PYTHON, "-I", "-m", "awsenv", "refresh", "--auto"],
        env,
        pipe_stdout=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert run.code == 3, run.raw[-500:]
    assert run.stdout == ""
    assert b"alice: " not in run.raw  # no "MFA code for ...: " prompt on the terminal
    assert b"--auto asks for none" in run.raw
