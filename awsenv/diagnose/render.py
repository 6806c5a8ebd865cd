"""Text and JSON for what explain and doctor found (stdout is the report; colour only on a tty)."""

from __future__ import annotations

from awsenv import diagnose, ui

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


_FLOW_NAMES = {
    diagnose.PKCE: "browser sign-in (PKCE)",
    diagnose.DEVICE_CODE: "device code",
    diagnose.MFA_PROMPT: "MFA code prompt",
    diagnose.OKTA_DEVICE: "Okta device sign-in",
}


def flow_name(action: str | None) -> str:
    """Name a login flow for people."""
    return _FLOW_NAMES.get(action or "", action or "none")


def heading(text: str, *, colour: bool) -> str:
    """Return a section heading."""
    return ui.paint(text, "bold", enabled=colour)


def cache_text(item: diagnose.CacheFile, now: float, *, colour: bool) -> str:
    """Describe a cache file's state in one line (never its content)."""
    state = item.state
    if state == diagnose.MISSING:
        text = ui.paint("missing", "yellow", enabled=colour)
    elif state in (diagnose.VALID, diagnose.EXPIRING) and item.expires_at is not None:
        left = ui.human_duration(int(item.expires_at - now))
        tint = "green" if state == diagnose.VALID else "yellow"
        text = ui.paint(f"present, expires in {left}", tint, enabled=colour)
        text += f" ({diagnose.iso(item.expires_at)})"
    elif state == diagnose.EXPIRED:
        text = ui.paint("present, expired", "red", enabled=colour)
        if item.expires_at is not None:
            text += f" ({diagnose.iso(item.expires_at)})"
    else:
        text = ui.paint(state, "red", enabled=colour)
        if item.detail:
            text += f" ({ui.printable(item.detail)})"
    if item.refresh_token is not None and item.present:
        text += ", refresh token" if item.refresh_token else ", no refresh token"
    return text


def problem_lines(problems: Sequence[diagnose.Problem], *, colour: bool) -> list[str]:
    """Render problems: severity, id, message, then the hint indented."""
    lines = []
    for problem in problems:
        tint = "red" if problem.severity == diagnose.ERROR else "yellow"
        mark = "fixed  " if problem.fixed else f"{problem.severity:<7}"
        lines.append(
            f"  {ui.paint(mark, 'green' if problem.fixed else tint, enabled=colour)}  "
            f"{problem.id}: {ui.printable(problem.message)}"
        )
        if problem.hint and not problem.fixed:
            lines.append(
                f"           {ui.paint('hint:', 'dim', enabled=colour)} "
                f"{ui.printable(problem.hint)}"
            )
    return lines


def _pairs(rows: Sequence[tuple[str, str]]) -> list[str]:
    width = max((len(key) for key, _ in rows), default=0)
    return [f"  {key.ljust(width)}  {value}" for key, value in rows]


def render(item: diagnose.Explanation, *, now: float, colour: bool) -> str:
    """Return the report a person reads."""
    p = ui.printable
    out: list[str] = []
    title = ui.paint(p(item.profile), "bold", enabled=colour)
    out.append(f"profile {title}  ({item.kind})")
    facts = [("defined at", p(item.defined_at or "-"))]
    if item.account or item.role:
        facts.append(("account", p(item.account or "-")))
        facts.append(("role", p(item.role or "-")))
    facts.append(
        (
            "region",
            p(item.region)
            if item.region
            else "- (not in the profile: use leaves AWS_REGION and AWS_DEFAULT_REGION as they are)",
        )
    )
    out += _pairs(facts)

    out += ["", heading("chain", colour=colour)]
    for number, hop in enumerate(item.chain, start=1):
        out.append(f"  {number}. {p(hop.profile)}  {hop.kind}")
        details = []
        if hop.role_arn:
            details.append(f"role {p(hop.role_arn)}")
        if hop.mfa_serial:
            details.append(f"MFA device {p(hop.mfa_serial)}")
        details += [p(note) for note in hop.notes]
        if hop.source:
            details.append(f"credentials from {p(hop.source)}")
        out += [f"       {detail}" for detail in details]

    if item.sso is not None:
        sso = item.sso
        out += ["", heading("sso", colour=colour)]
        rows = [
            ("session", p(f"[sso-session {sso.session}]") if sso.session else "none (legacy)"),
            ("start URL", p(sso.start_url)),
            ("region", p(sso.region)),
            ("token file", p(sso.token.path)),
            ("token", cache_text(sso.token, now, colour=colour)),
            (
                "refresh",
                "possible now (sso-session, refresh token, live client registration)"
                if sso.refreshable
                else "never: a legacy profile's token cannot be refreshed"
                if sso.legacy
                else "not possible now (no refresh token, or its client registration expired)",
            ),
        ]
        out += _pairs(rows)

    out += ["", heading("caches", colour=colour)]
    if item.caches:
        for cached in item.caches:
            out.append(f"  {cached.what}  {p(cached.path)}")
            out.append(f"      {cache_text(cached, now, colour=colour)}")
            if cached.used_by is not None:
                out.append(
                    f"      {p(cached.detail or '')}; roles that use it: "
                    + (", ".join(p(u) for u in cached.used_by) or "none")
                )
    else:
        out.append("  none (nothing is cached for this profile)")

    out += ["", heading("login", colour=colour)]
    flow = item.login_flow
    out.append(
        f"  flow: {ui.paint(flow_name(flow), 'yellow', enabled=colour)}"
        if flow
        else "  flow: none (no browser, code or prompt needed now)"
    )
    for number, step in enumerate(item.steps, start=1):
        out.append(f"  {number}. {step.action} ({p(step.profile)}): {p(step.reason)}")

    exports = item.exports
    out += ["", heading("exports", colour=colour)]
    what = "AWS_PROFILE" if exports.mode == "profile" else "temporary keys"
    out += _pairs(
        [
            ("mode", what),
            ("sets", ", ".join(exports.set)),
            ("clears", ", ".join(exports.clears) + " (set now)" if exports.clears else "-"),
            ("why", p(exports.reason)),
        ]
    )
    if not exports.shell_function:
        out.append(
            "  note: AWSENV_SHELL is not set, so 'awsenv use' cannot change this shell "
            "(see awsenv init)"
        )

    out += ["", heading("problems", colour=colour)]
    if item.problems:
        out += problem_lines(item.problems, colour=colour)
        if not item.ok:
            out.append("  'awsenv use' would fail until the errors above are fixed")
    else:
        out.append("  none")
    return "\n".join(out) + "\n"


def to_json(item: diagnose.Explanation, now: float) -> str:
    """Return the JSON document (see README: awsenv explain --json)."""
    return ui.json_text(item.to_json(now))
