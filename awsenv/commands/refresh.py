"""``awsenv refresh``: renew what this shell exports for the profile it uses now."""

from __future__ import annotations

from awsenv import exports
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Run ``use`` for the shell's current profile, in the mode (profile or keys) it uses."""
    from awsenv import clispec
    from awsenv.clispec import Args as Arguments
    from awsenv.commands import use

    profile = environ.get(exports.AWSENV_PROFILE)
    if not profile:
        raise UsageError(
            "this shell uses no awsenv profile, so there is nothing to refresh",
            hint="switch to one with: awsenv use PROFILE",
        )
    values: dict[str, object] = {
        o.dest: (None if o.metavar else False) for o in clispec.BY_NAME["use"].options
    }
    values.update(
        profile=profile,
        keys=bool(environ.get("AWS_ACCESS_KEY_ID")) and not environ.get("AWS_PROFILE"),
        device_code=bool(args.get("device_code")),
        no_browser=bool(args.get("no_browser")),
    )
    return use.run(Arguments("use", values), environ)
