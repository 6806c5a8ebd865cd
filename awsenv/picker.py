"""``awsenv use`` with no profile at a terminal: pick one by typing part of it (and asking).

The picker draws on the controlling terminal (``/dev/tty``) and reads keys from it, so stdout
stays the wire the shell function evaluates, the same in every shell. Its rows come from
:mod:`awsenv.catalog` (config index and cache summaries, no network), recently used profiles
first (:mod:`awsenv.history`). :func:`choose` shows any rows (``awsenv configure`` picks an
account or a role with it) and :func:`ask` asks one question on the terminal, with completion.
prompt_toolkit is imported here, inside those functions, only.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from prompt_toolkit.application import Application
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    Row = dict[str, "str | None"]

TTY_PATH = "/dev/tty"
SHOWN = 12  # rows drawn at most
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_WINDOWS = sys.platform.startswith("win")


class Entry:
    """One profile as the picker shows and searches it."""

    __slots__ = ("hay", "line", "name", "order")

    def __init__(self, name: str, hay: str, line: str, order: int) -> None:
        self.name = name
        self.hay = hay  # lower-case text searched: name, account, role, region
        self.line = line  # what the row shows after the name
        self.order = order  # config order, or the place in the history for recent profiles


def entries(rows: Sequence[Row], recent: Sequence[str], now: float) -> list[Entry]:
    """Return the rows as entries, recently used first (history order), then config order."""
    place = {name: i for i, name in enumerate(recent)}
    offset = len(place)
    result = []
    for i, row in enumerate(rows):
        name = str(row["name"])
        fields = [row.get("account"), row.get("role"), row.get("region")]
        hay = " ".join([name, *(f for f in fields if f)]).lower()
        line = "  ".join(
            [
                f"{row.get('kind') or '-':<10}",
                f"{row.get('account') or '-':<12}",
                f"{row.get('role') or '-':<20}",
                f"{row.get('region') or '-':<14}",
                login_text(row, now),
            ]
        )
        result.append(Entry(name, hay, line, place.get(name, offset + i)))
    result.sort(key=lambda e: e.order)
    return result


def login_text(row: Row, now: float) -> str:
    """Say whether using the profile needs a browser, from the cache alone."""
    state = row.get("login")
    if state is None:
        return ""
    expires = row.get("login_expires")
    if state == "valid" and expires:
        from awsenv import ui

        return f"logged in, {ui.human_duration(int(expires) - int(now))} left"
    if state == "refreshable":
        return "expired, renews without a browser"
    if state == "invalid":
        return "invalid"
    return "needs a browser"


def _fuzzy(word: str, hay: str) -> bool:
    """Return True if the characters of ``word`` appear in ``hay`` in order."""
    at = 0
    for char in word:
        at = hay.find(char, at) + 1
        if not at:
            return False
    return True


def rank(items: Sequence[Entry], query: str) -> list[Entry]:
    """Return the entries that match ``query``, best first.

    Every word of the query must match. An entry whose name holds every word comes first, then
    one whose account, role or region does, then one that holds them only as scattered letters
    (fuzzy); within each of those, recently used profiles first, then config order.
    """
    words = query.lower().split()
    if not words:
        return list(items)
    tiers: tuple[list[Entry], list[Entry], list[Entry]] = ([], [], [])
    for entry in items:
        hay = entry.hay
        tier = 0
        for word in words:
            if word in entry.name.lower():
                continue
            if word in hay:
                tier = max(tier, 1)
            elif _fuzzy(word, hay):
                tier = 2
            else:
                break
        else:
            tiers[tier].append(entry)
    return tiers[0] + tiers[1] + tiers[2]


def have_terminal() -> bool:
    """Return True if a person can use the picker: stdin and stderr are a terminal we can open."""
    if not (sys.stdin is not None and sys.stdin.isatty()):
        return False
    if not (sys.stderr is not None and sys.stderr.isatty()):
        return False
    if _WINDOWS:
        return True
    try:
        fd = os.open(TTY_PATH, os.O_RDWR | _O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def pick(environ: Mapping[str, str]) -> str | None:
    """Show the picker on the terminal; return the chosen profile, or None (Esc, Ctrl-C)."""
    import time

    from awsenv import catalog, history

    items = entries(catalog.rows(environ), history.recent(environ), time.time())
    if not items:
        from awsenv.errors import UsageError

        raise UsageError(
            "no profiles found to pick from", hint="add some to ~/.aws/config (see 'aws configure')"
        )
    return choose(items)


def choose(
    items: Sequence[Entry], *, prompt: str = "awsenv use > ", action: str = "use"
) -> str | None:
    """Show ``items`` on the terminal to pick one; its name, or None (Esc, Ctrl-C).

    ``prompt`` stands before what is typed; ``action`` names what Enter does. ``use`` picks a
    profile with it, ``configure`` an account or a role.
    """
    from prompt_toolkit.input import create_input
    from prompt_toolkit.output import create_output

    if _WINDOWS:  # the console itself; stdout stays the wire
        output = _no_cpr(create_output(sys.stderr))
        return _run(application(items, create_input(), output, prompt=prompt, action=action))
    with (
        open(TTY_PATH, encoding="utf-8") as tty_in,
        open(TTY_PATH, "w", encoding="utf-8") as tty_out,
    ):
        app = application(
            items,
            create_input(tty_in),
            _no_cpr(create_output(tty_out)),
            prompt=prompt,
            action=action,
        )
        return _run(app)


def ask(question: str, *, default: str = "", words: Sequence[str] = ()) -> str | None:
    """Ask one question on the terminal; the answer (``default`` if left empty), None on Ctrl-C.

    ``words`` are offered by Tab (a region list, for instance). Like :func:`choose`, it reads
    from and draws on the terminal itself, never stdin or stdout.
    """
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.input import create_input
    from prompt_toolkit.output import create_output

    shown = f"{question} [{default}]: " if default else f"{question}: "
    completer = WordCompleter(list(words), sentence=True) if words else None

    def run(input_: Input, output: Output) -> str | None:
        session: PromptSession[str] = PromptSession(input=input_, output=output)
        try:
            text = session.prompt(shown, completer=completer, complete_while_typing=False)
        except (KeyboardInterrupt, EOFError):
            return None
        return text.strip() or default

    if _WINDOWS:
        return run(create_input(), _no_cpr(create_output(sys.stderr)))
    with (
        open(TTY_PATH, encoding="utf-8") as tty_in,
        open(TTY_PATH, "w", encoding="utf-8") as tty_out,
    ):
        return run(create_input(tty_in), _no_cpr(create_output(tty_out)))


def _no_cpr(output: Output) -> Output:
    if hasattr(output, "enable_cpr"):
        # No cursor position request: the picker needs no rows below it reserved, and a
        # terminal that never answers (a bare pty, an editor's shell) would stall the first keys.
        output.enable_cpr = False
    return output


def _run(app: Application[str | None]) -> str | None:
    result = app.run()
    return None if result is None else str(result)


def application(
    items: Sequence[Entry],
    input_: Input | None,
    output: Output | None,
    *,
    prompt: str = "awsenv use > ",
    action: str = "use",
) -> Application[str | None]:
    """Build the picker as a prompt_toolkit application on ``input_`` and ``output``."""
    from prompt_toolkit.application import Application
    from prompt_toolkit.buffer import Buffer
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import HSplit, Layout, Window
    from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
    from prompt_toolkit.layout.processors import BeforeInput

    state = {"shown": list(items), "at": 0}
    width = min(max((len(e.name) for e in items), default=10), 40)

    def refilter(buffer: Buffer) -> None:
        state["shown"] = rank(items, buffer.text)
        state["at"] = 0

    query = Buffer(multiline=False, on_text_changed=refilter)

    def lines() -> StyleAndTextTuples:
        shown: list[Entry] = state["shown"]  # type: ignore[assignment]
        at: int = state["at"]  # type: ignore[assignment]
        first = max(0, at - SHOWN + 1)
        out: StyleAndTextTuples = []
        for i, entry in enumerate(shown[first : first + SHOWN], start=first):
            style = "reverse" if i == at else ""
            out.append((style, f"{'>' if i == at else ' '} {entry.name:<{width}}  {entry.line}"))
            out.append(("", "\n"))
        out.append(("italic", f"  {len(shown)}/{len(items)}  Enter: {action}  Esc: leave"))
        return out

    keys = KeyBindings()

    def move(step: int) -> None:
        count = len(state["shown"])  # type: ignore[arg-type]
        if count:
            state["at"] = (int(state["at"]) + step) % count  # type: ignore[call-overload]

    @keys.add("up")
    @keys.add("c-p")
    def _up(_event: object) -> None:
        move(-1)

    @keys.add("down")
    @keys.add("c-n")
    def _down(_event: object) -> None:
        move(1)

    @keys.add("enter")
    @keys.add("c-j")
    def _accept(event: object) -> None:
        shown: list[Entry] = state["shown"]  # type: ignore[assignment]
        if shown:
            event.app.exit(result=shown[int(state["at"])].name)  # type: ignore[attr-defined, call-overload]

    @keys.add("escape", eager=True)
    @keys.add("c-c")
    @keys.add("c-d")
    def _leave(event: object) -> None:
        event.app.exit(result=None)  # type: ignore[attr-defined]

    layout = Layout(
        HSplit(
            [
                Window(
                    BufferControl(query, input_processors=[BeforeInput(prompt)]),
                    height=1,
                ),
                Window(FormattedTextControl(lines), dont_extend_height=True),
            ]
        ),
        focused_element=query,
    )
    app: Application[str | None] = Application(
        layout=layout,
        key_bindings=keys,
        full_screen=False,
        erase_when_done=True,
        input=input_,
        output=output,
    )
    app.ttimeoutlen = 0.05  # a lone Esc leaves at once, not after half a second
    return app
