"""`explain` says what `use` would export; `use` exports exactly that, for every profile kind.

Both read one decision (``plan.decide``) and one resolver (``profiles.walk``); this test keeps
them honest from the outside: the real core, the Identity Center and Okta stand-ins and moto's
STS on loopback, one profile of each kind, `explain --json` first and `use` after.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests.e2e.test_saml_core import provider_arn, role_arn, saml_response
from tests.helpers import run_awsenv, write_config
from tests.standin.okta import OktaStandIn
from tests.worlds import SSO_CONFIG

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::123456789012:role/"
PROCESS_JSON = json.dumps(
    {"Version": 1, "AccessKeyId": "AKIAPROCESS", "SecretAccessKey": "process-secret"}
)


@pytest.fixture
def okta(moto_sts):
    standin = OktaStandIn(
        roles=[(role_arn("123456789012", "OktaAdmin"), provider_arn("123456789012"))]
    )
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def parity(world, okta):
    home = world.home
    (home / "web-token").write_text("a-web-identity-token")
    (home / "assertion.b64").write_text(
        saml_response([f"{role_arn('123456789012', 'SamlAdmin')},{provider_arn('123456789012')}"])
    )
    (home / "process.py").write_text(f"print({PROCESS_JSON!r})\n")
    process = f"{sys.executable} {home / 'process.py'}"
    okta_keys = "".join(f"{k} = {v}\n" for k, v in okta.profile().items())
    write_config(
        home,
        SSO_CONFIG
        + f"""
[profile static]
aws_access_key_id = AKIASTATICEXAMPLE
aws_secret_access_key = static-secret
region = eu-west-1

[profile role]
role_arn = {ROLE}Plain
source_profile = static
region = us-east-1

[profile role-deep]
role_arn = {ROLE}Deep
source_profile = role
region = us-east-1

[profile role-mfa]
role_arn = {ROLE}WithMfa
source_profile = static
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = us-east-1

[profile role-on-sso]
role_arn = {ROLE}OnSso
source_profile = dev
region = us-east-1

[profile web]
role_arn = {ROLE}Web
web_identity_token_file = {home / "web-token"}
region = us-east-1

[profile web-missing]
role_arn = {ROLE}WebMissing
web_identity_token_file = {home / "no-such-token"}
region = us-east-1

[profile web-twin]
role_arn = {ROLE}Web
web_identity_token_file = {home / "no-such-token"}
region = us-east-1

[profile process]
credential_process = {process}

[profile saml]
saml_assertion_file = {home / "assertion.b64"}
region = us-east-1

[profile okta]
{okta_keys}region = us-east-1
""",
    )
    # a shell that already exports something else: `clears` has something to say
    return {
        **world.env,
        "AWSENV_SHELL": "bash",
        "AWS_PROFILE": "somewhere-else",
        "AWS_SESSION_TOKEN": "a-stale-token",
    }


def exported(stdout: str) -> tuple[str, set[str], set[str]]:
    """Return the mode, the names set and the names unset by bash code from `use`."""
    names = {
        line.split("=", 1)[0][len("export ") :]
        for line in stdout.splitlines()
        if line.startswith("export ")
    }
    unset = {line[len("unset ") :] for line in stdout.splitlines() if line.startswith("unset ")}
    mode = "keys" if "AWS_ACCESS_KEY_ID" in names else "profile"
    return mode, names, unset


@pytest.mark.parametrize(
    ("profile", "use_args", "works"),
    [
        ("static", [], True),
        ("dev", [], True),  # sso-session, signs in through the scripted browser
        ("legacy", [], True),  # legacy SSO, device code
        ("role", [], True),
        ("role-deep", [], True),
        ("role-mfa", ["--mfa-code", "123456"], True),
        ("role-on-sso", [], True),
        ("web", [], True),
        ("web-missing", [], False),
        ("process", [], True),
        ("saml", [], True),
        ("okta", [], True),
    ],
)
def test_explain_names_exactly_what_use_exports(parity, profile, use_args, works):
    explained = run_awsenv(["explain", profile, "--json"], parity)
    assert explained.returncode in (0, 1), explained.stderr
    said = json.loads(explained.stdout)
    used = run_awsenv(["use", profile, *use_args], parity)
    assert said["ok"] is works, said["problems"]
    assert (used.returncode == 0) is works, used.stderr
    if not works:
        assert used.stdout == ""
        assert used.stderr.count("\n") <= 2, used.stderr  # one line, and a hint
        return
    mode, names, unset = exported(used.stdout)
    assert said["exports"]["mode"] == mode
    assert set(said["exports"]["set"]) == names
    assert set(said["exports"]["clears"]) == unset


def test_a_missing_token_file_with_a_cached_role_session_works_and_explain_agrees(parity):
    # web-twin names the same role as web, so web's cached session serves it (botocore's cache
    # key is the role, not the profile): `use` works, and explain must not say it would fail.
    assert run_awsenv(["use", "web"], parity).returncode == 0
    said = json.loads(run_awsenv(["explain", "web-twin", "--json"], parity).stdout)
    used = run_awsenv(["use", "web-twin"], parity)
    assert used.returncode == 0, used.stderr
    assert said["ok"] is True, said["problems"]
    assert [p["severity"] for p in said["problems"]] == ["warning"]
    assert "no-such-token" in said["problems"][0]["message"]
    assert said["login"]["steps"][0]["action"] == "use-cache"
    assert set(said["exports"]["set"]) == exported(used.stdout)[1]


def test_a_missing_web_identity_token_file_is_one_line_naming_the_profile_and_the_file(parity):
    # it used to be "unexpected FileNotFoundError ... this is a bug in awsenv" (issue 15)
    used = run_awsenv(["use", "web-missing"], parity)
    assert used.returncode == 1
    first = used.stderr.splitlines()[0]
    assert first.startswith("awsenv: profile 'web-missing': web_identity_token_file ")
    assert "no-such-token" in first
    assert "bug" not in used.stderr
