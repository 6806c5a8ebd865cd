"""IAM Identity Center OIDC: register a client, log in by PKCE or device code, refresh a token.

The calls go through botocore's own ``sso-oidc`` client (imported here, lazily), so endpoints,
``AWS_ENDPOINT_URL_SSO_OIDC``, proxies and CA bundles behave as they do for the AWS CLI; timeouts,
retries and the size cap are awsenv's (``awsenv.net``). What the user sees is injected
(``LoginUI``): this module never prints. Every secret received is registered with
``awsenv.log.remember_secret`` before anything else happens to it, and answers are checked field
by field: a malformed answer is one line naming the server, never a traceback or its text.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
import uuid
from urllib.parse import quote, urlencode, urlsplit

from awsenv import log, net
from awsenv.errors import AwsenvError
from awsenv.sso import tokens
from awsenv.sso.callback import CallbackServer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from awsenv.ui import LoginUI

SERVICE = "IAM Identity Center"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PKCE_GRANTS = ["authorization_code", "refresh_token"]
PORTLESS_REDIRECT = "http://127.0.0.1/oauth/callback"
DEFAULT_SCOPES = ["sso:account:access"]
SLOW_DOWN_STEP = 5  # RFC 8628 §3.5: add 5 seconds to the interval on slow_down
DEFAULT_INTERVAL = 5  # RFC 8628 §3.2: when the answer has no interval
MAX_INTERVAL = 300
DEFAULT_DEVICE_EXPIRY = 600
MAX_TOKEN_LIFETIME = 366 * 86400  # longer expiresIn values are taken as a year
_VERIFIER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_NETWORK_WORDS = {
    "EndpointConnectionError": "connection refused or host not found",
    "ConnectTimeoutError": "connect timed out",
    "ReadTimeoutError": "no answer in time",
    "ConnectionClosedError": "connection closed by the server",
}
_THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException"})


class LoginFailed(AwsenvError):
    """The login could not be completed (denied, expired, unreachable, cancelled)."""


class ServiceUnavailable(LoginFailed):
    """IAM Identity Center could not be reached or failed (5xx, throttling) after the retries."""


def client(
    service: str, region: str, *, profile: str | None, environ: Mapping[str, str] | None = None
) -> Any:
    """Create an unsigned botocore client for ``sso-oidc`` or ``sso`` with awsenv's HTTP policy."""
    import botocore
    import botocore.exceptions
    import botocore.session

    env = os.environ if environ is None else environ
    config = net.botocore_config(
        env, signature_version=botocore.UNSIGNED, user_agent_extra="awsenv"
    )
    session = botocore.session.Session(profile=profile)
    try:
        made = session.create_client(service, region_name=region, config=config)
    except botocore.exceptions.ProfileNotFound:
        made = botocore.session.Session().create_client(service, region_name=region, config=config)
    return net.guard_client(made, SERVICE, env)


