"""The one reader and writer of cache files, and the inter-process lock awsenv logins share.

Every file awsenv writes goes through :func:`write_bytes`: a new 0600 file beside the target
(``O_CREAT | O_EXCL``, like ``mkstemp``), written, flushed to disk, then renamed over the target,
so a reader (awsenv, botocore, the AWS CLI) sees the old file or the new one, never a torn one, and
a symlink at the target is replaced rather than written through. Reading is forgiving the way
botocore's ``JSONFileCache`` is: a missing, empty, torn or foreign file is simply "not cached";
on POSIX a file owned by another user is foreign too (it could have been planted to be trusted).

Temporary files are named ``.<target>.awsenv-<pid>-<random>.tmp``. A writer killed between
creating one and renaming it leaves it behind; the next successful write in that directory
removes every awsenv temporary file whose writer is no longer running (or that is older than
:data:`STALE_TEMP_SECONDS`, which covers homes shared between machines or pid namespaces, where
the pid says nothing), and so does :func:`reap_temps`, which ``use`` calls for ``~/.aws``. Other
tools' temporary files (botocore's ``tmp*.tmp``) are left alone.

``AWSENV_LOCK_TIMEOUT`` (seconds, from the process environment) replaces the time every
:class:`FileLock` waits for another process before giving up; without it each caller's own
default applies (a login waits ``AWSENV_LOGIN_TIMEOUT`` + 60 s, a config edit 30 s).
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
TEMP_MARK = ".awsenv-"  # .<target>.awsenv-<pid>-<12 hex>.tmp
# An awsenv temporary file this old is garbage whoever wrote it (a write takes milliseconds).
STALE_TEMP_SECONDS = 600.0
LOCK_TIMEOUT_VARIABLE = "AWSENV_LOCK_TIMEOUT"

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted at a cache path must not hang us
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_REGULAR = 0o100000
_FORMAT_BITS = 0o170000
_WINDOWS = sys.platform.startswith("win")


def foreign(st: os.stat_result) -> bool:
    """True if the file belongs to another user (never on Windows, where st_uid means nothing)."""
    return not _WINDOWS and hasattr(os, "geteuid") and st.st_uid != os.geteuid()


def _describe(exc: OSError) -> str:
    return exc.strerror or (errno.errorcode.get(exc.errno or 0) or type(exc).__name__)


def _describe_mkdir(exc: OSError) -> str:
    """Say what stopped a directory from being made (EEXIST there means: a file in the way)."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "it or a parent exists and is not a directory"
    return _describe(exc)


# --- reading ---------------------------------------------------------------------------------


