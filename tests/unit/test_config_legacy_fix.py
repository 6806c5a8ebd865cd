"""doctor --fix moves legacy SSO profiles to [sso-session] sections, every other byte kept.

botocore is the judge: the fixed file is read with ``botocore.configloader.raw_config_parse``
and ``Session.full_config``, and botocore's own SSO provider must resolve every profile to the
same start URL, region, account and role as before.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import botocore.configloader
import botocore.credentials
import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsenv import cache, diagnose
from awsenv.config import legacy_fix as configfix
from awsenv.config.edit import ConfigWriteError
from tests.helpers import require_tool

TODAY = "2026-11-23"
URL = "https://d-1234567890.awsapps.com/start"
COMMENT = f"# Added by awsenv doctor --fix on {TODAY}: sessions for legacy SSO profiles"


def write(home: Path, data: bytes, *, credentials: bytes | None = None, mode: int = 0o600) -> Path:
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    path = aws / "config"
    path.write_bytes(data)
    path.chmod(mode)
    if credentials is not None:
        (aws / "credentials").write_bytes(credentials)
    return path


def plan() -> configfix.LegacyFix | None:
    return configfix.plan_legacy_sso(diagnose.load_files(dict(os.environ)), today=TODAY)


def apply() -> configfix.LegacyFix:
    fix = plan()
    assert fix is not None
    assert fix.commit(dict(os.environ))
    return fix


def botocore_sso(name: str) -> dict[str, str]:
    """The SSO settings botocore's own provider reads for the profile (env points at the file)."""
    session = botocore.session.Session()
    provider = botocore.credentials.SSOProvider(
        load_config=lambda: session.full_config,
        client_creator=None,  # type: ignore[arg-type]  # never called: no credentials fetched
        profile_name=name,
        token_cache={},
    )
    config = provider._load_sso_config()  # type: ignore[attr-defined]  # botocore's own resolution
    return {
        k: config[k] for k in ("sso_start_url", "sso_region", "sso_account_id", "sso_role_name")
    }


LEGACY = (
    b"# top comment\n"
    b"[default]\n"
    b"region = eu-west-1\n"
    b"\n"
    b"; semicolon comment\n"
    b"[profile old]\n"
    b"# what this is\n"
    b"sso_start_url = " + URL.encode() + b"\n"
    b"sso_region = us-east-1\n"
    b"sso_account_id = 111122223333\n"
    b"sso_role_name = ReadOnly\n"
    b"region = eu-central-1\n"
    b"\n"
    b"[profile other]\n"
    b"region = us-west-2\n"
)


def test_legacy_profile_becomes_sso_session_and_every_other_byte_is_kept(home: Path) -> None:
    path = write(home, LEGACY)
    fix = apply()
    expected = (
        LEGACY.replace(
            b"sso_start_url = " + URL.encode() + b"\nsso_region = us-east-1\n",
            b"sso_session = d-1234567890\n",
        )
        + b"\n"
        + COMMENT.encode()
        + b"\n[sso-session d-1234567890]\n"
        + b"sso_start_url = "
        + URL.encode()
        + b"\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
    )
    assert path.read_bytes() == expected
    assert [s.name for s in fix.sessions] == ["d-1234567890"]
    assert fix.profiles == ("old",)


def test_fixed_file_parses_with_botocore_and_resolves_the_same_accounts_and_roles(
    home: Path,
) -> None:
    path = write(home, LEGACY)
    before = botocore_sso("old")
    apply()
    raw = botocore.configloader.raw_config_parse(str(path))
    assert raw["profile old"]["sso_session"] == "d-1234567890"
    assert "sso_start_url" not in raw["profile old"]
    assert raw["sso-session d-1234567890"]["sso_registration_scopes"] == "sso:account:access"
    assert botocore_sso("old") == before
    assert raw["profile other"] == {"region": "us-west-2"}


def test_backup_holds_the_old_bytes_and_the_mode_is_kept(home: Path) -> None:
    path = write(home, LEGACY, mode=0o640)
    fix = apply()
    assert Path(fix.backup_path).read_bytes() == LEGACY
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(Path(fix.backup_path).stat().st_mode) == 0o600


