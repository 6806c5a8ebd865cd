"""``awsenv sso sync --sso-session NAME``: add a profile for every account role the login can use.

Each (account, role) the portal lists that no profile already points at (same sso-session, or a
legacy profile or another sso-session with the same start URL) gets ``[profile <account>-<role>]``
with ``sso_session``, ``sso_account_id`` and ``sso_role_name`` only. No ``region`` is written on
purpose: ``sso_region`` is where Identity Center lives, not necessarily where people work, and a
wrong region fails silently later while a missing one fails loudly now (``awsenv use P --region R``,
``awsenv region R`` or a ``region =`` line fix it). The file is edited by ``config.edit``: append
only, checked with botocore's rules before writing, atomic, mode kept, previous content in
``config.awsenv-backup``. A second run with nothing new writes nothing.
"""

from __future__ import annotations

from awsenv.config.edit import base_name
from awsenv.errors import AwsenvError, UsageError
from awsenv.wizard.sso import plan_sections

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.sso import tokens


class UnknownSession(AwsenvError):
    """The ``--sso-session`` named is not in the config file."""


def _session(environ: Mapping[str, str], name: str) -> tokens.SsoSession:
    from awsenv.config import ConfigFiles
    from awsenv.providers import sso

    files = ConfigFiles(environ)
    if files.sso_session(name) is None:
        known = files.sso_session_names()
        listed = ", ".join(known) if known else "none"
        raise UnknownSession(
            f"there is no [sso-session {name}] in {files.config_path} (sessions: {listed})"
        )
    try:
        return sso.named_session(files, name)
    except UsageError as exc:  # a session without sso_start_url or sso_region: fix the file
        raise AwsenvError(exc.message, hint=exc.hint) from None


def _only_session(environ: Mapping[str, str]) -> str:
    """The ``[sso-session]`` to sync when none is named: the only one, else a usage error."""
    from awsenv.config import ConfigFiles

    files = ConfigFiles(environ)
    known = files.sso_session_names()
    if len(known) == 1:
        return known[0]
    if not known:
        raise UsageError(
            f"there is no [sso-session] in {files.config_path} to sync",
            hint="add one first (aws configure sso-session)",
        )
    raise UsageError(
        f"{files.config_path} has {len(known)} [sso-session] sections: "
        + ", ".join(known[:10])
        + (", ..." if len(known) > 10 else ""),
        hint="name one: awsenv sso sync --sso-session NAME",
    )


def _list_roles(
    args: Args, environ: Mapping[str, str], sess: tokens.SsoSession
) -> list[tuple[str, str, str]]:
    """Log in if needed (as ``awsenv login --sso-session``), then list accounts and roles.

    On a terminal a line on stderr counts the accounts listed (stdout may carry the diff).
    """
    from awsenv import ui
    from awsenv.commands import provider_context
    from awsenv.config import ConfigFiles
    from awsenv.providers import sso
    from awsenv.sso import portal

    line = ui.Progress()

    def progress(done: int, total: int | None) -> None:
        if total is None:
            line.show(f"listing accounts: {done} so far")
        else:
            line.show(f"listed {done}/{total} accounts", force=done == total)

    try:
        return sso.with_token(
            ConfigFiles(environ),
            sess,
            lambda token: portal.accounts_and_roles(
                environ, sess, token, profile=None, progress=progress
            ),
            profile=None,
            ctx=provider_context(args, environ),
        )
    finally:
        line.done()


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Add the missing profiles (or, with --dry-run, return the diff that would add them)."""
    import time

    from awsenv import cache, config, paths, ui
    from awsenv.config import edit as configwrite

    action = args.get("action")
    if action != "sync":
        raise UsageError(f"unknown action {action!r}; try 'awsenv sso sync --sso-session NAME'")
    name = str(args.get("sso_session") or "") or _only_session(environ)
    prefix = str(args.get("prefix") or "")
    if prefix:
        try:  # a prefix botocore could not read back fails now, not after the login
            configwrite.profile_section(base_name(prefix, "0", "a", "b"), ())
        except ValueError:
            raise UsageError(
                f"--prefix {prefix!r} would make profile names botocore cannot read back",
                hint="use letters, digits, '-', '_' or '.'",
            ) from None
    sess = _session(environ, name)
    config_path = paths.config_file(environ)
    # A file botocore rejects is reported (with its line) before any login or edit.
    config.parse(config_path, paths.credentials_file(environ))

    found = _list_roles(args, environ, sess)
    # Parse again: the login took time, and the file may have changed meanwhile.
    parsed = config.parse(config_path, paths.credentials_file(environ))
    planned = plan_sections(parsed, sess, found, prefix)
    if not planned:
        count = len(set(found))
        what = f"all {count} account roles" if count != 1 else "the one account role"
        ui.info(
            f"nothing to add: {what} of sso-session {name} already have profiles"
            if count
            else f"nothing to add: sso-session {name} gives access to no account"
        )
        return ""
    comment = f"Added by awsenv sso sync (sso-session {name}) on {time.strftime('%Y-%m-%d')}"
    edit = configwrite.plan(config_path, [p[0] for p in planned], comment=comment)
    noun = "profile" if len(planned) == 1 else "profiles"
    if args.get("dry_run"):
        ui.info(f"dry run: would add {len(planned)} {noun} to {config_path}; nothing written")
        return edit.diff()
    edit.commit(lock=cache.lock_path(environ, "aws-config"))
    for section, account_id, account_name, role in planned:
        ui.info(f"added profile {section.profile}: {account_name} ({account_id}), role {role}")
    saved = f"; the previous file is {edit.backup_path}" if edit.mode is not None else ""
    ui.info(f"{len(planned)} {noun} added to {config_path}{saved}")
    return ""
