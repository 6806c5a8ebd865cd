"""The one reader and writer of cache files, and the inter-process lock awsenv logins share.

Every file awsenv writes goes through :func:`write_bytes`: a new 0600 file beside the target
(``O_CREAT | O_EXCL``, like ``mkstemp``), written, flushed to disk, then renamed over the target,
so a reader (awsenv, botocore, the AWS CLI) sees the old file or the new one, never a torn one, and
a symlink at the target is replaced rather than written through. Reading is forgiving the way
botocore's ``JSONFileCache`` is: a missing, empty, torn or foreign file is simply "not cached".
"""

from __future__ import annotations

import errno
import marshal
import os
import sys
import time

from awsenv import paths
from awsenv.errors import CacheError, LockTimeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

# Larger cache files are not ours (a token file is well under 10 KiB): refuse, do not parse.
MAX_JSON_BYTES = 1 << 20
TEMP_SUFFIX = ".tmp"

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted at a cache path must not hang us
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_REGULAR = 0o100000
_FORMAT_BITS = 0o170000


def _describe(exc: OSError) -> str:
    return exc.strerror or (errno.errorcode.get(exc.errno or 0) or type(exc).__name__)


# --- reading ---------------------------------------------------------------------------------


def read_bytes(path: str, limit: int = MAX_JSON_BYTES) -> bytes | None:
    """Return a regular file's bytes; None if missing, unreadable, special or too big.

    Never raises for what the file holds or is; a FIFO or device is not opened for reading.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _O_CLOEXEC | _O_NONBLOCK | _O_BINARY)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    try:
        st = os.fstat(fd)
        if st.st_mode & _FORMAT_BITS != _REGULAR or st.st_size > limit:
            return None
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while we read it
                return None
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _no_constants(name: str) -> object:
    raise ValueError(name)


def loads_object(data: bytes) -> dict[str, object] | None:
    """Decode UTF-8 JSON text holding an object; None for anything else (never raises).

    ``NaN``/``Infinity`` are refused: no AWS tool writes them, so a file holding one is not theirs.
    """
    import json

    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return value if isinstance(value, dict) else None


def read_json(path: str) -> dict[str, object] | None:
    """Return the JSON object stored at ``path``, or None (a cache miss).

    None when the file is missing, empty, torn, not JSON, not an object, not UTF-8, not a
    regular file or larger than MAX_JSON_BYTES. A symlink is followed (botocore does the
    same); nothing about the content raises.
    """
    data = read_bytes(path)
    if not data:
        return None
    return loads_object(data)


# --- writing ---------------------------------------------------------------------------------


def _ensure_dir(directory: str, target: str) -> None:
    """Create ``directory`` (and parents) 0700 if missing; never chmod one that exists.

    Directories other tools created (``~/.aws/sso/cache`` by the AWS CLI, often 0755) are theirs to
    keep as they are; the files in them are 0600 anyway.
    """
    if os.path.isdir(directory):
        return
    try:
        paths.ensure_private_dir(directory)
    except OSError as exc:
        raise CacheError(f"cannot create {directory} for {target}: {_describe(exc)}") from None


def _temp_file(directory: str, name: str) -> tuple[int, str]:
    """Create a new, empty 0600 file beside the target, as ``tempfile.mkstemp`` would."""
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}{TEMP_SUFFIX}")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC | _O_NOFOLLOW | _O_BINARY
            fd = os.open(tmp, flags, 0o600)
        except FileExistsError:
            continue
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", directory)


def write_bytes(path: str, data: bytes, *, mode: int = 0o600) -> None:
    """Replace the file at ``path`` atomically with ``data`` (mode 0600 whatever the umask).

    Parents are created 0700. A symlink at ``path`` is replaced, never written through. On any
    failure (disk full, ``ulimit -f``, read-only directory) the old file is left as it was, the
    temporary file is removed, and :class:`CacheError` names the path and the OS error.
    ``mode`` is for files that are not awsenv's own (``~/.aws/config`` keeps the mode it had):
    it is set on the temporary file, so the file is never seen with another mode.
    """
    directory = os.path.dirname(os.path.abspath(path))
    _ensure_dir(directory, path)
    try:
        fd, tmp = _temp_file(directory, os.path.basename(path))
    except OSError as exc:
        raise CacheError(f"cannot write {path}: {_describe(exc)}") from None
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # a umask such as 0277 may have taken the write bit
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        try:  # noqa: SIM105 - contextlib is an import the hot path does without
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise CacheError(f"cannot write {path}: {_describe(exc)}") from None
        raise
    _sync_dir(directory)


def _sync_dir(directory: str) -> None:
    """Make the rename durable across a power loss (best effort; not possible on Windows)."""
    if sys.platform.startswith("win"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | _O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json(path: str, data: Mapping[str, object], *, indent: int | None = None) -> None:
    """Write ``data`` as JSON (``json.dumps`` defaults: the bytes botocore's cache would write).

    A value JSON cannot hold raises TypeError/ValueError before the disk is touched.
    """
    import json

    text = json.dumps(data, indent=indent, allow_nan=False)
    write_bytes(path, text.encode("utf-8"))


def remove(path: str) -> bool:
    """Delete the file (or symlink) at ``path``; False if there was none."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CacheError(f"cannot delete {path}: {_describe(exc)}") from None
    return True


# --- locking ---------------------------------------------------------------------------------


def lock_path(environ: Mapping[str, str], name: str) -> str:
    """Return ``<awsenv cache dir>/locks/<name>.lock`` (locks never live in ~/.aws)."""
    safe = name.replace("/", "_").replace(os.sep, "_").replace("\x00", "_")
    if safe.startswith("."):
        safe = "_" + safe
    return os.path.join(paths.cache_dir(environ), "locks", safe + ".lock")


class FileLock:
    """An exclusive inter-process lock on a file, released by the kernel if the holder dies.

    ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows. Waiting polls (no blocking call, so
    the timeout holds); ``on_wait`` is called once, when the lock is found taken. Not re-entrant:
    a second FileLock on the same file in the same process waits like any other process would.
    The lock file stays after release (deleting it would let two processes lock different files).
    """

    __slots__ = ("_fd", "on_wait", "path", "timeout")

    _POLL_FIRST = 0.01
    _POLL_MAX = 0.1

    def __init__(
        self, path: str, *, timeout: float = 120.0, on_wait: Callable[[], None] | None = None
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.on_wait = on_wait
        self._fd: int | None = None

    def _open(self) -> int:
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            paths.ensure_private_dir(directory)  # awsenv's own directory: 0700 is right
            fd = os.open(
                self.path, os.O_RDWR | os.O_CREAT | _O_CLOEXEC | _O_NOFOLLOW | _O_BINARY, 0o600
            )
        except OSError as exc:
            raise CacheError(f"cannot open lock file {self.path}: {_describe(exc)}") from None
        return fd

    def _try_lock(self, fd: int) -> bool:
        if sys.platform.startswith("win"):
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                return False
            return True
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                return False
            raise CacheError(f"cannot lock {self.path}: {_describe(exc)}") from None
        return True

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds; raise LockTimeout after that."""
        if self._fd is not None:
            raise RuntimeError(f"lock {self.path} is already held by this object")
        fd = self._open()
        try:
            if not self._try_lock(fd):
                self._wait(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _wait(self, fd: int) -> None:
        if self.on_wait is not None:
            self.on_wait()
        deadline = time.monotonic() + self.timeout
        pause = self._POLL_FIRST
        while not self._try_lock(fd):
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeout(
                    f"gave up after {self.timeout:g}s waiting for the lock {self.path}",
                    hint="another awsenv holds it (stopped or stuck?); end that process",
                )
            time.sleep(min(pause, left))
            pause = min(pause * 2, self._POLL_MAX)

    def release(self) -> None:
        """Release the lock (closing the file releases it too); a no-op if not held."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if sys.platform.startswith("win"):
                import msvcrt

                os.lseek(fd, 0, os.SEEK_SET)
                try:  # noqa: SIM105
                    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
                except OSError:
                    pass
        finally:
            os.close(fd)  # flock locks go with the last descriptor of the open file

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


# --- stat-keyed summaries (hot path) ----------------------------------------------------------

_MEMO_FORMAT = 1
# A file changed this recently may change again within the timestamp granularity without its
# stat changing, so its summary is computed but not remembered (git's "racy" rule).
_RACY_NS = 2_000_000_000
_MISS = object()


def sha1_hex(text: str) -> str:
    """SHA-1 hex of the UTF-8 text (the builtin ``_sha1`` avoids importing hashlib)."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        import _sha1  # type: ignore[import-not-found, unused-ignore]

        return str(_sha1.sha1(data).hexdigest())
    except ImportError:  # pragma: no cover - builds without the builtin module
        import hashlib

        return hashlib.sha1(data).hexdigest()  # noqa: S324 - a file name, as botocore's


def memoized_summary(
    environ: Mapping[str, str], path: str, kind: str, compute: Callable[[str], object]
) -> object:
    """Return ``compute(path)``, remembered per file identity (path, dev, ino, size, mtime).

    An unchanged file is answered from a small marshal memo in awsenv's cache directory, so
    the hot path reads a few bytes and never imports ``json``; None when the file is missing.
    """
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if st.st_mode & _FORMAT_BITS != _REGULAR:
        return None
    stamp = (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    memo = os.path.join(paths.cache_dir(environ), kind, sha1_hex(path) + ".marshal")
    data = read_bytes(memo, 4096)
    if data:
        try:
            fmt, key, value = marshal.loads(data)  # noqa: S302 - our own 0600 file
        except (ValueError, EOFError, TypeError):
            pass
        else:
            if fmt == _MEMO_FORMAT and key == stamp:
                return value
    value = compute(path)
    if time.time_ns() - st.st_mtime_ns >= _RACY_NS:
        try:  # noqa: SIM105 - contextlib is an import the hot path does without
            write_bytes(memo, marshal.dumps((_MEMO_FORMAT, stamp, value)))  # type: ignore[arg-type]
        except (CacheError, ValueError):
            pass  # the memo is an optimisation: a read-only cache must not break awsenv
    return value
