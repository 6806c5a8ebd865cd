"""``awsenv doctor``: explain every profile and find what commonly goes wrong; ``--fix`` repairs.

Without ``--fix`` nothing is written and nothing logs in. The legacy-SSO fix is shown as a unified
diff of the config file; ``--fix`` writes it (``config.legacy_fix``: comment-preserving, atomic,
mode kept, a backup next to the file) and makes files with the wrong mode private. Exit status: 0
when no problem is left, 1 when problems were found and not all fixed, 2 for usage errors.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field, replace

from awsenv import diagnose, ui
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.config.legacy_fix import LegacyFix

RELOGIN_NOTE = (
    "the next 'awsenv use' of each moved profile logs in once: the SSO token cache file is "
    "named after the sso-session now (sha1 of its name, not of the start URL)"
)


class ProblemsFound(AwsenvError):
    """doctor found problems it did not fix (exit 1; the report is already on stdout)."""


@dataclass
class Outcome:
    """What doctor found, and what ``--fix`` did about it."""

    report: diagnose.Report
    problems: list[diagnose.Problem]
    legacy: LegacyFix | None = None
    legacy_error: str | None = None
    fixes: list[dict[str, object]] = field(default_factory=list)

    @property
    def remaining(self) -> list[diagnose.Problem]:
        """The problems that are still there."""
        return [p for p in self.problems if not p.fixed]


def _legacy_fix(report: diagnose.Report, today: str) -> tuple[LegacyFix | None, str | None]:
    if report.files.parsed is None:
        return None, None
    from awsenv.config import legacy_fix as configfix

    try:
        return configfix.plan_legacy_sso(report.files, today=today), None
    except AwsenvError as exc:  # the edit would not read back as intended: show, never write
        return None, exc.message


def _with_fixability(
    problems: tuple[diagnose.Problem, ...], legacy: LegacyFix | None, error: str | None
) -> list[diagnose.Problem]:
    movable = set(legacy.profiles) if legacy is not None and legacy.plan is not None else set()
    skipped = dict(legacy.skipped) if legacy is not None else {}
    out = []
    for problem in problems:
        if problem.id == diagnose.LEGACY_SSO:
            if problem.profile in movable:
                problem = replace(
                    problem,
                    fixable=True,
                    hint="the diff below moves it to an [sso-session]; "
                    "'awsenv doctor --fix' writes it (with a backup)",
                )
            else:
                why = skipped.get(problem.profile or "") or error or "it cannot be moved safely"
                problem = replace(
                    problem,
                    fixable=False,
                    hint=f"move sso_start_url and sso_region to an [sso-session] by hand: {why}",
                )
        out.append(problem)
    return out


def _chmod(problem: diagnose.Problem) -> dict[str, object]:
    path = problem.path or ""
    want = problem.chmod if problem.chmod is not None else 0o600
    result: dict[str, object] = {
        "id": diagnose.WRONG_FILE_MODE,
        "path": path,
        "mode": f"{want:04o}",
        "applied": False,
        "error": None,
    }
    try:
        os.chmod(path, want)
    except OSError as exc:
        result["error"] = exc.strerror or str(exc)
    else:
        result["applied"] = True
    return result


def examine(environ: Mapping[str, str], *, fix: bool, now: float, today: str) -> Outcome:
    """Run every check; with ``fix``, apply the fixes and check again."""
    report = diagnose.check(environ, now=now)
    legacy, error = _legacy_fix(report, today)
    outcome = Outcome(report, _with_fixability(report.problems, legacy, error), legacy, error)
    if not fix:
        return outcome
    if legacy is not None and legacy.plan is not None:
        applied: dict[str, object] = {
            "id": diagnose.LEGACY_SSO,
            "path": legacy.path,
            "backup": legacy.backup_path,
            "applied": False,
            "error": None,
        }
        try:
            applied["applied"] = legacy.commit(environ)
        except AwsenvError as exc:
            applied["error"] = exc.message
        outcome.fixes.append(applied)
    for problem in outcome.problems:
        if problem.id == diagnose.WRONG_FILE_MODE and problem.fixable and problem.path:
            outcome.fixes.append(_chmod(problem))
    if not outcome.fixes:
        return outcome
    after = diagnose.check(environ, now=now)
    still = {p.key for p in after.problems}
    fixed = [replace(p, fixed=True) for p in outcome.problems if p.key not in still]
    legacy_after, error_after = _legacy_fix(after, today)
    # Whatever the second look finds is reported, even a problem the fix itself caused.
    outcome.problems = fixed + _with_fixability(after.problems, legacy_after, error_after)
    outcome.legacy = legacy_after
    outcome.report = after
    return outcome


# --- output ----------------------------------------------------------------------------------


_QUIET = {
    diagnose.ASSUME_ROLE: "STS call",
    diagnose.ASSUME_ROLE_WEB_IDENTITY: "STS call",
    diagnose.ASSUME_ROLE_SAML: "STS call",
    diagnose.READ_SAML_FILE: "SAML file",
    diagnose.RUN_PROCESS: "runs process",
    diagnose.SDK: "by the SDK",
    diagnose.FROM_ENVIRONMENT: "environment keys",
    diagnose.FROM_INSTANCE: "instance role",
    diagnose.FROM_CONTAINER: "container role",
}


def _login_summary(item: diagnose.Explanation, now: float) -> str:
    """One cell: the interactive flow if any, else what happens without the user."""
    from awsenv.diagnose.render import flow_name

    if item.login_flow:
        return flow_name(item.login_flow)
    actions = [s.action for s in item.steps]
    if diagnose.REFRESH in actions or diagnose.OKTA_REFRESH in actions:
        return "silent refresh"
    if actions and actions[0] == diagnose.USE_CACHE:
        step = item.steps[0]
        cached = [c for c in item.caches if c.profile == step.profile and c.state == diagnose.VALID]
        if cached and cached[0].expires_at is not None:
            return f"cached {ui.human_duration(int(cached[0].expires_at - now))}"
        return "cached"
    for action in actions:
        if action in _QUIET:
            return _QUIET[action]
    return "none"


def _via(item: diagnose.Explanation) -> str:
    if len(item.chain) > 1:
        return " -> ".join(h.profile for h in item.chain[1:])
    if item.sso is not None:
        return f"sso-session {item.sso.session}" if item.sso.session else "legacy SSO"
    return "-"


def _status(item: diagnose.Explanation) -> tuple[str, str | None]:
    errors = sum(p.severity == diagnose.ERROR for p in item.problems)
    warnings = len(item.problems) - errors
    if errors:
        return f"{errors} error{'s' * (errors != 1)}", "red"
    if warnings:
        return f"{warnings} warning{'s' * (warnings != 1)}", "yellow"
    return "ok", None


def _diff_lines(diff: str, *, colour: bool) -> list[str]:
    lines = []
    for line in diff.splitlines():
        shown = ui.printable(line)
        if line.startswith("+") and not line.startswith("+++"):
            shown = ui.paint(shown, "green", enabled=colour)
        elif line.startswith("-") and not line.startswith("---"):
            shown = ui.paint(shown, "red", enabled=colour)
        elif line.startswith("@@"):
            shown = ui.paint(shown, "blue", enabled=colour)
        lines.append(shown)
    return lines


def render(outcome: Outcome, *, now: float, colour: bool) -> str:
    """Return the report a person reads."""
    from awsenv.diagnose.render import heading, problem_lines

    files = outcome.report.files
    p = ui.printable
    out = [
        heading("awsenv doctor", colour=colour),
        f"  config       {p(files.config_path)}",
        f"  credentials  {p(files.credentials_path)}",
        "",
    ]
    items = outcome.report.profiles
    if items:
        rows = []
        tints = []
        for item in items:
            status, tint = _status(item)
            rows.append(
                [
                    item.profile,
                    item.kind,
                    _via(item),
                    _login_summary(item, now),
                    "AWS_PROFILE" if item.exports.mode == "profile" else "keys",
                    status,
                ]
            )
            tints.append(tint)
        out.append(
            ui.table(
                ["PROFILE", "KIND", "VIA", "LOGIN", "EXPORTS", "STATUS"],
                rows,
                tints,
                colour=colour,
            ).rstrip("\n")
        )
    elif files.error is None:
        out.append("  no profiles (see 'aws configure')")
    for fix in outcome.fixes:
        out.append("")
        if fix["applied"]:
            if fix["id"] == diagnose.LEGACY_SSO:
                out.append(
                    f"fixed legacy-sso: wrote {p(str(fix['path']))} "
                    f"(previous content: {p(str(fix['backup']))})"
                )
                out.append(f"  {RELOGIN_NOTE}")
            else:
                out.append(f"fixed wrong-file-mode: chmod {fix['mode']} {p(str(fix['path']))}")
        elif fix["error"]:
            out.append(f"could not fix {fix['id']}: {p(str(fix['error']))}")
    remaining = outcome.remaining
    fixed = [q for q in outcome.problems if q.fixed]
    out.append("")
    if remaining:
        errors = sum(q.severity == diagnose.ERROR for q in remaining)
        out.append(
            heading(
                f"problems: {len(remaining)} ({errors} error{'s' * (errors != 1)}, "
                f"{len(remaining) - errors} warning{'s' * (len(remaining) - errors != 1)})",
                colour=colour,
            )
        )
        out += problem_lines(remaining, colour=colour)
    else:
        out.append(
            ui.paint("no problems found", "green", enabled=colour)
            if not fixed
            else ui.paint(f"no problems left ({len(fixed)} fixed)", "green", enabled=colour)
        )
    legacy = outcome.legacy
    if (
        legacy is not None
        and legacy.plan is not None
        and not any(f["id"] == diagnose.LEGACY_SSO and f["applied"] for f in outcome.fixes)
    ):
        out += ["", heading("fix for legacy-sso", colour=colour)]
        for session in legacy.sessions:
            verb = "new" if session.new else "existing"
            out.append(
                f"  {', '.join(p(n) for n in session.profiles)} -> {verb} "
                f"[sso-session {p(session.name)}] ({p(session.start_url)})"
            )
        out += _diff_lines(legacy.diff(), colour=colour)
        out.append(
            f"'awsenv doctor --fix' writes this (the previous file goes to "
            f"{p(legacy.backup_path)}); after it, {RELOGIN_NOTE}"
        )
    return "\n".join(out) + "\n"


def to_json(outcome: Outcome, now: float) -> str:
    """Return the JSON document (see README: awsenv doctor --json)."""
    files = outcome.report.files
    legacy = outcome.legacy
    proposed: dict[str, object] | None = None
    if legacy is not None:
        proposed = {
            "id": diagnose.LEGACY_SSO,
            "path": legacy.path,
            "diff": legacy.diff(),
            "backup": legacy.backup_path,
            "sessions": [s.to_json() for s in legacy.sessions],
            "skipped": [{"profile": n, "reason": r} for n, r in legacy.skipped],
            "note": RELOGIN_NOTE if legacy.sessions else None,
        }
    document = {
        "schema": diagnose.SCHEMA,
        "ok": not outcome.remaining,
        "config_file": files.config_path,
        "credentials_file": files.credentials_path,
        "profiles": [item.to_json(now) for item in outcome.report.profiles],
        "problems": [q.to_json() for q in outcome.problems],
        "legacy_sso_fix": proposed,
        "applied": outcome.fixes,
    }
    return ui.json_text(document)


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Check everything (and fix with --fix); exit 1 if problems are left."""
    now = time.time()
    outcome = examine(environ, fix=bool(args.get("fix")), now=now, today=time.strftime("%Y-%m-%d"))
    if args.get("json"):
        text = to_json(outcome, now)
    else:
        text = render(outcome, now=now, colour=ui.use_colour(sys.stdout, environ))
    remaining = outcome.remaining
    if not remaining:
        return text
    noun = "problem" if len(remaining) == 1 else "problems"
    fixable = any(q.fixable for q in remaining) and not args.get("fix")
    error = ProblemsFound(
        f"{len(remaining)} {noun} found (the report is on stdout)",
        hint="'awsenv doctor --fix' fixes the config and file modes shown" if fixable else None,
    )
    error.output = text  # the report, then exit 1
    raise error
