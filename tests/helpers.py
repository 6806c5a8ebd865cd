"""Shared test helpers: hermetic environments, the hostile-string corpus, real-shell runners."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
IN_CI = bool(os.environ.get("CI"))
# Port 9 (discard) on loopback: nothing listens there, so a connection is refused at once.
CLOSED_ENDPOINT = "http://127.0.0.1:9"

# Used as profile names and values across the shell tests (virtualenv's name, plus every
# character class that has broken a shell integration somewhere).
HOSTILE = (
    "'\";&&e-$ èрт🚒♞中片-j",
    "$(touch CANARY)",
    "`touch CANARY`",
    "a;touch CANARY",
    "trailing\\",
    "new\nline",
    "carriage\rreturn",
    "esc\x1b[31mred",
    "%s%n%x",
    "{}",
    "!!",
    "-n",
    "--",
    "'\\''",
    "\u2018left\u2019 \u201alow\u201b",  # the four single quotes PowerShell also ends strings at
    "${HOME}",
    "a b\tc",
    "*",
    "~root",
    "#comment",
    "%F{red}zsh%f",
    "\\u\\w\\$",
)


def require_tool(name: str) -> str:
    """Return the path of a command, skipping the test locally (failing in CI) when missing."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed"
    if IN_CI:
        pytest.fail(message + " (CI must not pass by skipping)")
    pytest.skip(message)
    raise AssertionError("unreachable")


def minimal_env(home: Path, **extra: str) -> dict[str, str]:
    """Build the environment a fresh login would have: PATH, HOME, LANG, TERM and the AWS files."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "AWS_EC2_METADATA_DISABLED": "true",
        # Any AWS call a test did not point at a stand-in fails at once, on this machine.
        "AWS_ENDPOINT_URL": CLOSED_ENDPOINT,
    }
    env.update(extra)
    return env


def write_config(home: Path, text: str, *, credentials: str | None = None) -> Path:
    """Write ~/.aws/config (and optionally ~/.aws/credentials) under a temporary HOME."""
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    config = aws / "config"
    config.write_text(textwrap.dedent(text), encoding="utf-8")
    if credentials is not None:
        (aws / "credentials").write_text(textwrap.dedent(credentials), encoding="utf-8")
    return config


def run_awsenv(
    args: list[str], env: dict[str, str], *, input_: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the core as the wrappers do (python -I -m awsenv) and capture both streams."""
    return subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", *args],
        env=env,
        input=input_,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )


