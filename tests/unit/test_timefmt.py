"""Cache timestamps: the forms botocore and the AWS CLI write and read, parsed without datetime."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsenv import timefmt

BASE = 1795444941  # 2026-11-23T14:42:21Z

MIN_EPOCH = int(datetime(1, 1, 2, tzinfo=timezone.utc).timestamp())
Y1000 = int(datetime(1000, 1, 1, tzinfo=timezone.utc).timestamp())
MAX_EPOCH = int(datetime(9999, 12, 30, tzinfo=timezone.utc).timestamp())


def test_base_constant_is_what_the_docs_example_says():
    assert datetime.fromtimestamp(BASE, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") == (
        "2026-11-23T14:42:21Z"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T14:42:21Z", BASE),
        ("2026-11-23T14:42:21z", BASE),
        ("2026-11-23t14:42:21Z", BASE),
        ("2026-11-23T14:42:21.123Z", BASE),
        ("2026-11-23T14:42:21.999999999Z", BASE),
        ("2026-11-23T14:42:21,5Z", BASE),
        ("2026-11-23T14:42:21+00:00", BASE),
        ("2026-11-23T14:42:21.5+00:00", BASE),
        ("2026-11-23T14:42:21-00:00", BASE),
        ("2026-11-23T16:42:21+02:00", BASE),
        ("2026-11-23T09:42:21-0500", BASE),
        ("2026-11-23T15:42:21+01", BASE),
        ("2026-11-23T14:42:21UTC", BASE),  # botocore's default JSONFileCache serialiser
        ("2026-11-23T14:42:21GMT", BASE),
        ("2026-11-23T14:42:21 UTC", BASE),
        ("2026-11-23 14:42:21Z", BASE),
        ("2026-11-23 14:42:21+00:00", BASE),
        ("2026-11-23T14:42:21", BASE),  # no zone: taken as UTC
        ("  2026-11-23T14:42:21Z\n", BASE),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -1),
        ("2024-02-29T00:00:00Z", 1709164800),
        ("2000-02-29T12:00:00Z", 951825600),
    ],
)
def test_parses_the_forms_the_aws_tools_write(text, expected):
    assert timefmt.parse_timestamp(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T14:42Z", BASE - 21),  # fromisoformat fallback (Python 3.11+ forms)
        ("2026-11-23", BASE - (14 * 3600 + 42 * 60 + 21)),
    ],
)
def test_other_iso_forms_go_through_fromisoformat(text, expected):
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:  # pragma: no cover - Python 3.9/3.10 know fewer forms
        pytest.skip("this Python's fromisoformat does not know the form")
    assert timefmt.parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-02-29T00:00:00Z",  # not a leap year
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T14:60:00Z",
        "2026-11-23T14:42:60Z",
        "2026-11-23T14:42:21.Z",
        "2026-11-23T14:42:21CET",
        "2026-11-23T14:42:21+25:00",
        "2026-11-23T14:42:21+0a:00",
        "2026-11-23T14:42:21Zjunk",
        "\uff12\uff10\uff12\uff16-11-23T14:42:21Z",  # fullwidth digits: int() takes them
        "2026-1\u00b2-23T14:42:21Z",
        "0000-01-01T00:00:00Z",
        "2026_11-23T14:42:21Z",
    ],
)
def test_garbage_is_none(text):
    assert timefmt.parse_timestamp(text) is None


@pytest.mark.parametrize("value", [None, 5, 1.5, b"2026-11-23T14:42:21Z", ["x"], {}])
def test_non_strings_are_none(value):
    assert timefmt.parse_timestamp(value) is None


def test_format_z_and_utc_suffix():
    assert timefmt.format_z(BASE) == "2026-11-23T14:42:21Z"
    assert timefmt.format_utc_suffix(BASE) == "2026-11-23T14:42:21UTC"
    assert timefmt.format_z(0) == "1970-01-01T00:00:00Z"
    assert timefmt.format_z(-1) == "1969-12-31T23:59:59Z"


@given(st.integers(min_value=MIN_EPOCH, max_value=MAX_EPOCH))
def test_format_matches_strftime_and_round_trips(epoch):
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=epoch)
    if epoch >= Y1000:  # glibc's strftime does not pad years below 1000; awsenv writes 4 digits
        assert timefmt.format_z(epoch) == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert timefmt.format_utc_suffix(epoch) == moment.strftime("%Y-%m-%dT%H:%M:%S%Z")
    assert timefmt.format_z(epoch) == moment.isoformat().replace("+00:00", "Z")
    assert timefmt.parse_timestamp(timefmt.format_z(epoch)) == epoch
    assert timefmt.parse_timestamp(timefmt.format_utc_suffix(epoch)) == epoch


@given(
    st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from(
            [
                timezone.utc,
                timezone(timedelta(hours=2)),
                timezone(timedelta(hours=-5, minutes=-30)),
                timezone(timedelta(hours=14)),
            ]
        ),
    )
)
def test_isoformat_output_agrees_with_datetime(moment):
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    expected = delta.days * 86400 + delta.seconds  # fractions dropped (exact, no float)
    assert timefmt.parse_timestamp(moment.isoformat()) == expected
    assert timefmt.parse_timestamp(moment.isoformat(sep=" ")) == expected


def test_parsing_common_forms_does_not_import_datetime():
    import subprocess
    import sys

    code = (
        "import sys; from awsenv import timefmt\n"
        "assert timefmt.parse_timestamp('2026-11-23T14:42:21UTC') is not None\n"
        "assert timefmt.parse_timestamp('2026-11-23T14:42:21.5+01:00') is not None\n"
        "timefmt.format_z(0)\n"
        "print(sorted(m for m in ('datetime', '_strptime', 're', 'json') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the one check of an expiry a server sends (finding 16.4) ---------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (BASE + 3600, 1, BASE + 3600),
        ((BASE + 3600) * 1000 + 999, 1000, BASE + 3600),  # milliseconds, fraction dropped
        (BASE + 3600.75, 1, BASE + 3600),
        (BASE + timefmt.LONGEST_CREDENTIALS, 1, BASE + timefmt.LONGEST_CREDENTIALS),
    ],
)
def test_a_sane_expiry_is_whole_seconds(value, unit, expected):
    assert timefmt.checked_expiry(value, BASE, unit=unit) == expected


@pytest.mark.parametrize(
    "value",
    [
        1e30,
        10**40,
        -1,
        0,
        BASE,  # already over when it arrives
        BASE - 3600,
        BASE + timefmt.LONGEST_CREDENTIALS + 1,
        float("nan"),
        float("inf"),
        float("-inf"),
        True,
        "2030-01-01T00:00:00Z",
        str(BASE + 3600),
        None,
        [BASE + 3600],
    ],
)
def test_an_absurd_expiry_is_none(value):
    assert timefmt.checked_expiry(value, BASE) is None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert timefmt.checked_expiry(value * 1000, BASE, unit=1000) is None


@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)))
def test_checked_expiry_never_raises_and_stays_in_range(value):
    got = timefmt.checked_expiry(value, BASE)
    assert got is None or BASE < got <= BASE + timefmt.LONGEST_CREDENTIALS
    if got is not None:
        assert timefmt.parse_timestamp(timefmt.format_z(got)) == got
