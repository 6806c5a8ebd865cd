"""The built wheel carries the shell and completion scripts, `init` finds them there, and
nothing in it imports what only the `test` extra installs."""

from __future__ import annotations

import ast
import email.parser
import importlib.metadata
import re
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import REPO

SCRIPTS = (
    "awsenv/shell/awsenv.bash",
    "awsenv/shell/awsenv.zsh",
    "awsenv/shell/awsenv.fish",
    "awsenv/shell/awsenv.ps1",
    "awsenv/completions/awsenv.bash",
    "awsenv/completions/_awsenv",
    "awsenv/completions/awsenv.fish",
    "awsenv/completions/awsenv.completion.ps1",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("awsenv-*.whl")
    return path


_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(lines):
    """(distribution, its extras asked for, the extra the line belongs to) per Requires-Dist."""
    for line in lines:
        requirement, _, marker = line.partition(";")
        match = _REQUIREMENT.match(requirement)
        extra = _EXTRA.search(marker)
        extras = {_normalize(e) for e in (match.group(2) or "").split(",") if e.strip()}
        yield _normalize(match.group(1)), extras, _normalize(extra.group(1)) if extra else None


def _closure(roots):
    """Every distribution ``roots`` (name -> extras) pull in, as far as installed metadata says."""
    seen, todo = set(), [(name, extras) for name, extras in roots]
    while todo:
        name, extras = todo.pop()
        if (name, frozenset(extras)) in seen:
            continue
        seen.add((name, frozenset(extras)))
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for dist, wanted, extra in _requirements(requires):
            if extra is None or extra in extras:
                todo.append((dist, wanted))
    return {name for name, _ in seen}


def _top_level_modules(dist_name):
    """The import names an installed distribution provides (none when it is not installed)."""
    names = set()
    try:
        files = importlib.metadata.distribution(dist_name).files or []
    except importlib.metadata.PackageNotFoundError:
        return names
    for file in files:
        first = file.parts[0]
        if first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".data")):
            continue
        if len(file.parts) > 1:
            names.add(first)
        elif first.endswith((".py", ".so", ".pyd")):
            names.add(first.split(".")[0])
    return names


def _imported_modules(source, filename):
    """Every absolute module ``source`` imports: in functions, under TYPE_CHECKING, by name."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def test_wheel_imports_nothing_only_the_test_extra_installs(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = (
            email.parser.Parser()
            .parsestr(archive.read(metadata).decode())
            .get_all("Requires-Dist", [])
        )
        sources = {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith(".py")
        }
    parsed = list(_requirements(requires))
    test_extra = [(dist, extras) for dist, extras, extra in parsed if extra == "test"]
    runtime = [(dist, extras) for dist, extras, extra in parsed if extra is None]
    assert any(dist == "moto" for dist, _ in test_extra), "the test extra was not read"
    test_only = _closure(test_extra) - _closure(runtime)
    forbidden = set().union(*(_top_level_modules(dist) for dist in test_only))
    # What this Python does not install (tree-sitter below 3.10) is known by its own name; what
    # a dependency needs only on other Pythons (a `typing` backport) is not installed, so skipped.
    forbidden |= {dist.replace("-", "_") for dist, _ in test_extra if dist not in _closure(runtime)}
    forbidden -= set(getattr(sys, "stdlib_module_names", ()))
    assert {"moto", "pytest", "hypothesis", "tree_sitter", "build"} <= forbidden
    assert len(sources) > 20, sorted(sources)
    offenders = [
        f"{name}:{line} imports {module}"
        for name, source in sorted(sources.items())
        for line, module in _imported_modules(source, name)
        if module.split(".")[0] in forbidden
    ]
    assert not offenders


def test_wheel_contains_every_shell_and_completion_script(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [s for s in SCRIPTS if s not in names]
    assert not missing


def test_init_from_the_installed_wheel_loads_the_packaged_scripts(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import awsenv, awsenv.shells as s;"
        "assert awsenv.__file__.startswith(sys.argv[1]), awsenv.__file__;"
        "from awsenv.cli import main; sys.exit(main(['init', sys.argv[2]]))"
    )
    for shell in ("bash", "zsh", "fish", "powershell"):
        result = subprocess.run(
            [sys.executable, "-c", probe, str(target), shell],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "__AWSENV_CORE__" not in result.stdout
        assert "awsenv" in result.stdout
