"""The AWS console sign-in URL from temporary credentials.

Three steps, as the IAM user guide's "custom identity broker" describes them: temporary
credentials (long-term IAM-user keys first go through STS GetFederationToken, as aws-vault's
``login`` does), a sign-in token from the federation endpoint (``Action=getSigninToken``), and
the login link (``Action=login``) that carries the token to the console page to land on.

Everything but :func:`signin_token` (one GET through ``awsenv.net.request``: awsenv's deadline and
retries, no redirects, a 64 KiB cap on the answer) and :func:`federated_keys` (one STS call
through a botocore client bound by ``awsenv.net``) is a pure function. The sign-in token and the
login URL are bearer credentials: no message, log line or exception built here ever holds them,
the credentials or the answer's body.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

from awsenv import net
from awsenv.errors import AwsenvError, NotSupported, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.exports import Keys

ENDPOINT_VARIABLE = "AWSENV_FEDERATION_ENDPOINT"
ISSUER = "awsenv"
MAX_RESPONSE_BYTES = 64 * 1024
LOGIN_URL_LIFETIME = 900  # the federation endpoint honours a sign-in token for 15 minutes
# Console session lengths the federation endpoint accepts as SessionDuration (§10).
MIN_SESSION_DURATION = 900
MAX_SESSION_DURATION = 43200
# A console opened from role credentials lasts at least this long (see session_duration).
CONSOLE_SESSION = 3600
# GetFederationToken: STS's own default and the length of an IAM user's password sign-in.
FEDERATION_TOKEN_DURATION = 43200
# The session policy of GetFederationToken. Without one the federated user may do nothing;
# with it, exactly what the IAM user may do (the effective permissions are the intersection).
ALLOW_ALL_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
)
FEDERATION_NAME_MAX = 32  # STS GetFederationToken Name: 2-32 characters of [\w+=,.@-]
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-")
_SERVICE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_SERVICE_MAX = 64

# partition → (federation endpoint, console host); aws-vault's generateLoginURL uses the same.
PARTITIONS: dict[str, tuple[str, str]] = {
    "aws": ("https://signin.aws.amazon.com/federation", "console.aws.amazon.com"),
    "aws-cn": ("https://signin.amazonaws.cn/federation", "console.amazonaws.cn"),
    "aws-us-gov": (
        "https://signin.amazonaws-us-gov.com/federation",
        "console.amazonaws-us-gov.com",
    ),
}
# Profile kinds whose keys come from an AssumeRole* call (role chains, web identity, SAML,
# Okta) or IAM Identity Center role credentials: the ones SessionDuration may be asked for.
ROLE_KINDS = frozenset({"assume-role", "web-identity", "saml", "okta", "sso"})


class FederationError(AwsenvError):
    """The federation endpoint could not give a sign-in token (the message names the endpoint)."""


class FederationRefused(FederationError):
    """The federation endpoint answered HTTP 400/401/403: it refused these credentials."""


class FederationUnreachable(FederationError):
    """The federation endpoint could not be reached (DNS, refused, timeout, TLS)."""


# --- partitions, endpoints, destinations ---------------------------------------------------------


def partition(region: str | None) -> str:
    """Return the partition of ``region`` (``aws`` when there is none)."""
    if not region:
        return "aws"
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if "-iso" in region:  # us-iso-east-1, us-isob-east-1, eu-isoe-west-1, us-isof-south-1
        raise NotSupported(
            f"console sign-in in {region} (an isolated partition) is not supported",
            hint="use your partition's own sign-in page",
        )
    return "aws"


def default_endpoint(region: str | None) -> str:
    """Return the federation endpoint of ``region``'s partition."""
    return PARTITIONS[partition(region)][0]


