"""``awsenv region REGION``: change the region of this shell."""

from __future__ import annotations

from awsenv import exports, shells
from awsenv.commands import check_region, wrapper_dialect

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the shell code that sets AWS_REGION and AWS_DEFAULT_REGION."""
    dialect = wrapper_dialect(environ, "region")
    region = check_region(str(args.get("region")))
    return shells.render(exports.changes(exports.plan_region(environ, region), environ), dialect)
