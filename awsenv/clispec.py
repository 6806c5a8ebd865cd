"""The command-line surface as data: argparse, the fast parser and completion files follow it.

It is imported on every call, so it holds only tuples and small classes (no dataclasses or enums,
whose imports alone cost more than the whole hot path may spend).
"""

from __future__ import annotations

from awsenv import shells

# The shells are shells.py's records; completion and the help text read these names.
SHELLS = shells.DIALECTS
SHELL_ALIASES = shells.ALIASES
_SHELL_CHOICES = ", ".join(SHELLS[:-1]) + " or " + SHELLS[-1]

# Static on purpose: completion offers them without starting a process or importing botocore.
REGIONS = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
)


_REGION_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def check_region(region: str, *, written: bool = False) -> str:
    """Return ``region`` if it reads as a region name; warn if it is not one of :data:`REGIONS`.

    ``written``: it goes into the config file (``configure``), so it must also have a region's
    shape (``eu-west-1``: letters, then parts, a number last); a region only exported
    (``use --region``) may be any name an endpoint of your own answers to.
    """
    from awsenv.errors import UsageError

    parts = region.split("-")
    bad = not region or not set(region) <= _REGION_CHARS or region.startswith("-")
    if written:
        bad = bad or len(parts) < 3 or not all(parts) or not parts[-1].isdigit()
        bad = bad or not parts[0].isalpha()
    if bad:
        raise UsageError(
            f"{region!r} is not a region name", hint="region names look like eu-west-1"
        )
    if region not in REGIONS:
        from awsenv import ui

        ui.warn(f"{region} is not a region awsenv knows; using it anyway")
    return region


class Option:
    """One ``--option`` of a command; ``metavar`` is None for a flag that takes no value."""

    __slots__ = ("complete", "dest", "flags", "help", "metavar")

    def __init__(
        self,
        flags: tuple[str, ...],
        help_: str,
        *,
        metavar: str | None = None,
        complete: str | None = None,
    ) -> None:
        self.flags = flags
        self.dest = flags[-1].lstrip("-").replace("-", "_")
        self.help = help_
        self.metavar = metavar
        self.complete = complete


class Positional:
    """One positional argument; ``complete`` names what completion offers for it.

    ``remainder`` takes every word that follows (``exec PROFILE -- CMD ...``); ``unless`` names
    the option (its dest) that, when given, makes a required positional unneeded
    (``use --role-arn ARN`` has no PROFILE). ``picked``: at a terminal, a missing value is picked
    interactively (``use`` with no PROFILE opens the picker); elsewhere it is still required.
    """

    __slots__ = ("complete", "help", "name", "optional", "picked", "remainder", "unless")

    def __init__(
        self,
        name: str,
        help_: str,
        *,
        optional: bool = False,
        complete: str | None = None,
        remainder: bool = False,
        unless: str | None = None,
        picked: bool = False,
    ) -> None:
        self.name = name
        self.help = help_
        self.optional = optional
        self.complete = complete
        self.remainder = remainder
        self.unless = unless
        self.picked = picked

    def required(self, values: dict[str, object]) -> bool:
        """Return True if the command line in ``values`` must give this positional."""
        return not self.optional and not (self.unless and values.get(self.unless))


class Command:
    """A subcommand; ``changes_env`` marks the ones whose stdout the shell wrapper evals."""

    __slots__ = ("changes_env", "description", "help", "hidden", "name", "options", "positionals")

    def __init__(
        self,
        name: str,
        help_: str,
        *,
        description: str = "",
        positionals: tuple[Positional, ...] = (),
        options: tuple[Option, ...] = (),
        changes_env: bool = False,
        hidden: bool = False,
    ) -> None:
        self.name = name
        self.help = help_
        self.description = description or help_
        self.positionals = positionals
        self.options = options
        self.changes_env = changes_env
        self.hidden = hidden


