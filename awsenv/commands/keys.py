"""``awsenv keys add|import|list|rm PROFILE``: an IAM user's long-lived keys in the OS keychain.

``add`` reads the access key id and the secret on the terminal (the secret without echo; never
from the command line or the environment), checks them with one STS GetCallerIdentity and keeps
them in the keychain. ``import`` moves keys already written in ``~/.aws/credentials`` (or the
config) there: their lines leave the file, every other byte stays, and no copy of the old file
(which held the secret) is kept. Both give the profile ``credential_process = awsenv
credential-process PROFILE`` and ``awsenv_keychain = true`` in the config (shown as a diff on
stderr first), so every SDK gets temporary credentials from awsenv, never the keys. ``list``
shows the profiles whose keys are in the keychain (the key id masked), ``rm`` takes them out.
"""

from __future__ import annotations

import os

from awsenv import profiles, shells
from awsenv.errors import AwsenvError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.config import ConfigFiles
    from awsenv.config.edit import Plan
    from awsenv.config.read import Section

ACTIONS = ("add", "import", "list", "rm")
KEY_LINES = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
)


class NoTerminal(AwsenvError):
    """``keys add`` reads the keys on a terminal, and there is none."""


def _header(profile: str, *, config: bool) -> str:
    if not config or profile == "default":
        return profile
    return f"profile {profile}"


def _check_name(profile: str) -> None:
    """Refuse a profile name botocore (or the credential_process line) would not read back."""
    from awsenv.wizard import check_profile_name

    check_profile_name(profile)
    if profile.startswith("-") or any(c.isspace() for c in profile):
        raise UsageError(f"{profile!r} cannot be a keychain profile's name")


# --- reading on the terminal ---------------------------------------------------------------


def _ask(fd: int, prompt: str, *, echo: bool) -> str:
    from awsenv.providers import mfa

    answer = mfa.ask_line(fd, prompt, echo=echo)
    if answer is None:
        raise AwsenvError("no keys were entered (end of input); nothing was stored")
    return answer.strip()


def read_keys(profile: str, path: str = "/dev/tty") -> tuple[str, str]:
    """Ask for the access key id and the secret (no echo) on the terminal at ``path``."""
    from awsenv import log
    from awsenv.providers import mfa

    fd = mfa.open_tty(path)
    if fd is None:
        raise NoTerminal(
            f"'awsenv keys add {profile}' reads the keys on a terminal, and there is none",
            hint="run it in a terminal (keys are never taken from the command line or the "
            f"environment), or move keys already in ~/.aws/credentials: awsenv keys import "
            f"{profile}",
        )
    try:
        key_id = _ask(fd, f"AWS access key id for {profile}: ", echo=True)
        if not key_id:
            raise AwsenvError("no access key id was entered; nothing was stored")
        secret = _ask(fd, "AWS secret access key (not shown): ", echo=False)
        log.remember_secret(secret)
    finally:
        os.close(fd)
    _check_keys(key_id, secret)
    return key_id, secret


def _check_keys(key_id: str, secret: str) -> None:
    if not key_id.isascii() or not key_id.isalnum() or not 16 <= len(key_id) <= 128:
        raise AwsenvError(
            "that is not an access key id (16 to 128 letters and digits, e.g. AKIA...)"
        )
    if key_id.startswith("ASIA"):
        raise AwsenvError(
            f"{key_id[:4]}... is a temporary key id, which expires: the keychain is for an IAM "
            "user's long-lived keys (AKIA...)"
        )
    if not secret or any(c.isspace() for c in secret) or not secret.isprintable():
        raise AwsenvError("that is not a secret access key (no spaces or control characters)")


# --- the config edits ------------------------------------------------------------------------


def _show(plan: Plan) -> None:
    """Write the edit's diff on stderr (secret values redacted by ``Plan.diff``)."""
    import sys

    from awsenv import ui

    diff = plan.diff()
    if diff:
        sys.stderr.write("".join(ui.printable(line) + "\n" for line in diff.splitlines()))
        sys.stderr.flush()


