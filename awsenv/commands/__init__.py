"""One module per subcommand; this package holds what several of them share."""

from __future__ import annotations

from awsenv import shells
from awsenv.errors import ShellError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.providers import Context


def wrapper_dialect(environ: Mapping[str, str], command: str) -> str:
    """Return the calling shell's dialect, or explain how to install the shell function."""
    dialect = environ.get("AWSENV_SHELL", "")
    if dialect in shells.SHELLS:
        return dialect
    if dialect:
        raise ShellError(
            f"AWSENV_SHELL is {dialect!r}; expected one of " + ", ".join(shells.DIALECTS)
        )
    from awsenv import detect

    shell = shells.SHELLS[detect.parent_shell(environ) or "bash"]
    setup = f"{shell.init_line}  # in {shell.rc_file}"
    raise ShellError(
        f"'awsenv {command}' changes this shell's environment, which needs the awsenv shell "
        "function; it is not loaded in this shell",
        hint=f"set it up with: {setup}, then open a new shell",
    )


def check_region(region: str) -> str:
    """Return ``region`` if it looks like an AWS region name; warn if awsenv does not know it."""
    from awsenv.clispec import check_region as check

    return check(region)


def provider_context(args: Args, environ: Mapping[str, str]) -> Context:
    """Return what the providers need from the command line (absent options are off)."""
    from awsenv.providers import Context

    def text(name: str) -> str | None:
        value = args.get(name)
        return str(value) if value else None

    return Context(
        environ,
        force_login=bool(args.get("force_login") or args.get("force")),
        device_code=bool(args.get("device_code")),
        no_browser=bool(args.get("no_browser")),
        mfa_code=text("mfa_code"),
        region=text("region"),  # --region of use/exec/console: STS's region too
        role=text("role"),
        saml_assertion=text("saml_assertion"),
        unattended=bool(args.get("auto")),  # refresh --auto
        duration=_role_duration(args),
    )


def _role_duration(args: Args) -> int | None:
    """``--duration`` of a profile's role (with ``--role-arn`` it belongs to the ad-hoc role)."""
    value = args.get("duration")
    if value is None or args.get("role_arn") is not None:
        return None
    from awsenv.providers.adhoc import check_duration

    return check_duration(str(value))


def shell_profile(environ: Mapping[str, str]) -> str:
    """The profile this shell uses, as a profile name: an ad-hoc role's source profile.

    ``use --role-arn ARN --source P`` shows ``P>role`` as AWSENV_PROFILE, which names no
    profile; commands that take the shell's profile by default (login, logout) want ``P``.
    """
    from awsenv import exports

    current = environ.get(exports.AWSENV_PROFILE, "")
    role = environ.get(exports.AWSENV_ROLE, "")
    if current and role:
        from awsenv.providers.adhoc import Spec

        spec = Spec.decode(role)
        if spec is not None:
            return spec.source
    return current or environ.get("AWS_PROFILE", "")
