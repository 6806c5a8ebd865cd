"""``awsenv status``: what this shell uses now and how long it lasts."""

from __future__ import annotations

import sys
import time

from awsenv import ui
from awsenv.exports import (
    AWSENV_EXEC,
    AWSENV_EXPIRATION,
    AWSENV_PROFILE,
    AWSENV_ROLE,
    SESSION,
    renews_now,
    shell_epoch,
    shell_renewable,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def clock(environ: Mapping[str, str], now: int) -> tuple[int | str | None, int | None, bool]:
    """Read the shell's two clocks as the prompt segment does: (renewable, end, renew due).

    ``end`` is what the prompt counts to: the session's end while it renews the exports, else
    the exports' own (None: no time shown). ``renew due``: the exports expired and ``awsenv
    refresh`` renews them silently (the prompt's mark).
    """
    expiration = shell_epoch(environ.get(AWSENV_EXPIRATION, ""))
    renewable = shell_renewable(environ)
    if not renews_now(environ, now):
        return renewable, expiration, False
    due = expiration is not None and expiration <= now
    if renewable == SESSION and not due:
        return renewable, expiration, False
    return renewable, renewable if isinstance(renewable, int) else None, due


def facts(environ: Mapping[str, str]) -> dict[str, object]:
    """Collect the state of this shell from its environment (no network, no login)."""
    profile = environ.get(AWSENV_PROFILE) or environ.get("AWS_PROFILE")
    expiration = shell_epoch(environ.get(AWSENV_EXPIRATION, ""))
    mode = "keys" if environ.get("AWS_ACCESS_KEY_ID") else "profile" if profile else None
    kind = None
    if environ.get(AWSENV_ROLE) and environ.get(AWSENV_PROFILE):
        kind = "role-arn"  # `use --role-arn ARN --source PROFILE`: a role no profile names
    elif profile:
        from awsenv import profiles
        from awsenv.config import ConfigFiles

        section = ConfigFiles(environ).profile(profile)
        kind = profiles.classify(section) if section is not None else None
    now = int(time.time())
    renewable, ends, due = clock(environ, now)
    return {
        "active": bool(profile),
        "profile": profile,
        "kind": kind,
        "mode": mode,
        "managed_by_awsenv": bool(environ.get(AWSENV_PROFILE)),
        "region": environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
        "expiration": expiration,
        "seconds_left": expiration - now if expiration is not None else None,
        # the prompt's clock: until when `awsenv refresh` renews silently, and what it counts to
        "renewable": renewable,
        "ends": ends,
        "renew_due": due,
        # this shell was started by `awsenv exec PROFILE` (no command): that PROFILE
        "exec": environ.get(AWSENV_EXEC) or None,
    }


def _when(state: Mapping[str, object]) -> tuple[str, str]:
    """Say what the prompt's clock says, in words, and its colour."""
    ends, due = state["ends"], state["renew_due"]
    left = ends - int(time.time()) if isinstance(ends, int) else None
    if due:
        what = "keys expired" if state["mode"] == "keys" else "token expired"
        them = "them" if state["mode"] == "keys" else "it"
        text = f"{what}; `awsenv refresh` renews {them} with no browser"
        if left is not None:
            text += f" for {ui.human_duration(left)} more (then a sign-in)"
        return text, "yellow"
    if left is None:
        return "does not expire", "green"
    if left <= 0:
        return "expired", "red"
    return f"expires in {ui.human_duration(left)}", "yellow" if left <= 900 else "green"


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
    when, tint = _when(state)
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
