"""T1-T5, T32: every hostile string through every path that prints shell code, in real shells.

One shell process per (shell, path) loops over the whole corpus (tests/faults/corpus.py): the
string is read NUL-terminated from a file, so this test never quotes it, then used as a profile
name, a key, a region, an inherited value that ``unset`` must restore, the profile the prompt
shows, and the word being completed. The shell's ``awsenv`` function, prompt hook and completion
are the shipped ones; their core is served in-process by ``CoreServer`` (a real ``python -m
awsenv`` per call would take minutes), and ``test_real_core_*`` runs a sample against the real
core. Each value read back is compared byte for byte (``printf '%s\\0'`` for the shell variable,
the environment of the next core call or ``printenv -0`` for the exported value), or must have
been refused with a message and an empty stdout. A payload that runs creates
``$CANARY_DIR/pwned-<id>``: there must be none.

PowerShell cannot run here: the same paths run in-process with ``AWSENV_SHELL=powershell`` and
each output is read back by the scanner model of tests/unit/test_shells_quote.py.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from awsenv import clispec, shells
from tests.faults.corpus import (
    CANARY_VAR,
    CORPUS,
    CoreCall,
    CoreServer,
    Hostile,
    age,
    expected_bytes,
    exported_after,
    fired,
    profile_header,
    run_core,
    values_file,
)
from tests.helpers import COMPLETE_AT, PYTHON, REPO, minimal_env, require_tool
from tests.unit.test_shells_quote import ModelError, ps_plan

pytestmark = pytest.mark.faults

NAMES = [h for h in CORPUS if h.can_be_profile_name]
VALUES = [h for h in CORPUS if not h.has_nul]  # anything an argument or a variable can hold
KEYED = [h for h in CORPUS if h.can_be_config_value]
PLAIN = "awsenv-plain"
UNSET = b"<unset>"
ENV_COMMANDS = set(clispec.ENV_COMMANDS)
USE_FLAGS = {f for o in clispec.BY_NAME["use"].options for f in o.flags} | {"-h", "--help"}
# The figures of reliability.md section 4, summed over the tests that ran (printed at the end).
FIGURES: collections.Counter[str] = collections.Counter()


def key_profile(entry: Hostile) -> str:
    """Return the (harmless) name of the profile whose keys and region are ``entry``."""
    return f"awsenv-k-{entry.id}"


def config_text() -> str:
    """Return a config with every hostile name as a profile (without credentials)."""
    return f"[profile {PLAIN}]\nregion = eu-west-1\n" + "".join(
        profile_header(h.value) for h in NAMES
    )


def keys_config_text(entry: Hostile) -> str:
    """Return a config whose one profile holds ``entry`` as keys, token and region.

    ``use --keys`` of a static profile parses the files (secrets never go into the index), so
    each such profile gets a small file of its own (``AWS_CONFIG_FILE`` names it).
    """
    return (
        f"[profile {key_profile(entry)}]\naws_access_key_id = {entry.value}\n"
        f"aws_secret_access_key = {entry.value}\naws_session_token = {entry.value}\n"
        f"region = {entry.value}\n"
    )


# --- the shells --------------------------------------------------------------------------------

_POSIX_HELPERS = """\
report() { printf '%s\\0' "$@"; }
"""


@dataclass(frozen=True)
class Shell:
    """How one real shell runs a loop over the values file, with the user options it runs under."""

    name: str
    argv: tuple[str, ...]
    prelude: str
    head: str
    tail: str
    status: str
    set_fmt: str
    unset_fmt: str
    source: str
    user_prompt: str
    renders: tuple[tuple[str, str], ...]

    def set(self, name: str, source: str = '"$v"') -> str:
        """Return the statement that exports ``name`` with the value of ``source``."""
        return self.set_fmt.format(name=name, src=source)

    def when_set(self, name: str, command: str) -> str:
        """Return the statement that runs ``command`` only when ``name`` is set."""
        if self.name == "fish":
            return f"if set -q {name}; {command}; end"
        return f"if [[ -v {name} ]]; then {command}; fi"

    def unset(self, *names: str) -> str:
        """Return the statements that remove ``names`` from the shell."""
        return "\n".join(self.unset_fmt.format(name=n) for n in names)


SHELLS = {
    "bash": Shell(
        "bash",
        ("bash", "--noprofile", "--norc"),
        "set -u\nshopt -s failglob extglob\n"
        + _POSIX_HELPERS
        + "show() { if [[ -v $1 ]]; then printf '%s\\0' \"${!1}\"; "
        "else printf '<unset>\\0'; fi; }\n",
        # LC_ALL=C: bash 5.2's read -d '' in a UTF-8 locale swallows the record after one
        # that ends in an incomplete UTF-8 sequence (printf '\xe2\x80\0x\0b\0' reads 2)
        "while LC_ALL=C IFS= read -r -d '' v; do",
        'done < "$T_VALUES"',
        '"$?"',
        "export {name}={src}",
        "unset {name}",
        'source "$T_INIT"',
        "PS1='user> '",
        (("A", "__awsenv_prompt_hook; printf '%s\\0' \"${PS1@P}\""),),
    ),
    "zsh": Shell(
        "zsh",
        ("zsh", "-f"),
        "setopt rc_quotes sh_word_split no_unset prompt_bang\n"
        + _POSIX_HELPERS
        + "show() { if [[ -v $1 ]]; then printf '%s\\0' \"${(P)1}\"; "
        "else printf '<unset>\\0'; fi; }\n",
        "while IFS= read -r -d '' v; do",
        'done < "$T_VALUES"',
        '"$?"',
        "export {name}={src}",
        "unset {name}",
        'source "$T_INIT"',
        "PROMPT='user> '",
        (
            ("A", "setopt prompt_subst; __awsenv_precmd; print -rnP -- \"$PROMPT\"; printf '\\0'"),
            (
                "A",
                "unsetopt prompt_subst; __awsenv_precmd; print -rnP -- \"$PROMPT\"; printf '\\0'",
            ),
        ),
    ),
    "fish": Shell(
        "fish",
        ("fish", "--no-config", "--private"),
        "function report; printf '%s\\0' $argv; end\n"
        "function show; if set -q $argv[1]; printf '%s\\0' \"$$argv[1]\"; "
        "else; printf '<unset>\\0'; end; end\n",
        "while read -lz v",
        "end < $T_VALUES",
        "$status",
        "set -gx {name} {src}",
        "set -e {name}",
        "source $T_INIT",
        "function fish_prompt; printf 'user> '; end",
        (("A", "emit fish_prompt; fish_prompt; printf '\\0'"),),
    ),
}


@pytest.fixture(params=sorted(SHELLS))
def shell(request: pytest.FixtureRequest) -> Shell:
    """Each real shell in turn (skipped locally, failed in CI, when not installed)."""
    spec = SHELLS[request.param]
    require_tool(spec.argv[0])
    return spec


class World:
    """A HOME with the hostile config, a canary directory, and the in-process core server."""

    def __init__(self, tmp: Path, home: Path) -> None:
        self.tmp = tmp
        self.home = home
        self.canary = tmp / "canary"
        self.canary.mkdir()
        self.work = tmp / "work"
        self.work.mkdir()
        aws = home / ".aws"
        aws.mkdir(parents=True, exist_ok=True)
        self.config = aws / "config"
        self.config.write_text(config_text(), encoding="utf-8")
        age(self.config)
        self.keys = aws / "keys"
        self.keys.mkdir()
        for entry in KEYED:
            path = self.keys / key_profile(entry)
            path.write_text(keys_config_text(entry), encoding="utf-8")
            age(path)
        self.empty_config = aws / "config-empty"
        self.empty_config.write_text(f"[profile {PLAIN}]\nregion = eu-west-1\n", encoding="utf-8")
        age(self.empty_config)
        self.server = CoreServer(tmp / "core")

    def __enter__(self) -> World:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__()

    def env(self, **extra: str) -> dict[str, str]:
        """Return the shell's environment: a fresh login's, plus the canary and the server."""
        env = minimal_env(self.home, NO_COLOR="1", **self.server.environ(), **extra)
        env[CANARY_VAR] = str(self.canary)
        return env

    def init(self, shell: Shell, *, completion: bool = False) -> Path:
        """Write the shipped init script (and completion script) with the served core."""
        clock = self.tmp / "clock"
        if not clock.exists():
            clock.touch()
            os.utime(clock, (0, 0))  # fish's prompt reads now as the age of this file
        text = shells.init_script(
            shell.name,
            command=[self.server.client],
            clock=str(clock),
            prompt=True,
            completion=completion,
        )
        path = self.work / f"init-{shell.name}-{int(completion)}"
        path.write_text(text, encoding="utf-8")
        return path

    def run(
        self,
        shell: Shell,
        body: str,
        values: list[str],
        *,
        init: Path,
        before: str = "",
        env: dict[str, str] | None = None,
        real_core: bool = False,
    ) -> list[bytes]:
        """Run ``body`` once per value in one shell process; return every field it reported."""
        script = "\n".join(
            [
                shell.prelude,
                shell.user_prompt,
                shell.source,
                before,
                shell.head,
                body,
                shell.tail,
                # one more core call: its environment is what the last iteration exported
                "awsenv unset",
                "report done",
            ]
        )
        path = self.work / f"loop.{shell.name}"
        path.write_text(script + "\n", encoding="utf-8")
        values_path = values_file(self.work / "values.bin", values)
        environ = env or self.env()
        environ.update(T_VALUES=str(values_path), T_INIT=str(init))
        result = subprocess.run(
            [*shell.argv, str(path)],
            env=environ,
            cwd=self.canary,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=240,
            check=False,
        )
        assert fired(self.canary, self.home, self.work) == [], "a hostile string ran as code"
        assert self.server.errors == []
        if real_core:  # the real core's messages reach the shell's stderr: one line each
            for line in result.stderr.decode("utf-8", "surrogateescape").splitlines():
                assert line.startswith(("awsenv: ", "  hint: ")), line
                assert not _CONTROL.search(line), line
        else:
            assert result.stderr == b"", result.stderr.decode(errors="replace")[:2000]
        assert result.returncode == 0
        fields = result.stdout.split(b"\0")
        assert fields[-2:] == [b"done", b""], result.stdout[-300:]
        return fields[:-2]


@pytest.fixture
def world(tmp_path: Path, home: Path) -> World:
    """The hostile HOME and its core server."""
    with World(tmp_path, home) as w:
        yield w


def chunks(fields: list[bytes], size: int, count: int) -> list[list[bytes]]:
    """Split the reported fields into one record per value."""
    assert len(fields) == size * count, (len(fields), size, count)
    return [fields[i * size : (i + 1) * size] for i in range(count)]


# --- what every core call must satisfy (T4, T5) ------------------------------------------------

# Newline aside, every C0 and C1 control, the two line separators, and the lone surrogates that
# stand for bytes that are not text (os.environ's surrogateescape): written raw, a 0x9b byte is
# the 8-bit CSI.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def check_calls(calls: list[CoreCall]) -> None:
    """Every call: stdout is shell code only on success, empty on failure; stderr is clean."""
    for call in calls:
        assert "unexpected" not in call.stderr, (call.argv, call.stderr)
        assert not _CONTROL.search(call.stderr), (call.argv, call.stderr)
        if call.status != 0:
            assert call.stdout == "", (call.argv, call.stdout)
            assert call.stderr.startswith("awsenv: ") or call.stderr.startswith("usage:"), call
        elif call.argv[:1] and call.argv[0] in ENV_COMMANDS:
            assert call.stdout.isascii(), call.argv
        FIGURES["core calls"] += 1
        if call.status != 0:
            FIGURES["refusals (exit != 0, stdout empty)"] += 1


def outcome(ok: bool) -> None:
    """Count a value read back exactly, or a refusal, for the figures."""
    FIGURES["byte-exact values" if ok else "refused values"] += 1


# --- use: the hostile string as the profile name (T1), refresh, unset (T32) ---------------------


def test_hostile_profile_names_are_exported_exactly_by_use_refresh_and_unset(
    world: World, shell: Shell
) -> None:
    s = shell.status
    body = f"""
