"""SSO caches: the same files, names and formats as botocore and the AWS CLI v2, both directions."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from awsenv import cache, paths, timefmt
from awsenv.errors import AwsenvError
from awsenv.exports import Keys
from awsenv.sso import tokens
from tests.helpers import REPO

START_URL = "https://d-1234567890.awsapps.com/start"
SESSION = tokens.SsoSession("my-sso", START_URL, "us-east-1", None)
LEGACY = tokens.SsoSession(None, START_URL, "us-east-1", None)
ACCOUNT, ROLE = "111122223333", "Admin"

CONFIG = f"""\
[profile dev]
sso_session = my-sso
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
region = eu-west-1

[profile legacy]
sso_start_url = {START_URL}
sso_region = us-east-1
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}

[sso-session my-sso]
sso_start_url = {START_URL}
sso_region = us-east-1
"""


@pytest.fixture
def environ(home):
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text(CONFIG)
    return dict(os.environ)


def now() -> int:
    return int(time.time())


def make_token(expires_in: int = 3600, **changes) -> tokens.Token:
    values = {
        "access_token": "access-SECRET",
        "expires_at": now() + expires_in,
        "refresh_token": "refresh-SECRET",
        "client_id": "client-id",
        "client_secret": "client-SECRET",
        "registration_expires_at": now() + 90 * 86400,
        "start_url": START_URL,
        "region": "us-east-1",
    }
    values.update(changes)
    return tokens.Token(**values)


def age(path, seconds: int = 60) -> None:
    """Make a file look older than the memo's racy window."""
    past = time.time() - seconds
    os.utime(path, (past, past))


# --- names -----------------------------------------------------------------------------------


def test_token_file_names_follow_botocores_key_rule(environ):
    from botocore.utils import SSOTokenLoader

    loader = SSOTokenLoader()
    for sess in (SESSION, LEGACY, tokens.SsoSession(None, START_URL + "/", "us-east-1")):
        expected = loader._generate_cache_key(sess.start_url, sess.name) + ".json"
        path = tokens.token_path(environ, sess)
        assert os.path.basename(path) == expected
        assert os.path.dirname(path) == os.path.join(os.environ["HOME"], ".aws", "sso", "cache")
    # known answers: sha1("my-sso") and sha1 of the start URL as configured (botocore's
    # SSOTokenLoader._generate_cache_key)
    assert tokens.token_path(environ, SESSION).endswith(
        "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
    )
    assert tokens.token_path(environ, LEGACY).endswith(
        "7487b5b67d5fa1132cf33fa93ae51ef38cc37752.json"
    )


def test_role_credential_file_names_follow_ssocredentialfetchers_key(environ):
    from botocore.credentials import SSOCredentialFetcher

    for sess in (SESSION, LEGACY):
        fetcher = SSOCredentialFetcher(
            sess.start_url,
            sess.region,
            ROLE,
            ACCOUNT,
            client_creator=None,
            sso_session_name=sess.name,
        )
        path = tokens.role_credentials_path(environ, sess, ACCOUNT, ROLE)
        assert os.path.basename(path) == fetcher._cache_key + ".json"
        assert os.path.dirname(path) == os.path.join(os.environ["HOME"], ".aws", "cli", "cache")
    assert tokens.role_credentials_path(environ, SESSION, ACCOUNT, ROLE).endswith(
        "360f093cdc0bddf23eecc38b9cb6222fca5a195a.json"
    )


def cli_registration_key(start_url, region, scopes, session_name):
    """AWS CLI v2 ``BaseSSOTokenFetcher._registration_cache_key`` (awscli/botocore/utils.py)."""
    args = {
        "tool": "botocore",
        "startUrl": start_url,
        "region": region,
        "scopes": scopes,
        "session_name": session_name,
    }
    return hashlib.sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest()


@pytest.mark.parametrize("scopes", [None, [], ["sso:account:access"], ["a", "b:c"]])
@pytest.mark.parametrize("name", ["my-sso", None])
def test_registration_file_names_follow_the_clis_key(environ, scopes, name):
    sess = tokens.SsoSession(name, START_URL, "us-east-1", scopes)
    path = tokens.registration_path(environ, sess)
    assert (
        os.path.basename(path)
        == cli_registration_key(START_URL, "us-east-1", scopes, name) + ".json"
    )
    assert path != tokens.token_path(environ, sess)


