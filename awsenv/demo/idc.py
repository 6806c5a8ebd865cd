"""A local IAM Identity Center (sso-oidc and the sso portal) on one loopback port.

Both services speak the rest-json wire protocol of botocore's models, so real botocore clients
(pointed here with ``AWS_ENDPOINT_URL_SSO_OIDC`` and ``AWS_ENDPOINT_URL_SSO``, which may share
``base_url``: their paths do not collide) drive it. Every secret it hands out carries a
``CANARY-<hex>`` marker and is listed by ``canaries()``, so tests can grep output for leaks.
Faults for reliability tests are scripted per operation with ``script()``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from awsenv.demo.base import CANARY as CANARY  # what tests grep output for
from awsenv.demo.base import (
    LOOPBACK,
    LoopbackStandIn,
    QuietHandler,
    Reply,
    Step,
)
from awsenv.demo.device import DeviceCodeControls, DeviceCodes, OAuthError, Page, Wording

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CODE_GRANT = "authorization_code"
REFRESH_GRANT = "refresh_token"
DEFAULT_ACCOUNTS: dict[str, tuple[str, list[str]]] = {
    "111111111111": ("Dev", ["Admin", "ReadOnly"]),
    "222222222222": ("Prod", ["ReadOnly"]),
    "333333333333": ("Sandbox", ["Admin", "Developer", "ReadOnly"]),
}
ORGANISATION_ROLES = ("Admin", "Developer", "ReadOnly")


def organisation(
    count: int, roles: tuple[str, ...] = ORGANISATION_ROLES
) -> dict[str, tuple[str, list[str]]]:
    """Return ``count`` accounts (``100000000001``..., "Workload 0001"...) with ``roles`` each.

    What a large organisation's portal lists: ``IdentityCenterStandIn(accounts=organisation(1000),
    page_size=100, portal_rate=...)`` is the 1 000-account one of ``bench/sso_sync.py``.
    """
    return {
        f"{100_000_000_000 + n:012d}": (f"Workload {n:04d}", list(roles))
        for n in range(1, count + 1)
    }


# error value → (x-amzn-ErrorType shape, HTTP status), from the sso-oidc model.
OIDC_ERRORS: dict[str, tuple[str, int]] = {
    "authorization_pending": ("AuthorizationPendingException", 400),
    "slow_down": ("SlowDownException", 400),
    "expired_token": ("ExpiredTokenException", 400),
    "access_denied": ("AccessDeniedException", 400),
    "invalid_grant": ("InvalidGrantException", 400),
    "invalid_client": ("InvalidClientException", 401),
    "invalid_request": ("InvalidRequestException", 400),
    "unauthorized_client": ("UnauthorizedClientException", 400),
    "unsupported_grant_type": ("UnsupportedGrantTypeException", 400),
    "invalid_scope": ("InvalidScopeException", 400),
    "invalid_client_metadata": ("InvalidClientMetadataException", 400),
    "invalid_redirect_uri": ("InvalidRedirectUriException", 400),
    "server_error": ("InternalServerException", 500),
}
# shape → HTTP status, from the sso portal model (ForbiddenException is what the service sends
# for a role the user is not assigned, though the model does not list it).
PORTAL_ERRORS: dict[str, int] = {
    "UnauthorizedException": 401,
    "InvalidRequestException": 400,
    "ForbiddenException": 403,
    "ResourceNotFoundException": 404,
    "TooManyRequestsException": 429,
}
# (method, path) → operation name; the two services share one port.
ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/client/register"): "RegisterClient",
    ("POST", "/device_authorization"): "StartDeviceAuthorization",
    ("POST", "/token"): "CreateToken",
    ("GET", "/authorize"): "Authorize",
    ("GET", "/device"): "Device",
    ("GET", "/federation/credentials"): "GetRoleCredentials",
    ("GET", "/assignment/accounts"): "ListAccounts",
    ("GET", "/assignment/roles"): "ListAccountRoles",
    ("POST", "/logout"): "Logout",
    # STS's query protocol (GetCallerIdentity for keys minted here without moto; AssumeRole)
    ("POST", "/"): "Sts",
}
PORTAL_OPERATIONS = frozenset({"GetRoleCredentials", "ListAccounts", "ListAccountRoles", "Logout"})
FAULTS = frozenset({"status", "delay", "reset", "huge_body", "error", "raw"})
_GRANT_NAMES = {DEVICE_GRANT: "device_code", CODE_GRANT: CODE_GRANT, REFRESH_GRANT: REFRESH_GRANT}


WORDING = Wording(
    invalid="unknown or used device code",
    expired="the device code has expired",
    slow_down="polling too fast",
    denied="the user denied the authorization",
    pending="the user has not approved yet",
    prompt_page=Page(200, "Authorize request", "Open the link with ?user_code=XXXX-XXXX."),
    approved_page=Page(200, "Request approved", "You may close this window."),
    denied_page=Page(200, "Request denied", "The authorization was denied."),
)


class PortalError(Exception):
    """An sso portal error: ``{"message"}`` with the shape's status."""

    def __init__(self, shape: str, message: str) -> None:
        super().__init__(shape)
        self.shape = shape
        self.message = message


