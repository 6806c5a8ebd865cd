"""Cache files that hold tokens or keys: torn, unreadable or readable by others (for doctor)."""

from __future__ import annotations

import os
import stat

from awsenv import paths
from awsenv.diagnose.model import (
    ERROR,
    TORN_CACHE_FILE,
    UNREADABLE_CACHE_FILE,
    WRONG_FILE_MODE,
    Problem,
)
from awsenv.providers.cached import MISSING, TORN, UNREADABLE, read_object
from awsenv.sso import tokens

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def wanted_mode(path: str, mode: int, *, secret: bool) -> int | None:
    """Return the mode a file should have, or None if its mode is fine.

    Files holding secrets (or tokens) must be private; any other file must at least not be
    writable by others (a ``credential_process`` line someone adds runs as you).
    """
    del path
    bits = 0o077 if secret else 0o022
    return mode & ~bits if mode & bits else None


def mode_problem(path: str, mode: int, want: int, what: str) -> Problem:
    """Return the wrong-file-mode problem (``--fix`` chmods the file to ``want``)."""
    return Problem(
        WRONG_FILE_MODE,
        ERROR,
        f"{path} has mode {mode:04o}: {what}",
        path=path,
        hint=f"chmod {want:o} {path} ('awsenv doctor --fix' does it)",
        fixable=True,
        chmod=want,
    )


def cache_dirs(environ: Mapping[str, str]) -> list[str]:
    """Return the directories of cache files that hold tokens or credentials."""
    own = paths.cache_dir(environ)
    return [
        tokens.sso_cache_dir(environ),
        tokens.cli_cache_dir(environ),
        os.path.join(own, "okta"),
        os.path.join(own, "saml"),
    ]


def cache_problems(environ: Mapping[str, str]) -> list[Problem]:
    """Find torn, unreadable and too-open cache files (botocore raises on a torn one)."""
    found: list[Problem] = []
    for directory in cache_dirs(environ):
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in entries:
            if not entry.endswith(".json") or entry.startswith("."):
                continue  # temporary files of a write in progress, and foreign files
            path = os.path.join(directory, entry)
            state, _data, detail = read_object(path)
            if state == TORN:
                found.append(
                    Problem(
                        TORN_CACHE_FILE,
                        ERROR,
                        f"cache file {path} is torn ({detail}): botocore and the AWS CLI raise "
                        "an error on it instead of logging in again",
                        path=path,
                        hint=f"delete it: rm {path} (the next use logs in or fetches again)",
                    )
                )
            elif state == UNREADABLE:
                found.append(
                    Problem(
                        UNREADABLE_CACHE_FILE,
                        ERROR,
                        f"cache file {path} cannot be read ({detail or 'unreadable'})",
                        path=path,
                        hint=f"check its owner and mode, or delete it: rm {path}",
                    )
                )
            if os.name == "nt" or state in (MISSING, UNREADABLE):
                continue
            try:
                mode = stat.S_IMODE(os.stat(path).st_mode)
            except OSError:
                continue
            want = wanted_mode(path, mode, secret=True)
            if want is not None:
                found.append(
                    mode_problem(path, mode, want, "it holds tokens or keys others can read")
                )
    return found
