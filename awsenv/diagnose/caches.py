"""Cache files and directories doctor checks: torn, unreadable, readable or writable by others.

Files that hold tokens or keys must be whole, readable and private; the directories holding
them, the AWS files and awsenv's locks must not be writable by others.
"""

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
from awsenv.providers import session
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
        session.directory(environ),
    ]


def watched_dirs(environ: Mapping[str, str]) -> list[tuple[str, str, bool]]:
    """Return (directory, what it holds, awsenv's own) for every directory whose entries matter.

    The AWS files' directory, the token and credential caches, awsenv's cache (its locks, index
    and memos) and, for each, the directories between it and the home directory: whoever can
    rename a parent can put a directory of their own in its place.
    """
    own = paths.cache_dir(environ)
    config = os.path.dirname(paths.config_file(environ))
    credentials = os.path.dirname(paths.credentials_file(environ))
    named = [
        (config, "the config file" if config != credentials else "the AWS files", False),
        (credentials, "the credentials file", False),
        (tokens.sso_cache_dir(environ), "the SSO tokens", False),
        (tokens.cli_cache_dir(environ), "the cached credentials", False),
        (own, "awsenv's locks, index and memos", True),
        (os.path.join(own, "locks"), "awsenv's locks", True),
        (os.path.join(own, "okta"), "Okta tokens", True),
        (os.path.join(own, "saml"), "SAML role keys", True),
    ]
    home = os.path.abspath(paths.home(environ))
    found: dict[str, tuple[str, str, bool]] = {}
    for directory, what, mine in named:
        directory = os.path.abspath(directory)
        found.setdefault(directory, (directory, what, mine))
        parent = os.path.dirname(directory)
        while parent.startswith(home + os.sep) and parent not in found:
            found[parent] = (parent, f"the directories in it ({what})", False)
            parent = os.path.dirname(parent)
    return sorted(found.values())


def directory_problems(environ: Mapping[str, str]) -> list[Problem]:
    """Find those directories that others may write to (``--fix`` removes the write bits).

    Without the sticky bit another user can delete or rename what is in them (a token, a lock:
    two awsenv processes then hold different locks); with it they can still create files at the
    names awsenv and the AWS CLI use. awsenv's own directories should be 0700, the others
    at least not writable by group and others.
    """
    if os.name == "nt":
        return []
    found: list[Problem] = []
    for directory, what, mine in watched_dirs(environ):
        try:
            st = os.stat(directory)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            continue
        mode = stat.S_IMODE(st.st_mode)
        if not mode & 0o022:
            continue
        want = mode & ~(0o077 if mine else 0o022)
        who = "other users" if mode & 0o002 else "members of its group"
        if mode & stat.S_ISVTX:
            harm = f"{who} can create files in it under the names awsenv and the AWS CLI use"
        else:
            harm = f"{who} can delete or rename {what} in it"
        found.append(
            Problem(
                WRONG_FILE_MODE,
                ERROR,
                f"directory {directory} has mode {mode:04o}: {harm}",
                path=directory,
                hint=f"chmod {want:o} {directory} ('awsenv doctor --fix' does it)",
                fixable=True,
                chmod=want,
            )
        )
    return found


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
