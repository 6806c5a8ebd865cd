"""Long-lived keys in the OS keychain, against a real Secret Service (gnome-keyring on D-Bus).

`keys add` reads the keys on a pseudo-terminal, `keys import` moves them out of
~/.aws/credentials byte for byte; then `use` and `exec` in real shells, a boto3 client through
the profile's `credential_process` and a role over it all work against moto's STS, and nothing
outside the keychain holds the secret. With no keychain backend, one line and nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from awsenv import shells
from tests.helpers import IN_CI, PYTHON, SHELLS, minimal_env, require_tool
from tests.standin.secret_service import PASSWORD, SecretService
from tests.terminal import run_pty

pytestmark = pytest.mark.e2e

BINDIR = os.path.dirname(PYTHON)
KEY_ID = "AKIAKEYCHAINTEST0001"
SECRET = "kcSecret/0123456789abcdefghijklmnopqrstu"  # 40 characters, as AWS's
ROLE_ARN = "arn:aws:iam::123456789012:role/Deploy"
CREDENTIALS = f"""# my keys, by hand
[other]
aws_access_key_id = AKIAOTHERPROFILE0001
aws_secret_access_key = other-secret

[dev]
# the dev user
aws_access_key_id = {KEY_ID}
aws_secret_access_key = {SECRET}
region = eu-west-1

[last]
aws_access_key_id = AKIALASTPROFILE00001
aws_secret_access_key = last-secret"""
CONFIG = f"""[profile dev]
region = eu-west-1
output = json

