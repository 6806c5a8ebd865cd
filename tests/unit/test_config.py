"""awsenv.config parses ~/.aws/config and ~/.aws/credentials exactly as botocore does.

botocore is the reference: every conformance case is run through both parsers and compared, and
every malformed file that awsenv rejects must be rejected by botocore as well.
"""

from __future__ import annotations

import os
from pathlib import Path

import botocore.configloader  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsenv import config
from awsenv.errors import ConfigError
from tests.helpers import minimal_env, run_awsenv


def _paths(home: Path) -> tuple[Path, Path]:
    return home / ".aws" / "config", home / ".aws" / "credentials"


def _write(path: Path, content: str | bytes | None) -> None:
    """Write content verbatim (no dedent, no newline translation); None removes the file."""
    if content is None:
        if path.exists():
            path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def _botocore(config_path: Path, credentials_path: Path) -> dict[str, object]:
    """botocore's view of the two files (the conftest points AWS_CONFIG_FILE etc. at them)."""
    assert os.environ["AWS_CONFIG_FILE"] == str(config_path)
    assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == str(credentials_path)
    full = botocore.session.Session().full_config
    return {
        "profiles": full["profiles"],
        "sso_sessions": full.get("sso_sessions", {}),
        "services": full.get("services", {}),
    }


def _ours(config_path: Path, credentials_path: Path) -> dict[str, object]:
    parsed = config.parse(str(config_path), str(credentials_path))
    return {
        "profiles": parsed.profiles,
        "sso_sessions": parsed.sso_sessions,
        "services": parsed.services,
    }


def _both(
    home: Path, config_text: str | bytes | None, credentials_text: str | bytes | None = None
) -> dict[str, object]:
    config_path, credentials_path = _paths(home)
    _write(config_path, config_text)
    _write(credentials_path, credentials_text)
    ours = _ours(config_path, credentials_path)
    theirs = _botocore(config_path, credentials_path)
    assert ours == theirs
    # same order too: `awsenv list` shows profiles in the order botocore lists them
    assert list(ours["profiles"]) == list(theirs["profiles"])  # type: ignore[call-overload]
    return ours


# --- conformance with botocore ------------------------------------------------------------------

CASES: dict[str, tuple[str, str | None]] = {
    "profile_header": ("[profile dev]\nregion = eu-west-1\n", None),
    "default_then_profile_default_later_wins": (
        "[default]\nregion = a\noutput = json\n[profile default]\nregion = b\n",
        None,
    ),
    "profile_default_then_default_later_wins": (
        "[profile default]\nregion = b\n[default]\nregion = a\n",
        None,
    ),
    "extra_spaces_in_header": ("[profile   a]\nregion = x\n[profile\tb]\nregion = y\n", None),
    "same_name_two_spellings_later_wins": ("[profile a]\nk = 1\n[profile  a]\nj = 2\n", None),
    "quoted_name_with_space": ('[profile "my dev"]\nregion = x\n', None),
    "three_words_dropped": ("[profile a b]\nregion = x\n[profile c]\nregion = y\n", None),
    "no_space_after_profile_dropped": ("[profilefoo]\nregion = x\n", None),
    "profile_alone_dropped": ("[profile]\nregion = x\n", None),
    "unbalanced_quote_dropped": ("[profile 'oops]\nregion = x\n", None),
    "capital_profile_not_a_profile": ("[Profile X]\nregion = x\n[plugins]\ncli = y\n", None),
    "leading_space_header_not_a_profile": ("[ profile dev ]\nregion = x\n", None),
    "upper_default_leaks_everywhere": (
        "[DEFAULT]\nregion = leaked\n[profile a]\nk = 1\n[sso-session s]\nsso_region = r\n"
        "[services s]\nk = v\n[profile b]\nregion = own\n",
        "[c]\naws_access_key_id = A\n",
    ),
    "sso_session_and_services": (
        "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n"
        "sso_registration_scopes = sso:account:access\n"
        "[services dev]\ns3 =\n  endpoint_url = http://localhost:4566\n"
        "[profile a]\nsso_session = corp\nservices = dev\n",
        None,
    ),
    "nested_block": (
        "[profile a]\ns3 =\n  addressing_style = path\n  signature_version=s3v4\n\n"
        "  # a comment\n  x = a = b\nregion = r\n",
        None,
    ),
    "continuation_appended_with_newline": (
        "[profile a]\nregion = x\n  output = json\n\n  more\n",
        None,
    ),
    "colon_separator": ("[profile a]\noutput: json\nregion :eu-west-1\n", None),
    "no_inline_comments": (
        "[profile a]\nregion = us-east-1 # eu\nurl = https://h/p#frag ; x\n# whole\n  ; indented\n",
        None,
    ),
    "key_names_lowercased_values_kept": ("[profile a]\nRegion = EU-West-1\nKEY=\n", None),
    "crlf_line_ends": ("[profile a]\r\nregion = x\r\n\r\n[default]\r\nk = v\r\n", None),
    "percent_literal": ("[profile a]\nv = 100%\nw = %(region)s\n", None),
    "non_ascii_names": ("[profile é\u2019x]\nregion = 中\n[sso-session ŝ]\nsso_region = r\n", None),
    "credentials_profile_prefix_literal": (
        "[profile dev]\nregion = x\n",
        "[profile dev]\naws_access_key_id = A\naws_secret_access_key = S\n",
    ),
    "credentials_override_config_same_key": (
        "[profile dev]\nregion = config\noutput = json\n",
        "[dev]\nregion = credentials\naws_access_key_id = A\n",
    ),
    "credentials_only_profiles": ("", "[only]\naws_access_key_id = A\n[default]\nx = 1\n"),
    "credentials_nested_replaces_config_nested": (
        "[profile a]\ns3 =\n  a = 1\n  b = 2\n",
        "[a]\ns3 =\n  c = 3\n",
    ),
    "empty_files": ("", ""),
    "comments_only": ("# nothing\n; here\n", "\n\n"),
    "missing_files": ("[profile a]\nk = v\n", None),
}


