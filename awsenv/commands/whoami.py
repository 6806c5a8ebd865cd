"""``awsenv whoami``: the AWS identity behind this shell's credentials (one STS call)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the identity as lines (or JSON with --json)."""
    from awsenv.providers.whoami import identity

    found = identity(environ)
    if args.get("json"):
        import json

        return json.dumps(found, indent=2) + "\n"
    return f"account  {found.get('Account', '-')}\narn      {found.get('Arn', '-')}\n"
