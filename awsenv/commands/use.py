"""``awsenv use PROFILE``: make this shell act as the profile, logging in when needed."""

from __future__ import annotations

from awsenv import switch
from awsenv.commands import check_region, provider_context, wrapper_dialect
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Resolve the profile and return the shell code that exports it."""
    dialect = wrapper_dialect(environ, "use")
    name = str(args.get("profile"))
    if not name:
        # botocore would read `[profile '']`, but an empty AWS_PROFILE or AWSENV_PROFILE means
        # "none" to the prompt, status, refresh and most tools: the shell would be half set.
        raise UsageError("the profile name is empty", hint="'awsenv list' shows every profile")
    region_arg = args.get("region")
    # `--region ""` is a usage error, not "no --region" (it used to export the profile's)
    region = check_region(str(region_arg)) if region_arg is not None else None
    return switch.shell_code(
        environ,
        name,
        provider_context(args, environ),
        dialect=dialect,
        keys=bool(args.get("keys")),
        write=bool(args.get("write_credentials")),
        region=region,
    )
