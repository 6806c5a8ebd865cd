"""UTC timestamps as botocore and the AWS CLI write them in their caches, without datetime.

The common forms are parsed by hand (days-from-civil arithmetic), because importing ``re`` or
``_strptime`` costs more than a cached ``awsenv use`` may spend. Anything else falls back to
``datetime.fromisoformat``, imported only then.
"""

from __future__ import annotations

_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DIGITS = frozenset("0123456789")
_UTC_NAMES = frozenset({"", "Z", "z", "UTC", "GMT", "UT"})


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Return days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Return (year, month, day) for a count of days since 1970-01-01."""
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _number(text: str) -> int | None:
    """Return the value of a run of ASCII digits, or None (``int`` also takes '²', '_', ' 1')."""
    if not text or not _DIGITS.issuperset(text):
        return None
    return int(text)


def _offset(text: str) -> int | None:
    """Return the offset in seconds east of UTC for ``Z``/``UTC``/``+HH:MM``/``+HHMM``/``+HH``."""
    if text in _UTC_NAMES:
        return 0
    if text[0] not in "+-" or len(text) not in (3, 5, 6):
        return None
    body = text[1:]
    if len(body) == 5:
        if body[2] != ":":
            return None
        body = body[:2] + body[3:]
    hours = _number(body[:2])
    minutes = _number(body[2:]) if len(body) == 4 else 0
    if hours is None or minutes is None or hours > 23 or minutes > 59:
        return None
    seconds = hours * 3600 + minutes * 60
    return -seconds if text[0] == "-" else seconds


def parse_timestamp(text: object) -> int | None:
    """Return epoch seconds (UTC, fractions dropped) for a cache timestamp; None for garbage.

    Accepts ``2026-11-23T14:42:21Z``, fractions (``.123Z``), numeric offsets (``+00:00``,
    ``-0500``, ``+01``), ``UTC``/``GMT`` suffixes (``2026-11-23T07:41:30UTC``, botocore's default
    JSONFileCache form), a space instead of ``T``, and a space before the zone. A time with no
    zone is taken as UTC. Other ISO 8601 forms go to ``datetime.fromisoformat``.
    """
    if not isinstance(text, str):
        return None
    s = text.strip()
    if (
        len(s) < 19
        or s[4] != "-"
        or s[7] != "-"
        or s[10] not in "Tt "
        or s[13] != ":"
        or s[16] != ":"
    ):
        return _fallback(s)
    year, month, day = _number(s[0:4]), _number(s[5:7]), _number(s[8:10])
    hour, minute, second = _number(s[11:13]), _number(s[14:16]), _number(s[17:19])
    if year is None or month is None or day is None:
        return _fallback(s)
    if hour is None or minute is None or second is None:
        return _fallback(s)
    if not 1 <= month <= 12 or year < 1 or hour > 23 or minute > 59 or second > 59:
        return None
    last = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month]
    if not 1 <= day <= last:
        return None
    rest = s[19:]
    if rest[:1] in (".", ","):
        end = 1
        while end < len(rest) and rest[end] in _DIGITS:
            end += 1
        if end == 1:
            return None
        rest = rest[end:]
    offset = _offset(rest.lstrip(" "))
    if offset is None:
        return _fallback(s)
    days = _days_from_civil(year, month, day)
    return days * 86400 + hour * 3600 + minute * 60 + second - offset


def _fallback(text: str) -> int | None:
    """Parse what the fast path does not know with ``datetime.fromisoformat`` (UTC if naive)."""
    if not text or not text.isascii():
        return None
    from datetime import datetime, timezone

    candidate = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        delta = parsed - datetime(1970, 1, 1, tzinfo=timezone.utc)
    except OverflowError:  # pragma: no cover - an offset pushing year 1 or 9999 out of range
        return None
    return delta.days * 86400 + delta.seconds


# The longest any credentials awsenv obtains may last: STS sessions end within 36 hours, IAM
# Identity Center role credentials within 12 (sso/oidc.py takes a longer token lifetime as a year).
LONGEST_CREDENTIALS = 366 * 86400


def checked_expiry(value: object, now: float, *, unit: int = 1) -> int | None:
    """Return a server's expiry as whole epoch seconds, or None if no credentials can have it.

    ``value`` is epoch seconds (``unit=1000``: milliseconds, as IAM Identity Center sends them).
    Sane means a real, finite number after ``now`` and at most :data:`LONGEST_CREDENTIALS`
    later: text, booleans, NaN, infinities, the past and ``1e30`` are all None, so every place
    an expiry enters (the portal, STS through botocore, SAML, federation) treats it as an
    unusable answer instead of failing later in date arithmetic.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value:  # NaN
        return None
    if not now * unit < value <= (now + LONGEST_CREDENTIALS) * unit:
        return None  # infinities and 1e30 too: compared, never converted
    seconds = int(value // unit)
    return seconds if seconds > now else None


def _fields(epoch: int) -> tuple[int, int, int, int, int, int]:
    epoch = int(epoch // 1)  # floats: drop the fraction towards the past, as strftime does
    days, seconds = divmod(epoch, 86400)
    year, month, day = _civil_from_days(days)
    return year, month, day, seconds // 3600, seconds // 60 % 60, seconds % 60


def format_z(epoch: int) -> str:
    """Return ``%Y-%m-%dT%H:%M:%SZ`` in UTC (the SSO caches' form, ``_sso_json_dumps``)."""
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % _fields(epoch)  # noqa: UP031 - no format parsing


def format_utc_suffix(epoch: int) -> str:
    """Return ``%Y-%m-%dT%H:%M:%S%Z`` for UTC, i.e. ``…UTC`` (JSONFileCache's default form)."""
    return "%04d-%02d-%02dT%02d:%02d:%02dUTC" % _fields(epoch)  # noqa: UP031
