"""The AWS identity behind a shell's credentials (one STS GetCallerIdentity)."""

from __future__ import annotations

from awsenv import exports
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def identity(environ: Mapping[str, str]) -> dict[str, str]:
    """Return Account, Arn and UserId for the keys or profile this shell exports."""
    from awsenv.providers import role

    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    profile = None
    if environ.get("AWS_ACCESS_KEY_ID"):
        keys = exports.Keys(
            environ["AWS_ACCESS_KEY_ID"],
            environ.get("AWS_SECRET_ACCESS_KEY", ""),
            environ.get("AWS_SECURITY_TOKEN") or environ.get("AWS_SESSION_TOKEN"),
        )
    else:
        profile = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")
        if not profile:
            raise AwsenvError(
                "this shell has no AWS credentials from awsenv", hint="awsenv use PROFILE"
            )
        keys = role.obtain(environ, profile)
    found = role.caller_identity(keys, region=region, environ=environ, profile=profile)
    return {k: str(found[k]) for k in ("Account", "Arn", "UserId") if k in found}
