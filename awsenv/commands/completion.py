"""``awsenv completion SHELL``: print only the tab-completion script."""

from __future__ import annotations

from awsenv import shells

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the completion script for the named shell."""
    dialect = shells.normalize(str(args.get("shell")))
    return shells.completion_script(dialect, command=shells.core_command(environ))
