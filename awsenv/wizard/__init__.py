"""The machinery of ``awsenv configure``: ask each question once, show the edit, write it.

Every question a wizard asks has a flag. :class:`Asker` takes the flag's value when it is given;
otherwise, at a terminal, it asks on the terminal (``picker.ask``: a question with a default and
Tab completion, or ``picker.choose``: a pick from a list); otherwise the answer is missing, and
:meth:`Asker.require` ends the command with one usage error naming every missing flag before
anything happens (no sign-in, no write). :func:`write` shows the edit as a diff, asks to confirm
(``--yes`` skips that) and writes it as ``sso sync`` does: under awsenv's config lock, atomic,
with a backup and every other byte kept (``config.edit.plan_set``).

Nothing here imports prompt_toolkit, boto3 or botocore at import time; ``sso sync`` imports
:mod:`awsenv.wizard.sso` for the profile naming it shares with ``configure sso``.
"""

from __future__ import annotations

from awsenv.errors import EXIT_INTERRUPTED, AwsenvError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from awsenv.clispec import Args
    from awsenv.config import Parsed
    from awsenv.config.edit import NewSection


class Interrupted(AwsenvError):
    """The person left a question (Esc, Ctrl-C, Ctrl-D); nothing was written."""

    exit_code = EXIT_INTERRUPTED


class Asker:
    """Answers from flags, else from the person at the terminal, else missing (a usage error)."""

    def __init__(self, args: Args, command: str, *, interactive: bool | None = None) -> None:
        self.args = args
        self.command = command  # "configure sso": for the usage error
        if interactive is None:
            from awsenv import picker

            interactive = picker.have_terminal()
        self.interactive = interactive

    def given(self, flag: str) -> str | None:
        """The value of ``--flag`` on the command line, or None."""
        value = self.args.get(flag.lstrip("-").replace("-", "_"))
        if value is None or value is False:
            return None
        return str(value)

    def require(self, flags: Sequence[str], *, unless: Mapping[str, str] | None = None) -> None:
        """Without a terminal, raise one usage error naming every flag of ``flags`` not given.

        ``unless`` maps a flag to another whose presence makes it unneeded.
        """
        if self.interactive:
            return
        missing = [
            flag
            for flag in flags
            if self.given(flag) is None and not (unless and self.given(unless.get(flag, "")))
        ]
        if missing:
            raise UsageError(
                "no terminal to ask on, and these answers are missing: " + " ".join(missing),
                hint=f"give them as flags ('awsenv {self.command} --help' lists them)",
            )

    def text(
        self,
        flag: str,
        question: str,
        *,
        default: str = "",
        words: Sequence[str] = (),
        check: Callable[[str], str] | None = None,
        optional: bool = False,
    ) -> str:
        """The answer to one question: ``--flag``'s value, else asked (``default`` if empty).

        ``check`` returns the answer to use or raises UsageError: a flag's bad value ends the
        command; at the terminal the message is shown and the question asked again. An
        ``optional`` question may be left empty (``""``: none), and is never missing.
        """
        value = self.given(flag)
        if value is not None:
            return check(value) if check else value
        if not self.interactive:
            if default:
                return check(default) if check else default
            if optional:
                return ""
            self.require([flag])
        from awsenv import picker, ui

        while True:
            answer = picker.ask(question, default=default, words=words)
            if answer is None:
                raise Interrupted("left; nothing was written")
            if not answer:
                if optional:
                    return ""
                ui.warn(f"an answer is needed ({flag})")
                continue
            if check is None:
                return answer
            try:
                return check(answer)
            except UsageError as exc:
                ui.warn(exc.message + (f" ({exc.hint})" if exc.hint else ""))

    def pick(
        self,
        flag: str,
        what: str,
        rows: Sequence[tuple[str, str, Sequence[str]]],
        *,
        match: Callable[[str, tuple[str, str, Sequence[str]]], bool] | None = None,
    ) -> str:
        """Choose one of ``rows`` (value, text shown, other words it is found by).

        ``--flag`` names one (its value, or with ``match`` anything ``match`` accepts); one row
        alone is taken without asking; otherwise the picker shows them all.
        """
        from awsenv import ui

        value = self.given(flag)
        if value is not None:
            for row in rows:
                if row[0] == value or (match is not None and match(value, row)):
                    return row[0]
            known = ", ".join(row[0] for row in rows[:10]) + (", ..." if len(rows) > 10 else "")
            raise UsageError(f"{flag} {value!r}: no such {what}", hint=f"{what}s: {known}")
        if not rows:
            raise AwsenvError(f"there is no {what} to choose from")
        if len(rows) == 1:
            ui.info(f"{what}: {_named(rows[0])} (the only one)")
            return rows[0][0]
        if not self.interactive:
            self.require([flag])
        from awsenv import picker

        entries = [
            picker.Entry(value, " ".join([value, shown, *extra]).lower(), shown, order)
            for order, (value, shown, extra) in enumerate(rows)
        ]
        chosen = picker.choose(entries, prompt=f"{what} > ", action="choose")
        if chosen is None:
            raise Interrupted("left; nothing was written")
        ui.info(f"{what}: {_named(next(row for row in rows if row[0] == chosen))}")
        return chosen

    def confirm(self, question: str, *, flag: str = "--yes") -> bool:
        """True with ``--yes``; at a terminal, the person's y or n; otherwise a missing flag."""
        if self.given(flag) is not None:
            return True
        if not self.interactive:
            self.require([flag])
        from awsenv import picker

        answer = picker.ask(f"{question} (y/n)", default="n")
        if answer is None:
            raise Interrupted("left; nothing was written")
        return answer.lower() in ("y", "yes")

    def offer(self, question: str) -> bool:
        """At a terminal, the person's y or n to something optional; without one, no."""
        if not self.interactive:
            return False
        from awsenv import picker

        answer = picker.ask(f"{question} (y/n)", default="n")
        return answer is not None and answer.lower() in ("y", "yes")


