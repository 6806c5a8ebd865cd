"""``awsenv init [SHELL]``: print the shell integration (function, prompt segment, completion)."""

from __future__ import annotations

import os

from awsenv import paths, shells
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def write_script(dialect: str, script: str) -> str:
    """Write ``script`` to awsenv's data directory; return the line that sources it.

    Sourcing a file costs the shell about a millisecond, where ``eval "$(awsenv init ...)"``
    starts Python on every shell start. The file names this interpreter by path, so it is
    written again after an upgrade (the line stays the same).
    """
    import platformdirs

    from awsenv import cache, ui

    shell = shells.get(dialect)
    directory = str(platformdirs.user_data_dir("awsenv", appauthor=False))
    path = os.path.join(directory, "init." + shell.extension)
    paths.ensure_private_dir(directory)
    cache.write_bytes(path, script.encode("utf-8"))
    line = shell.source_line(path)
    ui.info(f"wrote {path}; put this line in {shell.rc_file} in place of the eval line: {line}")
    return line + "\n"


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the init script for the named (or detected) shell (or write it, with --write)."""
    name = args.get("shell")
    if name:
        shell = shells.get(str(name))
    else:
        from awsenv import detect

        detected = detect.parent_shell(environ)
        if detected is None:
            raise UsageError(
                "cannot tell which shell this is",
                hint="name it: awsenv init " + "|".join(shells.DIALECTS),
            )
        shell = shells.SHELLS[detected]
    script = shells.init_script(
        shell.name,
        command=shells.core_command(environ),
        clock=shells.clock_file(environ) if shell.clock else "",
        prompt=not args.get("no_prompt"),
        completion=not args.get("no_completion"),
        auto_refresh=not args.get("no_auto_refresh"),
    )
    return write_script(shell.name, script) if args.get("write") else script
