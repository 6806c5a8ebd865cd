"""``awsenv status``: what this shell uses now and how long it lasts."""

from __future__ import annotations

import sys
import time

from awsenv import ui
from awsenv.exports import AWSENV_EXEC, AWSENV_EXPIRATION, AWSENV_PROFILE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def facts(environ: Mapping[str, str]) -> dict[str, object]:
    """Collect the state of this shell from its environment (no network, no login)."""
    profile = environ.get(AWSENV_PROFILE) or environ.get("AWS_PROFILE")
    expiration_text = environ.get(AWSENV_EXPIRATION, "")
    # ASCII digits only, as the prompt reads it: "²".isdigit() is True, and int("²") raises
    ascii_digits = expiration_text.isascii() and expiration_text.isdigit()
    expiration = int(expiration_text) if ascii_digits else None
    mode = "keys" if environ.get("AWS_ACCESS_KEY_ID") else "profile" if profile else None
    kind = None
    if profile:
        from awsenv import profiles
        from awsenv.config import ConfigFiles

        section = ConfigFiles(environ).profile(profile)
        kind = profiles.classify(section) if section is not None else None
    return {
        "active": bool(profile),
        "profile": profile,
        "kind": kind,
        "mode": mode,
        "managed_by_awsenv": bool(environ.get(AWSENV_PROFILE)),
        "region": environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
        "expiration": expiration,
        "seconds_left": expiration - int(time.time()) if expiration is not None else None,
        # this shell was started by `awsenv exec PROFILE` (no command): that PROFILE
        "exec": environ.get(AWSENV_EXEC) or None,
    }


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return a short report (or JSON with --json)."""
    state = facts(environ)
    if args.get("identity") and state["active"]:
        from awsenv.providers.whoami import identity

        state["identity"] = identity(environ)
    if args.get("json"):
        return ui.json_text(state)
    exec_of = state["exec"]
    subshell = (
        f"subshell of {ui.printable(str(exec_of))} (awsenv exec; exit to leave it)"
        if exec_of
        else None
    )
    if not state["active"]:
        text = "no profile is active in this shell (awsenv use PROFILE)\n"
        return text + (f"exec     {subshell}\n" if subshell else "")
    colour = ui.use_colour(sys.stdout, environ)
    left = state["seconds_left"]
    when = "does not expire"
    tint = "green"
    if isinstance(left, int):
        when = "expired" if left <= 0 else f"expires in {ui.human_duration(left)}"
        tint = "red" if left <= 0 else "yellow" if left <= 900 else "green"
    lines = [
        f"profile  {ui.paint(ui.printable(str(state['profile'])), tint, enabled=colour)}",
        f"kind     {state['kind'] or 'unknown (not in the config files)'}",
        f"exports  {'temporary keys' if state['mode'] == 'keys' else 'AWS_PROFILE'}",
        f"region   {state['region'] or '-'}",
        f"time     {when}",
    ]
    if subshell:
        lines.append(f"exec     {subshell}")
    found = state.get("identity")
    if isinstance(found, dict):
        lines += [f"account  {found.get('Account', '-')}", f"arn      {found.get('Arn', '-')}"]
    return "\n".join(lines) + "\n"
