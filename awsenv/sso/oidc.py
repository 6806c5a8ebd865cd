"""IAM Identity Center OIDC: register a client, log in by PKCE or device code, refresh a token.

The calls go through botocore's own ``sso-oidc`` client (imported here, lazily), so endpoints,
``AWS_ENDPOINT_URL_SSO_OIDC``, proxies and CA bundles behave as they do for the AWS CLI. What
the user sees is injected (``LoginUI``): this module never prints.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from urllib.parse import quote, urlencode

from awsenv.errors import AwsenvError
from awsenv.sso import tokens
from awsenv.sso.callback import CallbackServer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from awsenv.ui import LoginUI

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PKCE_GRANTS = ["authorization_code", "refresh_token"]
PORTLESS_REDIRECT = "http://127.0.0.1/oauth/callback"
DEFAULT_SCOPES = ["sso:account:access"]
_VERIFIER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


class LoginFailed(AwsenvError):
    """The login could not be completed (denied, expired, unreachable, cancelled)."""


def client(service: str, region: str, *, profile: str | None) -> Any:
    """Create an unsigned botocore client for ``sso-oidc`` or ``sso``, with bounded timeouts."""
    import botocore
    import botocore.config
    import botocore.exceptions
    import botocore.session

    session = botocore.session.Session(profile=profile)
    config = botocore.config.Config(
        signature_version=botocore.UNSIGNED,
        connect_timeout=5,
        read_timeout=20,
        retries={"max_attempts": 3, "mode": "standard"},
        user_agent_extra="awsenv",
    )
    try:
        return session.create_client(service, region_name=region, config=config)
    except botocore.exceptions.ProfileNotFound:
        return botocore.session.Session().create_client(service, region_name=region, config=config)


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


def network_error(exc: BaseException, endpoint: str) -> LoginFailed | None:
    """Turn connection-level botocore errors into one clear message naming the endpoint."""
    import botocore.exceptions

    if isinstance(
        exc,
        (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectTimeoutError,
        ),
    ):
        return LoginFailed(
            f"cannot reach IAM Identity Center at {endpoint}",
            hint="check the network (or sso_region), then try again",
        )
    return None


def _register(
    oidc: Any, environ: Mapping[str, str], sess: tokens.SsoSession, *, pkce: bool
) -> tokens.Registration:
    cached = tokens.load_registration(environ, sess, pkce=pkce)
    if cached is not None:
        return cached
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
    registration = tokens.Registration(
        client_id=response["clientId"],
        client_secret=response["clientSecret"],
        expires_at=int(response["clientSecretExpiresAt"]),
        scopes=scopes,
        grant_types=PKCE_GRANTS if pkce else None,
    )
    tokens.save_registration(environ, sess, registration)
    return registration


def _token_from(
    response: Mapping[str, Any], sess: tokens.SsoSession, registration: tokens.Registration
) -> tokens.Token:
    return tokens.Token(
        access_token=response["accessToken"],
        expires_at=int(time.time()) + int(response["expiresIn"]),
        refresh_token=response.get("refreshToken"),
        client_id=registration.client_id,
        client_secret=registration.client_secret,
        registration_expires_at=registration.expires_at,
        start_url=sess.start_url,
        region=sess.region,
    )


def device_login(
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    *,
    profile: str | None,
    ui: LoginUI,
    sleep: Callable[[float], None] = time.sleep,
) -> tokens.Token:
    """Log in with the device authorization flow (RFC 8628) and return the new token."""
    oidc = client("sso-oidc", sess.region, profile=profile)
    registration = _register(oidc, environ, sess, pkce=False)
    start = oidc.start_device_authorization(
        clientId=registration.client_id,
        clientSecret=registration.client_secret,
        startUrl=sess.start_url,
    )
    deadline = time.monotonic() + int(start.get("expiresIn", 600))
    interval = float(start.get("interval") or 5)
    url = start.get("verificationUriComplete") or start["verificationUri"]
    opened = False
    while True:
        try:
            response = oidc.create_token(
                grantType=DEVICE_GRANT,
                clientId=registration.client_id,
                clientSecret=registration.client_secret,
                deviceCode=start["deviceCode"],
            )
        except aws_errors() as exc:
            code = error_code(exc)
            if code == "AuthorizationPendingException":
                pass
            elif code == "SlowDownException":
                interval += 5
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
            return _token_from(response, sess, registration)
        if not opened:
            ui.open_url(url, user_code=start.get("userCode"))
            opened = True
        left = deadline - time.monotonic()
        if left <= 0:
            raise LoginFailed("the sign-in code expired before it was approved")
        waited = 0.0
        while waited < interval:
            ui.tick(f"waiting for approval of code {start.get('userCode')}", left - waited)
            step = min(0.25, interval - waited)
            sleep(step)
            waited += step


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
    oidc = client("sso-oidc", sess.region, profile=profile)
    registration = _register(oidc, environ, sess, pkce=True)
    verifier, challenge = _pkce_pair()
    state = str(uuid.uuid4())
    try:
        server = CallbackServer(state, port=port)
    except OSError as exc:
        raise LoginFailed(
            f"cannot listen on 127.0.0.1:{port} for the sign-in redirect ({exc.strerror})",
            hint="choose another awsenv_callback_port, or log in with --device-code",
        ) from None
    with server:
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
        url = f"{oidc.meta.endpoint_url.rstrip('/')}/authorize?{query}&code_challenge={challenge}"
        ui.open_url(url, user_code=None)
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
        raise LoginFailed(f"the sign-in was not completed ({result.error})")
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
        if error_code(exc) in ("InvalidGrantException", "ExpiredTokenException"):
            raise LoginFailed("IAM Identity Center refused the sign-in code") from None
        raise
    return _token_from(response, sess, registration)


def refresh(
    environ: Mapping[str, str], sess: tokens.SsoSession, token: tokens.Token, *, profile: str | None
) -> tokens.Token | None:
    """Refresh with the refresh-token grant; None if the refresh token is no longer accepted."""
    del environ
    if not (token.refresh_token and token.client_id and token.client_secret):
        return None
    oidc = client("sso-oidc", sess.region, profile=profile)
    try:
        response = oidc.create_token(
            grantType="refresh_token",
            clientId=token.client_id,
            clientSecret=token.client_secret,
            refreshToken=token.refresh_token,
        )
    except aws_errors() as exc:
        if error_code(exc) is not None:
            return None  # invalid_grant, expired registration...: a new login is needed
        raise
    return tokens.Token(
        access_token=response["accessToken"],
        expires_at=int(time.time()) + int(response["expiresIn"]),
        refresh_token=response.get("refreshToken"),
        client_id=token.client_id,
        client_secret=token.client_secret,
        registration_expires_at=token.registration_expires_at,
        start_url=sess.start_url,
        region=sess.region,
    )