def read_bytes(
    path: str, limit: int = MAX_JSON_BYTES, *, require_owner: bool = True
) -> bytes | None:
    """Return a regular file's bytes; None if missing, unreadable, special or too big.

    Never raises for what the file holds or is; a FIFO or device is not opened for reading.
    With ``require_owner`` (the default) a file owned by another user is None too (POSIX):
    a token or memo someone else planted in our cache is not ours to trust.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _O_CLOEXEC | _O_NONBLOCK | _O_BINARY)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    try:
        st = os.fstat(fd)
        if st.st_mode & _FORMAT_BITS != _REGULAR or st.st_size > limit:
            return None
        if require_owner and foreign(st):
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
    regular file, owned by another user or larger than MAX_JSON_BYTES. A symlink is followed
    (botocore does the same; the owner checked is the target's); nothing about the content
    raises.
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
        raise CacheError(
            f"cannot create {directory} for {target}: {_describe_mkdir(exc)}"
        ) from None


def _temp_file(directory: str, name: str) -> tuple[int, str]:
    """Create a new, empty 0600 file beside the target, as ``tempfile.mkstemp`` would.

    ``O_EXCL | O_NOFOLLOW``: a file or symlink already at the name (planted or left over) is
    never opened; another random name is tried.
    """
    for _ in range(100):
        unique = f"{os.getpid()}-{os.urandom(6).hex()}"
        tmp = os.path.join(directory, f".{name}{TEMP_MARK}{unique}{TEMP_SUFFIX}")
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
    remove_stale_temps(directory)


def temp_owner(name: str) -> tuple[str, int] | None:
    """Return (target name, writer pid) for an awsenv temporary file name, else None."""
    if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
        return None
    target, mark, tail = name[1 : -len(TEMP_SUFFIX)].rpartition(TEMP_MARK)
    pid, dash, unique = tail.partition("-")
    if not (target and mark and dash and pid.isdigit() and len(unique) == 12):
        return None
    try:
        int(unique, 16)
    except ValueError:
        return None
    return target, int(pid)


def _running(pid: int) -> bool:
    """True if a process with this pid exists here (on Windows: unknown, so True)."""
    if _WINDOWS or pid <= 0:
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, as another user
        return True
    return True


def remove_stale_temps(directory: str, target: str | None = None, *, every: bool = False) -> int:
    """Remove awsenv temporary files left in ``directory`` by writers that died; return how many.

    Stale: its writer's pid is not running here, or it is older than STALE_TEMP_SECONDS.
    ``target`` limits the sweep to one file's temporaries; ``every`` removes them whoever wrote
    them (logout: a token's leftovers must go). Never raises.
    """
    return _sweep(directory, target, every=every)[0]


def _sweep(directory: str, target: str | None = None, *, every: bool = False) -> tuple[int, int]:
    """Return (temporary files removed, awsenv temporary files kept) in ``directory``."""
    try:
        names = os.listdir(directory)
    except OSError:
        return 0, 1  # unknown: as if one were kept
    removed = kept = 0
    now = time.time()
    me = os.getpid()
    for name in names:
        owner = temp_owner(name)
        if owner is None or (target is not None and owner[0] != target):
            continue
        path = os.path.join(directory, name)
        if not every:
            try:
                age = now - os.lstat(path).st_mtime
            except OSError:
                continue
            pid = owner[1]
            if age < STALE_TEMP_SECONDS and (pid == me or _running(pid)):
                kept += 1
                continue
        try:
            os.unlink(path)
        except OSError:
            kept += 1
            continue
        removed += 1
    return removed, kept


def reap_temps(environ: Mapping[str, str], directory: str) -> int:
    """Sweep ``directory`` (``~/.aws``) of dead writers' temporaries if it changed; return how many.

    For the commands that read the files there without writing: a writer killed there (the
    backup of ``~/.aws/config`` is a full copy of it) must not leave its copy until the next
    write. The hot path pays two ``stat`` calls: the directory's mtime is compared with that of
    a marker under awsenv's cache, set to it after a sweep that left no awsenv temporary file;
    only a directory that changed since (an entry added, removed or renamed) is listed, once.
    A directory changed within the racy window (:data:`_RACY_NS`) is listed on every call, so
    a temporary created in the same timestamp tick as the sweep is not missed. Never raises.
    """
    try:
        changed = os.stat(directory).st_mtime_ns  # before the listing: a later entry changes it
    except (OSError, ValueError):
        return 0
    marker = os.path.join(paths.cache_dir(environ), "swept", sha1_hex(directory))
    try:
        st = os.stat(marker)
    except (OSError, ValueError):
        pass
    else:
        if st.st_mtime_ns == changed and not foreign(st):
            return 0
    removed, kept = _sweep(directory)
    if kept or time.time_ns() - changed < _RACY_NS:
        return removed  # a live writer's file may still be orphaned: look again next time
    try:
        paths.ensure_private_dir(os.path.dirname(marker))
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | _O_CLOEXEC | _O_NOFOLLOW, 0o600)
        try:
            os.utime(fd if os.utime in os.supports_fd else marker, ns=(changed, changed))
        finally:
            os.close(fd)
    except OSError:
        pass  # a read-only cache: the directory is listed again next time, nothing worse
    return removed


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


def lock_timeout(default: float, environ: Mapping[str, str] | None = None) -> float:
    """Return AWSENV_LOCK_TIMEOUT (seconds, > 0) if set to a number, else ``default``."""
    text = (os.environ if environ is None else environ).get(LOCK_TIMEOUT_VARIABLE, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return value if 0 < value < float("inf") else default


class FileLock:
    """An exclusive inter-process lock on a file, released by the kernel if the holder dies.

    ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows. Waiting polls (no blocking call, so
    the timeout holds); ``on_wait`` is called once, when the lock is found taken. ``timeout`` is
    the caller's default: ``AWSENV_LOCK_TIMEOUT`` in the environment replaces it. Not re-entrant:
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
        self.timeout = lock_timeout(timeout)
        self.on_wait = on_wait
        self._fd: int | None = None

    def _open(self) -> int:
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            paths.ensure_private_dir(directory)  # awsenv's own directory: 0700 is right
        except OSError as exc:
            raise CacheError(
                f"cannot open lock file {self.path}: cannot create {directory}: "
                + _describe_mkdir(exc)
            ) from None
        try:
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
# This process's answers, by kind and file identity: a changed file has another identity.
_SEEN: dict[tuple[str, tuple[str, int, int, int, int, int]], object] = {}


def file_stamp(path: str, st: os.stat_result) -> tuple[str, int, int, int, int, int]:
    """A file's identity for memos: path, device, inode, size, ctime, mtime.

    The ctime catches what the rest misses: an edit of the same length with the mtime put back
    (``cp -p``, ``touch -r``, ``rsync --inplace -t``, tar); ``utime`` cannot set it.
    """
    return (path, st.st_dev, st.st_ino, st.st_size, st.st_ctime_ns, st.st_mtime_ns)


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
    """Return ``compute(path)``, remembered per file identity (:func:`file_stamp`).

    An unchanged file is answered from a small marshal memo in awsenv's cache directory, so
    the hot path reads a few bytes and never imports ``json``; None when the file is missing,
    not a regular file or owned by another user.
    """
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if st.st_mode & _FORMAT_BITS != _REGULAR or foreign(st):
        return None  # what read_bytes would refuse (chown leaves the mtime as it was)
    stamp = file_stamp(path, st)
    seen = _SEEN.get((kind, stamp), _MISS)
    if seen is not _MISS:  # asked twice in one call: the memo file is read once
        return seen
    memo = os.path.join(paths.cache_dir(environ), kind, sha1_hex(path) + ".marshal")
    data = read_bytes(memo, 4096)
    if data:
        try:
            fmt, key, value = marshal.loads(data)  # noqa: S302 - our own 0600 file
        except (ValueError, EOFError, TypeError):
            pass
        else:
            if fmt == _MEMO_FORMAT and key == stamp:
                _SEEN[(kind, stamp)] = value
                return value
    value = compute(path)
    _SEEN[(kind, stamp)] = value
    if time.time_ns() - st.st_mtime_ns >= _RACY_NS:
        try:  # noqa: SIM105 - contextlib is an import the hot path does without
            write_bytes(memo, marshal.dumps((_MEMO_FORMAT, stamp, value)))  # type: ignore[arg-type]
        except (CacheError, ValueError):
            pass  # the memo is an optimisation: a read-only cache must not break awsenv
    return value