# --- sessions from config --------------------------------------------------------------------


def test_session_for_profile_reads_the_sso_session_section():
    sections = {
        "my-sso": {
            "sso_start_url": START_URL,
            "sso_region": "eu-west-1",
            "sso_registration_scopes": " sso:account:access, ,b ,",
        }
    }
    sess = tokens.session_for_profile({"sso_session": "my-sso"}, sections.get)
    assert (sess.name, sess.start_url, sess.region) == ("my-sso", START_URL, "eu-west-1")
    assert sess.scopes == ["sso:account:access", "b"]
    assert sess.refreshable
    assert sess.cache_key == "my-sso"


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("", []), (" , ", []), ("a", ["a"])])
def test_scopes_absent_is_none_and_empty_is_an_empty_list_as_in_the_cli(raw, expected):
    section = {"sso_start_url": START_URL, "sso_region": "us-east-1"}
    if raw is not None:
        section["sso_registration_scopes"] = raw
    sess = tokens.session_for_profile({"sso_session": "s"}, {"s": section}.get)
    assert sess.scopes == expected


def test_session_for_a_legacy_profile():
    sess = tokens.session_for_profile(
        {"sso_start_url": START_URL + "/", "sso_region": "us-east-1"}, {}.get
    )
    assert sess.name is None
    assert sess.start_url == START_URL + "/"  # exactly as configured
    assert sess.scopes is None
    assert not sess.refreshable
    assert sess.cache_key == START_URL + "/"


@pytest.mark.parametrize(
    ("section", "sessions"),
    [
        ({"sso_session": "nope"}, {}),
        ({"sso_session": "s"}, {"s": {"sso_region": "us-east-1"}}),
        ({"sso_start_url": START_URL}, {}),
        ({}, {}),
    ],
)
def test_incomplete_config_raises_an_awsenv_error(section, sessions):
    with pytest.raises(AwsenvError):
        tokens.session_for_profile(section, sessions.get)


# --- tokens: awsenv writes, botocore reads ---------------------------------------------------


def test_saved_token_has_the_clis_keys_order_and_format(environ):
    token = make_token()
    tokens.save_token(environ, SESSION, token)
    path = tokens.token_path(environ, SESSION)
    with open(path, encoding="utf-8") as handle:
        raw = handle.read()
    data = json.loads(raw)
    assert list(data) == [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ]
    assert data["expiresAt"] == timefmt.format_z(token.expires_at)
    assert data["expiresAt"].endswith("Z")
    assert len(data["expiresAt"]) == 20
    from botocore.tokens import _sso_json_dumps

    assert raw == _sso_json_dumps(data)  # byte for byte what botocore's writer produces


def test_no_refresh_token_no_key(environ):
    tokens.save_token(environ, SESSION, make_token(refresh_token=None))
    data = cache.read_json(tokens.token_path(environ, SESSION))
    assert data is not None
    assert "refreshToken" not in data


def test_botocore_loads_a_token_awsenv_wrote(environ):
    from botocore.utils import JSONFileCache, SSOTokenLoader

    token = make_token()
    for sess in (SESSION, LEGACY):
        tokens.save_token(environ, sess, token)
        loader = SSOTokenLoader(cache=JSONFileCache(tokens.sso_cache_dir(environ)))
        loaded = loader(sess.start_url, session_name=sess.name)
        assert loaded["accessToken"] == token.access_token
        assert timefmt.parse_timestamp(loaded["expiresAt"]) == token.expires_at


def botocore_session(profile: str):
    import botocore.session

    return botocore.session.Session(profile=profile)


def test_botocores_refreshing_token_provider_uses_a_token_awsenv_wrote(environ):
    from botocore.tokens import SSOTokenProvider, _sso_json_dumps
    from botocore.utils import JSONFileCache

    token = make_token(expires_in=3600)
    tokens.save_token(environ, SESSION, token)
    provider = SSOTokenProvider(
        botocore_session("dev"),
        cache=JSONFileCache(tokens.sso_cache_dir(environ), dumps_func=_sso_json_dumps),
        profile_name="dev",
    )
    frozen = provider.load_token().get_frozen_token()
    assert frozen.token == token.access_token
    assert int(frozen.expiration.timestamp()) == token.expires_at