def check_override(value: str) -> str:
    """Return ``value`` if it is a loopback http(s) URL; the endpoint receives the credentials.

    Raises:
        FederationError: anything else (another host, another scheme, a user name, a query).
    """
    refused = FederationError(
        f"{ENDPOINT_VARIABLE} is {value!r}: it must be an http or https URL on 127.0.0.1, "
        "localhost or [::1]",
        hint=(
            f"it is for tests against a local stand-in, because the endpoint receives your "
            f"credentials; unset {ENDPOINT_VARIABLE} to use AWS's own"
        ),
    )
    if not value.isascii() or any(ch <= " " or ch == "\x7f" for ch in value):
        raise refused
    parts = urlsplit(value)
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise refused from None
    if parts.scheme not in ("http", "https") or not net.is_loopback(host):
        raise refused
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise refused
    return value


def endpoint(environ: Mapping[str, str], region: str | None) -> str:
    """Return the federation endpoint: ``AWSENV_FEDERATION_ENDPOINT`` if set, else AWS's own."""
    override = environ.get(ENDPOINT_VARIABLE, "")
    if override:
        return check_override(override)
    return default_endpoint(region)


def check_service(service: str) -> str:
    """Return ``service`` if it can name a console page (``s3``, ``ec2``, ``cloudwatch``...)."""
    if (
        not service
        or len(service) > _SERVICE_MAX
        or not set(service) <= _SERVICE_CHARS
        or not service[0].isalnum()
    ):
        raise UsageError(
            f"{service!r} is not a service name",
            hint="use the name in the console's address, e.g. s3, ec2, iam, cloudwatch",
        )
    return service


def destination(region: str | None, service: str | None = None) -> str:
    """Return the console page to land on: ``https://<console host>/<service>/home?region=R``.

    No service means the console home page; no region, the console's own choice of region.
    """
    host = PARTITIONS[partition(region)][1]
    path = f"/{check_service(service) if service else 'console'}/home"
    query = "?" + urlencode({"region": region}) if region else ""
    return f"https://{host}{path}{query}"


# --- the two federation requests -----------------------------------------------------------------


def session_json(keys: Keys) -> str:
    """Return the ``Session`` parameter: the temporary credentials as compact JSON."""
    if not keys.session_token:
        raise FederationError(
            "console sign-in needs temporary credentials (with a session token)",
            hint="long-term IAM user keys go through GetFederationToken first",
        )
    return json.dumps(
        {
            "sessionId": keys.access_key_id,
            "sessionKey": keys.secret_access_key,
            "sessionToken": keys.session_token,
        },
        separators=(",", ":"),
    )


def signin_token_url(endpoint_url: str, keys: Keys, session_duration: int | None = None) -> str:
    """Return the ``Action=getSigninToken`` request URL (it holds the credentials)."""
    params: list[tuple[str, str]] = [("Action", "getSigninToken")]
    if session_duration is not None:
        if not MIN_SESSION_DURATION <= session_duration <= MAX_SESSION_DURATION:
            raise ValueError(f"SessionDuration {session_duration} is outside 900-43200")
        params.append(("SessionDuration", str(session_duration)))
    params.append(("Session", session_json(keys)))
    return f"{endpoint_url}?{urlencode(params)}"


def login_url(endpoint_url: str, token: str, page: str, *, issuer: str = ISSUER) -> str:
    """Return the ``Action=login`` URL that signs the browser in and lands on ``page``."""
    params = [("Action", "login"), ("Issuer", issuer), ("Destination", page)]
    return f"{endpoint_url}?{urlencode([*params, ('SigninToken', token)])}"


def session_duration(kind: str, keys: Keys, *, now: float) -> int | None:
    """Return the SessionDuration to ask for, or None to let the console follow the credentials.

    Without SessionDuration the console session lasts as long as the credentials. The
    endpoint accepts it only for role credentials (never for GetFederationToken's), so it is
    asked for only there, and only when the credentials end within the hour (role credentials
    reused from a cache may have minutes left): then the console still gets an hour. Longer-lived
    credentials are left alone, so the console is never cut shorter than they last.
    """
    if kind not in ROLE_KINDS or keys.expiration is None:
        return None
    if keys.expiration - now >= CONSOLE_SESSION:
        return None
    return CONSOLE_SESSION


