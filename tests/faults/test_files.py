"""Cache and config files under faults (docs/reliability.md T8-T11, T13, T26, T29, T31).

Torn and hostile cache content, permissions under any umask, foreign owners, full disks, file-size
limits, read-only and misplaced directories, symlinks, SIGKILL in the middle of writes, what
logout leaves behind, and an idempotent ``sso sync``. In-process loops cover every byte offset;
the real CLI (against the Identity Center stand-in on 127.0.0.1) covers a sample of each.

What a failed write does (T10/T11), as these tests hold it: the SSO token, the client
registration, a role-credential cache entry, ~/.aws/config (sso sync) and ~/.aws/credentials
(use --write-credentials) each end the command with exit 1 and one ``awsenv:`` line naming the
file and the OS reason, the old file byte for byte as it was and no temporary file left. (The
shell gets nothing: a token or keys the AWS tools cannot find would make AWS_PROFILE useless.)
awsenv's own caches (status memos, the config index) are optimisations: a failure there is
silent and the command succeeds; a needed login without a lock directory fails, naming it.
"""

from __future__ import annotations

import errno
import json
import marshal
import os
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from awsenv import cache, okta, paths
from awsenv.config import ConfigFiles
from awsenv.config import edit as configwrite
from awsenv.demo.idc import IdentityCenterStandIn
from awsenv.errors import CacheError
from awsenv.exports import Keys
from awsenv.providers import rolecache, saml_keys
from awsenv.sso import tokens
from tests.helpers import PYTHON, minimal_env, run_awsenv, write_config
from tests.worlds import ACCOUNTS, BROWSER, SSO_CONFIG, SsoWorld

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX owners, modes and signals"),
]

CORP = tokens.SsoSession("corp", "https://d-1234567890.awsapps.com/start", "us-east-1")
NOBODY = 65534
# Planted secrets: never to be echoed, whatever awsenv makes of the file holding them.
PLANTED_ACCESS = "accesstoken.CANARY-planted-access-0123456789"
PLANTED_REFRESH = "refreshtoken.CANARY-planted-refresh-0123456789"
PLANTED_SECRET = "clientsecret.CANARY-planted-secret-0123456789"
PLANTED_KEY = "secretaccesskey.CANARY-planted-key-0123456789"
PLANTED = (PLANTED_ACCESS, PLANTED_REFRESH, PLANTED_SECRET, PLANTED_KEY)
ROLE_SECTION = {"role_arn": "arn:aws:iam::123456789012:role/deploy", "role_session_name": "ci"}
PKCE_GRANTS = ["authorization_code", "refresh_token"]


# --- a world: temporary HOME, the stand-in, a browser that signs in by itself -----------------


@pytest.fixture
def idc() -> Iterator[IdentityCenterStandIn]:
    """The Identity Center stand-in (it also answers STS GetCallerIdentity for its own keys)."""
    standin = IdentityCenterStandIn(accounts=ACCOUNTS).start()
    yield standin
    standin.stop()


class World(SsoWorld):
    """tests/e2e's SSO world, plus ways to run awsenv under faults and to seed its caches."""

    def __init__(self, home: Path, idc: IdentityCenterStandIn) -> None:
        super().__init__(home, idc, idc.base_url)
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"  # no .pyc writes under a file-size limit
        # The browser lifts the soft file-size limit awsenv may run under (it logs its URLs).
        browser = home / "browser"
        browser.write_text(
            BROWSER.format(python=PYTHON, log=str(self.browser_log)).replace(
                "import sys, urllib.request\n",
                "import resource, sys, urllib.request\n"
                "_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)\n"
                "resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))\n",
            )
        )
        self.sso_cache = home / ".aws" / "sso" / "cache"
        self.cli_cache = home / ".aws" / "cli" / "cache"
        self.config = home / ".aws" / "config"
        self.credentials = home / ".aws" / "credentials"

    def run(
        self,
        *args: str,
        umask: int = -1,
        fsize: int | None = None,
        extra: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -I -m awsenv ARGS`` as the shell function does (AWSENV_SHELL=bash)."""
        preexec: Callable[[], None] | None = None
        if fsize is not None:
            limit = fsize

            def preexec() -> None:  # ulimit -S -f: awsenv's writes fail with EFBIG
                hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))

        return subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", *args],
            env={**self.env, "AWSENV_SHELL": "bash", **(extra or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            umask=umask,
            preexec_fn=preexec,
        )

    def use(self, *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
        """Run ``awsenv use ARGS``."""
        return self.run("use", *args, **options)

    @property
    def token_path(self) -> Path:
        return Path(tokens.token_path(self.env, CORP))

    @property
    def registration_path(self) -> Path:
        return Path(tokens.registration_path(self.env, CORP))

    def role_path(self, account: str = "111111111111", role: str = "Admin") -> Path:
        return Path(tokens.role_credentials_path(self.env, CORP, account, role))

    def seed_token(self, *, expires_in: int = 8 * 3600, refresh: bool = True) -> tokens.Token:
        """Sign in at the stand-in without a flow and cache the token as a login would."""
        issued = self.idc.issue_session()
        token = tokens.Token(
            access_token=issued["accessToken"],
            expires_at=int(time.time()) + expires_in,
            refresh_token=issued.get("refreshToken") if refresh else None,
            client_id=issued["clientId"] if refresh else None,
            client_secret=issued["clientSecret"] if refresh else None,
            registration_expires_at=issued["clientSecretExpiresAt"] if refresh else None,
            start_url=CORP.start_url,
            region=CORP.region,
        )
        tokens.save_token(self.env, CORP, token)
        return token

    def seed_pkce_registration(self, *, expires_at: int | None = None) -> None:
        """Register a PKCE client at the stand-in and cache it as ``aws sso login`` would."""
        body = {
            "clientName": "botocore-client-corp",
            "clientType": "public",
            "grantTypes": PKCE_GRANTS,
            "redirectUris": ["http://127.0.0.1/oauth/callback"],
            "issuerUrl": CORP.start_url,
            "scopes": ["sso:account:access"],
        }
        request = urllib.request.Request(
            self.idc.base_url + "/client/register",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            registered = json.loads(answer.read())
        tokens.save_registration(
            self.env,
            CORP,
            tokens.Registration(
                client_id=registered["clientId"],
                client_secret=registered["clientSecret"],
                expires_at=expires_at or registered["clientSecretExpiresAt"],
                scopes=["sso:account:access"],
                grant_types=PKCE_GRANTS,
            ),
        )

    def seed_role_credentials(
        self, *, role: str = "Admin", expires_in: int = 3600
    ) -> tokens.SsoSession:
        keys = Keys("ASIASEEDED", PLANTED_KEY, "sessiontoken-seeded", int(time.time()) + expires_in)
        tokens.save_role_credentials(self.env, CORP, "111111111111", role, keys)
        return CORP

    def secrets(self) -> list[str]:
        """Every secret the stand-in issued, and the planted ones."""
        return [*self.idc.canaries(), *PLANTED]


@pytest.fixture
def world(home: Path, idc: IdentityCenterStandIn) -> World:
    return World(home, idc)


def leaked(text: str, world: World) -> list[str]:
    return [secret for secret in world.secrets() if secret in text]


def temps(*directories: Path) -> list[str]:
    """Temporary files (awsenv's ``.*.awsenv-*.tmp`` and botocore's ``tmp*.tmp``) below."""
    found = []
    for directory in directories:
        for root, _dirs, names in os.walk(directory):
            found += [os.path.join(root, n) for n in names if n.endswith(cache.TEMP_SUFFIX)]
    return found


def assert_exported(result: subprocess.CompletedProcess[str], world: World, line: str) -> None:
    assert result.returncode == 0, result.stderr
    assert line in result.stdout.splitlines()
    assert "Traceback" not in result.stderr
    assert leaked(result.stderr, world) == []


def assert_failed_cleanly(
    result: subprocess.CompletedProcess[str], world: World, *needles: str
) -> str:
    """Exit 1, nothing on stdout, no traceback, no secret, one error line holding ``needles``."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert leaked(result.stderr, world) == []
    errors = [line for line in result.stderr.splitlines() if line.startswith("awsenv: ")]
    assert errors, result.stderr
    for needle in needles:
        assert needle in errors[-1], result.stderr
    return errors[-1]


def owned_by_me_0600(path: Path) -> bool:
    st = os.lstat(path)
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and st.st_mode & 0o777 == 0o600


# --- T8: every truncation and every kind of garbage is a cache miss ---------------------------


def _hour_from_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)


