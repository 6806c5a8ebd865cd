"""``awsenv doctor``'s findings: every profile explained, plus the files, caches and environment."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from awsenv import config, exports, shells
from awsenv.config.read import Files, load_files
from awsenv.diagnose.caches import (
    cache_problems,
    directory_problems,
    mode_problem,
    wanted_mode,
)
from awsenv.diagnose.explain import dedupe, explain
from awsenv.diagnose.model import (
    AWSENV_NOT_ON_PATH,
    CONFIG_UNPARSABLE,
    ENV_CREDENTIALS,
    ENV_DEFAULT_PROFILE,
    ENV_UNKNOWN_PROFILE,
    ERROR,
    NO_SHELL_WRAPPER,
    WARNING,
    Explanation,
    Problem,
    key_hint,
)
from awsenv.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def _holds_secrets(path: str) -> bool:
    try:
        sections, _lines = config.raw_parse(path)
    except ConfigError:
        return False
    return any(key in config.SECRET_KEYS for s in sections.values() for key in s)


def config_problems(files: Files) -> list[Problem]:
    """Return parse errors and wrong modes of the config and credentials files."""
    found: list[Problem] = []
    if files.error is not None:
        found.append(
            Problem(
                CONFIG_UNPARSABLE,
                ERROR,
                files.error.message,
                path=files.error.path,
                hint="botocore and the AWS CLI reject this file too; fix the line it names",
            )
        )
    if os.name == "nt":  # pragma: no cover - no POSIX modes there
        return found
    for path in (files.config_path, files.credentials_path):
        try:
            st = os.stat(path)
        except OSError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        secret = _holds_secrets(path)
        want = wanted_mode(path, mode, secret=secret)
        if want is not None:
            what = (
                "it holds secret keys but others can read it"
                if secret and mode & 0o044
                else "others can change it (and make any profile run their code)"
            )
            found.append(mode_problem(path, mode, want, what))
    return found


def _init_line(environ: Mapping[str, str]) -> str:
    """The line that loads awsenv and the rc file it goes in, for the shell that started us."""
    from awsenv import detect, shells

    shell = shells.SHELLS[detect.parent_shell(environ) or "bash"]
    return f"{shell.init_line} in {shell.rc_file}"


def _set_by_awsenv(environ: Mapping[str, str], name: str) -> bool:
    """True if awsenv exported ``name`` (``use --keys``) rather than the user or a tool."""
    if not environ.get(exports.AWSENV_PROFILE) or exports.AWSENV_SAVED not in environ:
        return False
    saved = exports.decode_saved(environ[exports.AWSENV_SAVED])
    return saved is not None and saved.get(name) != environ.get(name)


def environment_problems(environ: Mapping[str, str], files: Files) -> list[Problem]:
    """Find variables that override the profile, and a shell without the awsenv function."""
    found: list[Problem] = []
    key_id = environ.get("AWS_ACCESS_KEY_ID")
    if key_id and not (
        _set_by_awsenv(environ, "AWS_ACCESS_KEY_ID") and not environ.get("AWS_PROFILE")
    ):
        found.append(
            Problem(
                ENV_CREDENTIALS,
                ERROR,
                f"AWS_ACCESS_KEY_ID ({key_hint(key_id)}) is set in this environment: keys in "
                "the environment beat every profile, AWS_PROFILE included",
                hint="unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN "
                "('awsenv use PROFILE' clears them too)",
            )
        )
    default_profile = environ.get("AWS_DEFAULT_PROFILE")
    profile = environ.get("AWS_PROFILE")
    if default_profile and default_profile != profile:
        message = f"AWS_DEFAULT_PROFILE is set to {default_profile!r}: botocore and boto3 read it "
        message += (
            f"before AWS_PROFILE ({profile!r}), so they use another profile than the AWS CLI"
            if profile
            else "before AWS_PROFILE, so it overrides any profile awsenv exports in other tools"
        )
        found.append(
            Problem(
                ENV_DEFAULT_PROFILE,
                ERROR if profile else WARNING,
                message,
                profile=default_profile,
                hint="unset AWS_DEFAULT_PROFILE ('awsenv use PROFILE' clears it too)",
            )
        )
    if files.parsed is not None:
        for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            named = environ.get(variable)
            if named and files.profile(named) is None:
                found.append(
                    Problem(
                        ENV_UNKNOWN_PROFILE,
                        ERROR,
                        f"{variable} names profile {named!r}, which is in neither "
                        f"{files.config_path} nor {files.credentials_path}: every SDK fails",
                        profile=named,
                        hint=f"unset {variable}, or 'awsenv use' an existing profile",
                    )
                )
    shell = environ.get("AWSENV_SHELL")
    if not shell or shell not in shells.DIALECTS:
        what = f"is {shell!r}, not a shell awsenv knows" if shell else "is not set"
        found.append(
            Problem(
                NO_SHELL_WRAPPER,
                WARNING,
                f"AWSENV_SHELL {what}: this shell does not run awsenv through its shell "
                "function, so 'awsenv use' cannot change it",
                hint=f"add {_init_line(environ)}, then open a new shell",
            )
        )
    return found


def process_problems(environ: Mapping[str, str], files: Files) -> list[Problem]:
    """Find profiles whose credential_process runs ``awsenv`` when no awsenv is on PATH.

    ``keys``, ``configure okta`` and the SAML recipe write ``awsenv credential-process NAME``:
    every SDK then starts ``awsenv`` by name, so without it on PATH (awsenv installed in a
    virtualenv, say) each one fails to get credentials while ``awsenv use`` works.
    """
    if files.parsed is None or shells.awsenv_on_path(environ):
        return []
    found: list[Problem] = []
    for name in files.names():
        command = (files.profile(name) or {}).get("credential_process")
        if isinstance(command, str) and command.split()[:1] == ["awsenv"]:
            found.append(
                Problem(
                    AWSENV_NOT_ON_PATH,
                    ERROR,
                    f"profile {name!r} has every SDK run 'awsenv credential-process', and no "
                    "awsenv is on PATH: the AWS CLI and boto3 cannot get its credentials",
                    profile=name,
                    hint="install awsenv with pipx (it puts awsenv on PATH), or write awsenv's "
                    "full path in the credential_process line",
                )
            )
    return found


@dataclass(frozen=True)
class Report:
    """Everything ``awsenv doctor`` found (before any fix)."""

    files: Files
    profiles: tuple[Explanation, ...]
    problems: tuple[Problem, ...]


def check(environ: Mapping[str, str], *, now: float) -> Report:
    """Explain every profile and collect every problem, each once, in a stable order."""
    files = load_files(environ)
    explained = tuple(explain(files, environ, name, now=now) for name in files.names())
    found: list[Problem] = config_problems(files)
    for item in explained:
        found += item.problems
    found += directory_problems(environ)
    found += cache_problems(environ)
    found += environment_problems(environ, files)
    found += process_problems(environ, files)
    return Report(files, explained, tuple(dedupe(found)))
