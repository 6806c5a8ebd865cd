"""`use --write-credentials`: one section of ~/.aws/credentials replaced, every other byte kept."""

from __future__ import annotations

import random
import signal
import subprocess
import time

import pytest

from awsenv.config import edit as configwrite
from awsenv.errors import ConfigError
from tests.helpers import PYTHON

ORIGINAL = (
    "# my credentials, hand-kept\r\n"
    "[default]\r\n"
    "aws_access_key_id    =   AKIADEFAULT\r\n"
    "aws_secret_access_key=default-secret\r\n"
    "\r\n"
    "; the okta profile below is refreshed by awsenv\r\n"
    "[okta-prod]\r\n"
    "aws_access_key_id = ASIAOLD\r\n"
    "aws_secret_access_key = old\r\n"
    "aws_session_token = old-token\r\n"
    "\r\n"
    "# prod is static\r\n"
    "[prod]\r\n"
    "aws_access_key_id = AKIAPROD\r\n"
    "aws_secret_access_key = prod-secret"
)
NEW = configwrite.NewSection(
    "okta-prod",
    [
        ("aws_access_key_id", "ASIANEW"),
        ("aws_secret_access_key", "new-secret"),
        ("aws_session_token", "new-token"),
    ],
)


def write(path, text):
    path.write_bytes(text.encode())
    path.chmod(0o640)


def test_replacing_a_section_keeps_every_other_byte(tmp_path):
    path = tmp_path / "credentials"
    write(path, ORIGINAL)
    edit = configwrite.plan_replace(str(path), NEW, comment="test")
    assert edit.commit()
    new = path.read_bytes().decode()
    before, _, after = ORIGINAL.partition("[okta-prod]")
    assert new.startswith(before)
    assert new.endswith("\r\n" + after[after.index("\r\n# prod is static") + 2 :])
    assert (
        "[okta-prod]\r\naws_access_key_id = ASIANEW\r\naws_secret_access_key = new-secret\r\n"
        "aws_session_token = new-token\r\n" in new
    )
    assert "ASIAOLD" not in new
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert (tmp_path / "credentials.awsenv-backup").read_bytes() == ORIGINAL.encode()


def test_a_missing_section_is_appended_and_the_rest_kept(tmp_path):
    path = tmp_path / "credentials"
    text = ORIGINAL.replace("[okta-prod]", "[other]")
    write(path, text)
    assert configwrite.plan_replace(str(path), NEW, comment="added by a test").commit()
    new = path.read_bytes().decode()
    assert new.startswith(text)
    assert new.endswith(
        "[okta-prod]\r\naws_access_key_id = ASIANEW\r\n"
        "aws_secret_access_key = new-secret\r\naws_session_token = new-token\r\n"
    )


def test_a_new_credentials_file_is_0600(tmp_path):
    path = tmp_path / "credentials"
    assert configwrite.plan_replace(str(path), NEW, comment="c").commit()
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_broken_credentials_file_is_not_touched(tmp_path):
    path = tmp_path / "credentials"
    write(path, "[a]\nx = 1\nx = 2\n")
    with pytest.raises(ConfigError):
        configwrite.plan_replace(str(path), NEW, comment="c")
    assert path.read_text() == "[a]\nx = 1\nx = 2\n"


WRITER = """
import sys
from awsenv.config import edit as configwrite
section = configwrite.NewSection("okta-prod", [("aws_access_key_id", sys.argv[2]),
                                               ("aws_secret_access_key", "s" * 200000)])
configwrite.plan_replace(sys.argv[1], section, comment="c").commit()
"""


def test_a_writer_killed_at_any_moment_leaves_the_old_or_the_new_file(tmp_path):
    # GIVEN a large credentials file, WHEN writers are SIGKILLed at random moments,
    # THEN the file is always either exactly the old or exactly a complete new version.
    path = tmp_path / "credentials"
    filler = "".join(
        f"[p{i}]\naws_access_key_id = AKIA{i:08d}\naws_secret_access_key = x\n" for i in range(3000)
    )
    write(path, filler)
    rng = random.Random(4)
    outcomes = set()
    for attempt in range(25):
        before = path.read_bytes()
        proc = subprocess.Popen([PYTHON, "-c", WRITER, str(path), f"ASIA{attempt:06d}"])
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = path.read_bytes()
        if after == before:
            outcomes.add("old")
        else:
            text = after.decode()
            assert text.startswith(filler)
            assert f"aws_access_key_id = ASIA{attempt:06d}\n" in text
            assert text.endswith("s" * 200000 + "\n")
            outcomes.add("new")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # a killed writer may leave its temp file behind, never in place of the credentials file
    assert all(name.startswith(".") for name in leftovers)
    assert outcomes  # the loop ran


# --- where the section is, as botocore reads the file (the one line scanner, ini_lines) ---------
# Each of these used to be refused ("the result would not parse"): the section was looked for
# with a rule of its own that did not match configparser's.


