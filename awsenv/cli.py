"""Command line: parse, dispatch to the commands, map errors to exit codes, write stdout once.

Hot commands (``use``, ``unset``, ``region``, ``__complete``) are parsed by a small parser that
follows ``clispec`` exactly and gives up on anything unusual (``--help``, abbreviations, errors),
in which case argparse, built from the same table, takes over. argparse alone costs about half
of a Python start, which the shell feels on every ``awsenv use``.
"""

from __future__ import annotations

import os
import sys

from awsenv import clispec
from awsenv.clispec import Args
from awsenv.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping, Sequence

# init runs at every shell start, so it is as hot as use.
_FAST = frozenset(
    {"use", "unset", "region", "refresh", "__complete", "status", "init", "completion"}
)


def _defaults(command: clispec.Command) -> dict[str, object]:
    values: dict[str, object] = {}
    for option in command.options:
        values[option.dest] = None if option.metavar else False
    for positional in command.positionals:
        values[positional.name] = None
    return values


def fast_parse(argv: Sequence[str]) -> Args | None:
    """Parse the common forms of the hot commands; None means "let argparse decide"."""
    if not argv or argv[0] not in _FAST:
        return None
    command = clispec.BY_NAME[argv[0]]
    values = _defaults(command)
    by_flag = {flag: option for option in command.options for flag in option.flags}
    positionals: list[str] = []
    rest = list(argv[1:])
    only_positionals = False
    while rest:
        token = rest.pop(0)
        if only_positionals or not token.startswith("-") or token == "-":
            positionals.append(token)
            continue
        if token == "--":
            only_positionals = True
            continue
        flag, has_value, inline = token.partition("=")
        option = by_flag.get(flag)
        if option is None:
            return None  # --help, an abbreviation, a typo: argparse explains
        if option.metavar is None:
            if has_value:
                return None
            values[option.dest] = True
        elif has_value:
            values[option.dest] = inline
        elif rest:
            values[option.dest] = rest.pop(0)
        else:
            return None
    required = [p for p in command.positionals if p.required(values)]
    if not len(required) <= len(positionals) <= len(command.positionals):
        return None
    for positional, value in zip(command.positionals, positionals):
        values[positional.name] = value
    return Args(command.name, values)