def _get(url: str, endpoint_url: str, timeout: float) -> net.Answer:
    """GET ``url``; any HTTP status is returned, network failures raise (never naming ``url``)."""
    try:
        return net.request(
            url,
            headers={"User-Agent": "awsenv", "Accept": "application/json"},
            budget=timeout,
            limit=MAX_RESPONSE_BYTES,
            retry_statuses=frozenset(),  # an error status is the endpoint's verdict: reported
        )
    except net.ResponseTooLarge:
        raise FederationError(
            f"the federation endpoint {endpoint_url} sent an answer larger than "
            f"{MAX_RESPONSE_BYTES} bytes",
            hint=f"is {endpoint_url} really AWS's federation endpoint?",
        ) from None
    except net.NoAnswer as exc:
        what = f"no answer within {timeout:g} seconds" if exc.timed_out else exc.reason
        raise FederationUnreachable(
            f"cannot reach the federation endpoint {endpoint_url}: {what}",
            hint="check the network (and a proxy, if you use one), then try again",
        ) from None


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _request_token(endpoint_url: str, keys: Keys, duration: int | None, timeout: float) -> str:
    answer = _get(signin_token_url(endpoint_url, keys, duration), endpoint_url, timeout)
    if answer.status in (400, 401, 403):
        raise FederationRefused(
            f"the federation endpoint {endpoint_url} refused these credentials for console "
            f"sign-in (HTTP {answer.status})",
            hint=(
                "credentials from GetSessionToken cannot sign in to the console, nor role "
                "credentials whose AssumeRole asked for duration_seconds from another role's "
                "session; sign in with a role profile (or through the IAM Identity Center portal)"
            ),
        )
    if answer.status != 200:
        raise FederationError(
            f"the federation endpoint {endpoint_url} answered HTTP {answer.status} "
            "to getSigninToken",
            hint="try again in a moment",
        )
    try:
        payload = json.loads(answer.body.decode("utf-8"))
    except (ValueError, RecursionError):
        payload = None
    token = payload.get("SigninToken") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token:
        raise FederationError(
            f"the federation endpoint {endpoint_url} did not answer with a sign-in token",
            hint=f"is {endpoint_url} really AWS's federation endpoint?",
        )
    from awsenv import log

    log.remember_secret(token)
    return token


def signin_token(
    endpoint_url: str,
    keys: Keys,
    *,
    duration: int | None = None,
    timeout: float | None = None,
) -> str:
    """Return a sign-in token for ``keys`` from the federation endpoint (one GET, or two).

    ``timeout`` is the call's budget (default: ``AWSENV_HTTP_TIMEOUT``, see ``awsenv.net``).
    ``duration`` is the SessionDuration to ask for; when the endpoint refuses the credentials
    with it, the request is made once more without it (the console then lasts as long as the
    credentials), since which role sessions may choose their console length is the
    endpoint's call (§10).

    Raises:
        FederationRefused: HTTP 400/401/403.
        FederationUnreachable: no connection, a timeout, a reset.
        FederationError: another status, an answer over 64 KiB, no ``SigninToken`` in it.
    """
    import os

    from awsenv import log

    if timeout is None:
        timeout = net.timeout_budget(os.environ)
    log.debug("federation: getSigninToken at %s (SessionDuration %s)", endpoint_url, duration)
    try:
        return _request_token(endpoint_url, keys, duration, timeout)
    except FederationRefused:
        if duration is None:
            raise
    log.debug("federation: refused with SessionDuration; asking again without it")
    return _request_token(endpoint_url, keys, None, timeout)


# --- long-term keys: GetFederationToken ----------------------------------------------------------