[profile deploy]
role_arn = {ROLE_ARN}
source_profile = dev
region = eu-west-1
"""


@pytest.fixture
def secret_service(tmp_path: Path, home: Path):
    """gnome-keyring's Secret Service on a private bus, keyrings under the test's HOME."""
    for tool in ("dbus-daemon", "dbus-send", "gnome-keyring-daemon"):
        require_tool(tool)
    service = SecretService(home, tmp_path / "run")
    try:
        service.start()
    except RuntimeError as exc:
        if IN_CI:
            pytest.fail(f"the Secret Service did not start: {exc}")
        pytest.skip(f"the Secret Service did not start: {exc}")
    yield service
    service.stop()


class Keychain:
    """A HOME with a config, moto's STS, the Secret Service and a private TMPDIR."""

    def __init__(self, home: Path, tmp: Path, sts: str, service: SecretService) -> None:
        self.home = home
        self.tmpdir = tmp / "tmpdir"
        self.tmpdir.mkdir()
        aws = home / ".aws"
        aws.mkdir(parents=True, exist_ok=True)
        self.config = aws / "config"
        self.credentials = aws / "credentials"
        self.config.write_text(CONFIG)
        self.env = minimal_env(
            home,
            AWS_ENDPOINT_URL_STS=sts,
            PATH=BINDIR + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            TMPDIR=str(self.tmpdir),
            **service.environ(),
        )
        self.outputs: list[str] = []

    def awsenv(self, *args: str, env: dict[str, str] | None = None):
        result = subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", *args],
            env={**(env or self.env), "AWSENV_SHELL": "bash"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            start_new_session=True,
        )
        self.outputs += [result.stdout, result.stderr]
        return result

    def python(self, code: str, *, env: dict[str, str] | None = None):
        result = subprocess.run(
            [PYTHON, "-c", code],
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            start_new_session=True,
        )
        self.outputs += [result.stdout, result.stderr]
        return result

    def shell(self, dialect: str, body: str) -> tuple[int, list[str], str]:
        spec = SHELLS[dialect]
        require_tool(spec.argv[0])
        py = shells.quote(dialect, PYTHON)
        init = (
            f"{py} -I -m awsenv init fish | source\n"
            if dialect == "fish"
            else f'eval "$({py} -I -m awsenv init {dialect})"\n'
        )
        path = self.home / f"script.{dialect}"
        path.write_text(init + body, encoding="utf-8")
        result = subprocess.run(
            [*spec.argv, str(path)],
            env=self.env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=90,
            check=False,
            start_new_session=True,
        )
        stderr = result.stderr.decode(errors="replace")
        self.outputs += [result.stdout.decode(errors="replace"), stderr]
        return result.returncode, result.stdout.decode().split("\0"), stderr

    def files_holding(self, text: str) -> list[str]:
        """Every file under HOME and TMPDIR whose bytes contain ``text`` (grep -r)."""
        needle = text.encode()
        found = []
        for top in (self.home, self.tmpdir):
            for directory, _dirs, names in os.walk(top):
                for name in names:
                    path = os.path.join(directory, name)
                    try:
                        with open(path, "rb") as handle:
                            if needle in handle.read():
                                found.append(path)
                    except OSError:
                        continue
        return found

    def keyring_entry(self, profile: str) -> str | None:
        """The keychain's entry for ``profile``, read with keyring as any program would."""
        code = (
            "import keyring, sys; "
            f"v = keyring.get_password('awsenv', {profile!r}); "
            "sys.stdout.write('<none>' if v is None else v)"
        )
        result = subprocess.run(
            [PYTHON, "-c", code], env=self.env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return None if result.stdout == "<none>" else result.stdout


@pytest.fixture
def keychain(home, tmp_path, moto_sts, secret_service) -> Keychain:
    return Keychain(home, tmp_path, moto_sts, secret_service)


SDK_CREDENTIALS = (
    "import boto3, json; s = boto3.Session(profile_name={profile!r}); c = s.get_credentials(); "
    "f = c.get_frozen_credentials(); "
    "arn = s.client('sts').get_caller_identity()['Arn']; "
    "print(json.dumps([c.method, f.access_key, f.secret_key, bool(f.token), arn]))"
)


def sdk_credentials(keychain: Keychain, profile: str) -> list:
    env = {**keychain.env, "AWS_DEFAULT_REGION": "eu-west-1"}  # "fresh" names no region
    result = keychain.python(SDK_CREDENTIALS.format(profile=profile), env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_keys_add_reads_the_keys_on_the_terminal_and_every_sdk_gets_a_session(keychain):
    run = run_pty(
        [PYTHON, "-I", "-m", "awsenv", "keys", "add", "fresh"],
        keychain.env,
        answers=[KEY_ID, SECRET],
        trigger=b": ",
    )
    assert run.code == 0, run.screen
    assert SECRET not in run.screen  # read without echo
    assert KEY_ID in run.screen  # the key id is echoed as typed
    assert "credential_process = awsenv credential-process fresh" in run.screen  # the diff
    assert json.loads(keychain.keyring_entry("fresh") or "{}") == {
        "AccessKeyId": KEY_ID,
        "SecretAccessKey": SECRET,
    }
    config = keychain.config.read_text()
    assert config.startswith(CONFIG)  # appended; every old byte kept
    assert "[profile fresh]\ncredential_process = awsenv credential-process fresh\n" in config
    assert "awsenv_keychain = true" in config
    assert keychain.files_holding(SECRET) == []

    listed = keychain.awsenv("keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "fresh  AKIA...0001\n"

    method, access_key, secret, token, _arn = sdk_credentials(keychain, "fresh")
    assert method == "custom-process"
    assert (access_key, secret, token) != (KEY_ID, SECRET, False)
    assert access_key != KEY_ID
    assert secret != SECRET
    assert token
    assert not any(SECRET in text for text in keychain.outputs)


def test_keys_add_without_a_terminal_is_one_line_and_reads_nothing(keychain):
    result = keychain.awsenv("keys", "add", "fresh")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("awsenv: 'awsenv keys add fresh' reads")
    assert keychain.keyring_entry("fresh") is None
    assert keychain.config.read_text() == CONFIG


class RefusingSts(BaseHTTPRequestHandler):
    """An STS that refuses every call as AWS refuses an unknown access key id."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = (
            b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            b"<Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
            b"<Message>The security token included in the request is invalid.</Message></Error>"
            b"<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        )
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_sts():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingSts)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_keys_add_refused_by_sts_stores_nothing(keychain, refusing_sts):
    env = {**keychain.env, "AWS_ENDPOINT_URL_STS": refusing_sts}
    run = run_pty(
        [PYTHON, "-I", "-m", "awsenv", "keys", "add", "fresh"],
        env,
        answers=[KEY_ID, SECRET],
        trigger=b": ",
    )
    assert run.code == 1, run.screen
    assert "InvalidClientTokenId" in run.screen
    assert SECRET not in run.screen
    assert keychain.keyring_entry("fresh") is None
    assert keychain.config.read_text() == CONFIG


def test_keys_import_moves_the_keys_and_leaves_every_other_byte(keychain):
    keychain.credentials.write_text(CREDENTIALS)
    # an earlier awsenv edit's backup that still holds the secret
    backup = keychain.credentials.with_name("credentials.awsenv-backup")
    backup.write_text(CREDENTIALS)
    result = keychain.awsenv("keys", "import", "dev")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    removed = {
        f"aws_access_key_id = {KEY_ID}\n",
        f"aws_secret_access_key = {SECRET}\n",
    }
    kept = "".join(line for line in CREDENTIALS.splitlines(True) if line not in removed)
    assert keychain.credentials.read_text() == kept
    config = keychain.config.read_text()
    assert config == CONFIG.replace(
        "output = json\n",
        "output = json\ncredential_process = awsenv credential-process dev\n"
        "awsenv_keychain = true\n",
    )
    assert "+credential_process = awsenv credential-process dev" in result.stderr  # the diff
    assert json.loads(keychain.keyring_entry("dev") or "{}")["SecretAccessKey"] == SECRET
    assert keychain.files_holding(SECRET) == []  # no backup, no temp file, no cache
    assert not backup.exists()
    assert SECRET not in result.stderr

    # every SDK gets a session through the profile; a role over it works in botocore too
    method, access_key, _secret, token, _arn = sdk_credentials(keychain, "dev")
    assert (method, token) == ("custom-process", True)
    assert access_key != KEY_ID
    method, access_key, _secret, token, _arn = sdk_credentials(keychain, "deploy")
    assert (method, token) == ("assume-role", True)

    # and credential-process itself hands out a session, never the long-lived keys
    printed = keychain.awsenv("credential-process", "dev")
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["Version"] == 1
    assert document["AccessKeyId"] != KEY_ID
    assert document["SessionToken"]
    assert "Expiration" in document
    assert not any(SECRET in text for text in keychain.outputs)


@pytest.mark.parametrize("dialect", ["bash", "zsh", "fish"])
def test_use_and_exec_of_a_keychain_profile_and_of_a_role_over_it(keychain, dialect):
    keychain.credentials.write_text(CREDENTIALS)
    assert keychain.awsenv("keys", "import", "dev").returncode == 0
    q = shells.quote
    child = "import os; print(os.environ.get('AWS_ACCESS_KEY_ID', '-'), end='')"
    sdk = SDK_CREDENTIALS.format(profile=None).replace("profile_name=None", "")
    printf0 = "printf '\\0'\n"
    body = (
        "awsenv use dev\n"
        + SHELLS[dialect].print_var("AWS_PROFILE")
        + "\n"
        + SHELLS[dialect].print_var("AWS_ACCESS_KEY_ID")
        + "\n"
        + f"{q(dialect, PYTHON)} -c {q(dialect, sdk)}; {printf0}"
        + f"awsenv exec dev -- {q(dialect, PYTHON)} -c {q(dialect, child)}; {printf0}"
        + f"awsenv exec deploy -- {q(dialect, PYTHON)} -c {q(dialect, child)}; {printf0}"
        + "awsenv use deploy\n"
        + SHELLS[dialect].print_var("AWS_PROFILE")
        + "\n"
        + f"{q(dialect, PYTHON)} -c {q(dialect, sdk)}; {printf0}"
    )
    status, values, stderr = keychain.shell(dialect, body)
    assert status == 0, stderr
    profile, key, sdk_dev, exec_dev, exec_deploy, profile2, sdk_deploy = values[:7]
    assert (profile, key, profile2) == ("dev", "<unset>", "deploy")
    method, access_key, _secret, token, _arn = json.loads(sdk_dev)
    assert (method, token) == ("custom-process", True)
    assert access_key != KEY_ID
    assert exec_dev.startswith("ASIA") or exec_dev not in ("-", KEY_ID)
    assert exec_deploy not in ("-", KEY_ID, exec_dev)
    method, _key, _secret, token, _arn = json.loads(sdk_deploy)
    assert (method, token) == ("assume-role", True)
    assert not any(SECRET in text for text in keychain.outputs)


def test_explain_says_the_keys_are_in_the_keychain_and_never_shows_them(keychain):
    keychain.credentials.write_text(CREDENTIALS)
    assert keychain.awsenv("keys", "import", "dev").returncode == 0
    result = keychain.awsenv("explain", "dev", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kind"] == "keychain"
    assert data["exports"]["mode"] == "profile"
    assert "keychain" in json.dumps(data["chain"])
    text = keychain.awsenv("explain", "dev").stdout + keychain.awsenv("explain", "deploy").stdout
    assert "keychain" in text
    assert KEY_ID not in text
    assert SECRET not in text


def test_keys_rm_deletes_the_entry_and_awsenv_s_credential_process(keychain):
    keychain.credentials.write_text(CREDENTIALS)
    assert keychain.awsenv("keys", "import", "dev").returncode == 0
    result = keychain.awsenv("keys", "rm", "dev")
    assert result.returncode == 0, result.stderr
    assert keychain.keyring_entry("dev") is None
    assert keychain.config.read_text() == CONFIG
    assert keychain.awsenv("keys", "list").stdout == ""
    again = keychain.awsenv("keys", "rm", "dev")
    assert again.returncode == 1
    assert len(again.stderr.splitlines()) == 1


def test_the_keyring_is_locked_with_its_password_not_plain_text(keychain, secret_service):
    # what "outside the keychain" means above: the keyring file is there, encrypted
    keychain.credentials.write_text(CREDENTIALS)
    assert keychain.awsenv("keys", "import", "dev").returncode == 0
    keyrings = list((keychain.home / ".local" / "share" / "keyrings").glob("*.keyring"))
    assert keyrings
    assert all(SECRET.encode() not in path.read_bytes() for path in keyrings)
    assert PASSWORD not in b"".join(path.read_bytes() for path in keyrings)


# --- no keychain backend ---------------------------------------------------------------------


@pytest.fixture
def no_keychain(home, tmp_path, moto_sts) -> Keychain:
    """No Secret Service: keyring's fail backend, as on a headless Linux."""
    world = Keychain.__new__(Keychain)
    world.home = home
    world.tmpdir = tmp_path / "tmpdir"
    world.tmpdir.mkdir()
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    world.config, world.credentials = aws / "config", aws / "credentials"
    world.config.write_text(CONFIG)
    world.env = minimal_env(
        home,
        AWS_ENDPOINT_URL_STS=moto_sts,
        PATH=BINDIR + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        TMPDIR=str(world.tmpdir),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    world.outputs = []
    return world


def _one_line_no_keychain(stderr: str) -> None:
    lines = stderr.splitlines()
    assert lines[0].startswith("awsenv: no OS keychain is available"), stderr
    assert "gnome-keyring" in stderr  # what to install
    assert "Traceback" not in stderr


def test_no_keychain_backend_is_one_line_and_nothing_moves(no_keychain):
    no_keychain.credentials.write_text(CREDENTIALS)
    result = no_keychain.awsenv("keys", "import", "dev")
    assert result.returncode == 1
    _one_line_no_keychain(result.stderr)
    assert no_keychain.credentials.read_text() == CREDENTIALS  # no fallback, nothing removed
    assert no_keychain.config.read_text() == CONFIG
    assert not list(no_keychain.home.rglob("*.awsenv-backup"))

    run = run_pty(
        [PYTHON, "-I", "-m", "awsenv", "keys", "add", "fresh"],
        no_keychain.env,
        answers=[KEY_ID, SECRET],
        trigger=b": ",
    )
    assert run.code == 1
    assert "access key id" not in run.screen  # nothing asked
    _one_line_no_keychain(run.screen.replace("\r\n", "\n"))
    assert no_keychain.config.read_text() == CONFIG


def test_no_keychain_backend_fails_a_keychain_profile_with_one_line(no_keychain):
    no_keychain.config.write_text(
        CONFIG.replace(
            "output = json\n",
            "output = json\ncredential_process = awsenv credential-process dev\n"
            "awsenv_keychain = true\n",
        )
    )
    result = no_keychain.awsenv("credential-process", "dev")
    assert result.returncode == 1
    assert result.stdout == ""
    _one_line_no_keychain(result.stderr)


def test_mfa_roles_over_a_keychain_profile_share_one_mfa_session(keychain):
    """One MFA code for every MFA role over keys kept in the keychain, as over keys in a file."""
    keychain.credentials.write_text(CREDENTIALS)
    assert keychain.awsenv("keys", "import", "dev").returncode == 0
    serial = "arn:aws:iam::123456789012:mfa/dev"
    with keychain.config.open("a") as config:
        for name in ("secure", "audit", "billing"):
            config.write(
                f"\n[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/{name}\n"
                f"source_profile = dev\nmfa_serial = {serial}\nregion = eu-west-1\n"
            )
    first = keychain.awsenv("use", "secure", "--mfa-code", "123456")
    assert first.returncode == 0, first.stderr
    assert "export AWS_ACCESS_KEY_ID=" in first.stdout
    assert "export AWSENV_RENEWABLE=" in first.stdout  # renews from the session, no prompt
    # no code and no terminal: only the MFA session made by the first use can serve it
    second = keychain.awsenv("use", "audit")
    assert second.returncode == 0, second.stderr
    assert "assumed-role" not in second.stderr
    ids = {
        line.split("=", 1)[1].strip("'")
        for line in (first.stdout + second.stdout).splitlines()
        if line.startswith("export AWS_ACCESS_KEY_ID=")
    }
    assert len(ids) == 2
    assert KEY_ID not in ids
    # logout forgets the session of the keychain root too: a role not yet assumed needs a code
    out = keychain.awsenv("logout", "secure")
    assert out.returncode == 0, out.stderr
    assert "forgot the MFA session of profile 'dev'" in out.stderr
    third = keychain.awsenv("use", "billing")
    assert third.returncode == 1
    assert len(third.stderr.strip().splitlines()) <= 2  # one line, and its hint
    assert f"an MFA code for {serial} is needed" in third.stderr
    assert not any(SECRET in text for text in keychain.outputs)


def test_debug_output_of_the_keychain_paths_holds_no_secret(keychain):
    """--debug turns botocore's request log on: keys import, use, credential-process and logout
    of a keychain profile print neither the long-lived secret nor a session's."""
    keychain.credentials.write_text(CREDENTIALS)
    assert keychain.awsenv("--debug", "keys", "import", "dev").returncode == 0
    used = keychain.awsenv("--debug", "use", "dev")
    assert used.returncode == 0, used.stderr
    process = keychain.awsenv("credential-process", "dev")
    assert process.returncode == 0, process.stderr
    session = json.loads(process.stdout)
    debugged = keychain.awsenv("--debug", "use", "deploy", "--keys")
    assert debugged.returncode == 0, debugged.stderr
    assert "awsenv debug:" in used.stderr + debugged.stderr  # the log was on
    stderr = "".join(keychain.outputs[1::2])  # every stderr awsenv wrote
    for secret in (SECRET, session["SecretAccessKey"], session["SessionToken"]):
        assert secret not in stderr