awsenv use -- "$v"
report {s}
show AWS_PROFILE; show AWSENV_PROFILE
awsenv refresh
report {s}
show AWS_PROFILE
awsenv unset
report {s}
show AWS_PROFILE; show AWSENV_PROFILE; show AWSENV_SAVED
"""
    fields = world.run(shell, body, [h.value for h in NAMES], init=world.init(shell))
    calls = world.server.calls
    assert len(calls) == 3 * len(NAMES) + 1
    check_calls(calls)
    for index, (entry, rec) in enumerate(zip(NAMES, chunks(fields, 9, len(NAMES)))):
        want = expected_bytes(entry.value)
        use = 3 * index
        if not entry.value:
            # an empty AWS_PROFILE means "none" to most tools (and to the prompt): refused
            assert rec[0] == b"2", entry
            assert "empty" in calls[use].stderr, entry
            assert rec[1:3] == [UNSET] * 2, entry
            assert rec[3] == b"2", entry
            outcome(False)
        else:
            assert rec[0] == b"0", (entry, calls[use].stderr)
            assert rec[1:3] == [want, want], entry
            assert exported_after(calls, use, "AWS_PROFILE") == want, entry
            assert rec[3] == b"0", entry
            assert rec[4] == want, entry
            assert exported_after(calls, use + 1, "AWSENV_PROFILE") == want, entry
            # the name is echoed escaped in the warning (a profile without credentials)
            assert "holds no credentials" in calls[use].stderr, calls[use].stderr
            outcome(True)
        assert rec[5] == b"0", entry
        assert rec[6:9] == [UNSET] * 3, entry
        assert exported_after(calls, use + 2, "AWS_PROFILE") == UNSET, entry
    FIGURES[f"paths x strings: use-name, refresh, unset ({shell.name})"] += len(NAMES)


# --- use --keys: hostile keys, token and region from the config (T2) ---------------------------

KEY_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


def test_hostile_keys_and_region_are_exported_exactly_or_refused(
    world: World, shell: Shell
) -> None:
    s = shell.status
    shows = "; ".join(f"show {n}" for n in KEY_VARS)
    body = f"""
{shell.set("AWS_CONFIG_FILE", '"$T_KEYS/$v"')}
awsenv use --keys -- "$v"
report {s}
{shows}
show AWSENV_PROFILE; show AWS_PROFILE
awsenv unset
report {s}
show AWS_ACCESS_KEY_ID; show AWS_SESSION_TOKEN; show AWS_REGION; show AWSENV_PROFILE
"""
    env = world.env(T_KEYS=str(world.keys))
    values = [key_profile(h) for h in KEYED]
    fields = world.run(shell, body, values, init=world.init(shell), env=env)
    calls = world.server.calls
    check_calls(calls)
    for index, (entry, rec) in enumerate(zip(KEYED, chunks(fields, 13, len(KEYED)))):
        stored = entry.value.strip()  # configparser strips values
        want = expected_bytes(stored)
        use = calls[2 * index]
        if entry.has_nul:
            # T1/T2: a NUL can be in no environment variable: refused, naming the variable
            assert rec[0] == b"1", entry
            assert use.stdout == "", entry
            assert "NUL" in use.stderr, use.stderr
            assert "AWS_ACCESS_KEY_ID" in use.stderr, use.stderr
            assert rec[1:8] == [UNSET] * 7, entry
            outcome(False)
        else:
            assert rec[0] == b"0", (entry, use.stderr)
            region = want if stored else UNSET
            expected = [want, want, want, region, region]
            assert rec[1:6] == expected, entry
            assert [exported_after(calls, 2 * index, n) for n in KEY_VARS] == expected, entry
            assert rec[6:8] == [key_profile(entry).encode(), UNSET], entry
            outcome(True)
        assert rec[8] == b"0", entry
        assert rec[9:13] == [UNSET] * 4, entry
    FIGURES[f"paths x strings: use --keys, unset ({shell.name})"] += len(KEYED)


def test_reading_static_keys_reuses_the_config_index(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by the test above taking 100 s: secret_profile parses the files (secrets are never
    # indexed) and then built a whole new index (256 buckets) only to throw it away, every call.
    from awsenv import config

    entry = KEYED[0]
    env = world.env(AWSENV_SHELL="bash", AWS_CONFIG_FILE=str(world.keys / key_profile(entry)))
    assert run_core(["use", "--keys", "--", key_profile(entry)], env).status == 0  # indexes
    built: list[object] = []
    monkeypatch.setattr(config.ConfigFiles, "_write_index", lambda *a: built.append(a))
    assert run_core(["use", "--keys", "--", key_profile(entry)], env).status == 0
    assert built == []


# --- region and use --region: the region checker refuses, or the value is exact ----------------


def test_hostile_regions_are_refused_with_an_empty_stdout_or_exported_exactly(
    world: World, shell: Shell
) -> None:
    s = shell.status
    body = f"""