def _commit(plan: Plan, environ: Mapping[str, str], lock: str) -> None:
    from awsenv import cache

    _show(plan)
    plan.commit(lock=cache.lock_path(environ, lock))


def _config_plan(environ: Mapping[str, str], profile: str, *, remove: tuple[str, ...] = ()) -> Plan:
    """The config edit: ``credential_process`` and the marker in the profile (keys taken out)."""
    import time

    from awsenv import paths
    from awsenv.config import edit

    config_path = paths.config_file(environ)
    items = (
        ("credential_process", shells.credential_process(profile)),
        (profiles.KEYCHAIN_MARKER, "true"),
    )
    return edit.plan_keys(
        config_path,
        _header(profile, config=True),
        remove=remove,
        add=items,
        comment=f"Added by awsenv keys (keys in the OS keychain) on {time.strftime('%Y-%m-%d')}",
        profile=profile,
        backup=not remove,  # a config that held the secret keeps no copy of it
    )


def _raw_sections(path: str) -> dict[str, Section]:
    from awsenv.config import read

    sections, _lines = read.raw_parse(path)
    return sections


def _check_kind(files: ConfigFiles, profile: str, *, importing: bool) -> None:
    """Refuse a profile that gets its credentials some other way."""
    section = files.profile(profile)
    if section is None:
        if importing:
            profiles.lookup(files, profile)  # raises ProfileNotFound, with close names
        return
    kind = profiles.classify(section)
    if kind in (profiles.NONE, profiles.KEYCHAIN):
        return
    if kind == profiles.STATIC:
        if importing:
            return
        raise AwsenvError(
            f"profile {profile!r} holds keys in the files already",
            hint=f"move them to the keychain with 'awsenv keys import {profile}'",
        )
    raise AwsenvError(
        f"profile {profile!r} gets its credentials another way ({kind}); the keychain is for "
        "an IAM user's long-lived keys",
        hint="add them under a new profile name, and point source_profile at it",
    )


def _scrub_backup(path: str, secret: str) -> None:
    """Remove awsenv's backup of ``path`` if an earlier write left the secret in it."""
    from awsenv import cache, ui
    from awsenv.config.edit import BACKUP_SUFFIX

    backup = path + BACKUP_SUFFIX
    try:
        with open(backup, "rb") as handle:
            held = secret.encode() in handle.read()
    except OSError:
        return
    if held and cache.remove(backup):
        ui.info(f"removed {backup}: an earlier awsenv edit left the secret in it")


# --- the actions ---------------------------------------------------------------------------


def _add(environ: Mapping[str, str], profile: str) -> None:
    from awsenv import ui
    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys
    from awsenv.providers import keychain, role

    files = ConfigFiles(environ)
    _check_kind(files, profile, importing=False)
    keychain.backend()  # no keychain: say so before asking for anything
    key_id, secret = read_keys(profile)
    keys = Keys(key_id, secret)
    who = role.caller_identity(
        keys, environ=environ, profile=profile if files.profile(profile) is not None else None
    )
    ui.info(f"the keys belong to {who.get('Arn', '?')} (account {who.get('Account', '?')})")
    plan = _config_plan(environ, profile)
    keychain.store(profile, key_id, secret)
    _commit(plan, environ, "aws-config")
    ui.info(
        f"profile {profile!r}: keys {keychain.masked(key_id)} are in the OS keychain; SDKs get "
        "session credentials through its credential_process"
    )
    shells.warn_unless_on_path(environ)


