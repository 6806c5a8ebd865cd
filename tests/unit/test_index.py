"""The config index: unchanged files are never parsed again, changed files always are.

ConfigFiles keeps the parsed files under <cache>/index/<crc of the files' stamps>/, one small
bucket per 256th of the profile names plus a "meta" file. These tests prove the hot path skips
configparser entirely, that any change to the files (content, size, mtime, inode) is seen, that
a damaged or foreign index is never trusted, that the index is private and holds no secrets, and
that a cache directory awsenv cannot write does not break anything.
"""

from __future__ import annotations

import builtins
import marshal
import os
import stat
import subprocess
import time
from pathlib import Path

import platformdirs
import pytest

from awsenv import paths
from awsenv.config import ORIGIN, SECRET_PLACEHOLDER, ConfigFiles, read
from awsenv.config import index as config_index
from awsenv.errors import ConfigError
from tests.helpers import PYTHON, minimal_env, run_awsenv, write_config

PAST = time.time() - 3600


def _age(home: Path, when: float = PAST) -> None:
    """Move both files' mtime to the past: files changed within 2 s are deliberately not indexed."""
    for name in ("config", "credentials"):
        path = home / ".aws" / name
        if path.exists():
            os.utime(path, (when, when))


def _files() -> ConfigFiles:
    return ConfigFiles(os.environ)


def _cache(home: Path) -> Path:
    return home / ".cache" / "awsenv"


def _build(home: Path) -> ConfigFiles:
    """Index the current files (parsing them once) and return a fresh, unparsed view."""
    files = _files()
    files.profile_names()
    assert Path(files._index_dir).is_dir(), "the index was not written"
    return _files()


