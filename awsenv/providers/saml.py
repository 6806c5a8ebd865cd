"""AssumeRoleWithSAML through an unsigned botocore STS client, and the terminal role picker.

STS's AssumeRoleWithSAML needs no credentials (``auth: none``), so the client is built with
``signature_version=UNSIGNED``; ``AWS_ENDPOINT_URL_STS`` and the other endpoint settings are read
from the caller's ``environ`` as botocore reads them. Every failure becomes one
:class:`~awsenv.providers.CredentialsUnavailable` line that never contains the assertion.

The picker writes to and reads from ``/dev/tty`` (never stdout, the wire the shell evaluates).
botocore is imported inside functions only (ruff TID253).
"""

from __future__ import annotations

import time

from awsenv import timefmt
from awsenv.errors import AwsenvError
from awsenv.providers import CredentialsUnavailable, EndpointUnreachable, mfa
from awsenv.providers.mfa import TTY_PATH
from awsenv.saml import ROLE_HINT, SamlError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from awsenv.exports import Keys
    from awsenv.saml import Assertion, SamlRole

STS_DEFAULT_DURATION = 3600  # what STS gives when DurationSeconds is not sent
MIN_DURATION = 900
_DURATION_HINT = (
    "lower duration_seconds to at most the role's maximum session duration "
    "(3600 unless the role allows more)"
)
_SIGN_IN_AGAIN = "sign in to the identity provider again for a fresh SAML response"
_PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
_BLOB = 100  # characters in a row without a separator: not an ARN part, a name or a word


