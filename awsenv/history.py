"""The profiles this user switched to, most recent first: the ``use`` picker lists them first.

``<cache>/history`` holds one name a line, oldest first. ``use`` appends its profile with one
``O_APPEND`` write (a whole line, never interleaved with another ``use``'s; no temporary file,
no fsync: the hot path opens one file and nothing twice). When the file outgrows
:data:`COMPACT_BYTES` it is rewritten through ``cache.write_bytes``
(atomic, 0600) with each name once. A history that cannot be written never fails ``use``.
"""

from __future__ import annotations

import os

from awsenv import cache, paths
from awsenv.errors import CacheError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

KEEP = 50  # names kept when the file is rewritten
COMPACT_BYTES = 16 << 10
_FLAGS = (
    os.O_WRONLY
    | os.O_APPEND
    | os.O_CREAT
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
)
_REGULAR = 0o100000
_FORMAT_BITS = 0o170000


def path(environ: Mapping[str, str]) -> str:
    """Return the history file's path."""
    return os.path.join(paths.cache_dir(environ), "history")


def recent(environ: Mapping[str, str]) -> list[str]:
    """Return the names used, most recent first (empty if there is no readable history)."""
    data = cache.read_bytes(path(environ), limit=4 * COMPACT_BYTES)
    if data is None:
        return []
    names: list[str] = []
    seen: set[str] = set()
    for line in reversed(data.decode("utf-8", "replace").split("\n")):
        if line and line not in seen:
            seen.add(line)
            names.append(line)
    return names[:KEEP]


def compact(environ: Mapping[str, str], names: list[str] | None = None) -> None:
    """Rewrite the file with each name once (at most :data:`KEEP`), atomically."""
    kept = recent(environ) if names is None else names[:KEEP]
    text = "".join(name + "\n" for name in reversed(kept))
    try:  # noqa: SIM105 - contextlib is an import the hot path does without
        cache.write_bytes(path(environ), text.encode("utf-8"))
    except CacheError:
        pass


def record(environ: Mapping[str, str], name: str) -> None:
    """Note that ``name`` was just used."""
    if not name or "\n" in name:
        return
    target = path(environ)
    try:
        fd = os.open(target, _FLAGS, 0o600)
    except OSError:
        compact(environ, [name, *recent(environ)])  # no cache directory yet, or a stray file
        return
    try:
        st = os.fstat(fd)
        if st.st_mode & _FORMAT_BITS != _REGULAR or cache.foreign(st):
            return
        if st.st_size >= COMPACT_BYTES:
            os.close(fd)
            fd = -1
            compact(environ, [name, *recent(environ)])
            return
        os.write(fd, (name + "\n").encode("utf-8"))
    except OSError:
        pass
    finally:
        if fd >= 0:
            os.close(fd)