def _named(row: tuple[str, str, Sequence[str]]) -> str:
    """A row as a message names it: ``Development (111111111111)``, or the value alone."""
    return row[0] if row[1] == row[0] else f"{row[1]} ({row[0]})"


def write(
    asker: Asker,
    environ: Mapping[str, str],
    sections: Sequence[NewSection],
    *,
    comment: str,
) -> bool:
    """Set ``sections`` in the config file: diff on stderr, confirmed, written; False if unchanged.

    Written as ``sso sync`` writes: checked with botocore's rules, under awsenv's config lock,
    atomically, the previous file kept next to it, every other byte as it was.
    """
    from awsenv import cache, paths, ui
    from awsenv.config import edit as configwrite

    config_path = paths.config_file(environ)
    edit = configwrite.plan_set(config_path, sections, comment=comment)
    if not edit.changed:
        ui.info(f"{config_path} already says all this; nothing to write")
        return False
    ui.info(f"the change to {config_path}:")
    import sys

    sys.stderr.write(edit.diff())
    sys.stderr.flush()
    if not asker.confirm(f"write this to {config_path}?"):
        raise Interrupted("not written")
    edit.commit(lock=cache.lock_path(environ, "aws-config"))
    saved = f" (the previous file is {edit.backup_path})" if edit.mode is not None else ""
    ui.info(f"wrote {config_path}{saved}")
    return True


# --- what every wizard checks and reads ---------------------------------------------------


def check_region(region: str) -> str:
    """Return ``region`` if it has a region's shape, to be written (a warning if unknown)."""
    from awsenv.clispec import check_region as check

    return check(region.strip(), written=True)


def check_profile_name(name: str) -> str:
    """Return ``name`` if botocore reads ``[profile NAME]`` back as it."""
    from awsenv.config import edit as configwrite

    name = name.strip()
    try:
        configwrite.profile_section(name, ())
    except ValueError:
        raise UsageError(
            f"profile name {name!r} cannot be written so that botocore reads it back",
            hint="use letters, digits, '-', '_' or '.'",
        ) from None
    return name


def regions() -> tuple[str, ...]:
    """The region names awsenv knows (completion at the region questions)."""
    from awsenv.clispec import REGIONS

    return REGIONS


def parse_files(environ: Mapping[str, str]) -> Parsed:
    """Parse the config and credentials files as botocore reads them (the wizards' view)."""
    from awsenv import config, paths

    return config.parse(paths.config_file(environ), paths.credentials_file(environ))


def today() -> str:
    """Today's date, for the comment over what a wizard appends."""
    import time

    return time.strftime("%Y-%m-%d")