def federation_name(user: str | None) -> str:
    """Return the federated user's name: ``awsenv-<user>``, within STS's limits (2-32 chars)."""
    cleaned = "".join(ch if ch in _NAME_CHARS else "-" for ch in (user or ""))
    name = "awsenv-" + (cleaned.strip("-") or "user")
    return name[:FEDERATION_NAME_MAX]


def local_user(environ: Mapping[str, str]) -> str | None:
    """Return the login name of the person running awsenv (for the federated user's name)."""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if environ.get(variable):
            return environ[variable]
    try:
        import getpass

        return getpass.getuser()
    except (ImportError, KeyError, OSError):
        return None


def federated_keys(
    environ: Mapping[str, str],
    profile: str,
    keys: Keys,
    *,
    region: str | None,
    name: str,
) -> Keys:
    """Return temporary credentials for long-term IAM-user ``keys`` (STS GetFederationToken).

    Long-term keys cannot sign in to the console; aws-vault's ``login`` makes the same split.
    Choices: the session policy is an inline allow-all (``ALLOW_ALL_POLICY``), so the console
    may do what the IAM user may do, no more (a managed-policy ARN would differ per partition
    and, like no policy at all, is not needed); the duration is 12 hours, STS's default and
    what a password sign-in gives an IAM user. STS limits such sessions: no IAM calls, and no
    STS calls but GetCallerIdentity. ``SessionDuration`` must never accompany these keys.

    The STS client uses the profile's endpoint settings and ``AWS_ENDPOINT_URL_STS`` from
    ``environ``; its region is ``region``, else the profile's, else us-east-1.
    """
    from awsenv import log
    from awsenv.exports import Keys
    from awsenv.providers import CredentialsUnavailable, role

    log.debug("federation: GetFederationToken as %s for profile %r", name, profile)
    trace = role.Trace(profile, None)
    with role.Swap(environ):
        import botocore.exceptions as bx

        try:
            client = role.sts_client(
                environ,
                profile,
                keys,
                trace,
                region=lambda session: (
                    region or session.get_config_variable("region") or "us-east-1"  # type: ignore[attr-defined]
                ),
            )
            answer = client.get_federation_token(
                Name=name, Policy=ALLOW_ALL_POLICY, DurationSeconds=FEDERATION_TOKEN_DURATION
            )
        except bx.ClientError as exc:
            raise _federation_token_error(exc, profile) from None
        except AwsenvError:
            raise
        except Exception as exc:
            mapped = role.map_error(exc, environ, trace)
            if mapped is None:
                raise
            raise mapped from None
    credentials = answer.get("Credentials") if isinstance(answer, dict) else None
    if not isinstance(credentials, dict):
        raise CredentialsUnavailable(f"STS GetFederationToken for profile {profile!r} gave no keys")
    expiration = credentials.get("Expiration")
    stamp = getattr(expiration, "timestamp", None)
    return Keys(  # registers its secrets with the log
        str(credentials.get("AccessKeyId", "")),
        str(credentials.get("SecretAccessKey", "")),
        str(credentials.get("SessionToken", "")) or None,
        int(stamp()) if callable(stamp) else None,
    )


def _federation_token_error(exc: Exception, profile: str) -> AwsenvError:
    from awsenv.providers import CredentialsUnavailable

    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(error.get("Code", "")) if isinstance(error, dict) else ""
    message = str(error.get("Message", "")) if isinstance(error, dict) else ""
    message = _one_line(message) or code or "no message"
    if code == "AccessDenied":
        return CredentialsUnavailable(
            f"STS refused GetFederationToken for profile {profile!r}: {message}",
            hint=(
                "the IAM user needs sts:GetFederationToken to open the console from its keys; "
                "or open the console with a role profile"
            ),
        )
    if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"):
        return CredentialsUnavailable(
            f"STS refused the keys of profile {profile!r}: {code}: {message}",
            hint="check aws_access_key_id and aws_secret_access_key in the credentials file",
        )
    return CredentialsUnavailable(
        f"STS GetFederationToken for profile {profile!r} failed: {code}: {message}"
    )