def test_botocore_refreshes_a_token_awsenv_wrote_and_awsenv_reads_the_result(environ):
    """A token 5 minutes from expiry: botocore refreshes it with awsenv's refresh fields and
    rewrites the file with its own serialiser; awsenv then reads botocore's file."""
    from botocore.stub import Stubber
    from botocore.tokens import SSOTokenProvider, _sso_json_dumps
    from botocore.utils import JSONFileCache

    old = make_token(expires_in=300)
    tokens.save_token(environ, SESSION, old)
    provider = SSOTokenProvider(
        botocore_session("dev"),
        cache=JSONFileCache(tokens.sso_cache_dir(environ), dumps_func=_sso_json_dumps),
        profile_name="dev",
    )
    with Stubber(provider._client) as stubber:
        stubber.add_response(
            "create_token",
            {
                "accessToken": "new-access",
                "expiresIn": 28800,
                "refreshToken": "new-refresh",
                "tokenType": "Bearer",
            },
            {
                "grantType": "refresh_token",
                "clientId": old.client_id,
                "clientSecret": old.client_secret,
                "refreshToken": old.refresh_token,
            },
        )
        frozen = provider.load_token().get_frozen_token()
        stubber.assert_no_pending_responses()
    assert frozen.token == "new-access"
    loaded = tokens.load_token(environ, SESSION)
    assert loaded is not None
    assert loaded.access_token == "new-access"
    assert loaded.refresh_token == "new-refresh"
    assert abs(loaded.expires_at - (now() + 28800)) <= 5
    assert loaded.client_id == old.client_id
    assert loaded.registration_expires_at == old.registration_expires_at
    status = tokens.token_status(environ, SESSION)
    assert status is not None
    assert status.expires_at == loaded.expires_at
    assert status.refreshable


def test_awsenv_reads_a_token_written_by_botocores_cache_with_datetimes(environ):
    from botocore.tokens import _sso_json_dumps
    from botocore.utils import JSONFileCache

    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=8)
    registration = expires + timedelta(days=90)
    key = os.path.basename(tokens.token_path(environ, SESSION))[:-5]
    JSONFileCache(tokens.sso_cache_dir(environ), dumps_func=_sso_json_dumps)[key] = {
        "startUrl": START_URL,
        "region": "us-east-1",
        "accessToken": "a",
        "expiresAt": expires,
        "clientId": "c",
        "clientSecret": "s",
        "registrationExpiresAt": registration,
        "refreshToken": "r",
    }
    loaded = tokens.load_token(environ, SESSION)
    assert loaded is not None
    assert loaded.expires_at == int(expires.timestamp())
    assert loaded.registration_expires_at == int(registration.timestamp())
    assert loaded.refreshable


def test_token_fields_are_read_from_any_iso_form(environ):
    path = tokens.token_path(environ, SESSION)
    cache.write_json(path, {"accessToken": "a", "expiresAt": "2026-11-23T14:42:21.000+00:00"})
    loaded = tokens.load_token(environ, SESSION)
    assert loaded is not None
    assert loaded.expires_at == timefmt.parse_timestamp("2026-11-23T14:42:21Z")
    assert loaded.refresh_token is None
    assert not loaded.refreshable
    assert (loaded.start_url, loaded.region) == (START_URL, "us-east-1")  # from the session


TORN = [
    b"",
    b"{",
    b"[]",
    b"null",
    b'{"accessToken": "a"}',
    b'{"expiresAt": "2026-11-23T14:42:21Z"}',
    b'{"accessToken": "", "expiresAt": "2026-11-23T14:42:21Z"}',
    b'{"accessToken": 5, "expiresAt": "2026-11-23T14:42:21Z"}',
    b'{"accessToken": "a", "expiresAt": 5}',
    b'{"accessToken": "a", "expiresAt": "tomorrow"}',
    b'{"accessToken": "a", "expiresAt": "2026-11-23T14:42:21Z"',
    b'{"accessToken": "\xff", "expiresAt": "2026-11-23T14:42:21Z"}',
]


