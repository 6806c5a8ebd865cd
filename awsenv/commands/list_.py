"""``awsenv list``: every profile with its kind, account, role, region and source."""

from __future__ import annotations

import sys

from awsenv import profiles, ui
from awsenv.config import ORIGIN, ConfigFiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.cli import Args


def rows(environ: Mapping[str, str]) -> list[dict[str, str | None]]:
    """Describe every profile without logging in or calling AWS."""
    files = ConfigFiles(environ)
    active = environ.get("AWSENV_PROFILE")
    result: list[dict[str, str | None]] = []
    for name, section in files.iter_profiles():
        kind = profiles.classify(section)
        account, role = profiles.account_and_role(section)
        region = section.get("region")
        source = section.get("source_profile") or section.get("credential_source")
        if kind == profiles.SSO and isinstance(section.get("sso_session"), str):
            source = f"sso-session {section['sso_session']}"
        result.append(
            {
                "name": name,
                "kind": kind,
                "account": account,
                "role": role,
                "region": region if isinstance(region, str) else None,
                "source": source if isinstance(source, str) else None,
                "active": "yes" if name == active else None,
                "defined_at": str(section.get(ORIGIN) or "") or None,
            }
        )
    return result


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the table (or JSON with --json)."""
    found = rows(environ)
    if args.get("json"):
        import json

        return (
            json.dumps(
                [{**r, "active": r["active"] == "yes"} for r in found], indent=2, ensure_ascii=False
            )
            + "\n"
        )
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
        ]
        for r in found
    ]
    colours = ["green" if r["active"] else None for r in found]
    return ui.table(
        ["  PROFILE", "KIND", "ACCOUNT", "ROLE", "REGION", "SOURCE"],
        table_rows,
        colours,
        colour=colour,
    )