def _import(environ: Mapping[str, str], profile: str) -> None:
    from awsenv import paths, ui
    from awsenv.config import ConfigFiles, edit
    from awsenv.providers import keychain

    files = ConfigFiles(environ)
    _check_kind(files, profile, importing=True)
    keychain.backend()
    config_path = paths.config_file(environ)
    credentials_path = paths.credentials_file(environ)
    in_credentials = _raw_sections(credentials_path).get(profile, {})
    in_config = _raw_sections(config_path).get(_header(profile, config=True), {})
    secret_section = files.secret_profile(profile) or {}
    key_id = secret_section.get("aws_access_key_id")
    secret = secret_section.get("aws_secret_access_key")
    if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
        raise AwsenvError(
            f"profile {profile!r} has no aws_access_key_id and aws_secret_access_key in "
            f"{credentials_path} or {config_path} to import",
            hint=f"store keys with 'awsenv keys add {profile}'",
        )
    _check_keys(key_id, secret)
    config_keys = tuple(k for k in KEY_LINES if k in in_config)
    credentials_keys = tuple(k for k in KEY_LINES if k in in_credentials)
    # Both edits are planned (and checked) before anything is stored or written.
    config_plan = _config_plan(environ, profile, remove=config_keys)
    credentials_plan = (
        edit.plan_keys(
            credentials_path,
            profile,
            remove=credentials_keys,
            comment="awsenv keys import",
            backup=False,
        )
        if credentials_keys
        else None
    )
    keychain.store(profile, key_id, secret)
    stored = keychain.load(profile)
    if stored is None or (stored.access_key_id, stored.secret_access_key) != (key_id, secret):
        raise AwsenvError(
            "the keychain did not give the keys back as stored; the files were not changed"
        )
    _commit(config_plan, environ, "aws-config")
    if credentials_plan is not None:
        _commit(credentials_plan, environ, "aws-credentials")
    for path in (credentials_path, config_path):
        _scrub_backup(path, secret)
    ui.info(
        f"profile {profile!r}: keys {keychain.masked(key_id)} moved to the OS keychain and out "
        "of the files; SDKs get session credentials through its credential_process"
    )
    shells.warn_unless_on_path(environ)


def _list(environ: Mapping[str, str]) -> str:
    from awsenv.config import ConfigFiles
    from awsenv.providers import keychain

    files = ConfigFiles(environ)
    rows = []
    for name in files.profile_names():
        section = files.profile(name)
        if section is None or profiles.classify(section) != profiles.KEYCHAIN:
            continue
        keys = keychain.load(name)
        rows.append((name, keychain.masked(keys.access_key_id) if keys else "missing"))
    if not rows:
        from awsenv import ui

        ui.info("no profile keeps its keys in the OS keychain ('awsenv keys add PROFILE')")
        return ""
    width = max(len(name) for name, _ in rows)
    return "".join(f"{name.ljust(width)}  {shown}\n" for name, shown in rows)


def _rm(environ: Mapping[str, str], profile: str) -> None:
    from awsenv import paths, ui
    from awsenv.config import ConfigFiles, edit
    from awsenv.providers import keychain

    removed = keychain.delete(profile)
    files = ConfigFiles(environ)
    section = files.profile(profile) or {}
    ours = section.get("credential_process") == shells.credential_process(profile)
    remove = tuple(
        k
        for k in (profiles.KEYCHAIN_MARKER, "credential_process")
        if k in section and (ours or k == profiles.KEYCHAIN_MARKER)
    )
    if remove:
        plan = edit.plan_keys(
            paths.config_file(environ),
            _header(profile, config=True),
            remove=remove,
            comment="awsenv keys rm",
        )
        _commit(plan, environ, "aws-config")
    if not removed and not remove:
        raise AwsenvError(f"the OS keychain holds no keys for profile {profile!r}")
    ui.info(
        f"profile {profile!r}: keys removed from the OS keychain"
        if removed
        else f"profile {profile!r}: the keychain held no keys; its credential_process is removed"
    )


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Run one ``keys`` action; only ``list`` prints on stdout."""
    action = str(args.get("action") or "")
    if action not in ACTIONS:
        raise UsageError(
            f"unknown action {action!r}; use one of: " + ", ".join(ACTIONS),
            hint="awsenv keys add PROFILE",
        )
    if action == "list":
        return _list(environ)
    profile = str(args.get("profile") or "")
    if not profile:
        raise UsageError(f"'awsenv keys {action}' needs a PROFILE")
    _check_name(profile)
    if action == "add":
        _add(environ, profile)
    elif action == "import":
        _import(environ, profile)
    else:
        _rm(environ, profile)
    return ""