@pytest.mark.parametrize("content", TORN)
def test_unusable_token_files_are_none_everywhere(environ, content):
    path = tokens.token_path(environ, SESSION)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)
    age(path)
    assert tokens.load_token(environ, SESSION) is None
    assert tokens.token_status(environ, SESSION) is None
    assert tokens.token_status(environ, SESSION) is None  # from the memo this time


def test_every_truncation_of_a_saved_token_is_none(environ):
    tokens.save_token(environ, SESSION, make_token())
    path = tokens.token_path(environ, SESSION)
    with open(path, "rb") as handle:
        full = handle.read()
    for end in range(len(full)):
        with open(path, "wb") as handle:
            handle.write(full[:end])
        assert tokens.load_token(environ, SESSION) is None, end
        assert tokens.token_status(environ, SESSION) is None, end


def test_wrong_types_in_optional_fields_are_dropped_not_fatal(environ):
    path = tokens.token_path(environ, SESSION)
    cache.write_json(
        path,
        {
            "accessToken": "a",
            "expiresAt": "2026-11-23T14:42:21Z",
            "refreshToken": 7,
            "clientId": ["x"],
            "registrationExpiresAt": "no",
        },
    )
    loaded = tokens.load_token(environ, SESSION)
    assert loaded is not None
    assert (loaded.refresh_token, loaded.client_id, loaded.registration_expires_at) == (None,) * 3


def test_missing_token_is_none(environ):
    assert tokens.load_token(environ, SESSION) is None
    assert tokens.token_status(environ, SESSION) is None
    assert tokens.remove_token(environ, SESSION) is False


def test_remove_token(environ):
    tokens.save_token(environ, SESSION, make_token())
    assert tokens.remove_token(environ, SESSION) is True
    assert not os.path.exists(tokens.token_path(environ, SESSION))


def test_reprs_hide_secrets():
    token = make_token()
    registration = tokens.Registration(
        client_id="client-id-1234",
        client_secret="client-SECRET",
        expires_at=1,
        scopes=None,
        grant_types=None,
    )
    for shown in (repr(token), repr(registration), repr(tokens.TokenStatus(1, True))):
        assert "SECRET" not in shown
    assert "client-id-1234" not in repr(registration)


# --- token status (hot path) -----------------------------------------------------------------


def test_status_reports_expiry_and_refreshability(environ):
    token = make_token()
    tokens.save_token(environ, SESSION, token)
    status = tokens.token_status(environ, SESSION)
    assert status is not None
    assert (status.expires_at, status.refreshable) == (token.expires_at, True)


@pytest.mark.parametrize(
    ("sess", "changes", "refreshable"),
    [
        (SESSION, {}, True),
        (LEGACY, {}, False),  # botocore never refreshes legacy profiles
        (SESSION, {"refresh_token": None}, False),
        (SESSION, {"client_secret": None}, False),
        (SESSION, {"registration_expires_at": None}, False),
        (SESSION, {"registration_expires_at": 1000}, False),  # registration expired
    ],
)
def test_refreshable_needs_everything_botocores_refresh_needs(environ, sess, changes, refreshable):
    tokens.save_token(environ, sess, make_token(expires_in=-60, **changes))
    path = tokens.token_path(environ, sess)
    age(path)
    for _ in range(2):  # parsed, then from the memo
        status = tokens.token_status(environ, sess)
        assert status is not None
        assert status.refreshable is refreshable


def test_registration_expiry_is_judged_at_call_time_not_memo_time(environ):
    registration_end = now() + 3600
    tokens.save_token(environ, SESSION, make_token(registration_expires_at=registration_end))
    age(tokens.token_path(environ, SESSION))
    assert tokens.token_status(environ, SESSION).refreshable
    later = tokens.token_status(environ, SESSION, now=registration_end + 1)
    assert later is not None
    assert not later.refreshable


