"""``awsenv doctor``: being built (issue 8)."""

from __future__ import annotations

from awsenv.errors import NotSupported

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.cli import Args


def run(args: Args, environ: Mapping[str, str]) -> str:  # noqa: ARG001
    """Not there yet."""
    raise NotSupported("'awsenv doctor' is not built yet")
