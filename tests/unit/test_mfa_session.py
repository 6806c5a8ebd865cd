"""MFA sessions without the network: their length, where it is set, the cache file, --duration."""

from __future__ import annotations

import os
import stat
import time

import pytest

from awsenv import profiles
from awsenv.config import ConfigFiles
from awsenv.errors import InvalidProfile, UsageError
from awsenv.exports import Keys
from awsenv.providers import adhoc, chain, entry, session
from tests.helpers import minimal_env, write_config

SERIAL = "arn:aws:iam::111111111111:mfa/alice"
CONFIG = f"""\
[profile base]
region = us-east-1

[profile A]
role_arn = arn:aws:iam::111111111111:role/a
source_profile = base
mfa_serial = {SERIAL}

[profile twice]
role_arn = arn:aws:iam::111111111111:role/t
source_profile = A
mfa_serial = arn:aws:iam::111111111111:mfa/bob

[profile no-mfa]
role_arn = arn:aws:iam::111111111111:role/n
source_profile = base
"""
CREDENTIALS = "[base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cret\n"


@pytest.fixture
def env(home):
    write_config(home, CONFIG, credentials=CREDENTIALS)
    return minimal_env(home)


def test_the_default_length_is_twelve_hours(env):
    assert session.duration_of(ConfigFiles(env), "base").seconds == 43200


def test_the_length_set_next_to_the_keys_says_where(env, home):
    path = home / ".aws" / "credentials"
    path.write_text(CREDENTIALS + "awsenv_mfa_session_duration = 3600\n")
    found = session.duration_of(ConfigFiles(env), "base")
    assert found.seconds == 3600
    assert found.origin == f"{path}:4"


@pytest.mark.parametrize("value", ["899", "129601", "8h", "-1"])
def test_a_length_out_of_range_names_the_file_and_line(env, home, value):
    config = home / ".aws" / "config"
    config.write_text(
        CONFIG.replace("region = us-east-1", f"awsenv_mfa_session_duration = {value}")
    )
    with pytest.raises(InvalidProfile) as raised:
        session.duration_of(ConfigFiles(env), "base")
    assert f"({config}:2)" in raised.value.message
    assert "\n" not in raised.value.message


@pytest.mark.parametrize("value", ["900", "129600"])
def test_the_bounds_are_accepted(env, home, value):
    config = home / ".aws" / "config"
    config.write_text(
        CONFIG.replace("region = us-east-1", f"awsenv_mfa_session_duration = {value}")
    )
    assert session.duration_of(ConfigFiles(env), "base").seconds == int(value)


def _save(env, root, serial, expiration):
    path = session.cache_path(env, root, serial)
    keys = Keys("ASIAEXAMPLE", "secret", "token", expiration)
    from awsenv import cache

    cache.write_json(path, entry.entry(keys, session.PROVIDER_TYPE))
    return path


def test_cached_reads_the_session_and_its_end_without_network(env):
    end = int(time.time()) + 3600
    path = _save(env, "base", SERIAL, end)
    keys, found = session.cached(env, "base", SERIAL)
    assert keys is not None
    assert found == end
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    # another device, or no device, is another session
    assert session.cached(env, "base", None) == (None, None)
    assert session.cached(env, "base", "arn:aws:iam::111111111111:mfa/bob") == (None, None)


def test_an_mfa_session_serves_until_a_minute_before_its_end(env):
    end = int(time.time()) + 600  # inside the 15-minute window keys handed out are renewed in
    _save(env, "base", SERIAL, end)
    assert session.cached(env, "base", SERIAL)[0] is not None
    _save(env, "base", None, end)
    assert session.cached(env, "base", None) == (None, end)  # a plain session: renewed
    _save(env, "base", SERIAL, int(time.time()) + 30)
    keys, found = session.cached(env, "base", SERIAL)
    assert keys is None
    assert found is not None


def test_forget_removes_one_roots_sessions_or_all(env):
    end = int(time.time()) + 3600
    a = _save(env, "base", SERIAL, end)
    b = _save(env, "base", None, end)
    other = _save(env, "other", SERIAL, end)
    assert sorted(session.forget(env, "base")) == sorted([a, b])
    assert os.path.exists(other)
    assert session.forget(env) == [other]
    assert session.forget(env) == []


def test_without_a_code_or_terminal_the_session_fails_at_once(env, tmp_path, monkeypatch):
    from awsenv.providers import Context, MfaRequired, mfa

    ask = mfa.tty_prompt  # no terminal, even when the tests run in one
    monkeypatch.setattr(mfa, "tty_prompt", lambda serial: ask(serial, path=str(tmp_path / "no")))
    started = time.monotonic()
    with pytest.raises(MfaRequired) as raised:
        session.session_keys(ConfigFiles(env), "base", Context(env), serial=SERIAL)
    assert time.monotonic() - started < 10
    assert SERIAL in raised.value.message


def test_which_chains_the_session_serves(env):
    files = ConfigFiles(env)
    assert chain.mfa_serial(profiles.resolve(files, "A")) == SERIAL
    assert chain.mfa_serial(profiles.resolve(files, "no-mfa")) is None
    # two devices in one chain: botocore asks for each hop's code, as before
    assert chain.mfa_serial(profiles.resolve(files, "twice")) is None


def test_duration_bounds_and_role_section():
    assert adhoc.check_duration("900") == 900
    assert adhoc.check_duration(" 43200 ") == 43200
    for bad in ("899", "43201", "1h", ""):
        with pytest.raises(UsageError):
            adhoc.check_duration(bad)


def test_duration_changes_the_cache_key_as_botocore_would(env):
    from awsenv.providers import Context, rolecache

    resolved = profiles.resolve(ConfigFiles(env), "A")
    plain = chain.role_section(resolved, Context(env))
    longer = chain.role_section(resolved, Context(env, duration=7200))
    assert longer["duration_seconds"] == "7200"
    assert rolecache.assume_role_args(longer)["DurationSeconds"] == 7200
    assert rolecache.assume_role_cache_key(plain) != rolecache.assume_role_cache_key(longer)
    # only the profile's own role: its source's hop keeps its section
    assert chain.role_section(resolved, Context(env, duration=7200), 1) is resolved.sections[1]


def test_a_torn_session_file_is_found_by_doctor_and_explain_still_names_the_device(env):
    """A half-written MFA session file: doctor names it (torn-cache-file), and explain's step
    still says which device's code it asks for (it used to say 'the code of not a complete
    JSON object')."""
    from awsenv import diagnose
    from awsenv.config.read import load_files

    path = session.cache_path(env, "base", SERIAL)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"Credentials": {"AccessKeyId"')
    os.chmod(path, 0o600)
    found = [p for p in diagnose.check(env, now=time.time()).problems if p.path == path]
    assert [p.id for p in found] == ["torn-cache-file"]
    explained = diagnose.explain(load_files(env), env, "A", now=time.time())
    (step,) = [s for s in explained.steps if s.action == "mfa-prompt"]
    assert f"asks for the code of {SERIAL} on the terminal" in step.reason
