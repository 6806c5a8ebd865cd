"""``awsenv demo``: a throwaway shell with example profiles, to try awsenv with no AWS account."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from awsenv import shells, ui
from awsenv.commands.init import clock_file, core_command
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.cli import Args

# AWS's documented example keys: they look real and can never work.
DEMO_CONFIG = """\
# A throwaway config made by `awsenv demo`; it disappears when the demo shell exits.
[default]
region = us-east-1

[profile demo-base]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
region = us-east-1

[profile demo-dev]
role_arn = arn:aws:iam::111111111111:role/Developer
source_profile = demo-base
region = eu-west-1

[profile demo-prod]
role_arn = arn:aws:iam::222222222222:role/ReadOnly
source_profile = demo-base
region = us-west-2
"""

TOUR = (
    "awsenv list",
    "awsenv use demo-dev",
    'echo "AWS_PROFILE=${AWS_PROFILE-} AWS_REGION=${AWS_REGION-}"'
    ' "AWSENV_PROFILE=${AWSENV_PROFILE-}"',
    "awsenv status",
    "awsenv region ap-south-1",
    'echo "AWS_REGION=${AWS_REGION-}"',
    "awsenv unset",
    'echo "AWS_PROFILE=${AWS_PROFILE-<unset>} AWS_REGION=${AWS_REGION-<unset>}"',
)


def _environment(home: str, environ: Mapping[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in environ.items()
        if not k.startswith(("AWS_", "AWSENV_")) and k not in {"PROMPT_COMMAND", "ZDOTDIR"}
    }
    env.update(
        HOME=home,
        AWS_CONFIG_FILE=os.path.join(home, ".aws", "config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, ".aws", "credentials"),
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


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
    return subprocess.call(["bash", "--noprofile", "--norc", script], env=env)  # noqa: S603, S607 - our own script


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Start the demo shell (or the scripted tour without a terminal); return nothing for stdout."""
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    with tempfile.TemporaryDirectory(prefix="awsenv-demo-") as home:
        env = _environment(home, environ)
        _write(os.path.join(home, ".aws", "config"), DEMO_CONFIG)
        past = os.stat(os.path.join(home, ".aws", "config")).st_mtime - 10
        os.utime(os.path.join(home, ".aws", "config"), (past, past))
        if not interactive:
            init = shells.init_script(
                "bash",
                command=core_command(environ),
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
            command=core_command(environ),
            clock=clock_file(env) if dialect == "fish" else "",
            prompt=True,
            completion=True,
        )
        argv = _shell_argv(dialect, home, init)
        if dialect == "zsh":
            env["ZDOTDIR"] = home
        ui.info(
            f"demo {dialect} with a throwaway HOME ({home}) and profiles demo-base, demo-dev, "
            "demo-prod. Try: awsenv list, awsenv use demo-dev, awsenv status, awsenv unset, "
            "and Tab after 'awsenv use '. Type exit to leave."
        )
        try:
            subprocess.call(argv, env=env)  # noqa: S603 - the shell the user chose
        except FileNotFoundError:
            raise AwsenvError(
                f"{argv[0]} is not installed; try: awsenv demo --shell bash"
            ) from None
        return ""
