"""GetSessionToken sessions of long-lived IAM user keys: one MFA code for a working day.

A chain whose root holds an IAM user's long-lived keys and whose roles need MFA is assumed from
one STS GetSessionToken session made with the MFA code (an MFA session satisfies a role's
``aws:MultiFactorAuthPresent`` condition), so the code is typed once per session, not once per
role and hour. The session is cached in awsenv's cache directory (``mfa-sessions/``), one file
per root profile and MFA device, 0600 in a 0700 directory, written atomically under a lock
(``providers/entry.py``'s codec and lock-and-recheck), and read by every shell.

Its length is ``awsenv_mfa_session_duration`` in the root profile (the one holding the keys:
the session belongs to those keys, so every role over them shares one length), else 12 hours;
STS allows 900 to 129600 seconds for an IAM user.

``serial=None`` is a plain session without MFA (for handing programs temporary credentials
instead of the long-lived keys). Cheap to import; botocore loads for the STS call only.
"""

from __future__ import annotations

import os

from awsenv import cache, paths
from awsenv.providers import entry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys
    from awsenv.providers import Context
    from awsenv.providers.role import Trace

DURATION_KEY = "awsenv_mfa_session_duration"
DEFAULT_DURATION = 43200  # 12 hours
MIN_DURATION = 900  # STS GetSessionToken for an IAM user: 15 minutes to 36 hours
MAX_DURATION = 129600
PROVIDER_TYPE = "awsenv-mfa-session"
# An MFA session signs AssumeRole calls only, so it serves until a minute before its end (the
# 15-minute reuse window is for keys handed to programs, as a plain session's are).
MFA_MARGIN = 60
_DIR = "mfa-sessions"


def _stem(root: str) -> str:
    return cache.sha1_hex(root)


def directory(environ: Mapping[str, str]) -> str:
    """Return the directory every cached session is in (``doctor`` checks its files)."""
    return os.path.join(paths.cache_dir(environ), _DIR)


def cache_path(environ: Mapping[str, str], root: str, serial: str | None) -> str:
    """Return the file a session of ``root``'s keys (for MFA device ``serial``) is cached in."""
    device = cache.sha1_hex(serial or "")[:16]
    return os.path.join(directory(environ), f"{_stem(root)}-{device}.json")


def _window(serial: str | None) -> int:
    return MFA_MARGIN if serial is not None else entry.REUSE_WINDOW


def cached(
    environ: Mapping[str, str], root: str, serial: str | None, *, now: float | None = None
) -> tuple[Keys | None, int | None]:
    """Return (the cached session's keys while usable, else None; its end, else None).

    No network, no lock. The end is given for any readable entry, ended or not.
    """
    import time

    keys = entry.keys_from_entry(cache.read_json(cache_path(environ, root, serial)))
    if keys is None:
        return None, None
    current = time.time() if now is None else now
    end = keys.expiration
    usable = end is not None and end - current >= _window(serial)
    return (keys if usable else None), end


def forget(environ: Mapping[str, str], root: str | None = None) -> list[str]:
    """Delete the cached sessions of ``root`` (every root's when None); return the files removed."""
    folder = directory(environ)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    prefix = _stem(root) + "-" if root is not None else ""
    removed = []
    for name in names:
        if name.endswith(".json") and name.startswith(prefix):
            path = os.path.join(folder, name)
            if cache.remove(path):
                removed.append(path)
    return removed


class DurationSetting:
    """The session length a root profile asks for, and where it says so."""

    __slots__ = ("origin", "seconds")

    def __init__(self, seconds: int, origin: str | None) -> None:
        self.seconds = seconds
        self.origin = origin  # "path:line" of the setting, None for the default


def _key_origin(files: ConfigFiles, profile: str, key: str) -> str | None:
    """Return ``path:line`` of the line that sets ``key`` for ``profile`` (credentials first)."""
    from awsenv.config import ini_lines

    wanted = (
        (files.credentials_path, {profile}),
        (
            files.config_path,
            {f"profile {profile}"} | ({"default"} if profile == "default" else set()),
        ),
    )
    for path, headers in wanted:
        data = cache.read_bytes(path)
        if data is None:
            continue
        lines = ini_lines.scan(data, paths.file_encoding(), "surrogateescape")
        found = [
            lines[index].number
            for header, start, end in ini_lines.sections(lines)
            if header.strip() in headers
            for index in ini_lines.key_lines(lines, start, end, key)
            if lines[index].kind == ini_lines.KEY
        ]
        if found:
            return f"{path}:{found[-1]}"
    return None


