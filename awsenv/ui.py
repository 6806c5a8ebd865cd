"""Everything a person reads: messages on stderr, colour rules, tables. Never stdout."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

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
    """Format time left the way the prompt does: 42s, 42m, 1h05m, expired."""
    if seconds <= 0:
        return "expired"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
