"""``awsenv list``: every profile with its kind, account, role, region and source."""

from __future__ import annotations

import sys

from awsenv import catalog, ui

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def _login_text(state: str | None, expires: str | None) -> str:
    import time

    if state in (None, "-"):
        return "-"
    if state == "valid" and expires:
        return f"valid {ui.human_duration(int(expires) - int(time.time()))}"
    return {"none": "not logged in", "refreshable": "expired (refreshable)"}.get(
        state or "", state or "-"
    )


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the table (or JSON with --json)."""
    found = catalog.rows(environ)
    if args.get("json"):
        return ui.json_text([{**r, "active": r["active"] == "yes"} for r in found])
    if not found:
        ui.info("no profiles found; add some to ~/.aws/config (see 'aws configure')")
        return ""
    colour = ui.use_colour(sys.stdout, environ)
    table_rows = [
        [
            ("* " if r["active"] else "  ") + str(r["name"]),
            str(r["kind"]),
            r["account"] or "-",
            r["role"] or "-",
            r["region"] or "-",
            r["source"] or "-",
            _login_text(r["login"], r["login_expires"]),
        ]
        for r in found
    ]
    colours = ["green" if r["active"] else None for r in found]
    return ui.table(
        ["  PROFILE", "KIND", "ACCOUNT", "ROLE", "REGION", "SOURCE", "LOGIN"],
        table_rows,
        colours,
        colour=colour,
    )
