"""T27, T28: no secret in any output, log or file but the caches meant for it, at every verbosity.

Every secret the stand-ins hand out carries a canary (``idc.canaries()``: SSO access and refresh
tokens, client secrets, authorization codes, role keys minted through moto), and this test adds
its own: a static secret key, a SAML assertion, the MFA code typed. Every command runs three
times, plain, with ``--debug`` and with ``AWSENV_DEBUG=1`` (botocore's debug log prints request
and response bodies, so awsenv's redaction must mask them), on the happy paths and the error
paths (wrong MFA code, a stand-in answering 500, a revoked token). Then no canary may be found in
stderr, in stdout outside the lines that carry keys by contract (``export AWS_SECRET_ACCESS_KEY``
of ``use --keys``, the JSON of ``credential-process``), in the prompt or completion output, in
the history of an interactive bash session, or in any file under HOME other than the AWS caches
and credentials files (and awsenv's SAML key cache, which ``credential-process`` reads).
"""

from __future__ import annotations

import collections
import contextlib
import json
import subprocess
import uuid
from pathlib import Path

import pytest

from awsenv import shells
from awsenv.demo.idc import IdentityCenterStandIn
from awsenv.log import MASK
from tests.e2e.test_saml_core import MOTO_ACCOUNT, provider_arn, role_arn, saml_response
from tests.helpers import PYTHON, require_tool
from tests.terminal import run_pty
from tests.unit.test_shells_quote import posix_plan
from tests.worlds import SsoWorld, start_refusing_sts

pytestmark = pytest.mark.faults
FIGURES: collections.Counter[str] = collections.Counter()

RUN = uuid.uuid4().hex[:12]
STATIC_SECRET = f"static-secret.CANARY-{RUN}"
STATIC_TOKEN = f"static-token.CANARY-{RUN}"
MFA_CODE = "918273"
SAML_ROLE = role_arn(MOTO_ACCOUNT, "SamlAdmin")
SERIAL = "arn:aws:iam::111111111111:mfa/alice"

EXTRA_CONFIG = f"""
[profile static]
aws_access_key_id = AKIASTATIC{RUN.upper()[:10]}
aws_secret_access_key = {STATIC_SECRET}
aws_session_token = {STATIC_TOKEN}
region = eu-west-1

[profile chain]
role_arn = arn:aws:iam::111111111111:role/chain
source_profile = static
region = us-east-1

[profile mfa]
role_arn = arn:aws:iam::111111111111:role/mfa
source_profile = static
mfa_serial = {SERIAL}
region = us-east-1

[profile corp-saml]
saml_assertion_file = {{assertion}}
region = us-east-1
"""
# Files that hold secrets on purpose: the AWS CLI's shared caches, the two AWS files, and
# awsenv's SAML key cache (credential-process answers SDKs from it; providers/saml_keys.py) and
# its MFA sessions (the roles over an IAM user's keys are assumed from them; providers/session.py).
INTENDED = (
    ".aws/sso/cache/",
    ".aws/cli/cache/",
    ".aws/credentials",
    ".aws/config",
    "saml-response.b64",  # the user's own saved SAMLResponse (saml_assertion_file)
)
INTENDED_CACHES = ("awsenv/saml/", "awsenv/okta/", "awsenv/mfa-sessions/")
KEY_EXPORTS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
MODES = {
    "plain": ([], {}),
    "--debug": (["--debug"], {}),
    "AWSENV_DEBUG": ([], {"AWSENV_DEBUG": "1"}),
}


