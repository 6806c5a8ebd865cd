"""``awsenv sso sync`` end to end: the stand-in's accounts and roles become config profiles.

Runs the command line ``awsenv sso sync ...``; until ``sso`` is in ``clispec`` the same arguments
go through a small shim that calls ``awsenv.commands.sso_sync.run`` as ``cli.main`` would.
"""

from __future__ import annotations

import os
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

from awsenv import clispec
from awsenv.demo.idc import organisation
from tests.helpers import PYTHON, run_awsenv
from tests.terminal import run_pty

pytestmark = pytest.mark.e2e

SESSION_ONLY = """\
# my AWS setup
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region    =   us-east-1
; keep this comment

[profile static]
region = eu-west-1
aws_access_key_id = AKIAEXAMPLE
aws_secret_access_key = not-a-secret
"""

SHIM = """
import os, sys
from awsenv import cli, clispec, ui
from awsenv.commands import sso_sync
from awsenv.errors import AwsenvError
argv = sys.argv[1:]
values = {"action": argv[0], "sso_session": None, "dry_run": False, "prefix": None}
rest = argv[1:]
while rest:
    flag = rest.pop(0)
    if flag == "--dry-run":
        values["dry_run"] = True
    else:
        values[flag[2:].replace("-", "_")] = rest.pop(0)
try:
    out = sso_sync.run(clispec.Args("sso", values), os.environ)
except AwsenvError as exc:
    ui.error(exc.message, exc.hint)
    sys.exit(exc.exit_code)
cli.emit(out)
"""


