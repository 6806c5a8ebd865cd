"""``awsenv refresh``: renew what this shell exports for the profile it uses now."""

from __future__ import annotations

from awsenv import exports
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Switch to the shell's current profile again, in the mode (profile or keys) it uses."""
    from awsenv import switch
    from awsenv.commands import provider_context, wrapper_dialect

    dialect = wrapper_dialect(environ, "use")
    profile = environ.get(exports.AWSENV_PROFILE)
    if not profile:
        raise UsageError(
            "this shell uses no awsenv profile, so there is nothing to refresh",
            hint="switch to one with: awsenv use PROFILE",
        )
    # the shell's region stays: `use dev --region X` (or `awsenv region X`) chose it, and a
    # renewal (typed, or from the prompt) must not move the shell back to the profile's
    region = environ.get("AWS_REGION") or None
    role = environ.get(exports.AWSENV_ROLE)
    if role:
        from awsenv.providers.adhoc import Spec

        spec = Spec.decode(role)
        if spec is None:
            raise UsageError(
                f"AWSENV_ROLE is not what awsenv wrote for profile {profile!r}, so the role "
                "cannot be assumed again",
                hint="run the awsenv use --role-arn ARN --source PROFILE you ran before",
            )
        return switch.role_shell_code(
            environ, spec, provider_context(args, environ), dialect=dialect, region=region
        )
    return switch.shell_code(
        environ,
        profile,
        provider_context(args, environ),  # refresh has only --device-code and --no-browser
        dialect=dialect,
        region=region,
        keys=bool(environ.get("AWS_ACCESS_KEY_ID")) and not environ.get("AWS_PROFILE"),
    )
