"""`awsenv exec PROFILE` with no command: which shell starts, its environment, what status says.

The real shells on a terminal are in tests/shells/test_exec_shell.py; this is what they cannot
reach (no shell among the ancestors) and the data itself.
"""

from __future__ import annotations

import json

from awsenv import exports
from awsenv.commands import exec_
from tests.helpers import minimal_env, run_awsenv, write_config


def test_the_exec_shell_is_sh_when_neither_shell_nor_a_parent_shell_can_run(
    monkeypatch, tmp_path, capsys
):
    from awsenv import detect

    monkeypatch.setattr(detect, "parent_shell_executable", lambda: None)
    assert exec_.user_shell({"PATH": "/usr/bin:/bin"}) == "/bin/sh"
    assert capsys.readouterr().err == ""
    missing = str(tmp_path / "gone")
    assert exec_.user_shell({"PATH": "/usr/bin:/bin", "SHELL": missing}) == "/bin/sh"
    assert capsys.readouterr().err == (
        f"awsenv: $SHELL ({missing}) is not a program that can run; starting /bin/sh\n"
    )


def test_the_exec_shell_is_shell_when_it_can_run(monkeypatch, tmp_path):
    from awsenv import detect

    monkeypatch.setattr(detect, "parent_shell_executable", lambda: "/bin/false")
    program = tmp_path / "myshell"
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    assert exec_.user_shell({"PATH": "/bin", "SHELL": str(program)}) == str(program)
    # a file that cannot run is not a shell: the parent's is used
    program.chmod(0o644)
    assert exec_.user_shell({"PATH": "/bin", "SHELL": str(program)}) == "/bin/false"


def test_the_exec_shell_environment_is_marked_and_keeps_the_baseline():
    environ = {
        "PATH": "/bin",
        "AWS_PROFILE": "users-own",
        "AWSENV_SHELL": "bash",
        "AWSENV_EXEC": "outer",
    }
    env = exec_.child_environment(
        environ, "dev", exports.Keys("AKIA1", "s"), "eu-west-1", ["/bin/sh"], subshell=True
    )
    assert env["AWSENV_EXEC"] == "dev"
    assert env["AWSENV_PROFILE"] == "dev"
    assert env["AWS_ACCESS_KEY_ID"] == "AKIA1"
    assert env["AWS_REGION"] == "eu-west-1"
    assert "AWS_PROFILE" not in env
    assert "AWSENV_SHELL" not in env
    # `awsenv unset` inside gives back what the shell that ran exec had before awsenv
    assert exports.decode_saved(env["AWSENV_SAVED"])["AWS_PROFILE"] == "users-own"
    # a command (not a shell) gets no mark of its own
    command_env = exec_.child_environment(
        {"PATH": "/bin"}, "dev", exports.Keys("AKIA1", "s"), None, ["true"]
    )
    assert "AWSENV_EXEC" not in command_env


def test_status_says_the_shell_is_an_exec_subshell(home):
    write_config(home, "[profile dev]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n")
    env = minimal_env(home, AWSENV_PROFILE="dev", AWS_ACCESS_KEY_ID="AKIA1", AWSENV_EXEC="dev")
    text = run_awsenv(["status"], env)
    assert text.returncode == 0, text.stderr
    assert "exec     subshell of dev (awsenv exec; exit to leave it)\n" in text.stdout
    data = run_awsenv(["status", "--json"], env)
    assert json.loads(data.stdout)["exec"] == "dev"
    # after `awsenv unset` inside, the shell is still the subshell
    bare = minimal_env(home, AWSENV_EXEC="dev")
    assert run_awsenv(["status"], bare).stdout == (
        "no profile is active in this shell (awsenv use PROFILE)\n"
        "exec     subshell of dev (awsenv exec; exit to leave it)\n"
    )
    assert json.loads(run_awsenv(["status", "--json"], minimal_env(home)).stdout)["exec"] is None