awsenv region -- "$v"
report {s}
show AWS_REGION; show AWS_DEFAULT_REGION
awsenv use --region="$v" -- {PLAIN}
report {s}
show AWS_REGION; show AWS_PROFILE
{shell.when_set("AWSENV_SAVED", "awsenv unset")}
show AWS_REGION; show AWSENV_SAVED
"""
    fields = world.run(shell, body, [h.value for h in VALUES], init=world.init(shell))
    calls = world.server.calls
    check_calls(calls)
    plain = PLAIN.encode()
    at = 0
    for entry, rec in zip(VALUES, chunks(fields, 8, len(VALUES))):
        want = expected_bytes(entry.value)
        region_ok = rec[0] == b"0"
        assert calls[at].argv[0] == "region"
        if region_ok:
            assert rec[1:3] == [want, want], entry
            assert exported_after(calls, at, "AWS_DEFAULT_REGION") == want, entry
        else:
            assert rec[0] == b"2", entry
            assert rec[1:3] == [UNSET, UNSET], entry
        outcome(region_ok)
        use_ok = rec[3] == b"0"
        if use_ok:
            assert rec[4:6] == [want, plain], entry
            assert exported_after(calls, at + 1, "AWS_REGION") == want, entry
        else:
            assert rec[4:6] == [want if region_ok else UNSET, UNSET], entry
        outcome(use_ok)
        at += 3 if region_ok or use_ok else 2
        assert rec[6:8] == [UNSET, UNSET], entry
    assert at == len(calls) - 1
    FIGURES[f"paths x strings: region, use --region ({shell.name})"] += 2 * len(VALUES)


# --- unset restores hostile inherited values byte for byte (AWSENV_SAVED round trip) ------------

INHERITED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_CREDENTIAL_EXPIRATION")


def test_unset_restores_hostile_inherited_values_exactly(world: World, shell: Shell) -> None:
    s = shell.status
    sets = "\n".join(shell.set(n) for n in INHERITED)
    shows = "; ".join(f"show {n}" for n in INHERITED)
    body = f"""
{sets}
awsenv use -- {PLAIN}
report {s}
show AWS_PROFILE; show AWS_SESSION_TOKEN; show AWS_DEFAULT_REGION
awsenv unset
report {s}
{shows}
show AWSENV_SAVED
command printenv -0 -- {" ".join(INHERITED)}; report {s}
{shell.unset(*INHERITED)}
"""
    fields = world.run(shell, body, [h.value for h in VALUES], init=world.init(shell))
    for entry, rec in zip(VALUES, chunks(fields, 15, len(VALUES))):
        want = expected_bytes(entry.value)
        assert rec[0:4] == [b"0", PLAIN.encode(), UNSET, b"eu-west-1"], entry
        assert rec[4] == b"0", entry
        assert rec[5:10] == [want] * 4 + [UNSET], entry
        # printenv -0 (the environment of a child process): each value, NUL-terminated
        assert rec[10:15] == [want] * 4 + [b"0"], entry
        outcome(True)
    check_calls(world.server.calls)
    FIGURES[f"paths x strings: unset restores inherited ({shell.name})"] += len(VALUES)


# --- error paths: a profile that does not exist, with every hostile name (T5) --------------------


def test_unknown_hostile_profiles_fail_with_empty_stdout_and_unchanged_shell(
    world: World, shell: Shell
) -> None:
    s = shell.status
    body = f"""
