"""``awsenv use PROFILE``: make this shell act as the profile, logging in when needed.

``awsenv use -`` goes back to the profile the shell used before, in its mode and region.
"""

from __future__ import annotations

from awsenv import exports, history, switch
from awsenv.commands import check_region, provider_context, wrapper_dialect
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.providers.adhoc import Spec


_ROLE_OPTIONS = ("source", "external_id", "session_name")


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Resolve the profile and return the shell code that exports it (``-``: the previous one)."""
    dialect = wrapper_dialect(environ, "use")
    if args.get("role_arn") is not None:
        return _role_arn(args, environ, dialect)
    for option in _ROLE_OPTIONS:
        if args.get(option) is not None:
            flag = "--" + option.replace("_", "-")
            raise UsageError(
                f"{flag} goes with --role-arn",
                hint="awsenv use --role-arn ARN --source PROFILE assumes a role no profile names",
            )
    profile = args.get("profile")
    name = _picked(environ) if profile is None else str(profile)
    if not name:
        # botocore would read `[profile '']`, but an empty AWS_PROFILE or AWSENV_PROFILE means
        # "none" to the prompt, status, refresh and most tools: the shell would be half set.
        raise UsageError("the profile name is empty", hint="'awsenv list' shows every profile")
    keys = bool(args.get("keys"))
    region_arg = args.get("region")
    # `--region ""` is a usage error, not "no --region" (it used to export the profile's)
    region = check_region(str(region_arg)) if region_arg is not None else None
    if name == "-" and args.get("previous"):
        name, keys, region, role = _previous(environ, keys=keys, region=region)
        spec = _role_spec(role) if role else None
        if spec is not None:
            return _role_code(args, environ, dialect, spec, region)
    current = environ.get(exports.AWSENV_PROFILE)
    code = switch.shell_code(
        environ,
        name,
        provider_context(args, environ),
        dialect=dialect,
        keys=keys,
        write=bool(args.get("write_credentials")),
        region=region,
        previous=exports.encode_previous(environ) if current and current != name else None,
    )
    history.record(environ, name)
    return code


def _picked(environ: Mapping[str, str]) -> str:
    """``use`` with no profile: let the person pick one on the terminal (Esc: interrupted)."""
    from awsenv import picker

    if not picker.have_terminal():
        raise UsageError(
            "the following arguments are required: profile (or --role-arn)",
            hint="at a terminal, 'awsenv use' alone opens a picker; 'awsenv list' shows every "
            "profile",
        )
    name = picker.pick(environ)
    if name is None:
        raise KeyboardInterrupt
    return name


def _previous(
    environ: Mapping[str, str], *, keys: bool, region: str | None
) -> tuple[str, bool, str | None, str | None]:
    """What ``use -`` goes back to: the profile, its mode and region (options given win).

    Also the ad-hoc role it was (``AWSENV_ROLE``), if it was one.
    """
    found = exports.decode_previous(environ.get(exports.AWSENV_PREVIOUS, ""))
    if found is None:
        raise UsageError(
            "this shell has not used another profile with awsenv, so there is none to go back to",
            hint="'awsenv use PROFILE' first; then 'awsenv use -' switches back and forth",
        )
    name, previous_keys, previous_region, role = found
    return name, keys or previous_keys, region or previous_region, role


def _role_spec(text: str) -> Spec | None:
    from awsenv.providers.adhoc import Spec

    return Spec.decode(text)


def _role_arn(args: Args, environ: Mapping[str, str], dialect: str) -> str:
    """``use --role-arn ARN --source PROFILE [...]``: assume a role no profile names."""
    from awsenv.providers import adhoc

    profile = args.get("profile")
    if profile is not None:
        raise UsageError(
            f"give either a profile ({profile!r}) or --role-arn, not both",
            hint="awsenv use --role-arn ARN --source PROFILE assumes ARN with PROFILE's "
            "credentials",
        )
    if args.get("write_credentials"):
        raise UsageError(
            "--write-credentials writes a profile's keys under its name, and --role-arn has none",
            hint="awsenv exec or --role-arn alone export the keys to this shell",
        )

    def text(name: str) -> str | None:
        value = args.get(name)
        return None if value is None else str(value)

    spec = adhoc.check(
        str(args.get("role_arn")),
        text("source"),
        text("external_id"),
        text("session_name"),
        text("duration"),
    )
    region_arg = args.get("region")
    region = check_region(str(region_arg)) if region_arg is not None else None
    return _role_code(args, environ, dialect, spec, region)


def _role_code(
    args: Args, environ: Mapping[str, str], dialect: str, spec: Spec, region: str | None
) -> str:
    current = environ.get(exports.AWSENV_PROFILE)
    same = current == spec.label and environ.get(exports.AWSENV_ROLE) == spec.encode()
    return switch.role_shell_code(
        environ,
        spec,
        provider_context(args, environ),
        dialect=dialect,
        region=region,
        previous=exports.encode_previous(environ) if current and not same else None,
    )