class SecretWorld(SsoWorld):
    """The SSO world of the e2e tests plus static, role, MFA and SAML profiles with canaries."""

    def __init__(self, home: Path, idc: IdentityCenterStandIn, sts: str) -> None:
        super().__init__(home, idc, sts)
        self.assertion_text = saml_response([f"{SAML_ROLE},{provider_arn(MOTO_ACCOUNT)}"])
        assertion = home / "saml-response.b64"
        assertion.write_text(self.assertion_text, encoding="ascii")
        with (home / ".aws" / "config").open("a", encoding="utf-8") as config:
            config.write(EXTRA_CONFIG.format(assertion=assertion))
        self.outputs: list[tuple[str, str]] = []  # (what, text) to search for canaries

    def awsenv(
        self, *args: str, mode: str = "plain", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the core as the bash wrapper does, in a debug mode, and keep what it printed."""
        flags, extra = MODES[mode]
        command = list(args)
        if flags:  # after the command, as the wrapper requires for env commands
            command[1:1] = flags
        result = subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", *command],
            env={**(env or self.env), "AWSENV_SHELL": "bash", **extra},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=120,
            check=False,
            start_new_session=True,
        )
        what = f"{' '.join(command)} [{mode}]"
        self.outputs.append((f"stderr of {what}", result.stderr))
        self.outputs.append((f"stdout of {what}", public_stdout(args[0], args, result.stdout)))
        return result

    def canaries(self) -> list[str]:
        """Every secret issued or written: the stand-in's, the test's, and the cached role keys."""
        found = [*self.idc.canaries(), STATIC_SECRET, STATIC_TOKEN, self.assertion_text.strip()]
        found.append("CANARY-SAML-ASSERTION-4d2c")  # inside the assertion (saml_response)
        cache = self.home / ".aws" / "cli" / "cache"
        sessions = self.home / ".cache" / "awsenv" / "mfa-sessions"
        for path in [
            *(cache.glob("*.json") if cache.exists() else []),
            *(sessions.glob("*.json") if sessions.exists() else []),
        ]:
            creds = json.loads(path.read_text()).get("Credentials", {})
            found += [creds[k] for k in ("SecretAccessKey", "SessionToken") if creds.get(k)]
        return sorted(set(found))


def public_stdout(command: str, args: tuple[str, ...], stdout: str) -> str:
    """Return stdout without what carries secrets by contract (key exports, credential JSON)."""
    if command == "credential-process" and stdout.strip():
        document = json.loads(stdout)
        return json.dumps(
            {k: v for k, v in document.items() if k not in ("SecretAccessKey", "SessionToken")}
        )
    if command in ("use", "refresh") and "export AWS_ACCESS_KEY_ID=" in stdout:  # key mode
        return "".join(
            line
            for line in stdout.splitlines(keepends=True)
            if not line.startswith(tuple(f"export {name}=" for name in KEY_EXPORTS))
        )
    return stdout


def shell_env(base: dict[str, str], code: str) -> dict[str, str]:
    """Return ``base`` after applying the bash code ``use`` printed (read by the quote model)."""
    env = dict(base)
    for name, value in posix_plan(code):
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value.decode("utf-8", "surrogateescape")
    return env


@pytest.fixture
def world(home: Path, idc: IdentityCenterStandIn, moto_sts: str) -> SecretWorld:
    """A HOME full of canary secrets."""
    return SecretWorld(home, idc, moto_sts)


def leaks(world: SecretWorld) -> list[str]:
    """Return where a canary was found: outputs, then files under HOME not meant to hold one."""
    canaries = world.canaries()
    assert len(canaries) >= 8, canaries
    FIGURES["canaries searched for (sum over tests)"] += len(canaries)
    FIGURES["outputs searched (stdout, stderr, prompt, history...)"] += len(world.outputs)
    FIGURES["files under HOME searched"] += sum(1 for p in world.home.rglob("*") if p.is_file())
    found = [f"{what}: {c[:24]}..." for what, text in world.outputs for c in canaries if c in text]
    found += [f"{what}: MFA code" for what, text in world.outputs if MFA_CODE in text]
    for path in sorted(world.home.rglob("*")):
        relative = path.relative_to(world.home).as_posix()
        if not path.is_file() or relative.startswith(INTENDED):
            continue
        if any(part in relative for part in INTENDED_CACHES):
            continue
        data = path.read_bytes()
        FIGURES["files searched that are not meant to hold secrets"] += 1
        found += [f"{relative}: {c[:24]}..." for c in canaries if c.encode() in data]
        if MFA_CODE.encode() in data:
            found.append(f"{relative}: MFA code")
    FIGURES["canary matches"] += len(found)
    return found


def test_no_command_prints_or_logs_a_secret_at_any_verbosity(world: SecretWorld) -> None:
    ok: list[subprocess.CompletedProcess[str]] = []
    static = None
    for mode in MODES:
        # AWSENV_DEBUG=1 turns on the same log as --debug: it runs the network paths only
        every = mode != "AWSENV_DEBUG"
        # sign-ins: PKCE (sso-session) and device code (legacy), each forced
        ok.append(world.awsenv("login", "dev", "--force", mode=mode))
        if every:
            ok.append(world.awsenv("use", "legacy", "--force-login", mode=mode))
        used = world.awsenv("use", "dev", mode=mode)
        keys = world.awsenv("use", "dev", "--keys", "--force-login", mode=mode)
        ok += [used, keys]
        in_profile = shell_env(world.env, used.stdout)
        in_keys = shell_env(world.env, keys.stdout)
        ok.append(world.awsenv("credential-process", "dev", mode=mode))
        ok.append(world.awsenv("whoami", mode=mode, env=in_profile))
        ok.append(world.awsenv("status", "--identity", mode=mode, env=in_keys))
        # a role chain through moto, SAML through moto
        ok.append(world.awsenv("use", "chain", "--keys", mode=mode))
        if every:  # an MFA session (GetSessionToken), and the role assumed from it
            ok.append(world.awsenv("use", "mfa", "--mfa-code", MFA_CODE, mode=mode))
        ok.append(world.awsenv("use", "corp-saml", "--force-login", mode=mode))
        if not every:
            continue
        ok.append(world.awsenv("exec", "dev", "--", "true", mode=mode))
        ok.append(world.awsenv("list", mode=mode))
        ok.append(world.awsenv("list", "--json", mode=mode))
        ok.append(world.awsenv("sso", "sync", "--sso-session", "corp", "--dry-run", mode=mode))
        ok.append(world.awsenv("region", "eu-central-1", mode=mode, env=in_keys))
        ok.append(world.awsenv("refresh", mode=mode, env=in_keys))
        ok.append(world.awsenv("unset", mode=mode, env=in_keys))
        static = world.awsenv("use", "static", "--keys", mode=mode)
        ok.append(static)
        ok.append(world.awsenv("__complete", "profiles", mode=mode))
    failed = [(r.args, r.stderr[-500:]) for r in ok if r.returncode != 0]
    assert failed == []
    # the debug log is on and busy: botocore's request and response bodies were there to mask
    debug = [r.stderr for r in ok if "--debug" in r.args]
    assert sum("awsenv debug: botocore" in text for text in debug) >= 5
    assert sum(MASK in text for text in debug) >= 5
    # the exported keys leave the shell by `unset`, not by printing them again
    assert static is not None
    assert STATIC_SECRET in static.stdout  # exported, as --keys promises
    assert (
        STATIC_SECRET not in world.awsenv("unset", env=shell_env(world.env, static.stdout)).stdout
    )
    assert leaks(world) == []


def drain(idc: IdentityCenterStandIn) -> None:
    """Use up scripted faults botocore's retries left, so that later calls are answered."""
    import urllib.error
    import urllib.request

    for operation, method, path in (
        ("GetRoleCredentials", "GET", "/federation/credentials"),
        ("CreateToken", "POST", "/token"),
    ):
        while idc.pending_script(operation):
            request = urllib.request.Request(idc.base_url + path, data=None, method=method)
            with contextlib.suppress(urllib.error.HTTPError, ConnectionError):
                urllib.request.urlopen(request, timeout=10).read()


def test_no_error_path_prints_or_logs_a_secret_at_any_verbosity(
    world: SecretWorld, moto_sts: str
) -> None:
    fake, endpoint = start_refusing_sts()
    refusing = {**world.env, "AWS_ENDPOINT_URL_STS": endpoint}
    failed: list[subprocess.CompletedProcess[str]] = []
    try:
        assert world.awsenv("use", "dev", "--keys").returncode == 0  # a token to revoke
        for mode in MODES:
            # a wrong MFA code (STS refuses it)
            failed.append(
                world.awsenv("use", "mfa", "--mfa-code", MFA_CODE, mode=mode, env=refusing)
            )
            if mode != "AWSENV_DEBUG":  # (retried with backoff: 2.5 s a run; --debug has it)
                # the portal answers 500 (awsenv retries, then reports it)
                world.idc.script("GetRoleCredentials", [("status", 500)] * 10)
                failed.append(world.awsenv("use", "dev-ro", "--keys", mode=mode))
            # a login that IAM Identity Center refuses
            world.idc.script("CreateToken", [("error", "invalid_grant")] * 3)
            failed.append(world.awsenv("login", "dev", "--force", mode=mode))
            drain(world.idc)
        for mode in ("plain", "--debug"):
            # a revoked token: the portal says 401, awsenv signs in again and succeeds
            assert world.awsenv("login", "dev").returncode == 0  # (again after a logout)
            world.idc.expire_access_tokens()
            before = world.idc.authorizations
            again = world.awsenv("use", "dev-ro", "--keys", mode=mode)
            assert again.returncode == 0, again.stderr
            assert world.idc.authorizations == before + 1  # the sign-in after the 401
            ok = world.awsenv("logout", "--all", mode=mode)  # tokens and role keys go
            assert ok.returncode == 0, ok.stderr
    finally:
        fake.shutdown()
        fake.server_close()
    assert [r.returncode for r in failed] == [1] * len(failed), [r.stderr for r in failed]
    said = "".join(r.stderr for r in failed)
    assert said.count("MFA") >= 3  # each error names its cause
    assert said.count("HTTP 500") >= 2
    assert said.count("refused the sign-in") >= 3
    assert leaks(world) == []


def test_prompt_and_completion_output_hold_no_secret(world: SecretWorld, tmp_path: Path) -> None:
    keys = world.awsenv("use", "dev", "--keys")
    assert keys.returncode == 0, keys.stderr
    env = shell_env(world.env, keys.stdout)
    init = world.awsenv("init", "bash")
    script = tmp_path / "prompt.bash"
    script.write_text(
        init.stdout
        + "PS1='> '\n__awsenv_prompt_hook\nprintf '%s\\n' \"${PS1@P}\"\n"
        + 'spec="$(complete -p awsenv)"; fn="${spec#*-F }"; fn="${fn%% *}"\n'
        + "COMP_WORDS=(awsenv use ''); COMP_CWORD=2; COMP_LINE='awsenv use '; COMP_POINT=11\n"
        + '"$fn" awsenv "" use; printf \'%s\\n\' "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        [require_tool("bash"), "--noprofile", "--norc", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "aws:dev" in result.stdout
    assert "legacy" in result.stdout
    world.outputs.append(("prompt and completion", result.stdout + result.stderr))
    assert leaks(world) == []


def _drive(argv: list[str], env: dict[str, str], lines: list[str], timeout: float) -> str:
    """Run an interactive program on a pty, typing ``lines`` one by one; return what it showed."""
    return run_pty(argv, env, answers=lines, timeout=timeout).screen


def test_interactive_bash_history_holds_no_secret(world: SecretWorld) -> None:
    # T28: a real interactive bash on a pty, its history written to HISTFILE at exit.
    bash = require_tool("bash")
    history = world.home / ".bash_history"
    env = {**world.env, "HISTFILE": str(history), "PS1": "$ ", "TERM": "dumb"}
    py = shells.quote("bash", PYTHON)
    lines = [
        f'eval "$({py} -I -m awsenv init bash)"',
        "awsenv use dev",
        "awsenv use dev --keys",
        "awsenv region eu-central-1",
        "awsenv use static --keys",
        'printf "%s\\n" "$AWSENV_PROFILE"',
        "awsenv unset",
        "exit",
    ]
    shown = _drive([bash, "--noprofile", "--norc", "-i"], env, lines, timeout=90)
    assert history.exists(), shown[-2000:]
    recorded = history.read_text()
    assert "awsenv use dev --keys" in recorded
    assert "static" in shown  # the session ran to the end
    world.outputs.append(("the terminal of the interactive session", shown))
    world.outputs.append(("the history file", recorded))
    assert leaks(world) == []


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        # found by this suite: the B of Bearer was read as a bytes prefix, the token kept
        ("Authorization: Bearer tok.CANARY-1", "Authorization: "),
        ("authorization=Bearer tok.CANARY-1", "authorization="),
        # an already masked value keeps its b'' quotes (its `b` is not masked as the value)
        ("'x-amz-sso_bearer_token': b'tok.CANARY-1'", "'x-amz-sso_bearer_token': b'"),
        ('{"accessToken": "tok.CANARY-1", "expiresIn": 1}', '"expiresIn": 1'),
        ("code=bCANARY-1&state=s", "state=s"),
        ("<SecretAccessKey>CANARY-1</SecretAccessKey>", "<SecretAccessKey>"),
        ("'X-Amz-Security-Token': b'FQo/CANARY-1+='", "'X-Amz-Security-Token': b'"),
        ("Action=AssumeRole&TokenCode=918273&SerialNumber=x", "SerialNumber=x"),
    ],
)
def test_redaction_masks_every_secret_shape_whole(line: str, kept: str) -> None:
    from awsenv import log

    redacted = log.redact(line)
    assert "CANARY" not in redacted, redacted
    assert MFA_CODE not in redacted, redacted
    assert kept in redacted, redacted
    assert MASK in redacted, redacted
    assert "<redacted>'<redacted>" not in redacted
    assert "B<redacted>" not in redacted


def test_zz_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Print what the secret tests searched (summed over the tests of this run)."""
    with capsys.disabled():
        print("\nawsenv secrets figures: " + json.dumps(dict(sorted(FIGURES.items())), indent=1))