awsenv use --region=eu-west-1 -- "$v"
report {s}
show AWS_PROFILE; show AWS_REGION
"""
    env = world.env(AWS_CONFIG_FILE=str(world.empty_config))
    fields = world.run(shell, body, [h.value for h in VALUES], init=world.init(shell), env=env)
    calls = world.server.calls
    check_calls(calls)
    for entry, rec, call in zip(VALUES, chunks(fields, 3, len(VALUES)), calls):
        if entry.value:
            assert rec == [b"1", UNSET, UNSET], entry
            assert "is not in" in call.stderr, call.stderr
        else:
            assert rec == [b"2", UNSET, UNSET], entry
        assert call.stdout == ""
        outcome(False)
    FIGURES[f"paths x strings: error use ({shell.name})"] += len(VALUES)


# --- status: the hostile string as the active profile and as its expiration -------------------


def test_status_shows_hostile_profiles_and_expirations_as_text(world: World) -> None:
    checked = 0
    for h in VALUES:
        env = world.env(AWSENV_PROFILE=h.value, AWSENV_EXPIRATION=h.value, AWS_PROFILE=h.value)
        for argv in (["status"], ["status", "--json"]):
            call = run_core(argv, env)
            assert call.status == 0, (h, call.stderr)
            assert "unexpected" not in call.stderr, (h, call.stderr)
            assert not _CONTROL.search(call.stdout), (h, call.stdout)
            checked += 1
        facts = json.loads(run_core(["status", "--json"], env).stdout)
        assert facts["profile"] == h.value
        assert facts["expiration"] is None or str(facts["expiration"]) == str(int(h.value))
    # list: every hostile name, as a table and as JSON
    table = run_core(["list"], world.env())
    listed = run_core(["list", "--json"], world.env())
    check_calls([table, listed])
    for call in (table, listed):
        assert call.status == 0, call.stderr
        assert not _CONTROL.search(call.stdout.replace("\n", "")), call.argv
    names = {row["name"] for row in json.loads(listed.stdout)}
    assert names == {PLAIN, *(h.value for h in NAMES)}
    FIGURES["paths x strings: status, status --json, list (in-process)"] += checked + len(NAMES)


def _clean_json(call: CoreCall) -> object:
    """Check that a JSON report writes every control and every non-text byte escaped."""
    assert "unexpected" not in call.stderr, (call.argv, call.stderr)
    assert not _CONTROL.search(call.stdout.replace("\n", "")), (call.argv, call.stdout)
    return json.loads(call.stdout)


def test_explain_and_doctor_json_escape_hostile_names_and_config_values(world: World) -> None:
    # Found with U+009B (the 8-bit CSI) in a config value: doctor --json printed it raw, and a
    # byte that is not UTF-8 in the environment reached explain --json's output as that byte.
    checked = 0
    for h in NAMES:
        _clean_json(run_core(["explain", "--json", "--", h.value], world.env()))
        checked += 1
    for h in KEYED:
        if h.has_nul:
            continue
        env = world.env(AWS_CONFIG_FILE=str(world.keys / key_profile(h)))
        _clean_json(run_core(["explain", "--json", key_profile(h)], env))
        _clean_json(run_core(["doctor", "--json"], env))
        checked += 2
    for h in VALUES:
        env = world.env(AWS_PROFILE=h.value, AWS_DEFAULT_PROFILE=h.value, AWS_REGION=h.value)
        _clean_json(run_core(["explain", "--json", PLAIN], env))
        _clean_json(run_core(["doctor", "--json"], env))
        checked += 2
    _clean_json(run_core(["doctor", "--json"], world.env()))
    # a path is bytes: a config file in a directory whose name is not UTF-8 (and holds a C1)
    odd = world.tmp / "dir-\udc9b-\x9b-\udcff"
    odd.mkdir()
    config = odd / "config"
    config.write_bytes(world.empty_config.read_bytes())
    age(config)
    env = world.env(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(odd / "creds"))
    explained = _clean_json(run_core(["explain", "--json", PLAIN], env))
    doctor = _clean_json(run_core(["doctor", "--json"], env))
    assert isinstance(doctor, dict)
    assert doctor["config_file"] == str(config)
    assert str(config) in json.dumps(explained, ensure_ascii=False)
    FIGURES["paths x strings: explain --json, doctor --json (in-process)"] += checked + 3


def test_hostile_numbers_in_settings_are_ignored_not_fatal() -> None:
    # Found with "\u00b2": str.isdigit() accepts it and float()/int() raise (an unexpected error).
    from awsenv.providers import Context, sso

    for h in VALUES:
        options = sso.login_options(Context({"AWSENV_LOGIN_TIMEOUT": h.value}))
        assert options.timeout == 600.0 or str(options.timeout) == str(float(h.value)), h
    FIGURES["paths x strings: AWSENV_LOGIN_TIMEOUT (in-process)"] += len(VALUES)


# --- the prompt segment: the hostile string as AWSENV_PROFILE and as AWSENV_EXPIRATION ----------

# What each shell's segment replaces with `?`: C0 and C1 controls and U+2028/U+2029 (bash and
# zsh through [[:cntrl:]], which glibc's UTF-8 locales extend to them; fish names them).
# Each byte that is not UTF-8 (a lone surrogate here) is one character to the shells, shown as `?`.
# bash and zsh show what the C library's iswprint rejects as `?` (for this corpus: the controls,
# the line separators and the noncharacters U+FFFE and U+FFFF); fish holds a byte that is not
# UTF-8 as U+F6xx, so a real U+F600-U+F6FF is `?` for each of its three bytes.
_SANITIZE = {
    "fish": re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff]"),
    "bash": re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff\ufffe\uffff]"),
    "zsh": re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff\ufffe\uffff]"),
}
_FISH_RESERVED = re.compile(r"[\uf600-\uf6ff]")


def shown(shell: str, value: str) -> bytes:
    """Return the profile as the segment prints it: control characters become ``?``."""
    if shell == "fish":
        value = _FISH_RESERVED.sub("???", value)
    return expected_bytes(_SANITIZE[shell].sub("?", value))


def test_prompt_shows_hostile_profiles_as_text_and_ignores_hostile_expirations(
    world: World, shell: Shell
) -> None:
    future = str(int(time.time()) + 10 * 86400)
    renders = "\n".join(code for _, code in shell.renders)
    body = f"""
{shell.set("AWSENV_PROFILE")}
{shell.set("AWSENV_EXPIRATION", future)}
{renders}
{shell.set("AWSENV_PROFILE", "dev")}
{shell.set("AWSENV_EXPIRATION")}
{renders}
"""
    fields = world.run(shell, body, [h.value for h in VALUES], init=world.init(shell))
    count = len(shell.renders)
    timed = re.compile(rb"aws:(.*) [0-9][0-9dhms]* user> ", re.S)
    for entry, rec in zip(VALUES, chunks(fields, 2 * count, len(VALUES))):
        if shell.name == "fish":  # fish_prompt ends the user's prompt with a newline
            rec = [p.removesuffix(b"\n") for p in rec]
        for prompt in rec[:count]:
            if not entry.value:  # an empty AWSENV_PROFILE is no profile: no segment
                assert prompt == b"user> ", prompt
                continue
            match = timed.fullmatch(prompt)
            assert match, (entry, prompt)
            assert match.group(1) == shown(shell.name, entry.value), (entry, prompt)
            assert not re.search(rb"[\x00-\x1f\x7f]", prompt), (entry, prompt)
            # no 8-bit control either: the prompt is UTF-8 text with no C1 character in it
            text = prompt.decode("utf-8", "surrogateescape")
            assert not _CONTROL.search(text.replace("\n", "")), (entry, prompt)
        digits = re.fullmatch(r"[0-9]{1,15}", entry.value) is not None
        for prompt in rec[count:]:
            if digits:
                assert prompt.startswith(b"aws:dev "), (entry, prompt)
            else:
                assert prompt == b"aws:dev user> ", (entry, prompt)
        FIGURES["byte-exact values"] += 1
    # the prompt starts no core: the one call is the final `awsenv unset` of every loop
    assert [c.argv for c in world.server.calls] == [["unset"]]
    FIGURES[f"paths x strings: prompt ({shell.name})"] += 2 * len(VALUES)


# --- completion: hostile profile names offered through each shell's completion -----------------

COMPLETE = {
    "bash": COMPLETE_AT["bash"],
    "zsh": COMPLETE_AT["zsh"],
    "fish": r"""
