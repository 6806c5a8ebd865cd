"""The hand-written shell files agree with awsenv/clispec.py: commands, options, regions.

The shell files are written by hand on purpose (no generator), so these tests are what keeps them
from drifting when a subcommand, option or region is added to the command table.
"""

from __future__ import annotations

import re

import pytest

from awsenv import clispec
from awsenv.commands import configure
from tests.helpers import REPO

pytestmark = pytest.mark.shells

INIT_FILES = {
    "bash": REPO / "shell" / "awsenv.bash",
    "zsh": REPO / "shell" / "awsenv.zsh",
    "fish": REPO / "shell" / "awsenv.fish",
    "powershell": REPO / "shell" / "awsenv.ps1",
}
COMPLETION_FILES = {
    "bash": REPO / "completions" / "awsenv.bash",
    "zsh": REPO / "completions" / "_awsenv",
    "fish": REPO / "completions" / "awsenv.fish",
    "powershell": REPO / "completions" / "awsenv.completion.ps1",
}

# Where each init script lists the subcommands whose stdout it evals.
ENV_COMMAND_LISTS = {
    # the command the wrapper looks at: the first word, or the one after a leading --debug
    "bash": (r'case "\$\{__awsenv_command\}" in\n\s*([^)\n]+)\)', r"\s*\|\s*"),
    "zsh": (r'case "\$\{__awsenv_command\}" in\n\s*([^)\n]+)\)', r"\s*\|\s*"),
    "fish": (r'switch "\$__awsenv_command"\n\s*case ([^\n]+)', r"\s+"),
    "powershell": (r"\$script:EnvCommands = @\(([^)]*)\)", r"\s*,\s*"),
}

# Where each completion file lists the subcommands it offers first.
COMMAND_LISTS = {
    "bash": r'__awsenv_complete_words "\$\{cur\}" (use [a-z -]+)\n',
    "zsh": r"compadd -- (use [a-z -]+)\n",
    "fish": r"set -l __awsenv_commands ([a-z -]+)\n",
    "powershell": r"\$commands = @\(([^)]*)\)",
}

# `configure KIND --<TAB>` offers the kind's own flags (configure.FLAGS) and these.
HELP = ("-h", "--help", "--debug")
CONFIGURE_OPTIONS = clispec.BY_NAME["configure"].options
# The configure flags that take a value: the word after one is never the kind.
CONFIGURE_VALUED = {f for o in CONFIGURE_OPTIONS if o.metavar for f in o.flags}
# ... and of those, the ones whose value completion offers nothing.
CONFIGURE_FREE_TEXT = {
    f for o in CONFIGURE_OPTIONS if o.metavar and not o.complete for f in o.flags
}
FLAG_WORD = re.compile(r"(?<![\w-])--?[a-z][\w-]*")

REGION_WORD = re.compile(r"(?<![\w-])[a-z]{2}(?:-gov)?-[a-z]+-\d+(?![\w-])")
VISIBLE = [c for c in clispec.COMMANDS if not c.hidden]


def _words(text: str, separator: str) -> list[str]:
    return [w.strip().strip("'\"") for w in re.split(separator, text.strip()) if w.strip()]


def _flag_pattern(dialect: str, flag: str) -> str:
    # fish spells options as `-l name` / `-s h`; the others write the flag itself.
    if dialect == "fish":
        if flag.startswith("--"):
            return rf"-l {re.escape(flag[2:])}(?![\w-])"
        return rf"-s {re.escape(flag[1:])}(?![\w-])"
    return rf"(?<![\w-]){re.escape(flag)}(?![\w-])"


@pytest.mark.parametrize("dialect", sorted(INIT_FILES))
def test_init_script_evals_exactly_the_env_commands(dialect: str) -> None:
    pattern, separator = ENV_COMMAND_LISTS[dialect]
    matches = re.findall(pattern, INIT_FILES[dialect].read_text(encoding="utf-8"))
    assert len(matches) == 1, f"expected one env-command list in {INIT_FILES[dialect].name}"
    assert tuple(_words(matches[0], separator)) == clispec.ENV_COMMANDS


@pytest.mark.parametrize("dialect", sorted(COMPLETION_FILES))
def test_completion_offers_exactly_the_visible_subcommands(dialect: str) -> None:
    text = COMPLETION_FILES[dialect].read_text(encoding="utf-8")
    matches = re.findall(COMMAND_LISTS[dialect], text)
    assert len(matches) == 1
    separator = r"\s*,\s*" if dialect == "powershell" else r"\s+"
    assert _words(matches[0], separator) == [c.name for c in VISIBLE]


