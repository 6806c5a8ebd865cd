"""The per-shell records in shells.py, and the modules that read them instead of own tables."""

from __future__ import annotations

import pytest

from awsenv import clispec, detect, shells
from awsenv.commands import wrapper_dialect
from awsenv.diagnose import doctor as diagnose
from awsenv.errors import ShellError, UsageError
from tests.helpers import REPO


def test_one_record_per_dialect_in_order() -> None:
    assert shells.DIALECTS == ("bash", "zsh", "fish", "powershell")
    assert [s.name for s in shells.SHELLS.values()] == list(shells.DIALECTS)
    assert clispec.SHELLS == shells.DIALECTS
    assert clispec.SHELL_ALIASES == {"pwsh": "powershell", "ps": "powershell"}


def test_records_are_read_only() -> None:
    with pytest.raises(AttributeError):
        shells.BASH.rc_file = "~/.profile"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        shells.BASH.anything = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("dialect", shells.DIALECTS)
def test_each_record_names_files_that_ship(dialect: str) -> None:
    shell = shells.SHELLS[dialect]
    assert (REPO / "shell" / shell.script_file).is_file()
    assert (REPO / "completions" / shell.completion_file).is_file()


@pytest.mark.parametrize(
    ("dialect", "line", "rc"),
    [
        ("bash", 'eval "$(awsenv init bash)"', "~/.bashrc"),
        ("zsh", 'eval "$(awsenv init zsh)"', "~/.zshrc"),
        ("fish", "awsenv init fish | source", "~/.config/fish/config.fish"),
        ("powershell", "awsenv init powershell | Out-String | Invoke-Expression", "$PROFILE"),
    ],
)
def test_init_line_and_rc_file_match_the_readme(dialect: str, line: str, rc: str) -> None:
    shell = shells.get(dialect)
    assert (shell.init_line, shell.rc_file) == (line, rc)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"`{line.replace('|', chr(92) + '|')}` | `{rc}`" in readme


@pytest.mark.parametrize(
    ("dialect", "path", "expected"),
    [
        ("bash", "/tmp/a b/init.bash", "source $'/tmp/a b/init.bash'"),
        ("zsh", "/tmp/init.zsh", "source /tmp/init.zsh"),
        ("fish", "/tmp/a b/init.fish", "source '/tmp/a b/init.fish'"),
        ("powershell", "/tmp/a b/init.ps1", ". '/tmp/a b/init.ps1'"),
    ],
)
def test_source_line_quotes_the_path(dialect: str, path: str, expected: str) -> None:
    assert shells.get(dialect).source_line(path) == expected


def test_source_line_quotes_hostile_paths_like_quote() -> None:
    path = "/tmp/$(touch x)'\n/init"
    for dialect, shell in shells.SHELLS.items():
        assert shell.source_line(path).endswith(" " + shells.quote(dialect, path))


def test_get_accepts_aliases_and_rejects_unknown_shells() -> None:
    assert shells.get("pwsh") is shells.POWERSHELL
    assert shells.get("ZSH") is shells.ZSH
    with pytest.raises(UsageError):
        shells.get("tcsh")


@pytest.mark.parametrize(
    ("executable", "dialect"),
    [
        ("bash", "bash"),
        ("-zsh", "zsh"),
        ("/usr/bin/fish", "fish"),
        ("pwsh", "powershell"),
        ("PowerShell.exe", "powershell"),
        ("/bin/sh", None),
        ("python3", None),
    ],
)
def test_detect_recognises_the_process_names_the_records_list(
    executable: str, dialect: str | None
) -> None:
    assert detect._shell_name(executable) == dialect


@pytest.mark.parametrize("dialect", shells.DIALECTS)
def test_use_and_doctor_hints_name_the_detected_shells_rc_line(
    dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detect, "parent_shell", lambda environ: dialect)
    shell = shells.SHELLS[dialect]
    with pytest.raises(ShellError) as caught:
        wrapper_dialect({"SHELL": "/bin/bash"}, "use")
    assert f"{shell.init_line}  # in {shell.rc_file}" in str(caught.value.hint)
    assert diagnose._init_line({"SHELL": "/bin/bash"}) == f"{shell.init_line} in {shell.rc_file}"


def test_hints_fall_back_to_bash_when_no_shell_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "parent_shell", lambda environ: None)
    assert diagnose._init_line({}) == 'eval "$(awsenv init bash)" in ~/.bashrc'


def test_an_unknown_awsenv_shell_lists_the_dialects() -> None:
    with pytest.raises(ShellError) as caught:
        wrapper_dialect({"AWSENV_SHELL": "tcsh"}, "use")
    for dialect in shells.DIALECTS:
        assert dialect in caught.value.message