def test_renewable_until_never_gives_the_registrations_end(environ):
    # IAM Identity Center does not tell clients when a session ends: without
    # awsenv_session_duration the answer is "renews, end unknown", not the 90-day registration
    tokens.save_token(environ, SESSION, make_token())
    assert tokens.renewable_until(environ, SESSION, {}, now()) == "session"
    # with the setting, that long after awsenv's own sign-in (bounded by the registration)
    signed_in = now() - 3600
    tokens.record_login(environ, SESSION, signed_in)
    hours = {"awsenv_session_duration": "8h"}
    assert tokens.renewable_until(environ, SESSION, hours, now()) == signed_in + 8 * 3600
    # a session that cannot refresh its token renews nothing
    tokens.save_token(environ, SESSION, make_token(refresh_token=None))
    age(tokens.token_path(environ, SESSION))
    assert tokens.renewable_until(environ, SESSION, {}, now()) is None


def memo_files(environ) -> list[str]:
    directory = os.path.join(paths.cache_dir(environ), "sso-status")
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def test_memo_is_written_for_settled_files_only(environ):
    tokens.save_token(environ, SESSION, make_token())
    assert tokens.token_status(environ, SESSION) is not None
    assert memo_files(environ) == []  # just written: may still change within the mtime granularity
    age(tokens.token_path(environ, SESSION))
    assert tokens.token_status(environ, SESSION) is not None
    names = memo_files(environ)
    assert len(names) == 1
    memo = os.path.join(paths.cache_dir(environ), "sso-status", names[0])
    assert os.stat(memo).st_mode & 0o777 == 0o600
    with open(memo, "rb") as handle:
        assert b"SECRET" not in handle.read()


def test_a_changed_token_file_invalidates_the_memo(environ):
    path = tokens.token_path(environ, SESSION)
    first = make_token(expires_in=3600)
    tokens.save_token(environ, SESSION, first)
    age(path, 120)
    assert tokens.token_status(environ, SESSION).expires_at == first.expires_at
    second = make_token(expires_in=7200)
    tokens.save_token(environ, SESSION, second)
    age(path, 60)
    assert tokens.token_status(environ, SESSION).expires_at == second.expires_at
    os.remove(path)
    assert tokens.token_status(environ, SESSION) is None


def test_a_damaged_memo_is_ignored_and_replaced(environ):
    tokens.save_token(environ, SESSION, make_token())
    age(tokens.token_path(environ, SESSION))
    tokens.token_status(environ, SESSION)
    memo = os.path.join(paths.cache_dir(environ), "sso-status", memo_files(environ)[0])
    for junk in (b"", b"\x00garbage", b"\xff" * 10):
        with open(memo, "wb") as handle:
            handle.write(junk)
        status = tokens.token_status(environ, SESSION)
        assert status is not None
        assert status.refreshable


def test_a_read_only_cache_dir_does_not_break_status(environ):
    blocker = paths.cache_dir(environ)
    os.makedirs(os.path.dirname(blocker), exist_ok=True)
    with open(blocker, "w") as handle:  # a file where the cache directory should be
        handle.write("")
    tokens.save_token(environ, SESSION, make_token())
    age(tokens.token_path(environ, SESSION))
    assert tokens.token_status(environ, SESSION) is not None


STATUS_PROBE = """
import sys
from awsenv.sso import tokens
sess = tokens.SsoSession("my-sso", sys.argv[1], "us-east-1", None)
import os
status = tokens.token_status(dict(os.environ), sess)
print(repr({"expires_at": status.expires_at if status else None,
            "modules": sorted(sys.modules)}))
"""


def probe_status(environ):
    result = subprocess.run(
        [sys.executable, "-I", "-c", STATUS_PROBE, START_URL],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=REPO,
    )
    return ast.literal_eval(result.stdout)


def test_a_memo_hit_does_not_import_json(environ):
    token = make_token()
    tokens.save_token(environ, SESSION, token)
    age(tokens.token_path(environ, SESSION))
    first = probe_status(environ)  # parses the file and writes the memo
    assert first["expires_at"] == token.expires_at
    assert "json" in first["modules"]
    second = probe_status(environ)
    assert second["expires_at"] == token.expires_at
    heavy = {
        "json",
        "re",
        "hashlib",
        "datetime",
        "typing",
        "dataclasses",
        "enum",
        "pathlib",
        "tempfile",
        "botocore",
    }
    assert heavy.isdisjoint(second["modules"]), heavy & set(second["modules"])


