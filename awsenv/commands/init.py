"""``awsenv init [SHELL]``: print the shell integration (function, prompt segment, completion)."""

from __future__ import annotations

import os
import sys

from awsenv import paths, shells
from awsenv.errors import AwsenvError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def core_command(environ: Mapping[str, str]) -> list[str]:
    """Return how the wrappers start the core: this interpreter and awsenv's ``__main__.py``.

    Both by absolute path: no PATH lookup, no pyenv shim. ``-I`` (isolated mode) keeps the
    current directory and PYTHON* variables out, so a directory that happens to hold an
    ``awsenv`` package cannot take over. It is left out only when awsenv itself is found
    through the user site or PYTHONPATH, which ``-I`` ignores. ``-S`` leaves ``site`` to the
    first import that needs it (see ``awsenv/__main__.py``).
    """
    executable = sys.executable
    if not executable:
        raise AwsenvError("cannot tell which Python interpreter runs awsenv")
    import site

    import awsenv

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(awsenv.__file__)))
    pythonpath = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
    needs_env = any(os.path.abspath(p) == package_parent for p in pythonpath) or (
        bool(user_site) and package_parent.startswith(os.path.abspath(user_site))
    )
    main = os.path.join(os.path.dirname(os.path.abspath(awsenv.__file__)), "__main__.py")
    return [executable, main] if needs_env else [executable, "-I", "-S", main]


def clock_file(environ: Mapping[str, str]) -> str:
    """Create (if needed) the file whose mtime is 0, which fish's prompt reads as a clock."""
    path = os.path.join(paths.ensure_private_dir(paths.cache_dir(environ)), "clock")
    try:
        if not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if os.stat(path).st_mtime != 0:
            os.utime(path, (0, 0))
    except OSError:
        return path  # the prompt then shows the profile without the time left
    return path


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
        command=core_command(environ),
        clock=clock_file(environ) if shell.clock else "",
        prompt=not args.get("no_prompt"),
        completion=not args.get("no_completion"),
    )
    return write_script(shell.name, script) if args.get("write") else script
