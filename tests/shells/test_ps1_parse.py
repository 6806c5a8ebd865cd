"""tree-sitter-powershell parses rendered plans and the shipped .ps1 files with no ERROR nodes."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from awsenv import shells
from tests.helpers import HOSTILE, IN_CI, PYTHON, REPO
from tests.unit.test_shells_quote import CHARS, ModelError, ps_verbatim

if sys.version_info < (3, 10):
    # The tree-sitter-powershell wheel is cp310-abi3; CI must run this file on a newer Python.
    if IN_CI:
        pytest.fail("tree-sitter-powershell needs Python >= 3.10", pytrace=False)
    pytest.skip("tree-sitter-powershell needs Python >= 3.10", allow_module_level=True)

try:
    import tree_sitter
    import tree_sitter_powershell
except ImportError as error:  # pragma: no cover - depends on the environment
    if IN_CI:
        raise
    pytest.skip(f"{error.name} is not installed", allow_module_level=True)

SMART_QUOTES = ("\u2018", "\u2019", "\u201a", "\u201b")
SHELL_FILE = REPO / "shell" / "awsenv.ps1"
COMPLETION_FILE = REPO / "completions" / "awsenv.completion.ps1"
COMMAND = [PYTHON, "-I"]

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def parse(text: str) -> tree_sitter.Node:
    """Parse ``text``; fail with the offending lines if any node is an ERROR or MISSING."""
    root = PARSER.parse(text.encode("utf-8")).root_node
    problems: list[str] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            kind = "ERROR" if node.is_error else f"MISSING {node.type}"
            line = text.splitlines()[node.start_point[0]] if text else ""
            problems.append(f"{kind} at {node.start_point}: {line!r}")
        stack.extend(node.children)
    assert not problems, "\n".join(problems)
    assert not root.has_error
    return root


def evaluate(node: tree_sitter.Node) -> str:
    """The value of a rendered right-hand side, from tree-sitter's structure (not our text split).

    String tokens are decoded with the tokenizer model, so the parser's token boundaries and
    PowerShell's quote rules must both agree with what render() meant.
    """
    text = (node.text or b"").decode("ascii")
    named = [child for child in node.children if child.is_named]
    if node.type == "string_literal":
        value, end = ps_verbatim(text, 0)
        assert end == len(text), text
        return value
    if node.type == "cast_expression":
        assert text.startswith("[char]0x"), text
        code = int(text[len("[char]0x") :], 16)
        assert code <= 0xFFFF
        return chr(code)
    if node.type == "invokation_expression":
        prefix = "[char]::ConvertFromUtf32(0x"
        assert text.startswith(prefix), text
        assert text.endswith(")"), text
        return chr(int(text[len(prefix) : -1], 16))
    if node.type == "additive_expression" and len(named) == 2:
        operator = [child.type for child in node.children if not child.is_named]
        assert operator == ["+"], text
        left = evaluate(named[0])
        assert named[0].type != "cast_expression", "[char] + ... adds numbers"
        return left + evaluate(named[1])
    if node.type == "parenthesized_expression":
        assert len(named) == 1, text
        return evaluate(named[0])
    if len(named) == 1:
        return evaluate(named[0])
    raise ModelError(f"unexpected {node.type}: {text!r}")


def statements(root: tree_sitter.Node) -> list[tree_sitter.Node]:
    assert root.type == "program"
    (body,) = [child for child in root.children if child.is_named]
    assert body.type == "statement_list"
    return [child for child in body.children if child.is_named]


def check_plan(plan: list[tuple[str, str | None]]) -> None:
    code = shells.render(plan, "powershell")
    found = statements(parse(code))
    assert len(found) == len(plan)
    for (name, value), statement in zip(plan, found):
        if value is None:
            command = statement.named_children[0].named_children[0]
            assert command.type == "command"
            assert (command.named_children[0].text or b"") == b"Remove-Item"
            assert f"Env:{name}".encode() in (command.text or b"")
            continue
        (assignment,) = statement.named_children
        assert assignment.type == "assignment_expression"
        left, operator, right = assignment.named_children
        assert (left.text or b"") == f"$env:{name}".encode()
        assert (operator.text or b"") == b"="
        assert evaluate(right) == value


VALUES = st.text(alphabet=CHARS, max_size=30)


@given(st.lists(st.one_of(st.none(), VALUES), min_size=1, max_size=20))
@example(list(HOSTILE))
@example([*SMART_QUOTES, "".join(SMART_QUOTES), "'\u2019'", None, "", "-n", "--"])
@example(["\U0010fffd", "\uf600", "\ufffe", "\x85", "\u2028", "\x1b[0m", "a\r\nb", "$env:PATH"])
@settings(
    max_examples=100,
    deadline=None,
    derandomize=IN_CI,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_rendered_plans_parse_and_evaluate_to_the_values(values: list[str | None]) -> None:
    check_plan([(f"AWSENV_T{i}", v) for i, v in enumerate(values)])


def test_a_rendered_plan_parses_inside_a_function_body() -> None:
    # The wrapper runs the code with Invoke-Expression from inside its function.
    code = shells.render([(f"AWSENV_T{i}", v) for i, v in enumerate(HOSTILE)], "powershell")
    parse("function awsenv {\n" + code + "}\n")


def test_parse_reports_broken_code() -> None:
    # Guard the checker itself: an unterminated string and a dangling + must be caught.
    for broken in ("$env:A = 'x\n", "$env:A = ('x' + )\n"):
        with pytest.raises(AssertionError):
            parse(broken)


@pytest.mark.skipif(not SHELL_FILE.is_file(), reason="shell/awsenv.ps1 is not written yet")
def test_shipped_shell_script_parses_as_committed_and_as_init_prints_it() -> None:
    parse(SHELL_FILE.read_text(encoding="utf-8"))
    for prompt, command in ((True, COMMAND), (False, ["C:/Pro gram/\u00e9'\u2019/python.exe"])):
        text = shells.init_script(
            "powershell",
            command=command,
            clock="",
            prompt=prompt,
            completion=COMPLETION_FILE.is_file(),
        )
        parse(text)
        rendered = shells.render([(f"AWSENV_T{i}", v) for i, v in enumerate(HOSTILE)], "pwsh")
        parse(text + "\n" + rendered)


@pytest.mark.skipif(
    not COMPLETION_FILE.is_file(), reason="completions/awsenv.completion.ps1 is not written yet"
)
def test_shipped_completion_script_parses_as_committed_and_as_printed() -> None:
    parse(COMPLETION_FILE.read_text(encoding="utf-8"))
    parse(shells.completion_script("powershell", command=COMMAND))
    parse(shells.completion_script("powershell", command=["/opt/py thon/é'bin/python"]))


def _functions(root: tree_sitter.Node) -> dict[str, str]:
    """Each function_statement's name and text, from the parse tree."""
    found: dict[str, str] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "function_statement":
            text = (node.text or b"").decode("utf-8")
            found[text.split()[1].split("{")[0]] = text
        stack.extend(node.children)
    return found