@pytest.mark.parametrize("dialect", sorted(COMPLETION_FILES))
def test_completion_names_every_subcommand_and_option(dialect: str) -> None:
    text = COMPLETION_FILES[dialect].read_text(encoding="utf-8")
    missing = [
        c.name for c in VISIBLE if not re.search(rf"(?<![\w-]){re.escape(c.name)}(?![\w-])", text)
    ]
    flags = [f for o in clispec.GLOBAL_OPTIONS for f in o.flags]
    flags += [f for c in VISIBLE for o in c.options for f in o.flags]
    missing += [f for f in flags if not re.search(_flag_pattern(dialect, f), text)]
    assert missing == []


@pytest.mark.parametrize("dialect", sorted(COMPLETION_FILES))
def test_completion_lists_exactly_the_known_regions(dialect: str) -> None:
    text = COMPLETION_FILES[dialect].read_text(encoding="utf-8")
    assert sorted(set(REGION_WORD.findall(text))) == sorted(clispec.REGIONS)


@pytest.mark.parametrize("dialect", sorted(COMPLETION_FILES))
def test_completion_offers_every_shell(dialect: str) -> None:
    text = COMPLETION_FILES[dialect].read_text(encoding="utf-8")
    for shell in clispec.SHELLS:
        assert re.search(rf"(?<![\w-]){shell}(?![\w-])", text), shell


@pytest.mark.parametrize("path", [*INIT_FILES.values(), *COMPLETION_FILES.values()])
def test_scripts_call_the_core_only_through_the_interpreter_token(path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "__AWSENV_CORE__" in text
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"(?<![\w/_])python3?(?![\w_])", code), "no python found through PATH"


def test_the_readme_completion_example_names_every_subcommand() -> None:
    # it listed 7 of the 19 (issue 15, finding 9)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ awsenv <TAB>\n", 1)[1].split("\n$ ", 1)[0]
    assert sorted(block.split()) == sorted(c.name for c in VISIBLE)


def test_the_readme_says_init_write_prints_an_absolute_path() -> None:
    # `init bash --write` prints `source /home/...`, not `~/.local/...` (issue 15, finding 9)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    [line] = [x for x in readme.splitlines() if x.startswith("awsenv init bash --write")]
    assert "source /" in line
    assert "~" not in line.split("source", 1)[1]


def test_the_readme_installs_with_pipx_first_and_says_why_not_pip_user() -> None:
    # `python3 -m pip install --user .` is refused on current Debian and Ubuntu (PEP 668)
    # (issue 15, finding 8)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    install = readme.split("## Install\n", 1)[1].split("\n## ", 1)[0]
    first_command = install.split("```sh\n", 1)[1].splitlines()[0]
    assert first_command.startswith("pipx install .")
    assert "apt install pipx" in install
    assert "pipx ensurepath" in install
    assert "PEP 668" in install


def test_the_readme_starts_after_try_it_with_getting_started_from_install_to_use() -> None:
    # issue 17: a new user with only a start URL begins with awsenv alone
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after_try = readme.split("## Try it\n", 1)[1].split("\n## ", 1)[1]
    assert after_try.startswith("Getting started\n")
    section = after_try.split("\n## ", 1)[0]
    commands = section.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[:2] for line in commands] == [
        ["pipx", "install"],
        ["echo", "'eval"],
        ["awsenv", "configure"],
        ["awsenv", "use"],
    ]
    assert "awsenv init bash" in commands[1]
    assert commands[2].split("#")[0].split() == ["awsenv", "configure", "sso"]
    assert "## Install\n" in readme.split("## Getting started\n", 1)[1]


def test_configure_help_names_every_kind_and_flag() -> None:
    command = clispec.BY_NAME["configure"]
    assert "sso, sso-session, okta or role" in command.positionals[0].help
    flags = {f for o in command.options for f in o.flags}
    for flag in [
        "--sso-session",
        "--start-url",
        "--sso-region",
        "--scopes",
        "--account",
        "--role",
        "--region",
        "--output",
        "--profile",
        "--yes",
        "--device-code",
        "--no-browser",
        "--org-domain",
        "--org-url",
        "--oidc-client-id",
        "--aws-acct-fed-app-id",
        "--aws-iam-idp",
        "--aws-iam-role",
        "--all-roles",
    ]:
        assert flag in flags


