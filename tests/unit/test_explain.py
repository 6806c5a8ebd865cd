"""awsenv explain: how every kind of profile resolves and what use would do, without logging in.

Functions are called directly against real files under a temporary HOME; the command line is
run as a subprocess for exit codes, stdout/stderr, colour and import discipline. Nothing here
logs in or reaches a network (AWS_ENDPOINT_URL points at a closed port).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from awsenv import cache, diagnose, okta
from awsenv.diagnose import render as explain
from awsenv.errors import ProfileNotFound
from awsenv.exports import Keys
from awsenv.providers import rolecache, saml_keys
from awsenv.sso import tokens
from tests.helpers import PYTHON, minimal_env, run_awsenv, write_config
from tests.terminal import run_pty

NOW = float(int(time.time()))  # whole seconds: expiries in the files are whole seconds
URL = "https://d-1234567890.awsapps.com/start"
ROLE = "arn:aws:iam::123456789012:role/Admin"
MFA = "arn:aws:iam::123456789012:mfa/alice"

# Values that must never be printed, whatever the output form.
SECRETS = (
    "static-secret-canary",
    "static-session-canary",
    "sso-access-canary",
    "sso-refresh-canary",
    "sso-client-secret-canary",
    "role-secret-canary",
    "role-session-canary",
    "okta-access-canary",
    "okta-refresh-canary",
    "okta-id-canary",
    "saml-secret-canary",
    "process-arg-canary",
    "AKIAEXAMPLEKEY1",  # an access key id is shown as its last four characters at most
)

CONFIG = f"""\
[profile static]
aws_access_key_id = AKIAEXAMPLEKEY1234
aws_secret_access_key = static-secret-canary
aws_session_token = static-session-canary
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Dev

[profile legacy]
sso_start_url = {URL}
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile mid]
role_arn = arn:aws:iam::123456789012:role/Mid
source_profile = static

[profile top]
role_arn = {ROLE}
source_profile = mid
mfa_serial = {MFA}
region = us-west-2

[profile on-sso]
role_arn = arn:aws:iam::222233334444:role/Deploy
source_profile = sso

[profile from-env]
role_arn = arn:aws:iam::222233334444:role/Env
credential_source = Environment

[profile web]
role_arn = arn:aws:iam::222233334444:role/Web
web_identity_token_file = /nonexistent/token
role_session_name = ci

[profile process]
credential_process = /usr/local/bin/get-creds --password process-arg-canary

[profile saml]
saml_assertion_file = ~/saml.b64
saml_role_arn = arn:aws:iam::123456789012:role/Saml

[profile saml-process]
saml_assertion_file = ~/saml.b64
credential_process = awsenv credential-process saml-process

[profile okta]
okta_org_domain = example.okta.com
okta_oidc_client_id = 0oaclient
okta_aws_acct_fed_app_id = 0oaapp

[profile console]
login_session = arn:aws:iam::123456789012:user/alice

