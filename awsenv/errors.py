"""One exception family: every message says what is wrong and what to do about it."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NEEDS_USER = 3  # refresh --auto: renewing needs a browser or a prompt, so none started
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


class AwsenvError(Exception):
    """Base of every error awsenv reports to the user as one line on stderr."""

    exit_code = EXIT_FAILURE

    # What the command still writes on stdout before the error (a report that found problems);
    # never an env command's code: the wrappers only eval the output of a success.
    output = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AwsenvError):
    """The command line itself is wrong."""

    exit_code = EXIT_USAGE


class ConfigError(AwsenvError):
    """A config or credentials file cannot be read the way botocore reads it."""

    def __init__(self, path: str, line: int | None, what: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {what}", hint="botocore and the AWS CLI reject this file too")
        self.path = path
        self.line = line


class ProfileNotFound(AwsenvError):
    """The named profile is in neither the config nor the credentials file."""

    def __init__(self, name: str, suggestions: Sequence[str], config_path: str) -> None:
        message = f"profile {name!r} is not in {config_path} or the credentials file"
        if suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        super().__init__(message, hint="'awsenv list' shows every profile")
        self.name = name
        self.suggestions = tuple(suggestions)


class ProfileCycle(AwsenvError):
    """``source_profile`` links come back to a profile already in the chain."""

    def __init__(self, chain: Sequence[str]) -> None:
        shown = " -> ".join(repr(p) for p in chain)
        super().__init__(f"source_profile cycle: {shown}")
        self.chain = tuple(chain)


class InvalidProfile(AwsenvError):
    """A profile's keys cannot work together (botocore would refuse it as well)."""

    def __init__(self, name: str, what: str, *, hint: str | None = None) -> None:
        super().__init__(f"profile {name!r}: {what}", hint=hint)
        self.name = name


class ProfileChainTooDeep(InvalidProfile):
    """A ``source_profile`` chain holds more profiles than awsenv follows (not a cycle)."""


class NotSupported(AwsenvError):
    """A feature that this version of awsenv does not have yet."""


class ShellError(AwsenvError):
    """Something about the calling shell prevents awsenv from changing it."""


class UnsafeValue(AwsenvError):
    """A value cannot be put into a shell's environment (it holds a NUL byte)."""


class CacheError(AwsenvError):
    """A cache or lock file cannot be written (the message names the path and the OS error)."""


class LockTimeout(AwsenvError):
    """Another process held a lock longer than we were willing to wait (names the lock file)."""


class NeedsUser(AwsenvError):
    """An unattended renewal (``refresh --auto``) would need a browser, a prompt or a picker."""

    exit_code = EXIT_NEEDS_USER