class Kind:
    """One cache file awsenv reads: where it is, valid bytes, and what reading it gives."""

    def __init__(
        self,
        name: str,
        path: str,
        valid: dict[str, Any],
        readers: dict[str, Callable[[], object]],
    ) -> None:
        self.name = name
        self.path = path
        self.valid = valid
        self.readers = readers

    @property
    def valid_bytes(self) -> bytes:
        return Path(self.path).read_bytes()

    def read_all(self) -> dict[str, object]:
        return {name: read() for name, read in self.readers.items()}


def json_kinds(environ: dict[str, str]) -> list[Kind]:
    """Write a valid file of every JSON cache kind awsenv reads; return how to read each."""
    now = int(time.time())
    later = now + 3600
    tokens.save_token(
        environ,
        CORP,
        tokens.Token(
            access_token=PLANTED_ACCESS,
            expires_at=later,
            refresh_token=PLANTED_REFRESH,
            client_id="client-id",
            client_secret=PLANTED_SECRET,
            registration_expires_at=now + 86400,
        ),
    )
    tokens.save_registration(
        environ,
        CORP,
        tokens.Registration(
            client_id="client-id",
            client_secret=PLANTED_SECRET,
            expires_at=now + 86400,
            scopes=["sso:account:access"],
            grant_types=PKCE_GRANTS,
        ),
    )
    response = {
        "Credentials": {
            "AccessKeyId": "ASIAROLE",
            "SecretAccessKey": PLANTED_KEY,
            "SessionToken": "role-session-token",
            "Expiration": _hour_from_now(),
        },
        "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci"},
    }
    rolecache.save_role_credentials(environ, ROLE_SECTION, response)
    keys = Keys("ASIASSO", PLANTED_KEY, "sso-session-token", later)
    tokens.save_role_credentials(environ, CORP, "111111111111", "Admin", keys)
    org, client = "https://example.okta.com", "0oaclient"
    okta.save_tokens(
        environ,
        org,
        client,
        okta.OktaTokens(
            access_token=PLANTED_ACCESS,
            id_token="id-token",
            expires_at=later,
            refresh_token=PLANTED_REFRESH,
        ),
    )
    saml_keys.save(environ, "saml-prod", None, keys)
    role_key = rolecache.assume_role_cache_key(ROLE_SECTION)
    cli = rolecache.CliCache(environ)

    def load(path: str) -> dict[str, Any]:
        return json.loads(Path(path).read_bytes())

    kinds = [
        Kind(
            "sso-token",
            tokens.token_path(environ, CORP),
            {},
            {
                "load_token": lambda: tokens.load_token(environ, CORP),
                "token_status": lambda: tokens.token_status(environ, CORP),
                "valid_until": lambda: tokens.usable_until(environ, CORP, time.time()),
            },
        ),
        Kind(
            "registration",
            tokens.registration_path(environ, CORP),
            {},
            {"load_registration": lambda: tokens.load_registration(environ, CORP, pkce=True)},
        ),
        Kind(
            "cli-role-cache",
            rolecache.cache_path(environ, role_key),
            {},
            {
                "cached_role_credentials": lambda: rolecache.cached_role_credentials(
                    environ, ROLE_SECTION
                ),
                "cached_role_expiry": lambda: rolecache.cached_role_expiry(environ, ROLE_SECTION),
                "CliCache.__contains__": lambda: (role_key in cli) or None,
            },
        ),
        Kind(
            "sso-role-credentials",
            tokens.role_credentials_path(environ, CORP, "111111111111", "Admin"),
            {},
            {
                "load_role_credentials": lambda: tokens.load_role_credentials(
                    environ, CORP, "111111111111", "Admin"
                )
            },
        ),
        Kind(
            "okta-tokens",
            okta.okta_token_cache_path(environ, org, client),
            {},
            {"okta.load_tokens": lambda: okta.load_tokens(environ, org, client)},
        ),
        Kind(
            "saml-keys",
            saml_keys.cache_path(environ, "saml-prod", None),
            {},
            {"saml.cached_keys": lambda: saml_keys.cached_keys(environ, "saml-prod", None)},
        ),
    ]
    for kind in kinds:
        kind.valid = load(kind.path)
    return kinds