class SamlAssumeFailed(CredentialsUnavailable):
    """STS refused AssumeRoleWithSAML (the message names the role, never the assertion)."""

    def __init__(self, message: str, role_arn: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.role_arn = role_arn


class SamlRoleDenied(SamlAssumeFailed):
    """AccessDenied: the role's trust policy does not accept this SAML provider or user."""


class SamlAssertionRejected(SamlAssumeFailed):
    """InvalidIdentityToken / IDPRejectedClaim: STS does not accept the assertion itself."""


class SamlAssertionExpired(SamlAssumeFailed):
    """ExpiredTokenException: the assertion is past its NotOnOrAfter."""


class SamlDurationRefused(SamlAssumeFailed):
    """ValidationError about DurationSeconds (above the role's maximum, or out of range)."""

    def __init__(self, role_arn: str, duration: int | None, sts_message: str) -> None:
        asked = f"duration_seconds = {duration}" if duration is not None else "the duration"
        super().__init__(
            f"role {role_arn} refused {asked}: {sts_message}", role_arn, hint=_DURATION_HINT
        )
        self.duration = duration


def duration_seconds(duration: int | None, session_duration: int | None) -> int | None:
    """Return the DurationSeconds to send (None: let STS use its default of one hour).

    A configured ``duration`` is sent, shortened to the assertion's SessionDuration when that is
    lower (STS would end the session then anyway). Without one, SessionDuration is not copied in
    (it may exceed the role's maximum and fail the call); it is sent only when it is shorter than
    STS's default, where it changes nothing but makes the expiry we report exact.
    """
    if duration is not None:
        if session_duration is not None and MIN_DURATION <= session_duration < duration:
            return session_duration
        return duration
    if session_duration is not None and MIN_DURATION <= session_duration < STS_DEFAULT_DURATION:
        return session_duration
    return None


def _redact(text: str, assertion: Assertion) -> str:
    """One line of an STS message, with anything that looks like assertion text removed."""
    import re

    line = " ".join(text.split())
    raw = assertion.raw_b64
    if raw and raw in line:
        line = line.replace(raw, "[assertion]")

    def hide(match: re.Match[str]) -> str:
        run = match.group(0)
        # a piece of the assertion, or a blob too long to be an ARN or a word: never show it
        return "[redacted]" if len(run) >= _BLOB or run in raw else run

    return re.sub(r"[A-Za-z0-9+/=_-]{24,}", hide, line)


def _expiry(value: object) -> int | None:
    stamp = getattr(value, "timestamp", None)
    if stamp is None:
        return None
    return int(stamp() // 1)


def _environ_for_sts(environ: Mapping[str, str], profile: str | None) -> dict[str, str]:
    env = dict(environ)
    if profile is None:
        # the shell's current profile has nothing to do with this call (and may not exist)
        for name in _PROFILE_VARIABLES:
            env.pop(name, None)
    return env


def assume_role_with_saml(
    environ: Mapping[str, str],
    role: SamlRole,
    assertion: Assertion,
    *,
    region: str | None,
    duration: int | None,
    profile: str | None = None,
) -> Keys:
    """Call STS AssumeRoleWithSAML for ``role`` and return its temporary keys.

    ``duration`` is the configured ``duration_seconds`` (see :func:`duration_seconds`).
    ``profile``, when given, supplies endpoint settings (``endpoint_url``, ``region``) the way
    botocore reads them; otherwise ``AWS_PROFILE`` is ignored for this call. With no region
    anywhere, us-east-1 (any STS region answers).
    """
    from awsenv.exports import Keys
    from awsenv.providers.role import Swap

    asked = duration_seconds(duration, assertion.session_duration)
    params: dict[str, Any] = {
        "RoleArn": role.role_arn,
        "PrincipalArn": role.principal_arn,
        "SAMLAssertion": assertion.raw_b64,
    }
    if asked is not None:
        params["DurationSeconds"] = asked
    with Swap(_environ_for_sts(environ, profile)):
        import botocore.exceptions as bx
        import botocore.session
        from botocore import UNSIGNED
        from botocore.parsers import ResponseParserError

        from awsenv import log, net

        log.remember_secret(assertion.raw_b64)
        endpoint = "STS"
        try:
            session = botocore.session.Session(profile=profile)
            region = region or session.get_config_variable("region") or "us-east-1"
            client = session.create_client(
                "sts",
                region_name=region,
                config=net.botocore_config(environ, signature_version=UNSIGNED),
            )
            net.guard_client(client, "STS", environ)
            endpoint = f"STS at {client.meta.endpoint_url}"
            answer = client.assume_role_with_saml(**params)  # type: ignore[attr-defined]
        except AwsenvError:
            raise
        except bx.ClientError as exc:
            raise _client_error(exc, role, assertion, asked, endpoint) from None
        except ResponseParserError:
            # botocore puts the body into this message: it is never shown
            raise SamlAssumeFailed(
                f"{endpoint} answered AssumeRoleWithSAML for role {role.role_arn} with something "
                "that is not an STS answer (its text is not shown)",
                role.role_arn,
                hint="check AWS_ENDPOINT_URL_STS and the profile's endpoint settings",
            ) from None
        except (bx.EndpointConnectionError, bx.ConnectionError, bx.HTTPClientError):
            raise EndpointUnreachable(
                f"cannot reach {endpoint} to assume role {role.role_arn} with SAML",
                hint="check the network, AWS_ENDPOINT_URL_STS and the profile's endpoint settings",
            ) from None
        except bx.ParamValidationError as exc:
            raise SamlAssumeFailed(
                f"AssumeRoleWithSAML for role {role.role_arn} was not sent: "
                f"{_redact(str(exc), assertion)}",
                role.role_arn,
                hint=_DURATION_HINT if "DurationSeconds" in str(exc) else None,
            ) from None
        except bx.ProfileNotFound:
            raise SamlAssumeFailed(
                f"profile {profile!r} is not in the config file", role.role_arn
            ) from None
        except bx.BotoCoreError as exc:
            raise SamlAssumeFailed(
                f"AssumeRoleWithSAML for role {role.role_arn} failed: "
                f"{_redact(str(exc), assertion)}",
                role.role_arn,
            ) from None
    credentials = answer.get("Credentials") or {}
    access_key = credentials.get("AccessKeyId")
    secret_key = credentials.get("SecretAccessKey")
    log.remember_secret(secret_key)
    log.remember_secret(credentials.get("SessionToken"))
    if not access_key or not secret_key:
        raise SamlAssumeFailed(
            f"STS returned no credentials for role {role.role_arn}", role.role_arn
        )
    expiration = _expiry(credentials.get("Expiration"))
    if expiration is not None and timefmt.checked_expiry(expiration, time.time()) is None:
        raise SamlAssumeFailed(
            f"{endpoint} answered AssumeRoleWithSAML for role {role.role_arn} with an "
            "expiration no credentials can have (already past or more than a year away)",
            role.role_arn,
            hint="check AWS_ENDPOINT_URL_STS and the profile's endpoint settings, and the clock",
        )
    return Keys(
        str(access_key),
        str(secret_key),
        str(credentials.get("SessionToken") or "") or None,
        expiration,
    )


def _client_error(
    exc: Exception, role: SamlRole, assertion: Assertion, asked: int | None, endpoint: str = "STS"
) -> SamlAssumeFailed:
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(error.get("Code", "")) if isinstance(error, dict) else ""
    message = str(error.get("Message", "")) if isinstance(error, dict) else ""
    message = _redact(message, assertion) or code or "no message"
    arn = role.role_arn
    meta = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    status = meta.get("HTTPStatusCode") if isinstance(meta, dict) else None
    if isinstance(status, int) and status >= 500:
        tries = int(meta.get("RetryAttempts", 0) or 0) + 1
        return SamlAssumeFailed(
            f"{endpoint} failed AssumeRoleWithSAML for role {arn} "
            f"(HTTP {status}, {code[:80] or 'no code'}) {tries} time{'s' if tries != 1 else ''}",
            arn,
            hint="STS may be busy or down; try again in a minute",
        )
    if code == "AccessDenied":
        return SamlRoleDenied(
            f"role {arn} denied to the SAML assertion: {message}",
            arn,
            hint=f"check that the role trusts {role.principal_arn} for sts:AssumeRoleWithSAML",
        )
    if code in ("ExpiredTokenException", "ExpiredToken"):
        return SamlAssertionExpired(
            "the SAML assertion has expired; sign in again", arn, hint=_SIGN_IN_AGAIN
        )
    if code in ("InvalidIdentityToken", "IDPRejectedClaim"):
        return SamlAssertionRejected(
            f"STS rejected the SAML assertion for role {arn} ({code}): {message}",
            arn,
            hint=f"check the SAML provider {role.principal_arn} and its metadata in IAM; "
            + _SIGN_IN_AGAIN,
        )
    if code == "ValidationError" and "DurationSeconds" in message:
        return SamlDurationRefused(arn, asked, message)
    return SamlAssumeFailed(f"STS AssumeRoleWithSAML for role {arn} failed: {code}: {message}", arn)


# --- the picker ---------------------------------------------------------------------------------


def _menu(roles: list[SamlRole]) -> tuple[str, list[SamlRole]]:
    """Return the menu text and the roles in the order they are numbered (grouped by account)."""
    accounts: dict[str, list[SamlRole]] = {}
    for role in roles:
        accounts.setdefault(role.account_id, []).append(role)
    ordered: list[SamlRole] = []
    lines = ["Roles in the SAML assertion:"]
    width = len(str(len(roles)))
    for account, members in accounts.items():
        lines.append(f"  account {account}")
        names = [m.role_path_name for m in members]
        for member in members:
            ordered.append(member)
            label = member.role_path_name
            if names.count(label) > 1:  # same role through two SAML providers
                label += f"  (via {member.principal_arn.rsplit('/', 1)[-1]})"
            lines.append(f"    {len(ordered):>{width}}) {label}")
    return "\n".join(lines) + "\n", ordered


def tty_picker(roles: list[SamlRole], *, path: str = TTY_PATH) -> SamlRole:
    """Show the roles on the terminal, numbered and grouped by account, and read a number.

    A bad answer is refused with one more chance; a second bad answer, end of input, or no
    terminal raises :class:`~awsenv.saml.SamlError` whose hint points at ``--role``.
    """
    if not roles:
        raise SamlError("the SAML assertion offers no AWS role")
    menu, ordered = _menu(roles)

    def number(text: str) -> SamlRole | None:
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(ordered):
            return ordered[int(text) - 1]
        return None

    chosen = mfa.ask_twice(
        path,
        f"Role number [1-{len(ordered)}]: ",
        number,
        f"type a number from 1 to {len(ordered)}\n",
        before=menu,
    )
    if isinstance(chosen, mfa.NoTerminal):
        raise SamlError(
            f"the SAML assertion offers {len(roles)} roles and there is no terminal to choose on",
            hint=ROLE_HINT,
        )
    if chosen is not None:
        return chosen
    raise SamlError("no role was chosen from the SAML assertion", hint=ROLE_HINT)