def test_importing_the_cache_modules_is_cheap():
    code = (
        "import sys\nimport awsenv.cache, awsenv.timefmt, awsenv.sso.tokens\n"
        "print(repr(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=REPO,
    )
    loaded = set(ast.literal_eval(result.stdout))
    heavy = {
        "json",
        "re",
        "hashlib",
        "datetime",
        "typing",
        "dataclasses",
        "enum",
        "pathlib",
        "tempfile",
        "fcntl",
        "contextlib",
    }
    assert heavy.isdisjoint(loaded), heavy & loaded


# --- registrations ---------------------------------------------------------------------------


def registration(expires_in: int = 90 * 86400, *, pkce: bool, scopes=None) -> tokens.Registration:
    return tokens.Registration(
        client_id="cid",
        client_secret="csecret",
        expires_at=now() + expires_in,
        scopes=scopes if scopes is not None else (["sso:account:access"] if pkce else None),
        grant_types=("authorization_code", "refresh_token") if pkce else None,
    )


def test_registration_round_trip_and_cli_format(environ):
    reg = registration(pkce=True)
    tokens.save_registration(environ, SESSION, reg)
    data = cache.read_json(tokens.registration_path(environ, SESSION))
    assert data == {
        "clientId": "cid",
        "clientSecret": "csecret",
        "expiresAt": timefmt.format_z(reg.expires_at),
        "scopes": ["sso:account:access"],
        "grantTypes": ["authorization_code", "refresh_token"],
    }
    assert list(data) == ["clientId", "clientSecret", "expiresAt", "scopes", "grantTypes"]
    loaded = tokens.load_registration(environ, SESSION, pkce=True)
    assert loaded is not None
    assert (loaded.client_id, loaded.client_secret, loaded.expires_at) == (
        "cid",
        "csecret",
        reg.expires_at,
    )
    assert loaded.grant_types == ["authorization_code", "refresh_token"]


def test_device_registration_has_no_grant_types_and_scopes_only_when_sent(environ):
    tokens.save_registration(environ, SESSION, registration(pkce=False))
    data = cache.read_json(tokens.registration_path(environ, SESSION))
    assert set(data) == {"clientId", "clientSecret", "expiresAt"}
    tokens.save_registration(environ, SESSION, registration(pkce=False, scopes=["x"]))
    data = cache.read_json(tokens.registration_path(environ, SESSION))
    assert data["scopes"] == ["x"]
    assert "grantTypes" not in data


def test_each_flow_refuses_the_other_flows_registration(environ):
    tokens.save_registration(environ, SESSION, registration(pkce=True))
    assert tokens.load_registration(environ, SESSION, pkce=False) is None
    tokens.save_registration(environ, SESSION, registration(pkce=False))
    assert tokens.load_registration(environ, SESSION, pkce=True) is None
    assert tokens.load_registration(environ, SESSION, pkce=False) is not None


def test_a_registration_with_less_than_15_minutes_left_is_not_reused(environ):
    reg = registration(pkce=False)
    tokens.save_registration(environ, SESSION, reg)
    assert (
        tokens.load_registration(environ, SESSION, pkce=False, now=reg.expires_at - 15 * 60)
        is not None
    )
    assert (
        tokens.load_registration(environ, SESSION, pkce=False, now=reg.expires_at - 15 * 60 + 1)
        is None
    )


def test_reads_a_registration_the_cli_wrote(environ):
    """The CLI serialises its registration dict with _sso_json_dumps (datetime → …Z)."""
    from botocore.tokens import _sso_json_dumps
    from botocore.utils import JSONFileCache

    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=90)
    key = os.path.basename(tokens.registration_path(environ, SESSION))[:-5]
    JSONFileCache(tokens.sso_cache_dir(environ), dumps_func=_sso_json_dumps)[key] = {
        "clientId": "cid",
        "clientSecret": "cs",
        "expiresAt": expires,
        "scopes": ["sso:account:access"],
        "grantTypes": ("authorization_code", "refresh_token"),
    }
    loaded = tokens.load_registration(environ, SESSION, pkce=True)
    assert loaded is not None
    assert loaded.expires_at == int(expires.timestamp())


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b'{"clientId": "c"}', b'{"clientId": "c", "clientSecret": "s", "expiresAt": 1}'],
)
def test_unusable_registration_files_are_none(environ, content):
    path = tokens.registration_path(environ, SESSION)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)
    assert tokens.load_registration(environ, SESSION, pkce=False) is None


