"""``awsenv exec PROFILE -- CMD [ARG...]``: run one command as the profile; the shell is untouched.

awsenv replaces itself with the command (``execvpe``), so the command's exit status is
awsenv's, and signals (Ctrl-C, SIGTERM from a supervisor) reach it directly.
"""

from __future__ import annotations

import os

from awsenv import exports, profiles
from awsenv.commands import check_region
from awsenv.config import ConfigFiles
from awsenv.errors import AwsenvError, UsageError

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
) -> dict[str, str]:
    """Return the environment of the command: the keys, the region, and no stale profile.

    Raises ``exports.NoRoom`` if ``command`` could not be started with it (a value or the whole
    past what execve takes), before anything runs.
    """
    plan: exports.Plan = [
        (step, value)
        for step, value in exports.plan_keys(environ, name, keys, region=region)
        if step != exports.AWSENV_SAVED
    ]
    plan += [("AWSENV_SHELL", None), (exports.AWSENV_SAVED, None)]
    return exports.fitted(plan, environ, argv=command)


def run(args: Args, environ: Mapping[str, str]) -> NoReturn:
    """Obtain the profile's keys and replace this process with the command."""
    from awsenv import providers
    from awsenv.commands import provider_context

    command = [str(word) for word in (args.get("cmd") or [])]  # type: ignore[attr-defined]
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("name the command to run: awsenv exec PROFILE -- CMD [ARG...]")
    name = str(args.get("profile"))
    files = ConfigFiles(environ)
    resolved = profiles.resolve(files, name)
    region_arg = args.get("region")
    # `--region ""` is a usage error, not "no --region" (it used to export the profile's)
    region = check_region(str(region_arg)) if region_arg is not None else resolved.region
    keys = providers.obtain(files, resolved, provider_context(args, environ))
    env = child_environment(environ, name, keys, region, command)
    try:
        os.execvpe(command[0], command, env)  # noqa: S606 - running the user's command is the point
    except FileNotFoundError:
        raise CommandNotFound(f"command not found: {command[0]}") from None
    except PermissionError:
        raise CommandNotFound(f"cannot run {command[0]}: permission denied") from None
