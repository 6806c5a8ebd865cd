"""The AssumeRole cache in ~/.aws/cli/cache: botocore's file names and JSON shape, both ways."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import stat
import time
from pathlib import Path

import pytest
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    AssumeRoleWithWebIdentityCredentialFetcher,
    Credentials,
)
from botocore.utils import JSONFileCache

from awsenv.providers import rolecache
from awsenv.sso.tokens import cli_cache_dir
from tests.helpers import HOSTILE

ROLE = "arn:aws:iam::111111111111:role/deploy"
UTC = datetime.timezone.utc


def _no_client(*args, **kwargs):
    raise AssertionError("botocore tried to call STS: the cache entry was not used")


def botocore_extra_args(section):
    """Build extra_args exactly as botocore's AssumeRoleProvider._load_creds_via_assume_role."""
    extra = {}
    if section.get("role_session_name") is not None:
        extra["RoleSessionName"] = section["role_session_name"]
    if section.get("external_id") is not None:
        extra["ExternalId"] = section["external_id"]
    if section.get("mfa_serial") is not None:
        extra["SerialNumber"] = section["mfa_serial"]
    if section.get("duration_seconds") is not None:
        with contextlib.suppress(ValueError):
            extra["DurationSeconds"] = int(section["duration_seconds"])
    return extra


def botocore_fetcher(section, cache=None):
    return AssumeRoleCredentialFetcher(
        client_creator=_no_client,
        source_credentials=Credentials("AKIDSOURCE", "source-secret"),
        role_arn=section["role_arn"],
        extra_args=botocore_extra_args(section),
        mfa_prompter=lambda prompt: pytest.fail("botocore asked for an MFA code"),
        cache=cache,
    )


def botocore_web_identity_fetcher(section, cache=None):
    extra = {}
    if section.get("role_session_name") is not None:
        extra["RoleSessionName"] = section["role_session_name"]
    return AssumeRoleWithWebIdentityCredentialFetcher(
        client_creator=_no_client,
        web_identity_token_loader=lambda: "a-token",
        role_arn=section["role_arn"],
        extra_args=extra,
        cache=cache,
    )


ROLE_CONFIGS = [
    {"role_arn": ROLE},
    {"role_arn": ROLE, "role_session_name": "alice"},
    {"role_arn": ROLE, "role_session_name": ""},
    {"role_arn": ROLE, "external_id": "ext-123"},
    {"role_arn": ROLE, "external_id": ""},
    {"role_arn": ROLE, "mfa_serial": "arn:aws:iam::123456789012:mfa/alice"},
    {"role_arn": ROLE, "duration_seconds": "3600"},
    {"role_arn": ROLE, "duration_seconds": " 7200 "},
    {"role_arn": ROLE, "duration_seconds": "+900"},
    {"role_arn": ROLE, "duration_seconds": "1_800"},
    {"role_arn": ROLE, "duration_seconds": "one hour"},
    {"role_arn": ROLE, "duration_seconds": "3600.0"},
    {"role_arn": ROLE, "duration_seconds": "\u0663\u0666\u0660\u0660"},  # Arabic-Indic 3600
    {
        "role_arn": ROLE,
        "role_session_name": "alice",
        "external_id": "ext-123",
        "mfa_serial": "arn:aws:iam::123456789012:mfa/alice",
        "duration_seconds": "43200",
        "source_profile": "base",
        "region": "eu-west-1",
    },
    {"role_arn": "arn:aws:iam::111111111111:role/path/with/slashes", "external_id": 'q"uo\\te'},
    {
        "role_arn": ROLE,
        "role_session_name": "\u00e9l\u00e8ve-\U0001f692",
        "external_id": "\x01\x7f",
    },
] + [{"role_arn": ROLE, "external_id": text, "role_session_name": text} for text in HOSTILE]


@pytest.mark.parametrize("section", ROLE_CONFIGS)
def test_the_key_is_botocores_assume_role_key(section):
    assert rolecache.assume_role_cache_key(section) == botocore_fetcher(section)._create_cache_key()


