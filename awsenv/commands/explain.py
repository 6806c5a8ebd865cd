"""``awsenv explain PROFILE``: how a profile resolves and what ``use`` would do, without logging in.

Reads the config files and the caches only: no login, no network, no boto3, nothing written.
stdout carries the report (sections for a person, or one JSON document with ``--json``); the
exit status is 0 whenever the profile exists, problems included (they are part of the report).
"""

from __future__ import annotations

import sys
import time

from awsenv import diagnose, ui
from awsenv.diagnose.render import render, to_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Explain the profile (sections, or JSON with --json)."""
    name = str(args.get("profile"))
    now = time.time()
    files = diagnose.load_files(environ)
    if files.error is not None:
        raise files.error
    item = diagnose.explain(files, environ, name, now=now)
    if args.get("json"):
        return to_json(item, now)
    return render(item, now=now, colour=ui.use_colour(sys.stdout, environ))
