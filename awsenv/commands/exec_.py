"""``awsenv exec PROFILE [-- CMD [ARG...]]``: run one command, or a shell, as the profile.

awsenv replaces itself with the command (``execvpe``), so the command's exit status is
awsenv's, and signals (Ctrl-C, SIGTERM from a supervisor) reach it directly. With no command it
starts the user's shell the same way (aws-vault's habit), marked with ``AWSENV_EXEC=PROFILE`` so
that the prompt and ``status`` show it; the shell that ran ``awsenv exec`` is untouched.
"""

from __future__ import annotations

import os

from awsenv import exports, profiles, ui
from awsenv.commands import check_region
from awsenv.config import ConfigFiles
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import NoReturn

    from awsenv.clispec import Args


class CommandNotFound(AwsenvError):
    """The command to run does not exist (exit 127, as shells use)."""

    exit_code = 127


def child_environment(
    environ: Mapping[str, str],
    name: str,
    keys: exports.Keys,
    region: str | None,
    command: Sequence[str],
    *,
    subshell: bool = False,
) -> dict[str, str]:
    """Return the environment of the command: the keys, the region, and no stale profile.

    With ``subshell`` (the command is the user's shell) it also holds the mark ``AWSENV_EXEC`` and
    keeps ``AWSENV_SAVED``, the baseline of the shell that ran ``exec``, so that an
    ``awsenv unset`` in the subshell clears the keys as it would there.

    Raises ``exports.NoRoom`` if ``command`` could not be started with it (a value or the whole
    past what execve takes), before anything runs; for a shell, if the programs it starts
    (``awsenv`` among them) could not be.
    """
    # in the subshell, `use -` goes back to what the shell that ran exec used
    previous = exports.encode_previous(environ) if subshell else None
    plan: exports.Plan = [
        (step, value)
        for step, value in exports.plan_keys(environ, name, keys, region=region, previous=previous)
        if subshell or step != exports.AWSENV_SAVED
    ]
    plan.append(("AWSENV_SHELL", None))
    if subshell:
        plan.append((exports.AWSENV_EXEC, name))
        return exports.fitted(plan, environ)
    plan.append((exports.AWSENV_SAVED, None))
    return exports.fitted(plan, environ, argv=command)


def user_shell(environ: Mapping[str, str]) -> str:
    """Return the shell to start: $SHELL if it can run, else the one that started us, else sh."""
    import shutil

    configured = environ.get("SHELL", "")
    if configured:
        found = shutil.which(configured, path=environ.get("PATH", os.defpath))
        if found:
            return found
    from awsenv import detect

    parent = detect.parent_shell_executable()
    chosen = parent if parent and os.access(parent, os.X_OK) else "/bin/sh"
    if configured:
        ui.warn(f"$SHELL ({configured}) is not a program that can run; starting {chosen}")
    return chosen


def run(args: Args, environ: Mapping[str, str]) -> NoReturn:
    """Obtain the profile's keys and replace this process with the command (or a shell)."""
    from awsenv import providers
    from awsenv.commands import provider_context

    command = [str(word) for word in (args.get("cmd") or [])]  # type: ignore[attr-defined]
    if command and command[0] == "--":
        command = command[1:]
    name = str(args.get("profile"))
    files = ConfigFiles(environ)
    resolved = profiles.resolve(files, name)
    region_arg = args.get("region")
    # `--region ""` is a usage error, not "no --region" (it used to export the profile's)
    region = check_region(str(region_arg)) if region_arg is not None else resolved.region
    keys = providers.obtain(files, resolved, provider_context(args, environ))
    shell = not command
    if shell:
        command = [user_shell(environ)]
    env = child_environment(environ, name, keys, region, command, subshell=shell)
    if shell:
        outer = environ.get(exports.AWSENV_EXEC)
        if outer:
            ui.info(f"already in an exec shell of {outer}; starting another for {name}")
        else:
            ui.info(f"starting {command[0]} as {name}; exit returns to this shell")
    try:
        os.execvpe(command[0], command, env)  # noqa: S606 - running the user's command is the point
    except FileNotFoundError:
        raise CommandNotFound(f"command not found: {command[0]}") from None
    except PermissionError:
        raise CommandNotFound(f"cannot run {command[0]}: permission denied") from None