# The fields without which a kind is unusable: changing one of them must give a miss.
ESSENTIAL = {
    "sso-token": {"accessToken", "expiresAt"},
    "registration": {"clientId", "clientSecret", "expiresAt", "grantTypes"},
    "cli-role-cache": {
        "Credentials",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    },
    "sso-role-credentials": {
        "Credentials",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    },
    "okta-tokens": {"access_token", "expires_at"},
    "saml-keys": {"Credentials", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"},
}


def _nan_variant(valid: dict[str, Any]) -> bytes:
    """The valid object with its first number-or-string leaf replaced by NaN."""

    def replace(value: Any) -> Any:
        if isinstance(value, dict):
            out = dict(value)
            for key, item in value.items():
                new = replace(item)
                if new is not item:
                    out[key] = new
                    return out
            return value
        return float("nan")

    return json.dumps(replace(valid)).encode()


def _wrong_types(valid: dict[str, Any]) -> Iterator[tuple[str, str, bytes]]:
    """Every leaf (one at a time) replaced by a value of each other JSON type, or removed."""

    def leaves(value: Any, trail: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from leaves(item, (*trail, key))
        else:
            yield trail

    def put(value: Any, trail: tuple[str, ...], new: Any, *, drop: bool = False) -> Any:
        out = dict(value)
        if len(trail) == 1:
            if drop:
                del out[trail[0]]
            else:
                out[trail[0]] = new
        else:
            out[trail[0]] = put(value[trail[0]], trail[1:], new, drop=drop)
        return out

    for trail in leaves(valid):
        where = ".".join(trail)
        original: Any = valid
        for key in trail:
            original = original[key]
        for label, new in (("int", 5), ("null", None), ("list", []), ("object", {}), ("str", "")):
            if type(new) is type(original) and new:
                continue  # the same type (okta's expires_at is an int): not a wrong type
            yield f"{where}={label}", trail[-1], json.dumps(put(valid, trail, new)).encode()
        yield f"{where} missing", trail[-1], json.dumps(put(valid, trail, None, drop=True)).encode()
    if "Credentials" in valid:
        yield "Credentials=list", "Credentials", json.dumps({**valid, "Credentials": []}).encode()


def garbage(
    kind: str, valid: dict[str, Any], valid_bytes: bytes
) -> Iterator[tuple[str, bool, bytes]]:
    """Bad contents for one kind (besides truncations): (label, must be a miss, bytes)."""
    yield "zero-byte", True, b""
    yield "whitespace", True, b" \n\t "
    yield "not-json", True, b"this is not json"
    yield "json-array", True, json.dumps([valid]).encode()
    yield "json-string", True, b'"accesstoken"'
    yield "json-null", True, b"null"
    yield "nan", True, _nan_variant(valid)
    yield "infinity", True, valid_bytes.replace(b"{", b'{"x": Infinity, ', 1)
    yield "invalid-utf8", True, valid_bytes.replace(b'": "', b'": "\xff\xfe', 1)
    yield "bom", True, b"\xef\xbb\xbf" + valid_bytes
    yield "nul-bytes", True, b"\x00" * 64
    yield "deep-nesting", True, b"[" * 100_000 + b"]" * 100_000
    over = valid_bytes[:-1] + b', "pad": "' + b"x" * cache.MAX_JSON_BYTES + b'"}'
    yield "over-the-cap", True, over
    for label, field, content in _wrong_types(valid):
        yield label, field in ESSENTIAL[kind], content


def test_every_prefix_of_every_cache_file_is_a_miss(home: Path) -> None:
    """T8: each byte-offset prefix of each kind's valid file reads as "not cached"."""
    environ = dict(os.environ)
    count = 0
    for kind in json_kinds(environ):
        valid = kind.valid_bytes
        assert all(v is not None for v in kind.read_all().values()), kind.name
        target = Path(kind.path)
        for end in range(len(valid)):
            target.write_bytes(valid[:end])
            got = kind.read_all()
            assert all(v is None for v in got.values()), (kind.name, end, got)
            count += 1
        target.write_bytes(valid)
        assert all(v is not None for v in kind.read_all().values()), kind.name
    print(f"T8 in-process: {count} truncated files, every one a miss")
    assert count > 1500


def test_garbage_in_every_cache_file_is_a_miss(home: Path) -> None:
    """T8: zero-byte, non-JSON, arrays, wrong types, missing fields, bad UTF-8, NaN, huge.

    Nothing raises; every reader misses, except where only a field it does not need changed.
    """
    environ = dict(os.environ)
    count = 0
    for kind in json_kinds(environ):
        valid = kind.valid_bytes
        target = Path(kind.path)
        for label, must_miss, content in garbage(kind.name, kind.valid, valid):
            target.write_bytes(content)
            got = kind.read_all()  # raising fails the test
            if must_miss:
                assert all(v is None for v in got.values()), (kind.name, label, got)
            count += 1
        target.write_bytes(valid)
    print(f"T8 in-process: {count} garbage files, none raised, every essential one a miss")


@pytest.mark.parametrize("special", ["huge-sparse", "directory", "fifo", "foreign", "symlink"])
def test_special_files_at_a_cache_path_are_misses(home: Path, special: str) -> None:
    """A 100 MB (sparse) file, a directory, a FIFO, another user's file, a link to one."""
    environ = dict(os.environ)
    for kind in json_kinds(environ):
        target = Path(kind.path)
        valid = kind.valid_bytes
        target.unlink()
        if special == "huge-sparse":
            with open(target, "wb") as handle:
                handle.truncate(100 * 1024 * 1024)
        elif special == "directory":
            target.mkdir()
        elif special == "fifo":
            os.mkfifo(target)
        else:
            other = target.with_name("other-user.json")
            other.write_bytes(valid)
            os.chown(other, NOBODY, NOBODY)
            if special == "foreign":
                other.rename(target)
            else:
                target.symlink_to(other)
        assert all(v is None for v in kind.read_all().values()), (kind.name, special)


def test_a_token_file_chowned_after_its_status_was_memoised_is_a_miss(home: Path) -> None:
    """T9: chown keeps the mtime, so the memo must not answer for a now-foreign file."""
    environ = dict(os.environ)
    json_kinds(environ)
    path = tokens.token_path(environ, CORP)
    os.utime(path, (time.time() - 60, time.time() - 60))  # old enough to be memoised
    assert tokens.token_status(environ, CORP) is not None
    assert tokens.token_status(environ, CORP) is not None  # now from the memo
    os.chown(path, NOBODY, NOBODY)
    assert tokens.token_status(environ, CORP) is None
    assert tokens.load_token(environ, CORP) is None
    assert tokens.usable_until(environ, CORP, time.time()) is None


def test_a_token_edited_in_place_with_its_mtime_put_back_is_not_answered_from_the_memo(
    home: Path,
) -> None:
    """Finding 16.2: same inode, size and mtime after an edit; the ctime is in the memo's key."""
    environ = dict(os.environ)
    json_kinds(environ)
    path = Path(tokens.token_path(environ, CORP))
    os.utime(path, (time.time() - 60, time.time() - 60))  # old enough to be memoised
    status = tokens.token_status(environ, CORP)
    assert status is not None
    assert status.expires_at > time.time()
    assert _memo_path(environ, "sso-status", str(path)).exists()
    before = os.stat(path)
    data = path.read_bytes()
    valid = json.loads(data)["expiresAt"]
    expired = datetime.fromtimestamp(time.time() - 7200, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert len(expired) == len(valid)
    with path.open("r+b") as handle:  # in place, as `rsync --inplace -t` or an editor would
        handle.seek(data.index(valid.encode()))
        handle.write(expired.encode())
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )
    status = tokens.token_status(environ, CORP)
    assert status is not None
    assert status.expires_at < time.time(), "served from the stale memo"


def _memo_path(environ: dict[str, str], kind: str, path: str) -> Path:
    return Path(paths.cache_dir(environ), kind, cache.sha1_hex(path) + ".marshal")


def test_every_prefix_and_garbage_in_the_status_memos_gives_the_true_answer(home: Path) -> None:
    """T8, awsenv's own caches: a torn or wrong memo is recomputed, never trusted or fatal."""
    environ = dict(os.environ)
    json_kinds(environ)
    token_file = tokens.token_path(environ, CORP)
    role_file = rolecache.cache_path(environ, rolecache.assume_role_cache_key(ROLE_SECTION))
    for path in (token_file, role_file):
        os.utime(path, (time.time() - 60, time.time() - 60))

    def answers() -> tuple[object, ...]:
        status = tokens.token_status(environ, CORP)
        return (
            None if status is None else (status.expires_at, status.refreshable),
            rolecache.cached_role_expiry(environ, ROLE_SECTION),
        )

    truth = answers()
    count = 0
    for source, kind in ((token_file, "sso-status"), (role_file, "role-status")):
        memo = _memo_path(environ, kind, source)
        st = os.stat(source)
        stamp = cache.file_stamp(source, st)
        wrong = [
            b"",
            b"garbage",
            marshal.dumps([1, 2, 3]),
            marshal.dumps((1, stamp)),
            marshal.dumps((1, stamp, ("soon", True, None))),
            marshal.dumps((1, stamp, (1.5e300, "yes", "never"))),
            marshal.dumps((1, stamp, (None, None, None))),
            marshal.dumps((1, stamp, (True, True, None))),
            marshal.dumps((1, stamp, "a string")),
            marshal.dumps((1, stamp, 1.5)),
            marshal.dumps((1, stamp, True)),
        ]
        valid = memo.read_bytes()
        for content in [valid[:end] for end in range(len(valid))] + wrong:
            memo.write_bytes(content)
            assert answers() == truth, (kind, content)
            count += 1
        memo.write_bytes(valid)
    print(f"T8 in-process: {count} torn or wrong status memos")


def test_a_foreign_memo_is_not_trusted(home: Path) -> None:
    """A memo file owned by someone else (claiming a valid token) is ignored."""
    environ = dict(os.environ)
    json_kinds(environ)
    token_file = tokens.token_path(environ, CORP)
    expired = tokens.load_token(environ, CORP)
    assert expired is not None
    expired.expires_at = int(time.time()) - 60
    tokens.save_token(environ, CORP, expired)
    os.utime(token_file, (time.time() - 60, time.time() - 60))
    st = os.stat(token_file)
    stamp = cache.file_stamp(token_file, st)
    memo = _memo_path(environ, "sso-status", token_file)
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_bytes(marshal.dumps((1, stamp, (int(time.time()) + 86400, True, None))))
    os.chown(memo, NOBODY, NOBODY)
    status = tokens.token_status(environ, CORP)
    assert status is not None
    assert status.expires_at < time.time()


def test_every_prefix_of_the_config_index_gives_the_same_profiles(home: Path) -> None:
    """T8, awsenv's own caches: a torn index file is rebuilt from the config, never trusted."""
    environ = dict(os.environ)
    config = write_config(home, SSO_CONFIG)
    os.utime(config, (time.time() - 60, time.time() - 60))
    files = ConfigFiles(environ)
    truth = (files.profile_names(), files.profile("dev"), files.sso_session("corp"))
    index_root = Path(paths.cache_dir(environ), "index")
    index_files = sorted(p for p in index_root.rglob("*") if p.is_file())
    assert index_files
    count = 0
    for index_file in index_files:
        valid = index_file.read_bytes()
        for end in range(len(valid)):
            index_file.write_bytes(valid[:end])
            files = ConfigFiles(environ)
            got = (files.profile_names(), files.profile("dev"), files.sso_session("corp"))
            assert got == truth, (index_file.name, end)
            count += 1
            index_file.write_bytes(valid)
    print(f"T8 in-process: {count} torn config index files")


# --- T8 through the real CLI: a sample of each kind, and the login proceeds -------------------


def _token_bytes(world: World) -> bytes:
    world.seed_token(expires_in=3600)
    data = world.token_path.read_bytes()
    world.token_path.unlink()
    return data


TOKEN_SAMPLES: dict[str, Callable[[bytes], bytes | None]] = {
    "zero-byte": lambda valid: b"",
    "truncated-1": lambda valid: valid[:1],
    "truncated-half": lambda valid: valid[: len(valid) // 2],
    "truncated-last-byte": lambda valid: valid[:-1],
    "json-array": lambda valid: b"[" + valid + b"]",
    "expiresAt-int": lambda valid: json.dumps({**json.loads(valid), "expiresAt": 5}).encode(),
    "invalid-utf8": lambda valid: valid.replace(b'": "', b'": "\xff', 1),
    "nan": lambda valid: json.dumps({**json.loads(valid), "expiresAt": float("nan")}).encode(),
    "huge": lambda valid: None,
    "foreign-valid-token": lambda valid: valid,
}


@pytest.mark.parametrize("sample", sorted(TOKEN_SAMPLES))
def test_use_logs_in_over_a_bad_token_file(world: World, sample: str) -> None:
    """T8 end to end: the bad file is a miss, the login runs, the file is replaced cleanly."""
    valid = _token_bytes(world)
    signed_in = world.idc.authorizations  # seeding signed in once, without a flow
    content = TOKEN_SAMPLES[sample](valid)
    path = world.token_path
    if content is None:
        with open(path, "wb") as handle:
            handle.truncate(100 * 1024 * 1024)
    else:
        path.write_bytes(content)
    if sample.startswith("foreign"):
        os.chown(path, NOBODY, NOBODY)
    result = world.use("dev")
    assert_exported(result, world, "export AWS_PROFILE=dev")
    assert world.idc.authorizations == signed_in + 1
    assert world.idc.calls.get("CreateToken") == 1
    assert owned_by_me_0600(path)
    assert tokens.load_token(world.env, CORP) is not None
    assert temps(world.home) == []


def test_use_registers_again_over_a_torn_registration(world: World) -> None:
    world.seed_pkce_registration()
    valid = world.registration_path.read_bytes()
    world.registration_path.write_bytes(valid[: len(valid) // 2])
    calls = world.idc.calls.get("RegisterClient", 0)
    result = world.use("dev")
    assert_exported(result, world, "export AWS_PROFILE=dev")
    assert world.idc.calls.get("RegisterClient") == calls + 1
    assert json.loads(world.registration_path.read_bytes())["clientId"]


@pytest.mark.parametrize("damage", ["truncated", "wrong-types", "foreign"])
def test_use_keys_fetches_again_over_a_bad_role_cache_entry(world: World, damage: str) -> None:
    world.seed_token()
    world.seed_role_credentials()
    path = world.role_path()
    valid = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(valid[:-2])
    elif damage == "wrong-types":
        path.write_bytes(json.dumps({"ProviderType": "sso", "Credentials": [1]}).encode())
    else:
        os.chown(path, NOBODY, NOBODY)
    result = world.use("dev", "--keys")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert leaked(result.stderr, world) == []
    assert world.idc.calls.get("GetRoleCredentials") == 1
    assert PLANTED_KEY not in result.stdout
    assert owned_by_me_0600(path)


# --- T9: modes under any umask, directories left alone, foreign owners ------------------------


def _modes(root: Path) -> dict[str, tuple[bool, int]]:
    """Every path below ``root`` (not following links): (is a directory, permission bits)."""
    found = {}
    for top, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(top, name)
            st = os.lstat(path)
            found[os.path.relpath(path, root)] = (
                stat.S_ISDIR(st.st_mode),
                stat.S_IMODE(st.st_mode),
            )
    return found


def _login_use_sync_write(world: World, umask: int) -> None:
    """Every command that writes: a login, role keys, sso sync, --write-credentials."""
    for args in (
        ("use", "dev"),
        ("use", "dev", "--keys"),
        ("sso", "sync", "--sso-session", "corp"),
        ("use", "dev-ro", "--write-credentials"),
        ("list",),
    ):
        result = world.run(*args, umask=umask)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("umask", [0o000, 0o077], ids=["umask-000", "umask-077"])
def test_every_file_awsenv_creates_is_0600_and_every_directory_0700(
    world: World, umask: int
) -> None:
    """T9: walk HOME after a login, use --keys, sso sync and use --write-credentials."""
    world.config.chmod(0o644)
    before = _modes(world.home)
    _login_use_sync_write(world, umask)
    after = _modes(world.home)
    created = {p: m for p, m in after.items() if p not in before and p != "browser.log"}
    wrong = {
        p: oct(mode)
        for p, (is_dir, mode) in created.items()
        if mode != (0o700 if is_dir else 0o600)
    }
    assert wrong == {}
    changed = {p: (before[p], after.get(p)) for p in before if after.get(p) != before[p]}
    assert changed == {}  # HOME, ~/.aws and the config (replaced by sso sync) keep their modes
    files = sum(1 for is_dir, _ in created.values() if not is_dir)
    dirs = len(created) - files
    print(
        f"T9 {oct(umask)}: {files} files 0600 and {dirs} directories 0700 of {len(created)} created"
    )
    assert files >= 8
    assert dirs >= 6


def test_directories_awsenv_did_not_create_keep_their_modes(world: World) -> None:
    """T9: ~/.aws/sso/cache made 0755 by the AWS CLI stays 0755 (aws-vault's rule)."""
    for directory in (world.sso_cache, world.cli_cache, world.home / ".cache"):
        directory.mkdir(parents=True, exist_ok=True)
    for directory in (world.home / ".aws", world.sso_cache.parent, world.sso_cache):
        directory.chmod(0o755)
    for directory in (world.cli_cache.parent, world.cli_cache, world.home / ".cache"):
        directory.chmod(0o775)
    old = world.token_path
    old.write_text("{}")
    old.chmod(0o644)
    before = _modes(world.home)
    _login_use_sync_write(world, 0o022)
    after = _modes(world.home)
    kept = {p: after[p] for p, (is_dir, _) in before.items() if is_dir}
    assert kept == {p: before[p] for p in kept}
    assert owned_by_me_0600(old)  # the file it rewrote is 0600 whatever it was


def test_a_token_file_owned_by_another_user_is_a_miss(world: World) -> None:
    """T9: a valid token someone else owns is not used: awsenv logs in and replaces it."""
    world.seed_token()
    signed_in = world.idc.authorizations
    os.chown(world.token_path, NOBODY, NOBODY)
    assert tokens.load_token(world.env, CORP) is None
    result = world.use("dev")
    assert_exported(result, world, "export AWS_PROFILE=dev")
    assert world.idc.authorizations == signed_in + 1
    assert owned_by_me_0600(world.token_path)


@pytest.mark.parametrize("which", ["config", "credentials"])
def test_a_config_file_owned_by_another_user_is_not_replaced(world: World, which: str) -> None:
    """T9: replacing it would hand it to us (and lock its owner out at 0600): refused."""
    world.seed_token()
    world.seed_role_credentials(role="ReadOnly")
    target = world.config if which == "config" else world.credentials
    if which == "credentials":
        target.write_text("[default]\naws_access_key_id = AKIAOLD\n")
    os.chown(target, NOBODY, NOBODY)
    before = target.read_bytes()
    if which == "config":
        result = world.run("sso", "sync", "--sso-session", "corp")
    else:
        result = world.use("dev-ro", "--write-credentials")
    assert_failed_cleanly(result, world, str(target), "owned by")
    assert target.read_bytes() == before
    assert os.stat(target).st_uid == NOBODY
    assert temps(world.home / ".aws") == []


# --- T10 / T11: read-only, not a directory, file-size limit, disk full -------------------------


class Site:
    """One place awsenv writes: how to set it up, the command, the file and its directory."""

    def __init__(
        self,
        prepare: Callable[[World], None],
        command: tuple[str, ...],
        target: Callable[[World], Path],
        directory: Callable[[World], Path],
    ) -> None:
        self.prepare = prepare
        self.command = command
        self.target = target
        self.directory = directory


def _prepare_token(world: World) -> None:
    world.seed_pkce_registration()
    world.seed_token(expires_in=-60, refresh=False)  # expired: a login is needed


def _prepare_registration(world: World) -> None:
    world.seed_pkce_registration(expires_at=int(time.time()) - 60)  # expired: register again


def _prepare_role(world: World) -> None:
    world.seed_token()
    world.seed_role_credentials(expires_in=-60)  # expired: fetch again


def _prepare_credentials(world: World) -> None:
    world.seed_token()
    world.seed_role_credentials(role="ReadOnly")
    world.credentials.write_text(
        f"[default]\naws_access_key_id = AKIAOLD\naws_secret_access_key = {PLANTED_KEY}\n"
    )


SITES = {
    "token": Site(_prepare_token, ("use", "dev"), lambda w: w.token_path, lambda w: w.sso_cache),
    "registration": Site(
        _prepare_registration, ("use", "dev"), lambda w: w.registration_path, lambda w: w.sso_cache
    ),
    "role-cache": Site(
        _prepare_role, ("use", "dev", "--keys"), lambda w: w.role_path(), lambda w: w.cli_cache
    ),
    "config": Site(
        lambda w: w.seed_token() and None,
        ("sso", "sync", "--sso-session", "corp"),
        lambda w: w.config,
        lambda w: w.home / ".aws",
    ),
    "credentials": Site(
        _prepare_credentials,
        ("use", "dev-ro", "--write-credentials"),
        lambda w: w.credentials,
        lambda w: w.home / ".aws",
    ),
}
REASONS = {
    "efbig": "File too large",
    "enospc": "No space left on device",
    "enospc-after-backup": "No space left on device",
    "readonly": "Read-only file system",
    "notadir": "not a directory",
}
CASES = [
    (site, fault)
    for site in SITES
    for fault in REASONS
    if not (fault == "notadir" and site in ("config", "credentials"))
    and not (fault == "enospc-after-backup" and site not in ("config", "credentials"))
]


@pytest.fixture
def tmpfs() -> Iterator[Callable[..., None]]:
    """Mount small tmpfs file systems (root only); unmounted after the test."""
    mounted: list[Path] = []

    def mount(where: Path, size: str = "512k") -> None:
        saved = {}
        if where.exists():
            saved = {p.relative_to(where): p.read_bytes() for p in where.rglob("*") if p.is_file()}
        where.mkdir(parents=True, exist_ok=True)
        try:
            result = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as exc:
            result = subprocess.CompletedProcess([], 1, "", str(exc))
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs ({result.stderr.strip()}); ulimit -f covers this")
        mounted.append(where)
        for relative, data in saved.items():
            (where / relative).parent.mkdir(parents=True, exist_ok=True)
            (where / relative).write_bytes(data)

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _fill(directory: Path, *, leave: int = 0) -> None:
    """Use every free block of the file system holding ``directory`` but ``leave`` bytes."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = b"\0" * 4096
        errors: list[int | None] = []
        while not errors:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                errors.append(exc.errno)
        assert errors == [errno.ENOSPC]
        if leave:
            os.ftruncate(fd, os.fstat(fd).st_size - leave)
    finally:
        os.close(fd)


@pytest.mark.parametrize(("site", "fault"), CASES)
def test_a_failed_write_leaves_the_target_byte_identical(
    world: World, tmpfs: Callable[..., None], site: str, fault: str
) -> None:
    """T10/T11: exit 1, one error line naming the file and the reason, old bytes, no temp."""
    spec = SITES[site]
    directory = spec.directory(world)
    if fault.startswith("enospc") or fault == "readonly":
        tmpfs(directory)
    spec.prepare(world)
    if fault == "notadir":
        shutil.rmtree(directory)
        directory.write_text("a file where a directory should be")
    target = spec.target(world)
    before = target.read_bytes() if target.exists() else None
    fsize = None
    if fault == "enospc":
        _fill(directory)
    elif fault == "enospc-after-backup":
        _fill(directory, leave=4096)  # one page: the backup fits, the new file does not
    elif fault == "readonly":
        subprocess.run(["mount", "-o", "remount,ro", str(directory)], check=True)
    elif fault == "efbig":
        # config and credentials: room for the backup of the old file, not for the new one
        fsize = len(before) + 1 if site in ("config", "credentials") and before else 64
    result = world.run(*spec.command, fsize=fsize)
    line = assert_failed_cleanly(result, world, REASONS[fault])
    assert str(world.home / ".aws") in line
    assert (target.read_bytes() if target.exists() else None) == before
    if fault == "enospc-after-backup":  # the backup was written; then the new file failed
        backup = target.with_name(target.name + configwrite.BACKUP_SUFFIX)
        assert backup.read_bytes() == before
        assert "was not changed" in line
    print(f"T10/T11 {site} {fault}: exit {result.returncode}: {line}")
    if fault == "notadir":
        assert directory.read_text() == "a file where a directory should be"
    else:
        assert temps(directory) == []
    assert temps(world.home / ".aws", world.home / ".cache") == []


def test_a_login_still_works_when_awsenvs_own_cache_is_unwritable(world: World) -> None:
    """T10: the memo and the config index are optimisations: a valid token is still used."""
    world.seed_token()
    cache_dir = world.home / ".cache"
    cache_dir.write_text("not a directory")
    result = world.use("dev")
    assert_exported(result, world, "export AWS_PROFILE=dev")
    assert result.stderr == ""


def test_a_needed_login_fails_clearly_when_the_lock_cannot_be_made(world: World) -> None:
    """T10: no lock, no login (ten shells would open ten tabs): the error names the lock file."""
    (world.home / ".cache").write_text("not a directory")
    result = world.use("dev")
    assert_failed_cleanly(result, world, "lock", str(world.home / ".cache"))
    assert world.idc.authorizations == 0


# --- T13: SIGKILL at random moments during cache and config writes ---------------------------

KILL_SEED = 13
PAD_TOKEN, PAD_INI = 997, 701


class KillTargets:
    """The files a killed writer rewrites: a token (cache) and two INI files (config)."""

    def __init__(self, home: Path) -> None:
        self.environ = dict(os.environ)
        self.token = Path(tokens.token_path(self.environ, CORP))
        self.credentials = home / ".aws" / "credentials"
        self.config = home / ".aws" / "config"
        self.directories = [self.token.parent, self.config.parent]

    def write(self, n: int) -> None:
        """One round of writes, version ``n`` of each file (sizes vary with ``n``)."""
        cache.write_json(
            str(self.token), {"accessToken": f"access-{n}", "n": n, "pad": "x" * (n % PAD_TOKEN)}
        )
        for path, header, lock in (
            (self.credentials, "killed", "aws-credentials"),
            (self.config, "profile killed", "aws-config"),
        ):
            items = [
                ("aws_access_key_id", f"AKIA{n:012d}"),
                ("pad", "y" * (n % PAD_INI + 1)),
                ("n", str(n)),
            ]
            edit = configwrite.plan_replace(
                str(path), configwrite.NewSection(header, items), comment="T13"
            )
            edit.commit(lock=cache.lock_path(self.environ, lock))

    def check(self) -> list[str]:
        """Return what is torn: every file parses and holds one whole version."""
        from botocore.configloader import raw_config_parse

        problems = []
        try:
            data = json.loads(self.token.read_bytes())
            if len(data["pad"]) != data["n"] % PAD_TOKEN:
                problems.append(f"{self.token}: mixed versions")
        except (ValueError, KeyError) as exc:
            problems.append(f"{self.token}: {exc!r}")
        for path, header in ((self.credentials, "killed"), (self.config, "profile killed")):
            for candidate in (path, path.with_name(path.name + configwrite.BACKUP_SUFFIX)):
                if not candidate.exists():
                    continue
                try:
                    parsed = raw_config_parse(str(candidate))
                except Exception as exc:  # any parse failure is a torn file
                    problems.append(f"{candidate}: {exc!r}")
                    continue
                section = parsed.get(header)
                if section is None:  # the backup of the user's file from before any round
                    continue
                n = int(section.get("n", -1))
                if (
                    section.get("aws_access_key_id") != f"AKIA{n:012d}"
                    or len(section.get("pad", "")) != n % PAD_INI + 1
                ):
                    problems.append(f"{candidate}: mixed versions")
        return problems

    def temps(self) -> set[str]:
        return set(temps(*self.directories))


def _writer(targets: KillTargets, start: int) -> None:
    """The child: write versions start, start+1, ... until killed."""
    n = start
    while True:
        targets.write(n)
        n += 1


def kill_writers(
    home: Path, rounds: int, *, max_delay: float, seed: int = KILL_SEED
) -> dict[str, int]:
    """Fork a writer, SIGKILL it after a random delay, check every file; ``rounds`` times."""
    import tempfile

    targets = KillTargets(home)
    targets.write(0)
    scratch = home / "tmp"
    scratch.mkdir()
    rng = random.Random(seed)
    figures = {"rounds": rounds, "torn": 0, "max_new_temps": 0}
    first_problem = ""
    for round_ in range(rounds):
        before = targets.temps()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            try:
                os.close(read)
                tempfile.tempdir = str(scratch)
                os.environ["TMPDIR"] = str(scratch)
                os.write(write, b".")
                _writer(targets, 1 + round_ * 1000)
            finally:
                os._exit(1)
        os.close(write)
        os.read(read, 1)  # the child is running
        os.close(read)
        time.sleep(rng.uniform(0, max_delay))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        problems = targets.check()
        if problems:
            figures["torn"] += 1
            first_problem = first_problem or problems[0]
        figures["max_new_temps"] = max(figures["max_new_temps"], len(targets.temps() - before))
    figures["temps_after_kills"] = len(targets.temps())
    figures["scratch_left"] = len(os.listdir(scratch))
    targets.write(10**9)  # the next successful run
    figures["temps_after_next_run"] = len(targets.temps())
    figures["torn_after_next_run"] = len(targets.check())
    if first_problem:
        print("T13 first torn file:", first_problem)
    return figures


def test_sigkill_during_writes_never_tears_a_file_and_leaves_no_temp(home: Path) -> None:
    """T13: 1000 writers killed at random moments: 0 torn files, 0 temps after the next run."""
    write_config(home, SSO_CONFIG, credentials="[default]\naws_access_key_id = AKIAUSER\n")
    figures = kill_writers(home, 1000, max_delay=0.012)
    print("T13:", figures)
    assert figures["torn"] == 0
    assert figures["max_new_temps"] <= 1
    assert figures["scratch_left"] == 0  # no copy of the credentials left in TMPDIR
    assert figures["temps_after_next_run"] == 0
    assert figures["torn_after_next_run"] == 0


def test_stale_temps_of_live_writers_are_kept_and_of_dead_ones_removed(tmp_path: Path) -> None:
    """The cleanup never takes a temporary file from a writer that is still running."""
    tmp_path = tmp_path / "cache"
    tmp_path.mkdir()
    dead = subprocess.run(
        [PYTHON, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(dead.stdout)
    live = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            "dead": f".t.json.awsenv-{dead_pid}-0123456789ab.tmp",
            "live": f".t.json.awsenv-{live.pid}-0123456789ab.tmp",
            "mine": f".t.json.awsenv-{os.getpid()}-0123456789ab.tmp",
            "old": f".t.json.awsenv-{live.pid}-ba9876543210.tmp",
            "botocore": "tmpabcdefgh.tmp",
            "other": ".t.json.someone-else.tmp",
        }
        for name in names.values():
            (tmp_path / name).write_text("{")
        long_ago = time.time() - cache.STALE_TEMP_SECONDS - 1
        os.utime(tmp_path / names["old"], (long_ago, long_ago))
        cache.write_json(str(tmp_path / "t.json"), {"a": 1})
        left = sorted(p.name for p in tmp_path.iterdir())
        assert left == sorted(
            [names["live"], names["mine"], names["botocore"], names["other"], "t.json"]
        )
    finally:
        live.kill()
        live.wait()


def test_a_dead_writers_copy_of_the_config_backup_is_gone_after_one_use(home: Path) -> None:
    """Finding 16.9: the next `use` reaps it, not only the next write into ~/.aws."""
    config = write_config(home, "[profile dev]\nregion = eu-west-1\n")
    aws = config.parent
    env = minimal_env(home, AWSENV_SHELL="bash")
    past = time.time() - 3600
    for path in (config, aws):
        os.utime(path, (past, past))
    first = run_awsenv(["use", "dev"], env)
    assert first.returncode == 0, first.stderr
    dead = subprocess.run(
        [PYTHON, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    live = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(60)"])
    try:
        dead_copy = aws / f".config.awsenv-backup.awsenv-{int(dead.stdout)}-0123456789ab.tmp"
        live_copy = aws / f".credentials.awsenv-{live.pid}-0123456789ab.tmp"
        for planted in (dead_copy, live_copy):
            planted.write_bytes(config.read_bytes())  # a full copy of the config, as left
        for _ in range(2):
            result = run_awsenv(["use", "dev"], env)
            assert result.returncode == 0, result.stderr
            assert not dead_copy.exists(), "the dead writer's temporary file survived a use"
            assert live_copy.exists(), "a running writer's temporary file was taken"
    finally:
        live.kill()
        live.wait()


# --- T26: symlinks and hard links are never written through ------------------------------------


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    path = tmp_path / "sentinel"
    path.write_bytes(b"sentinel: never to be written\n")
    return path


def _unchanged(sentinel: Path) -> bool:
    return sentinel.read_bytes() == b"sentinel: never to be written\n"


def test_a_temporary_name_taken_by_a_symlink_is_skipped(
    tmp_path: Path, sentinel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T26: the first temporary name is a planted link (O_EXCL|O_NOFOLLOW): another is used."""
    planted = tmp_path / f".t.json.awsenv-{os.getpid()}-{'00' * 6}.tmp"
    planted.symlink_to(sentinel)
    draws = iter([b"\0" * 6, b"\1" * 6])
    monkeypatch.setattr(os, "urandom", lambda n: next(draws))
    cache.write_json(str(tmp_path / "t.json"), {"a": 1})
    monkeypatch.undo()
    assert _unchanged(sentinel)
    assert json.loads((tmp_path / "t.json").read_bytes()) == {"a": 1}
    assert planted.is_symlink()


def test_a_hard_link_at_the_target_is_replaced_not_written_through(
    tmp_path: Path, sentinel: Path
) -> None:
    target = tmp_path / "t.json"
    os.link(sentinel, target)
    cache.write_json(str(target), {"a": 1})
    assert _unchanged(sentinel)
    assert os.stat(target).st_ino != os.stat(sentinel).st_ino


def test_a_symlinked_lock_file_is_refused(tmp_path: Path, sentinel: Path) -> None:
    path = tmp_path / "locks" / "a.lock"
    path.parent.mkdir()
    path.symlink_to(sentinel)
    with pytest.raises(CacheError, match="lock"), cache.FileLock(str(path)):
        pass  # pragma: no cover
    assert _unchanged(sentinel)


@pytest.mark.parametrize("where", ["token", "sso-cache-dir", "cli-cache-dir", "memo", "backup"])
def test_symlinks_to_a_sentinel_are_never_written_through(
    world: World, sentinel: Path, where: str
) -> None:
    """T26 end to end: the token file, the cache directories, a memo, the config backup."""
    if where == "token":
        world.sso_cache.mkdir(parents=True)
        world.token_path.symlink_to(sentinel)
        assert_exported(world.use("dev"), world, "export AWS_PROFILE=dev")
        assert not world.token_path.is_symlink()
    elif where == "sso-cache-dir":
        world.sso_cache.parent.mkdir(parents=True)
        world.sso_cache.symlink_to(sentinel)
        assert_failed_cleanly(world.use("dev"), world, str(world.sso_cache), "not a directory")
    elif where == "cli-cache-dir":
        world.seed_token()
        world.cli_cache.parent.mkdir(parents=True)
        world.cli_cache.symlink_to(sentinel)
        assert_failed_cleanly(
            world.use("dev", "--keys"), world, str(world.cli_cache), "not a directory"
        )
    elif where == "memo":
        world.seed_token()
        old = time.time() - 60
        os.utime(world.token_path, (old, old))
        memo = _memo_path(world.env, "sso-status", str(world.token_path))
        memo.parent.mkdir(parents=True)
        memo.symlink_to(sentinel)
        assert_exported(world.use("dev"), world, "export AWS_PROFILE=dev")
        assert not memo.is_symlink()
    else:
        world.seed_token()
        backup = world.config.with_name("config" + configwrite.BACKUP_SUFFIX)
        backup.symlink_to(sentinel)
        result = world.run("sso", "sync", "--sso-session", "corp")
        assert result.returncode == 0, result.stderr
        assert not backup.is_symlink()
    assert _unchanged(sentinel)


# --- T29: logout leaves no copy of the token ---------------------------------------------------


def _files_holding(root: Path, secrets: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}" for s in secrets if s.encode() in data]
    return found


def test_logout_leaves_no_file_holding_the_tokens_and_reports_corrupt_ones(world: World) -> None:
    """T29: torn token file, leftover temporaries (awsenv's and botocore's), torn cache entries."""
    assert world.use("dev", "--keys").returncode == 0
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    assert token.refresh_token
    secrets = [token.access_token, token.refresh_token]
    valid = world.token_path.read_bytes()
    dead = subprocess.run(
        [PYTHON, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    name = world.token_path.name
    (world.sso_cache / f".{name}.awsenv-{int(dead.stdout)}-0123456789ab.tmp").write_bytes(
        valid[:-3]
    )
    (world.sso_cache / "tmpk2j3h4g5.tmp").write_bytes(valid)  # botocore's, from a failed write
    cut = valid.index(b'"refreshToken"') + len('"refreshToken": "') + 5
    world.token_path.write_bytes(valid[:cut])  # torn: access token whole, refresh token cut
    role = world.role_path()
    (world.cli_cache / "junk.json").write_bytes(b"\x00garbage")
    role.write_bytes(role.read_bytes()[:40])  # a torn role entry: reported, left
    result = world.run("logout", "dev")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert leaked(result.stderr, world) == []
    assert "unreadable token file" in result.stderr
    assert "2 unreadable files" in result.stderr
    assert _files_holding(world.home / ".aws", secrets) == []
    assert _files_holding(world.home / ".cache", secrets) == []
    assert world.idc.calls.get("Logout") is None  # the torn file had nothing to log out with


def test_logout_of_a_readable_token_removes_every_copy(world: World) -> None:
    assert world.use("dev").returncode == 0
    token = tokens.load_token(world.env, CORP)
    assert token is not None
    valid = world.token_path.read_bytes()
    (
        world.sso_cache / f".{world.token_path.name}.awsenv-{os.getpid()}-0123456789ab.tmp"
    ).write_bytes(valid)
    (world.sso_cache / "tmpqwertyui.tmp").write_bytes(valid[:100] + valid[100:])
    (world.sso_cache / "torn-copy.json").write_bytes(valid[:-1])
    result = world.run("logout", "dev")
    assert result.returncode == 0, result.stderr
    assert world.idc.calls.get("Logout") == 1
    assert "deleted 3 leftover copies" in result.stderr
    assert _files_holding(world.home, [token.access_token, token.refresh_token or "-"]) == []
    assert json.loads(world.registration_path.read_bytes())["clientId"]  # not a token: kept


# --- T31: sso sync twice writes once ------------------------------------------------------------


def test_sso_sync_twice_writes_once_and_keeps_the_mode(world: World) -> None:
    world.seed_token()
    world.config.chmod(0o640)
    first = world.run("sso", "sync", "--sso-session", "corp")
    assert first.returncode == 0, first.stderr
    after_first = world.config.read_bytes()
    st = os.stat(world.config)
    backup = world.config.with_name("config" + configwrite.BACKUP_SUFFIX)
    backup_st = os.stat(backup)
    assert stat.S_IMODE(st.st_mode) == 0o640
    time.sleep(0.01)  # a rewrite would now show in the nanosecond mtime
    second = world.run("sso", "sync", "--sso-session", "corp")
    assert second.returncode == 0, second.stderr
    assert "nothing to add" in second.stderr
    st2 = os.stat(world.config)
    assert (st2.st_mtime_ns, st2.st_ino, world.config.read_bytes()) == (
        st.st_mtime_ns,
        st.st_ino,
        after_first,
    )
    assert os.stat(backup).st_mtime_ns == backup_st.st_mtime_ns
    assert stat.S_IMODE(st2.st_mode) == 0o640
    from botocore.configloader import raw_config_parse

    assert raw_config_parse(str(world.config))