# --- role credentials ------------------------------------------------------------------------


def keys(expires_in: int = 3600) -> Keys:
    return Keys("ASIAEXAMPLE", "secret-SECRET", "session-SECRET", now() + expires_in)


def no_network(*args, **kwargs):
    raise AssertionError("botocore tried to call AWS instead of using the cache")


@pytest.mark.parametrize("sess", [SESSION, LEGACY])
def test_botocores_fetcher_reuses_role_credentials_awsenv_wrote(environ, sess):
    from botocore.credentials import SSOCredentialFetcher
    from botocore.utils import JSONFileCache

    saved = keys()
    tokens.save_role_credentials(environ, sess, ACCOUNT, ROLE, saved)
    data = cache.read_json(tokens.role_credentials_path(environ, sess, ACCOUNT, ROLE))
    assert data["ProviderType"] == "sso"
    assert list(data["Credentials"]) == [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
        "AccountId",
    ]
    fetcher = SSOCredentialFetcher(
        sess.start_url,
        sess.region,
        ROLE,
        ACCOUNT,
        client_creator=no_network,
        token_loader=no_network,
        cache=JSONFileCache(tokens.cli_cache_dir(environ)),
        sso_session_name=sess.name,
    )
    fetched = fetcher.fetch_credentials()
    assert (fetched["access_key"], fetched["secret_key"], fetched["token"]) == (
        saved.access_key_id,
        saved.secret_access_key,
        saved.session_token,
    )
    assert fetched["account_id"] == ACCOUNT


def test_a_botocore_session_with_the_clis_cache_uses_awsenvs_entry(environ):
    from botocore.utils import JSONFileCache

    saved = keys()
    tokens.save_role_credentials(environ, SESSION, ACCOUNT, ROLE, saved)
    session = botocore_session("dev")
    resolver = session.get_component("credential_provider")
    resolver.get_provider("sso").cache = JSONFileCache(tokens.cli_cache_dir(environ))
    frozen = session.get_credentials().get_frozen_credentials()
    assert frozen.access_key == saved.access_key_id
    assert frozen.token == saved.session_token


def test_awsenv_reads_role_credentials_botocores_fetcher_wrote(environ):
    from botocore.credentials import SSOCredentialFetcher
    from botocore.stub import Stubber
    from botocore.utils import JSONFileCache

    session = botocore_session("dev")
    expires_ms = (now() + 3600) * 1000
    client = session.create_client("sso", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "get_role_credentials",
        {
            "roleCredentials": {
                "accessKeyId": "ASIABOTO",
                "secretAccessKey": "s",
                "sessionToken": "t",
                "expiration": expires_ms,
            }
        },
        {"roleName": ROLE, "accountId": ACCOUNT, "accessToken": "access"},
    )
    stubber.activate()
    fetcher = SSOCredentialFetcher(
        START_URL,
        "us-east-1",
        ROLE,
        ACCOUNT,
        client_creator=lambda *a, **k: client,
        token_loader=lambda *a, **k: {
            "accessToken": "access",
            "expiresAt": timefmt.format_z(now() + 3600),
        },
        cache=JSONFileCache(tokens.cli_cache_dir(environ)),
    )
    fetcher.fetch_credentials()
    stubber.assert_no_pending_responses()
    loaded = tokens.load_role_credentials(environ, LEGACY, ACCOUNT, ROLE)
    assert loaded is not None
    assert (loaded.access_key_id, loaded.secret_access_key, loaded.session_token) == (
        "ASIABOTO",
        "s",
        "t",
    )
    assert loaded.expiration == expires_ms // 1000