_JSON = Option(("--json",), "print JSON instead of a table")
_DEVICE_CODE = Option(("--device-code",), "SSO: log in with the device-code flow instead of PKCE")
_NO_BROWSER = Option(("--no-browser",), "never open a browser; print the URL (and code) on stderr")
_MFA_CODE = Option(
    ("--mfa-code",), "MFA code for AssumeRole (otherwise asked on the terminal)", metavar="CODE"
)

_DURATION = Option(
    ("--duration",),
    "a role's session length (DurationSeconds), 900 up to the role's maximum; with a role "
    "profile, keys are exported (default: the profile's duration_seconds, else an hour)",
    metavar="SECONDS",
)

COMMANDS: tuple[Command, ...] = (
    Command(
        "use",
        "switch this shell to a profile (logs in when needed)",
        description=(
            "Make this shell act as PROFILE. Exports AWS_PROFILE when every SDK can resolve the "
            "profile on its own, temporary keys otherwise; sets AWS_REGION/AWS_DEFAULT_REGION "
            "from the profile (or --region) and AWSENV_PROFILE/AWSENV_EXPIRATION for the prompt. "
            "'awsenv use -' goes back to the profile used before, in its mode and region. "
            "'awsenv use' alone, at a terminal, opens a picker: type part of a profile's name, "
            "account, role or region, choose with the arrows and Enter, leave with Esc. "
            "'awsenv use --role-arn ARN --source PROFILE' assumes a role no profile names, with "
            "PROFILE's credentials, and exports its keys (awsenv refresh renews them while "
            "PROFILE's credentials renew)."
        ),
        positionals=(
            Positional(
                "profile",
                "profile name, or - for the previous one; at a terminal, leave it out to pick "
                "one by typing part of its name, account, role or region",
                complete="profiles",
                unless="role_arn",
                picked=True,
            ),
        ),
        options=(
            Option(("--keys",), "export temporary keys instead of AWS_PROFILE"),
            Option(
                ("--region",),
                "also export this region (default: the profile's region)",
                metavar="REGION",
                complete="regions",
            ),
            _DEVICE_CODE,
            _NO_BROWSER,
            _MFA_CODE,
            Option(
                ("--role",),
                "SAML/Okta: the role ARN to assume when several are offered",
                metavar="ARN",
            ),
            Option(
                ("--saml-assertion",),
                "SAML: read the base64 SAMLResponse from FILE (- for stdin)",
                metavar="FILE",
            ),
            Option(
                ("--write-credentials",),
                "also write the keys under this profile's name into ~/.aws/credentials",
            ),
            Option(("--force-login",), "log in again even if a valid token exists"),
            Option(
                ("--role-arn",),
                "assume this role (one no profile names) with --source's credentials; exports keys",
                metavar="ARN",
            ),
            Option(
                ("--source",),
                "--role-arn: the profile whose credentials assume the role",
                metavar="PROFILE",
                complete="profiles",
            ),
            Option(
                ("--external-id",),
                "--role-arn: the ExternalId the role's trust asks for",
                metavar="ID",
            ),
            Option(
                ("--session-name",),
                "--role-arn: the RoleSessionName (default: awsenv-<your user name>)",
                metavar="NAME",
            ),
            _DURATION,
        ),
        changes_env=True,
    ),
    Command(
        "unset",
        "remove everything awsenv exported; the shell is as it was before 'use'",
        changes_env=True,
    ),
    Command(
        "region",
        "change the region of this shell (AWS_REGION and AWS_DEFAULT_REGION), or show it",
        description=(
            "With REGION, set AWS_REGION and AWS_DEFAULT_REGION in this shell, keeping its "
            "profile. Without, say which region this shell uses and where that comes from "
            "(on stderr). Example: awsenv region eu-west-1"
        ),
        positionals=(
            Positional("region", "region name, e.g. eu-west-1", optional=True, complete="regions"),
        ),
        changes_env=True,
    ),
    Command(
        "refresh",
        "renew this shell's credentials for the profile it uses (same as 'use' of it)",
        description=(
            "Renew what this shell exports for its current profile (AWSENV_PROFILE). While the "
            "SSO session or the role's source is still valid this needs no browser and no "
            "prompt; otherwise it logs in as 'use' would. The prompt shows ↻ when it is due. "
            "Example: awsenv use dev --keys; (an hour later) awsenv refresh. The prompt runs "
            "'refresh --auto' by itself when exported keys that renew silently are within 5 "
            "minutes of their end (AWSENV_AUTO_REFRESH=0 or init --no-auto-refresh: never)."
        ),
        options=(
            _DEVICE_CODE,
            _NO_BROWSER,
            Option(
                ("--auto",),
                "the prompt's mode: renew only with no browser, prompt or picker, else exit 3 "
                "and print nothing",
            ),
        ),
        changes_env=True,
    ),
    Command(
        "exec",
        "run a command, or a shell, with a profile's credentials; this shell is untouched",
        description=(
            "Obtain temporary keys for PROFILE (logging in when needed) and run CMD with them "
            "and the profile's region in its environment. awsenv becomes CMD, so its exit "
            "status and signals are CMD's. Without CMD, start your shell ($SHELL, else the "
            "shell that ran awsenv, else /bin/sh) that way, marked AWSENV_EXEC=PROFILE: its "
            "prompt shows aws:PROFILE(exec) and 'awsenv status' says so; exit returns here. "
            "Examples: awsenv exec prod -- aws s3 ls; awsenv exec prod"
        ),
        positionals=(
            Positional("profile", "profile name", complete="profiles"),
            Positional(
                "cmd",
                "the command and its arguments, after -- (none: start your shell)",
                remainder=True,
            ),
        ),
        options=(
            Option(
                ("--region",),
                "run with this region (default: the profile's)",
                metavar="REGION",
                complete="regions",
            ),
            _MFA_CODE,
            _DURATION,
            _DEVICE_CODE,
            _NO_BROWSER,
        ),
    ),
    Command(
        "credential-process",
        "print a profile's credentials as credential_process JSON (for SDKs)",
        description=(
            "Print Version 1 credential_process JSON for PROFILE, from awsenv's cache or after "
            "a sign-in, so that `credential_process = awsenv credential-process PROFILE` lets "
            "every SDK use a SAML or Okta profile through AWS_PROFILE, or an MFA role for as "
            "long as its MFA session lasts (a long terraform run renews with no prompt). For a "
            "profile whose keys are in the OS keychain ('awsenv keys'), it prints STS session "
            "credentials made with them, never the keys."
        ),
        positionals=(Positional("profile", "profile name", complete="profiles"),),
        options=(
            Option(
                ("--role",),
                "SAML/Okta: the role ARN to assume when several are offered",
                metavar="ARN",
            ),
            _NO_BROWSER,
        ),
    ),
    Command(
        "whoami",
        "show the AWS identity (account, ARN) this shell's credentials belong to",
        options=(_JSON,),
    ),
    Command(
        "login",
        "log in to an SSO session without changing the shell",
        description=(
            "Log in to the IAM Identity Center session of PROFILE (default: the active one) or "
            "of --sso-session. A valid login is reused unless --force is given."
        ),
        positionals=(Positional("profile", "profile name", optional=True, complete="profiles"),),
        options=(
            Option(
                ("--sso-session",),
                "log in to this [sso-session] instead of a profile's",
                metavar="NAME",
                complete="sso-sessions",
            ),
            Option(("--device-code",), "use the device-code flow instead of PKCE"),
            _NO_BROWSER,
            Option(("--force",), "log in again even if the current login is still valid"),
        ),
    ),
    Command(
        "logout",
        "end SSO sessions and delete their cached tokens and role credentials",
        description=(
            "End the IAM Identity Center session of PROFILE (default: this shell's), of "
            "--sso-session or of --all, and delete its tokens and cached role credentials. "
            "A shell whose profile used that session stops its clock: the prompt shows "
            "`expired` for a profile, and exported keys keep only their own end. For a "
            "profile over an IAM user's keys, forget its MFA session (--all: every one)."
        ),
        positionals=(Positional("profile", "profile name", optional=True, complete="profiles"),),
        options=(
            Option(
                ("--sso-session",),
                "log out of this [sso-session]",
                metavar="NAME",
                complete="sso-sessions",
            ),
            Option(("--all",), "log out of every SSO session in the config"),
        ),
        # the shell that logs out of its own session stops its clock
        changes_env=True,
    ),
    Command(
        "console",
        "open the AWS console signed in as a profile (logs in when needed)",
        description=(
            "Sign in to the AWS Management Console as PROFILE (default: this shell's) with a "
            "federation sign-in URL made from temporary credentials, and open it in the "
            "browser. --print writes the URL on stdout instead. Example: "
            "awsenv console prod --service s3 --region eu-west-1"
        ),
        positionals=(Positional("profile", "profile name", optional=True, complete="profiles"),),
        options=(
            Option(("--print",), "print the sign-in URL on stdout instead of opening it"),
            Option(
                ("--service",),
                "land on this service's console page, e.g. s3 or ec2",
                metavar="SERVICE",
            ),
            Option(
                ("--region",),
                "land in this region (default: the profile's)",
                metavar="REGION",
                complete="regions",
            ),
            _MFA_CODE,
            _DURATION,
            _DEVICE_CODE,
            Option(
                ("--no-browser",),
                "SSO: print the login URL (and code) on stderr instead of opening a browser "
                "(the console itself opens only in a browser, or with --print)",
            ),
        ),
    ),
    Command(
        "sso",
        "add a profile for every account role an SSO login can use (sso sync)",
        description=(
            "sync: for each account and role the [sso-session] can use and no profile points "
            "at, append a [profile <account>-<role>] to the config, keeping everything else "
            "byte for byte (logs in when needed; a backup goes next to the file). --dry-run "
            "prints the diff instead."
        ),
        positionals=(Positional("action", "sync", complete="sso-actions"),),
        options=(
            Option(
                ("--sso-session",),
                "the [sso-session] to sync (needed only when the config has several)",
                metavar="NAME",
                complete="sso-sessions",
            ),
            Option(("--dry-run",), "print a unified diff on stdout; write nothing"),
            Option(("--prefix",), "put P- in front of each new profile name", metavar="P"),
        ),
    ),
    Command(
        "configure",
        "write a profile from a start URL, an Okta org or a role, asking what is needed",
        description=(
            "sso: ask what 'aws configure sso' asks (session name, start URL, SSO region, "
            "scopes), sign in, pick an account and a role, then the default region, output "
            "format and profile name; show the change as a diff and write it (every other byte "
            "of the config kept, a backup next to it). sso-session: write only the "
            "[sso-session]. okta: org domain, OIDC client id and AWS Account Federation app "
            "id, a device sign-in, then a role of the assertion. role: a source profile, the "
            "role ARN, an MFA device (your own, from IAM), external id, session name, duration, "
            "region; the role is assumed once before anything is written (--force writes a "
            "role that cannot be assumed). Every question has a flag; without a terminal, "
            "missing flags are one usage error. Example: awsenv configure sso --start-url "
            "https://corp.awsapps.com/start --sso-region eu-west-1"
        ),
        positionals=(
            Positional(
                "kind", "sso, sso-session, okta or role: what to configure", complete="configure"
            ),
        ),
        options=(
            Option(
                ("--sso-session",),
                "sso: the [sso-session] name (default: from the start URL)",
                metavar="NAME",
                complete="sso-sessions",
            ),
            Option(("--start-url",), "sso: the AWS access portal URL", metavar="URL"),
            Option(
                ("--sso-region",),
                "sso: the region of IAM Identity Center",
                metavar="REGION",
                complete="regions",
            ),
            Option(
                ("--scopes",),
                "sso: registration scopes, comma-separated (default: sso:account:access)",
                metavar="LIST",
            ),
            Option(("--account",), "sso: the account id (or name)", metavar="ID"),
            Option(("--role",), "sso: the role name", metavar="NAME"),
            Option(
                ("--region",),
                "the profile's default region (default: the SSO region, or the source's)",
                metavar="REGION",
                complete="regions",
            ),
            Option(
                ("--output",),
                "the profile's output format: json, text, table, yaml or yaml-stream",
                metavar="FORMAT",
                complete="outputs",
            ),
            Option(("--profile",), "the profile name to write", metavar="NAME"),
            Option(("--yes",), "write without asking to confirm the diff"),
            _DEVICE_CODE,
            _NO_BROWSER,
            Option(
                ("--org-domain",), "okta: the org's domain (example.okta.com)", metavar="DOMAIN"
            ),
            Option(
                ("--org-url",),
                "okta: the org's base URL instead of --org-domain (http for loopback only)",
                metavar="URL",
            ),
            Option(("--oidc-client-id",), "okta: the OIDC native app's client id", metavar="ID"),
            Option(
                ("--aws-acct-fed-app-id",),
                "okta: the AWS Account Federation app's id",
                metavar="ID",
            ),
            Option(
                ("--aws-iam-idp",), "okta: the IAM identity provider ARN (optional)", metavar="ARN"
            ),
            Option(("--aws-iam-role",), "okta: the role ARN to write", metavar="ARN"),
            Option(("--all-roles",), "okta: write one profile per role of the assertion"),
            Option(
                ("--source-profile",),
                "role: the profile whose credentials assume the role",
                metavar="PROFILE",
                complete="profiles",
            ),
            Option(("--role-arn",), "role: the ARN of the role to assume", metavar="ARN"),
            Option(
                ("--mfa-serial",),
                "role: the MFA device's ARN or serial number ('' for none)",
                metavar="ARN",
            ),
            _MFA_CODE,
            Option(
                ("--external-id",), "role: the ExternalId the role's trust asks for", metavar="ID"
            ),
            Option(
                ("--role-session-name",),
                "role: the RoleSessionName (default: one botocore makes up)",
                metavar="NAME",
            ),
            Option(
                ("--duration-seconds",),
                "role: DurationSeconds, 900 to 43200 (default: the role's, an hour)",
                metavar="SECONDS",
            ),
            Option(("--force",), "role: write the profile even if the role cannot be assumed"),
        ),
    ),
    Command(
        "keys",
        "keep an IAM user's long-lived keys in the OS keychain (add, import, list, rm)",
        description=(
            "add PROFILE: read the access key id and the secret on the terminal (never from "
            "the command line or the environment), check them with STS GetCallerIdentity and "
            "store them in the OS keychain (macOS Keychain, Windows Credential Locker, the "
            "Secret Service on Linux). import PROFILE: move keys written in ~/.aws/credentials "
            "(or the config) there; their lines leave the file, every other byte stays, and no "
            "copy of the secret is kept. Both give the profile 'credential_process = awsenv "
            "credential-process PROFILE' and 'awsenv_keychain = true' in the config (the diff "
            "is shown on stderr), so every SDK gets temporary session credentials, never the "
            "keys. list: the profiles whose keys are in the keychain (key ids masked). "
            "rm PROFILE: delete them from the keychain."
        ),
        positionals=(
            Positional("action", "add, import, list or rm", complete="keys-actions"),
            Positional(
                "profile",
                "profile name (add, import, rm)",
                optional=True,
                complete="profiles",
            ),
        ),
    ),
    Command(
        "list",
        "list every profile with its kind, account, role and region",
        options=(_JSON,),
    ),
    Command(
        "status",
        "show the profile this shell uses now and the time left",
        options=(
            _JSON,
            Option(("--identity",), "also ask STS which identity the credentials belong to"),
        ),
    ),
    Command(
        "explain",
        "show how a profile resolves and what 'use' would do, without logging in",
        description=(
            "Show, without logging in or writing anything, how PROFILE resolves: its "
            "source_profile chain, SSO session and cache file, which login would run and why, "
            "and what 'use' would export. Example: awsenv explain prod"
        ),
        positionals=(Positional("profile", "profile name", complete="profiles"),),
        options=(_JSON,),
    ),
    Command(
        "doctor",
        "check every profile, the caches and this shell for common problems",
        description=(
            "Check every profile (missing source_profile or sso_session, cycles, legacy SSO "
            "profiles that cannot refresh), file modes, torn cache files, variables that "
            "override the profile and the shell integration. --fix applies the config "
            "changes it shows as a diff, keeping everything else byte for byte (a backup goes "
            "next to the file). Exit status 1 while problems remain. Example: awsenv doctor, "
            "then awsenv doctor --fix"
        ),
        options=(
            _JSON,
            Option(("--fix",), "apply the config fixes shown (with a backup)"),
        ),
    ),
    Command(
        "init",
        "print the shell integration to eval in your shell's rc file",
        description=(
            "Print the code that defines the 'awsenv' shell function, the prompt segment and "
            'completion. Add to your rc file, e.g. eval "$(awsenv init bash)". With no SHELL, '
            "the parent shell is detected. For the fastest shell start, write it once to a "
            "file and source that instead: awsenv init bash --write >> ~/.bashrc (run it again "
            "after upgrading awsenv)."
        ),
        positionals=(Positional("shell", _SHELL_CHOICES, optional=True, complete="shells"),),
        options=(
            Option(
                ("--no-prompt",),
                "do not add the awsenv segment to the prompt (keys still renew before each "
                "prompt, unless --no-auto-refresh)",
            ),
            Option(
                ("--no-auto-refresh",),
                "never renew exported keys at the prompt (as AWSENV_AUTO_REFRESH=0); with "
                "--no-prompt, no prompt hook at all",
            ),
            Option(("--no-completion",), "do not load tab completion"),
            Option(
                ("--write",),
                "write the integration to a file and print the line that sources it "
                "(shell start then runs no Python)",
            ),
        ),
    ),
    Command(
        "completion",
        "print only the tab-completion script for a shell",
        positionals=(Positional("shell", _SHELL_CHOICES, complete="shells"),),
    ),
    Command(
        "demo",
        "open a throwaway shell with example profiles (no AWS account needed)",
        description=(
            "Start your own shell with awsenv loaded, a temporary HOME and a few example "
            "profiles; everything is deleted when you exit. Without a terminal, run a short "
            "scripted tour instead."
        ),
        options=(
            Option(
                ("--shell",),
                _SHELL_CHOICES + " (default: this shell)",
                metavar="SHELL",
                complete="shells",
            ),
        ),
    ),
    Command(
        "__complete",
        "print completion candidates (used by the completion scripts)",
        positionals=(
            Positional("what", "profiles, sso-sessions, regions, commands or shells"),
            Positional("prefix", "only candidates starting with this", optional=True),
        ),
        hidden=True,
    ),
)

GLOBAL_OPTIONS = (
    Option(("-h", "--help"), "show help and exit"),
    Option(("--version",), "show the version and exit"),
    Option(("--debug",), "log each step on stderr, secrets redacted (or set AWSENV_DEBUG=1)"),
)

BY_NAME = {c.name: c for c in COMMANDS}
ENV_COMMANDS = tuple(c.name for c in COMMANDS if c.changes_env)


class Args:
    """Parsed arguments: the command name plus one attribute per option and positional."""

    def __init__(self, command: str, values: dict[str, object]) -> None:
        self.command = command
        self.__dict__.update(values)

    def get(self, name: str, default: object = None) -> object:
        """Return an argument by name."""
        return self.__dict__.get(name, default)

    def set(self, name: str, value: object) -> None:
        """Record what the parser learned beyond the options (``previous`` for ``use -``)."""
        self.__dict__[name] = value