@pytest.mark.parametrize(
    "section",
    [
        {"role_arn": ROLE, "web_identity_token_file": "/t"},
        {"role_arn": ROLE, "web_identity_token_file": "/t", "role_session_name": "ci"},
        {"role_arn": ROLE, "web_identity_token_file": "/t", "role_session_name": ""},
        # the web-identity provider ignores these: they are not in its key
        {
            "role_arn": ROLE,
            "web_identity_token_file": "/t",
            "role_session_name": "ci",
            "external_id": "x",
            "duration_seconds": "900",
            "mfa_serial": "arn:aws:iam::1:mfa/a",
        },
    ],
)
def test_the_key_is_botocores_web_identity_key(section):
    expected = botocore_web_identity_fetcher(section)._create_cache_key()
    assert rolecache.assume_role_cache_key(section) == expected


def test_the_key_matches_the_documented_example():
    section = {
        "role_arn": "arn:aws:iam::111111111111:role/first",
        "role_session_name": "alice",
        "external_id": "ext-123",
        "duration_seconds": "3600",
    }
    text = (
        '{"DurationSeconds": 3600, "ExternalId": "ext-123", '
        '"RoleArn": "arn:aws:iam::111111111111:role/first", "RoleSessionName": "alice"}'
    )
    import hashlib

    assert rolecache.assume_role_cache_key(section) == hashlib.sha1(text.encode()).hexdigest()


def test_a_profile_without_a_role_has_no_key(home):
    with pytest.raises(ValueError, match="role_arn"):
        rolecache.assume_role_cache_key({"aws_access_key_id": "AKID"})
    assert rolecache.cached_role_credentials({"HOME": str(home)}, {"region": "x"}) is None


def test_computing_the_key_does_not_import_json():
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from awsenv.providers import rolecache\n"
        "rolecache.assume_role_cache_key({'role_arn': 'arn:aws:iam::1:role/r',"
        " 'duration_seconds': '900', 'external_id': 'x'})\n"
        "bad = {'json', 'hashlib', 'botocore', 'boto3', 're', 'typing', 'datetime'}\n"
        "print(sorted(bad & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert out.stdout.strip() == "[]"


# --- entries --------------------------------------------------------------------------------


def sts_response(expiration, *, account="111111111111", role="deploy"):
    """What botocore's parser returns for AssumeRole (datetimes are tz-aware UTC)."""
    return {
        "Credentials": {
            "AccessKeyId": "ASIAEXAMPLEKEY",
            "SecretAccessKey": "secret/key+value",
            "SessionToken": "session-token",
            "Expiration": expiration,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": "AROAEXAMPLE:alice",
            "Arn": f"arn:aws:sts::{account}:assumed-role/{role}/alice",
        },
        "PackedPolicySize": 6,
        "ResponseMetadata": {"RequestId": "r-1", "HTTPStatusCode": 200, "RetryAttempts": 0},
    }


def env_for(home):
    return {"HOME": str(home)}


def entry_path(home, section):
    return os.path.join(
        cli_cache_dir(env_for(home)), rolecache.assume_role_cache_key(section) + ".json"
    )