@pytest.mark.parametrize(("config_text", "credentials_text"), CASES.values(), ids=CASES.keys())
def test_parse_matches_botocore_full_config(
    home: Path, config_text: str, credentials_text: str | None
) -> None:
    _both(home, config_text, credentials_text)


def test_missing_config_and_credentials_are_empty(home: Path) -> None:
    assert _both(home, None, None)["profiles"] == {}


def test_directory_as_config_path_is_treated_as_missing(home: Path) -> None:
    config_path, credentials_path = _paths(home)
    config_path.mkdir(parents=True)
    credentials_path.mkdir()
    assert _ours(config_path, credentials_path) == _botocore(config_path, credentials_path)
    assert config.parse(str(config_path), str(credentials_path)).profiles == {}


def test_continuation_line_is_appended_to_the_value_above(home: Path) -> None:
    ours = _both(home, "[profile a]\nregion = x\n  output = json\n")
    assert ours["profiles"] == {"a": {"region": "x\noutput = json"}}


def test_nested_block_becomes_a_dict(home: Path) -> None:
    ours = _both(home, "[profile a]\ns3 =\n  addressing_style = path\n")
    assert ours["profiles"] == {"a": {"s3": {"addressing_style": "path"}}}


def test_inline_comment_is_part_of_the_value(home: Path) -> None:
    ours = _both(home, "[profile a]\nregion = us-east-1 # eu\n")
    assert ours["profiles"] == {"a": {"region": "us-east-1 # eu"}}


def test_later_default_section_replaces_earlier_wholesale(home: Path) -> None:
    ours = _both(home, "[default]\nregion = a\noutput = json\n[profile default]\nregion = b\n")
    assert ours["profiles"] == {"default": {"region": "b"}}


def test_credentials_profile_prefix_is_part_of_the_name(home: Path) -> None:
    ours = _both(home, "", "[profile dev]\naws_access_key_id = A\n")
    assert list(ours["profiles"]) == ["profile dev"]  # type: ignore[call-overload]


def test_credentials_values_win_over_config_values(home: Path) -> None:
    ours = _both(home, "[profile dev]\nregion = c\noutput = json\n", "[dev]\nregion = k\n")
    assert ours["profiles"] == {"dev": {"region": "k", "output": "json"}}