def test_crlf_and_missing_final_newline_are_kept(home: Path) -> None:
    old = (
        b"[profile old]\r\n"
        b"sso_start_url=" + URL.encode() + b"\r\n"
        b"sso_region=us-east-1\r\n"
        b"sso_account_id=111122223333\r\n"
        b"sso_role_name=Admin"
    )
    path = write(home, old)
    before = botocore_sso("old")
    apply()
    new = path.read_bytes()
    assert new.startswith(
        b"[profile old]\r\nsso_session=d-1234567890\r\n"
        b"sso_account_id=111122223333\r\nsso_role_name=Admin\r\n\r\n"
    )
    assert not new.endswith((b"\n", b"\r"))
    assert b"\n" not in new.replace(b"\r\n", b"")  # every line end is still CRLF
    assert new.endswith(b"sso_registration_scopes = sso:account:access")
    assert botocore_sso("old") == before


def test_style_of_the_key_line_is_kept(home: Path) -> None:
    old = (
        b"[profile old]\n"
        b"  SSO_Start_URL :  " + URL.encode() + b"\n"
        b"  sso_region: us-east-1\n"
        b"  sso_account_id: 1\n"
        b"  sso_role_name: R\n"
    )
    path = write(home, old)
    before = botocore_sso("old")
    apply()
    assert path.read_bytes().startswith(
        b"[profile old]\n  sso_session :  d-1234567890\n  sso_account_id: 1\n"
    )
    assert botocore_sso("old") == before


def test_continuation_lines_of_a_moved_key_go_with_it(home: Path) -> None:
    old = (
        b"[profile old]\n"
        b"sso_start_url = " + URL.encode() + b"\n"
        b"sso_region = us-east-1\n"
        b"sso_registration_scopes = sso:account:access,\n"
        b"   # a comment inside the value\n"
        b"   codewhisperer:completions\n"
        b"sso_account_id = 1\n"
        b"sso_role_name = R\n"
    )
    path = write(home, old)
    apply()
    assert path.read_bytes().startswith(
        b"[profile old]\n"
        b"sso_session = d-1234567890\n"
        b"   # a comment inside the value\n"
        b"sso_account_id = 1\n"
    )
    raw = botocore.configloader.raw_config_parse(str(path))
    assert raw["profile old"] == {
        "sso_session": "d-1234567890",
        "sso_account_id": "1",
        "sso_role_name": "R",
    }


def test_profiles_with_the_same_start_url_share_one_session(home: Path) -> None:
    old = (
        f"[profile a]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = A\n"
        f"[profile b]\nsso_start_url = {URL}/\nsso_region = us-east-1\n"
        "sso_account_id = 2\nsso_role_name = B\n"
        "[profile c]\nsso_start_url = https://mycorp.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_account_id = 3\nsso_role_name = C\n"
    )
    path = write(home, old.encode())
    before = {name: botocore_sso(name) for name in "abc"}
    fix = apply()
    assert [(s.name, s.profiles) for s in fix.sessions] == [
        ("d-1234567890", ("a", "b")),
        ("mycorp", ("c",)),
    ]
    raw = botocore.configloader.raw_config_parse(str(path))
    assert raw["profile a"]["sso_session"] == raw["profile b"]["sso_session"] == "d-1234567890"
    assert sorted(k for k in raw if k.startswith("sso-session")) == [
        "sso-session d-1234567890",
        "sso-session mycorp",
    ]
    after = {name: botocore_sso(name) for name in "abc"}
    for name in "abc":  # the same portal, account and role (a trailing / is the same portal)
        assert after[name]["sso_start_url"].rstrip("/") == before[name]["sso_start_url"].rstrip("/")
        assert {k: v for k, v in after[name].items() if k != "sso_start_url"} == {
            k: v for k, v in before[name].items() if k != "sso_start_url"
        }


def test_same_url_in_two_regions_makes_two_sessions(home: Path) -> None:
    old = (
        f"[profile a]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = A\n"
        f"[profile b]\nsso_start_url = {URL}\nsso_region = eu-west-1\n"
        "sso_account_id = 2\nsso_role_name = B\n"
    )
    write(home, old.encode())
    fix = apply()
    assert [(s.name, s.region) for s in fix.sessions] == [
        ("d-1234567890", "us-east-1"),
        ("d-1234567890-2", "eu-west-1"),
    ]
    assert botocore_sso("b")["sso_region"] == "eu-west-1"


