"""config.edit appends to ~/.aws/config without changing a byte of what is there (T7, T31).

botocore is the judge: every result is read back with ``botocore.configloader`` and must hold
the old sections unchanged plus exactly the new ones.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import botocore.configloader  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsenv import cache
from awsenv.config import edit as configwrite
from awsenv.config.edit import ConfigWriteError, NewSection, profile_section
from awsenv.errors import CacheError, ConfigError
from tests.helpers import HOSTILE

COMMENT = "Added by awsenv sso sync (sso-session corp) on 2026-11-23"
SSO_ITEMS = (("sso_session", "corp"), ("sso_account_id", "111111111111"), ("sso_role_name", "A"))

ODD = (
    "# a comment\n"
    ";another comment\n"
    "[default]\n"
    "region=eu-west-1\n"
    "\n\n"
    "   # indented comment\n"
    "[profile default]\n"
    "output   :   json\n"
    "[profile  spaced ]\n"
    "role_arn = arn:aws:iam::1:role/r\n"
    "source_profile = default\n"
    "[profile nested]\n"
    "s3 =\n"
    "  addressing_style = path\n"
    "  max_concurrent_requests = 20\n"
    "[profile cont]\n"
    "note = first\n"
    "  second line\n"
    "[profile pct]\n"
    "sso_start_url = https://x.awsapps.com/start#/%20q\n"
    "region = us-east-1 # not a comment\n"
    "[sso-session corp]\n"
    "sso_start_url = https://d-1.awsapps.com/start\n"
    "sso_region = us-east-1\n"
    "[plugins]\n"
    "cli_legacy_plugin_path = /x\n"
)


def config_file(tmp_path: Path, content: bytes | str | None, mode: int = 0o600) -> Path:
    path = tmp_path / "aws" / "config"
    if content is None:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(mode)
    return path


def botocore_raw(path: Path) -> dict[str, dict[str, object]]:
    return botocore.configloader.raw_config_parse(str(path))


def append(path: Path, *names: str) -> configwrite.Plan:
    sections = [profile_section(name, SSO_ITEMS) for name in names]
    edit = configwrite.plan(str(path), sections, comment=COMMENT)
    edit.commit()
    return edit


def leftovers(directory: Path) -> list[str]:
    return [name for name in os.listdir(directory) if name.endswith(cache.TEMP_SUFFIX)]


# --- bytes outside the appended block stay as they were ----------------------------------


def test_comments_and_odd_spacing_are_kept_byte_for_byte(tmp_path):
    path = config_file(tmp_path, ODD)
    before = botocore_raw(path)
    append(path, "new-one", "new-two")
    data = path.read_bytes()
    assert data.startswith(ODD.encode())
    assert data[len(ODD) :].decode() == textwrap.dedent(
        f"""
        # {COMMENT}
        [profile new-one]
        sso_session = corp
        sso_account_id = 111111111111
        sso_role_name = A

        [profile new-two]
        sso_session = corp
        sso_account_id = 111111111111
        sso_role_name = A
        """
    )
    after = botocore_raw(path)
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) == {"profile new-one", "profile new-two"}
    assert after["profile new-one"] == dict(SSO_ITEMS)
    profiles = botocore.configloader.load_config(str(path))["profiles"]
    assert profiles["new-two"] == dict(SSO_ITEMS)
    assert profiles["spaced"]["source_profile"] == "default"


def test_crlf_line_ends_are_used_for_the_new_lines(tmp_path):
    old = ODD.replace("\n", "\r\n").encode()
    path = config_file(tmp_path, old)
    append(path, "new")
    data = path.read_bytes()
    assert data.startswith(old + b"\r\n# Added by")
    assert data.count(b"\n") == data.count(b"\r\n")
    assert botocore_raw(path)["profile new"] == dict(SSO_ITEMS)


def test_a_missing_final_newline_is_added_before_the_block(tmp_path):
    old = b"[profile a]\nregion = eu-west-1"
    path = config_file(tmp_path, old)
    append(path, "b")
    data = path.read_bytes()
    assert data.startswith(old + b"\n\n# Added by")
    assert botocore_raw(path)["profile a"] == {"region": "eu-west-1"}


def test_a_file_ending_in_a_blank_line_gets_no_second_one(tmp_path):
    old = b"[profile a]\nregion = eu-west-1\n\n"
    path = config_file(tmp_path, old)
    append(path, "b")
    assert path.read_bytes().startswith(old + b"# Added by")


def test_a_missing_file_is_created_0600_with_only_the_block(tmp_path):
    path = config_file(tmp_path, None)
    old_umask = os.umask(0o022)
    try:
        edit = append(path, "b")
    finally:
        os.umask(old_umask)
    assert path.read_bytes().startswith(b"# Added by")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not Path(edit.backup_path).exists()  # there was nothing to back up


def test_a_default_section_adds_its_keys_and_is_still_accepted(tmp_path):
    path = config_file(tmp_path, "[DEFAULT]\nregion = eu-west-1\n[profile a]\noutput = json\n")
    append(path, "b")
    assert botocore.configloader.load_config(str(path))["profiles"]["b"] == {
        **dict(SSO_ITEMS),
        "region": "eu-west-1",
    }


FRAGMENTS = (
    "# comment\n",
    "; comment\n",
    "\n",
    "   \n",
    "[default]\nregion = eu-west-1\n",
    "[profile default]\noutput = json\n",
    "[profile x]\ns3 =\n  addressing_style = path\n",
    "[profile y]\nnote = a\n  b\n",
    "[profile z]\nurl = https://h/start#/%41 # not a comment\n",
    "[sso-session s]\nsso_start_url = https://d.awsapps.com/start\nsso_region = us-east-1\n",
    '[profile "q x"]\nregion = us-west-2\n',
    "[services dev]\ns3 =\n  endpoint_url = http://localhost\n",
    "[profile \u00e9\u2019x]\nregion = ap-south-1\n",
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.sampled_from(FRAGMENTS), max_size=8, unique=True),
    crlf=st.booleans(),
    trim=st.booleans(),
)
def test_any_odd_but_valid_file_keeps_its_sections_and_bytes(tmp_path_factory, picks, crlf, trim):
    text = "".join(picks)
    if trim:
        text = text.rstrip("\n")
    if crlf:
        text = text.replace("\n", "\r\n")
    path = config_file(tmp_path_factory.mktemp("odd"), text)
    before = botocore_raw(path)
    profiles_before = botocore.configloader.load_config(str(path))["profiles"]
    append(path, "added-one")
    data = path.read_bytes()
    assert data.startswith(text.encode())
    after = botocore_raw(path)
    assert {k: v for k, v in after.items() if k != "profile added-one"} == before
    profiles_after = botocore.configloader.load_config(str(path))["profiles"]
    assert {k: v for k, v in profiles_after.items() if k != "added-one"} == profiles_before
    assert profiles_after["added-one"] == dict(SSO_ITEMS)


# --- what is refused -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\nregion = x", "a\rb", "trailing ", " leading", "nul\x00"])
def test_values_that_would_not_read_back_are_refused(tmp_path, value):
    with pytest.raises(ValueError, match="value of sso_role_name"):
        profile_section("p", (("sso_role_name", value),))
    path = config_file(tmp_path, "[profile a]\n")
    section = NewSection("profile p", (("sso_role_name", value),), profile="p")
    with pytest.raises(ConfigWriteError, match="refusing to write"):
        configwrite.plan(str(path), [section], comment=COMMENT)
    assert path.read_bytes() == b"[profile a]\n"


@pytest.mark.parametrize("key", ["Region", "a key", "a=b", "a:b", "#x", ";x", "", "a\nb"])
def test_keys_that_would_not_read_back_are_refused(key):
    with pytest.raises(ValueError, match="cannot be written as a key"):
        profile_section("p", ((key, "v"),))


@pytest.mark.parametrize(
    "name",
    ["my dev", 'a"b', "a'b", "a\\b", "", " a", "a ", "a]b", "[a", "new\nline", "cr\rx", "tab\tx"],
)
def test_names_botocore_would_not_read_back_are_refused(name):
    with pytest.raises(ValueError, match=r"section name|read"):
        profile_section(name, SSO_ITEMS)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_is_refused_or_reads_back_exactly(tmp_path, name):
    try:
        section = profile_section(name, SSO_ITEMS)
    except ValueError:
        return
    path = config_file(tmp_path, "[profile a]\nregion = x\n")
    configwrite.plan(str(path), [section], comment=COMMENT).commit()
    assert botocore.configloader.load_config(str(path))["profiles"][name] == dict(SSO_ITEMS)


def test_an_existing_section_is_never_added_twice(tmp_path):
    old = b"[profile a]\nregion = x\n"
    path = config_file(tmp_path, old)
    with pytest.raises(ConfigWriteError, match="appears twice"):
        configwrite.plan(str(path), [profile_section("a", SSO_ITEMS)], comment=COMMENT)
    with pytest.raises(ConfigWriteError, match=r"line 10 \(section \[profile b\] appears twice"):
        configwrite.plan(
            str(path),
            [profile_section("b", SSO_ITEMS), profile_section("b", SSO_ITEMS)],
            comment=COMMENT,
        )
    assert path.read_bytes() == old


def test_a_header_that_would_replace_an_existing_profile_is_refused(tmp_path):
    # [profile  a] is another section to configparser but the same profile to botocore
    path = config_file(tmp_path, b"[profile a]\nregion = x\n")
    section = NewSection("profile  a", SSO_ITEMS, profile="a")
    with pytest.raises(ConfigWriteError, match="profile 'a' would change"):
        configwrite.plan(str(path), [section], comment=COMMENT)


def test_a_file_botocore_rejects_is_not_edited_and_the_line_is_named(tmp_path):
    old = b"[profile a]\nregion = x\nregion = y\n"
    path = config_file(tmp_path, old)
    with pytest.raises(ConfigError) as caught:
        configwrite.plan(str(path), [profile_section("b", SSO_ITEMS)], comment=COMMENT)
    assert caught.value.message.startswith(f"{path}:3: ")
    assert path.read_bytes() == old


def test_a_directory_at_the_path_is_refused(tmp_path):
    path = tmp_path / "config"
    path.mkdir()
    with pytest.raises(ConfigWriteError, match="not a regular file"):
        configwrite.plan(str(path), [profile_section("b", SSO_ITEMS)], comment=COMMENT)


# --- replacing the file ----------------------------------------------------------------------


def test_a_read_only_file_is_refused(tmp_path):
    path = config_file(tmp_path, "[profile a]\n", 0o444)
    with pytest.raises(ConfigWriteError, match="read-only"):
        configwrite.plan(str(path), [profile_section("b", SSO_ITEMS)], comment=COMMENT)
    assert path.read_bytes() == b"[profile a]\n"


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640, 0o664])
def test_the_file_keeps_its_mode(tmp_path, mode):
    path = config_file(tmp_path, "[profile a]\nregion = x\n", mode)
    inode = path.stat().st_ino
    append(path, "b")
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.stat().st_ino != inode  # replaced, not rewritten in place


def test_the_backup_holds_the_previous_content_0600_and_is_overwritten(tmp_path):
    first = b"# mine\n[profile a]\nregion = x\n"
    path = config_file(tmp_path, first, 0o644)
    edit = append(path, "b")
    backup = Path(edit.backup_path)
    assert backup == tmp_path / "aws" / "config.awsenv-backup"
    assert backup.read_bytes() == first
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    second = path.read_bytes()
    append(path, "c")
    assert backup.read_bytes() == second
    assert leftovers(path.parent) == []


def test_nothing_to_add_writes_nothing(tmp_path):
    path = config_file(tmp_path, "[profile a]\n")
    before = path.stat()
    edit = configwrite.plan(str(path), [], comment=COMMENT)
    assert not edit.changed
    assert edit.diff() == ""
    assert edit.commit() is False
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert not Path(edit.backup_path).exists()


def test_a_symlinked_config_stays_a_link_and_its_target_is_updated(tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "aws-config"
    real.write_bytes(b"[profile a]\n")
    real.chmod(0o644)
    link = tmp_path / "config"
    link.symlink_to(real)
    edit = append(link, "b")
    assert link.is_symlink()
    assert b"[profile b]" in real.read_bytes()
    assert stat.S_IMODE(real.stat().st_mode) == 0o644
    assert Path(edit.backup_path) == tmp_path / "config.awsenv-backup"
    assert os.listdir(dotfiles) == ["aws-config"]


def test_a_file_changed_after_planning_is_not_overwritten(tmp_path):
    path = config_file(tmp_path, "[profile a]\n")
    edit = configwrite.plan(str(path), [profile_section("b", SSO_ITEMS)], comment=COMMENT)
    path.write_bytes(b"[profile a]\n[profile edited]\n")
    with pytest.raises(ConfigWriteError, match="changed while"):
        edit.commit()
    assert path.read_bytes() == b"[profile a]\n[profile edited]\n"


def test_commit_under_a_lock(tmp_path):
    path = config_file(tmp_path, "[profile a]\n")
    edit = configwrite.plan(str(path), [profile_section("b", SSO_ITEMS)], comment=COMMENT)
    assert edit.commit(lock=str(tmp_path / "locks" / "config.lock")) is True
    assert b"[profile b]" in path.read_bytes()


def test_a_failed_write_leaves_the_file_byte_identical_and_no_temp_file(tmp_path):
    old = "".join(f"# keep me\n[profile a{n}]\nregion = eu-west-1\n" for n in range(20))
    path = config_file(tmp_path, old, 0o644)
    assert len(old) < 1024
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from awsenv.config import edit as configwrite
        from awsenv.errors import CacheError
        items = (("sso_session", "c"), ("sso_account_id", "111111111111"), ("sso_role_name", "A"))
        sections = [configwrite.profile_section(f"p{{i}}", items) for i in range(20)]
        edit = configwrite.plan({str(path)!r}, sections, comment="x")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
        try:
            edit.commit()
        except CacheError as exc:
            print(exc)
            sys.exit(3)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "File too large" in result.stdout
    assert path.read_bytes() == old.encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert leftovers(path.parent) == []


def test_a_cache_error_is_what_a_failed_write_raises(tmp_path):
    path = config_file(tmp_path, "[profile a]\n")
    edit = configwrite.plan(str(path), [profile_section("b", SSO_ITEMS)], comment=COMMENT)
    # Even root cannot replace a directory with a file: put one where the backup goes.
    (path.parent / (path.name + ".awsenv-backup")).mkdir()
    with pytest.raises(CacheError, match="cannot write"):
        edit.commit()
    assert path.read_bytes() == b"[profile a]\n"
    assert leftovers(path.parent) == []


# --- the dry-run diff ------------------------------------------------------------------------


def test_the_diff_shows_only_additions_and_marks_a_missing_final_newline(tmp_path):
    path = config_file(tmp_path, "[profile a]\naws_secret_access_key = s3cr3t\nregion = x")
    edit = configwrite.plan(str(path), [profile_section("b", SSO_ITEMS)], comment=COMMENT)
    diff = edit.diff()
    assert diff.startswith(f"--- {path}\n+++ {path}\n@@ -1,3 +1,9 @@\n [profile a]\n")
    assert " aws_secret_access_key = <redacted>\n" in diff
    assert "s3cr3t" not in diff
    assert "-region = x\n\\ No newline at end of file\n+region = x\n+\n" in diff
    assert diff.endswith("+sso_role_name = A\n")
    assert path.read_bytes() == b"[profile a]\naws_secret_access_key = s3cr3t\nregion = x"


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", b"\n"), (b"a", b"\n"), (b"a\nb\r\n", b"\n"), (b"a\r\nb\n", b"\r\n"), (b"a\rb", b"\r")],
)
def test_newline_of(data, expected):
    assert configwrite.newline_of(data) == expected


# --- plan_set: keys set in place (awsenv configure) ------------------------------------------


def _set(tmp_path: Path, text: bytes, sections: list[NewSection]) -> bytes:
    path = tmp_path / "config"
    path.write_bytes(text)
    edit = configwrite.plan_set(str(path), sections, comment="Added by awsenv configure")
    edit.commit()
    return path.read_bytes()


def test_plan_set_changes_only_the_lines_of_keys_whose_value_changes(tmp_path: Path) -> None:
    old = (
        b"# mine\r\n[profile dev]\r\nsso_session=corp\r\n  # a note\r\nsso_role_name :  Admin\r\n"
        b"cli_pager =\r\n\r\n[profile other]\r\nregion = eu-west-1"
    )
    section = profile_section(
        "dev", [("sso_session", "corp"), ("sso_role_name", "ReadOnly"), ("output", "json")]
    )
    new = _set(tmp_path, old, [section])
    assert new == (
        b"# mine\r\n[profile dev]\r\nsso_session=corp\r\n  # a note\r\nsso_role_name = ReadOnly\r\n"
        b"cli_pager =\r\noutput = json\r\n\r\n[profile other]\r\nregion = eu-west-1"
    )
    parsed = botocore.configloader.raw_config_parse(str(tmp_path / "config"))
    assert parsed["profile dev"] == {
        "sso_session": "corp",
        "sso_role_name": "ReadOnly",
        "cli_pager": "",
        "output": "json",
    }
    # the same again: nothing to write, not a byte
    again = configwrite.plan_set(str(tmp_path / "config"), [section], comment="x")
    assert not again.changed


def test_plan_set_replaces_a_nested_value_and_appends_missing_sections(tmp_path: Path) -> None:
    old = (
        b"[profile corp]\ns3 =\n  addressing_style = path\n  use_accelerate_endpoint = true\n"
        b"region = x\n"
    )
    new = _set(
        tmp_path,
        old,
        [
            NewSection("profile corp", [("s3", "none")]),
            profile_section("p", [("sso_session", "corp")]),
        ],
    )
    assert new == (
        b"[profile corp]\ns3 = none\nregion = x\n\n"
        b"# Added by awsenv configure\n[profile p]\nsso_session = corp\n"
    )


def test_plan_set_on_a_last_section_without_final_newline_keeps_it_so(tmp_path: Path) -> None:
    new = _set(tmp_path, b"[profile a]\nregion = x", [profile_section("a", [("output", "json")])])
    assert new == b"[profile a]\nregion = x\noutput = json"


def test_the_default_profile_is_set_in_its_own_default_section(tmp_path: Path) -> None:
    """`configure ... --profile default` updates [default] as the AWS CLI does; an appended
    [profile default] would have hidden every key of [default] from botocore."""
    old = b"[default]\nregion = eu-west-1\ncli_pager =\n"
    section = profile_section("default", [("sso_session", "corp"), ("region", "eu-west-1")])
    assert section.header == "default"
    new = _set(tmp_path, old, [section])
    assert new == b"[default]\nregion = eu-west-1\ncli_pager =\nsso_session = corp\n"
    session = botocore.session.Session(profile="default")
    session.set_config_variable("config_file", str(tmp_path / "config"))
    assert session.get_scoped_config() == {
        "region": "eu-west-1",
        "cli_pager": "",
        "sso_session": "corp",
    }
