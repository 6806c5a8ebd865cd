"""``awsenv refresh``: renew what this shell exports for the profile it uses now."""

from __future__ import annotations

from awsenv import exports
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


# How long ``--auto`` waits for another awsenv's lock (a sign-in in another shell): the prompt
# it runs in must come back soon, whatever AWSENV_LOCK_TIMEOUT says for the interactive path.
AUTO_LOCK_WAIT = 10.0


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Switch to the shell's current profile again, in the mode (profile or keys) it uses.

    ``--auto`` (the prompt hook's mode) renews only what needs no browser, no prompt and no
    picker; anything else raises ``NeedsUser`` (exit code 3) and starts nothing.
    """
    if not args.get("auto"):
        return _refresh(args, environ)
    import os
    import time

    from awsenv import cache
    from awsenv.errors import NeedsUser
    from awsenv.providers import MfaRequired

    if environ.get(exports.AWSENV_PROFILE) and not exports.renews_now(environ, time.time()):
        raise NeedsUser(
            "what this shell exports renews only with a sign-in or an MFA code",
            hint="run: awsenv refresh",
        )
    wait = min(cache.lock_timeout(AUTO_LOCK_WAIT), AUTO_LOCK_WAIT)
    os.environ[cache.LOCK_TIMEOUT_VARIABLE] = str(wait)  # FileLock reads the process's own
    try:
        return _refresh(args, environ)
    except MfaRequired as exc:
        where = f" (profile {exc.profile!r})" if exc.profile else ""
        raise NeedsUser(
            f"an MFA code for {exc.serial} is needed{where}, and --auto asks for none",
            hint="run: awsenv refresh",
        ) from None


def _duration(environ: Mapping[str, str]) -> int | None:
    """The ``--duration`` the shell's ``use`` asked for (AWSENV_DURATION), to ask for again."""
    value = environ.get(exports.AWSENV_DURATION)
    if not value:
        return None
    from awsenv.providers.adhoc import check_duration

    return check_duration(value, "AWSENV_DURATION")


def _refresh(args: Args, environ: Mapping[str, str]) -> str:
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
    ctx = provider_context(args, environ)  # --device-code, --no-browser and --auto
    ctx.duration = _duration(environ)
    return switch.shell_code(
        environ,
        profile,
        ctx,
        dialect=dialect,
        region=region,
        keys=bool(environ.get("AWS_ACCESS_KEY_ID")) and not environ.get("AWS_PROFILE"),
    )