def test_save_writes_what_botocores_json_file_cache_writes(home, tmp_path):
    section = {"role_arn": ROLE, "role_session_name": "alice", "duration_seconds": "3600"}
    expires = datetime.datetime(2031, 11, 23, 7, 41, 30, tzinfo=UTC)
    rolecache.save_role_credentials(env_for(home), section, sts_response(expires))

    # botocore's own writer, given the same answer (its fetcher adds AccountId first)
    theirs = tmp_path / "theirs"
    response = sts_response(expires)
    botocore_fetcher(section)._add_account_id_to_response(response)
    JSONFileCache(str(theirs))[rolecache.assume_role_cache_key(section)] = response

    path = entry_path(home, section)
    ours = json.loads(Path(path).read_text(encoding="utf-8"))
    assert ours == json.loads((theirs / os.path.basename(path)).read_text())
    assert ours["Credentials"]["Expiration"] == "2031-11-23T07:41:30UTC"
    assert ours["Credentials"]["AccountId"] == "111111111111"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_botocore_reuses_an_entry_awsenv_wrote(home):
    section = {"role_arn": ROLE, "mfa_serial": "arn:aws:iam::123456789012:mfa/alice"}
    expires = datetime.datetime.now(UTC) + datetime.timedelta(hours=1)
    rolecache.save_role_credentials(env_for(home), section, sts_response(expires))
    fetcher = botocore_fetcher(section, cache=JSONFileCache(cli_cache_dir(env_for(home))))
    creds = fetcher.fetch_credentials()  # _no_client and the prompter fail if it calls STS
    assert creds["access_key"] == "ASIAEXAMPLEKEY"
    assert creds["secret_key"] == "secret/key+value"
    assert creds["token"] == "session-token"
    assert creds["account_id"] == "111111111111"


def test_awsenv_reads_an_entry_botocore_wrote(home):
    section = {"role_arn": ROLE, "external_id": "ext", "duration_seconds": "7200"}
    expires = datetime.datetime.now(UTC).replace(microsecond=0) + datetime.timedelta(hours=2)
    response = sts_response(expires)
    botocore_fetcher(section)._add_account_id_to_response(response)
    cache = JSONFileCache(cli_cache_dir(env_for(home)))
    cache[rolecache.assume_role_cache_key(section)] = response  # as botocore's fetcher writes
    keys = rolecache.cached_role_credentials(env_for(home), section)
    assert keys is not None
    assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == (
        "ASIAEXAMPLEKEY",
        "secret/key+value",
        "session-token",
    )
    assert keys.expiration == int(expires.timestamp())


@pytest.mark.parametrize(
    "form", ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S+00:00", "%Y-%m-%dT%H:%M:%SUTC"]
)
def test_any_expiration_form_the_tools_write_is_read(home, form):
    section = {"role_arn": ROLE}
    expires = datetime.datetime.now(UTC).replace(microsecond=0) + datetime.timedelta(hours=1)
    path = entry_path(home, section)
    os.makedirs(os.path.dirname(path))
    creds = {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T"}
    creds["Expiration"] = expires.strftime(form)
    with open(path, "w") as f:
        json.dump({"Credentials": creds}, f)
    keys = rolecache.cached_role_credentials(env_for(home), section)
    assert keys is not None
    assert keys.expiration == int(expires.timestamp())


@pytest.mark.parametrize(
    ("minutes_left", "reused"), [(60, True), (15, True), (14.9, False), (10, False), (-5, False)]
)
def test_an_entry_is_reused_only_with_15_minutes_left(home, minutes_left, reused):
    section = {"role_arn": ROLE}
    now = 2_000_000_000
    expires = datetime.datetime.fromtimestamp(now + minutes_left * 60, UTC)
    rolecache.save_role_credentials(env_for(home), section, sts_response(expires))
    keys = rolecache.cached_role_credentials(env_for(home), section, now=now)
    assert (keys is not None) is reused


def test_the_window_is_botocores(home):
    """Same rule both sides: botocore refuses what awsenv refuses (14 minutes left)."""
    section = {"role_arn": ROLE}
    expires = datetime.datetime.now(UTC) + datetime.timedelta(minutes=14)
    rolecache.save_role_credentials(env_for(home), section, sts_response(expires))
    assert rolecache.cached_role_credentials(env_for(home), section) is None
    fetcher = botocore_fetcher(section, cache=JSONFileCache(cli_cache_dir(env_for(home))))
    with pytest.raises(AssertionError, match="tried to call STS"):
        fetcher.fetch_credentials()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b'{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T", "Expi',
        b"[]",
        b"null",
        b'{"Credentials": "nope"}',
        b'{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T"}}',
        b'{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S",'
        b' "Expiration": "2099-01-01T00:00:00Z"}}',
        b'{"Credentials": {"AccessKeyId": "", "SecretAccessKey": "S", "SessionToken": "T",'
        b' "Expiration": "2099-01-01T00:00:00Z"}}',
        b'{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T",'
        b' "Expiration": "soon"}}',
        b"\xff\xfe garbage",
    ],
)
def test_a_torn_or_foreign_entry_is_absent(home, content):
    section = {"role_arn": ROLE}
    path = entry_path(home, section)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)
    assert rolecache.cached_role_credentials(env_for(home), section) is None
    cli_cache = rolecache.CliCache(env_for(home))
    assert rolecache.assume_role_cache_key(section) not in cli_cache
    with pytest.raises(KeyError):
        cli_cache[rolecache.assume_role_cache_key(section)]


