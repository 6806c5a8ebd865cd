"""The prompt segment starts no process: counted with strace in real interactive shells.

Each shell runs interactively on a pseudo-terminal under
`strace -f -e trace=clone,clone3,fork,vfork,execve`, with a profile and an expiration exported and
awsenv's init loaded (from a file, so startup itself runs no Python). Pressing Enter on an empty
line renders the prompt again. The process-creating calls of a run with FEW renders and of a run
with MANY renders must be equal: any per-render fork would show up (MANY - FEW) times. Threads
(clone with CLONE_THREAD, which fish uses for background work) are not processes and are not
counted. A control run with a prompt that does fork proves the count can see one.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.helpers import IN_CI, minimal_env, require_tool, run_awsenv
from tests.terminal import interactive_shell_argv, run_pty

pytestmark = pytest.mark.shells

FEW, MANY = 2, 12
PROCESS_CALL = re.compile(r"^\d+\s+(clone3?|v?fork|execve)\(")


def run_interactive(
    shell: str,
    renders: int,
    home: Path,
    tmp_path: Path,
    *,
    prompt: str = "'> '",
    renewable: str | None = None,
    **extra: str,
) -> tuple[int, bytes]:
    """Return (process-creating calls, terminal output) for ``renders`` empty command lines."""
    strace = require_tool("strace")
    require_tool(shell)
    env = minimal_env(
        home,
        TERM="xterm",
        AWSENV_PROFILE="dev",
        # both clocks: expired exports of a session that still renews (the longest path)
        AWSENV_EXPIRATION=str(int(time.time()) - 60),
        AWSENV_RENEWABLE=renewable or str(int(time.time()) + 3930),
        **extra,
    )
    result = run_awsenv(["init", shell, "--no-completion"], env)
    assert result.returncode == 0, result.stderr
    init = tmp_path / f"init.{shell}"
    init.write_text(result.stdout, encoding="utf-8")
    log = tmp_path / f"strace-{renders}.log"
    argv = interactive_shell_argv(shell, tmp_path, init, env, prompt)
    run = run_pty(
        [strace, "-f", "-qq", "-e", "trace=clone,clone3,fork,vfork,execve", "-o", str(log), *argv],
        env,
        type_ahead=b"\n" * renders + b"exit\n",
        cwd=tmp_path,
    )
    output = run.raw
    text = log.read_text(encoding="utf-8", errors="replace")
    if "execve(" not in text:
        # e.g. ptrace forbidden in a container: strace reports it on the terminal.
        message = f"strace cannot trace here: {output[-300:]!r}"
        if IN_CI:
            pytest.fail(message + " (CI must not pass by skipping)")
        pytest.skip(message)
    calls = [
        line
        for line in text.splitlines()
        if PROCESS_CALL.match(line) and "resumed>" not in line and "CLONE_THREAD" not in line
    ]
    return len(calls), output


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_prompt_segment_forks_no_process_per_render(shell, home, tmp_path) -> None:
    few, few_output = run_interactive(shell, FEW, home, tmp_path)
    many, many_output = run_interactive(shell, MANY, home, tmp_path)
    # The segment was drawn at every prompt (fish may draw a prompt more than once).
    segment = "aws:dev \u21bb 1h0".encode()
    assert few_output.count(segment) >= FEW + 1, few_output[-500:]
    assert many_output.count(segment) >= MANY + 1, many_output[-500:]
    assert many - few == 0


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_exec_subshell_mark_forks_no_process_per_render(shell, home, tmp_path) -> None:
    # a shell that `awsenv exec dev` started (AWSENV_EXEC) shows the mark, forking nothing more
    few, few_output = run_interactive(shell, FEW, home, tmp_path, AWSENV_EXEC="dev")
    many, many_output = run_interactive(shell, MANY, home, tmp_path, AWSENV_EXEC="dev")
    segment = "aws:dev(exec) \u21bb 1h0".encode()
    assert few_output.count(segment) >= FEW + 1, few_output[-500:]
    assert many_output.count(segment) >= MANY + 1, many_output[-500:]
    assert many - few == 0


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_session_of_unknown_end_forks_nothing_either(shell, home, tmp_path) -> None:
    # `session`: the mark with no time, through the same builtins
    few, few_output = run_interactive(shell, FEW, home, tmp_path, renewable="session")
    many, many_output = run_interactive(shell, MANY, home, tmp_path, renewable="session")
    segment = "aws:dev \u21bb\x1b[0m ".encode()
    assert few_output.count(segment) >= FEW + 1, few_output[-500:]
    assert many_output.count(segment) >= MANY + 1, many_output[-500:]
    assert many - few == 0


def test_fork_count_sees_a_prompt_that_forks(home, tmp_path) -> None:
    # Control: the same measurement with a user prompt that runs a command substitution.
    few, _ = run_interactive("bash", FEW, home, tmp_path, prompt="'$(echo x)> '")
    many, _ = run_interactive("bash", MANY, home, tmp_path, prompt="'$(echo x)> '")
    assert many - few >= MANY - FEW
