"""Tab completion in real bash, zsh and fish: subcommands, options, profiles, regions, shells.

How candidates are captured:
- bash: set COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT as readline would, call the function that
  `complete -p awsenv` names, print COMPREPLY NUL-separated;
- zsh: `_awsenv` uses only `compadd`, so a stand-in `compadd` (defined after loading the script)
  prints the words after `--` that start with $PREFIX, as the real one would offer them; `words`
  and `CURRENT` are set as the completion system sets them;
- fish: `complete -C 'awsenv use pr'`, fish's own completion engine, descriptions cut off.
Every case of one shell runs in one process; a lone \\x01 ends each case's candidates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from awsenv import clispec
from tests.helpers import COMPLETE_AT, HOSTILE, SHELLS, minimal_env, run_awsenv, write_config

pytestmark = pytest.mark.shells

END = "\x01"

CONFIG = "".join(f"[profile {name}]\n" for name in ["dev", "prod", "prod-admin"])

# botocore (and so awsenv) reads a section name with shlex rules: quote names with spaces.
HOSTILE_PROFILES = [
    '"$(touch CANARY)"',
    "`touch${IFS}CANARY`",
    "a;touch${IFS}CANARY",
    '"a b"',
    '"it\'s"',
    "\u2018left\u2019\u201alow\u201b",
    "%F{red}zsh%f",
    "-n",
    "--",
    "*",
    "~root",
    "!!",
    HOSTILE[0].replace("'", "").replace('"', ""),
]
HOSTILE_CONFIG = CONFIG + "".join(f"[profile {name}]\n" for name in HOSTILE_PROFILES)
SSO_CONFIG = CONFIG + "[sso-session corp]\n[sso-session dev-team]\n"

BASH_DRIVER = 'set -u\nsource "${T_COMPLETION}"\n' + COMPLETE_AT["bash"]

ZSH_DRIVER = 'setopt no_unset\nsource "${T_COMPLETION}"\n' + COMPLETE_AT["zsh"]

FISH_DRIVER = r"""source $T_COMPLETION
function complete_at
    for line in (complete -C "$argv")
        printf '%s\0' (string split -m1 -f1 \t -- $line)
    end
    printf '\1\0'
