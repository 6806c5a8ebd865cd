"""One clock per shell: the prompt, `status` and `list` agree, and never count a registration.

IAM Identity Center does not tell clients when a session ends. Without `awsenv_session_duration`
the only end awsenv knows is the access token's, so that is what every surface counts to, and
the prompt shows the renewable mark after it; the client registration (90 days) says nothing
about the session and is never shown. `awsenv logout` ends the clock of the shell that ran it.
Everything runs in real shells against the Identity Center stand-in (issue 15, finding 6).
"""

from __future__ import annotations

import json
import time

import pytest

from awsenv.sso import tokens
from awsenv.ui import human_duration  # the prompt writes time left the same way
from tests.helpers import SHELLS, run_awsenv
from tests.worlds import SsoWorld

pytestmark = pytest.mark.e2e

CORP = tokens.SsoSession("corp", "https://d-1234567890.awsapps.com/start", "us-east-1")
MARK = "\u21bb"

# NO_COLOR set: the segment as plain text, then a NUL.
SEGMENT = {
    "bash": "NO_COLOR=1; __awsenv_prompt_hook; printf '%s\\0' \"$__awsenv_segment\"\n",
    "zsh": "NO_COLOR=1; __awsenv_precmd; printf '%s\\0' \"$__awsenv_segment\"\n",
    "fish": "set -gx NO_COLOR 1; __awsenv_prompt_segment; printf '\\0'\n",
}
INIT = {
    "bash": 'eval "$(python -I -m awsenv init bash)"\n',
    "zsh": 'eval "$(python -I -m awsenv init zsh)"\n',
    "fish": "python -I -m awsenv init fish | source\n",
}
# Make the shell's exports look an hour old: the exported keys (or token) have expired.
AGE = {
    "bash": "AWSENV_EXPIRATION=$((EPOCHSECONDS - 5))\n",
    "zsh": "zmodload zsh/datetime; AWSENV_EXPIRATION=$((EPOCHSECONDS - 5))\n",
    "fish": "set -gx AWSENV_EXPIRATION 1\n",
}


