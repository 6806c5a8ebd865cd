"""``awsenv use PROFILE``: make this shell act as the profile, logging in when needed.

``awsenv use -`` goes back to the profile the shell used before, in its mode and region.
"""

from __future__ import annotations

from awsenv import exports, switch
from awsenv.commands import check_region, provider_context, wrapper_dialect
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Resolve the profile and return the shell code that exports it (``-``: the previous one)."""
    dialect = wrapper_dialect(environ, "use")
    name = str(args.get("profile"))
    if not name:
        # botocore would read `[profile '']`, but an empty AWS_PROFILE or AWSENV_PROFILE means
        # "none" to the prompt, status, refresh and most tools: the shell would be half set.
        raise UsageError("the profile name is empty", hint="'awsenv list' shows every profile")
    keys = bool(args.get("keys"))
    region_arg = args.get("region")
    # `--region ""` is a usage error, not "no --region" (it used to export the profile's)
    region = check_region(str(region_arg)) if region_arg is not None else None
    if name == "-" and args.get("previous"):
        name, keys, region = _previous(environ, keys=keys, region=region)
    current = environ.get(exports.AWSENV_PROFILE)
    return switch.shell_code(
        environ,
        name,
        provider_context(args, environ),
        dialect=dialect,
        keys=keys,
        write=bool(args.get("write_credentials")),
        region=region,
        previous=exports.encode_previous(environ) if current and current != name else None,
    )


def _previous(
    environ: Mapping[str, str], *, keys: bool, region: str | None
) -> tuple[str, bool, str | None]:
    """What ``use -`` goes back to: the profile, its mode and region (options given win)."""
    found = exports.decode_previous(environ.get(exports.AWSENV_PREVIOUS, ""))
    if found is None:
        raise UsageError(
            "this shell has not used another profile with awsenv, so there is none to go back to",
            hint="'awsenv use PROFILE' first; then 'awsenv use -' switches back and forth",
        )
    name, previous_keys, previous_region = found
    return name, keys or previous_keys, region or previous_region
