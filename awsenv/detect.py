"""Find which shell started awsenv (for a bare ``awsenv init``), using psutil."""

from __future__ import annotations

import os

from awsenv import shells

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def _shell_name(executable_name: str) -> str | None:
    name = os.path.basename(executable_name).lower()
    name = name.removesuffix(".exe") if hasattr(name, "removesuffix") else name
    name = name.lstrip("-")  # login shells appear as "-bash"
    shell = shells.by_process_name(name)
    return shell.name if shell else None


def parent_shell(environ: Mapping[str, str]) -> str | None:
    """Return the dialect of the nearest shell among this process's ancestors, else $SHELL's."""
    try:
        import psutil

        process = psutil.Process().parent()
        for _ in range(6):
            if process is None:
                break
            found = _shell_name(process.name())
            if found:
                return found
            process = process.parent()
    except Exception:  # noqa: BLE001, S110 - best effort; $SHELL is the fallback
        pass
    shell = environ.get("SHELL")
    return _shell_name(shell) if shell else None