def test_origin_names_the_header_line_of_each_profile(home: Path) -> None:
    config_path, credentials_path = _paths(home)
    _write(
        config_path,
        "# top\n[default]\nregion = a\n  [profile fake]\n\n[profile fake]\nk = v\n"
        "[profile b]\r\nk=\u2028v\n[profile c]\n",
    )
    _write(credentials_path, "[only]\nk = v\n")
    parsed = config.parse(str(config_path), str(credentials_path))
    assert parsed.origins == {
        "default": f"{config_path}:2",
        "fake": f"{config_path}:6",
        "b": f"{config_path}:8",
        "c": f"{config_path}:10",
        "only": f"{credentials_path}:1",
    }


# --- random small configs -----------------------------------------------------------------------

_HEADERS = [
    "default",
    "DEFAULT",
    "profile default",
    "profile a",
    "profile   a",
    "profile\ta",
    'profile "my dev"',
    "profile 'b c'",
    "profile a b",
    "profilefoo",
    "profile",
    "Profile X",
    "profile é\u2019x",
    "profile 'unbalanced",
    "sso-session s",
    "sso-session  s",
    "sso-sessionx y",
    "services s",
    "services",
    "plugins",
    "a]b",
    "dev",
]
_KEY = st.text(alphabet="abcdefgXYZ_-.0123456789", min_size=1, max_size=8).filter(
    lambda k: k.strip() != ""
)
_VALUE = st.text(alphabet="abcXYZ 0123456789%#;:/=.-_é中", max_size=12)
_SEPARATOR = st.sampled_from(["=", " = ", ": ", " :", "="])


@st.composite
def _entry(draw: st.DrawFn) -> str:
    key = draw(_KEY)
    kind = draw(st.sampled_from(["plain", "plain", "continued", "nested", "empty"]))
    if kind == "nested":
        lines = draw(st.lists(st.tuples(_KEY, _VALUE), min_size=1, max_size=3))
        return f"{key} =\n" + "".join(f"  {k} = {v}\n" for k, v in lines)
    if kind == "empty":
        return f"{key}{draw(_SEPARATOR)}\n"
    text = f"{key}{draw(_SEPARATOR)}{draw(_VALUE)}\n"
    if kind == "continued":
        for line in draw(st.lists(_VALUE, min_size=1, max_size=2)):
            text += f"    {line}\n"
    return text


