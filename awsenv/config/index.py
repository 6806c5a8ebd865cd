"""The stat-keyed index: the parsed files kept under awsenv's cache, so a cached call never parses.

Parsing (``read``) costs far more than a cached ``awsenv use`` may spend, so the result is kept in
an index under awsenv's cache directory, addressed by the two files' identity (path, device,
inode, size, ctime, mtime) and the encoding they are read with. A call whose files are unchanged
reads one small bucket for the profile it needs and never parses (``read`` is not even imported).
Secret values are not copied into the index: a record keeps only that they are present.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

from awsenv import paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from awsenv.config.read import Parsed, Section

# Keys whose values are secrets: the index stores SECRET_PLACEHOLDER instead of the value.
SECRET_KEYS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})
SECRET_PLACEHOLDER = "\x00secret"

# Bumped whenever the record layout changes; part of every index path.
_INDEX_FORMAT = 1
_BUCKETS = 256
# A file modified this recently may change again within the filesystem's timestamp granularity
# without its stamp changing, so it is parsed but not indexed (git's "racy" rule, on the mtime).
_RACY_NS = 2_000_000_000

ORIGIN = "__origin__"  # key in each profile record: "path:line" of the section that defined it
_MISSING = object()  # what _read returns for an index file that does not exist


def _stamp(path: str) -> tuple[str, int, int, int, int, int] | tuple[str]:
    """The file's identity: path, device, inode, size, ctime and mtime (last: the racy rule).

    The ctime is there for edits that keep the rest: ``cp -p``, ``touch -r``, ``rsync --inplace
    -t`` and tar put the mtime back after writing, but nothing but the kernel sets the ctime
    (git keys its index on it for the same reason).
    """
    try:
        st = os.stat(path)
    except OSError:
        return (path,)
    if st.st_mode & 0o170000 != 0o100000:  # not a regular file: botocore ignores it
        return (path,)
    return (path, st.st_dev, st.st_ino, st.st_size, st.st_ctime_ns, st.st_mtime_ns)


def _bucket(name: str) -> str:
    import binascii

    return f"{binascii.crc32(name.encode('utf-8', 'surrogatepass')) % _BUCKETS:02x}"


def _redact(section: Section) -> Section:
    return {k: (SECRET_PLACEHOLDER if k in SECRET_KEYS else v) for k, v in section.items()}


def _meta(parsed: Parsed) -> tuple[list[str], dict[str, Section], dict[str, Section]]:
    # [DEFAULT] copies its keys into every section, so sso-sessions and services may hold secrets.
    return (
        list(parsed.profiles),
        {k: _redact(v) for k, v in parsed.sso_sessions.items()},
        {k: _redact(v) for k, v in parsed.services.items()},
    )


def _foreign(st: os.stat_result) -> bool:
    """True if another user owns the file (as cache.foreign; not imported on the hot path)."""
    return sys.platform != "win32" and hasattr(os, "geteuid") and st.st_uid != os.geteuid()


class ConfigFiles:
    """The merged view of the two files, loaded lazily from the index or by parsing."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.config_path = paths.config_file(environ)
        self.credentials_path = paths.credentials_file(environ)
        self._environ = environ
        self._stamps = (_stamp(self.config_path), _stamp(self.credentials_path))
        self._key = repr((_INDEX_FORMAT, sys.version_info[:2], paths.file_encoding(), self._stamps))
        self._parsed: Parsed | None = None
        self._meta: tuple[list[str], dict[str, Section], dict[str, Section]] | None = None
        self._reads: dict[str, object] = {}
        self._index_dir = self._locate_index()

    # The index lives at <cache>/index/<crc of the stamp>; every file in it repeats the full
    # stamp, so a crc collision is detected rather than trusted.
    def _locate_index(self) -> str:
        import binascii

        base = os.path.join(paths.cache_dir(self._environ), "index")
        return os.path.join(
            base, f"{binascii.crc32(self._key.encode('utf-8', 'surrogatepass')):08x}"
        )

    def _read(self, name: str) -> object:
        """Return a payload of this index, _MISSING if the file is absent, None if unusable.

        Each index file is read at most once per ConfigFiles (a chain asks for the same
        bucket again).
        """
        if name in self._reads:
            return self._reads[name]
        try:
            with open(os.path.join(self._index_dir, name), "rb") as handle:
                mine = not _foreign(os.fstat(handle.fileno()))  # planted: not ours to trust
                key, payload = marshal.loads(handle.read())  # noqa: S302 - our own 0600 file
        except FileNotFoundError:
            payload = _MISSING
        except (OSError, ValueError, EOFError, TypeError):
            payload = None
        else:
            payload = payload if mine and key == self._key else None
        self._reads[name] = payload
        return payload

    def _parse(self) -> Parsed:
        if self._parsed is None:
            from awsenv.config import read

            self._parsed = read.parse(self.config_path, self.credentials_path)
            # secret_profile parses even when the index is good: rebuilding all of it then
            # (256 buckets, a rename, an rmtree) cost more than the parse itself.
            if not isinstance(self._read("meta"), tuple):
                self._write_index(self._parsed)
        return self._parsed

    def _indexable(self) -> bool:
        now = time.time_ns()
        return all(len(stamp) == 1 or now - stamp[-1] >= _RACY_NS for stamp in self._stamps)

    def _write_index(self, parsed: Parsed) -> None:
        if not self._indexable():
            return
        if (_stamp(self.config_path), _stamp(self.credentials_path)) != self._stamps:
            return  # a file changed while it was parsed: what was read may match neither stamp
        import shutil
        import tempfile

        base = os.path.dirname(self._index_dir)
        try:
            paths.ensure_private_dir(base)
            tmp = tempfile.mkdtemp(prefix=".build-", dir=base)
            buckets: dict[str, dict[str, Section]] = {}
            for name, section in parsed.profiles.items():
                record = _redact(section)
                record[ORIGIN] = parsed.origins.get(name, "")
                buckets.setdefault(_bucket(name), {})[name] = record
            files: dict[str, object] = {f"b{k}": v for k, v in buckets.items()}
            meta = _meta(parsed)
            files["meta"] = meta
            # on their own too: an SSO use needs its session, not every profile name
            files["sessions"] = meta[1]
            for file_name, payload in files.items():
                fd = os.open(
                    os.path.join(tmp, file_name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
                )
                with os.fdopen(fd, "wb") as handle:
                    handle.write(marshal.dumps((self._key, payload)))  # type: ignore[arg-type]
            try:
                os.rename(tmp, self._index_dir)
            except OSError:
                self._reads.pop("meta", None)  # read it now, not as it was before
                if isinstance(self._read("meta"), tuple):  # another process indexed them first
                    shutil.rmtree(tmp, ignore_errors=True)
                    return
                # a foreign (crc collision) or damaged index is in the way: replace it
                stale = tmp + ".stale"
                os.rename(self._index_dir, stale)
                shutil.rmtree(stale, ignore_errors=True)
                os.rename(tmp, self._index_dir)
            for entry in os.listdir(base):
                path = os.path.join(base, entry)
                if path != self._index_dir and (
                    not entry.startswith(".build-") or time.time() - os.stat(path).st_mtime > 60
                ):
                    shutil.rmtree(path, ignore_errors=True)
        except OSError:
            return  # the index is an optimisation: a read-only cache must not break awsenv

    def _load_meta(self) -> tuple[list[str], dict[str, Section], dict[str, Section]]:
        if self._meta is None:
            meta = self._read("meta")
            if isinstance(meta, tuple):
                self._meta = meta
            else:
                self._meta = _meta(self._parse())
        return self._meta

    def profile(self, name: str) -> Section | None:
        """Return the merged profile (secret values replaced by a placeholder), or None."""
        if self._parsed is None:
            bucket = self._read(f"b{_bucket(name)}")
            if isinstance(bucket, dict):
                found = bucket.get(name)
                return dict(found) if found is not None else None
            if bucket is _MISSING:  # no profile in this bucket, if the index's name list agrees
                meta = self._read("meta")
                if isinstance(meta, tuple) and name not in meta[0]:
                    return None
            # an unreadable or foreign bucket, or an incomplete index: parse
        parsed = self._parse()
        section = parsed.profiles.get(name)
        if section is None:
            return None
        record = _redact(section)
        record[ORIGIN] = parsed.origins.get(name, "")
        return record

    def secret_profile(self, name: str) -> Section | None:
        """Return the profile with its secret values (parses the files; never from the index)."""
        section = self._parse().profiles.get(name)
        if section is not None:
            from awsenv import log

            for key in SECRET_KEYS:
                log.remember_secret(section.get(key))
        return section

    def profile_names(self) -> list[str]:
        """Return every profile name, config file first, in file order."""
        return self._load_meta()[0]

    def sso_session(self, name: str) -> Section | None:
        """Return the ``[sso-session NAME]`` section, or None."""
        if self._meta is None and self._parsed is None:
            sessions = self._read("sessions")  # small, where "meta" lists every profile
            if isinstance(sessions, dict):
                found = sessions.get(name)
                return dict(found) if found is not None else None
        return self._load_meta()[1].get(name)

    def sso_session_names(self) -> list[str]:
        """Return every sso-session name."""
        return list(self._load_meta()[1])

    def iter_profiles(self) -> Iterator[tuple[str, Section]]:
        """Yield every profile (redacted), in file order."""
        for name in self.profile_names():
            section = self.profile(name)
            if section is not None:
                yield name, section