function complete_at
    set -l line "awsenv use "
    test -n "$argv[1]"; and set line "$line"(string escape -- $argv[1])
    for line in (complete -C "$line")
        printf '%s\0' (string split -m1 -f1 \t -- $line)
    end
    printf '\1\0'
end
""",
}


def _groups(fields: list[bytes]) -> list[set[bytes]]:
    groups: list[set[bytes]] = [set()]
    for item in fields:
        if item == b"\x01":
            groups.append(set())
        else:
            groups[-1].add(item)
    assert groups[-1] == set()
    return groups[:-1]


_COMPLETED: dict[str, tuple[set[bytes], list[set[bytes]]]] = {}


def _complete(world: World, shell: Shell) -> tuple[set[bytes], list[set[bytes]]]:
    """Complete ``awsenv use ''`` and ``awsenv use NAME`` for every name, in one shell process.

    Kept per shell for the run: the strict xfail below reads fish's answers again.
    """
    if shell.name in _COMPLETED:
        return _COMPLETED[shell.name]
    listed = run_core(["__complete", "profiles"], world.env()).stdout.splitlines()
    names = {n.encode("utf-8", "surrogateescape") for n in listed}
    printable = [h for h in NAMES if h.value.isprintable()]
    assert names == {PLAIN.encode(), *(h.raw for h in printable)}, "the core lists the names"
    names.discard(b"")  # an empty line is no candidate in any shell
    call = "complete_at awsenv use" if shell.name != "fish" else "complete_at"
    world.server.calls.clear()
    fields = world.run(
        shell,
        f'{call} "$v"',
        [h.value for h in NAMES],
        init=world.init(shell, completion=True),
        before=COMPLETE[shell.name] + f"{call} ''",
    )
    groups = _groups(fields)
    assert len(groups) == 1 + len(NAMES)
    check_calls(world.server.calls)
    _COMPLETED[shell.name] = names, groups
    return names, groups


def test_completion_offers_hostile_profile_names_as_data(world: World, shell: Shell) -> None:
    names, groups = _complete(world, shell)
    assert groups[0] == names, names ^ groups[0]
    options = {f.encode() for f in USE_FLAGS | {"--debug"}}
    for entry, got in zip(NAMES, groups[1:]):
        assert got <= names | options, (entry, got - names - options)
        if shell.name == "fish" or entry.value.startswith("-"):
            continue  # fish: see the next test; a leading dash is completed as an option
        assert got == {n for n in names if n.startswith(entry.raw)}, entry
    FIGURES[f"paths x strings: completion ({shell.name})"] += len(NAMES)


def test_fish_completion_offers_a_hostile_name_typed_escaped(world: World) -> None:
    require_tool("fish")
    names, groups = _complete(world, SHELLS["fish"])
    missing = [
        h.value
        for h, got in zip(NAMES, groups[1:])
        if h.raw in names and not h.value.startswith("-") and h.raw not in got
    ]
    assert missing == []


# --- the real core, end to end, on a sample of every family ------------------------------------

SAMPLE = [
    h
    for h in {
        h.id: h for h in [*{h.family: h for h in NAMES}.values(), *NAMES[:4], NAMES[17]]
    }.values()
    if h.value
]


def test_real_core_exports_a_sample_of_hostile_names_exactly(world: World, shell: Shell) -> None:
    # The shipped `awsenv init <shell>` with the real core (python -I -m awsenv), no stand-in.
    result = subprocess.run(
        [PYTHON, "-I", "-m", "awsenv", "init", shell.name],
        env=world.env(),
        capture_output=True,
        check=True,
        cwd=REPO,
    )
    init = world.work / "init-real"
    init.write_bytes(result.stdout)
    s = shell.status
    body = f"""