@st.composite
def _ini(draw: st.DrawFn) -> str:
    headers = draw(st.lists(st.sampled_from(_HEADERS), max_size=5, unique=True))
    text = draw(st.sampled_from(["", "# comment\n", "\n"]))
    for header in headers:
        text += f"[{header}]\n"
        keys = draw(st.lists(_entry(), max_size=4, unique_by=lambda e: e.split("=")[0].lower()))
        text += "".join(keys)
        text += draw(st.sampled_from(["", "\n", "; c\n"]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(config_text=_ini(), credentials_text=st.one_of(st.none(), _ini()))
def test_random_configs_parse_exactly_as_botocore(
    home: Path, config_text: str, credentials_text: str | None
) -> None:
    config_path, credentials_path = _paths(home)
    _write(config_path, config_text)
    _write(credentials_path, credentials_text)
    try:
        ours: object = _ours(config_path, credentials_path)
    except ConfigError as exc:
        ours = ("error", exc.path)
    try:
        theirs: object = _botocore(config_path, credentials_path)
    except botocore.exceptions.ConfigParseError as exc:
        theirs = ("error", exc.kwargs["path"])
    assert ours == theirs


# --- malformed files ----------------------------------------------------------------------------

MALFORMED: dict[str, tuple[bytes, int]] = {
    "duplicate_section": (b"[profile a]\nregion = x\n\n[profile b]\n[profile a]\nk = v\n", 5),
    "duplicate_key": (b"[profile a]\nregion = x\noutput = json\nregion = y\n", 4),
    "duplicate_key_differing_case": (b"[profile a]\nRegion = x\nregion = y\n", 3),
    "duplicate_key_via_colon": (b"[default]\nregion = x\n\nregion: y\n", 4),
    "key_before_first_section": (b"# c\nregion = x\n[default]\n", 2),
    "line_without_separator": (b"[default]\nregion = x\n[profile b]\njust some words\n", 4),
    "empty_key": (b"[default]\n= value\n", 2),
    "utf8_bom": (b"\xef\xbb\xbf[default]\nregion = x\n", 1),
    "invalid_utf8": (b"[default]\nregion = x\n[profile b]\nk = \xff\xfe\n", 4),
    "nested_line_without_equals": (b"[profile a]\nregion = x\ns3 =\n  a = 1\n  oops\n", 5),
    "nested_line_without_equals_after_blank_and_comment": (
        b"[profile a]\ns3 =\n  a = 1\n\n  # c\n  oops\nregion = x\n",
        6,
    ),
    "duplicate_section_crlf": (b"[default]\r\nk = v\r\n[default]\r\n", 3),
}


@pytest.mark.parametrize(("content", "line"), MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("which", ["config", "credentials"])
def test_malformed_file_error_names_file_and_line(
    home: Path, content: bytes, line: int, which: str
) -> None:
    config_path, credentials_path = _paths(home)
    bad = config_path if which == "config" else credentials_path
    good = credentials_path if which == "config" else config_path
    _write(bad, content)
    _write(good, "[profile fine]\nregion = x\n" if which == "credentials" else "[fine]\nk = v\n")
    with pytest.raises(ConfigError) as caught:
        config.parse(str(config_path), str(credentials_path))
    assert caught.value.path == str(bad)
    assert caught.value.line == line
    assert caught.value.message.startswith(f"{bad}:{line}: ")
    assert "\n" not in caught.value.message
    with pytest.raises(botocore.exceptions.ConfigParseError):
        _botocore(config_path, credentials_path)


def test_duplicate_key_error_names_file_and_line(home: Path) -> None:
    config_path, credentials_path = _paths(home)
    _write(config_path, "[profile a]\nRegion = x\nregion = y\n")
    with pytest.raises(ConfigError, match=r"config:3: key 'region' appears twice in section"):
        config.parse(str(config_path), str(credentials_path))


@pytest.mark.parametrize(
    "text",
    [
        # the keys under the broken header land in the section above: "appears twice" there
        "[profile personal]\nregion = eu-west-1\n\n[profile prod\nregion = us-east-1\n",
        # nothing else wrong: configparser's own complaint is about that line too
        "[profile personal]\nregion = eu-west-1\n\n[profile prod\noutput = json\n",
    ],
    ids=["duplicate-below", "alone"],
)
def test_a_header_without_its_bracket_is_reported_at_its_own_line(home: Path, text: str) -> None:
    # Found on a new user's walk: `[profile prod` on line 4 was reported as line 5, "key 'region'
    # appears twice in section [profile personal]".
    config_path, credentials_path = _paths(home)
    _write(config_path, text)
    with pytest.raises(ConfigError) as caught:
        config.parse(str(config_path), str(credentials_path))
    assert caught.value.message.endswith(
        "config:4: section header '[profile prod' lacks its closing ']'"
    ), caught.value.message
    with pytest.raises(botocore.exceptions.ConfigParseError):
        _botocore(config_path, credentials_path)


def test_unparsable_line_is_quoted_once_in_the_message(home: Path) -> None:
    config_path, credentials_path = _paths(home)
    _write(config_path, "[default]\njust some words\n")
    with pytest.raises(ConfigError) as caught:
        config.parse(str(config_path), str(credentials_path))
    assert caught.value.message.endswith(
        "config:2: cannot parse line 'just some words' (expected 'key = value')"
    )


def test_malformed_config_fails_list_with_one_line_naming_the_line(home: Path) -> None:
    _write(_paths(home)[0], "[profile a]\nregion = x\n\n[profile a]\n")
    result = run_awsenv(["list"], minimal_env(home))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert f"{_paths(home)[0]}:4:" in lines[0]
    assert lines[0].startswith("awsenv: ")
    if len(lines) == 2:
        assert lines[1].startswith("  hint:")
    assert "Traceback" not in result.stderr


def test_malformed_credentials_fails_completion_without_output(home: Path) -> None:
    _write(_paths(home)[0], "[profile a]\n")
    _write(_paths(home)[1], "[a]\nk = 1\nk = 2\n")
    result = run_awsenv(["__complete", "profiles"], minimal_env(home))
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{_paths(home)[1]}:3:" in result.stderr.splitlines()[0]
