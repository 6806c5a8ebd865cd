"""``awsenv unset``: put the shell back as it was before the first ``use``."""

from __future__ import annotations

from awsenv import exports, shells
from awsenv.commands import wrapper_dialect

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the shell code that restores the variables saved at the first ``use``."""
    del args
    dialect = wrapper_dialect(environ, "unset")
    if exports.AWSENV_SAVED not in environ and exports.AWSENV_PROFILE not in environ:
        from awsenv import ui

        ui.info("no awsenv profile is active in this shell")
    return shells.render(exports.changes(exports.plan_unset(environ), environ), dialect)