def test_an_existing_session_for_the_same_portal_is_reused(home: Path) -> None:
    old = (
        "[sso-session corp]\n"
        f"sso_start_url = {URL}\n"
        "sso_region = us-east-1\n"
        "\n"
        f"[profile old]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = A\n"
    )
    path = write(home, old.encode())
    fix = apply()
    assert fix.sessions[0].name == "corp"
    assert not fix.sessions[0].new
    assert (
        path.read_bytes()
        == old.replace(
            f"[profile old]\nsso_start_url = {URL}\nsso_region = us-east-1\n",
            "[profile old]\nsso_session = corp\n",
        ).encode()
    )


def test_a_taken_session_name_for_another_portal_gets_a_suffix(home: Path) -> None:
    old = (
        "[sso-session d-1234567890]\n"
        "sso_start_url = https://elsewhere.example/start\n"
        "sso_region = us-east-1\n"
        f"[profile old]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = A\n"
    )
    write(home, old.encode())
    fix = apply()
    assert fix.sessions[0].name == "d-1234567890-2"
    assert botocore_sso("old")["sso_start_url"] == URL


def test_profiles_that_cannot_be_moved_safely_are_left_alone_with_a_reason(home: Path) -> None:
    old = (
        # the credentials file sets its SSO keys
        f"[profile in-creds]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = A\n"
        # no sso_region
        f"[profile no-region]\nsso_start_url = {URL}\nsso_account_id = 1\nsso_role_name = A\n"
        # a key of the new session would contradict its own
        f"[profile clash]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = A\n"
        "[sso-session x]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 2\n"
    )
    path = write(home, old.encode(), credentials=b"[in-creds]\nsso_region = us-east-1\n")
    fix = plan()
    assert fix is not None
    reasons = dict(fix.skipped)
    assert set(reasons) == {"in-creds", "no-region", "clash"}
    assert "credentials file" in reasons["in-creds"]
    assert "sso_region" in reasons["no-region"]
    assert "sso_account_id" in reasons["clash"]
    assert fix.plan is None
    assert not fix.commit(dict(os.environ))
    assert path.read_bytes() == old.encode()


def test_one_odd_profile_does_not_block_the_others(home: Path) -> None:
    old = (
        f"[profile odd]\nsso_start_url = {URL}\n  continued\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = A\n"
        f"[profile fine]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 2\nsso_role_name = B\n"
    )
    write(home, old.encode())
    fix = apply()
    assert fix.profiles == ("fine",)
    assert "several lines" in dict(fix.skipped)["odd"]


def test_default_section_with_sso_keys_is_left_to_a_person(home: Path) -> None:
    old = (
        f"[DEFAULT]\nsso_region = us-east-1\n[profile old]\nsso_start_url = {URL}\n"
        "sso_account_id = 1\nsso_role_name = A\n"
    )
    write(home, old.encode())
    fix = plan()
    assert fix is not None
    assert "DEFAULT" in dict(fix.skipped)["old"]


def test_no_legacy_profile_means_no_fix(home: Path) -> None:
    write(home, b"[profile a]\nregion = eu-west-1\n")
    assert plan() is None


def test_diff_shows_the_change_and_redacts_secrets(home: Path) -> None:
    old = LEGACY.replace(
        b"[profile other]\n",
        b"[profile other]\naws_access_key_id = AKIAEXAMPLEKEY1234\n"
        b"aws_secret_access_key = very-secret-canary\n",
    )
    write(home, old)
    fix = plan()
    assert fix is not None
    diff = fix.diff()
    assert f"-sso_start_url = {URL}" in diff
    assert "-sso_region = us-east-1" in diff
    assert "+sso_session = d-1234567890" in diff
    assert "+[sso-session d-1234567890]" in diff
    assert "+sso_registration_scopes = sso:account:access" in diff
    assert "very-secret-canary" not in diff
    assert " aws_access_key_id = ...1234\n" in diff
    assert "AKIAEXAMPLEKEY" not in diff


def test_diff_matches_difflib_where_the_change_is_unambiguous(home: Path) -> None:
    write(home, LEGACY)
    fix = plan()
    assert fix is not None
    assert fix.plan is not None
    assert fix.diff() == fix.plan.diff()


def test_diff_keeps_a_moved_profile_at_the_end_readable(home: Path) -> None:
    # difflib would pair the removed lines with the new section's copies of them
    write(
        home,
        f"[profile old]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = R\n".encode(),
    )
    fix = plan()
    assert fix is not None
    assert fix.diff().splitlines()[2:6] == [
        "@@ -1,5 +1,10 @@",
        " [profile old]",
        f"-sso_start_url = {URL}",
        "-sso_region = us-east-1",
    ]