def build_parser(*, to_stderr: bool = False) -> argparse.ArgumentParser:
    """Build the full argparse tree from ``clispec`` (help, usage errors, abbreviations)."""
    import argparse

    from awsenv import __version__

    class Parser(argparse.ArgumentParser):
        def _print_message(self, message: str, file: object = None) -> None:
            # Under the shell wrapper, stdout of use/unset/region is eval'd: help goes to stderr.
            super()._print_message(message, sys.stderr if to_stderr else file)  # type: ignore[arg-type]

    parser = Parser(
        prog="awsenv",
        description="Switch this shell between AWS profiles: SSO, roles, MFA, SAML and Okta.",
        epilog="Set up a shell once with: eval \"$(awsenv init bash)\" (see 'awsenv init --help').",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"awsenv {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,  # main() takes it out of argv before parsing
        help="log each step on stderr, secrets redacted (or set AWSENV_DEBUG=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in clispec.COMMANDS:
        kwargs: dict[str, object] = {"description": command.description, "allow_abbrev": False}
        if not command.hidden:
            kwargs["help"] = command.help
        cmd = sub.add_parser(command.name, **kwargs)  # type: ignore[arg-type]
        for positional in command.positionals:
            nargs: str | None = "?" if positional.optional or positional.unless else None
            if positional.remainder:
                nargs = argparse.REMAINDER
            cmd.add_argument(positional.name, help=positional.help, nargs=nargs)
        for option in command.options:
            if option.metavar is None:
                cmd.add_argument(*option.flags, action="store_true", help=option.help)
            else:
                cmd.add_argument(*option.flags, metavar=option.metavar, help=option.help)
    return parser


def parse(argv: Sequence[str], environ: Mapping[str, str]) -> Args:
    """Parse ``argv``: the fast parser when it can, argparse otherwise.

    ``previous`` is set when a bare ``-`` stands before any ``--`` (``use -``, as ``cd -``);
    ``use -- -`` names a profile called ``-``.
    """
    args = _parse(argv, environ)
    end = list(argv).index("--") if "--" in argv else len(argv)
    args.set("previous", "-" in argv[1:end])
    return args


def _parse(argv: Sequence[str], environ: Mapping[str, str]) -> Args:
    fast = fast_parse(argv)
    if fast is not None:
        return fast
    wrapped = bool(environ.get("AWSENV_SHELL")) and bool(argv) and argv[0] in clispec.ENV_COMMANDS
    parser = build_parser(to_stderr=wrapped)
    namespace = parser.parse_args(list(argv))
    if namespace.command is None:
        parser.print_help(sys.stderr)
        raise SystemExit(EXIT_USAGE)
    values = dict(vars(namespace))
    command = values.pop("command")
    for positional in clispec.BY_NAME[str(command)].positionals:
        if positional.required(values) and values.get(positional.name) is None:
            if positional.picked and _picker_terminal():
                continue  # the command asks for it on the terminal
            # argparse's own words, for a positional that an option can stand in for
            flag = "--" + str(positional.unless).replace("_", "-")
            sub = _subparser(parser, str(command))
            sub.error(f"the following arguments are required: {positional.name} (or {flag})")
    return Args(str(command), values)


def _picker_terminal() -> bool:
    from awsenv import picker

    return picker.have_terminal()


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """Return the parser of subcommand ``name`` (for its usage line in an error)."""
    import argparse

    for action in parser._actions:  # argparse keeps its subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(name)
            if isinstance(found, argparse.ArgumentParser):
                return found
    return parser


def dispatch(args: Args, environ: Mapping[str, str]) -> str:
    """Run one command; return what it writes to stdout."""
    name = args.command
    if name == "use":
        from awsenv.commands import use

        return use.run(args, environ)
    if name == "unset":
        from awsenv.commands import unset

        return unset.run(args, environ)
    if name == "region":
        from awsenv.commands import region

        return region.run(args, environ)
    if name == "__complete":
        from awsenv.commands import complete

        return complete.run(args, environ)
    if name == "list":
        from awsenv.commands import list_

        return list_.run(args, environ)
    if name == "status":
        from awsenv.commands import status

        return status.run(args, environ)
    if name == "init":
        from awsenv.commands import init

        return init.run(args, environ)
    if name == "completion":
        from awsenv.commands import completion

        return completion.run(args, environ)
    if name == "login":
        from awsenv.commands import login

        return login.run(args, environ)
    if name == "logout":
        from awsenv.commands import logout

        return logout.run(args, environ)
    if name == "exec":
        from awsenv.commands import exec_

        return exec_.run(args, environ)
    if name == "credential-process":
        from awsenv.commands import credential_process

        return credential_process.run(args, environ)
    if name == "whoami":
        from awsenv.commands import whoami

        return whoami.run(args, environ)
    if name == "sso":
        from awsenv.commands import sso_sync

        return sso_sync.run(args, environ)
    if name == "configure":
        from awsenv.commands import configure

        return configure.run(args, environ)
    if name == "keys":
        from awsenv.commands import keys

        return keys.run(args, environ)
    if name == "demo":
        from awsenv.commands import demo

        return demo.run(args, environ)
    if name == "refresh":
        from awsenv.commands import refresh

        return refresh.run(args, environ)
    if name == "console":
        from awsenv.commands import console

        return console.run(args, environ)
    if name == "explain":
        from awsenv.commands import explain

        return explain.run(args, environ)
    if name == "doctor":
        from awsenv.commands import doctor

        return doctor.run(args, environ)
    raise AwsenvError(f"unknown command {name!r}")  # pragma: no cover - argparse rejects it


def emit(text: str) -> None:
    """Write ``text`` to stdout in one piece; a closed pipe is not an error (as zoxide does)."""
    if not text:
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_FAILURE) from None


def take_debug_flag(arguments: list[str]) -> bool:
    """Remove every ``--debug`` before ``--`` from ``arguments``; say whether one was there.

    ``--debug`` may stand anywhere: the shell functions look past a leading one for the command.
    """
    end = arguments.index("--") if "--" in arguments else len(arguments)
    found = [i for i in range(end) if arguments[i] == "--debug"]
    for index in reversed(found):
        del arguments[index]
    return bool(found)


def main(argv: Sequence[str] | None = None) -> int:
    """Run awsenv and return its exit code (0 ok, 1 failure, 2 usage, 130 interrupted)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ
    try:
        if take_debug_flag(arguments) or environ.get("AWSENV_DEBUG"):
            from awsenv import log

            log.enable()
        args = parse(arguments, environ)
        output = dispatch(args, environ)
    except AwsenvError as exc:
        from awsenv import ui

        if exc.output:
            emit(exc.output)
        ui.error(exc.message, exc.hint)
        from awsenv import log

        log.traceback_if_debug()
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nawsenv: interrupted; nothing was changed", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - a bug: one redacted line, never a raw traceback
        from awsenv import log, ui

        # The type only: an exception's text can hold an answer's body (botocore's do).
        ui.error(
            f"unexpected {type(exc).__name__}",
            "this is a bug in awsenv; run again with --debug and report what it prints "
            "(secrets are redacted there)",
        )
        log.traceback_if_debug()
        return EXIT_FAILURE
    emit(output)
    return 0
