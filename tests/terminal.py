"""Run a program on a pseudo-terminal and type into it, as a user at a terminal would."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


@dataclass
class PtyRun:
    """One finished program: its exit status, what its terminal showed and (if piped) stdout."""

    code: int
    raw: bytes
    stdout: str

    @property
    def screen(self) -> str:
        """Return what the terminal showed, decoded."""
        return self.raw.decode("utf-8", "replace")


def _controlling_tty() -> None:
    # Runs in the child: a new session with the pty as its terminal, as a terminal emulator
    # does (fish refuses to be interactive without one; /dev/tty prompts need one).
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_pty(
    argv: list[str],
    env: Optional[dict[str, str]] = None,
    *,
    answers: tuple[str | bytes, ...] | list[str | bytes] = (),
    trigger: Optional[bytes] = None,
    type_ahead: bytes = b"",
    pipe_stdout: bool = False,
    cwd: Optional[os.PathLike[str] | str] = None,
    timeout: float = 30,
) -> PtyRun:
    """Run ``argv`` with a pty as its controlling terminal (stdin, stdout, stderr) and type.

    ``type_ahead`` is written at once. Each of ``answers`` is typed (a str with a newline, bytes
    as they are: keys such as Esc) when
    ``trigger`` has shown once more than the answers typed so far, or, without ``trigger``, when
    the program has been quiet for 0.3 s (it waits at its prompt). ``pipe_stdout`` sends stdout
    to a pipe of its own (``PtyRun.stdout``) instead of the terminal. The program is killed after
    ``timeout`` seconds.
    """
    master, slave = pty.openpty()
    process = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=subprocess.PIPE if pipe_stdout else slave,
        stderr=slave,
        env=env,
        cwd=cwd,
        preexec_fn=_controlling_tty,
    )
    os.close(slave)
    if type_ahead:
        os.write(master, type_ahead)
    screen = bytearray()
    stdout = bytearray()
    pending = list(answers)
    typed = 0
    open_fds = {master: screen}
    if process.stdout is not None:
        open_fds[process.stdout.fileno()] = stdout
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    try:
        while open_fds and time.monotonic() < deadline:
            ready, _, _ = select.select(list(open_fds), [], [], 0.1)
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the program closed the terminal
                    chunk = b""
                if not chunk:
                    del open_fds[fd]
                    continue
                open_fds[fd] += chunk
                if fd == master:
                    quiet_since = time.monotonic()
            if pending and (
                (trigger is not None and screen.count(trigger) > typed)
                or (trigger is None and not ready and time.monotonic() - quiet_since > 0.3)
            ):
                answer = pending.pop(0)
                os.write(master, answer if isinstance(answer, bytes) else answer.encode() + b"\n")
                typed += 1
                quiet_since = time.monotonic()
            if not ready and process.poll() is not None:
                break
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
        if process.stdout is not None:
            process.stdout.close()
    return PtyRun(process.returncode, bytes(screen), stdout.decode("utf-8", "replace"))


def run_expect(
    argv: list[str],
    env: Optional[dict[str, str]],
    steps: list[tuple[bytes, bytes]],
    *,
    cwd: Optional[os.PathLike[str] | str] = None,
    timeout: float = 60,
) -> PtyRun:
    """Run ``argv`` on a pty as :func:`run_pty` does, typing each step's keys once its text shows.

    ``steps`` are (text, keys): the keys are typed when the text has appeared on the terminal
    after the point where the previous step's text was found (a conversation, not a count). The
    program is killed after ``timeout`` seconds; :attr:`PtyRun.code` is then negative and the
    steps left untyped show in the screen's tail.
    """
    master, slave = pty.openpty()
    process = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=cwd,
        preexec_fn=_controlling_tty,
    )
    os.close(slave)
    screen = bytearray()
    pending = list(steps)
    seen = 0  # where the next step's text is looked for
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the program closed the terminal
                    chunk = b""
                if not chunk:
                    break
                screen += chunk
            while pending:
                at = screen.find(pending[0][0], seen)
                if at == -1:
                    break
                text, keys = pending.pop(0)
                seen = at + len(text)
                os.write(master, keys)
            if not ready and process.poll() is not None:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(master)
    return PtyRun(process.returncode, bytes(screen), "")


def interactive_shell_argv(
    shell: str, tmp_path: Path, init: Path, env: dict[str, str], prompt: str
) -> list[str]:
    """argv of an interactive bash, zsh or fish with only ``prompt`` and awsenv's ``init`` file.

    No user or system rc files; zsh reads its rc from ``tmp_path`` (``ZDOTDIR`` is set in
    ``env``). The default fish_prompt asks git about the directory: fish gets a builtin-only one.
    """
    if shell == "bash":
        rc = tmp_path / "bashrc"
        rc.write_text(f"PS1={prompt}\nsource {init}\n", encoding="utf-8")
        return ["bash", "--noprofile", "--rcfile", str(rc), "-i"]
    if shell == "zsh":
        (tmp_path / ".zshrc").write_text(f"PROMPT={prompt}\nsource {init}\n", encoding="utf-8")
        env["ZDOTDIR"] = str(tmp_path)
        return ["zsh", "--no-globalrcs", "-i"]
    return [
        "fish",
        "--no-config",
        "--private",
        "-i",
        "-C",
        f"function fish_prompt; printf {prompt}; end; source {init}",
    ]