def _run(world: SsoWorld, shell: str, body: str, tmp_path) -> list[str]:
    spec = SHELLS[shell]
    result = spec.run(INIT[shell] + body, world.env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode().split("\0")


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_prompt_status_and_list_show_one_end_right_after_a_sign_in(
    world: SsoWorld, shell: str, tmp_path
) -> None:
    # GIVEN a session with no awsenv_session_duration, WHEN `use dev` signs in,
    # THEN the prompt, `status --json` and `list --json` count to one end, the token's.
    started = int(time.time())
    shown = _run(
        world,
        shell,
        "awsenv use dev\n"
        + SEGMENT[shell]
        + "awsenv status --json; printf '\\0'\n"
        + "awsenv list --json; printf '\\0'\n",
        tmp_path,
    )
    finished = int(time.time()) + 1
    segment, status_text, list_text = shown[0].strip(), shown[1], shown[2]
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    assert token.registration_expires_at is not None
    assert world.idc.authorizations == 1

    status = json.loads(status_text)
    listed = {row["name"]: row for row in json.loads(list_text)}
    # status --json was taken between `started` and `finished`: its end within that window
    status_end_low = started + int(status["seconds_left"])
    status_end_high = finished + int(status["seconds_left"])
    list_end = int(listed["dev"]["login_expires"])
    assert status_end_low - 1 <= list_end <= status_end_high + 1, (status, listed["dev"])
    assert list_end == token.expires_at
    assert status["expiration"] == token.expires_at
    assert segment in {
        f"aws:dev {human_duration(list_end - t)}" for t in range(started, finished + 1)
    }
    # and none of them is the client registration's end
    assert abs(list_end - token.registration_expires_at) > 86400
    assert "d" not in segment.removeprefix("aws:dev")


@pytest.mark.parametrize("keys", [False, True], ids=["profile", "keys"])
def test_no_registration_end_is_exported_without_a_session_duration(
    world: SsoWorld, keys: bool
) -> None:
    # GIVEN no awsenv_session_duration, WHEN `use dev` (or `use dev --keys`) runs,
    # THEN nothing the shell receives counts to the 90-day registration, and a renewing
    # session is marked renewable without an end awsenv cannot know.
    args = ["use", "dev", "--keys"] if keys else ["use", "dev"]
    result = run_awsenv(args, {**world.env, "AWSENV_SHELL": "bash"})
    assert result.returncode == 0, result.stderr
    exported = {}
    for line in result.stdout.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            exported[name] = value.strip("'")
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    assert token.registration_expires_at is not None
    horizon = token.expires_at
    for name in ("AWSENV_EXPIRATION", "AWSENV_RENEWABLE"):
        value = exported.get(name, "")
        if value.isdigit():
            assert int(value) <= horizon, (name, value, horizon)
    assert exported["AWSENV_RENEWABLE"] == "session"
    if not keys:
        assert exported["AWSENV_EXPIRATION"] == str(token.expires_at)


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_the_prompt_counts_the_token_then_shows_the_mark(
    world: SsoWorld, shell: str, tmp_path
) -> None:
    # GIVEN a profile-mode shell on a renewing session, WHEN its token's time has passed,
    # THEN the prompt shows the renewable mark (the SDKs renew it), never `expired`.
    shown = _run(world, shell, "awsenv use dev\n" + AGE[shell] + SEGMENT[shell], tmp_path)
    assert shown[0].strip() == f"aws:dev {MARK}"


@pytest.mark.parametrize("shell", sorted(SHELLS))
@pytest.mark.parametrize("keys", [False, True], ids=["profile", "keys"])
def test_after_logout_the_shell_that_ran_it_shows_no_live_clock(
    world: SsoWorld, shell: str, keys: bool, tmp_path
) -> None:
    # GIVEN a wrapped shell using dev, WHEN it runs `awsenv logout`,
    # THEN its prompt counts nothing any more: the profile needs a sign-in (profile mode), or
    # the exported keys run out with no mark that they renew (keys mode).
    use = "awsenv use dev --keys\n" if keys else "awsenv use dev\n"
    spec = SHELLS[shell]
    shown = _run(
        world,
        shell,
        use
        + SEGMENT[shell]
        + "awsenv logout\n"
        + SEGMENT[shell]
        + spec.print_var("AWSENV_RENEWABLE")
        + "\n"
        + AGE[shell]
        + SEGMENT[shell],
        tmp_path,
    )
    before, after, renewable, aged = (part.strip() for part in shown[:4])
    assert before.startswith("aws:dev ")
    assert before != "aws:dev expired"
    assert renewable == "<unset>"
    if keys:
        assert after.startswith("aws:dev ")
        assert MARK not in after
    else:
        assert after == "aws:dev expired"
    assert aged == "aws:dev expired"
    assert tokens.load_token(world.env, CORP) is None


def test_logout_of_another_session_leaves_the_clock_alone(world: SsoWorld, tmp_path) -> None:
    # GIVEN a shell on dev (session corp), WHEN it logs out of a session it does not use,
    # THEN its clock is untouched.
    shown = _run(
        world,
        "bash",
        "awsenv use dev\n"
        + SHELLS["bash"].print_var("AWSENV_EXPIRATION")
        + "\nawsenv logout legacy\n"
        + SHELLS["bash"].print_var("AWSENV_EXPIRATION")
        + "\n",
        tmp_path,
    )
    assert shown[0] == shown[1] != "<unset>"


@pytest.mark.parametrize("renewable", ["future", "session", "always"])
def test_status_on_expired_renewable_keys_says_awsenv_refresh_renews_them(
    world: SsoWorld, renewable: str, tmp_path
) -> None:
    # GIVEN a shell whose exported keys expired while what they come from renews them,
    # WHEN `status` runs, THEN it says that `awsenv refresh` renews them (the prompt's mark).
    value = {"future": "$((EPOCHSECONDS + 7290))", "session": "session", "always": "always"}
    shown = _run(
        world,
        "bash",
        # the prompt would renew such keys itself (tests/shells/test_auto_refresh.py): off here,
        # to see what status says about keys nobody renewed
        "AWSENV_AUTO_REFRESH=0\n"
        "awsenv use dev --keys\n"
        + AGE["bash"]
        + f"AWSENV_RENEWABLE={value[renewable]}\n"
        + SEGMENT["bash"]
        + "awsenv status; printf '\\0'\n"
        + "awsenv status --json; printf '\\0'\n",
        tmp_path,
    )
    segment, text, facts = shown[0].strip(), shown[1], json.loads(shown[2])
    assert segment.startswith(f"aws:dev {MARK}")
    assert "expired; `awsenv refresh` renews them" in text
    assert facts["renew_due"] is True
    if renewable == "future":
        # the prompt counts to the session's end, and so does status
        assert isinstance(facts["renewable"], int)
        assert facts["ends"] == facts["renewable"]
        assert segment.split()[-1] in text
    else:
        assert facts["renewable"] == renewable
        assert facts["ends"] is None


def test_status_counts_to_the_end_the_prompt_shows(world: SsoWorld, tmp_path) -> None:
    # GIVEN keys renewable until a known session end, WHEN the keys are still valid,
    # THEN status counts to the same end as the prompt (the session's), not the keys' hour.
    shown = _run(
        world,
        "bash",
        "awsenv use dev --keys\n"
        + "AWSENV_RENEWABLE=$((EPOCHSECONDS + 7290))\n"  # mid-minute: 2h01m for 30 s
        + SEGMENT["bash"]
        + "awsenv status; printf '\\0'\n"
        + "awsenv status --json; printf '\\0'\n",
        tmp_path,
    )
    segment, text, facts = shown[0].strip(), shown[1], json.loads(shown[2])
    assert segment.split()[-1] == "2h01m"
    assert f"expires in {segment.split()[-1]}" in text
    assert facts["ends"] == facts["renewable"]
    assert facts["renew_due"] is False
