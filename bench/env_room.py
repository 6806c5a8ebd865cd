#!/usr/bin/env python3
"""Measure the largest value and the largest environment `use` accepts, in bash, zsh and fish.

    .venv/bin/python bench/env_room.py                 # bash, zsh and fish
    .venv/bin/python bench/env_room.py --shells bash

For each shell, through the shipped shell function and the real core (docs/reliability.md,
"Room in the environment"):

1. value: the longest ``aws_session_token`` of a static profile that ``use --keys`` exports,
   found by bisection, then the shell starting a program (``/usr/bin/env true``) with it; one
   byte more: the exit status, the message, and whether the shell still starts a program.
   Then the same one-byte-longer value exported by hand, to show where the kernel stops.
2. environment: the largest filler the shell can inherit for ``use`` of a small profile to be
   accepted (bisection), the environment's size then as a child sees it (``env -0 | wc -c``,
   strings with their NULs, and the variable count); one byte more: as above.

Not a test: it prints and exits 0; tests/shells/test_env_room.py and tests/unit/test_exports.py
assert the boundaries.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from awsenv import exports, shells

KEYS = "aws_access_key_id = AKIAROOM\naws_secret_access_key = s\n"
CHUNK = 100 * 1024  # filler variables of at most this size: each fits in one string


def init_line(dialect: str) -> str:
    python = shells.quote(dialect, sys.executable)
    if dialect == "fish":
        return f"{python} -I -m awsenv init fish --no-prompt | source\n"
    return f'eval "$({python} -I -m awsenv init {dialect} --no-prompt)"\n'


def argv(dialect: str) -> list[str]:
    return {
        "bash": ["bash", "--noprofile", "--norc"],
        "zsh": ["zsh", "--no-rcs", "--no-globalrcs"],
        "fish": ["fish", "--no-config", "--private"],
    }[dialect]


class Home:
    """A temporary HOME whose config holds one profile, rewritten for each try."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / ".aws").mkdir()
        self.config = root / ".aws" / "config"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "AWS_CONFIG_FILE": str(self.config),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.root / ".aws" / "credentials"),
            "XDG_CACHE_HOME": str(self.root / ".cache"),
            **extra,
        }

    def profile(self, token: str | None) -> None:
        text = "[profile room]\nregion = eu-west-1\n" + KEYS
        if token is not None:
            text += f"aws_session_token = {token}\n"
        self.config.write_text(text, encoding="utf-8")
        os.utime(self.config, (1, 1))  # older than the racy window: the index may keep it


def run(dialect: str, env: dict[str, str], command: str) -> dict[str, str]:
    """Run ``command`` through the shell function; report its status and whether programs run."""
    if dialect == "fish":
        status, size, count = "$status", "(env -0 | wc -c)", "(env -0 | tr -cd '\\000' | wc -c)"
    else:
        status, size, count = "$?", '"$(env -0 | wc -c)"', "\"$(env -0 | tr -cd '\\000' | wc -c)\""
    script = (
        init_line(dialect)
        + f"{command}\nprintf 'status=%s\\n' {status}\n"
        + "/usr/bin/env true 2>/dev/null && echo runs=yes || echo runs=no\n"
        + f"printf 'bytes=%s\\n' {size}\nprintf 'vars=%s\\n' {count}\n"
    )
    # a file, not -c: the script can hold a value too long for one argument
    path = Path(env["HOME"]) / f"script.{dialect}"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(
        [*argv(dialect), str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    facts = dict(
        line.split("=", 1) for line in result.stdout.splitlines() if "=" in line and " " not in line
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    facts["stderr_lines"] = str(len(lines))
    facts["message"] = lines[0] if lines else ""
    return facts


def bisect(accepts, low: int, high: int) -> int:
    """Return the largest n in [low, high) that ``accepts`` (accepts(low) must be True)."""
    while high - low > 1:
        middle = (low + high) // 2
        if accepts(middle):
            low = middle
        else:
            high = middle
    return low


def value_room(home: Home, dialect: str) -> None:
    def accepts(size: int) -> bool:
        home.profile("t" * size)
        return run(dialect, home.env(), "awsenv use --keys room").get("status") == "0"

    largest = bisect(accepts, 1, 1024 * 1024)
    home.profile("t" * largest)
    at = run(dialect, home.env(), "awsenv use --keys room")
    home.profile("t" * (largest + 1))
    past = run(dialect, home.env(), "awsenv use --keys room")
    by_hand = run(dialect, home.env(), f"export AWS_SESSION_TOKEN={'t' * (largest + 1)}")
    if dialect == "fish":
        by_hand = run(dialect, home.env(), f"set -gx AWS_SESSION_TOKEN {'t' * (largest + 1)}")
    print(f"{dialect} value: largest AWS_SESSION_TOKEN accepted = {largest} bytes")
    print(f"  at it: status {at.get('status')}, a program starts after: {at.get('runs')}")
    print(
        f"  one byte past: status {past.get('status')}, stderr lines {past['stderr_lines']}, "
        f"a program starts after: {past.get('runs')}"
    )
    print(f"    {past['message']}")
    print(f"  the same value exported by hand: a program starts after: {by_hand.get('runs')}")


def filler(size: int) -> dict[str, str]:
    env: dict[str, str] = {}
    index = 0
    while size > 0:
        env[f"FILL{index:03d}"] = "f" * min(size, CHUNK)
        size -= CHUNK
        index += 1
    return env


def total_room(home: Home, dialect: str) -> None:
    home.profile(None)

    def accepts(size: int) -> bool:
        return run(dialect, home.env(**filler(size)), "awsenv use room").get("status") == "0"

    cap = exports.total_limit() or 4 * 1024 * 1024
    largest = bisect(accepts, 0, cap)
    at = run(dialect, home.env(**filler(largest)), "awsenv use room")
    past = run(dialect, home.env(**filler(largest + 1)), "awsenv use room")
    print(
        f"{dialect} environment: largest filler inherited = {largest} bytes; after use: "
        f"{at.get('bytes')} bytes of NAME=value strings (env -0 | wc -c) in {at.get('vars')} "
        f"variables; a program starts after: {at.get('runs')}"
    )
    print(
        f"  one byte past: status {past.get('status')}, stderr lines {past['stderr_lines']}, "
        f"a program starts after: {past.get('runs')}"
    )
    print(f"    {past['message']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shells", nargs="*", default=["bash", "zsh", "fish"])
    args = parser.parse_args()
    print(
        f"kernel: one string at most {exports.string_limit()} bytes (MAX_ARG_STRLEN); "
        f"SC_ARG_MAX {os.sysconf('SC_ARG_MAX')}; awsenv keeps {exports.MARGIN} free"
    )
    for dialect in args.shells:
        if not shutil.which(dialect):
            print(f"{dialect}: not installed, skipped")
            continue
        with tempfile.TemporaryDirectory(prefix="awsenv-room-") as tmp:
            home = Home(Path(tmp))
            value_room(home, dialect)
            total_room(home, dialect)
    return 0


if __name__ == "__main__":
    sys.exit(main())
