"""Assumed-role credentials in ``~/.aws/cli/cache``, named and shaped as the AWS CLI does it.

The file name is botocore's ``BaseAssumeRoleCredentialFetcher._create_cache_key``: the SHA-1 hex of
``json.dumps(args, sort_keys=True)`` (default separators, ASCII escapes) where ``args`` holds
``RoleArn`` and, when configured, ``RoleSessionName`` (not the generated default), ``ExternalId``,
``SerialNumber`` and ``DurationSeconds``, as ``credentials.py`` builds them. The content is the
whole AssumeRole answer as botocore's ``JSONFileCache`` writes it (``Expiration`` as ``…UTC``) plus
``Credentials.AccountId``; it is read through ``providers.entry`` (the one codec and reuse window).

Boto-free and cheap to import: only ``os``/``time`` and awsenv modules load at import time; the
key is encoded by hand, so computing it never imports ``json``.
"""

from __future__ import annotations

import os

from awsenv import cache, paths
from awsenv.providers import entry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.exports import Keys


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def _json_string(text: str) -> str:
    """Encode ``text`` exactly as ``json.dumps`` does by default (``ensure_ascii=True``)."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code > 0xFFFF:
            code -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 | (code >> 10), 0xDC00 | (code & 0x3FF)))  # noqa: UP031
        else:
            out.append("\\u%04x" % code)  # noqa: UP031
    out.append('"')
    return "".join(out)


def _value(section: Mapping[str, object], key: str) -> str | None:
    value = section.get(key)
    return value if isinstance(value, str) else None


def is_web_identity(section: Mapping[str, object]) -> bool:
    """Return True if botocore would assume this profile's role with a web identity token."""
    return "web_identity_token_file" in section


def assume_role_args(section: Mapping[str, object]) -> dict[str, str | int]:
    """Return the arguments botocore hashes into the cache key for this profile's role.

    Empty if the profile has no ``role_arn``. A ``role_session_name`` that is empty counts as
    absent (botocore then generates one and leaves it out of the key); ``duration_seconds`` is
    kept only if ``int()`` accepts it, as an int (botocore silently drops anything else).
    """
    role_arn = _value(section, "role_arn")
    if role_arn is None:
        return {}
    args: dict[str, str | int] = {"RoleArn": role_arn}
    session_name = _value(section, "role_session_name")
    if session_name:
        args["RoleSessionName"] = session_name
    if is_web_identity(section):
        return args  # AssumeRoleWithWebIdentityProvider passes only the session name
    external_id = _value(section, "external_id")
    if external_id is not None:
        args["ExternalId"] = external_id
    mfa_serial = _value(section, "mfa_serial")
    if mfa_serial is not None:
        args["SerialNumber"] = mfa_serial
    duration = _value(section, "duration_seconds")
    if duration is not None:
        try:  # noqa: SIM105 - contextlib is an import the hot path does without
            args["DurationSeconds"] = int(duration)
        except ValueError:
            pass
    return args


def cache_key_for_args(args: Mapping[str, str | int]) -> str:
    """Return botocore's file-name stem for these AssumeRole arguments (no ``Policy``)."""
    parts = []
    for name in sorted(args):
        value = args[name]
        encoded = str(int(value)) if isinstance(value, int) else _json_string(value)
        parts.append(_json_string(name) + ": " + encoded)
    text = "{" + ", ".join(parts) + "}"
    # _make_file_safe replaces ':', '/' and os.sep: a no-op on hex digits.
    return cache.sha1_hex(text)


def assume_role_cache_key(section: Mapping[str, object]) -> str:
    """Return the ``~/.aws/cli/cache`` file-name stem botocore uses for this profile's role.

    ValueError if the profile has no ``role_arn``.
    """
    args = assume_role_args(section)
    if not args:
        raise ValueError("the profile has no role_arn")
    return cache_key_for_args(args)


def cache_path(environ: Mapping[str, str], key: str) -> str:
    """Return ``~/.aws/cli/cache/<key>.json``."""
    return os.path.join(paths.cli_cache_dir(environ), key + ".json")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def cached_role_credentials(
    environ: Mapping[str, str], section: Mapping[str, object], *, now: float | None = None
) -> Keys | None:
    """Return the profile's cached role credentials if at least 15 minutes remain, else None.

    None also for a profile without ``role_arn`` and for a missing, torn or foreign file.
    Reads entries written by botocore (``…UTC``), the AWS CLI and awsenv alike.
    """
    args = assume_role_args(section)
    if not args:
        return None
    return entry.load(cache_path(environ, cache_key_for_args(args)), now=now)


def _entry_expiry(path: str) -> int | None:
    keys = entry.keys_from_entry(cache.read_json(path))
    return keys.expiration if keys is not None else None