@pytest.mark.parametrize(
    "data",
    [
        LEGACY,
        LEGACY.replace(b"\n", b"\r\n"),
        LEGACY.rstrip(b"\n"),
        b"[profile old]\nsso_start_url = " + URL.encode() + b"\nsso_region = us-east-1",
    ],
)
def test_the_diff_applies_with_patch_and_gives_the_written_file(
    home: Path, tmp_path: Path, data: bytes
) -> None:
    patch = require_tool("patch")
    path = write(home, data)
    fix = plan()
    assert fix is not None
    copy = tmp_path / "copy"
    copy.write_bytes(data)
    diff = tmp_path / "fix.diff"
    diff.write_bytes(fix.diff().encode())
    result = subprocess.run(
        [patch, "--binary", "-s", str(copy), str(diff)], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    fix.commit(dict(os.environ))
    assert copy.read_bytes() == path.read_bytes()


def test_planning_writes_nothing(home: Path) -> None:
    path = write(home, LEGACY)
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    plan()
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before
    assert path.read_bytes() == LEGACY


def test_a_file_changed_after_planning_is_not_overwritten(home: Path) -> None:
    path = write(home, LEGACY)
    fix = plan()
    assert fix is not None
    path.write_bytes(LEGACY + b"[profile new]\nregion = x\n")
    with pytest.raises(ConfigWriteError, match="changed while"):
        fix.commit(dict(os.environ))
    assert path.read_bytes() == LEGACY + b"[profile new]\nregion = x\n"


def test_a_read_only_file_is_refused(home: Path) -> None:
    path = write(home, LEGACY, mode=0o400)
    fix = plan()
    assert fix is not None
    with pytest.raises(ConfigWriteError, match="read-only"):
        fix.commit(dict(os.environ))
    assert path.read_bytes() == LEGACY


def test_the_write_takes_the_config_lock(home: Path) -> None:
    write(home, LEGACY)
    apply()
    assert os.path.exists(cache.lock_path(dict(os.environ), "aws-config"))


def test_a_symlinked_config_stays_a_link(home: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "config"
    real.parent.mkdir()
    real.write_bytes(LEGACY)
    (home / ".aws").mkdir()
    (home / ".aws" / "config").symlink_to(real)
    apply()
    assert (home / ".aws" / "config").is_symlink()
    assert b"sso_session = d-1234567890" in real.read_bytes()


_FILLER = st.sampled_from(
    [
        "# comment",
        "; other comment",
        "",
        "   # indented comment",
        "[plugins]\ncli_legacy_plugin_path = /x",
        "[profile p]\nregion = us-east-1 # not a comment",
        "[profile nested]\ns3 =\n  addressing_style = path",
        "[services s]\nsts =\n  endpoint_url = http://localhost",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(_FILLER, max_size=3),
    after=st.lists(_FILLER, max_size=3),
    newline=st.sampled_from(["\n", "\r\n"]),
    final_newline=st.booleans(),
)
def test_only_the_legacy_lines_change_around_any_surroundings(
    home: Path, before: list[str], after: list[str], newline: str, final_newline: bool
) -> None:
    # Section names must be unique in one file (strict mode): number the fillers.
    def numbered(parts: list[str], tag: str) -> list[str]:
        return [
            part.replace("[plugins]", f"[plugins{tag}{i}]")
            .replace("[profile p]", f"[profile p{tag}{i}]")
            .replace("[profile nested]", f"[profile nested{tag}{i}]")
            .replace("[services s]", f"[services s{tag}{i}]")
            for i, part in enumerate(parts)
        ]

    legacy = (
        f"[profile old]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = A"
    )
    text = "\n".join([*numbered(before, "b"), legacy, *numbered(after, "a")])
    text = text.replace("\n", newline) + (newline if final_newline else "")
    path = write(home, text.encode())
    old_raw = botocore.configloader.raw_config_parse(str(path))
    apply()
    new = path.read_bytes().decode()
    head, _, _block = new.partition(newline + COMMENT)
    assert head.rstrip(newline) == text.replace(
        f"sso_start_url = {URL}{newline}sso_region = us-east-1",
        "sso_session = d-1234567890",
    ).rstrip(newline)
    assert new.endswith(newline) == text.endswith(newline)
    new_raw = botocore.configloader.raw_config_parse(str(path))
    for header, values in old_raw.items():
        if header != "profile old":
            assert new_raw[header] == values