awsenv use -- "$v"
report {s}
show AWS_PROFILE
command printenv -0 -- AWS_PROFILE; report {s}
awsenv unset
report {s}
show AWS_PROFILE
"""
    fields = world.run(shell, body, [h.value for h in SAMPLE], init=init, real_core=True)
    for entry, rec in zip(SAMPLE, chunks(fields, 6, len(SAMPLE))):
        want = expected_bytes(entry.value)
        assert rec == [b"0", want, want, b"0", b"0", UNSET], entry
        outcome(True)
    FIGURES[f"paths x strings: real core use+unset ({shell.name})"] += len(SAMPLE)


# --- lint: every piece of shell code the corpus made the core print ----------------------------


_GENERATED: dict[str, str] = {}


def _generated(dialect: str, world: World) -> str:
    """Return each distinct line every emitting path printed for the corpus (once a dialect)."""
    key = "fish" if dialect == "fish" else "posix"  # bash and zsh get the same code
    if key not in _GENERATED:
        code = _generate(dialect, world)
        _GENERATED[key] = "".join(dict.fromkeys(code.splitlines(keepends=True)))
    return _GENERATED[key]


def _generate(dialect: str, world: World) -> str:
    """Render the code of every emitting path for the whole corpus, in-process."""
    env = world.env(AWSENV_SHELL=dialect)
    parts: list[str] = []
    for h in NAMES:
        parts.append(run_core(["use", "--", h.value], env).stdout)
    for h in KEYED:
        keys_env = {**env, "AWS_CONFIG_FILE": str(world.keys / key_profile(h))}
        parts.append(run_core(["use", "--keys", "--", key_profile(h)], keys_env).stdout)
    for h in VALUES:
        inherited = {**env, **dict.fromkeys(INHERITED, h.value)}
        used = run_core(["use", "--", PLAIN], inherited)
        assert used.status == 0, used.stderr
        after = apply_posix(inherited, used.stdout, dialect)
        parts.append(used.stdout)
        parts.append(run_core(["unset"], after).stdout)
        parts.append(run_core(["region", "--", h.value], env).stdout)
    return "".join(parts)


def apply_posix(environ: dict[str, str], code: str, dialect: str) -> dict[str, str]:
    """Apply a plan to an environment by reading it back through the PowerShell-free models."""
    from tests.unit.test_shells_quote import fish_plan, posix_plan

    plan = fish_plan(code) if dialect == "fish" else posix_plan(code)
    env = dict(environ)
    for name, value in plan:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value.decode("utf-8", "surrogateescape")
    return env


@pytest.mark.parametrize(
    ("dialect", "command"),
    [
        ("bash", ["bash", "-n"]),
        ("bash", [".venv/bin/shellcheck", "--shell=bash", "--enable=all", "--severity=style"]),
        ("zsh", ["zsh", "-n"]),
        ("fish", ["fish", "--no-execute"]),
    ],
    ids=["bash-n", "shellcheck", "zsh-n", "fish-no-execute"],
)
def test_generated_code_for_the_whole_corpus_passes_the_linters(
    world: World, dialect: str, command: list[str]
) -> None:
    tool = str(REPO / command[0]) if command[0].startswith(".venv") else require_tool(command[0])
    if not Path(tool).exists():
        require_tool("shellcheck")
    code = _generated(dialect, world)
    assert code.isascii()
    path = world.work / f"generated.{dialect}"
    header = "# shellcheck shell=bash\n" if dialect == "bash" else ""
    path.write_text(header + code, encoding="ascii")
    result = subprocess.run(
        [tool, *command[1:], str(path)], capture_output=True, check=False, cwd=world.work
    )
    assert result.returncode == 0, (result.stdout + result.stderr).decode(errors="replace")[:3000]
    FIGURES[f"lint: {' '.join(command[:1])} lines"] += code.count("\n")


# --- PowerShell: the same paths, read back by the quote-scanner model (T3) ----------------------


def _ps_apply(environ: dict[str, str], code: str) -> dict[str, str]:
    env = dict(environ)
    for name, value in ps_plan(code):
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_powershell_output_for_the_whole_corpus_reads_back_exactly(world: World) -> None:
    env = world.env(AWSENV_SHELL="powershell")
    checked = 0
    try:
        for h in NAMES:
            used = run_core(["use", "--", h.value], env)
            if not h.value:
                assert used.status == 2
                assert used.stdout == ""
                continue
            assert used.status == 0, used.stderr
            assert used.stdout.isascii(), used.stderr
            after = _ps_apply(env, used.stdout)
            assert after["AWS_PROFILE"] == after["AWSENV_PROFILE"] == h.value
            gone = run_core(["unset"], after)
            assert "AWS_PROFILE" not in _ps_apply(after, gone.stdout)
            checked += 1
        for h in KEYED:
            keys_env = {**env, "AWS_CONFIG_FILE": str(world.keys / key_profile(h))}
            used = run_core(["use", "--keys", "--", key_profile(h)], keys_env)
            if h.has_nul:
                assert used.status == 1
                assert used.stdout == ""
                assert "NUL" in used.stderr
                continue
            after = _ps_apply(env, used.stdout)
            stored = h.value.strip()
            assert [after.get(n) for n in KEY_VARS[:3]] == [stored] * 3, h
            assert after.get("AWS_REGION") == (stored or None), h
            checked += 1
        for h in VALUES:
            inherited = {**env, **dict.fromkeys(INHERITED, h.value)}
            used = run_core(["use", "--", PLAIN], inherited)
            after = _ps_apply(inherited, used.stdout)
            restored = _ps_apply(after, run_core(["unset"], after).stdout)
            assert [restored.get(n) for n in INHERITED] == [h.value] * 4, h
            region = run_core(["region", "--", h.value], env)
            if region.status == 0:
                assert _ps_apply(env, region.stdout)["AWS_REGION"] == h.value
            else:
                assert region.stdout == ""
            checked += 2
    except ModelError as exc:  # pragma: no cover - the failure message
        pytest.fail(f"PowerShell would misread awsenv's output: {exc}")
    FIGURES["paths x strings: powershell (scanner model)"] += checked


# --- the figures --------------------------------------------------------------------------------


def test_zz_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the figures of reliability.md section 4 (summed over the tests of this run)."""
    FIGURES["corpus size"] = len(CORPUS)
    FIGURES["canary executions"] += 0
    assert len(CORPUS) >= 200
    with capsys.disabled():
        print("\nawsenv faults figures: " + json.dumps(dict(sorted(FIGURES.items())), indent=1))
