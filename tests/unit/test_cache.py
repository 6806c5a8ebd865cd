"""The one cache writer and reader: atomic 0600 files, forgiving reads, an inter-process lock."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsenv import cache, paths
from awsenv.errors import CacheError, LockTimeout

VALID = {
    "startUrl": "https://d-1234567890.awsapps.com/start",
    "region": "us-east-1",
    "accessToken": "secret-access-token",
    "expiresAt": "2026-11-23T14:42:21Z",
}
VALID_BYTES = json.dumps(VALID).encode()


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def leftovers(directory) -> list[str]:
    return [name for name in os.listdir(directory) if name.endswith(cache.TEMP_SUFFIX)]


# --- read_json -------------------------------------------------------------------------------


def test_reads_a_json_object(tmp_path):
    path = tmp_path / "t.json"
    path.write_bytes(VALID_BYTES)
    assert cache.read_json(str(path)) == VALID


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   ",
        b"not json",
        b"[1, 2, 3]",
        b'"a string"',
        b"5",
        b"null",
        b'{"a": 1',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"\xef\xbb\xbf" + VALID_BYTES,  # a BOM: botocore's json.load refuses it too
        b'{"a": "\xff\xfe"}',  # invalid UTF-8
        b"\x00" * 64,
        b"[" * 100_000 + b"]" * 100_000,  # deep nesting: RecursionError, not a crash
    ],
)
def test_unusable_content_is_a_miss_not_an_error(tmp_path, content):
    path = tmp_path / "t.json"
    path.write_bytes(content)
    assert cache.read_json(str(path)) is None


def test_every_truncation_of_a_valid_file_is_a_miss(tmp_path):
    path = tmp_path / "t.json"
    for end in range(len(VALID_BYTES)):
        path.write_bytes(VALID_BYTES[:end])
        assert cache.read_json(str(path)) is None, end
    path.write_bytes(VALID_BYTES)
    assert cache.read_json(str(path)) == VALID


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "t.json"
    path.write_bytes(data)
    result = cache.read_json(str(path))
    assert result is None or isinstance(result, dict)


def test_files_larger_than_the_cap_are_not_parsed(tmp_path):
    path = tmp_path / "big.json"
    filler = "x" * cache.MAX_JSON_BYTES
    path.write_text(json.dumps({"a": filler}))
    assert cache.read_json(str(path)) is None
    path.write_text(json.dumps({"a": "x" * (cache.MAX_JSON_BYTES - 20)}))
    assert cache.read_json(str(path)) is not None


def test_missing_file_directory_and_bad_path_are_misses(tmp_path):
    assert cache.read_json(str(tmp_path / "absent.json")) is None
    assert cache.read_json(str(tmp_path)) is None
    assert cache.read_json(str(tmp_path / "nul\x00byte")) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_at_the_path_does_not_hang(tmp_path):
    path = tmp_path / "fifo.json"
    os.mkfifo(path)
    assert cache.read_json(str(path)) is None


def test_a_symlink_is_read_through(tmp_path):
    target = tmp_path / "target.json"
    target.write_bytes(VALID_BYTES)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert cache.read_json(str(link)) == VALID


# --- write_json ------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077, 0o277])
def test_written_files_are_0600_and_new_dirs_0700_whatever_the_umask(tmp_path, umask):
    target = tmp_path / "a" / "b" / "t.json"
    old = os.umask(umask)
    try:
        cache.write_json(str(target), VALID)
    finally:
        os.umask(old)
    assert mode(target) == 0o600
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700
    assert json.loads(target.read_bytes()) == VALID
    assert leftovers(target.parent) == []


def test_writes_exactly_what_json_dumps_writes(tmp_path):
    target = tmp_path / "t.json"
    cache.write_json(str(target), VALID)
    assert target.read_bytes() == json.dumps(VALID).encode()
    cache.write_json(str(target), VALID, indent=2)
    assert target.read_bytes() == json.dumps(VALID, indent=2).encode()


def test_an_existing_0644_file_ends_0600(tmp_path):
    target = tmp_path / "t.json"
    target.write_text("{}")
    target.chmod(0o644)
    cache.write_json(str(target), VALID)
    assert mode(target) == 0o600


def test_an_existing_directory_keeps_its_mode(tmp_path):
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o755)  # e.g. ~/.aws/sso/cache as the AWS CLI made it
    cache.write_json(str(directory / "t.json"), VALID)
    assert mode(directory) == 0o755


def test_a_symlink_at_the_target_is_replaced_and_its_target_untouched(tmp_path):
    sentinel = tmp_path / "sentinel"
    sentinel.write_text("do not touch")
    link = tmp_path / "t.json"
    link.symlink_to(sentinel)
    cache.write_json(str(link), VALID)
    assert sentinel.read_text() == "do not touch"
    assert not link.is_symlink()
    assert json.loads(link.read_bytes()) == VALID


def test_a_dangling_symlink_at_the_target_is_replaced(tmp_path):
    link = tmp_path / "t.json"
    link.symlink_to(tmp_path / "nowhere")
    cache.write_json(str(link), VALID)
    assert not link.is_symlink()
    assert not (tmp_path / "nowhere").exists()


def test_unserialisable_data_fails_before_touching_the_disk(tmp_path):
    target = tmp_path / "t.json"
    target.write_bytes(VALID_BYTES)
    with pytest.raises((TypeError, ValueError)):
        cache.write_json(str(target), {"when": object()})
    with pytest.raises(ValueError, match="JSON"):
        cache.write_json(str(target), {"x": float("nan")})
    assert target.read_bytes() == VALID_BYTES
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch, failing):
    target = tmp_path / "t.json"
    target.write_bytes(VALID_BYTES)

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(CacheError) as caught:
        cache.write_json(str(target), {"accessToken": "new-secret"})
    monkeypatch.undo()
    message = str(caught.value)
    assert str(target) in message
    assert "No space left on device" in message
    assert "new-secret" not in message
    assert target.read_bytes() == VALID_BYTES
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX resource limits")
def test_file_size_limit_fails_cleanly(tmp_path):
    """``ulimit -f`` (works as root too): EFBIG, old file intact, no temp left."""
    target = tmp_path / "t.json"
    target.write_bytes(VALID_BYTES)
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
        from awsenv import cache
        from awsenv.errors import CacheError
        try:
            cache.write_json({str(target)!r}, {{"accessToken": "s3cr3t" * 1000}})
        except CacheError as exc:
            print(exc)
            sys.exit(3)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 3, result.stderr
    assert str(target) in result.stdout
    assert "File too large" in result.stdout
    assert "s3cr3t" not in result.stdout + result.stderr
    assert target.read_bytes() == VALID_BYTES
    assert leftovers(tmp_path) == []


def test_a_directory_that_cannot_be_made_is_a_cache_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CacheError, match="cannot create"):
        cache.write_json(str(blocker / "sub" / "t.json"), VALID)


def test_write_bytes_is_the_same_atomic_writer(tmp_path):
    target = tmp_path / "m.marshal"
    cache.write_bytes(str(target), b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert mode(target) == 0o600


# --- remove ----------------------------------------------------------------------------------


def test_remove_reports_whether_there_was_a_file(tmp_path):
    target = tmp_path / "t.json"
    target.write_text("{}")
    assert cache.remove(str(target)) is True
    assert cache.remove(str(target)) is False


def test_remove_deletes_a_symlink_not_its_target(tmp_path):
    sentinel = tmp_path / "sentinel"
    sentinel.write_text("keep")
    link = tmp_path / "t.json"
    link.symlink_to(sentinel)
    assert cache.remove(str(link)) is True
    assert sentinel.read_text() == "keep"


def test_remove_of_a_directory_is_a_cache_error(tmp_path):
    with pytest.raises(CacheError, match="cannot delete"):
        cache.remove(str(tmp_path))


# --- locks -----------------------------------------------------------------------------------


def test_lock_path_is_in_awsenvs_own_cache_dir(home):
    environ = dict(os.environ)
    path = cache.lock_path(environ, "sso-abc")
    assert path == os.path.join(paths.cache_dir(environ), "locks", "sso-abc.lock")
    assert not path.startswith(str(home / ".aws"))
    assert os.path.dirname(cache.lock_path(environ, "../x/y")) == os.path.dirname(path)


def test_lock_file_is_0600_in_a_0700_dir(tmp_path):
    path = tmp_path / "locks" / "a.lock"
    old = os.umask(0)
    try:
        with cache.FileLock(str(path)):
            pass
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_uncontended_lock_does_not_wait_and_can_be_taken_again(tmp_path):
    path = str(tmp_path / "a.lock")
    waited = []
    with cache.FileLock(path, on_wait=lambda: waited.append(1)) as lock:
        assert isinstance(lock, cache.FileLock)
    with cache.FileLock(path, on_wait=lambda: waited.append(1)):
        pass
    assert waited == []


def test_an_unopenable_lock_file_is_a_cache_error(tmp_path):
    (tmp_path / "a.lock").mkdir()
    with pytest.raises(CacheError, match="lock"), cache.FileLock(str(tmp_path / "a.lock")):
        pass  # pragma: no cover


HOLDER = """
import sys, time
from awsenv import cache
lock = cache.FileLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(600)
"""


@pytest.fixture
def holder(tmp_path):
    """A separate process holding the lock (killed at the end whatever the test did)."""
    path = str(tmp_path / "locks" / "sso.lock")
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, path], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    yield proc, path
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX signals")
def test_waiter_gets_the_lock_right_after_the_holder_is_killed(holder):
    proc, path = holder
    waits = []

    def on_wait():
        waits.append(1)
        os.kill(proc.pid, signal.SIGKILL)  # the holder dies while we wait: the kernel frees it

    with cache.FileLock(path, timeout=60, on_wait=on_wait):
        assert proc.wait(timeout=30) == -signal.SIGKILL
    assert waits == [1]  # called once, not on every poll


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX signals")
def test_a_stopped_holder_makes_the_waiter_time_out_naming_the_lock_file(holder):
    proc, path = holder
    os.kill(proc.pid, signal.SIGSTOP)
    waits = []
    with (
        pytest.raises(LockTimeout) as caught,
        cache.FileLock(path, timeout=1.0, on_wait=lambda: waits.append(1)),
    ):
        pass  # pragma: no cover
    assert path in str(caught.value)
    assert waits == [1]
    os.kill(proc.pid, signal.SIGKILL)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX signals")
def test_another_process_waits_while_the_lock_is_held(tmp_path):
    """Both sides are real processes: the waiter reports waiting, then gets it on release."""
    path = str(tmp_path / "a.lock")
    waiter = textwrap.dedent(
        """
        import sys
        from awsenv import cache
        with cache.FileLock(sys.argv[1], timeout=60, on_wait=lambda: print("waiting", flush=True)):
            print("got it", flush=True)
        """
    )
    lock = cache.FileLock(path)
    lock.acquire()
    proc = subprocess.Popen([sys.executable, "-c", waiter, path], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "waiting"
        lock.release()
        assert proc.stdout.readline().strip() == "got it"
        assert proc.wait(timeout=30) == 0
    finally:
        lock.release()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