@dataclass(frozen=True)
class ShellSpec:
    """How to run a script in one real shell with no rc files, and print values exactly."""

    name: str
    argv: tuple[str, ...]
    # a statement that prints the named variable's value followed by NUL, or nothing if unset
    print_nul: str
    init_line: str

    def run(
        self, script: str, env: dict[str, str], *, cwd: Path, timeout: float = 60
    ) -> subprocess.CompletedProcess[bytes]:
        """Write ``script`` to a file in ``cwd`` and run it in this shell."""
        require_tool(self.argv[0])
        path = cwd / f"script.{self.name}"
        path.write_text(script, encoding="utf-8")
        return subprocess.run(
            [*self.argv, str(path)],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    def print_var(self, name: str) -> str:
        """Return the statement that prints ``$name`` and a NUL (prints ``<unset>`` when unset)."""
        return self.print_nul.replace("NAME", name)


SHELLS = {
    "bash": ShellSpec(
        "bash",
        ("bash", "--noprofile", "--norc"),
        "if [ -n \"${NAME+x}\" ]; then printf '%s\\0' \"$NAME\"; else printf '<unset>\\0'; fi",
        'eval "$(INIT)"',
    ),
    "zsh": ShellSpec(
        "zsh",
        ("zsh", "--no-rcs", "--no-globalrcs"),
        "if (( ${+NAME} )); then printf '%s\\0' \"$NAME\"; else printf '<unset>\\0'; fi",
        'eval "$(INIT)"',
    ),
    "fish": ShellSpec(
        "fish",
        ("fish", "--no-config", "--private"),
        "if set -q NAME; printf '%s\\0' \"$NAME\"; else; printf '<unset>\\0'; end",
        "INIT | source",
    ),
}


def use_in_each_shell(
    env: dict[str, str], profile: str, cwd: Path, *, variables: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """In real bash, zsh and fish: load awsenv, ``awsenv use PROFILE``, then print each of
    ``variables`` and the ARN boto3's GetCallerIdentity returns, NUL after each but the last.

    Returns those fields per shell; a shell that fails fails the test, naming the shell.
    """
    from awsenv import shells

    code = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'], end='')"
    found = {}
    for dialect in ("bash", "zsh", "fish"):
        spec = SHELLS[dialect]
        python = shells.quote(dialect, PYTHON)
        if dialect == "fish":
            load = f"{python} -I -m awsenv init fish | source\n"
        else:
            load = f'eval "$({python} -I -m awsenv init {dialect})"\n'
        script = (
            load
            + f"awsenv use {shells.quote(dialect, profile)}\n"
            + "".join(spec.print_var(name) + "\n" for name in variables)
            + f"{python} -c {shells.quote(dialect, code)}\n"
        )
        run = spec.run(script, env, cwd=cwd, timeout=120)
        assert run.returncode == 0, (dialect, run.stderr.decode())
        found[dialect] = run.stdout.decode().split("\0")
    return found


def sdk_whoami_code(profile: str | None = None, *, method: bool = False, end: str = "\n") -> str:
    """Python source printing the caller ARN boto3 finds (for ``profile``, else the default chain).

    ``method`` prints first the credential provider botocore used (``c.method``).
    """
    session = f"boto3.Session(profile_name={profile!r})" if profile else "boto3.Session()"
    shown = "c = s.get_credentials(); print(c.method);" if method else ""
    return (
        f"import boto3; s = {session};{shown}"
        f"print(s.client('sts').get_caller_identity()['Arn'], end={end!r})"
    )


def sdk_whoami(
    env: dict[str, str], profile: str | None = None, *, method: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run boto3's ``sts.get_caller_identity()`` in a fresh process, as any SDK program would."""
    return subprocess.run(
        [PYTHON, "-c", sdk_whoami_code(profile, method=method)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def cli_whoami(
    aws_cli: str,
    env: dict[str, str],
    profile: str | None = None,
    *,
    arn_only: bool = False,
    new_session: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``aws sts get-caller-identity`` (JSON, or with ``arn_only`` the bare ARN), no stdin.

    ``new_session`` runs it with no controlling terminal, so nothing can prompt.
    """
    chosen = ["--profile", profile] if profile else []
    output = ["--query", "Arn", "--output", "text"] if arn_only else ["--output", "json"]
    return subprocess.run(
        [aws_cli, *chosen, "sts", "get-caller-identity", *output],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=new_session,
    )


# `complete_at WORD...` prints, NUL-separated, what the loaded awsenv completion offers for the
# command line WORD... (the last word being completed), then a lone \x01. bash: COMP_WORDS and
# friends set as readline sets them, then the function `complete -p awsenv` names; zsh: `_awsenv`
# uses only `compadd`, so a stand-in prints the words after `--` that start with $PREFIX.
COMPLETE_AT = {
    "bash": r"""
spec="$(complete -p awsenv)"
fn="${spec#*-F }"
fn="${fn%% *}"
complete_at() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT="${#COMP_LINE}"
    COMPREPLY=()
    "${fn}" awsenv "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    if ((${#COMPREPLY[@]})); then printf '%s\0' "${COMPREPLY[@]}"; fi
    printf '\1\0'
}
""",
    "zsh": r"""
compadd() {
    while (($#)) && [[ "$1" != -- ]]; do shift; done
    shift
    local word
    for word in "$@"; do
        if [[ "${word}" == "${PREFIX}"* ]]; then printf '%s\0' "${word}"; fi
    done
}
complete_at() {
    local -a words
    words=("$@")
    local CURRENT=$#
    local PREFIX="${words[CURRENT]}"
    _awsenv
    printf '\1\0'
}
""",
}
