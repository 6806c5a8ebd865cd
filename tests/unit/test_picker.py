"""The picker's ranking and the history of used profiles, without a terminal."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from awsenv import history, picker
from tests.helpers import minimal_env


def row(name, account=None, role=None, region=None, kind="static", login=None, expires=None):
    return {
        "name": name,
        "kind": kind,
        "account": account,
        "role": role,
        "region": region,
        "login": login,
        "login_expires": expires,
    }


ROWS = [
    row("dev", region="eu-west-1"),
    row(
        "prod-admin",
        "111111111111",
        "Admin",
        "us-east-1",
        kind="sso",
        login="valid",
        expires="4600",
    ),
    row("staging", "222222222222", "Deployer", kind="assume-role"),
    row("sandbox", "333333333333", "ReadOnly", "eu-west-1", kind="sso", login="none"),
]


def names(entries):
    return [e.name for e in entries]


def test_no_query_lists_recent_profiles_first_then_config_order():
    items = picker.entries(ROWS, ["sandbox", "dev", "gone"], now=1000)
    assert names(picker.rank(items, "")) == ["sandbox", "dev", "prod-admin", "staging"]


def test_a_substring_beats_a_fuzzy_match_even_a_recent_one():
    items = picker.entries(ROWS, ["sandbox"], now=1000)
    # both hold s..n only as scattered letters: the recent one first
    assert names(picker.rank(items, "sn")) == ["sandbox", "staging"]
    # "tag" is in staging's name; recent sandbox holds no t..a..g
    assert names(picker.rank(items, "tag")) == ["staging"]
    # "sdb": only sandbox holds s..d..b (scattered); the recent staging does not match at all
    assert names(picker.rank(picker.entries(ROWS, ["staging"], now=1000), "sdb")) == ["sandbox"]


def test_a_substring_in_the_name_beats_one_in_the_role_which_beats_fuzzy():
    items = picker.entries(ROWS, ["prod-admin", "staging"], now=1000)
    # "de": dev's name; staging's role (Deployer); prod-admin and sandbox only as d..e, the
    # recent one first, yet after both substrings
    assert names(picker.rank(items, "de")) == ["dev", "staging", "prod-admin", "sandbox"]


def test_account_role_and_region_are_searched():
    items = picker.entries(ROWS, [], now=1000)
    assert names(picker.rank(items, "2222")) == ["staging"]
    assert names(picker.rank(items, "readonly")) == ["sandbox"]
    assert names(picker.rank(items, "us-east")) == ["prod-admin"]
    assert names(picker.rank(items, "admin 1111")) == ["prod-admin"]
    assert names(picker.rank(items, "dplyr")) == ["staging"]
    assert picker.rank(items, "zzz") == []


def test_each_row_says_what_logging_in_needs_from_the_cache_alone():
    items = {e.name: e.line for e in picker.entries(ROWS, [], now=1000)}
    assert "logged in, 1h" in items["prod-admin"]
    assert "needs a browser" in items["sandbox"]
    assert "Deployer" in items["staging"]
    assert "222222222222" in items["staging"]


def test_history_puts_the_last_used_first_in_a_private_file(home):
    env = minimal_env(home)
    assert history.recent(env) == []
    history.record(env, "a")
    history.record(env, "b")
    history.record(env, "a")
    assert history.recent(env) == ["a", "b"]
    assert stat.S_IMODE(os.stat(history.path(env)).st_mode) == 0o600


def test_a_use_appends_one_line_and_a_long_history_is_rewritten_once_each(home, monkeypatch):
    env = minimal_env(home)
    history.record(env, "a")
    history.record(env, "a")
    assert Path(history.path(env)).read_text() == "a\na\n"  # appended: no temp file, no fsync
    monkeypatch.setattr(history, "COMPACT_BYTES", 4)
    history.record(env, "b")
    assert Path(history.path(env)).read_text() == "a\nb\n"  # over the size: rewritten
    assert stat.S_IMODE(os.stat(history.path(env)).st_mode) == 0o600


def test_history_keeps_a_bounded_number_of_names(home):
    env = minimal_env(home)
    for i in range(history.KEEP + 10):
        history.record(env, f"p{i}")
    assert len(history.recent(env)) == history.KEEP
    assert history.recent(env)[0] == f"p{history.KEEP + 9}"
