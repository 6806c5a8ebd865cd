"""Credentials for non-SSO profiles (roles, MFA, web identity, credential_process) and their errors.

The errors live here, not in ``awsenv.errors``, so the providers package stays self-contained;
each is an ``AwsenvError`` (one line, exit code 1) and never carries a secret or a process's
output.
"""

from __future__ import annotations

from awsenv.errors import AwsenvError

MFA_CODE_HINT = "pass the code with --mfa-code CODE, or run awsenv from a terminal"
NO_TERMINAL = "there is no terminal to ask on"


class CredentialsUnavailable(AwsenvError):
    """botocore could not produce credentials for a profile (the message says why)."""


class RoleDenied(CredentialsUnavailable):
    """STS answered AccessDenied to AssumeRole / AssumeRoleWithWebIdentity."""

    def __init__(self, role_arn: str, profile: str, sts_message: str) -> None:
        super().__init__(
            f"role {role_arn} denied for profile {profile!r}: {sts_message}",
            hint="check the role's trust policy and the source profile's permissions",
        )
        self.role_arn = role_arn
        self.profile = profile


class MfaRequired(CredentialsUnavailable):
    """A role needs an MFA code and there is neither a code nor a terminal to ask on."""

    def __init__(
        self, serial: str, profile: str | None = None, *, reason: str = NO_TERMINAL
    ) -> None:
        where = f" (profile {profile!r})" if profile else ""
        super().__init__(f"an MFA code for {serial} is needed{where}: {reason}", hint=MFA_CODE_HINT)
        self.serial = serial
        self.profile = profile


class WrongMfaCode(CredentialsUnavailable):
    """STS refused the MFA code (a terminal caller may ask once more)."""

    def __init__(self, serial: str, profile: str, sts_message: str) -> None:
        super().__init__(
            f"the MFA code for {serial} was refused (profile {profile!r}): {sts_message}",
            hint="wait for the next code and try again",
        )
        self.serial = serial
        self.profile = profile


class DurationRefused(CredentialsUnavailable):
    """STS refused the requested DurationSeconds (above the role's maximum, or role chaining)."""

    def __init__(self, role_arn: str, profile: str, duration: int | None, sts_message: str) -> None:
        asked = f"duration_seconds = {duration}" if duration is not None else "the duration"
        super().__init__(
            f"role {role_arn} refused {asked} for profile {profile!r}: {sts_message}",
            hint=(
                "lower duration_seconds to at most the role's maximum session duration "
                "(3600 unless the role allows more; 3600 at most when a role assumes a role)"
            ),
        )
        self.role_arn = role_arn
        self.profile = profile
        self.duration = duration


class CredentialProcessFailed(CredentialsUnavailable):
    """A profile's credential_process failed or printed something that is not credentials."""


class EndpointUnreachable(CredentialsUnavailable):
    """An AWS endpoint (STS, the SSO portal) could not be reached."""
