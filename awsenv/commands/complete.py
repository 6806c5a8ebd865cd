"""``awsenv __complete WHAT [PREFIX]``: candidates for the completion scripts, one per line."""

from __future__ import annotations

from awsenv import clispec
from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from awsenv.clispec import Args


def _printable_line(value: str) -> bool:
    # A candidate is one line of the output: names with control characters cannot be offered.
    return value.isprintable()


def candidates(what: str, environ: Mapping[str, str]) -> Iterable[str]:
    """Return the candidates of one kind."""
    if what == "profiles":
        from awsenv.config import ConfigFiles

        return ConfigFiles(environ).profile_names()
    if what == "sso-sessions":
        from awsenv.config import ConfigFiles

        return ConfigFiles(environ).sso_session_names()
    if what == "regions":
        return clispec.REGIONS
    if what == "shells":
        return clispec.SHELLS
    if what == "commands":
        return [c.name for c in clispec.COMMANDS if not c.hidden]
    raise UsageError(f"cannot complete {what!r}")


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the matching candidates, newline-separated."""
    prefix = str(args.get("prefix") or "")
    found = [
        c
        for c in candidates(str(args.get("what")), environ)
        if c.startswith(prefix) and _printable_line(c)
    ]
    return "".join(c + "\n" for c in found)