def test_awsenv_reads_an_entry_written_with_the_default_serialiser(environ):
    from botocore.utils import JSONFileCache

    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    key = os.path.basename(tokens.role_credentials_path(environ, SESSION, ACCOUNT, ROLE))[:-5]
    JSONFileCache(tokens.cli_cache_dir(environ))[key] = {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": "A",
            "SecretAccessKey": "S",
            "SessionToken": "T",
            "Expiration": expires,
            "AccountId": ACCOUNT,
        },
    }
    with open(tokens.role_credentials_path(environ, SESSION, ACCOUNT, ROLE)) as handle:
        raw = handle.read()
    assert 'UTC"' in raw  # the …UTC form
    loaded = tokens.load_role_credentials(environ, SESSION, ACCOUNT, ROLE)
    assert loaded is not None
    assert loaded.expiration == int(expires.timestamp())


def test_role_credentials_need_15_minutes_like_botocore(environ):
    saved = keys()
    tokens.save_role_credentials(environ, SESSION, ACCOUNT, ROLE, saved)
    exp = saved.expiration
    assert tokens.load_role_credentials(environ, SESSION, ACCOUNT, ROLE, now=exp - 900) is not None
    assert tokens.load_role_credentials(environ, SESSION, ACCOUNT, ROLE, now=exp - 899) is None


def test_botocore_agrees_about_an_entry_with_10_minutes_left(environ):
    from botocore.credentials import SSOCredentialFetcher
    from botocore.utils import JSONFileCache

    tokens.save_role_credentials(environ, SESSION, ACCOUNT, ROLE, keys(expires_in=600))
    assert tokens.load_role_credentials(environ, SESSION, ACCOUNT, ROLE) is None
    fetcher = SSOCredentialFetcher(
        START_URL,
        "us-east-1",
        ROLE,
        ACCOUNT,
        client_creator=no_network,
        cache=JSONFileCache(tokens.cli_cache_dir(environ)),
        sso_session_name="my-sso",
    )
    assert fetcher._load_from_cache() is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"[]",
        b'{"Credentials": []}',
        b'{"Credentials": {"AccessKeyId": "A"}}',
        b'{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T",'
        b' "Expiration": "soon"}}',
    ],
)
def test_unusable_role_credential_files_are_none(environ, content):
    path = tokens.role_credentials_path(environ, SESSION, ACCOUNT, ROLE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)
    assert tokens.load_role_credentials(environ, SESSION, ACCOUNT, ROLE) is None


def test_saving_keys_without_expiry_is_refused(environ):
    with pytest.raises(ValueError, match="expiration"):
        tokens.save_role_credentials(environ, SESSION, ACCOUNT, ROLE, Keys("A", "S", "T", None))


def test_remove_sso_role_credentials_removes_only_sso_entries(environ):
    tokens.save_role_credentials(environ, SESSION, ACCOUNT, ROLE, keys())
    tokens.save_role_credentials(environ, LEGACY, ACCOUNT, "Other", keys())
    directory = tokens.cli_cache_dir(environ)
    assume_role = os.path.join(directory, "assume.json")
    cache.write_json(assume_role, {"Credentials": {"AccessKeyId": "A"}})
    torn = os.path.join(directory, "torn.json")
    with open(torn, "w") as handle:
        handle.write('{"ProviderType": "sso"')
    assert tokens.remove_sso_role_credentials(environ) == 2
    assert sorted(os.listdir(directory)) == ["assume.json", "torn.json"]
    assert tokens.remove_sso_role_credentials(environ) == 0


def test_remove_sso_role_credentials_without_a_cache_dir(environ):
    assert tokens.remove_sso_role_credentials(environ) == 0


def test_window_constants_match_botocore():
    from botocore.credentials import CachedCredentialFetcher
    from botocore.tokens import DeferredRefreshableToken, SSOTokenProvider

    from awsenv.providers import entry

    assert tokens.REFRESH_WINDOW == SSOTokenProvider._REFRESH_WINDOW
    assert DeferredRefreshableToken._advisory_refresh_timeout == tokens.REFRESH_WINDOW
    assert DeferredRefreshableToken._mandatory_refresh_timeout == tokens.MANDATORY_REFRESH_WINDOW
    # the one reuse window of every credentials cache (AWS CLI, SSO role, awsenv's SAML keys)
    assert entry.REUSE_WINDOW == CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS
