"""awsenv doctor: every problem it knows is found, named by a stable id, and its fix is shown.

``diagnose.check`` and ``doctor.examine`` are called directly for the findings; the command line
runs as a subprocess for exit codes (0 clean, 1 problems left, 2 usage), stdout/stderr and
``--fix``. The legacy-SSO fix is always shown as a diff and written only with ``--fix``.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import botocore.configloader
import pytest

from awsenv import diagnose, paths
from awsenv.commands import doctor
from awsenv.exports import encode_saved
from tests.helpers import minimal_env, run_awsenv, write_config

NOW = float(int(time.time()))
TODAY = "2026-11-23"
URL = "https://d-1234567890.awsapps.com/start"

CLEAN = """\
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Dev

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
"""

LEGACY = f"""\
# my profiles
[profile old]
sso_start_url = {URL}
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

; keep this
[profile base]
aws_access_key_id = AKIAEXAMPLEKEY1234
aws_secret_access_key = doctor-secret-canary
"""


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    write_config(home, CLEAN).chmod(0o600)
    environ = dict(os.environ)
    environ["AWSENV_SHELL"] = "bash"
    return environ


def ids(env: dict[str, str]) -> list[str]:
    return [p.id for p in diagnose.check(env, now=NOW).problems]


def problems(env: dict[str, str], id_: str) -> list[diagnose.Problem]:
    return [p for p in diagnose.check(env, now=NOW).problems if p.id == id_]


def config(home: Path, text: str, *, credentials: str | None = None) -> None:
    write_config(home, text, credentials=credentials).chmod(0o600)
    if credentials is not None:
        (home / ".aws" / "credentials").chmod(0o600)


# --- every problem, found --------------------------------------------------------------------


def _unparsable(home: Path, env: dict[str, str]) -> None:
    config(home, "[profile a]\nregion = x\nregion = y\n")


def _missing_source(home: Path, env: dict[str, str]) -> None:
    config(home, "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = gone\n")


def _missing_session(home: Path, env: dict[str, str]) -> None:
    config(home, "[profile a]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = R\n")


def _cycle(home: Path, env: dict[str, str]) -> None:
    config(
        home,
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
        "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n",
    )


def _too_deep(home: Path, env: dict[str, str]) -> None:
    config(
        home,
        "".join(
            f"[profile p{i}]\nrole_arn = arn:aws:iam::1:role/p\nsource_profile = p{i + 1}\n"
            for i in range(99)
        )
        + "[profile p99]\naws_access_key_id = AKIAEXAMPLEKEY1234\naws_secret_access_key = s\n",
    )


def _invalid(home: Path, env: dict[str, str]) -> None:
    config(home, "[profile a]\naws_access_key_id = AKIAEXAMPLEKEY1234\n")


def _legacy(home: Path, env: dict[str, str]) -> None:
    config(home, LEGACY)


def _web_identity(home: Path, env: dict[str, str]) -> None:
    config(home, "[profile w]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /no\n")


def _mode_credentials(home: Path, env: dict[str, str]) -> None:
    config(home, CLEAN, credentials="[k]\naws_access_key_id = A\naws_secret_access_key = S\n")
    (home / ".aws" / "credentials").chmod(0o644)


def _mode_config_writable(home: Path, env: dict[str, str]) -> None:
    (home / ".aws" / "config").chmod(0o666)


def _mode_cache(home: Path, env: dict[str, str]) -> None:
    cached = home / ".aws" / "cli" / "cache" / "entry.json"
    cached.parent.mkdir(parents=True)
    cached.write_text('{"Credentials": {}}')
    cached.chmod(0o644)


def _open_cache_dir(home: Path, env: dict[str, str]) -> None:
    directory = home / ".aws" / "sso" / "cache"
    directory.mkdir(parents=True)
    directory.chmod(0o777)


def _torn(home: Path, env: dict[str, str]) -> None:
    torn = home / ".aws" / "sso" / "cache" / "abc.json"
    torn.parent.mkdir(parents=True)
    torn.write_text('{"accessToken": "x", "expiresAt"')
    torn.chmod(0o600)


def _unreadable(home: Path, env: dict[str, str]) -> None:
    (home / ".aws" / "sso" / "cache" / "dir.json").mkdir(parents=True)


def _env_keys(home: Path, env: dict[str, str]) -> None:
    env["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT5678"
    env["AWS_SECRET_ACCESS_KEY"] = "env-secret-canary"


def _env_default_profile(home: Path, env: dict[str, str]) -> None:
    env["AWS_PROFILE"] = "dev"
    env["AWS_DEFAULT_PROFILE"] = "other"


def _env_unknown_profile(home: Path, env: dict[str, str]) -> None:
    env["AWS_PROFILE"] = "gone"


def _no_wrapper(home: Path, env: dict[str, str]) -> None:
    del env["AWSENV_SHELL"]


def _no_awsenv_on_path(home: Path, env: dict[str, str]) -> None:
    config(
        home,
        CLEAN + "\n[profile okta]\ncredential_process = awsenv credential-process okta\n",
    )
    empty = home / "empty-bin"
    empty.mkdir()
    env["PATH"] = str(empty)


CASES: dict[str, tuple[Callable[[Path, dict[str, str]], None], str, str]] = {
    # name: (setup, problem id, text the message must hold)
    "unparsable": (_unparsable, "config-unparsable", "config:3"),
    "missing_source": (_missing_source, "missing-source-profile", "'gone'"),
    "missing_session": (_missing_session, "missing-sso-session", "[sso-session gone]"),
    "cycle": (_cycle, "source-profile-cycle", "'a' -> 'b' -> 'c' -> 'a'"),
    "too_deep": (_too_deep, "source-profile-chain-too-deep", "100 profiles, more than the limit"),
    "invalid": (_invalid, "invalid-profile", "no aws_secret_access_key"),
    "legacy": (_legacy, "legacy-sso", "profile 'old'"),
    "web_identity": (_web_identity, "missing-web-identity-token-file", "'/no'"),
    "mode_credentials": (_mode_credentials, "wrong-file-mode", "credentials has mode 0644"),
    "mode_config": (_mode_config_writable, "wrong-file-mode", "config has mode 0666"),
    "mode_cache": (_mode_cache, "wrong-file-mode", "entry.json has mode 0644"),
    "open_cache_dir": (_open_cache_dir, "wrong-file-mode", "sso/cache has mode 0777"),
    "torn": (_torn, "torn-cache-file", "abc.json is torn"),
    "unreadable": (_unreadable, "unreadable-cache-file", "dir.json cannot be read"),
    "env_keys": (_env_keys, "env-credentials", "AWS_ACCESS_KEY_ID (...5678)"),
    "env_default_profile": (_env_default_profile, "env-default-profile", "'other'"),
    "env_unknown_profile": (_env_unknown_profile, "env-unknown-profile", "'gone'"),
    "no_wrapper": (_no_wrapper, "no-shell-wrapper", "AWSENV_SHELL is not set"),
    "no_awsenv_on_path": (_no_awsenv_on_path, "awsenv-not-on-path", "profile 'okta'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_problem_is_found_with_its_id_a_message_and_a_fix(
    case: str, env: dict[str, str], home: Path
) -> None:
    setup, id_, text = CASES[case]
    setup(home, env)
    found = problems(env, id_)
    assert len(found) == 1, diagnose.check(env, now=NOW).problems
    problem = found[0]
    assert text in problem.message
    assert "\n" not in problem.message
    assert problem.hint  # every problem says what to do
    assert problem.severity in ("error", "warning")
    assert "env-secret-canary" not in problem.message + problem.hint


def test_every_documented_problem_id_has_a_case() -> None:
    assert {id_ for _setup, id_, _text in CASES.values()} == set(diagnose.PROBLEM_IDS)


def test_a_clean_setup_has_no_problem(env: dict[str, str]) -> None:
    assert ids(env) == []


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (
            "[profile a]\nrole_arn = R\nsource_profile = b\ncredential_source = Environment\n"
            "[profile b]\nregion = x\n",
            "both source_profile and credential_source",
        ),
        ("[profile a]\nrole_arn = R\n", "neither source_profile nor credential_source"),
        ("[profile a]\nrole_arn = R\ncredential_source = Lambda\n", "'Lambda' is not valid"),
        ("[profile a]\nsaml_assertion_file = f\nrole_arn = R\n", "saml_role_arn"),
        (
            "[profile a]\nsso_session = corp\nsso_account_id = 1\n[sso-session corp]\n"
            "sso_start_url = u\nsso_region = r\n",
            "lacks sso_role_name",
        ),
        (
            "[profile a]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
            "sso_region = eu-west-1\n[sso-session corp]\nsso_start_url = u\nsso_region = r\n",
            "sets sso_region differently",
        ),
        (
            "[profile a]\nrole_arn = R\nsource_profile = b\n[profile b]\nregion = x\n",
            "holds no credentials",
        ),
        ("[profile a]\nokta_org_domain = x.okta.com\n", "has no okta_oidc_client_id"),
    ],
)
def test_invalid_profiles_are_named_like_botocore_would_refuse_them(
    env: dict[str, str], home: Path, text: str, what: str
) -> None:
    config(home, text)
    found = problems(env, "invalid-profile")
    assert any(what in p.message + str(p.hint) for p in found), found
    assert all(p.hint for p in found)


def test_a_cycle_and_a_missing_source_are_reported_once(env: dict[str, str], home: Path) -> None:
    config(
        home,
        "[profile a]\nrole_arn = R\nsource_profile = b\n"
        "[profile b]\nrole_arn = R\nsource_profile = a\n"
        "[profile x]\nrole_arn = R\nsource_profile = a\n"
        "[profile m]\nrole_arn = R\nsource_profile = gone\n"
        "[profile n]\nrole_arn = R\nsource_profile = m\n",
    )
    assert sorted(ids(env)) == ["missing-source-profile", "source-profile-cycle"]


def test_keys_exported_by_awsenv_are_not_an_override(env: dict[str, str]) -> None:
    env["AWSENV_SAVED"] = encode_saved({})
    env["AWSENV_PROFILE"] = "dev"
    env["AWS_ACCESS_KEY_ID"] = "ASIAFROMAWSENV1234"
    assert "env-credentials" not in ids(env)
    env["AWS_PROFILE"] = "dev"  # keys beside a profile awsenv exported: someone else set them
    assert "env-credentials" in ids(env)


def test_default_profile_equal_to_aws_profile_is_no_problem(env: dict[str, str]) -> None:
    env["AWS_PROFILE"] = env["AWS_DEFAULT_PROFILE"] = "dev"
    assert ids(env) == []


def test_torn_files_are_found_in_every_cache_directory(env: dict[str, str]) -> None:
    for directory in diagnose.cache_dirs(env):
        os.makedirs(directory, exist_ok=True)
        Path(directory, "empty.json").write_bytes(b"")
        Path(directory, "partial.json").write_bytes(b'{"a": ')
        Path(directory, ".write-in-progress.json.tmp").write_bytes(b"{")
        for name in ("empty.json", "partial.json"):
            Path(directory, name).chmod(0o600)
    torn = problems(env, "torn-cache-file")
    assert len(torn) == 2 * len(diagnose.cache_dirs(env))
    assert all(p.path and p.path.endswith(("empty.json", "partial.json")) for p in torn)
    assert all(p.hint and p.hint.startswith("delete it: rm ") for p in torn)


def test_config_without_secrets_may_be_world_readable(env: dict[str, str], home: Path) -> None:
    (home / ".aws" / "config").chmod(0o644)
    assert ids(env) == []


# --- the legacy fix ----------------------------------------------------------------------------


def _open_directories(home: Path, env: dict[str, str]) -> list[Path]:
    """The three directories of finding 16.8, made 0777 without the sticky bit."""
    made = [
        home / ".aws" / "sso" / "cache",
        home / ".aws" / "cli" / "cache",
        Path(paths.cache_dir(env)),  # awsenv's own: its locks live there
    ]
    for directory in made:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "entry.json").write_text("{}")
        (directory / "entry.json").chmod(0o600)
        directory.chmod(0o777)
    return made


def test_world_writable_cache_directories_are_reported(env: dict[str, str], home: Path) -> None:
    """Finding 16.8: another user could delete or rename the tokens and locks in them."""
    made = _open_directories(home, env)
    found = {p.path: p for p in problems(env, "wrong-file-mode")}
    for directory in made:
        problem = found.get(str(directory))
        assert problem is not None, (directory, found)
        assert "mode 0777" in problem.message
        assert "delete or rename" in problem.message
        assert problem.fixable
        assert problem.hint is not None
        assert "chmod" in problem.hint


def test_a_sticky_open_directory_is_reported_for_what_others_can_still_do(
    env: dict[str, str], home: Path
) -> None:
    directory = home / ".aws" / "sso" / "cache"
    directory.mkdir(parents=True)
    directory.chmod(0o1777)
    found = [p for p in problems(env, "wrong-file-mode") if p.path == str(directory)]
    assert len(found) == 1
    assert "mode 1777" in found[0].message
    assert "delete or rename" not in found[0].message  # the sticky bit prevents that
    assert "create" in found[0].message


def test_fix_tightens_world_writable_cache_directories(env: dict[str, str], home: Path) -> None:
    made = _open_directories(home, env)
    outcome = doctor.examine(env, fix=True, now=NOW, today=TODAY)
    assert outcome.remaining == [], outcome.remaining
    modes = {d: stat.S_IMODE(d.stat().st_mode) for d in made}
    assert modes == {made[0]: 0o755, made[1]: 0o755, made[2]: 0o700}
    assert all(p.fixed for p in outcome.problems)
    assert ids(env) == []


def test_legacy_profile_fix_is_shown_as_a_diff_and_nothing_is_written(
    env: dict[str, str], home: Path
) -> None:
    _legacy(home, env)
    path = home / ".aws" / "config"
    outcome = doctor.examine(env, fix=False, now=NOW, today=TODAY)
    legacy = [p for p in outcome.problems if p.id == "legacy-sso"]
    assert [p.fixable for p in legacy] == [True]
    assert outcome.legacy is not None
    diff = outcome.legacy.diff()
    assert "+sso_session = d-1234567890" in diff
    assert "+[sso-session d-1234567890]" in diff
    assert "doctor-secret-canary" not in diff
    text = doctor.render(outcome, now=NOW, colour=False)
    assert "fix for legacy-sso" in text
    assert diff.splitlines()[0] in text
    assert "logs in once" in text
    assert path.read_text() == LEGACY
    assert not (home / ".aws" / "config.awsenv-backup").exists()


def test_fix_writes_the_legacy_change_and_the_mode_then_nothing_is_left(
    env: dict[str, str], home: Path
) -> None:
    _legacy(home, env)
    path = home / ".aws" / "config"
    path.chmod(0o644)  # secrets, readable by others
    outcome = doctor.examine(env, fix=True, now=NOW, today=TODAY)
    assert outcome.remaining == []
    assert {(p.id, p.fixed) for p in outcome.problems} == {
        ("legacy-sso", True),
        ("wrong-file-mode", True),
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = botocore.configloader.raw_config_parse(str(path))
    assert raw["profile old"]["sso_session"] == "d-1234567890"
    assert raw["profile base"]["aws_secret_access_key"] == "doctor-secret-canary"
    assert (home / ".aws" / "config.awsenv-backup").read_text() == LEGACY
    assert path.read_text().startswith("# my profiles\n[profile old]\nsso_session = d-1234567890\n")
    assert "; keep this\n[profile base]\n" in path.read_text()


def test_a_legacy_profile_that_cannot_be_moved_is_left_to_a_person(
    env: dict[str, str], home: Path
) -> None:
    config(home, f"[profile old]\nsso_start_url = {URL}\nsso_account_id = 1\nsso_role_name = R\n")
    outcome = doctor.examine(env, fix=True, now=NOW, today=TODAY)
    legacy = [p for p in outcome.problems if p.id == "legacy-sso"]
    assert len(legacy) == 1
    assert not legacy[0].fixable
    assert not legacy[0].fixed
    assert legacy[0].hint is not None
    assert "by hand" in legacy[0].hint
    assert "sso_region" in legacy[0].hint


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli_env(env: dict[str, str], home: Path) -> dict[str, str]:
    return minimal_env(home, AWSENV_SHELL="bash")


def test_doctor_exits_0_when_nothing_is_wrong(cli_env: dict[str, str]) -> None:
    result = run_awsenv(["doctor"], cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "no problems found" in result.stdout
    assert "dev" in result.stdout


def test_doctor_exits_1_with_the_report_on_stdout(cli_env: dict[str, str], home: Path) -> None:
    _missing_source(home, cli_env)
    result = run_awsenv(["doctor"], cli_env)
    assert result.returncode == 1
    assert "missing-source-profile: profile 'a'" in result.stdout
    assert "1 problem found" in result.stderr


def test_doctor_usage_error_exits_2(cli_env: dict[str, str]) -> None:
    result = run_awsenv(["doctor", "--bogus"], cli_env)
    assert result.returncode == 2
    assert result.stdout == ""


def test_doctor_json_has_the_documented_shape(cli_env: dict[str, str], home: Path) -> None:
    _legacy(home, cli_env)
    result = run_awsenv(["doctor", "--json"], cli_env)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert list(document) == [
        "schema",
        "ok",
        "config_file",
        "credentials_file",
        "profiles",
        "problems",
        "legacy_sso_fix",
        "applied",
    ]
    assert document["ok"] is False
    assert [p["profile"] for p in document["profiles"]] == ["old", "base"]
    assert list(document["problems"][0]) == [
        "id",
        "severity",
        "message",
        "profile",
        "path",
        "hint",
        "fixable",
        "fixed",
    ]
    assert [p["id"] for p in document["problems"]] == ["legacy-sso"]
    fix = document["legacy_sso_fix"]
    assert list(fix) == ["id", "path", "diff", "backup", "sessions", "skipped", "note"]
    assert "+sso_session = d-1234567890" in fix["diff"]
    assert fix["sessions"] == [
        {
            "name": "d-1234567890",
            "start_url": URL,
            "region": "us-east-1",
            "profiles": ["old"],
            "new": True,
        }
    ]
    assert document["applied"] == []
    assert "doctor-secret-canary" not in result.stdout
    assert "AKIAEXAMPLEKEY" not in result.stdout  # the diff's context shows ...1234 at most


def test_doctor_fix_exits_0_when_everything_was_fixed(cli_env: dict[str, str], home: Path) -> None:
    _legacy(home, cli_env)
    (home / ".aws" / "config").chmod(0o640)
    result = run_awsenv(["doctor", "--fix"], cli_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fixed legacy-sso: wrote" in result.stdout
    assert "fixed wrong-file-mode: chmod 0600" in result.stdout
    assert "logs in once" in result.stdout
    assert "no problems left (2 fixed)" in result.stdout
    again = run_awsenv(["doctor"], cli_env)
    assert again.returncode == 0, again.stdout


def test_doctor_fix_json_reports_what_was_applied(cli_env: dict[str, str], home: Path) -> None:
    _legacy(home, cli_env)
    result = run_awsenv(["doctor", "--fix", "--json"], cli_env)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert [(a["id"], a["applied"]) for a in document["applied"]] == [("legacy-sso", True)]
    assert [(p["id"], p["fixed"]) for p in document["problems"]] == [("legacy-sso", True)]


def test_doctor_fix_exits_1_when_problems_are_left(cli_env: dict[str, str], home: Path) -> None:
    config(home, LEGACY + "[profile a]\nrole_arn = R\nsource_profile = gone\n")
    result = run_awsenv(["doctor", "--fix"], cli_env)
    assert result.returncode == 1
    assert "fixed legacy-sso" in result.stdout
    assert "missing-source-profile" in result.stdout
    assert "1 problem found" in result.stderr


def test_doctor_without_fix_writes_nothing(cli_env: dict[str, str], home: Path) -> None:
    _legacy(home, cli_env)
    _mode_credentials(home, cli_env)
    _torn(home, cli_env)
    past = time.time() - 60
    for path in home.rglob("*"):
        os.utime(path, (past, past), follow_symlinks=False)

    def snapshot() -> list[tuple[str, int, bytes]]:
        return sorted(
            (str(p.relative_to(home)), p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
            for p in home.rglob("*")
        )

    before = snapshot()
    assert run_awsenv(["doctor"], cli_env).returncode == 1
    assert run_awsenv(["doctor", "--json"], cli_env).returncode == 1
    assert snapshot() == before


def test_doctor_covers_every_profile_kind(cli_env: dict[str, str], home: Path) -> None:
    config(
        home,
        "[profile static]\naws_access_key_id = AKIAEXAMPLEKEY1234\n"
        "aws_secret_access_key = doctor-secret-canary\n"
        "[sso-session corp]\nsso_start_url = https://c.awsapps.com/start\nsso_region = us-east-1\n"
        "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
        f"[profile legacy]\nsso_start_url = {URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = R\n"
        "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = static\n"
        "mfa_serial = arn:aws:iam::1:mfa/me\n"
        f"[profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = {home}\n"
        "[profile process]\ncredential_process = /bin/true\n"
        "[profile saml]\nsaml_assertion_file = /tmp/x\n"
        "[profile okta]\nokta_org_domain = x.okta.com\nokta_oidc_client_id = c\n"
        "okta_aws_acct_fed_app_id = a\n"
        "[profile login]\nlogin_session = s\n"
        "[profile none]\nregion = eu-west-1\n",
    )
    result = run_awsenv(["doctor", "--json"], cli_env)
    document = json.loads(result.stdout)
    kinds = {p["profile"]: p["kind"] for p in document["profiles"]}
    assert kinds == {
        "static": "static",
        "sso": "sso",
        "legacy": "sso",
        "role": "assume-role",
        "web": "web-identity",
        "process": "process",
        "saml": "saml",
        "okta": "okta",
        "login": "login",
        "none": "none",
    }
    flows = {p["profile"]: p["login"]["flow"] for p in document["profiles"]}
    assert flows["sso"] == "pkce"
    assert flows["legacy"] == "device-code"
    assert flows["role"] == "mfa-prompt"
    assert flows["okta"] == "okta-device"
    # web_identity_token_file names a directory here: botocore cannot read it either
    assert {p["id"] for p in document["problems"]} == {
        "legacy-sso",
        "missing-web-identity-token-file",
    }
    human = run_awsenv(["doctor"], cli_env).stdout
    for name in kinds:
        assert f"\n{name} " in human
    assert "doctor-secret-canary" not in human + result.stdout


def test_hostile_profile_names_cannot_drive_the_terminal(
    cli_env: dict[str, str], home: Path
) -> None:
    name = "esc\x1b[31mred \u2018q\u2019 $(touch CANARY)"
    config(
        home,
        CLEAN,
        credentials=f"[{name}]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = gone\n",
    )
    result = run_awsenv(["doctor"], cli_env)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    assert "esc?[31mred" in result.stdout
    document = json.loads(run_awsenv(["doctor", "--json"], cli_env).stdout)
    assert name in [p["profile"] for p in document["profiles"]]
    explained = run_awsenv(["explain", name], cli_env)
    assert explained.returncode == 0
    assert "\x1b" not in explained.stdout
    assert not (home / "CANARY").exists()


def test_an_unparsable_config_is_reported_and_the_rest_still_checked(
    cli_env: dict[str, str], home: Path
) -> None:
    _unparsable(home, cli_env)
    del cli_env["AWSENV_SHELL"]
    result = run_awsenv(["doctor"], cli_env)
    assert result.returncode == 1
    assert "config-unparsable" in result.stdout
    assert "no-shell-wrapper" in result.stdout
