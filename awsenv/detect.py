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


def _nearest_shell() -> tuple[str, str | None] | None:
    """Return (dialect, executable or None) of the nearest shell among our ancestors."""
    try:
        import psutil

        process = psutil.Process().parent()
        for _ in range(6):
            if process is None:
                break
            found = _shell_name(process.name())
            if found:
                try:
                    executable = process.exe() or None
                except Exception:  # noqa: BLE001 - e.g. AccessDenied: the dialect still counts
                    executable = None
                return found, executable
            process = process.parent()
    except Exception:  # noqa: BLE001, S110 - best effort; the callers have a fallback
        pass
    return None


def parent_shell(environ: Mapping[str, str]) -> str | None:
    """Return the dialect of the nearest shell among this process's ancestors, else $SHELL's."""
    nearest = _nearest_shell()
    if nearest is not None:
        return nearest[0]
    shell = environ.get("SHELL")
    return _shell_name(shell) if shell else None


def parent_shell_executable() -> str | None:
    """Return the program file of the nearest shell among this process's ancestors, if known."""
    nearest = _nearest_shell()
    return nearest[1] if nearest is not None else None