@dataclass
class Client:
    """A registered OIDC client."""

    client_id: str
    secret: str
    name: str
    grant_types: list[str]
    redirect_uris: list[str]
    scopes: list[str]
    issued_at: int
    expires_at: int
    revoked: bool = False

    def allows(self, grant: str) -> bool:
        """Whether this client may use ``grant`` (device and refresh when none were registered)."""
        if self.grant_types:
            return grant in self.grant_types
        return grant in (DEVICE_GRANT, REFRESH_GRANT)


@dataclass
class AuthCode:
    """An authorization code issued by /authorize."""

    client_id: str
    redirect_uri: str
    challenge: str
    scopes: list[str]
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    """An access token the portal accepts until it expires or is logged out."""

    client_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    """A refresh token; single use (rotated on every refresh)."""

    client_id: str
    scopes: list[str] = field(default_factory=list)
    used: bool = False
    rotated: bool = False  # spent by a refresh (not revoked): presenting it again is a reuse


def _json_reply(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = json.dumps(payload).encode("utf-8")
    return Reply(
        status,
        body,
        (("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4())), *headers),
    )


def _oidc_error_reply(error: str, description: str) -> Reply:
    shape, status = OIDC_ERRORS.get(error, ("InvalidRequestException", 400))
    payload = {"error": error, "error_description": description}
    return _json_reply(status, payload, (("x-amzn-ErrorType", shape),))


def _portal_error_reply(shape: str, message: str) -> Reply:
    return _json_reply(
        PORTAL_ERRORS.get(shape, 400), {"message": message}, (("x-amzn-ErrorType", shape),)
    )


def _html(status: int, title: str, text: str) -> Reply:
    page = (
        '<!doctype html><meta charset="utf-8"><title>IAM Identity Center stand-in</title>'
        f"<h1>{title}</h1><p>{text}</p>\n"
    ).encode()
    return Reply(status, page, (("Content-Type", "text/html; charset=utf-8"),))


def _sts_error(status: int, code: str, message: str) -> Reply:
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
    return Reply(status, body, (("Content-Type", "text/xml"),))


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _strings(value: object) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _loopback_match(registered: str, uri: str) -> bool:
    """RFC 8252 §7.3: a port-less loopback redirect URI matches the same URI with any port."""
    reg, got = urlsplit(registered), urlsplit(uri)
    try:
        port = got.port
    except ValueError:
        return False
    return (
        reg.scheme == got.scheme == "http"
        and reg.hostname == got.hostname == LOOPBACK
        and reg.port is None
        and port is not None
        and reg.path == got.path
        and not got.query
        and not got.fragment
    )


class _Handler(QuietHandler):
    server_version = "IdentityCenterStandIn"


class IdentityCenterStandIn(DeviceCodeControls, LoopbackStandIn):
    """IAM Identity Center's sso-oidc and sso portal APIs, served on ``127.0.0.1`` only.

    Options are public attributes and may be changed while it runs (``deny``,
    ``refresh_tokens_enabled``, ``auto_approve_device_after_polls``...). ``clock`` (epoch seconds)
    drives every expiry, so tests can move time instead of sleeping.

    The portal pages its lists (``maxResults``, at most ``page_size`` a page) and, with
    ``portal_rate`` set, throttles as the real one does: a token bucket of ``portal_burst``
    requests refilled at ``portal_rate`` a second (real time, not ``clock``) is shared by every
    portal operation, and a request that finds it empty is answered HTTP 429
    ``TooManyRequestsException`` (the shape botocore's sso model lists, and one botocore's retry
    handler counts as throttling). ``portal_latency`` seconds pass before each portal answer, as
    over a real network. ``portal_peak`` is the most portal requests it ever had in flight at once,
    ``throttled(op)`` how many it refused.
    """

    handler_class = _Handler
    faults = FAULTS

    def __init__(
        self,
        *,
        accounts: dict[str, tuple[str, list[str]]] | None = None,
        port: int = 0,
        page_size: int = 2,
        client_secret_lifetime: int = 90 * 86400,
        device_expires_in: int = 600,
        interval: int = 1,
        enforce_interval: bool = False,
        auto_approve_device_after_polls: int | None = None,
        deny: bool = False,
        access_token_lifetime: int = 8 * 3600,
        authorization_code_lifetime: int = 300,
        refresh_tokens_enabled: bool = True,
        role_credentials_lifetime: int = 3600,
        sts_endpoint: str | None = None,
        user_name: str = "standin-user",
        portal_rate: float | None = None,
        portal_burst: float | None = None,
        portal_latency: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(port=port)
        self.accounts = dict(DEFAULT_ACCOUNTS if accounts is None else accounts)
        self.page_size = page_size
        self.client_secret_lifetime = client_secret_lifetime
        self.device_expires_in = device_expires_in
        self.interval = interval
        self.enforce_interval = enforce_interval
        self.auto_approve_device_after_polls = auto_approve_device_after_polls
        self.deny = deny
        self.access_token_lifetime = access_token_lifetime
        self.authorization_code_lifetime = authorization_code_lifetime
        self.refresh_tokens_enabled = refresh_tokens_enabled
        self.role_credentials_lifetime = role_credentials_lifetime
        self.sts_endpoint = sts_endpoint
        self.user_name = user_name
        self.portal_rate = portal_rate
        self.portal_burst = portal_burst
        self.portal_latency = portal_latency
        self.clock = clock

        self._bucket: tuple[float, float] | None = None  # (tokens left, when counted)
        self._in_flight = 0
        self._peak = 0
        self._throttled: dict[str, int] = {}

        self._sts: Any = None

        self._clients: dict[str, Client] = {}
        self._device_codes = DeviceCodes(WORDING, grouped=True, on_approve=self._count_sign_in)
        self._codes: dict[str, AuthCode] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._minted: dict[str, tuple[str, str]] = {}  # access key id -> (account, role)
        self._refresh_reuses = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def environ(self, *, sts: bool = False) -> dict[str, str]:
        """Return the variables that point botocore's sso-oidc and sso (and STS) clients here."""
        variables = {
            "AWS_ENDPOINT_URL_SSO_OIDC": self.base_url,
            "AWS_ENDPOINT_URL_SSO": self.base_url,
        }
        if sts:
            variables["AWS_ENDPOINT_URL_STS"] = self.base_url
        return variables

    # -- what tests look at ------------------------------------------------------------------

    def grant_calls(self, grant: str) -> int:
        """Return how many CreateToken requests used ``grant`` (short name, e.g. refresh_token)."""
        with self._lock:
            return sum(
                1 for r in self._requests if r.operation == "CreateToken" and r.grant == grant
            )

    def sts_calls(self, action: str) -> int:
        """Return how many STS requests asked for ``action`` (``AssumeRole``...)."""
        with self._lock:
            return sum(1 for r in self._requests if r.operation == "Sts" and r.grant == action)

    def throttled(self, operation: str | None = None) -> int:
        """Return how many portal requests (of ``operation``, or all) got 429 for the rate."""
        with self._lock:
            if operation is None:
                return sum(self._throttled.values())
            return self._throttled.get(operation, 0)

    @property
    def portal_peak(self) -> int:
        """Return the most portal requests that were ever in flight at the same time."""
        with self._lock:
            return self._peak

    @property
    def refresh_token_reuses(self) -> int:
        """Return how many refreshes presented a refresh token an earlier refresh had spent."""
        with self._lock:
            return self._refresh_reuses

    def script(self, operation: str, steps: list[Step]) -> None:
        """Queue faults for ``operation``; each request to it consumes one step, in order.

        Steps: ``("status", code)`` an error with that HTTP status; ``("error", code_or_shape)``
        a protocol error (``"slow_down"``, ``"invalid_grant"``, ``"UnauthorizedException"``...);
        ``("delay", seconds)`` wait, then answer normally; ``("reset",)`` close the connection
        with a TCP reset; ``("huge_body", n)`` a 200 with an ``n``-byte JSON body;
        ``("raw", status, body, content_type)`` exactly that.
        """
        super().script(operation, steps)

    # -- what tests do -----------------------------------------------------------------------

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired (the portal answers 401 from now on)."""
        with self._lock:
            for token in self._access.values():
                token.expires_at = min(token.expires_at, self.clock() - 1)

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token issued so far unusable (``invalid_grant``)."""
        with self._lock:
            for token in self._refresh.values():
                token.used = True

    def revoke_clients(self) -> None:
        """Revoke every client registration so far (``invalid_client`` from now on)."""
        with self._lock:
            for client in self._clients.values():
                client.revoked = True

    def issue_session(self, *, scopes: list[str] | None = None) -> dict[str, Any]:
        """Register a client and sign a user in without any flow, as if logged in earlier.

        Returns ``clientId``, ``clientSecret``, ``clientSecretExpiresAt`` and the CreateToken
        fields (``accessToken``, ``expiresIn``, ``refreshToken``...), for seeding token caches.
        """
        with self._lock:
            registration = self._register_client(
                {"clientName": "standin-preauthorized", "clientType": "public", "scopes": scopes}
            )
            tokens = self._issue_tokens(registration["clientId"], scopes or [])
            self._authorizations += 1
        return {**registration, **tokens}

    # -- plumbing ----------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        operation = ROUTES.get((handler.command, url.path), "Unknown")
        raw = self._read_body(
            handler, _html(413, "Request too large", "The request body is too large.")
        )
        if raw is None:
            return
        body: object = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        grant = None
        if operation == "CreateToken" and isinstance(body, dict):
            value = body.get("grantType")
            grant = _GRANT_NAMES.get(value, value) if isinstance(value, str) else None
        elif operation == "Sts":  # which STS action, for sts_calls()
            grant = parse_qs(raw.decode("utf-8", "replace")).get("Action", [None])[0]
        if operation not in PORTAL_OPERATIONS:
            reply = self._serve(operation, handler, url.path, grant, raw, body)
            if reply is not None:
                handler.send(reply)
            return
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            reply = self._serve(operation, handler, url.path, grant, raw, body)
        finally:
            with self._lock:  # before the answer goes out: the client's next call may follow it
                self._in_flight -= 1
        if reply is not None:
            handler.send(reply)

    def _serve(
        self,
        operation: str,
        handler: _Handler,
        path: str,
        grant: str | None,
        raw: bytes,
        body: object,
    ) -> Reply | None:
        """Return the answer to send (None when the connection was answered or dropped)."""
        step = self._arrive(operation, handler, path, grant)
        if step is None and operation in PORTAL_OPERATIONS:  # a scripted step comes first
            allowed = self._take_token()
            if self.portal_latency > 0 and self._stopping.wait(self.portal_latency):
                handler.reset()
                return None
            if not allowed:
                with self._lock:
                    self._throttled[operation] = self._throttled.get(operation, 0) + 1
                return _portal_error_reply("TooManyRequestsException", "Rate exceeded")
        if step is not None:
            if self._play(handler, step):
                return None
            if step[0] != "delay":
                return self._fault(operation, step)
        query = {
            k: v[0]
            for k, v in parse_qs(urlsplit(handler.path).query, keep_blank_values=True).items()
        }
        try:
            reply = self._answer(operation, handler, query, raw, body)
        except Exception as exc:  # noqa: BLE001 - a stand-in bug (or moto gone) answers 500
            message = f"stand-in failure: {type(exc).__name__}"
            if operation in PORTAL_OPERATIONS:
                reply = _json_reply(500, {"message": message})
            else:
                reply = _oidc_error_reply("server_error", message)
        return reply

    def _take_token(self) -> bool:
        """Take one request from the portal's token bucket; False when it is empty (429)."""
        rate = self.portal_rate
        if rate is None:
            return True
        burst = max(1.0, self.portal_burst if self.portal_burst is not None else rate)
        with self._lock:
            now = time.monotonic()
            left, counted = self._bucket if self._bucket is not None else (burst, now)
            left = min(burst, left + (now - counted) * rate)
            if left < 1:
                self._bucket = (left, now)
                return False
            self._bucket = (left - 1, now)
            return True

    def _fault(self, operation: str, step: Step) -> Reply:
        kind = step[0]
        portal = operation in PORTAL_OPERATIONS
        if kind == "status":
            status = int(step[1])
            shape = {
                400: "InvalidRequestException",
                401: "UnauthorizedException" if portal else "InvalidClientException",
                403: "ForbiddenException",
                404: "ResourceNotFoundException",
                429: "TooManyRequestsException",
                500: "InternalServerException",
                503: "ServiceUnavailableException",
            }.get(status, f"Http{status}Exception")
            message = f"scripted HTTP {status}"
            if portal:
                return _json_reply(status, {"message": message}, (("x-amzn-ErrorType", shape),))
            error = {400: "invalid_request", 401: "invalid_client"}.get(status, "server_error")
            payload = {"error": error, "error_description": message}
            return _json_reply(status, payload, (("x-amzn-ErrorType", shape),))
        if kind == "error":
            code = str(step[1])
            if code in OIDC_ERRORS:
                return _oidc_error_reply(code, f"scripted {code}")
            return _portal_error_reply(code, f"scripted {code}")
        status, payload, content_type = step[1], step[2], step[3]  # "raw"
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        return Reply(int(status), data, (("Content-Type", str(content_type)),))

    def _answer(
        self, operation: str, handler: _Handler, query: dict[str, str], raw: bytes, body: object
    ) -> Reply:
        if operation == "Unknown":
            return _json_reply(
                404, {"message": f"no route for {handler.command} {urlsplit(handler.path).path}"}
            )
        if operation == "Authorize":
            return self._authorize(query)
        if operation == "Device":
            return self._device_page(query)
        if operation == "Sts":
            return self._sts_answer(handler, raw)
        if operation in PORTAL_OPERATIONS:
            try:
                return self._portal(operation, handler.headers.get("x-amz-sso_bearer_token"), query)
            except PortalError as exc:
                return _portal_error_reply(exc.shape, exc.message)
        if not isinstance(body, dict):
            message = "the body must be a JSON object" if raw else "empty body"
            return _oidc_error_reply("invalid_request", message)
        if "aws_iam" in query:
            return _oidc_error_reply("invalid_request", "CreateTokenWithIAM is not supported")
        try:
            if operation == "RegisterClient":
                with self._lock:
                    return _json_reply(200, self._register_client(body))
            if operation == "StartDeviceAuthorization":
                return _json_reply(200, self._start_device_authorization(body))
            return _json_reply(200, self._create_token(body))
        except OAuthError as exc:
            return _oidc_error_reply(exc.error, exc.description)

    # -- sso-oidc ----------------------------------------------------------------------------

    def _register_client(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("clientName")
        if not isinstance(name, str) or not name:
            raise OAuthError("invalid_request", "clientName is required")
        if body.get("clientType") != "public":
            raise OAuthError("invalid_client_metadata", "clientType must be public")
        grant_types = _strings(body.get("grantTypes"))
        redirect_uris = _strings(body.get("redirectUris"))
        scopes = _strings(body.get("scopes"))
        if grant_types is None or redirect_uris is None or scopes is None:
            raise OAuthError("invalid_request", "grantTypes, redirectUris and scopes are lists")
        for grant in grant_types:
            if grant not in _GRANT_NAMES:
                raise OAuthError("unsupported_grant_type", f"unsupported grant type {grant}")
        for uri in redirect_uris:
            parts = urlsplit(uri)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise OAuthError("invalid_redirect_uri", "redirect URIs must be absolute http(s)")
            if parts.scheme == "http" and parts.hostname not in (LOOPBACK, "localhost", "::1"):
                raise OAuthError("invalid_redirect_uri", "plain http is only for loopback")
        if CODE_GRANT in grant_types and not redirect_uris:
            raise OAuthError("invalid_redirect_uri", "authorization_code needs redirectUris")
        now = int(self.clock())
        client = Client(
            client_id=f"standin-client-{secrets.token_urlsafe(12)}",
            secret=self._secret("clientsecret"),
            name=name,
            grant_types=grant_types,
            redirect_uris=redirect_uris,
            scopes=scopes,
            issued_at=now,
            expires_at=now + self.client_secret_lifetime,
        )
        self._clients[client.client_id] = client
        answer: dict[str, Any] = {
            "clientId": client.client_id,
            "clientSecret": client.secret,
            "clientIdIssuedAt": client.issued_at,
            "clientSecretExpiresAt": client.expires_at,
        }
        if redirect_uris and self._server is not None:
            answer["authorizationEndpoint"] = f"{self.base_url}/authorize"
            answer["tokenEndpoint"] = f"{self.base_url}/token"
        return answer

    def _client(self, body: dict[str, Any]) -> Client:
        client = self._clients.get(str(body.get("clientId")))
        if client is None or not secrets.compare_digest(
            client.secret, str(body.get("clientSecret"))
        ):
            raise OAuthError("invalid_client", "unknown client or wrong client secret")
        if client.revoked:
            raise OAuthError("invalid_client", "the client registration was revoked")
        if self.clock() >= client.expires_at:
            raise OAuthError("invalid_client", "the client registration has expired")
        return client

    def _start_device_authorization(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            client = self._client(body)
            if not client.allows(DEVICE_GRANT):
                raise OAuthError("unauthorized_client", "this client may not use the device grant")
            start_url = body.get("startUrl")
            if not isinstance(start_url, str) or not start_url:
                raise OAuthError("invalid_request", "startUrl is required")
            device = self._device_codes.issue(
                client.client_id,
                self._secret("devicecode"),
                expires_at=self.clock() + self.device_expires_in,
                interval=self.interval,
            )
        page = f"{self.base_url}/device"
        return {
            "deviceCode": device.device_code,
            "userCode": device.user_code,
            "verificationUri": page,
            "verificationUriComplete": f"{page}?user_code={device.user_code}",
            "expiresIn": self.device_expires_in,
            "interval": self.interval,
        }

    def _create_token(self, body: dict[str, Any]) -> dict[str, Any]:
        grant = body.get("grantType")
        with self._lock:
            client = self._client(body)
            if grant not in _GRANT_NAMES:
                raise OAuthError("unsupported_grant_type", f"unsupported grant type {grant}")
            if not client.allows(str(grant)):
                raise OAuthError("unauthorized_client", f"this client may not use {grant}")
            if grant == DEVICE_GRANT:
                return self._device_grant(client, body)
            if grant == CODE_GRANT:
                return self._code_grant(client, body)
            return self._refresh_grant(client, body)

    def _device_grant(self, client: Client, body: dict[str, Any]) -> dict[str, Any]:
        self._device_codes.poll(
            str(body.get("deviceCode")),
            client.client_id,
            now=self.clock(),
            enforce_interval=self.enforce_interval,
            auto_approve_after_polls=self.auto_approve_device_after_polls,
            deny=self.deny,
        )
        return self._issue_tokens(client.client_id, client.scopes)

    def _code_grant(self, client: Client, body: dict[str, Any]) -> dict[str, Any]:
        code = self._codes.get(str(body.get("code")))
        if code is None or code.used:
            raise OAuthError("invalid_grant", "unknown or used authorization code")
        code.used = True  # single use, whether or not this attempt succeeds
        if code.client_id != client.client_id:
            raise OAuthError("invalid_grant", "the code was issued to another client")
        if self.clock() >= code.expires_at:
            raise OAuthError("invalid_grant", "the authorization code has expired")
        if body.get("redirectUri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirectUri differs from the authorization request")
        verifier = body.get("codeVerifier")
        if not isinstance(verifier, str) or not secrets.compare_digest(
            _challenge(verifier), code.challenge
        ):
            raise OAuthError("invalid_grant", "codeVerifier does not match the code challenge")
        return self._issue_tokens(client.client_id, code.scopes)

    def _refresh_grant(self, client: Client, body: dict[str, Any]) -> dict[str, Any]:
        token = self._refresh.get(str(body.get("refreshToken")))
        if token is not None and token.rotated:
            self._refresh_reuses += 1
        if not self.refresh_tokens_enabled or token is None or token.used:
            raise OAuthError("invalid_grant", "unknown or used refresh token")
        if token.client_id != client.client_id:
            raise OAuthError("invalid_grant", "the refresh token was issued to another client")
        token.used = token.rotated = True
        return self._issue_tokens(client.client_id, token.scopes)

    def _issue_tokens(self, client_id: str, scopes: list[str]) -> dict[str, Any]:
        access = self._secret("accesstoken")
        self._access[access] = AccessToken(client_id, self.clock() + self.access_token_lifetime)
        answer: dict[str, Any] = {
            "accessToken": access,
            "tokenType": "Bearer",
            "expiresIn": self.access_token_lifetime,
        }
        if self.refresh_tokens_enabled:
            refresh = self._secret("refreshtoken")
            self._refresh[refresh] = RefreshToken(client_id, list(scopes))
            answer["refreshToken"] = refresh
        return answer

    def _device_page(self, query: dict[str, str]) -> Reply:
        with self._lock:
            page = self._device_codes.activate(
                query.get("user_code"), now=self.clock(), deny=self.deny
            )
        return _html(*page)

    def _authorize(self, query: dict[str, str]) -> Reply:
        with self._lock:
            client = self._clients.get(query.get("client_id", ""))
            if client is None or client.revoked or self.clock() >= client.expires_at:
                return _html(400, "Invalid client", "The client is unknown or expired.")
            redirect_uri = query.get("redirect_uri", "")
            if not any(
                uri == redirect_uri or _loopback_match(uri, redirect_uri)
                for uri in client.redirect_uris
            ):
                return _html(400, "Invalid redirect", "The redirect URI is not registered.")
            back: dict[str, str] = {}
            scopes = query.get("scopes", "").split()
            if query.get("response_type") != "code":
                back["error"] = "unsupported_response_type"
            elif not client.allows(CODE_GRANT):
                back["error"] = "unauthorized_client"
            elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                back["error"] = "invalid_request"
            elif client.scopes and not set(scopes) <= set(client.scopes):
                back["error"] = "invalid_scope"
            elif self.deny:
                back["error"] = "access_denied"
            else:
                code = self._secret("authcode")
                self._codes[code] = AuthCode(
                    client_id=client.client_id,
                    redirect_uri=redirect_uri,
                    challenge=query["code_challenge"],
                    scopes=scopes,
                    expires_at=self.clock() + self.authorization_code_lifetime,
                )
                self._authorizations += 1
                back["code"] = code
        if "state" in query:
            back["state"] = query["state"]
        location = f"{redirect_uri}?{urlencode(back, quote_via=quote)}"
        return Reply(302, b"", (("Location", location), ("Cache-Control", "no-store")))

    # -- sso portal --------------------------------------------------------------------------

    def _portal(self, operation: str, bearer: str | None, query: dict[str, str]) -> Reply:
        with self._lock:
            token = self._access.get(bearer or "")
            if token is None or token.revoked or self.clock() >= token.expires_at:
                raise PortalError("UnauthorizedException", "Session token not found or invalid")
            if operation == "Logout":
                token.revoked = True
                return Reply(200, b"", (("x-amzn-RequestId", str(uuid.uuid4())),))
        if operation == "ListAccounts":
            items = [
                {
                    "accountId": account,
                    "accountName": name,
                    "emailAddress": f"aws+{name.lower()}@example.com",
                }
                for account, (name, _roles) in sorted(self.accounts.items())
            ]
            return _json_reply(200, self._page("accountList", "accounts", items, query))
        account = query.get("account_id", "")
        if not account:
            raise PortalError("InvalidRequestException", "account_id is required")
        if account not in self.accounts:
            raise PortalError("ForbiddenException", "No access")
        roles = self.accounts[account][1]
        if operation == "ListAccountRoles":
            items = [{"roleName": role, "accountId": account} for role in sorted(roles)]
            return _json_reply(200, self._page("roleList", f"roles:{account}", items, query))
        role = query.get("role_name", "")
        if not role:
            raise PortalError("InvalidRequestException", "role_name is required")
        if role not in roles:
            raise PortalError("ForbiddenException", "No access")
        return _json_reply(200, {"roleCredentials": self._role_credentials(account, role)})

    def _page(
        self, key: str, kind: str, items: list[dict[str, str]], query: dict[str, str]
    ) -> dict[str, Any]:
        size = self.page_size
        if "max_result" in query:
            try:
                wanted = int(query["max_result"])
            except ValueError:
                wanted = 0
            if not 1 <= wanted <= 100:
                raise PortalError("InvalidRequestException", "max_result must be 1 to 100")
            size = min(size, wanted)
        offset = 0
        if query.get("next_token"):
            try:
                token_kind, _, number = (
                    base64.urlsafe_b64decode(query["next_token"]).decode().rpartition("|")
                )
                offset = int(number)
            except (ValueError, binascii.Error, UnicodeDecodeError):
                token_kind = ""
            if token_kind != kind or not 0 < offset < len(items):
                raise PortalError("InvalidRequestException", "invalid next_token")
        answer: dict[str, Any] = {key: items[offset : offset + size]}
        if offset + size < len(items):
            answer["nextToken"] = base64.urlsafe_b64encode(
                f"{kind}|{offset + size}".encode()
            ).decode()
        return answer

    def _role_credentials(self, account: str, role: str) -> dict[str, Any]:
        if self.sts_endpoint:
            response = self._sts_client().assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{role}",
                RoleSessionName=self.user_name,
                DurationSeconds=self.role_credentials_lifetime,
            )
            minted = response["Credentials"]
            with self._lock:
                self._canaries += [minted["SecretAccessKey"], minted["SessionToken"]]
            return {
                "accessKeyId": minted["AccessKeyId"],
                "secretAccessKey": minted["SecretAccessKey"],
                "sessionToken": minted["SessionToken"],
                "expiration": int(minted["Expiration"].timestamp() * 1000),
            }
        with self._lock:
            access_key = "ASIA" + secrets.token_hex(8).upper()
            self._minted[access_key] = (account, role)
            return {
                "accessKeyId": access_key,
                "secretAccessKey": self._secret("secretaccesskey"),
                "sessionToken": self._secret("sessiontoken"),
                "expiration": int((self.clock() + self.role_credentials_lifetime) * 1000),
            }

    def _sts_answer(self, handler: _Handler, raw: bytes) -> Reply:
        """Answer STS GetCallerIdentity (query protocol, XML) for keys this stand-in minted.

        AssumeRole is answered too (:meth:`_assume_role`).

        ``awsenv demo`` runs without moto, so ``aws sts get-caller-identity`` after
        ``awsenv use`` is answered here: the caller is found by the access key id in the SigV4
        ``Credential=`` of the Authorization header (the signature itself is not checked).
        """
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        authorization = handler.headers.get("Authorization", "")
        access_key = authorization.partition("Credential=")[2].partition("/")[0]
        with self._lock:
            caller = self._minted.get(access_key)
        namespace = "https://sts.amazonaws.com/doc/2011-06-15/"
        if form.get("Action") == "AssumeRole":
            return self._assume_role(form, namespace)
        if form.get("Action") != "GetCallerIdentity":
            return _sts_error(
                400, "InvalidAction", "the stand-in answers only GetCallerIdentity and AssumeRole"
            )
        if caller is None:
            return _sts_error(403, "InvalidClientTokenId", "The security token is not valid.")
        account, role = caller
        body = (
            f'<GetCallerIdentityResponse xmlns="{namespace}"><GetCallerIdentityResult>'
            f"<Arn>arn:aws:sts::{account}:assumed-role/{role}/{self.user_name}</Arn>"
            f"<UserId>AROA{account}:{self.user_name}</UserId><Account>{account}</Account>"
            "</GetCallerIdentityResult><ResponseMetadata>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>"
        ).encode()
        return Reply(200, body, (("Content-Type", "text/xml"),))

    def _assume_role(self, form: dict[str, str], namespace: str) -> Reply:
        """Answer AssumeRole of any ``arn:aws:iam::ACCOUNT:role/NAME`` with fresh keys.

        Any caller may assume any role (the signature is not checked): enough to count the calls
        many shells make for one role (tests/faults/test_locks.py, bench/stress.py).
        """
        arn = form.get("RoleArn", "")
        account, _, role = arn.removeprefix("arn:aws:iam::").partition(":role/")
        if not (account.isdigit() and role):
            return _sts_error(400, "ValidationError", "RoleArn is not a role ARN")
        lifetime = form.get("DurationSeconds", "")
        seconds = int(lifetime) if lifetime.isdigit() else 3600
        session = form.get("RoleSessionName", self.user_name)
        with self._lock:
            access_key = "ASIA" + secrets.token_hex(8).upper()
            self._minted[access_key] = (account, role)
            secret, token = self._secret("secretaccesskey"), self._secret("sessiontoken")
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock() + seconds))
        body = (
            f'<AssumeRoleResponse xmlns="{namespace}"><AssumeRoleResult><Credentials>'
            f"<AccessKeyId>{access_key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>{expires}</Expiration>"
            f"</Credentials><AssumedRoleUser><Arn>arn:aws:sts::{account}:assumed-role/{role}/"
            f"{session}</Arn><AssumedRoleId>AROA{account}:{session}</AssumedRoleId>"
            "</AssumedRoleUser></AssumeRoleResult><ResponseMetadata>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></AssumeRoleResponse>"
        ).encode()
        return Reply(200, body, (("Content-Type", "text/xml"),))

    def _sts_client(self) -> Any:
        """Return a botocore STS client for ``sts_endpoint``, isolated from the user's AWS files."""
        with self._lock:
            if self._sts is None:
                # importlib keeps mypy from needing botocore's (absent) type information.
                session = importlib.import_module("botocore.session").Session()
                session.set_config_variable("config_file", os.devnull)
                session.set_config_variable("credentials_file", os.devnull)
                session.set_config_variable("profile", None)
                self._sts = session.create_client(
                    "sts",
                    region_name="us-east-1",
                    endpoint_url=self.sts_endpoint,
                    aws_access_key_id="standin",
                    aws_secret_access_key="standin",  # noqa: S106 - moto accepts any key
                )
            return self._sts