def test_a_directory_at_the_entry_path_is_absent(home):
    section = {"role_arn": ROLE}
    os.makedirs(entry_path(home, section))
    assert rolecache.cached_role_credentials(env_for(home), section) is None


def test_the_cli_cache_object_round_trips_through_botocores_fetcher(home):
    """botocore writes through CliCache (atomic 0600, …UTC) and reads its own entry back."""
    section = {"role_arn": ROLE, "role_session_name": "alice"}
    expires = datetime.datetime.now(UTC).replace(microsecond=0) + datetime.timedelta(hours=1)
    cli_cache = rolecache.CliCache(env_for(home))

    calls = []

    class Client:
        def assume_role(self, **kwargs):
            calls.append(kwargs)
            return sts_response(expires)

    def creator(*args, **kwargs):
        return Client()

    fetcher = AssumeRoleCredentialFetcher(
        creator,
        Credentials("A", "S"),
        ROLE,
        extra_args={"RoleSessionName": "alice"},
        cache=cli_cache,
    )
    first = fetcher.fetch_credentials()
    second = fetcher.fetch_credentials()
    assert len(calls) == 1
    # the second answer comes from the file: the same keys, the expiry as text (as with
    # JSONFileCache, which botocore parses with dateutil)
    assert {k: v for k, v in first.items() if k != "expiry_time"} == {
        k: v for k, v in second.items() if k != "expiry_time"
    }
    assert second["expiry_time"] == first["expiry_time"].replace("+00:00", "UTC")
    path = entry_path(home, section)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = json.loads(Path(path).read_text(encoding="utf-8"))
    assert stored["Credentials"]["Expiration"].endswith("UTC")
    keys = rolecache.cached_role_credentials(env_for(home), section)
    assert keys is not None
    assert keys.expiration == int(expires.timestamp())
    del cli_cache[rolecache.assume_role_cache_key(section)]
    assert not os.path.exists(path)


def test_keys_repr_hides_the_secret(home):
    section = {"role_arn": ROLE}
    expires = datetime.datetime.fromtimestamp(time.time() + 3600, UTC)
    rolecache.save_role_credentials(env_for(home), section, sts_response(expires))
    keys = rolecache.cached_role_credentials(env_for(home), section)
    assert "secret" not in repr(keys)
    assert "session-token" not in repr(keys)


@pytest.mark.parametrize(
    ("arn", "account"),
    [
        ("arn:aws:sts::111111111111:assumed-role/r/s", "111111111111"),
        ("arn:aws-cn:sts::222222222222:assumed-role/r/s:with:colons", "222222222222"),
        ("arn:aws:sts::1", None),
        ("not-an-arn", None),
        (None, None),
    ],
)
def test_account_id_is_parsed_as_botocores_arn_parser(arn, account):
    from botocore.utils import ArnParser

    assert rolecache.account_from_arn(arn) == account
    if account is not None:
        assert ArnParser.is_arn(arn)
        assert ArnParser().parse_arn(arn)["account"] == account
    else:
        assert not ArnParser.is_arn(arn)
