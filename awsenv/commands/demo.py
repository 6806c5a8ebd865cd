"""``awsenv demo``: a throwaway shell with example profiles, to try awsenv with no AWS account.

The SSO profiles log in for real, against awsenv's local IAM Identity Center stand-in on
127.0.0.1 (which also answers STS GetCallerIdentity); a scripted browser approves each sign-in.
Everything lives in a temporary HOME that is deleted when the demo ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from awsenv import shells, ui
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args

DEMO_CONFIG = """\
# A throwaway config made by `awsenv demo`; it disappears when the demo shell exits.
[sso-session demo]
sso_start_url = https://d-0000000000.awsapps.com/start
sso_region = us-east-1

[profile demo-dev]
sso_session = demo
sso_account_id = 111111111111
sso_role_name = Developer
region = eu-west-1

[profile demo-prod]
sso_session = demo
sso_account_id = 222222222222
sso_role_name = ReadOnly
region = us-west-2

# AWS's documented example keys: they look real and can never work.
[profile demo-static]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
region = us-east-1
"""

ACCOUNTS = {
    "111111111111": ("Development", ["Developer", "ReadOnly"]),
    "222222222222": ("Production", ["ReadOnly"]),
}

WHOAMI = """#!{python}
# Ask STS who this shell is (what `aws sts get-caller-identity` does), via boto3.
import boto3
print(boto3.client("sts").get_caller_identity()["Arn"])
"""

TOUR = (
    "awsenv list",
    "awsenv use demo-dev",
    'echo "AWS_PROFILE=${AWS_PROFILE-} AWS_REGION=${AWS_REGION-}"',
    "awsenv status",
    "aws-whoami",
    "awsenv use demo-prod",
    "aws-whoami",
    "awsenv list",
    "awsenv unset",
    'echo "AWS_PROFILE=${AWS_PROFILE-<unset>} AWS_REGION=${AWS_REGION-<unset>}"',
)


def _environment(home: str, environ: Mapping[str, str], standin: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in environ.items()
        if not k.startswith(("AWS_", "AWSENV_"))
        and k not in {"PROMPT_COMMAND", "ZDOTDIR", "BROWSER"}
    }
    env.update(
        HOME=home,
        AWS_CONFIG_FILE=os.path.join(home, ".aws", "config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, ".aws", "credentials"),
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        AWS_EC2_METADATA_DISABLED="true",
        PATH=os.path.join(home, "bin") + os.pathsep + environ.get("PATH", "/usr/bin:/bin"),
        BROWSER=f"{sys.executable} -I -m awsenv.demo.browser %s",
        **standin,
    )
    return env


def _write(path: str, text: str, mode: int = 0o600) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)


def _shell_argv(dialect: str, home: str, init: str) -> list[str]:
    """Write the demo's rc file for ``dialect`` and return the command that starts the shell."""
    if dialect == "bash":
        _write(os.path.join(home, ".bashrc"), init + "\nPS1='demo \\w \\$ '\n")
        return ["bash", "--rcfile", os.path.join(home, ".bashrc"), "-i"]
    if dialect == "zsh":
        _write(os.path.join(home, ".zshrc"), "PROMPT='demo %~ %# '\n" + init)
        return ["zsh", "-i"]
    if dialect == "fish":
        _write(os.path.join(home, ".config", "fish", "config.fish"), init)
        return ["fish", "-i"]
    _write(os.path.join(home, "profile.ps1"), init)
    return ["pwsh", "-NoLogo", "-NoExit", "-File", os.path.join(home, "profile.ps1")]


def _tour(env: dict[str, str], init: str, home: str) -> int:
    lines = [init, "set -e"]
    for step in TOUR:
        lines.append(f"printf '\\n$ %s\\n' {shells.quote('bash', step)}")
        lines.append(step)
    script = os.path.join(home, "tour.bash")
    _write(script, "\n".join(lines) + "\n")
    ui.info("no terminal: running the demo tour instead of an interactive shell")
    # our own script, in bash found on PATH
    return subprocess.call(["bash", "--noprofile", "--norc", script], env=env)  # noqa: S603, S607


def _prepare(home: str) -> None:
    config = os.path.join(home, ".aws", "config")
    _write(config, DEMO_CONFIG)
    past = os.stat(config).st_mtime - 10
    os.utime(config, (past, past))
    _write(os.path.join(home, "bin", "aws-whoami"), WHOAMI.format(python=sys.executable), 0o700)


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Start the demo shell (or the scripted tour without a terminal); return nothing for stdout."""
    from awsenv.demo.idc import IdentityCenterStandIn

    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    with (
        tempfile.TemporaryDirectory(prefix="awsenv-demo-") as home,
        IdentityCenterStandIn(accounts=ACCOUNTS, user_name="demo-user", interval=1) as standin,
    ):
        env = _environment(home, environ, standin.environ(sts=True))
        _prepare(home)
        if not interactive:
            init = shells.init_script(
                "bash",
                command=shells.core_command(environ),
                clock="",
                prompt=False,
                completion=False,
            )
            status = _tour(env, init, home)
            if status:
                raise AwsenvError(f"the demo tour failed (exit {status})")
            return ""
        requested = args.get("shell")
        if requested:
            dialect = shells.normalize(str(requested))
        else:
            from awsenv import detect

            dialect = detect.parent_shell(environ) or "bash"
        init = shells.init_script(
            dialect,
            command=shells.core_command(environ),
            clock=shells.clock_file(env) if dialect == "fish" else "",
            prompt=True,
            completion=True,
        )
        argv = _shell_argv(dialect, home, init)
        if dialect == "zsh":
            env["ZDOTDIR"] = home
        for line in (
            f"a demo {dialect} with a throwaway HOME and a local IAM Identity Center "
            f"({standin.base_url}) whose sign-ins approve themselves.",
            "try: awsenv list | awsenv use demo-dev | aws-whoami | awsenv status | "
            "awsenv use demo-prod --keys | awsenv unset, and Tab after 'awsenv use '.",
            "type exit to leave; everything is deleted then.",
        ):
            ui.info(line)
        try:
            subprocess.call(argv, env=env)  # noqa: S603 - the shell the user chose
        except FileNotFoundError:
            raise AwsenvError(
                f"{argv[0]} is not installed; try: awsenv demo --shell bash"
            ) from None
        return ""