def duration_of(files: ConfigFiles, root: str) -> DurationSetting:
    """Return the root profile's ``awsenv_mfa_session_duration``, checked, else the default.

    Raises InvalidProfile (one line naming the file and line) outside 900..129600 seconds.
    """
    section = files.profile(root) or {}
    value = section.get(DURATION_KEY)
    if value is None:
        return DurationSetting(DEFAULT_DURATION, None)
    text = str(value).strip()
    seconds = int(text) if text.isascii() and text.isdigit() else None
    origin = _key_origin(files, root, DURATION_KEY)
    if seconds is None or not MIN_DURATION <= seconds <= MAX_DURATION:
        from awsenv.errors import InvalidProfile

        where = f" ({origin})" if origin else ""
        raise InvalidProfile(
            root,
            f"{DURATION_KEY} = {text}{where} is not a number of seconds from {MIN_DURATION} "
            f"to {MAX_DURATION}",
            hint="STS gives an IAM user's session 15 minutes to 36 hours; awsenv's default "
            f"is {DEFAULT_DURATION} (12 hours)",
        )
    return DurationSetting(seconds, origin)


def session_keys(
    files: ConfigFiles,
    root: str,
    ctx: Context,
    *,
    serial: str | None,
    duration: int | None = None,
) -> Keys:
    """Return the cached session of ``root``'s long-lived keys, else one GetSessionToken.

    With ``serial`` the call carries the MFA code: ``ctx.mfa_code``, else asked once on the
    terminal (a refused code may be typed once more); with neither, :class:`MfaRequired` at
    once. ``duration`` replaces the root profile's setting. N shells asking together make
    one call (``entry.fetch_once``).
    """
    environ = ctx.environ
    path = cache_path(environ, root, serial)
    seconds = duration if duration is not None else duration_of(files, root).seconds

    def load() -> Keys | None:
        return cached(environ, root, serial)[0]

    def fetch() -> Keys:
        return _fetch(files, root, ctx, serial, seconds, path)

    return entry.fetch_once(
        environ,
        f"mfa-session-{_stem(root)}-{cache.sha1_hex(serial or '')[:16]}",
        load,
        fetch,
    )


def _fetch(
    files: ConfigFiles, root: str, ctx: Context, serial: str | None, seconds: int, path: str
) -> Keys:
    from awsenv import providers, ui
    from awsenv.providers import MfaRequired, WrongMfaCode, mfa

    long_lived = providers.long_lived(files, root, _root_kind(files, root))
    code: str | None = None
    if serial is not None:
        code = ctx.mfa_code.strip() if ctx.mfa_code else None
        if code is None and not mfa.may_ask(ctx):  # no terminal, or refresh --auto
            raise MfaRequired(serial, root)
        if code is None:
            code = mfa.tty_prompt(serial)
    try:
        keys = _call(ctx, root, long_lived, serial, code, seconds)
    except WrongMfaCode:
        if serial is None or not mfa.may_ask(ctx):
            raise
        ui.warn("that MFA code was not accepted; one more try")
        keys = _call(ctx, root, long_lived, serial, mfa.tty_prompt(serial), seconds)
    data = entry.entry(keys, PROVIDER_TYPE)
    data["Profile"] = root
    if serial is not None:
        data["SerialNumber"] = serial
    cache.write_json(path, data)
    from awsenv import log

    log.debug("profile %r: a new session (GetSessionToken), cached in %s", root, path)
    return keys


def _root_kind(files: ConfigFiles, root: str) -> str:
    from awsenv import profiles

    return profiles.classify(files.profile(root) or {})


def _call(
    ctx: Context,
    root: str,
    long_lived: Keys,
    serial: str | None,
    code: str | None,
    seconds: int,
) -> Keys:
    """One STS GetSessionToken signed with the long-lived keys; the answer as Keys."""
    from awsenv.providers import role

    trace = role.Trace(root, None)
    with role.Swap(ctx.environ):
        return _sts(ctx, root, long_lived, serial, code, seconds, trace)


def _sts(
    ctx: Context,
    root: str,
    long_lived: Keys,
    serial: str | None,
    code: str | None,
    seconds: int,
    trace: Trace,
) -> Keys:
    import botocore.exceptions as bx

    from awsenv.errors import AwsenvError
    from awsenv.providers import CredentialsUnavailable, WrongMfaCode, role, rolecache

    environ = ctx.environ
    try:
        client = role.sts_client(
            environ,
            root,
            long_lived,
            trace,
            region=lambda session: role.sts_region(session, environ, ctx.region),
        )
        params: dict[str, object] = {"DurationSeconds": seconds}
        if serial is not None and code is not None:
            params["SerialNumber"] = serial
            params["TokenCode"] = code
        response = client.get_session_token(**params)
    except AwsenvError:
        raise
    except bx.ClientError as exc:
        error = (getattr(exc, "response", {}) or {}).get("Error", {})
        code_name = str(error.get("Code", ""))
        message = " ".join(str(error.get("Message", "")).split()) or code_name or "no message"
        if serial is not None and code_name == "AccessDenied":
            raise WrongMfaCode(serial, root, message) from None
        raise CredentialsUnavailable(
            f"STS GetSessionToken with the keys of profile {root!r} failed: {code_name}: {message}",
            hint="check the profile's keys and MFA device (mfa_serial)",
        ) from None
    except Exception as exc:
        mapped = role.map_error(exc, environ, trace)
        if mapped is None:
            raise
        raise mapped from None
    keys = entry.keys_from_entry(rolecache.jsonable(dict(response)))
    if keys is None:
        raise CredentialsUnavailable("STS answered GetSessionToken without keys")
    return keys