def sync(world, *args: str, session: str = "corp"):
    argv = ["sync", "--sso-session", session, *args]
    if "sso" in clispec.BY_NAME:
        return run_awsenv(["sso", *argv], world.env)
    return subprocess.run(  # not wired into the CLI yet: the same call through the shim
        [PYTHON, "-I", "-c", SHIM, *argv],
        env=world.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def config_path(world) -> Path:
    return Path(world.home) / ".aws" / "config"


def write(world, text: str, mode: int = 0o644) -> bytes:
    path = config_path(world)
    path.write_text(textwrap.dedent(text))
    path.chmod(mode)
    return path.read_bytes()


def botocore_profiles(world) -> dict[str, dict[str, object]]:
    import botocore.configloader

    profiles: dict[str, dict[str, object]] = botocore.configloader.load_config(
        str(config_path(world))
    )["profiles"]
    return profiles


def added_block(world, old: bytes) -> str:
    new = config_path(world).read_bytes()
    assert new.startswith(old)
    return new[len(old) :].decode()


def test_dry_run_prints_the_diff_and_writes_nothing(world):
    old = write(world, SESSION_ONLY)
    before = os.stat(config_path(world))
    result = sync(world, "--dry-run")
    assert result.returncode == 0, result.stderr
    path = str(config_path(world))
    assert result.stdout.startswith(f"--- {path}\n+++ {path}\n@@ ")
    added = [line[1:] for line in result.stdout.splitlines() if line.startswith("+")][1:]
    assert added[0] == ""
    assert added[1].startswith("# Added by awsenv sso sync (sso-session corp) on ")
    for name in ("development-admin", "development-readonly", "production-admin"):
        assert f"[profile {name}]" in added
    lines = result.stdout.splitlines()
    assert not any(line.startswith("-") and not line.startswith("---") for line in lines)
    assert "would add 3 profiles" in result.stderr
    assert "aws_secret_access_key = <redacted>" in result.stdout  # a context line
    assert "not-a-secret" not in result.stdout + result.stderr
    after = os.stat(config_path(world))
    assert config_path(world).read_bytes() == old
    assert after.st_mtime_ns == before.st_mtime_ns
    assert after.st_ino == before.st_ino
    assert not (world.home / ".aws" / "config.awsenv-backup").exists()


def test_sync_adds_every_account_role_keeps_the_file_and_use_works(world):
    old = write(world, SESSION_ONLY, 0o644)
    result = sync(world)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "3 profiles added" in result.stderr
    assert "added profile development-readonly: Development (111111111111), role ReadOnly" in (
        result.stderr
    )
    block = added_block(world, old)
    assert block.startswith("\n# Added by awsenv sso sync (sso-session corp) on ")
    assert block.split("\n", 2)[2] == textwrap.dedent(
        """\
        [profile development-admin]
        sso_session = corp
        sso_account_id = 111111111111
        sso_role_name = Admin

        [profile development-readonly]
        sso_session = corp
        sso_account_id = 111111111111
        sso_role_name = ReadOnly

        [profile production-admin]
        sso_session = corp
        sso_account_id = 222222222222
        sso_role_name = Admin
        """
    )
    assert stat.S_IMODE(os.stat(config_path(world)).st_mode) == 0o644
    backup = world.home / ".aws" / "config.awsenv-backup"
    assert backup.read_bytes() == old
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    profiles = botocore_profiles(world)
    assert profiles["production-admin"] == {
        "sso_session": "corp",
        "sso_account_id": "222222222222",
        "sso_role_name": "Admin",
    }
    assert profiles["static"]["region"] == "eu-west-1"

    used = run_awsenv(["use", "development-readonly"], {**world.env, "AWSENV_SHELL": "bash"})
    assert used.returncode == 0, used.stderr
    assert "export AWS_PROFILE=development-readonly" in used.stdout.splitlines()
    assert world.idc.authorizations == 1  # sync's login is reused


def test_a_second_run_writes_nothing(world):
    write(world, SESSION_ONLY)
    assert sync(world).returncode == 0
    backup = world.home / ".aws" / "config.awsenv-backup"
    before, backup_before = os.stat(config_path(world)), os.stat(backup)
    content = config_path(world).read_bytes()
    again = sync(world)
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert "nothing to add: all 3 account roles of sso-session corp already have profiles" in (
        again.stderr
    )
    after = os.stat(config_path(world))
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert config_path(world).read_bytes() == content
    assert os.stat(backup).st_mtime_ns == backup_before.st_mtime_ns
    dry = sync(world, "--dry-run")
    assert (dry.returncode, dry.stdout) == (0, "")


def test_roles_existing_profiles_reach_are_not_added_again(world):
    # The shared config: dev (111/Admin) and dev-ro (111/ReadOnly) use sso-session corp; the
    # legacy profile is another portal (a different start URL), so 222/Admin is still missing.
    old = config_path(world).read_bytes()
    result = sync(world)
    assert result.returncode == 0, result.stderr
    block = added_block(world, old)
    assert block.count("[profile ") == 1
    assert "[profile production-admin]" in block
    assert "111111111111" not in block
    assert "1 profile added" in result.stderr


def test_a_legacy_profile_of_the_same_portal_counts(world):
    old = write(
        world,
        SESSION_ONLY
        + """
[profile old-style]
sso_start_url = https://d-1234567890.awsapps.com/start/
sso_region = us-east-1
sso_account_id = 222222222222
sso_role_name = Admin
""",
    )
    assert sync(world).returncode == 0
    block = added_block(world, old)
    assert "222222222222" not in block
    assert block.count("[profile ") == 2


def test_a_name_already_taken_gets_the_account_id(world):
    old = write(world, SESSION_ONLY + "\n[profile production-admin]\nregion = eu-west-2\n")
    (world.home / ".aws" / "credentials").write_text(
        "[development-admin]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n"
    )
    assert sync(world).returncode == 0
    block = added_block(world, old)
    assert "[profile production-admin-222222222222]" in block
    assert "[profile development-admin-111111111111]" in block
    assert botocore_profiles(world)["production-admin"] == {"region": "eu-west-2"}


def test_prefix(world):
    old = write(world, SESSION_ONLY)
    assert sync(world, "--prefix", "corp").returncode == 0
    block = added_block(world, old)
    assert "[profile corp-development-readonly]" in block
    bad = sync(world, "--prefix", "my team")
    assert bad.returncode == 2
    assert "cannot read back" in bad.stderr


def test_pagination_of_accounts_and_roles(world):
    world.idc.accounts = {
        f"{n:012d}": (f"Team {n} (Sandbox)", ["Admin", "Dev.Ops", "ReadOnly"]) for n in range(1, 6)
    }
    old = write(world, SESSION_ONLY)
    result = sync(world)
    assert result.returncode == 0, result.stderr
    assert world.idc.calls.get("ListAccounts") == 3  # 5 accounts, 2 a page
    assert world.idc.calls.get("ListAccountRoles") == 10  # 3 roles each, 2 a page
    block = added_block(world, old)
    assert block.count("[profile ") == 15
    assert "[profile team-3-sandbox-dev-ops]" in block


# At most this many portal calls in flight at once (awsenv.sso.portal.WORKERS).
WORKERS = 8


def test_a_large_throttling_organisation_syncs_every_role_once_with_bounded_concurrency(world):
    # 200 accounts of 3 roles, 100 a page; each answer takes 20 ms, and the portal allows 100
    # calls a second (5 at once) and answers the rest 429 TooManyRequestsException, as the real
    # one does beyond its rate.
    world.idc.accounts = organisation(200)
    world.idc.page_size = 100
    world.idc.portal_latency = 0.02
    world.idc.portal_rate, world.idc.portal_burst = 100.0, 5.0
    old = write(world, SESSION_ONLY)
    result = sync(world)
    assert result.returncode == 0, result.stderr
    assert "600 profiles added" in result.stderr
    block = added_block(world, old)
    assert block.count("[profile ") == 600
    synced = [
        (section["sso_account_id"], section["sso_role_name"])
        for section in botocore_profiles(world).values()
        if section.get("sso_session") == "corp"
    ]
    expected = [(a, r) for a, (_name, roles) in world.idc.accounts.items() for r in roles]
    assert sorted(synced) == sorted(expected)  # every account role, each exactly once
    assert "[profile workload-0001-admin]" in block
    # Several calls at once, never more than the bound.
    assert 1 < world.idc.portal_peak <= WORKERS
    # The throttled calls were tried again, and only those: one answered call per account.
    throttled = world.idc.throttled("ListAccountRoles")
    assert throttled > 0
    assert world.idc.calls["ListAccountRoles"] == 200 + throttled
    assert world.idc.calls["ListAccounts"] == 2 + world.idc.throttled("ListAccounts")
    assert "listed" not in result.stderr  # stderr is not a terminal: no progress line


def test_progress_is_drawn_on_the_terminal_and_stdout_keeps_only_the_diff(world):
    world.idc.accounts = organisation(30)
    world.idc.page_size = 100
    write(world, SESSION_ONLY)
    argv = [PYTHON, "-I", "-m", "awsenv", "sso", "sync", "--sso-session", "corp", "--dry-run"]
    run = run_pty(argv, {**world.env, "TERM": "xterm"}, pipe_stdout=True)
    assert run.code == 0, run.screen
    assert "listed 30/30 accounts" in run.screen
    assert "would add 90 profiles" in run.screen
    assert "listed" not in run.stdout
    assert "\r" not in run.stdout
    assert run.stdout.startswith("--- ")
    assert run.stdout.count("+[profile workload-") == 90


def assert_failed_cleanly(result, old: bytes, world, text: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert text in result.stderr
    assert result.stderr.startswith("awsenv: ")
    assert "Traceback" not in result.stderr
    assert config_path(world).read_bytes() == old
    assert not (world.home / ".aws" / "config.awsenv-backup").exists()


def test_without_a_session_name_the_only_session_is_synced(world):
    old = write(world, SESSION_ONLY)
    result = run_awsenv(["sso", "sync", "--dry-run"], world.env)
    assert result.returncode == 0, result.stderr
    assert "# Added by awsenv sso sync (sso-session corp)" in result.stdout
    assert config_path(world).read_bytes() == old


def test_without_a_session_name_several_sessions_are_listed(world):
    old = write(
        world,
        SESSION_ONLY
        + "\n[sso-session other]\nsso_start_url = https://o.awsapps.com/start\n"
        + "sso_region = us-east-1\n",
    )
    result = run_awsenv(["sso", "sync"], world.env)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "has 2 [sso-session] sections: corp, other" in result.stderr
    assert "awsenv sso sync --sso-session NAME" in result.stderr
    assert config_path(world).read_bytes() == old
    assert world.idc.authorizations == 0


def test_an_unknown_session_names_the_known_ones(world):
    old = config_path(world).read_bytes()
    result = sync(world, session="nope")
    assert_failed_cleanly(result, old, world, "there is no [sso-session nope]")
    assert "(sessions: corp)" in result.stderr
    assert world.idc.authorizations == 0


def test_a_failed_login_changes_nothing(world):
    world.idc.deny = True
    old = config_path(world).read_bytes()
    assert_failed_cleanly(sync(world), old, world, "not completed")
    assert world.idc.calls.get("ListAccounts") is None


def test_a_portal_error_changes_nothing(world):
    world.idc.script("ListAccountRoles", [("error", "ForbiddenException")])
    old = config_path(world).read_bytes()
    assert_failed_cleanly(sync(world), old, world, "ForbiddenException")


def test_a_config_botocore_rejects_is_not_touched(world):
    old = write(world, SESSION_ONLY + "[profile static]\nregion = x\n")
    result = sync(world)
    assert_failed_cleanly(result, old, world, "appears twice")
    assert f"{config_path(world)}:" in result.stderr
    assert world.idc.authorizations == 0


def test_crlf_file_without_final_newline_gets_crlf_lines(world):
    old = SESSION_ONLY.rstrip("\n").replace("\n", "\r\n").encode()
    config_path(world).write_bytes(old)
    assert sync(world).returncode == 0
    new = config_path(world).read_bytes()
    assert new.startswith(old + b"\r\n\r\n# Added by awsenv sso sync")
    assert new.count(b"\n") == new.count(b"\r\n")
    assert "development-admin" in botocore_profiles(world)


@pytest.mark.parametrize(
    ("account", "role", "expected"),
    [
        ("Development", "ReadOnly", "development-readonly"),
        ("  Team 3 (Sandbox) ", "Dev.Ops", "team-3-sandbox-dev-ops"),
        ("Développement", "Admin", "developpement-admin"),
        ("!!!", "+=", "123456789012-role"),
    ],
)
def test_profile_names(account, role, expected):
    from awsenv.commands import sso_sync

    assert sso_sync.base_name("", "123456789012", account, role) == expected
    assert sso_sync.base_name("corp-", "123456789012", account, role) == "corp-" + expected