def _replace(tmp_path, data: bytes) -> bytes:
    path = tmp_path / "credentials"
    path.write_bytes(data)
    section = configwrite.NewSection("okta-prod", [("aws_access_key_id", "ASIANEW")])
    assert configwrite.plan_replace(str(path), section, comment="c").commit()
    return path.read_bytes()


def test_a_file_with_cr_line_ends_has_its_section_replaced_in_place(tmp_path):
    old = b"[default]\rx = 1\r[okta-prod]\raws_access_key_id = OLD\r[prod]\rx = 1\r"
    assert _replace(tmp_path, old) == old.replace(b"OLD", b"ASIANEW")


def test_a_value_line_that_looks_like_the_header_is_not_the_section(tmp_path):
    old = b"[default]\nnote = see\n  [okta-prod]\n[okta-prod]\naws_access_key_id = OLD\n"
    assert _replace(tmp_path, old) == old.replace(b"OLD", b"ASIANEW")


def test_a_header_with_text_after_its_bracket_is_the_section(tmp_path):
    # configparser reads "[okta-prod] old" as [okta-prod]
    old = b"[default]\nx = 1\n[okta-prod] old\naws_access_key_id = OLD\n[prod]\nx = 1\n"
    new = old.replace(b"[okta-prod] old", b"[okta-prod]").replace(b"OLD", b"ASIANEW")
    assert _replace(tmp_path, old) == new


# --- another program appends while awsenv replaces the file (finding 16.6) ---------------------


def _appending_during_replace(monkeypatch, path, appended: list[bytes]):
    """Append each of ``appended`` to ``path`` just before awsenv's next rename over it.

    As a program that appends without awsenv's lock (a shell's ``>>``, another tool) would,
    in the window between awsenv reading the file under its lock and replacing it.
    """
    from awsenv import cache

    real = cache.write_bytes
    pending = list(appended)

    def write_bytes(target, data, **kwargs):
        if pending and target == str(path):
            with open(target, "ab") as handle:
                handle.write(pending.pop(0))
        return real(target, data, **kwargs)

    monkeypatch.setattr(cache, "write_bytes", write_bytes)
    return pending


def _sections(path) -> dict:
    import botocore.configloader

    return botocore.configloader.raw_config_parse(str(path))


def test_a_section_appended_while_the_file_is_replaced_is_kept_and_the_edit_redone(
    tmp_path, monkeypatch
):
    path = tmp_path / "credentials"
    write(path, ORIGINAL)
    first = b"\r\n[appended-1]\r\naws_access_key_id = AKIAONE\r\n"
    second = b"[appended-2]\r\naws_access_key_id = AKIATWO\r\n"
    left = _appending_during_replace(monkeypatch, path, [first, second])
    assert configwrite.plan_replace(str(path), NEW, comment="c").commit()
    assert not left  # both appends happened, each in the window
    sections = _sections(path)
    assert sections["appended-1"] == {"aws_access_key_id": "AKIAONE"}
    assert sections["appended-2"] == {"aws_access_key_id": "AKIATWO"}
    assert sections["okta-prod"]["aws_access_key_id"] == "ASIANEW"
    assert sections["prod"]["aws_secret_access_key"] == "prod-secret"
    text = path.read_bytes()
    assert text.endswith(first + second)
    assert (tmp_path / "credentials.awsenv-backup").read_bytes() == ORIGINAL.encode() + first + (
        second
    )


def test_appended_bytes_the_edit_cannot_take_are_kept_and_the_edit_refused(tmp_path, monkeypatch):
    path = tmp_path / "credentials"
    write(path, ORIGINAL)
    clash = b"\r\n[okta-prod]\r\naws_access_key_id = ASIATHEIRS\r\n"  # a duplicate section
    _appending_during_replace(monkeypatch, path, [clash])
    with pytest.raises(configwrite.ConfigWriteError, match="appended"):
        configwrite.plan_replace(str(path), NEW, comment="c").commit()
    assert path.read_bytes() == ORIGINAL.encode() + clash  # their bytes, not awsenv's edit


def test_a_file_rewritten_in_place_while_it_is_replaced_keeps_the_other_programs_version(
    tmp_path, monkeypatch
):
    from awsenv import cache

    path = tmp_path / "credentials"
    write(path, ORIGINAL)
    theirs = b"[default]\naws_access_key_id = AKIATHEIRS\naws_secret_access_key = t\n"
    real = cache.write_bytes
    done = []

    def write_bytes(target, data, **kwargs):
        if not done and target == str(path):
            done.append(True)
            with open(target, "r+b") as handle:  # as `aws configure set` rewrites it
                handle.truncate(0)
                handle.write(theirs)
        return real(target, data, **kwargs)

    monkeypatch.setattr(cache, "write_bytes", write_bytes)
    with pytest.raises(configwrite.ConfigWriteError, match="rewrote"):
        configwrite.plan_replace(str(path), NEW, comment="c").commit()
    assert path.read_bytes() == theirs
