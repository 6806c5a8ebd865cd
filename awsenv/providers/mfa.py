"""Ask for an MFA code on the controlling terminal (``/dev/tty``), never on stdout or stdin.

stdout is the wire the shell evaluates and stdin may be a pipe, so the prompt is written to and the
answer read from ``/dev/tty`` itself. With no controlling terminal the caller gets
:class:`MfaRequired`, whose hint points at ``--mfa-code``.
"""

from __future__ import annotations

import os

from awsenv.providers import MfaRequired

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from awsenv.providers import Context

    T = TypeVar("T")

TTY_PATH = "/dev/tty"
CODE_LENGTH = 6  # STS TokenCode: exactly six digits
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)


class NoTerminal:
    """What :func:`ask_twice` returns when there is no terminal to ask on."""


NO_TERMINAL_HERE = NoTerminal()


def open_tty(path: str = TTY_PATH) -> int | None:
    """Open the controlling terminal to ask on (close-on-exec, never made ours); None if none."""
    try:
        return os.open(path, os.O_RDWR | _O_CLOEXEC | _O_NOCTTY)
    except OSError:
        return None


def have_tty(path: str = TTY_PATH) -> bool:
    """Return True if a controlling terminal can be opened to ask on."""
    fd = open_tty(path)
    if fd is None:
        return False
    os.close(fd)
    return True


def may_ask(ctx: Context) -> bool:
    """True if a source may ask the person now (a terminal, and not ``refresh --auto``).

    Every question a source asks (an MFA code, a SAML role) goes through here, so the
    prompt's unattended renewal can never stop at one.
    """
    return not ctx.unattended and have_tty()


def is_code(text: str) -> bool:
    """Return True for exactly six ASCII digits (what STS accepts as TokenCode)."""
    return len(text) == CODE_LENGTH and text.isascii() and text.isdigit()


def read_line(fd: int) -> str | None:
    """Read one line from the terminal; None at end of file (Ctrl-D)."""
    data = bytearray()
    while True:
        chunk = os.read(fd, 1)
        if not chunk:
            return None if not data else data.decode("utf-8", "replace")
        if chunk in (b"\n", b"\r"):
            return data.decode("utf-8", "replace")
        data += chunk
        if len(data) > 1024:  # nobody types a code or a key this long; stop reading
            return data.decode("utf-8", "replace")


def write_tty(fd: int, text: str) -> None:
    """Write all of ``text`` to the terminal."""
    view = memoryview(text.encode("utf-8", "replace"))
    while view:
        view = view[os.write(fd, view) :]


def ask_line(fd: int, prompt: str, *, echo: bool = True) -> str | None:
    """Ask ``prompt`` on the open terminal and return the line; None at end of input.

    With ``echo`` False (a secret) echo goes off before the prompt shows, so nothing typed
    after it is ever echoed, and comes back (with a new line) whatever happens.
    """
    if echo:
        write_tty(fd, prompt)
        return read_line(fd)
    import termios

    saved = termios.tcgetattr(fd)
    quiet = list(saved)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
    try:
        write_tty(fd, prompt)
        return read_line(fd)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        write_tty(fd, "\n")


def ask_twice(
    path: str, prompt: str, parse: Callable[[str], T | None], retry: str, *, before: str = ""
) -> T | NoTerminal | None:
    """Ask on the terminal at ``path`` until ``parse`` accepts an answer, twice at most.

    ``before`` is written first (a menu); ``retry`` after a refused first answer. Returns what
    ``parse`` made of the answer, None after two refusals or end of input (Ctrl-D), and
    :data:`NO_TERMINAL_HERE` when no terminal can be opened.
    """
    fd = open_tty(path)
    if fd is None:
        return NO_TERMINAL_HERE
    try:
        if before:
            write_tty(fd, before)
        for attempt in range(2):
            write_tty(fd, prompt)
            line = read_line(fd)
            if line is None:
                write_tty(fd, "\n")
                break
            value = parse(line.strip())
            if value is not None:
                return value
            if attempt == 0:
                write_tty(fd, retry)
    finally:
        os.close(fd)
    return None


def tty_prompt(serial: str, *, path: str = TTY_PATH) -> str:
    """Ask ``MFA code for <serial>: `` on the terminal and return a six-digit code.

    Anything else is refused with one more chance; a second bad answer, end of input, or no
    terminal at all raises :class:`MfaRequired` (hint: ``--mfa-code``).
    """
    code = ask_twice(
        path,
        f"MFA code for {serial}: ",
        lambda text: text if is_code(text) else None,
        f"an MFA code is {CODE_LENGTH} digits; try again\n",
    )
    if isinstance(code, NoTerminal):
        raise MfaRequired(serial)
    if code is None:
        raise MfaRequired(serial, reason="no six-digit code was entered")
    return code