end
"""


def _quote(shell: str, word: str) -> str:
    assert "'" not in word
    return f"'{word}'"


def complete(shell: str, lines: list[list[str]], home: Path, tmp_path: Path) -> list[set[str]]:
    """Return the candidates offered for each command line (the last word is being completed)."""
    env = minimal_env(home)
    result = run_awsenv(["completion", shell], env)
    assert result.returncode == 0, result.stderr
    script = tmp_path / f"completion.{shell}"
    script.write_text(result.stdout, encoding="utf-8")
    env["T_COMPLETION"] = str(script)
    driver = {"bash": BASH_DRIVER, "zsh": ZSH_DRIVER, "fish": FISH_DRIVER}[shell]
    calls = []
    for words in lines:
        if shell == "fish":
            calls.append("complete_at " + _quote(shell, " ".join(words)))
        else:
            calls.append("complete_at " + " ".join(_quote(shell, w) for w in words))
    run = SHELLS[shell].run(driver + "\n".join(calls) + "\n", env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    assert run.stderr == b""
    assert not (tmp_path / "CANARY").exists(), "a profile name ran code"
    groups: list[set[str]] = [set()]
    for item in run.stdout.decode().split("\0")[:-1]:
        if item == END:
            groups.append(set())
        else:
            groups[-1].add(item)
    assert groups[-1] == set()
    assert len(groups) - 1 == len(lines)
    return groups[:-1]


SUBCOMMANDS = {c.name for c in clispec.COMMANDS if not c.hidden}
USE_OPTIONS = {f for o in clispec.BY_NAME["use"].options for f in o.flags}
LOGOUT_OPTIONS = {f for o in clispec.BY_NAME["logout"].options for f in o.flags}
EXEC_OPTIONS = {f for o in clispec.BY_NAME["exec"].options for f in o.flags}
WHOAMI_OPTIONS = {f for o in clispec.BY_NAME["whoami"].options for f in o.flags}
REFRESH_OPTIONS = {f for o in clispec.BY_NAME["refresh"].options for f in o.flags}
CONSOLE_OPTIONS = {f for o in clispec.BY_NAME["console"].options for f in o.flags}
EXPLAIN_OPTIONS = {f for o in clispec.BY_NAME["explain"].options for f in o.flags}
DOCTOR_OPTIONS = {f for o in clispec.BY_NAME["doctor"].options for f in o.flags}
# Offered after every subcommand as well as before it.
HELP = {"-h", "--help", "--debug"}
# Every word awsenv itself may offer: none belongs after `exec PROFILE --`.
AWSENV_WORDS = (
    SUBCOMMANDS
    | set(clispec.REGIONS)
    | set(clispec.SHELLS)
    | {"dev", "prod", "prod-admin", "corp", "dev-team", "sync", "--"}
    | {f for o in clispec.GLOBAL_OPTIONS for f in o.flags}
    | {f for c in clispec.COMMANDS for o in c.options for f in o.flags}
)


@pytest.fixture(params=["bash", "zsh", "fish"])
def shell(request: pytest.FixtureRequest) -> str:
    return request.param


def test_completion_offers_subcommands_and_filters_by_prefix(shell, home, tmp_path) -> None:
    got = complete(shell, [["awsenv", ""], ["awsenv", "re"], ["awsenv", "u"]], home, tmp_path)
    assert got[0] == SUBCOMMANDS
    assert got[1] == {"region", "refresh"}
    assert got[2] == {"use", "unset"}


def test_completion_offers_global_options(shell, home, tmp_path) -> None:
    got = complete(shell, [["awsenv", "--"]], home, tmp_path)
    assert {"--help", "--version", "--debug"} <= got[0]


def test_completion_offers_options_of_use(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(shell, [["awsenv", "use", "--"], ["awsenv", "use", "--f"]], home, tmp_path)
    assert USE_OPTIONS | {"--help", "--debug"} <= got[0]
    assert got[0] <= USE_OPTIONS | HELP
    assert got[1] == {"--force-login"}


def test_completion_offers_profile_names_for_use(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell, [["awsenv", "use", "pr"], ["awsenv", "use", "--keys", "d"]], home, tmp_path
    )
    assert got[0] == {"prod", "prod-admin"}
    assert got[1] == {"dev"}


def test_completion_offers_hostile_profile_names_as_data(shell, home, tmp_path) -> None:
    # The candidates are exactly what the core lists; none of them is run as code.
    write_config(home, HOSTILE_CONFIG)
    listed = run_awsenv(["__complete", "profiles"], minimal_env(home))
    assert listed.returncode == 0, listed.stderr
    names = set(listed.stdout.splitlines())
    assert {"dev", "$(touch CANARY)", "a b", "it's", "--", "*", "!!"} <= names
    got = complete(shell, [["awsenv", "use", ""]], home, tmp_path)
    assert got[0] == names


def test_completion_offers_regions_after_region_option(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell,
        [["awsenv", "use", "--region", ""], ["awsenv", "use", "--region", "eu-west-"]],
        home,
        tmp_path,
    )
    assert got[0] == set(clispec.REGIONS)
    assert got[1] == {"eu-west-1", "eu-west-2", "eu-west-3"}


def test_completion_offers_regions_for_region_command(shell, home, tmp_path) -> None:
    got = complete(
        shell, [["awsenv", "region", ""], ["awsenv", "region", "us-gov"]], home, tmp_path
    )
    assert got[0] == set(clispec.REGIONS)
    assert got[1] == {"us-gov-east-1", "us-gov-west-1"}


def test_completion_offers_shells_for_init_and_completion(shell, home, tmp_path) -> None:
    got = complete(
        shell,
        [
            ["awsenv", "init", ""],
            ["awsenv", "completion", ""],
            ["awsenv", "init", "--no"],
            ["awsenv", "init", "f"],
        ],
        home,
        tmp_path,
    )
    assert got[0] == set(clispec.SHELLS)
    assert got[1] == set(clispec.SHELLS)
    assert got[2] == {"--no-prompt", "--no-auto-refresh", "--no-completion"}
    assert got[3] == {"fish"}


def test_completion_offers_json_for_list_and_status(shell, home, tmp_path) -> None:
    got = complete(shell, [["awsenv", "list", "--j"], ["awsenv", "status", "--j"]], home, tmp_path)
    assert got == [{"--json"}, {"--json"}]


def test_completion_offers_profile_names_for_exec(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell,
        [
            ["awsenv", "exec", ""],
            ["awsenv", "exec", "pr"],
            ["awsenv", "exec", "--region", "eu-west-1", "d"],
        ],
        home,
        tmp_path,
    )
    assert got[0] == {"dev", "prod", "prod-admin"}
    assert got[1] == {"prod", "prod-admin"}
    assert got[2] == {"dev"}


def test_completion_offers_options_of_exec(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell,
        [
            ["awsenv", "exec", "--"],
            ["awsenv", "exec", "--n"],
            ["awsenv", "exec", "--region", "us-gov"],
            ["awsenv", "exec", "--mfa-code", ""],
        ],
        home,
        tmp_path,
    )
    assert EXEC_OPTIONS | {"--help", "--debug"} <= got[0]
    assert got[0] <= EXEC_OPTIONS | HELP
    assert got[1] == {"--no-browser"}
    assert got[2] == {"us-gov-east-1", "us-gov-west-1"}
    assert got[3] == set()


def test_completion_offers_double_dash_after_the_exec_profile(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell,
        [["awsenv", "exec", "prod", ""], ["awsenv", "exec", "--no-browser", "prod", "-"]],
        home,
        tmp_path,
    )
    assert "--" in got[0]
    assert not got[0] & {"dev", "prod", "prod-admin"}
    assert got[1] <= {"--"} | HELP
    assert "--" in got[1]


def test_completion_offers_only_the_shell_default_after_exec_double_dash(
    shell, home, tmp_path
) -> None:
    # The words after `--` are another command's: one that happens to be named like an awsenv
    # subcommand or option must not bring awsenv's candidates back.
    write_config(home, SSO_CONFIG)
    got = complete(
        shell,
        [
            ["awsenv", "exec", "prod", "--", ""],
            ["awsenv", "exec", "prod", "--", "use", ""],
            ["awsenv", "exec", "prod", "--", "init", ""],
            ["awsenv", "exec", "prod", "--", "region", "eu-"],
            ["awsenv", "exec", "prod", "--", "aws", "--"],
            ["awsenv", "exec", "--region", "eu-west-1", "prod", "--", "use", "--re"],
            ["awsenv", "exec", "prod", "--", "logout", "--sso-session", ""],
            ["awsenv", "exec", "prod", "--", "sso", "s"],
        ],
        home,
        tmp_path,
    )
    for line, candidates in enumerate(got):
        assert not candidates & AWSENV_WORDS, line


def test_fish_completes_files_after_exec_double_dash(home, tmp_path) -> None:
    # awsenv turns file completion off for itself; the command after `--` gets it back.
    write_config(home, CONFIG)
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    got = complete(
        "fish",
        [
            ["awsenv", "exec", "prod", "--", "no"],
            ["awsenv", "exec", "prod", "--", "use", "no"],
            ["awsenv", "exec", "prod", "--", "cat", "no"],
            ["awsenv", "exec", "prod", "no"],
            ["awsenv", "use", "no"],
        ],
        home,
        tmp_path,
    )
    assert got == [{"notes.txt"}, {"notes.txt"}, {"notes.txt"}, set(), set()]


def test_completion_offers_options_of_refresh(shell, home, tmp_path) -> None:
    got = complete(
        shell, [["awsenv", "refresh", "--"], ["awsenv", "refresh", "--d"]], home, tmp_path
    )
    assert REFRESH_OPTIONS | {"--help", "--debug"} <= got[0]
    assert got[0] <= REFRESH_OPTIONS | HELP
    assert got[1] == {"--device-code", "--debug"}


def test_completion_offers_profile_names_and_options_of_console(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell,
        [
            ["awsenv", "console", ""],
            ["awsenv", "console", "pr"],
            ["awsenv", "console", "--print", "d"],
            ["awsenv", "console", "--"],
            ["awsenv", "console", "--p"],
            ["awsenv", "console", "--region", "eu-west-"],
            ["awsenv", "console", "prod", "--region", ""],
            ["awsenv", "console", "--service", ""],
            ["awsenv", "console", "--mfa-code", ""],
        ],
        home,
        tmp_path,
    )
    assert got[0] == {"dev", "prod", "prod-admin"}
    assert got[1] == {"prod", "prod-admin"}
    assert got[2] == {"dev"}
    assert CONSOLE_OPTIONS | {"--help", "--debug"} <= got[3]
    assert got[3] <= CONSOLE_OPTIONS | HELP
    assert got[4] == {"--print"}
    assert got[5] == {"eu-west-1", "eu-west-2", "eu-west-3"}
    assert got[6] == set(clispec.REGIONS)
    assert got[7] == set()
    assert got[8] == set()


def test_completion_offers_profile_names_and_json_for_explain(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell,
        [["awsenv", "explain", ""], ["awsenv", "explain", "pr"], ["awsenv", "explain", "--"]],
        home,
        tmp_path,
    )
    assert got[0] == {"dev", "prod", "prod-admin"}
    assert got[1] == {"prod", "prod-admin"}
    assert EXPLAIN_OPTIONS | {"--help", "--debug"} <= got[2]
    assert got[2] <= EXPLAIN_OPTIONS | HELP


def test_completion_offers_options_of_doctor(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(shell, [["awsenv", "doctor", "--"], ["awsenv", "doctor", ""]], home, tmp_path)
    assert DOCTOR_OPTIONS | {"--help", "--debug"} <= got[0]
    assert got[0] <= DOCTOR_OPTIONS | HELP
    assert not got[1] & {"dev", "prod", "prod-admin"}


def test_completion_offers_debug_after_every_subcommand(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    names = sorted(SUBCOMMANDS)
    got = complete(shell, [["awsenv", name, "--deb"] for name in names], home, tmp_path)
    assert dict(zip(names, got)) == {name: {"--debug"} for name in names}


def test_completion_sees_the_subcommand_after_debug(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell,
        [["awsenv", "--debug", ""], ["awsenv", "--debug", "console", "pr"]],
        home,
        tmp_path,
    )
    assert got[0] == SUBCOMMANDS
    assert got[1] == {"prod", "prod-admin"}


def test_completion_offers_options_of_whoami(shell, home, tmp_path) -> None:
    got = complete(shell, [["awsenv", "whoami", "--"], ["awsenv", "status", "--i"]], home, tmp_path)
    assert WHOAMI_OPTIONS | {"--help", "--debug"} <= got[0]
    assert got[0] <= WHOAMI_OPTIONS | HELP
    assert got[1] == {"--identity"}


def test_completion_offers_nothing_for_free_text_option_values(shell, home, tmp_path) -> None:
    write_config(home, CONFIG)
    got = complete(
        shell,
        [["awsenv", "use", "--mfa-code", ""], ["awsenv", "use", "--role", ""]],
        home,
        tmp_path,
    )
    assert got == [set(), set()]


def test_completion_offers_profile_names_for_login_and_logout(shell, home, tmp_path) -> None:
    write_config(home, SSO_CONFIG)
    got = complete(
        shell,
        [["awsenv", "login", ""], ["awsenv", "login", "pr"], ["awsenv", "logout", "d"]],
        home,
        tmp_path,
    )
    assert got[0] == {"dev", "prod", "prod-admin"}
    assert got[1] == {"prod", "prod-admin"}
    assert got[2] == {"dev"}


def test_completion_offers_options_of_logout(shell, home, tmp_path) -> None:
    write_config(home, SSO_CONFIG)
    got = complete(shell, [["awsenv", "logout", "--"], ["awsenv", "login", "--f"]], home, tmp_path)
    assert LOGOUT_OPTIONS | {"--help", "--debug"} <= got[0]
    assert got[0] <= LOGOUT_OPTIONS | HELP
    assert got[1] == {"--force"}


def test_completion_offers_sso_session_names_after_sso_session_option(
    shell, home, tmp_path
) -> None:
    write_config(home, SSO_CONFIG)
    got = complete(
        shell,
        [
            ["awsenv", "login", "--sso-session", ""],
            ["awsenv", "login", "--sso-session", "d"],
            ["awsenv", "logout", "--sso-session", ""],
        ],
        home,
        tmp_path,
    )
    assert got[0] == {"corp", "dev-team"}
    assert got[1] == {"dev-team"}
    assert got[2] == {"corp", "dev-team"}


def test_completion_offers_only_the_flags_of_the_configure_kind(shell, home, tmp_path) -> None:
    # issue 17: `configure sso --<TAB>` offered okta's and role's flags, which it refuses
    from awsenv.commands import configure

    write_config(home, SSO_CONFIG)
    got = complete(
        shell,
        [
            ["awsenv", "configure", "sso", "--"],
            ["awsenv", "configure", "okta", "--"],
            ["awsenv", "configure", "role", "--"],
            ["awsenv", "configure", "sso-session", "--"],
            ["awsenv", "configure", "sso", "--org"],
            ["awsenv", "--debug", "configure", "--profile", "dev", "okta", "--st"],
            ["awsenv", "configure", "--profile", "sso", "role", "--s"],
        ],
        home,
        tmp_path,
    )
    sso, okta, role, session, sso_org, okta_st, role_s = got
    assert "--start-url" in sso
    assert "--org-domain" not in sso
    assert "--source-profile" not in sso
    assert "--org-domain" in okta
    assert "--start-url" not in okta
    assert "--source-profile" in role
    assert "--org-domain" not in role
    for kind, offered in [("sso", sso), ("okta", okta), ("role", role), ("sso-session", session)]:
        assert offered == set(configure.FLAGS[kind]) | {"--help", "--debug"}, kind
    assert sso_org == set()
    # the kind is found past --debug and an option's value (here a profile named like a kind)
    assert okta_st == set()
    assert role_s == {"--source-profile"}


def test_completion_offers_the_configure_kinds_then_no_more_words(shell, home, tmp_path) -> None:
    write_config(home, SSO_CONFIG)
    got = complete(
        shell,
        [
            ["awsenv", "configure", ""],
            ["awsenv", "configure", "ss"],
            ["awsenv", "configure", "sso", ""],
            ["awsenv", "configure", "--"],
        ],
        home,
        tmp_path,
    )
    assert got[0] == {"sso", "sso-session", "okta", "role"}
    assert got[1] == {"sso", "sso-session"}
    assert got[2] == set()
    # before the kind, its flags are not known yet
    assert got[3] == {"--help", "--debug"}


def test_completion_of_configure_values_is_the_same_for_every_kind(shell, home, tmp_path) -> None:
    write_config(home, SSO_CONFIG)
    got = complete(
        shell,
        [
            ["awsenv", "configure", "sso", "--sso-region", "eu-c"],
            ["awsenv", "configure", "okta", "--region", "us-gov-w"],
            ["awsenv", "configure", "sso", "--sso-session", ""],
            ["awsenv", "configure", "sso-session", "--sso-session", "d"],
            ["awsenv", "configure", "role", "--source-profile", "pr"],
            ["awsenv", "configure", "sso", "--output", "y"],
            ["awsenv", "configure", "role", "--role-arn", ""],
            ["awsenv", "configure", "okta", "--org-domain", ""],
        ],
        home,
        tmp_path,
    )
    assert got[0] == {"eu-central-1", "eu-central-2"}
    assert got[1] == {"us-gov-west-1"}
    assert got[2] == {"corp", "dev-team"}
    assert got[3] == {"dev-team"}
    assert got[4] == {"prod", "prod-admin"}
    assert got[5] == {"yaml", "yaml-stream"}
    assert got[6] == set()
    assert got[7] == set()