@pytest.mark.parametrize("auto", [True, False])
def test_the_prompt_renews_before_it_draws_and_keeps_the_status(auto: bool) -> None:
    # pwsh is not installed here: the hook's logic is checked on its parse tree
    text = shells.init_script(
        "powershell", command=COMMAND, clock="", prompt=True, completion=False, auto_refresh=auto
    )
    functions = _functions(parse(text))
    prompt = functions["global:prompt"]
    # the user's $? and $LASTEXITCODE are read first and put back after the renewal
    order = [
        prompt.index("$lastSuccess = $global:?"),
        prompt.index("$lastExitCode = $global:LASTEXITCODE"),
        prompt.index("Invoke-AwsenvAutoRefresh"),
        prompt.index("$segment = Get-AwsenvSegment"),
        prompt.index("$global:LASTEXITCODE = $lastExitCode"),
    ]
    assert order == sorted(order)
    due = functions["Test-AwsenvRenewalDue"]
    # on unless turned off, for exported keys only, 5 minutes before their end
    assert ("'1' -ne '1'" if auto else "'0' -ne '1'") in due
    assert "$env:AWSENV_AUTO_REFRESH -ceq '0'" in due
    assert "IsNullOrEmpty($env:AWS_ACCESS_KEY_ID)" in due
    assert "-gt 300" in due
    assert "$Now -lt $script:AutoNext" in due
    run = functions["Invoke-AwsenvAutoRefresh"]
    # the hold-off is set before the core starts: a failure is tried once a minute at most
    assert run.index("$script:AutoNext = $now + 60") < run.index("refresh --auto 2>$null")
    assert "$LASTEXITCODE -eq 0" in run  # only a success is evaluated
    assert "catch" in run  # nothing the core does breaks the prompt


def _guard_of(root: tree_sitter.Node, name: str) -> str:
    """The condition of the `if` whose body defines function ``name``."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "if_statement":
            bodies = [child for child in node.named_children if child.type == "statement_block"]
            if any(name in _functions(body) for body in bodies):
                condition = node.child_by_field_name("condition") or node.named_children[0]
                return (condition.text or b"").decode("utf-8")
        stack.extend(node.children)
    raise AssertionError(f"no if defines {name}")


def test_no_prompt_still_renews_through_a_prompt_that_returns_the_users_own() -> None:
    # PowerShell has no pre-prompt hook but `prompt`: with --no-prompt it is wrapped for the
    # renewal alone, and hands back exactly what the user's prompt returned.
    text = shells.init_script(
        "powershell", command=COMMAND, clock="", prompt=False, completion=False
    )
    root = parse(text)
    functions = _functions(root)
    assert _guard_of(root, "global:prompt") == "'0' -eq '1' -or '1' -eq '1'"
    prompt = functions["global:prompt"]
    # the same renewal as with the segment, between saving and restoring $? and $LASTEXITCODE
    order = [
        prompt.index("$lastSuccess = $global:?"),
        prompt.index("$lastExitCode = $global:LASTEXITCODE"),
        prompt.index("Invoke-AwsenvAutoRefresh"),
        prompt.index("$global:LASTEXITCODE = $lastExitCode"),
        prompt.index("Write-Error -Message '' -ErrorAction Ignore"),
        prompt.index("& $global:__awsenv_user_prompt"),
        prompt.index("if ('0' -ne '1') {"),
        prompt.index("return $userPrompt"),
        prompt.index('$segment + (@($userPrompt) -join "`n")'),
    ]
    assert order == sorted(order)
    # no segment to add, and renewal on
    assert "if ('0' -ne '1' -or [string]::IsNullOrEmpty($name))" in functions["Get-AwsenvSegment"]
    assert "if ('1' -ne '1' -or $env:AWSENV_AUTO_REFRESH" in functions["Test-AwsenvRenewalDue"]


def test_no_prompt_and_no_auto_refresh_define_no_prompt_at_all() -> None:
    text = shells.init_script(
        "powershell",
        command=COMMAND,
        clock="",
        prompt=False,
        completion=False,
        auto_refresh=False,
    )
    root = parse(text)
    assert _guard_of(root, "global:prompt") == "'0' -eq '1' -or '0' -eq '1'"
    assert "if ('0' -ne '1' -or $env:AWSENV_AUTO_REFRESH" in text