[profile nothing]
region = eu-north-1
"""


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    path = write_config(home, CONFIG)
    path.chmod(0o600)
    environ = dict(os.environ)
    environ["AWSENV_SHELL"] = "bash"
    return environ


def explained(env: dict[str, str], name: str, now: float = NOW) -> diagnose.Explanation:
    return diagnose.explain(diagnose.load_files(env), env, name, now=now)


def corp() -> tokens.SsoSession:
    return tokens.SsoSession("corp", "https://corp.awsapps.com/start", "us-east-1")


def save_sso_token(
    env: dict[str, str], sess: tokens.SsoSession, left: int, **extra: object
) -> None:
    fields: dict[str, object] = {
        "refresh_token": "sso-refresh-canary",
        "client_id": "client",
        "client_secret": "sso-client-secret-canary",
        "registration_expires_at": int(NOW) + 86400,
    }
    fields.update(extra)
    tokens.save_token(
        env,
        sess,
        tokens.Token(access_token="sso-access-canary", expires_at=int(NOW) + left, **fields),  # type: ignore[arg-type]
    )


def save_role(env: dict[str, str], section: dict[str, str], left: int) -> None:
    rolecache.save_role_credentials(
        env,
        section,
        {
            "Credentials": {
                "AccessKeyId": "ASIACACHEDKEY9876",
                "SecretAccessKey": "role-secret-canary",
                "SessionToken": "role-session-canary",
                "Expiration": datetime.fromtimestamp(NOW + left, timezone.utc),
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/Admin/x"},
        },
    )


def all_output(env: dict[str, str], item: diagnose.Explanation) -> str:
    return explain.render(item, now=NOW, colour=False) + explain.to_json(item, NOW)


def actions(item: diagnose.Explanation) -> list[tuple[str, str]]:
    return [(s.profile, s.action) for s in item.steps]


# --- every kind --------------------------------------------------------------------------------


def test_static_profile_shows_key_presence_and_exports_aws_profile(env: dict[str, str]) -> None:
    item = explained(env, "static")
    assert item.kind == "static"
    assert [h.profile for h in item.chain] == ["static"]
    assert "static keys present (access key id ...1234)" in item.chain[0].notes
    assert "session token present" in item.chain[0].notes
    assert actions(item) == [("static", "none")]
    assert item.login_flow is None
    assert item.exports.mode == "profile"
    assert item.exports.set[:3] == ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION")
    assert "static keys" in item.exports.reason
    assert item.problems == ()


def test_sso_session_profile_with_a_valid_token_needs_no_login(env: dict[str, str]) -> None:
    save_sso_token(env, corp(), 5 * 3600)
    item = explained(env, "sso")
    assert item.sso is not None
    assert (item.sso.session, item.sso.start_url, item.sso.region) == (
        "corp",
        "https://corp.awsapps.com/start",
        "us-east-1",
    )
    assert item.sso.registration_scopes == ("sso:account:access",)
    token = item.sso.token
    assert token.path == tokens.token_path(env, corp())
    assert token.path.endswith(cache.sha1_hex("corp") + ".json")
    assert (token.state, token.refresh_token, token.expires_at) == ("valid", True, int(NOW) + 18000)
    assert item.sso.refreshable
    assert actions(item) == [("sso", "use-cache")]
    assert item.login_flow is None
    assert "AWSENV_EXPIRATION" in item.exports.set
    assert [c.what for c in item.caches] == ["sso-token", "sso-role-credentials"]
    assert item.caches[1].path == tokens.role_credentials_path(env, corp(), "111122223333", "Dev")


def test_sso_token_near_expiry_with_a_refresh_token_is_refreshed_silently(
    env: dict[str, str],
) -> None:
    save_sso_token(env, corp(), 5 * 60)
    item = explained(env, "sso")
    assert item.sso is not None
    assert item.sso.token.state == "expiring"
    assert actions(item) == [("sso", "refresh")]
    assert item.login_flow is None


def test_sso_token_without_refresh_token_expired_means_a_pkce_login(env: dict[str, str]) -> None:
    save_sso_token(env, corp(), -60, refresh_token=None)
    item = explained(env, "sso")
    assert item.sso is not None
    assert (item.sso.token.state, item.sso.token.refresh_token) == ("expired", False)
    assert actions(item) == [("sso", "pkce")]
    assert "PKCE" in item.steps[0].reason


def test_no_sso_token_over_ssh_means_a_device_code_and_says_why(env: dict[str, str]) -> None:
    env["SSH_CONNECTION"] = "10.0.0.1 5000 10.0.0.2 22"
    item = explained(env, "sso")
    assert item.login_flow == "device-code"
    assert "SSH" in item.steps[0].reason
    assert "no SSO token is cached" in item.steps[0].reason


def test_configured_login_flow_is_followed_and_named(env: dict[str, str], home: Path) -> None:
    write_config(
        home,
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\nawsenv_login_flow = device\n"
        "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n",
    )
    item = explained(env, "sso")
    assert item.login_flow == "device-code"
    assert "awsenv_login_flow = device in [sso-session corp]" in item.steps[0].reason


def test_torn_sso_token_is_reported_and_means_a_login(env: dict[str, str]) -> None:
    path = Path(tokens.token_path(env, corp()))
    path.parent.mkdir(parents=True)
    path.write_text('{"accessToken": "sso-access-canary", "expi')
    item = explained(env, "sso")
    assert item.sso is not None
    assert item.sso.token.state == "torn"
    assert "torn" in item.steps[0].reason
    assert item.login_flow == "pkce"


def test_legacy_sso_profile_reads_the_start_url_file_and_uses_a_device_code(
    env: dict[str, str],
) -> None:
    legacy = tokens.SsoSession(None, URL, "us-east-1")
    save_sso_token(env, legacy, -60, refresh_token=None)
    item = explained(env, "legacy")
    assert item.sso is not None
    assert item.sso.legacy
    assert item.sso.token.path.endswith("7487b5b67d5fa1132cf33fa93ae51ef38cc37752.json")
    assert not item.sso.refreshable
    assert item.login_flow == "device-code"
    assert "legacy" in item.steps[0].reason
    assert [p.id for p in item.problems] == ["legacy-sso"]
    assert item.problems[0].severity == "warning"
    assert item.ok
    text = explain.render(item, now=NOW, colour=False)
    assert "never: a legacy profile's token cannot be refreshed" in text


def test_role_chain_with_mfa_lists_every_hop_and_exports_keys(env: dict[str, str]) -> None:
    item = explained(env, "top")
    assert [(h.profile, h.kind) for h in item.chain] == [
        ("top", "assume-role"),
        ("mid", "assume-role"),
        ("static", "static"),
    ]
    assert item.chain[0].role_arn == ROLE
    assert item.chain[0].mfa_serial == MFA
    assert item.chain[0].source == "source_profile mid"
    assert item.chain[1].source == "source_profile static"
    assert actions(item) == [
        ("static", "none"),
        ("mid", "assume-role"),
        ("top", "mfa-prompt"),
    ]
    assert item.login_flow == "mfa-prompt"
    assert MFA in item.steps[-1].reason
    assert item.exports.mode == "keys"
    assert "MFA" in item.exports.reason
    assert {c.profile for c in item.caches if c.what == "role-credentials"} == {"top", "mid"}
    # the chain is served by the MFA session of the keys at its root (none cached yet)
    (mfa_session,) = [c for c in item.caches if c.what == "mfa-session"]
    assert (mfa_session.profile, mfa_session.state) == ("static", "missing")
    top_cache = next(c for c in item.caches if c.profile == "top")
    assert top_cache.path == rolecache.cache_path(
        env, rolecache.assume_role_cache_key({"role_arn": ROLE, "mfa_serial": MFA})
    )
    assert top_cache.state == "missing"


def test_a_cached_mfa_session_means_no_prompt(env: dict[str, str]) -> None:
    save_role(env, {"role_arn": ROLE, "mfa_serial": MFA}, 3600)
    item = explained(env, "top")
    assert actions(item) == [("top", "use-cache")]
    assert "no MFA code" in item.steps[0].reason
    assert item.login_flow is None
    assert item.exports.mode == "keys"


def test_a_cached_session_with_under_15_minutes_is_not_reused(env: dict[str, str]) -> None:
    save_role(env, {"role_arn": ROLE, "mfa_serial": MFA}, 10 * 60)
    item = explained(env, "top")
    assert next(c for c in item.caches if c.profile == "top").state == "expiring"
    assert item.login_flow == "mfa-prompt"


def test_role_on_an_sso_root_makes_sure_of_the_sso_login_first(env: dict[str, str]) -> None:
    item = explained(env, "on-sso")
    assert [(h.profile, h.kind) for h in item.chain] == [
        ("on-sso", "assume-role"),
        ("sso", "sso"),
    ]
    assert actions(item) == [("sso", "pkce"), ("on-sso", "assume-role")]
    assert item.exports.mode == "profile"
    assert "AWSENV_EXPIRATION" in item.exports.set
    assert item.caches[0].what == "sso-token"


def test_credential_source_ends_the_chain(env: dict[str, str]) -> None:
    env["AWS_ACCESS_KEY_ID"] = "AKIAENVKEY00001111"
    item = explained(env, "from-env")
    assert [(h.profile, h.kind) for h in item.chain] == [
        ("from-env", "assume-role"),
        ("<Environment>", "Environment"),
    ]
    assert item.chain[0].source == "credential_source Environment"
    assert actions(item) == [("<Environment>", "environment"), ("from-env", "assume-role")]
    assert item.exports.clears == ("AWS_ACCESS_KEY_ID",)


def test_web_identity_profile_names_its_token_file_and_its_absence(env: dict[str, str]) -> None:
    item = explained(env, "web")
    assert item.kind == "web-identity"
    assert "web_identity_token_file /nonexistent/token (missing)" in item.chain[0].notes
    assert actions(item) == [("web", "assume-role-with-web-identity")]
    assert [p.id for p in item.problems] == ["missing-web-identity-token-file"]
    assert not item.ok
    assert item.caches[0].path == rolecache.cache_path(
        env,
        rolecache.assume_role_cache_key(
            {
                "role_arn": "arn:aws:iam::222233334444:role/Web",
                "web_identity_token_file": "x",
                "role_session_name": "ci",
            }
        ),
    )


def test_web_identity_with_a_token_file_and_a_cached_role(env: dict[str, str], home: Path) -> None:
    token = home / "token"
    token.write_text("jwt")
    write_config(
        home,
        f"[profile web]\nrole_arn = {ROLE}\nweb_identity_token_file = {token}\n",
    )
    save_role(env, {"role_arn": ROLE, "web_identity_token_file": str(token)}, 3600)
    item = explained(env, "web")
    assert item.problems == ()
    assert actions(item) == [("web", "use-cache")]


def test_credential_process_shows_the_program_not_its_arguments(env: dict[str, str]) -> None:
    item = explained(env, "process")
    assert item.kind == "process"
    assert actions(item) == [("process", "run-process")]
    assert "/usr/local/bin/get-creds" in item.steps[0].reason
    assert item.exports.mode == "profile"
    assert "process-arg-canary" not in all_output(env, item)


def test_saml_profile_reads_its_file_and_exports_keys(env: dict[str, str]) -> None:
    item = explained(env, "saml")
    assert item.kind == "saml"
    assert actions(item) == [("saml", "read-saml-file"), ("saml", "assume-role-with-saml")]
    assert "arn:aws:iam::123456789012:role/Saml" in item.steps[1].reason
    assert item.exports.mode == "keys"
    assert "credential_process" in item.exports.reason
    assert item.caches[0].what == "saml-credentials"
    assert item.caches[0].path == saml_keys.cache_path(
        env, "saml", "arn:aws:iam::123456789012:role/Saml"
    )


def test_saml_keys_cached_by_awsenv_need_no_sign_in(env: dict[str, str]) -> None:
    saml_keys.save(
        env,
        "saml",
        "arn:aws:iam::123456789012:role/Saml",
        Keys("ASIASAMLKEY000001", "saml-secret-canary", "role-session-canary", int(NOW) + 3600),
    )
    item = explained(env, "saml")
    assert actions(item) == [("saml", "use-cache")]
    assert "saml-secret-canary" not in all_output(env, item)


def test_saml_with_credential_process_exports_aws_profile(env: dict[str, str]) -> None:
    item = explained(env, "saml-process")
    assert item.exports.mode == "profile"
    assert "credential_process" in item.exports.reason


def test_okta_profile_without_a_sign_in_runs_the_okta_device_flow(env: dict[str, str]) -> None:
    item = explained(env, "okta")
    assert item.kind == "okta"
    assert item.login_flow == "okta-device"
    assert actions(item) == [("okta", "okta-device"), ("okta", "assume-role-with-saml")]
    assert [c.what for c in item.caches] == ["saml-credentials", "okta-tokens"]
    assert item.caches[1].path == okta.okta_token_cache_path(
        env, "https://example.okta.com", "0oaclient"
    )
    assert "OIDC client 0oaclient" in item.chain[0].notes


@pytest.mark.parametrize(
    ("left", "id_token", "action"),
    [(3600, "okta-id-canary", "use-cache"), (-60, "okta-id-canary", "okta-refresh")],
)
def test_okta_sign_in_cache_decides_between_reuse_and_refresh(
    env: dict[str, str], left: int, id_token: str, action: str
) -> None:
    okta.save_tokens(
        env,
        "https://example.okta.com",
        "0oaclient",
        okta.OktaTokens(
            access_token="okta-access-canary",
            id_token=id_token,
            expires_at=int(NOW) + left,
            refresh_token="okta-refresh-canary",
        ),
    )
    item = explained(env, "okta")
    assert item.steps[0].action == action
    assert item.login_flow is None
    output = all_output(env, item)
    assert "okta-access-canary" not in output
    assert "okta-refresh-canary" not in output


def test_login_session_profile_points_at_the_aws_login_cache(env: dict[str, str]) -> None:
    session = "arn:aws:iam::123456789012:user/alice"
    path = Path(diagnose.login_cache_path(env, session))
    assert path.parent == Path(env["HOME"]) / ".aws" / "login" / "cache"
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "accessToken": {"expiresAt": "2000-01-01T00:00:00Z", "secretAccessKey": "x"},
                "refreshToken": "sso-refresh-canary",
            }
        )
    )
    item = explained(env, "console")
    assert item.kind == "login"
    assert actions(item) == [("console", "sdk")]
    assert (item.caches[0].state, item.caches[0].refresh_token) == ("expired", True)
    assert item.exports.mode == "profile"
    env["AWS_LOGIN_CACHE_DIRECTORY"] = "/elsewhere"
    assert diagnose.login_cache_path(env, session).startswith("/elsewhere/")


def test_profile_without_credentials_says_so(env: dict[str, str]) -> None:
    item = explained(env, "nothing")
    assert item.kind == "none"
    assert actions(item) == [("nothing", "none")]
    assert item.exports.mode == "profile"
    assert "holds no credentials" in item.exports.reason
    assert item.caches == ()


# --- broken profiles ---------------------------------------------------------------------------


def test_missing_source_profile_is_explained_not_raised(env: dict[str, str], home: Path) -> None:
    write_config(home, "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = static2\n")
    item = explained(env, "a")
    assert [p.id for p in item.problems] == ["missing-source-profile"]
    assert "'static2'" in item.problems[0].message
    assert not item.ok
    assert "would fail" in explain.render(item, now=NOW, colour=False)


def test_cycle_is_explained_from_any_member(env: dict[str, str], home: Path) -> None:
    write_config(
        home,
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n",
    )
    first = explained(env, "a").problems
    second = explained(env, "b").problems
    assert [p.id for p in first] == ["source-profile-cycle"]
    assert first == second  # the same text whichever profile it is seen from
    assert "'a' -> 'b' -> 'a'" in first[0].message


@pytest.mark.parametrize("length", [100, 200, 1000])
def test_a_chain_deeper_than_the_limit_is_one_short_line_in_use_and_explain(
    env: dict[str, str], home: Path, length: int
) -> None:
    """Finding 16.5: not a cycle; the limit, the length, the first and last names."""
    text = "".join(
        f"[profile p{i}]\nrole_arn = {ROLE}\nsource_profile = p{i + 1}\n" for i in range(length - 1)
    )
    write_config(
        home,
        text + f"[profile p{length - 1}]\naws_access_key_id = AKIAX\n"
        "aws_secret_access_key = static-secret-canary\n",
    )
    use = run_awsenv(["use", "p0"], {**env, "AWSENV_SHELL": "bash"})
    assert use.returncode == 1
    assert use.stdout == ""
    said = use.stderr.splitlines()
    assert said[0].startswith("awsenv: ")
    assert len(said) <= 2, use.stderr  # the line and its hint
    assert "cycle" not in use.stderr
    for needle in ("limit of 64", f"{length} profiles", "'p0'", f"'p{length - 1}'"):
        assert needle in said[0]
    assert len(use.stderr) < 600
    shown = run_awsenv(["explain", "p0", "--json"], env)
    found = json.loads(shown.stdout)["problems"]
    assert [p["id"] for p in found] == ["source-profile-chain-too-deep"]
    assert found[0]["message"] in said[0]
    assert len(found[0]["message"]) < 300


def test_missing_sso_session_is_explained(env: dict[str, str], home: Path) -> None:
    write_config(home, "[profile s]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n")
    item = explained(env, "s")
    assert [p.id for p in item.problems] == ["missing-sso-session"]
    assert item.sso is None


def test_unknown_profile_raises_with_suggestions(env: dict[str, str]) -> None:
    with pytest.raises(ProfileNotFound, match="did you mean 'static'"):
        explained(env, "statik")


# --- output ------------------------------------------------------------------------------------


def test_no_secret_ever_appears_in_any_output(env: dict[str, str]) -> None:
    save_sso_token(env, corp(), 3600)
    save_role(env, {"role_arn": ROLE, "mfa_serial": MFA}, 3600)
    okta.save_tokens(
        env,
        "https://example.okta.com",
        "0oaclient",
        okta.OktaTokens(
            access_token="okta-access-canary",
            id_token="okta-id-canary",
            expires_at=int(NOW) + 3600,
            refresh_token="okta-refresh-canary",
        ),
    )
    env["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLEKEY1999"
    files = diagnose.load_files(env)
    for name in files.names():
        output = all_output(env, explained(env, name))
        for secret in SECRETS:
            assert secret not in output, (name, secret)


def test_json_document_has_the_documented_shape(env: dict[str, str]) -> None:
    document = json.loads(explain.to_json(explained(env, "top"), NOW))
    assert list(document) == [
        "schema",
        "profile",
        "kind",
        "defined_at",
        "account",
        "role",
        "region",
        "ok",
        "chain",
        "sso",
        "caches",
        "login",
        "exports",
        "problems",
    ]
    assert document["schema"] == 1
    assert list(document["chain"][0]) == [
        "profile",
        "kind",
        "defined_at",
        "role_arn",
        "mfa_serial",
        "source",
        "notes",
    ]
    assert list(document["caches"][0]) == [
        "what",
        "profile",
        "path",
        "present",
        "state",
        "expires_at",
        "expires_in",
        "refresh_token",
        "detail",
        "used_by",
    ]
    assert list(document["login"]) == ["flow", "interactive", "steps"]
    assert list(document["login"]["steps"][0]) == ["profile", "action", "interactive", "reason"]
    assert list(document["exports"]) == [
        "mode",
        "set",
        "clears",
        "region",
        "reason",
        "shell_function",
    ]
    assert document["login"]["flow"] == "mfa-prompt"


def test_human_report_has_every_section(env: dict[str, str]) -> None:
    save_sso_token(env, corp(), 3600)
    text = explain.render(explained(env, "sso"), now=NOW, colour=False)
    for heading in ("chain", "sso", "caches", "login", "exports", "problems"):
        assert f"\n{heading}\n" in text
    assert "start URL   https://corp.awsapps.com/start" in text
    assert "present, expires in 1h00m" in text
    assert "refresh token" in text
    assert "\x1b[" not in text


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli_env(env: dict[str, str], home: Path) -> dict[str, str]:
    return minimal_env(home, AWSENV_SHELL="bash")


def test_explain_prints_the_report_on_stdout_and_exits_0(cli_env: dict[str, str]) -> None:
    result = run_awsenv(["explain", "top"], cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("profile top  (assume-role)\n")
    assert "flow: MFA code prompt" in result.stdout
    assert "\x1b[" not in result.stdout  # stdout is not a terminal


def test_explain_json_is_one_document(cli_env: dict[str, str]) -> None:
    result = run_awsenv(["explain", "sso", "--json"], cli_env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["profile"] == "sso"
    assert document["sso"]["session"] == "corp"


def test_explain_of_an_unknown_profile_exits_1_with_nothing_on_stdout(
    cli_env: dict[str, str],
) -> None:
    result = run_awsenv(["explain", "statik"], cli_env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "did you mean 'static'" in result.stderr


def test_explain_of_an_unparsable_config_exits_1_naming_the_line(
    cli_env: dict[str, str], home: Path
) -> None:
    write_config(home, "[profile a]\nregion = x\nregion = y\n")
    result = run_awsenv(["explain", "a"], cli_env)
    assert result.returncode == 1
    assert "config:3" in result.stderr


def test_explain_without_a_profile_is_a_usage_error(cli_env: dict[str, str]) -> None:
    assert run_awsenv(["explain"], cli_env).returncode == 2


def test_explain_writes_nothing(cli_env: dict[str, str], home: Path) -> None:
    save_sso_token(dict(os.environ), corp(), 3600)
    past = time.time() - 60
    os.utime(home / ".aws" / "config", (past, past))  # old enough for the index to be written
    before = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    for name in ("static", "sso", "top", "okta", "legacy"):
        assert run_awsenv(["explain", name, "--json"], cli_env).returncode == 0
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == before


def _run_in_pty(args: list[str], env: dict[str, str]) -> str:
    return run_pty([PYTHON, "-I", "-m", "awsenv", *args], env, timeout=60).screen


def test_colour_only_on_a_terminal_and_never_with_no_color(cli_env: dict[str, str]) -> None:
    cli_env["TERM"] = "xterm"
    assert "\x1b[" in _run_in_pty(["explain", "top"], cli_env)
    cli_env["NO_COLOR"] = "1"
    assert "\x1b[" not in _run_in_pty(["explain", "top"], cli_env)


PROBE = """
import io, sys
from awsenv import cli
real, sys.stdout = sys.stdout, io.StringIO()
codes = [cli.main(args) for args in ARGS]
sys.stdout = real
real.write(repr({"codes": codes, "modules": sorted(sys.modules)}))
"""

NEVER = {"boto3", "botocore", "s3transfer", "urllib3", "http.client", "socket", "ssl", "psutil"}


def test_explain_and_doctor_never_import_boto3_or_network_modules(
    cli_env: dict[str, str],
) -> None:
    save_sso_token(dict(os.environ), corp(), 3600)
    args = [["explain", name] for name in ("static", "sso", "legacy", "top", "on-sso", "okta")]
    args += [["explain", "web", "--json"], ["doctor"], ["doctor", "--json"]]
    result = subprocess.run(
        [PYTHON, "-I", "-c", PROBE.replace("ARGS", repr(args))],
        env=cli_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = ast.literal_eval(result.stdout)
    assert data["codes"][:7] == [0] * 7
    assert not (set(data["modules"]) & NEVER), set(data["modules"]) & NEVER