def cached_role_expiry(
    environ: Mapping[str, str], section: Mapping[str, object], *, now: float | None = None
) -> int | None:
    """Return when the profile's cached role session expires, if at least 15 minutes remain.

    What ``use`` needs for an AWS_PROFILE export: cheap, because an unchanged cache file is
    answered from a stat-keyed memo (no ``json`` import on the hot path).
    """
    args = assume_role_args(section)
    if not args:
        return None
    path = cache_path(environ, cache_key_for_args(args))
    expiry = cache.memoized_summary(environ, path, "role-status", _entry_expiry)
    if expiry is not None and (not isinstance(expiry, int) or isinstance(expiry, bool)):
        expiry = _entry_expiry(path)  # a memo of another shape: ask the file itself
    if not isinstance(expiry, int) or not entry.reusable(expiry, now):
        return None
    return expiry


def account_from_arn(arn: object) -> str | None:
    """Return the account field of an ARN as botocore's ``ArnParser`` reads it, or None."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else None


def _epoch(value: object) -> int | None:
    """Return epoch seconds for a datetime (duck-typed: ``timestamp()``), else None."""
    stamp = getattr(value, "timestamp", None)
    if stamp is None or not callable(stamp) or isinstance(value, (int, float, str)):
        return None
    tzinfo = getattr(value, "tzinfo", None)
    if tzinfo is None:  # botocore's parsed timestamps are aware; treat a naive one as UTC
        replace = value.replace  # type: ignore[attr-defined]
        from datetime import timezone

        value = replace(tzinfo=timezone.utc)
    return int(value.timestamp() // 1)  # type: ignore[attr-defined]


def jsonable(value: object) -> object:
    """Copy a botocore response, turning datetimes into JSONFileCache's ``…UTC`` text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    epoch = _epoch(value)
    if epoch is not None:
        from awsenv import timefmt

        return timefmt.format_utc_suffix(epoch)
    return value


def entry_from_response(response: Mapping[str, object]) -> dict[str, object]:
    """Return what botocore caches for an AssumeRole answer (adds ``Credentials.AccountId``)."""
    entry = jsonable(dict(response))
    assert isinstance(entry, dict)  # noqa: S101 - jsonable keeps the shape
    credentials = entry.get("Credentials")
    if not isinstance(credentials, dict):
        raise TypeError("an AssumeRole answer has a Credentials object")
    user = entry.get("AssumedRoleUser")
    account = account_from_arn(user.get("Arn") if isinstance(user, dict) else None)
    if account is not None:
        credentials["AccountId"] = account
    return entry


def save_role_credentials(
    environ: Mapping[str, str], section: Mapping[str, object], response: Mapping[str, object]
) -> None:
    """Write an AssumeRole (or web-identity) answer where botocore would cache it for the profile.

    Atomic and 0600 (``cache.write_json``); ``Expiration`` as ``…UTC``, plus
    ``Credentials.AccountId`` from ``AssumedRoleUser.Arn``. ValueError without ``role_arn``.
    """
    key = assume_role_cache_key(section)
    cache.write_json(cache_path(environ, key), entry_from_response(response))


class CliCache:
    """``~/.aws/cli/cache`` as the dict-like cache botocore's credential fetchers take.

    Differences from botocore's ``JSONFileCache``, all in the direction of "a bad entry is a
    miss": a torn, foreign or incomplete file is absent (``JSONFileCache`` says it is there and
    then raises ``KeyError``), writes are atomic 0600 files in a 0700 directory, and datetimes
    are written as ``JSONFileCache`` writes them (``…UTC``). SSO entries keep their ``…Z`` text.
    """

    __slots__ = ("_environ", "_last")

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._last: tuple[str, dict[str, object]] | None = None

    def path(self, key: str) -> str:
        """Return the file a key is stored in."""
        return cache_path(self._environ, key)

    def _load(self, key: str) -> dict[str, object] | None:
        data = cache.read_json(self.path(key))
        if data is None or entry.keys_from_entry(data) is None:
            return None
        self._last = (key, data)
        return data

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._load(key) is not None

    def __getitem__(self, key: str) -> dict[str, object]:
        last = self._last
        if last is not None and last[0] == key:
            self._last = None
            return last[1]
        data = self._load(key)
        if data is None:
            raise KeyError(key)
        self._last = None
        return data

    def __setitem__(self, key: str, value: Mapping[str, object]) -> None:
        entry = jsonable(dict(value))
        assert isinstance(entry, dict)  # noqa: S101
        cache.write_json(self.path(key), entry)

    def __delitem__(self, key: str) -> None:
        if not cache.remove(self.path(key)):
            raise KeyError(key)
