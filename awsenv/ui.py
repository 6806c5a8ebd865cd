"""Everything a person reads: messages on stderr, colour rules, tables. Never stdout."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

_SGR = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}


def use_colour(stream: object, environ: Mapping[str, str] | None = None) -> bool:
    """Return True if ``stream`` is a terminal and neither NO_COLOR nor TERM=dumb says no."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return False
    if sys.platform.startswith("win"):
        import colorama

        colorama.just_fix_windows_console()
    return True


def paint(text: str, colour: str, *, enabled: bool) -> str:
    """Wrap ``text`` in an ANSI colour when ``enabled``."""
    return f"\x1b[{_SGR[colour]}m{text}\x1b[0m" if enabled else text


def printable(text: str) -> str:
    """Replace control characters so a hostile name cannot drive the terminal."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def error(message: str, hint: str | None = None) -> None:
    """Print ``awsenv: message`` (and an indented hint) on stderr."""
    colour = use_colour(sys.stderr)
    print(f"{paint('awsenv:', 'red', enabled=colour)} {printable(message)}", file=sys.stderr)
    if hint:
        print(f"  {paint('hint:', 'dim', enabled=colour)} {printable(hint)}", file=sys.stderr)


def warn(message: str) -> None:
    """Print a warning on stderr."""
    colour = use_colour(sys.stderr)
    print(f"{paint('awsenv:', 'yellow', enabled=colour)} {printable(message)}", file=sys.stderr)


def info(message: str) -> None:
    """Print an informational line on stderr."""
    print(f"awsenv: {printable(message)}", file=sys.stderr)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    colours: Sequence[str | None],
    *,
    colour: bool,
) -> str:
    """Lay out rows in aligned columns; ``colours`` gives each row's colour (or None)."""
    cells = [[printable(c) for c in header], *[[printable(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for index, row in enumerate(cells):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
        if index == 0:
            line = paint(line, "bold", enabled=colour)
        elif colours[index - 1]:
            line = paint(line, colours[index - 1] or "", enabled=colour)
        lines.append(line)
    return "\n".join(lines) + "\n"


def human_duration(seconds: int) -> str:
    """Format time left the way the prompt does: 42s, 42m, 1h05m, 3d07h, expired."""
    if seconds <= 0:
        return "expired"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


class _StdoutToStderr:
    """Point fd 1 at stderr while a child starts: under the wrapper stdout is eval'd as code."""

    def __enter__(self) -> None:
        sys.stdout.flush()
        self._saved = os.dup(1)
        os.dup2(2, 1)

    def __exit__(self, *exc: object) -> None:
        os.dup2(self._saved, 1)
        os.close(self._saved)


def can_open_browser(environ: Mapping[str, str]) -> bool:
    """Return True where a graphical browser can plausibly open (or BROWSER names one).

    Without a display, Python's webbrowser falls back to text browsers (lynx, w3m) that would
    take over the terminal awsenv is drawing on; printing the URL is better there.
    """
    if environ.get("BROWSER"):
        return True
    if sys.platform == "darwin" or sys.platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def openable(url: str) -> bool:
    """Return True for an absolute http(s) URL with no control characters or spaces.

    The last line of defence: the login code checks the host before it gets here; this refuses
    ``javascript:``, ``file:`` and anything a shell or a terminal could read differently.
    """
    scheme, sep, rest = url.partition("://")
    return (
        bool(sep and rest)
        and scheme.lower() in ("http", "https")
        and all(ch.isprintable() and not ch.isspace() for ch in url)
    )


# How long a BROWSER command may take to say it failed; one still running then is a browser.
BROWSER_START_SECONDS = 3.0


def _stderr_fd() -> int:
    """Stderr's descriptor for a child's stdout (stdout is the shell's wire), or /dev/null."""
    import subprocess

    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return subprocess.DEVNULL


def _run_browser(command: str, url: str) -> bool:
    """Run one ``BROWSER`` entry as webbrowser does (``%s`` is the URL); True if it worked."""
    import shlex
    import subprocess

    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if not words:
        return False
    args = [word.replace("%s", url) for word in words]
    if not any("%s" in word for word in words):
        args.append(url)
    try:
        child = subprocess.Popen(  # noqa: S603 - the user's own BROWSER setting
            args, stdin=subprocess.DEVNULL, stdout=_stderr_fd(), close_fds=True
        )
    except OSError:
        return False
    try:
        return child.wait(timeout=BROWSER_START_SECONDS) == 0
    except subprocess.TimeoutExpired:
        return True  # still running: a browser that stays in the foreground


def open_browser(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """Open ``url`` in a graphical browser, its output kept off stdout; False on failure.

    ``BROWSER`` (entries separated by ``os.pathsep``) is tried in order and nothing else: a
    ``BROWSER`` that fails is a failure. Without it, webbrowser picks the platform's browser,
    but never a text browser (lynx, w3m): those would take over the terminal awsenv draws on.
    """
    env = os.environ if environ is None else environ
    if not openable(url):
        return False
    commands = env.get("BROWSER", "")
    if commands:
        return any(_run_browser(c, url) for c in commands.split(os.pathsep) if c.strip())
    import webbrowser

    # webbrowser registers console browsers only when TERM is set, at its first use
    term = os.environ.pop("TERM", None)
    try:
        with _StdoutToStderr():
            return bool(webbrowser.open_new_tab(url))
    except (webbrowser.Error, OSError):
        return False
    finally:
        if term is not None:
            os.environ["TERM"] = term


class Progress:
    """One status line redrawn in place on stderr, on a terminal only (nothing elsewhere).

    ``show`` redraws at most every ``interval`` seconds (always with ``force``); ``done``
    clears the line. Call it from one thread.
    """

    def __init__(self, stream: object = None, *, interval: float = 0.1) -> None:
        import time

        self._stream: Any = sys.stderr if stream is None else stream
        isatty = getattr(self._stream, "isatty", None)
        self.live = bool(callable(isatty) and isatty())
        self._interval = interval
        self._clock = time.monotonic
        self._drawn_at: float | None = None

    def show(self, text: str, *, force: bool = False) -> None:
        """Draw ``awsenv: text`` over the previous line."""
        if not self.live:
            return
        now = self._clock()
        if not force and self._drawn_at is not None and now - self._drawn_at < self._interval:
            return
        self._drawn_at = now
        self._stream.write(f"\rawsenv: {printable(text)}\x1b[K")
        self._stream.flush()

    def done(self) -> None:
        """Clear the line."""
        if self.live and self._drawn_at is not None:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn_at = None


class LoginUI:
    """What a login shows the user; this base shows nothing (tests, non-interactive use)."""

    def open_url(self, url: str, *, user_code: str | None) -> None:
        """Show (and, where it can, open) the URL the user must visit."""

    def tick(self, message: str, seconds_left: float) -> None:
        """Update the live waiting line."""

    def done(self) -> None:
        """Clear the live waiting line."""

    def notice(self, message: str) -> None:
        """Tell the user something about the login (a choice made, a fallback taken)."""


class TerminalLoginUI(LoginUI):
    """The interactive login UI: URL and code on stderr, a live waiting line, the browser."""

    _FRAMES = "|/-\\"

    def __init__(self, *, no_browser: bool, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._no_browser = no_browser
        self._live = sys.stderr.isatty()
        self._frame = 0
        self._said: set[str] = set()
        self._colour = use_colour(sys.stderr, self._environ)

    def open_url(self, url: str, *, user_code: str | None) -> None:
        """Open the sign-in page (unless told not to) and always show how to reach it."""
        opened = False
        if not self._no_browser and can_open_browser(self._environ):
            opened = open_browser(url, self._environ)
        # The URL is always shown: a browser that failed silently must not be a dead end.
        lead = (
            "Opened your browser to sign in; if it did not open, visit:"
            if opened
            else "Open this page to sign in:"
        )
        print(f"awsenv: {lead}", file=sys.stderr)
        print(f"  {printable(url)}", file=sys.stderr)
        if user_code:
            code = paint(printable(user_code), "bold", enabled=self._colour)
            print(f"  Check that the page shows the code {code}", file=sys.stderr)
        sys.stderr.flush()

    def tick(self, message: str, seconds_left: float) -> None:
        """Redraw the waiting line (a terminal) or say the message once (anything else)."""
        if not self._live:
            if message not in self._said:
                self._said.add(message)
                print(f"awsenv: {printable(message)}...", file=sys.stderr)
            return
        frame = self._FRAMES[self._frame % len(self._FRAMES)]
        self._frame += 1
        left = int(max(0, seconds_left))
        sys.stderr.write(
            f"\r{frame} {printable(message)} "
            f"({left // 60}:{left % 60:02d} left, Ctrl-C to cancel)\x1b[K"
        )
        sys.stderr.flush()

    def notice(self, message: str) -> None:
        """Say ``message`` on its own line of stderr."""
        self.done()
        info(message)

    def done(self) -> None:
        """Clear the waiting line."""
        if self._live and self._frame:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._frame = 0


# JSON lets DEL, the C1 controls (0x9b is CSI on 8-bit terminals) and the line separators stand
# raw inside strings; a hostile profile name would then reach the terminal as a control code. A
# lone surrogate is a byte that is not text (a path or a variable, surrogateescape): written raw
# it is that byte (0x9b again), so it is escaped too, as json.dumps escapes it in ASCII mode.
_JSON_RAW_CODES = (*range(0x7F, 0xA0), 0x2028, 0x2029, *range(0xD800, 0xE000))


def json_text(value: object) -> str:
    r"""Return ``value`` as indented JSON, non-ASCII kept but every control character escaped.

    Controls, line separators and undecodable bytes come out as ``\uXXXX`` escapes, so the text
    is valid UTF-8 with no C0 or C1 control in it, and ``json.loads`` gives ``value`` back.
    """
    import json

    raw = {code: f"\\u{code:04x}" for code in _JSON_RAW_CODES}
    return json.dumps(value, indent=2, ensure_ascii=False).translate(raw) + "\n"