def _code(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _configure_flags_by_kind(dialect: str) -> dict[str, list[str]]:
    """What each completion file offers after `configure KIND --`, keyed by KIND (`*`: any other).

    fish has no `-h`/`--help`/`--debug` of configure's own: its global lines offer them everywhere.
    """
    text = _code(COMPLETION_FILES[dialect].read_text(encoding="utf-8"))
    by_kind: dict[str, list[str]] = {}
    if dialect == "fish":
        lines = re.findall(
            r"^complete -c awsenv -n '__awsenv_configure_kind_is ([^']*)' (.*)$", text, re.M
        )
        assert lines, "no __awsenv_configure_kind_is lines"
        for kinds, rest in lines:
            flags = [f"--{f}" for f in re.findall(r"-l (\S+)", rest)]
            flags += [f"-{f}" for f in re.findall(r"-s (\S+)", rest)]
            for kind in kinds.split():
                by_kind.setdefault(kind, []).extend(flags)
        return by_kind
    if dialect == "powershell":
        [(cases, default)] = re.findall(
            r"switch -CaseSensitive \(\$kind\) \{\n(.*?)\n\s*default \{([^}]*)\}", text, re.S
        )
        block = cases + "\n'*' {\n" + default
        label = re.compile(r"^\s*'([a-z*-]+)' \{\s*$", re.M)
        word = re.compile(r"'(-[^']*)'")
    else:
        [block] = re.findall(r'case "\$\{kind\}" in\n(.*?)\n\s*esac', text, re.S)
        label = re.compile(r"^\s*([a-z-]+|\*)\)\s*$", re.M)
        word = FLAG_WORD
    parts = label.split(block)
    assert parts[0].strip() == ""
    for kind, body in zip(parts[1::2], parts[2::2]):
        assert kind not in by_kind, f"{kind} twice"
        by_kind[kind] = word.findall(body)
    return by_kind


@pytest.mark.parametrize("dialect", sorted(COMPLETION_FILES))
def test_configure_completion_offers_each_kind_exactly_its_own_flags(dialect: str) -> None:
    # issue 17: `configure sso --<TAB>` offered okta's and role's flags, which it now refuses
    by_kind = _configure_flags_by_kind(dialect)
    extra = () if dialect == "fish" else HELP
    for kind, flags in configure.FLAGS.items():
        offered = by_kind.pop(kind, [])
        assert len(offered) == len(set(offered)), f"{kind}: a flag twice"
        assert sorted(offered) == sorted({*flags, *extra}), kind
    if dialect == "fish":
        # the kinds themselves, offered while there is none yet
        assert by_kind == {"-": []}
        text = COMPLETION_FILES[dialect].read_text(encoding="utf-8")
        [kinds] = re.findall(r"-n '__awsenv_configure_kind_is -' -a '([^']*)'", text)
        assert tuple(kinds.split()) == configure.KINDS
    else:
        # no kind yet, or one configure does not know: only help
        assert {k: sorted(v) for k, v in by_kind.items()} == {"*": sorted(HELP)}


@pytest.mark.parametrize("dialect", sorted(COMPLETION_FILES))
def test_configure_completion_skips_exactly_the_option_values_to_find_the_kind(
    dialect: str,
) -> None:
    # `configure --profile dev sso --<TAB>`: dev is --profile's value, sso the kind
    text = _code(COMPLETION_FILES[dialect].read_text(encoding="utf-8"))
    if dialect == "powershell":
        [valued] = re.findall(r"\$valued = @\(([^)]*)\)", text)
    elif dialect == "fish":
        function = text.split("function __awsenv_configure_kind_is ", 1)[1].split("\nend\n", 1)[0]
        [valued] = re.findall(r"case (--[^\n]*(?:\\\n[^\n]*)*)\n\s*set state value", function)
        takes_value = {
            f"--{flag}"
            for kinds, flag, x in re.findall(
                r"-n '__awsenv_configure_kind_is ([^']*)' -l (\S+)( -x)?", text
            )
            if x
        }
        assert takes_value == CONFIGURE_VALUED
    else:
        section = text.split("        configure)\n", 1)[1].split("\n        keys)\n", 1)[0]
        [valued] = re.findall(r"(--[^)]*)\)\n\s*\(\(i \+= 1\)\)", section)
        # right after one of these, nothing is offered (no flags: a value comes next)
        [free] = re.findall(r"(--start-url [^)]*)\) ;;", section)
        assert sorted(FLAG_WORD.findall(free)) == sorted(CONFIGURE_FREE_TEXT)
    assert sorted(FLAG_WORD.findall(valued)) == sorted(CONFIGURE_VALUED)