@pytest.fixture
def no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any parse fail the test: what follows must be answered from the index."""

    def fail(*args: object) -> None:
        raise AssertionError("the files were parsed again")

    monkeypatch.setattr(read, "parse", fail)


# --- the hot path does not parse ----------------------------------------------------------------

_LOOKUP = """\
import os, sys
from awsenv.config import ConfigFiles
files = ConfigFiles(os.environ)
found = files.profile(sys.argv[1])
print(found is not None and found.get("region"), "configparser" in sys.modules)
"""


def test_unchanged_config_is_not_parsed_again_by_a_new_process(home: Path) -> None:
    write_config(home, "[profile dev]\nregion = eu-west-1\n[profile prod]\nregion = us-east-1\n")
    _age(home)
    env = minimal_env(home)
    cold = subprocess.run(
        [PYTHON, "-I", "-X", "importtime", "-m", "awsenv", "__complete", "profiles"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert cold.stdout == "dev\nprod\n"
    assert "configparser" in cold.stderr  # the first run parses (and builds the index)

    warm = subprocess.run(
        [PYTHON, "-I", "-X", "importtime", "-m", "awsenv", "__complete", "profiles"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert warm.stdout == "dev\nprod\n"
    assert "configparser" not in warm.stderr

    for name, expected in [("prod", "us-east-1 False"), ("missing", "False False")]:
        lookup = subprocess.run(
            [PYTHON, "-I", "-c", _LOOKUP, name], env=env, capture_output=True, text=True, check=True
        )
        assert lookup.stdout.strip() == expected


def test_list_builds_the_index_that_lookups_use(home: Path, no_parse: None) -> None:
    write_config(home, "[profile dev]\nregion = eu-west-1\n")
    _age(home)
    result = run_awsenv(["list"], minimal_env(home))
    assert result.returncode == 0, result.stderr
    assert _files().profile("dev") == {
        "region": "eu-west-1",
        ORIGIN: f"{home / '.aws' / 'config'}:1",
    }


def test_recently_modified_files_are_parsed_but_not_indexed(home: Path) -> None:
    write_config(home, "[profile dev]\nregion = x\n")  # mtime = now: racy
    files = _files()
    assert files.profile_names() == ["dev"]
    assert files.profile("dev") is not None
    assert not os.path.exists(files._index_dir)
    _age(home)
    assert _build(home).profile_names() == ["dev"]


# --- any change is seen -------------------------------------------------------------------------


def _region(name: str = "dev") -> object:
    found = _files().profile(name)
    return None if found is None else found.get("region")


def test_changed_content_of_the_same_size_is_seen(home: Path) -> None:
    config_path = write_config(home, "[profile dev]\nregion = aa\n")
    _age(home)
    _build(home)
    assert _region() == "aa"
    config_path.write_text("[profile dev]\nregion = bb\n")
    _age(home, PAST + 1)
    assert _region() == "bb"


def test_changed_size_with_the_same_mtime_is_seen(home: Path) -> None:
    config_path = write_config(home, "[profile dev]\nregion = aa\n")
    _age(home)
    _build(home)
    config_path.write_text("[profile dev]\nregion = longer\n")
    _age(home)  # the very same mtime as before
    assert _region() == "longer"


def test_replaced_file_with_same_size_and_mtime_is_seen(home: Path) -> None:
    config_path = write_config(home, "[profile dev]\nregion = aa\n")
    _age(home)
    _build(home)
    replacement = config_path.with_name("config.new")
    replacement.write_text("[profile dev]\nregion = bb\n")
    os.utime(replacement, (PAST, PAST))
    keep_old_inode_busy = config_path.open()  # so the new file cannot reuse the inode number
    try:
        os.replace(replacement, config_path)
        assert _region() == "bb"
    finally:
        keep_old_inode_busy.close()


def _edit_in_place_keeping_the_mtime(path: Path, old: bytes, new: bytes) -> None:
    """Rewrite bytes of ``path`` in place (same inode, same size), then put the mtime back.

    What ``cp -p``, ``touch -r``, ``rsync --inplace -t`` and tar leave: device, inode, size and
    mtime as before; only the ctime (which ``utime`` cannot set) tells the change apart.
    """
    before = os.stat(path)
    data = path.read_bytes()
    assert len(old) == len(new)
    assert data.count(old) == 1
    with path.open("r+b") as handle:
        handle.seek(data.index(old))
        handle.write(new)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_dev,
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def test_a_same_length_edit_with_the_mtime_put_back_is_seen_by_use(home: Path) -> None:
    """Finding 16.2: the index is keyed on the ctime too (git does), so the new value is used."""
    config_path = write_config(home, "[profile dev]\nregion = eu-west-1\n")
    _age(home)
    env = minimal_env(home)
    first = run_awsenv(["use", "dev"], env | {"AWSENV_SHELL": "bash"})
    assert first.returncode == 0, first.stderr
    assert "eu-west-1" in first.stdout
    assert os.listdir(_cache(home) / "index"), "the first use did not index the files"
    _edit_in_place_keeping_the_mtime(config_path, b"eu-west-1", b"us-east-2")
    second = run_awsenv(["use", "dev"], env | {"AWSENV_SHELL": "bash"})
    assert second.returncode == 0, second.stderr
    assert "us-east-2" in second.stdout, second.stdout
    assert "eu-west-1" not in second.stdout


def test_a_same_length_credentials_edit_with_the_mtime_put_back_is_seen(home: Path) -> None:
    write_config(home, "[profile dev]\nregion = aa\n", credentials="[dev]\nregion = cc\n")
    _age(home)
    _build(home)
    assert _region() == "cc"
    _edit_in_place_keeping_the_mtime(home / ".aws" / "credentials", b"cc", b"dd")
    assert _region() == "dd"


def test_touching_only_the_mtime_makes_a_new_index(home: Path) -> None:
    write_config(home, "[profile dev]\nregion = aa\n")
    _age(home)
    old = _build(home)._index_dir
    _age(home, PAST + 5)
    files = _files()
    assert files._index_dir != old
    assert files.profile("dev") is not None
    assert os.path.isdir(files._index_dir)
    assert not os.path.exists(old), "the stale index was not removed"


def test_credentials_file_change_is_seen(home: Path) -> None:
    write_config(home, "[profile dev]\nregion = aa\n", credentials="[dev]\nregion = cc\n")
    _age(home)
    _build(home)
    assert _region() == "cc"
    (home / ".aws" / "credentials").unlink()
    assert _region() == "aa"
    (home / ".aws" / "credentials").write_text("[new]\nregion = n\n")
    _age(home)
    assert _files().profile_names() == ["dev", "new"]


def test_a_file_that_becomes_malformed_is_reported_not_served_from_the_index(home: Path) -> None:
    config_path = write_config(home, "[profile dev]\nregion = aa\n")
    _age(home)
    _build(home)
    config_path.write_text("[profile dev]\nregion = aa\nregion = bb\n")
    _age(home, PAST + 1)
    with pytest.raises(ConfigError, match=r"config:3:"):
        _files().profile("dev")


# --- the index is never trusted blindly ---------------------------------------------------------


def _bucket_path(files: ConfigFiles, name: str) -> Path:
    return Path(files._index_dir) / f"b{config_index._bucket(name)}"


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "foreign_key", "wrong_shape", "deleted"],
)
def test_damaged_bucket_is_not_trusted(home: Path, damage: str) -> None:
    write_config(home, "[profile dev]\nregion = real\n[profile other]\nregion = o\n")
    _age(home)
    files = _build(home)
    bucket = _bucket_path(files, "dev")
    good = bucket.read_bytes()
    forged: dict[str, dict[str, str]] = {"dev": {"region": "forged"}, "ghost": {"region": "g"}}
    if damage == "garbage":
        bucket.write_bytes(b"\x00\xff not marshal")
    elif damage == "truncated":
        bucket.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        bucket.write_bytes(b"")
    elif damage == "foreign_key":  # a crc collision: another set of files, same directory name
        bucket.write_bytes(marshal.dumps(("another key", forged)))
    elif damage == "wrong_shape":
        bucket.write_bytes(marshal.dumps((files._key, ["not", "a", "dict"])))
    else:
        bucket.unlink()
    assert _region("dev") == "real"
    assert _files().profile("ghost") is None
    assert _region("other") == "o"


def test_foreign_index_directory_is_replaced(home: Path) -> None:
    write_config(home, "[profile dev]\nregion = real\n")
    _age(home)
    files = _files()
    index = Path(files._index_dir)
    index.mkdir(parents=True)
    forged: tuple[str, tuple[list[str], dict[str, str], dict[str, str]]] = (
        "stamps of other files",
        (["ghost"], {}, {}),
    )
    (index / "meta").write_bytes(marshal.dumps(forged))
    (index / f"b{config_index._bucket('dev')}").write_bytes(
        marshal.dumps(("stamps of other files", {"dev": {"region": "forged"}}))
    )
    assert files.profile_names() == ["dev"]
    assert _region() == "real"
    assert _files().profile("ghost") is None
    # the colliding directory was replaced by a real index, so the next call does not parse
    assert marshal.loads((index / "meta").read_bytes())[0] == files._key


def test_index_for_another_python_or_format_is_not_used(home: Path) -> None:
    write_config(home, "[profile dev]\nregion = real\n")
    _age(home)
    files = _build(home)
    assert repr(config_index._INDEX_FORMAT) in files._key
    assert repr(tuple(__import__("sys").version_info[:2])) in files._key


# --- privacy ------------------------------------------------------------------------------------

CANARY_SECRET = "CANARY-SECRET-7f3a9c"
CANARY_TOKEN = "CANARY-TOKEN-51e2b8"
CANARY_SECURITY = "CANARY-SECURITY-0d44"
CANARY_DEFAULT = "CANARY-DEFAULT-c0ffee"


def _plant_canaries(home: Path) -> None:
    write_config(
        home,
        f"[DEFAULT]\naws_session_token = {CANARY_DEFAULT}\n"
        f"[profile cfg]\naws_access_key_id = AKIDCFG\naws_secret_access_key = {CANARY_SECRET}-c\n"
        "[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n"
        "[services local]\ns3 =\n  endpoint_url = http://localhost\n",
        credentials=(
            f"[cred]\naws_access_key_id = AKIDCRED\naws_secret_access_key = {CANARY_SECRET}\n"
            f"aws_session_token = {CANARY_TOKEN}\n"
            f"[old]\naws_access_key_id = AKIDOLD\naws_secret_access_key = S\n"
            f"aws_security_token = {CANARY_SECURITY}\n"
            f"[cfg]\naws_session_token = {CANARY_TOKEN}-c\n"
        ),
    )
    _age(home)


def test_index_holds_no_secret_values(home: Path) -> None:
    _plant_canaries(home)
    files = _build(home)
    files.profile_names()
    for name in files.profile_names():
        files.profile(name)
    run_awsenv(["list"], minimal_env(home))
    written = [p for p in (home / ".cache").rglob("*") if p.is_file()]
    assert written, "nothing was indexed"
    for path in written:
        data = path.read_bytes()
        for canary in ("CANARY", CANARY_SECRET, CANARY_TOKEN, CANARY_SECURITY, CANARY_DEFAULT):
            assert canary.encode() not in data, f"{canary} leaked into {path}"
            assert canary.encode("utf-16-le") not in data


def test_secret_values_are_still_available_on_request(home: Path) -> None:
    _plant_canaries(home)
    files = _build(home)
    redacted = files.profile("cred")
    assert redacted is not None
    assert redacted["aws_secret_access_key"] == SECRET_PLACEHOLDER
    assert redacted["aws_session_token"] == SECRET_PLACEHOLDER
    assert redacted["aws_access_key_id"] == "AKIDCRED"
    secret = files.secret_profile("cred")
    assert secret is not None
    assert secret["aws_secret_access_key"] == CANARY_SECRET
    assert secret["aws_session_token"] == CANARY_TOKEN
    assert _files().secret_profile("old")["aws_security_token"] == CANARY_SECURITY  # type: ignore[index]
    merged = _files().secret_profile("cfg")
    assert merged is not None
    assert merged["aws_secret_access_key"] == f"{CANARY_SECRET}-c"
    assert merged["aws_session_token"] == f"{CANARY_TOKEN}-c"


def test_index_is_private_even_with_umask_000(home: Path) -> None:
    write_config(home, "".join(f"[profile p{i}]\nregion = r\n" for i in range(40)))
    _age(home)
    old_umask = os.umask(0)
    try:
        _build(home)
    finally:
        os.umask(old_umask)
    cache = home / ".cache"
    entries = [cache, *cache.rglob("*")]
    assert any(p.is_file() for p in entries)
    for path in entries:
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = 0o700 if path.is_dir() else 0o600
        assert mode == expected, f"{path} is {mode:o}"


def test_existing_loose_cache_directory_is_tightened(home: Path) -> None:
    write_config(home, "[profile dev]\n")
    _age(home)
    index = _cache(home) / "index"
    index.mkdir(parents=True)
    index.chmod(0o755)
    _build(home)
    assert stat.S_IMODE(index.stat().st_mode) == 0o700


# --- an unusable cache never breaks awsenv ------------------------------------------------------


# A read-only directory stops only non-root users; a symlink loop (ELOOP) stops root as well.
OBSTACLES = ["cache_home_is_a_file", "index_is_a_file", "cache_dir_is_a_symlink_loop"] + (
    ["read_only"] if os.geteuid() != 0 else []
)


@pytest.mark.parametrize("obstacle", OBSTACLES)
def test_unwritable_cache_does_not_break_anything(
    home: Path, monkeypatch: pytest.MonkeyPatch, obstacle: str
) -> None:
    write_config(home, "[profile dev]\nregion = eu-west-1\n[profile b]\n")
    _age(home)
    if obstacle == "cache_home_is_a_file":
        (home / "cachefile").write_text("x")
        monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cachefile"))
    elif obstacle == "index_is_a_file":
        _cache(home).mkdir(parents=True)
        (_cache(home) / "index").write_text("x")
    elif obstacle == "cache_dir_is_a_symlink_loop":
        _cache(home).parent.mkdir(parents=True)
        _cache(home).symlink_to(_cache(home))
    else:
        _cache(home).mkdir(parents=True)
        _cache(home).chmod(0o500)
    for _ in range(2):
        files = _files()
        assert files.profile_names() == ["dev", "b"]
        assert files.profile("dev") == {
            "region": "eu-west-1",
            ORIGIN: f"{home / '.aws' / 'config'}:1",
        }
        assert files.profile("nope") is None
    env = minimal_env(home, XDG_CACHE_HOME=os.environ["XDG_CACHE_HOME"])
    result = run_awsenv(["__complete", "profiles"], env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "dev\nb\n", "")


# --- many profiles ------------------------------------------------------------------------------


def test_two_thousand_profiles_lookup_reads_one_bucket(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"team-{i:04d}-{'x' * (i % 7)}" for i in range(2000)]
    names.reverse()  # file order, not sorted order, must be kept
    write_config(home, "".join(f"[profile {n}]\nregion = r{i}\n" for i, n in enumerate(names)))
    _age(home)
    _build(home)

    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(config_index, "open", counting_open, raising=False)
    monkeypatch.setattr(read, "parse", lambda *a: pytest.fail("parsed again"))

    found = _files().profile(names[1234])
    assert found is not None
    assert found["region"] == "r1234"
    assert [os.path.basename(p) for p in opened] == [f"b{config_index._bucket(names[1234])}"]

    opened.clear()
    assert _files().profile("team-9999") is None
    assert len(opened) <= 2  # its bucket, and "meta" only if that bucket is empty

    assert _files().profile_names() == names
    index = Path(_files()._index_dir)
    biggest_bucket = max(p.stat().st_size for p in index.glob("b*"))
    assert biggest_bucket * 20 < sum(p.stat().st_size for p in index.glob("b*"))


def test_every_profile_is_served_the_same_from_the_index_and_the_parse(home: Path) -> None:
    write_config(
        home,
        "[DEFAULT]\noutput = json\n[default]\nregion = a\n[profile é\u2019x]\nregion = u\n"
        '[profile "my dev"]\ns3 =\n  addressing_style = path\n'
        "[sso-session corp]\nsso_region = eu-west-1\n[services s]\nsts =\n  endpoint_url = e\n",
        credentials="[profile dev]\naws_access_key_id = A\naws_secret_access_key = S\n",
    )
    _age(home)
    cold = _files()
    cold_view = {n: cold.profile(n) for n in cold.profile_names()}
    cold_sessions = {n: cold.sso_session(n) for n in cold.sso_session_names()}
    assert cold._parsed is not None
    warm = _files()
    assert {n: warm.profile(n) for n in warm.profile_names()} == cold_view
    assert {n: warm.sso_session(n) for n in warm.sso_session_names()} == cold_sessions
    assert warm._parsed is None
    assert list(cold_view) == ["default", "é\u2019x", "my dev", "profile dev"]
    assert dict(warm.iter_profiles()) == cold_view


# --- paths.cache_dir agrees with platformdirs ---------------------------------------------------


@pytest.mark.parametrize(
    ("xdg", "home_value"),
    [
        (None, "HOME"),
        ("ABS", "HOME"),
        ("ABS/", "HOME"),
        ("   ", "HOME"),
        ("", "HOME"),
        ("relative/cache", "HOME"),
        (None, "HOME/"),
        (None, ""),
        (None, "relative-home"),
        (None, None),
    ],
)
def test_cache_dir_matches_platformdirs(
    home: Path, monkeypatch: pytest.MonkeyPatch, xdg: str | None, home_value: str | None
) -> None:
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME")
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg.replace("ABS", str(home / "xdg")))
    if home_value is None:
        monkeypatch.delenv("HOME")
    else:
        monkeypatch.setenv("HOME", home_value.replace("HOME", str(home)))
    expected = platformdirs.user_cache_dir("awsenv", appauthor=False)
    assert paths.cache_dir(os.environ) == expected
    assert paths.cache_dir(dict(os.environ)) == expected


def test_ensure_private_dir_creates_missing_parents_0700(home: Path) -> None:
    home.chmod(0o751)
    old_umask = os.umask(0)
    try:
        target = home / "a" / "b" / "c"
        assert paths.ensure_private_dir(str(target)) == str(target)
    finally:
        os.umask(old_umask)
    for path in (home / "a", home / "a" / "b", target):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.stat().st_mode) == 0o751  # existing parents are left alone


def test_an_index_file_owned_by_another_user_is_not_trusted(home):
    path = write_config(home, "[profile a]\nregion = eu-west-1\n")
    past = os.stat(path).st_mtime - 60
    os.utime(path, (past, past))
    environ = dict(os.environ)
    assert ConfigFiles(environ).profile("a") is not None  # builds the index
    index = ConfigFiles(environ)._index_dir
    planted = 0
    for entry in os.listdir(index):
        file = os.path.join(index, entry)
        with open(file, "rb") as handle:
            key, payload = marshal.loads(handle.read())
        if entry.startswith("b") and "a" in payload:
            payload["a"] = {"region": "planted"}
            with open(file, "wb") as handle:
                handle.write(marshal.dumps((key, payload)))
            os.chown(file, 65534, 65534)
            planted += 1
    assert planted == 1
    found = ConfigFiles(environ).profile("a")
    assert found is not None
    assert found.get("region") == "eu-west-1"  # parsed again; the planted bucket is ignored
