"""Automatic renewal at the prompt, in real interactive bash, zsh and fish under strace.

A shell holding exported keys that renew silently (a role over static keys: AWSENV_RENEWABLE
`always`; an SSO-rooted chain: `session`) and that are within 5 minutes of their end runs the core
once, as `refresh --auto`, before the prompt, and evaluates what it prints. strace counts the
core's execve calls: one for a renewal, none while nothing is due, one a minute at most for a
renewal that fails. A renewal that needs a browser starts none, keeps the mark and `$?`, and the
next `awsenv refresh` the user types signs in.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from awsenv import shells
from awsenv.sso import tokens
from tests.helpers import IN_CI, PYTHON, minimal_env, require_tool, write_config
from tests.terminal import interactive_shell_argv, run_pty
from tests.worlds import SsoWorld

pytestmark = pytest.mark.shells

DIALECTS = ["bash", "zsh", "fish"]
BINDIR = os.path.dirname(PYTHON)
ROLE_ARN = "arn:aws:iam::123456789012:role/Ops"
ROLE_CONFIG = f"""\
[profile ops]
role_arn = {ROLE_ARN}
source_profile = base
region = eu-west-1
"""
BASE_KEYS = "[base]\naws_access_key_id = AKIABASEEXAMPLE00001\naws_secret_access_key = s\n"
SSO_CHAIN = """
[profile role-on-sso]
role_arn = arn:aws:iam::111111111111:role/OnSso
source_profile = dev
region = us-east-1
"""
EXEC_LINE = re.compile(r'^(\d+)\s+execve\("[^"]*", \[(.*)\]')
AUTO = '"refresh", "--auto"'
# What the prompts print: the status of the last command, so a hook that loses it shows.
PROMPTS = {"bash": "'rc=$?> '", "zsh": "'rc=%?> '", "fish": "'rc=%s> ' $status"}


def exported(env: dict[str, str], *args: str) -> dict[str, str]:
    """Run ``awsenv ARGS`` through bash's eval and return the AWS*/AWSENV* variables it left."""
    core = shells.quote("bash", PYTHON)
    result = subprocess.run(
        [
            "bash",
            "--noprofile",
            "--norc",
            "-c",
            f'eval "$(AWSENV_SHELL=bash {core} -I -m awsenv "$@")" && env -0',
            "bash",
            *args,
        ],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    found = {}
    for item in result.stdout.split(b"\0"):
        name, _, value = item.decode().partition("=")
        if name.startswith(("AWS_", "AWSENV_")) and name not in env:
            found[name] = value
    return found


class Run:
    """One interactive shell under strace: its terminal output and the core's runs."""

    def __init__(self, screen: bytes, log: str) -> None:
        self.screen = screen
        self.log = log
        self.auto_pids = [
            m.group(1)
            for m in map(EXEC_LINE.match, log.splitlines())
            if m and AUTO in m.group(2) and "resumed>" not in m.group(0)
        ]

    def auto_runs(self) -> int:
        return len(self.auto_pids)

    def exit_codes(self) -> list[int]:
        codes = []
        for pid in self.auto_pids:
            found = re.search(rf"^{pid}\s+\+\+\+ exited with (\d+) \+\+\+", self.log, re.M)
            codes.append(int(found.group(1)) if found else -1)
        return codes


def interactive(
    dialect: str,
    env: dict[str, str],
    tmp_path: Path,
    lines: list[str],
    *,
    init_args: tuple[str, ...] = (),
    trace: str = "execve",
    timeout: float = 90,
) -> Run:
    """Start ``dialect`` interactively on a pty with awsenv's init, type ``lines``, then exit."""
    strace = require_tool("strace")
    require_tool(dialect)
    env = dict(env, TERM="xterm")
    made = subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", "init", dialect, "--no-completion", *init_args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    init = tmp_path / f"init.{dialect}"
    init.write_text(made.stdout, encoding="utf-8")
    log = tmp_path / f"strace-{dialect}-{time.monotonic_ns()}.log"
    argv = interactive_shell_argv(dialect, tmp_path, init, env, PROMPTS[dialect])
    typed = "".join(line + "\n" for line in [*lines, "exit"]).encode()
    run = run_pty(
        [strace, "-f", "-q", "-s", "256", "-e", f"trace={trace}", "-o", str(log), *argv],
        env,
        type_ahead=typed,
        cwd=tmp_path,
        timeout=timeout,
    )
    text = log.read_text(encoding="utf-8", errors="replace")
    if "execve(" not in text:
        message = f"strace cannot trace here: {run.raw[-300:]!r}"
        if IN_CI:
            pytest.fail(message + " (CI must not pass by skipping)")
        pytest.skip(message)
    return Run(run.raw, text)


def printed(tmp_path: Path) -> list[str]:
    return (tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()


# every shell: `printf` and `>` mean the same in bash, zsh and fish
PRINT = 'printf \'%s\\n\' "$AWS_ACCESS_KEY_ID" "$AWSENV_EXPIRATION" "$AWSENV_RENEWABLE" > out.txt'


def set_line(dialect: str, name: str, value: str) -> str:
    return f"set -gx {name} {value}" if dialect == "fish" else f"{name}={value}"


# --- a role over static keys: renewable always ----------------------------------------------


@pytest.fixture
def role_env(home: Path, moto_sts: str) -> dict[str, str]:
    write_config(home, ROLE_CONFIG, credentials=BASE_KEYS)
    return minimal_env(
        home,
        AWS_ENDPOINT_URL_STS=moto_sts,
        AWS_DEFAULT_REGION="us-east-1",
        PATH=BINDIR + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
    )


def aged_keys(home: Path, env: dict[str, str]) -> dict[str, str]:
    """`use ops --keys`, then an hour later: the keys and the role's cache entry are past."""
    keys = exported(env, "use", "ops", "--keys")
    assert keys["AWSENV_RENEWABLE"] == "always"
    for entry in (home / ".aws" / "cli" / "cache").glob("*.json"):
        entry.unlink()
    keys["AWSENV_EXPIRATION"] = str(int(time.time()) - 30)
    return keys


@pytest.mark.parametrize("dialect", DIALECTS)
def test_expired_keys_renew_at_the_next_prompt_with_one_core_process(
    dialect, home, tmp_path, role_env
) -> None:
    before = aged_keys(home, role_env)
    run = interactive(
        dialect,
        {**role_env, **before},
        tmp_path,
        ["", "", PRINT, "aws sts get-caller-identity --query Arn --output text > arn.txt", ""],
    )
    assert run.auto_runs() == 1, run.screen[-800:]
    assert run.exit_codes() == [0]
    key, expiration, renewable = printed(tmp_path)
    assert key.startswith("ASIA")
    assert key != before["AWS_ACCESS_KEY_ID"]
    assert int(expiration) > time.time() + 600  # the clock moved on: nothing due any more
    assert renewable == "always"
    arn = (tmp_path / "arn.txt").read_text(encoding="utf-8").strip()
    assert arn.startswith("arn:aws:sts::123456789012:assumed-role/Ops/"), run.screen[-800:]
    assert "\u21bb".encode() not in run.screen.split(b"rc=0>")[-1]


# What the shell holds as its prompt, written to prompt.txt: bash's PS1, zsh's PROMPT, and for
# fish whether fish_prompt is, as fish prints functions, the one the user defined (`same`).
FISH_BODY = "string match -rv '^#' | string replace -r '^function \\S+' function | string collect"
PROMPT_HELD = {
    "bash": "printf '%s' \"$PS1\" > prompt.txt",
    "zsh": "printf '%s' \"$PROMPT\" > prompt.txt",
    "fish": f"function __t_ref; printf {PROMPTS['fish']}; end; "
    f"if test (functions fish_prompt | {FISH_BODY}) = (functions __t_ref | {FISH_BODY}); "
    "echo same; else; functions fish_prompt; end > prompt.txt",
}
PROMPT_SET = {"bash": "rc=$?> ", "zsh": "rc=%?> ", "fish": "same"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_prompt_renews_at_the_next_prompt_and_leaves_the_prompt_byte_identical(
    dialect, home, tmp_path, role_env
) -> None:
    # starship, powerlevel10k and oh-my-posh users init with --no-prompt: their prompt stays
    # exactly theirs, and their keys still renew.
    before = aged_keys(home, role_env)
    env = {**role_env, **before}
    # Not due when the shell starts; the first line ages them and fails a command.
    env["AWSENV_EXPIRATION"] = str(int(time.time()) + 3600)
    gone = str(int(time.time()) - 30)
    run = interactive(
        dialect,
        env,
        tmp_path,
        [
            set_line(dialect, "AWSENV_EXPIRATION", gone) + "; sh -c 'exit 7'",
            "",
            PRINT,
            PROMPT_HELD[dialect],
            "aws sts get-caller-identity --query Arn --output text > arn.txt",
            "",
        ],
        init_args=("--no-prompt",),
    )
    assert run.auto_runs() == 1, run.screen[-800:]
    assert run.exit_codes() == [0]
    assert b"rc=7> " in run.screen  # the hook renewed before that prompt and kept $?
    key, expiration, renewable = printed(tmp_path)
    assert key.startswith("ASIA")
    assert key != before["AWS_ACCESS_KEY_ID"]
    assert int(expiration) > time.time() + 600
    assert renewable == "always"
    arn = (tmp_path / "arn.txt").read_text(encoding="utf-8").strip()
    assert arn.startswith("arn:aws:sts::123456789012:assumed-role/Ops/"), run.screen[-800:]
    # the prompt is the user's, byte for byte: as held by the shell and as drawn
    held = (tmp_path / "prompt.txt").read_text(encoding="utf-8")
    assert held.rstrip("\n") == PROMPT_SET[dialect]
    assert b"aws:" not in run.screen
    assert "\u21bb".encode() not in run.screen


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("init_args", [(), ("--no-prompt",)], ids=["segment", "no-prompt"])
def test_a_hundred_prompts_with_nothing_due_start_no_process(
    dialect, init_args, home, tmp_path
) -> None:
    # exported keys that renew (the hook's whole test runs) but are an hour from their end
    env = minimal_env(
        home,
        NO_COLOR="1",
        AWSENV_PROFILE="ops",
        AWS_ACCESS_KEY_ID="ASIAEXAMPLE000000001",
        AWSENV_EXPIRATION=str(int(time.time()) + 3600),
        AWSENV_RENEWABLE="always",
    )
    trace = "clone,clone3,fork,vfork,execve"

    def processes(renders: int, where: Path) -> tuple[int, Run]:
        where.mkdir()
        run = interactive(
            dialect, env, where, [""] * renders, trace=trace, timeout=120, init_args=init_args
        )
        calls = [
            line
            for line in run.log.splitlines()
            if re.match(r"^\d+\s+(clone3?|v?fork|execve)\(", line)
            and "resumed>" not in line
            and "CLONE_THREAD" not in line
        ]
        return len(calls), run

    few, few_run = processes(2, tmp_path / "few")
    many, many_run = processes(100, tmp_path / "many")
    assert few_run.auto_runs() == many_run.auto_runs() == 0
    if init_args:
        assert many_run.screen.count(b"rc=0>") >= 101  # the user's prompt alone, every time
        assert b"aws:" not in many_run.screen
    else:
        assert many_run.screen.count(b"aws:ops rc=0>") >= 101  # drawn at every prompt
    assert many - few == 0


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("how", ["variable", "init"])
def test_auto_refresh_0_or_init_no_auto_refresh_turns_it_off(
    dialect, how, home, tmp_path, role_env
) -> None:
    before = aged_keys(home, role_env)
    env = {**role_env, **before}
    init_args: tuple[str, ...] = ()
    if how == "variable":
        env["AWSENV_AUTO_REFRESH"] = "0"
    else:
        init_args = ("--no-auto-refresh",)
    run = interactive(dialect, env, tmp_path, ["", "", PRINT], init_args=init_args)
    assert run.auto_runs() == 0
    assert printed(tmp_path)[0] == before["AWS_ACCESS_KEY_ID"]
    assert "aws:ops \u21bb".encode() in run.screen  # the mark says what to do instead


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_failing_renewal_is_tried_once_a_minute_and_keeps_the_status(
    dialect, home, tmp_path, role_env
) -> None:
    before = aged_keys(home, role_env)
    # STS cannot be reached: every renewal fails
    env = {**role_env, **before, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}
    # The keys are not due when the shell starts; the first line ages them and fails.
    env["AWSENV_EXPIRATION"] = str(int(time.time()) + 3600)
    gone = str(int(time.time()) - 30)
    # a minute later (the time it holds off is a shell variable compared with the clock)
    later = "set -g __awsenv_auto_next 0" if dialect == "fish" else "__awsenv_auto_next=0"
    run = interactive(
        dialect,
        env,
        tmp_path,
        [set_line(dialect, "AWSENV_EXPIRATION", gone) + "; sh -c 'exit 7'"]
        + [""] * 5
        + [PRINT, later, ""],
    )
    assert run.auto_runs() == 2, run.screen[-800:]
    assert run.exit_codes() == [1, 1]
    assert b"rc=7>" in run.screen  # the hook ran before that prompt and kept $?
    assert printed(tmp_path)[0] == before["AWS_ACCESS_KEY_ID"]  # nothing was evaluated
    assert b"Traceback" not in run.screen
    assert b"awsenv:" not in run.screen  # stderr went nowhere: the mark is the signal


# --- an SSO-rooted chain whose session needs a sign-in again ---------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_renewal_that_needs_a_browser_starts_none_and_refresh_then_signs_in(
    dialect, home, tmp_path, idc, moto_sts
) -> None:
    world = SsoWorld(home, idc, moto_sts)
    with (home / ".aws" / "config").open("a", encoding="utf-8") as config:
        config.write(SSO_CHAIN)
    before = exported(world.env, "use", "role-on-sso", "--keys")
    assert before["AWSENV_RENEWABLE"] == "session"
    assert len(world.browser_urls()) == 1
    # The session ended: the token is past, the refresh token refused, the role keys gone.
    sess = tokens.SsoSession("corp", "https://d-1234567890.awsapps.com/start", "us-east-1")
    path = tokens.token_path(world.env, sess)
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    Path(path).write_text(json.dumps(data), encoding="utf-8")
    for entry in (home / ".aws" / "cli" / "cache").glob("*.json"):
        entry.unlink()
    idc.expire_access_tokens()
    idc.revoke_refresh_tokens()

    gone = str(int(time.time()) - 30)
    run = interactive(
        dialect,
        {**world.env, **before, "NO_COLOR": "1"},
        tmp_path,
        [
            set_line(dialect, "AWSENV_EXPIRATION", gone) + "; sh -c 'exit 7'",
            "",
            "",
            "awsenv refresh",
            PRINT,
        ],
        timeout=120,
    )
    assert run.auto_runs() == 1, run.screen[-1500:]
    assert run.exit_codes() == [3]  # needs the user: nothing started
    assert b"rc=7>" in run.screen
    assert "aws:role-on-sso \u21bb rc=7>".encode() in run.screen  # the mark stays
    # One browser for the first sign-in, one for the `awsenv refresh` typed after: none from
    # the prompt.
    assert len(world.browser_urls()) == 2
    key, expiration, renewable = printed(tmp_path)
    assert key != before["AWS_ACCESS_KEY_ID"]
    assert int(expiration) > time.time() + 600
    assert renewable == "session"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_renewable_end_already_past_starts_nothing(dialect, home, tmp_path) -> None:
    env = minimal_env(
        home,
        NO_COLOR="1",
        AWSENV_PROFILE="dev",
        AWS_ACCESS_KEY_ID="ASIAEXAMPLE000000001",
        AWSENV_EXPIRATION=str(int(time.time()) - 90),
        AWSENV_RENEWABLE=str(int(time.time()) - 30),
    )
    run = interactive(dialect, env, tmp_path, ["", ""])
    assert run.auto_runs() == 0
    assert b"aws:dev expired" in run.screen