def aws_errors() -> tuple[type[Exception], ...]:
    """Return botocore's error base classes (imported lazily), for ``except`` clauses."""
    import botocore.exceptions

    return (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def error_code(exc: BaseException) -> str | None:
    """Return the service error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def _status(exc: BaseException) -> tuple[int | None, int]:
    """Return (HTTP status, attempts made) of a botocore ClientError."""
    response = getattr(exc, "response", None)
    meta = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    status = meta.get("HTTPStatusCode") if isinstance(meta, dict) else None
    retries = meta.get("RetryAttempts", 0) if isinstance(meta, dict) else 0
    return (
        status if isinstance(status, int) else None,
        (retries if isinstance(retries, int) else 0) + 1,
    )


def network_error(exc: BaseException, endpoint: str) -> ServiceUnavailable | None:
    """Turn a network failure, a 5xx or throttling into one line naming the endpoint, else None."""
    import botocore.exceptions as bx

    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectionError, bx.HTTPClientError)):
        names = {klass.__name__ for klass in type(exc).__mro__}
        why = next((w for n, w in _NETWORK_WORDS.items() if n in names), "network error")
        return ServiceUnavailable(
            f"cannot reach {SERVICE} at {endpoint} ({why}, {net.ATTEMPTS} attempts)",
            hint="check the network (or sso_region), then try again",
        )
    code = error_code(exc)
    status, attempts = _status(exc)
    if (status is not None and status >= 500) or code in _THROTTLED:
        shown = f"HTTP {status}" if status is not None else "an error"
        if code and code != str(status):
            shown += f", {_short(code)}"
        return ServiceUnavailable(
            f"{SERVICE} at {net.host_of(endpoint)} failed ({shown}) "
            f"{attempts} time{'s' if attempts != 1 else ''}",
            hint="the service may be busy or down; try again in a minute",
        )
    return None


def _short(text: str, limit: int = 80) -> str:
    flat = "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def failure(exc: BaseException, endpoint: str, what: str = "the login") -> AwsenvError | None:
    """Return one line for any botocore failure (None: not a botocore failure)."""
    known = network_error(exc, endpoint)
    if known is not None:
        return known
    code = error_code(exc)
    if code is not None:
        return LoginFailed(f"{SERVICE} at {net.host_of(endpoint)} refused {what} ({_short(code)})")
    if isinstance(exc, aws_errors()):
        return LoginFailed(
            f"{SERVICE} at {net.host_of(endpoint)} could not be used for {what} "
            f"({type(exc).__name__})"
        )
    return None


# --- answers, checked ----------------------------------------------------------------------------


def _endpoint_of(oidc: Any) -> str:
    return str(oidc.meta.endpoint_url).rstrip("/")


def _bad(oidc: Any, operation: str, what: str) -> net.BadResponse:
    return net.BadResponse(
        f"{SERVICE} at {net.host_of(_endpoint_of(oidc))} answered {operation} {what}",
        hint="check AWS_ENDPOINT_URL_SSO_OIDC / sso_region: is it really IAM Identity Center?",
    )


def _text(answer: Mapping[str, Any], key: str, oidc: Any, operation: str) -> str:
    value = answer.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(oidc, operation, f"without {key}")
    return value


def _integer(
    answer: Mapping[str, Any], key: str, oidc: Any, operation: str, *, default: int | None = None
) -> int:
    value = answer.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(oidc, operation, f"without a whole number {key}")
    return value


# --- registration ------------------------------------------------------------------------------


def _register(
    oidc: Any,
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    *,
    pkce: bool,
    fresh: bool = False,
) -> tuple[tokens.Registration, bool]:
    """Return a registration (cached unless ``fresh``) and whether it came from the cache."""
    if not fresh:
        cached = tokens.load_registration(environ, sess, pkce=pkce)
        if cached is not None:
            log.remember_secret(cached.client_secret)
            return cached, True
    name = f"botocore-client-{sess.name}" if sess.name else f"botocore-client-{int(time.time())}"
    request: dict[str, Any] = {"clientName": name, "clientType": "public"}
    scopes = sess.scopes
    if pkce:
        scopes = scopes or DEFAULT_SCOPES
        request.update(
            grantTypes=PKCE_GRANTS, redirectUris=[PORTLESS_REDIRECT], issuerUrl=sess.start_url
        )
    if scopes:
        request["scopes"] = scopes
    response = oidc.register_client(**request)
    secret = _text(response, "clientSecret", oidc, "RegisterClient")
    log.remember_secret(secret)
    registration = tokens.Registration(
        client_id=_text(response, "clientId", oidc, "RegisterClient"),
        client_secret=secret,
        expires_at=_integer(response, "clientSecretExpiresAt", oidc, "RegisterClient"),
        scopes=scopes,
        grant_types=PKCE_GRANTS if pkce else None,
    )
    log.debug("registered a new %s client", "PKCE" if pkce else "device-code")
    tokens.save_registration(environ, sess, registration)
    return registration, False


def forget_registration(
    environ: Mapping[str, str], sess: tokens.SsoSession, client_id: str
) -> None:
    """Delete the cached registration if it is ``client_id`` (revoked or expired at the server)."""
    from awsenv import cache

    path = tokens.registration_path(environ, sess)
    data = cache.read_json(path)
    if data is not None and data.get("clientId") == client_id:
        log.debug("the cached client registration was refused; it is deleted")
        cache.remove(path)


def _token_from(
    response: Mapping[str, Any],
    sess: tokens.SsoSession,
    registration: tokens.Registration,
    oidc: Any,
) -> tokens.Token:
    access = _text(response, "accessToken", oidc, "CreateToken")
    log.remember_secret(access)
    refresh_token = response.get("refreshToken")
    if refresh_token is not None and not isinstance(refresh_token, str):
        raise _bad(oidc, "CreateToken", "with a refreshToken that is not text")
    log.remember_secret(refresh_token)
    lifetime = _integer(response, "expiresIn", oidc, "CreateToken")
    if lifetime <= 0:
        raise _bad(oidc, "CreateToken", f"with a token that is already expired ({lifetime} s)")
    return tokens.Token(
        access_token=access,
        expires_at=int(time.time()) + min(lifetime, MAX_TOKEN_LIFETIME),
        refresh_token=refresh_token or None,
        client_id=registration.client_id,
        client_secret=registration.client_secret,
        registration_expires_at=registration.expires_at,
        start_url=sess.start_url,
        region=sess.region,
    )


def _sign_in_url(url: str, oidc: Any, sess: tokens.SsoSession) -> str:
    """Check a URL from IAM Identity Center before it goes to a browser (see net.check_...)."""
    endpoint = urlsplit(_endpoint_of(oidc)).netloc
    start = urlsplit(sess.start_url).netloc
    return net.check_sign_in_url(
        url,
        service=SERVICE,
        server=net.host_of(_endpoint_of(oidc)),
        hosts=(endpoint, start),
        suffixes=net.AWS_SIGN_IN_SUFFIXES,
    )


# --- device code ---------------------------------------------------------------------------------


def device_login(
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    *,
    profile: str | None,
    ui: LoginUI,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    timeout: float = 600.0,
) -> tokens.Token:
    """Log in with the device authorization flow (RFC 8628) and return the new token.

    Polls every ``interval`` seconds (5 when the answer has none, at least 1), 5 s slower after
    each ``slow_down``, and stops when the code expires (``expiresIn``) or ``timeout`` passed,
    whichever comes first. A cached registration the server refuses is replaced once.
    """
    oidc = client("sso-oidc", sess.region, profile=profile, environ=environ)
    registration, cached = _register(oidc, environ, sess, pkce=False)
    try:
        start = oidc.start_device_authorization(
            clientId=registration.client_id,
            clientSecret=registration.client_secret,
            startUrl=sess.start_url,
        )
    except aws_errors() as exc:
        if not (cached and error_code(exc) == "InvalidClientException"):
            raise
        forget_registration(environ, sess, registration.client_id)
        registration, _ = _register(oidc, environ, sess, pkce=False, fresh=True)
        start = oidc.start_device_authorization(
            clientId=registration.client_id,
            clientSecret=registration.client_secret,
            startUrl=sess.start_url,
        )
    operation = "StartDeviceAuthorization"
    device_code = _text(start, "deviceCode", oidc, operation)
    log.remember_secret(device_code)
    user_code = start.get("userCode")
    user_code = _short(user_code, 40) if isinstance(user_code, str) and user_code else None
    complete = start.get("verificationUriComplete")
    url = complete if isinstance(complete, str) and complete else None
    url = _sign_in_url(url or _text(start, "verificationUri", oidc, operation), oidc, sess)
    expires_in = _integer(start, "expiresIn", oidc, operation, default=DEFAULT_DEVICE_EXPIRY)
    interval = float(
        min(
            max(_integer(start, "interval", oidc, operation, default=DEFAULT_INTERVAL), 1),
            MAX_INTERVAL,
        )
    )
    deadline = clock() + max(min(float(expires_in), timeout), 0.0)
    log.debug("device code: polling every %ss for up to %ss", interval, deadline - clock())
    opened = False
    while True:
        try:
            response = oidc.create_token(
                grantType=DEVICE_GRANT,
                clientId=registration.client_id,
                clientSecret=registration.client_secret,
                deviceCode=device_code,
            )
        except aws_errors() as exc:
            code = error_code(exc)
            if code == "AuthorizationPendingException":
                pass
            elif code == "SlowDownException":
                interval = min(interval + SLOW_DOWN_STEP, MAX_INTERVAL)
                log.debug("slow_down: polling every %ss from now on", interval)
            elif code == "ExpiredTokenException":
                raise LoginFailed(
                    "the sign-in code expired before it was approved", hint="run the command again"
                ) from None
            elif code == "AccessDeniedException":
                raise LoginFailed("the sign-in was denied in the browser") from None
            else:
                raise
        else:
            ui.done()
            return _token_from(response, sess, registration, oidc)
        if not opened:
            ui.open_url(url, user_code=user_code)
            opened = True
        left = deadline - clock()
        if left <= 0:
            raise LoginFailed(
                "the sign-in code expired before it was approved", hint="run the command again"
            )
        wait = min(interval, left)
        waited = 0.0
        while waited < wait:
            ui.tick(f"waiting for approval of code {user_code}", left - waited)
            step = min(0.25, wait - waited)
            sleep(step)
            waited += step


# --- PKCE ----------------------------------------------------------------------------------------


def _pkce_pair() -> tuple[str, str]:
    verifier = "".join(secrets.choice(_VERIFIER_ALPHABET) for _ in range(64))
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return verifier, challenge


def pkce_login(
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    *,
    profile: str | None,
    ui: LoginUI,
    port: int = 0,
    timeout: float = 600.0,
) -> tokens.Token:
    """Log in with the authorization-code flow and PKCE, as the AWS CLI v2 does by default."""
    oidc = client("sso-oidc", sess.region, profile=profile, environ=environ)
    registration, _ = _register(oidc, environ, sess, pkce=True)
    verifier, challenge = _pkce_pair()
    log.remember_secret(verifier)
    state = str(uuid.uuid4())
    try:
        server = CallbackServer(state, port=port)
    except OSError as exc:
        raise LoginFailed(
            f"cannot listen on 127.0.0.1:{port} for the sign-in redirect ({exc.strerror})",
            hint="choose another awsenv_callback_port, or log in with --device-code",
        ) from None
    with server:
        log.debug("listening for the sign-in redirect on %s", server.redirect_uri)
        query = urlencode(
            [
                ("response_type", "code"),
                ("client_id", registration.client_id),
                ("redirect_uri", server.redirect_uri),
                ("state", state),
                ("code_challenge_method", "S256"),
                ("scopes", " ".join(registration.scopes or sess.scopes or DEFAULT_SCOPES)),
            ],
            quote_via=quote,
        )
        url = f"{_endpoint_of(oidc)}/authorize?{query}&code_challenge={challenge}"
        ui.open_url(url, user_code=None)  # built here from the configured endpoint
        deadline = time.monotonic() + timeout
        result = None
        while result is None:
            left = deadline - time.monotonic()
            if left <= 0:
                ui.done()
                raise LoginFailed(
                    f"no sign-in arrived within {int(timeout)} seconds",
                    hint="run the command again, or use --device-code",
                )
            ui.tick("waiting for the sign-in in your browser", left)
            result = server.wait(min(0.25, left))
    ui.done()
    if result.error or not result.code:
        raise LoginFailed(f"the sign-in was not completed ({_short(result.error or 'no code')})")
    log.remember_secret(result.code)
    try:
        response = oidc.create_token(
            grantType="authorization_code",
            clientId=registration.client_id,
            clientSecret=registration.client_secret,
            redirectUri=server.redirect_uri,
            codeVerifier=verifier,
            code=result.code,
        )
    except aws_errors() as exc:
        code = error_code(exc)
        if code == "InvalidClientException":
            forget_registration(environ, sess, registration.client_id)
            raise LoginFailed(
                f"{SERVICE} no longer accepts awsenv's client registration",
                hint="run the command again: awsenv registers a new client",
            ) from None
        if code in ("InvalidGrantException", "ExpiredTokenException"):
            raise LoginFailed("IAM Identity Center refused the sign-in code") from None
        raise
    return _token_from(response, sess, registration, oidc)


# --- refresh -------------------------------------------------------------------------------------


def refresh(
    environ: Mapping[str, str], sess: tokens.SsoSession, token: tokens.Token, *, profile: str | None
) -> tokens.Token | None:
    """Refresh with the refresh-token grant; None if a new login is needed.

    None without a call when the registration has expired (as botocore); None when the server
    refuses the refresh token or the client (a refused client's cached registration is deleted,
    so the login registers anew). A network failure, 5xx or throttling raises ServiceUnavailable.
    """
    if not (token.refresh_token and token.client_id and token.client_secret):
        return None
    log.remember_secret(token.refresh_token)
    log.remember_secret(token.client_secret)
    if token.registration_expires_at is not None and token.registration_expires_at <= time.time():
        log.debug("the client registration has expired: no refresh, a new login")
        return None
    oidc = client("sso-oidc", sess.region, profile=profile, environ=environ)
    try:
        response = oidc.create_token(
            grantType="refresh_token",
            clientId=token.client_id,
            clientSecret=token.client_secret,
            refreshToken=token.refresh_token,
        )
    except aws_errors() as exc:
        unavailable = network_error(exc, _endpoint_of(oidc))
        if unavailable is not None:
            raise unavailable from None
        code = error_code(exc) or type(exc).__name__
        log.debug("the refresh was refused (%s): a new login", code)
        if code == "InvalidClientException":
            forget_registration(environ, sess, token.client_id)
        return None
    registration = tokens.Registration(
        client_id=token.client_id,
        client_secret=token.client_secret,
        expires_at=token.registration_expires_at or 0,
    )
    fresh = _token_from(response, sess, registration, oidc)
    fresh.registration_expires_at = token.registration_expires_at
    return fresh
