#!/usr/bin/env python3
"""Time the ``awsenv use`` picker at 10 000 profiles: the first draw and each keystroke.

    .venv/bin/python bench/picker.py                # 10 000 profiles, 5 runs
    .venv/bin/python bench/picker.py --profiles 1000 --runs 3

First draw: from reading the profiles (config index and cache summaries, warm as after any
``use`` or ``list``) to the first render through prompt_toolkit (a pipe input, a DummyOutput:
what it costs to lay out, not the terminal's drawing). Re-filter: ``picker.rank`` for each
prefix of a typed query, and one keystroke through the application up to its next render.
Start to draw: from starting the core (``python -I -S .../__main__.py use``, as the shell
function does) on a pseudo-terminal to the picker on it, Python and prompt_toolkit's import
included. Budget: first draw within 150 ms, a re-filter within 30 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import write_profiles

QUERIES = ("sso-12", "admn uswst", "legacy 33")


def first_draw(environ: dict[str, str]) -> tuple[float, list[float]]:
    """Return (ms to the first render, ms from each typed key to the render after it)."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from awsenv import catalog, history, picker

    keys = list("sso-12")
    renders: list[float] = []
    start = time.perf_counter()
    items = picker.entries(catalog.rows(environ), history.recent(environ), time.time())
    with create_pipe_input() as pipe:
        app = picker.application(items, pipe, DummyOutput())
        sent = [0.0]

        def rendered(_app: object) -> None:
            if app.is_done or app.future is None or app.future.done():
                return
            renders.append(time.perf_counter() - (sent[0] or start))
            if keys:
                sent[0] = time.perf_counter()
                pipe.send_text(keys.pop(0))
            else:
                app.exit(result=None)

        app.after_render += rendered
        asyncio.run(app.run_async())
    return renders[0] * 1000, [r * 1000 for r in renders[1:]]


def process_draw(environ: dict[str, str]) -> float:
    """Return ms from starting the core as the wrapper does to the picker on a terminal."""
    import pty
    import select
    import subprocess

    from awsenv.shells import core_command

    master, slave = pty.openpty()
    start = time.perf_counter()
    process = subprocess.Popen(
        [*core_command(environ), "use"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**environ, "AWSENV_SHELL": "bash", "TERM": "xterm"},
        preexec_fn=_controlling_tty,
    )
    os.close(slave)
    screen = b""
    try:
        while b"Esc: leave" not in screen:
            ready, _, _ = select.select([master], [], [], 10)
            if not ready:
                raise RuntimeError("no picker within 10 s: " + screen.decode(errors="replace"))
            screen += os.read(master, 65536)
        elapsed = time.perf_counter() - start
        os.write(master, b"\x03")
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
        if process.stdout is not None:
            process.stdout.close()
    return elapsed * 1000


def _controlling_tty() -> None:
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def refilter(environ: dict[str, str]) -> list[float]:
    from awsenv import catalog, history, picker

    items = picker.entries(catalog.rows(environ), history.recent(environ), time.time())
    times = []
    for query in QUERIES:
        for end in range(1, len(query) + 1):
            start = time.perf_counter()
            picker.rank(items, query[:end])
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        write_profiles(home, options.profiles)
        past = time.time() - 60  # a file changed within 2 s is parsed every time (index.py)
        for path in [home / ".aws", *(home / ".aws").iterdir()]:
            os.utime(path, (past, past))
        environ = {"HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(home / "c")}
        os.environ.update(environ)  # `~` in the config paths expands with the process's HOME
        # The index is keyed by the interpreter that wrote it too: the core's runs and this
        # process's each warm their own once, as any use or list before leaves it.
        process_draw(environ)
        starts = [process_draw(environ) for _ in range(options.runs)]
        from awsenv import catalog

        count = len(catalog.rows(environ))
        assert count >= options.profiles, count
        draws, keys, filters = [], [], []
        for _ in range(options.runs):
            draw, typed = first_draw(environ)
            draws.append(draw)
            keys.extend(typed)
            filters.extend(refilter(environ))
    print(f"profiles: {options.profiles}, runs: {options.runs}")
    print(f"start to draw   median {statistics.median(starts):6.1f} ms  max {max(starts):6.1f} ms")
    print(f"first draw      median {statistics.median(draws):6.1f} ms  max {max(draws):6.1f} ms")
    print(f"key to render   median {statistics.median(keys):6.1f} ms  max {max(keys):6.1f} ms")
    print(
        f"re-filter       median {statistics.median(filters):6.1f} ms  "
        f"max {max(filters):6.1f} ms  ({len(filters)} queries)"
    )


if __name__ == "__main__":
    main()
