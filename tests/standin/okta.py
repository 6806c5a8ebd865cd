"""A local Okta org for the okta-aws-cli ``web`` flow, on one loopback port.

It answers what okta-aws-cli 2.6 asks of a real org (its ``web`` flow): the org check,
OIDC device authorization, the token endpoint (device grant with its pending, slow-down, denied
and expired answers, refresh grant, token exchange for a web SSO token), the AWS app links, and
``/login/token/sso`` (POST form, and the legacy GET query) returning the HTML form that carries a
base64 ``samlp:Response``. Every secret it hands out carries a ``CANARY-<hex>`` marker (or, for
the base64 assertion, is listed as is) in ``canaries()``, so tests can grep output for leaks.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qs, quote, urlsplit

from awsenv.demo.base import CANARY as CANARY  # what tests grep output for
from awsenv.demo.base import (
    LoopbackStandIn,
    QuietHandler,
    Reply,
    Step,
)
from awsenv.demo.device import DeviceCodeControls, DeviceCodes, OAuthError, Page, Wording

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
DEVICE_SECRET_TYPE = "urn:x-oath:params:oauth:token-type:device-secret"
WEB_SSO_TOKEN_TYPE = "urn:okta:oauth:token-type:web_sso_token"
APP_AUDIENCE_PREFIX = "urn:okta:apps:"
SAML_ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
SAML_ROLE_SESSION_NAME = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
SAML_SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
AWS_SAML_ENDPOINT = "https://signin.aws.amazon.com/saml"
DEFAULT_CLIENT_ID = "0oaStandInOidcApp"
DEFAULT_APP_ID = "0oaStandInAwsFedApp"
DEFAULT_ROLES: list[tuple[str, str]] = [
    ("arn:aws:iam::123456789012:role/OktaAdmin", "arn:aws:iam::123456789012:saml-provider/Okta"),
]
ROLE_ORDERS = ("provider,role", "role,provider")
_GRANT_NAMES = {
    DEVICE_GRANT: "device_code",
    REFRESH_GRANT: "refresh_token",
    EXCHANGE_GRANT: "token_exchange",
}
# (method, path) → operation name.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/.well-known/okta-organization"): "OrgCheck",
    ("POST", "/oauth2/v1/device/authorize"): "DeviceAuthorize",
    ("POST", "/oauth2/v1/token"): "Token",
    ("GET", "/activate"): "Activate",
    ("GET", "/api/v1/users/me/appLinks"): "AppLinks",
    ("POST", "/login/token/sso"): "Saml",
    ("GET", "/login/token/sso"): "Saml",
}
FAULTS = frozenset({"status", "raw", "huge_body", "delay", "reset", "error"})
_OAUTH_STATUS = {"invalid_client": 401, "server_error": 500}


WORDING = Wording(
    invalid="The device code is invalid or has been used.",
    expired="The device code has expired.",
    slow_down="The client is polling too frequently.",
    denied="The resource owner or authorization server denied the request.",
    pending="The device authorization is pending.",
    prompt_page=Page(200, "Activate your device", "Enter the code shown on your device."),
    approved_page=Page(200, "Device activated", "Follow the instructions on your device."),
    denied_page=Page(200, "Access denied", "The sign-in was denied."),
)


@dataclass
class Issued:
    """A token the org issued: who for, until when, and whether it may still be used."""

    client_id: str
    expires_at: float
    scope: str = ""
    used: bool = False


def _json_reply(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = json.dumps(payload).encode("utf-8")
    return Reply(
        status,
        body,
        (("Content-Type", "application/json"), ("X-Okta-Request-Id", uuid.uuid4().hex), *headers),
    )


def _oauth_error_reply(error: str, description: str) -> Reply:
    payload = {"error": error, "error_description": description}
    return _json_reply(_OAUTH_STATUS.get(error, 400), payload, (("Cache-Control", "no-store"),))


def _api_error_reply(status: int, code: str, summary: str) -> Reply:
    """An Okta management-API error (``errorCode``/``errorSummary``), as /api/v1 answers."""
    payload = {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oae" + secrets.token_hex(8),
        "errorCauses": [],
    }
    return _json_reply(status, payload)


def _html(status: int, title: str, text: str) -> Reply:
    page = (
        '<!doctype html><meta charset="utf-8"><title>Okta stand-in</title>'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>\n"
    ).encode()
    return Reply(status, page, (("Content-Type", "text/html; charset=utf-8"),))


def _okta_escape(value: str) -> str:
    """Escape a form value the way Okta's pages do (``+`` → ``&#x2b;``, ``=`` → ``&#x3d;``)."""
    return html.escape(value).replace("+", "&#x2b;").replace("=", "&#x3d;").replace("/", "&#x2f;")


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


class _Handler(QuietHandler):
    server_version = "OktaStandIn"


class OktaStandIn(DeviceCodeControls, LoopbackStandIn):
    """An Okta org (OIE) serving okta-aws-cli's ``web`` flow on ``127.0.0.1`` only.

    Options are public attributes and may be changed while it runs (``deny``, ``roles``,
    ``role_order``, ``refresh_tokens``, ``auto_approve_after_polls``...). ``clock`` (epoch seconds)
    drives every expiry, so tests can move time instead of sleeping.

    Args:
        roles: ``(role ARN, SAML provider ARN)`` pairs put into the assertion's Role attribute.
        role_order: how each Role value is written: ``"provider,role"`` (what Okta emits) or
            ``"role,provider"`` (AWS's documentation order).
        interval: the polling interval the device authorization asks for (seconds).
        device_expires_in: lifetime of a device code (seconds).
        deny: the user denies every device authorization (through ``/activate`` or auto-approval).
        auto_approve_after_polls: approve (or, with ``deny``, deny) a device code once it has
            been polled this many times while pending; None waits for ``approve()``/``/activate``.
        refresh_tokens: issue refresh tokens (``offline_access``) and accept the refresh grant.
        session_duration: the SessionDuration attribute; None leaves the attribute out.
        role_session_name: the RoleSessionName attribute (and the assertion's NameID).
        client_id: the OIDC native app's client id; other client ids get ``invalid_client``.
        app_id: the AWS Account Federation app's id (token-exchange audience, SAML app).
        pipeline: what ``/.well-known/okta-organization`` reports (``"idx"`` OIE, ``"v1"`` Classic).
        enforce_interval: answer ``slow_down`` (and add 5 s to the interval) to polls that come
            sooner than the interval after the previous one.
        access_token_lifetime: lifetime of access and id tokens (Okta fixes it at one hour).
        web_sso_token_lifetime: lifetime of a web SSO token (single use either way).
        clock: epoch seconds for every expiry.
        port: port to listen on (0: a free one).
    """

    handler_class = _Handler
    faults = FAULTS

    def __init__(
        self,
        *,
        roles: list[tuple[str, str]] | None = None,
        role_order: str = "provider,role",
        interval: int = 1,
        device_expires_in: int = 600,
        deny: bool = False,
        auto_approve_after_polls: int | None = None,
        refresh_tokens: bool = True,
        session_duration: int | None = 3600,
        role_session_name: str = "user@example.com",
        client_id: str = DEFAULT_CLIENT_ID,
        app_id: str = DEFAULT_APP_ID,
        pipeline: str = "idx",
        enforce_interval: bool = False,
        access_token_lifetime: int = 3600,
        web_sso_token_lifetime: int = 300,
        clock: Callable[[], float] = time.time,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        if role_order not in ROLE_ORDERS:
            raise ValueError(f"role_order must be one of {ROLE_ORDERS}")
        self.roles = list(DEFAULT_ROLES if roles is None else roles)
        self.role_order = role_order
        self.interval = interval
        self.device_expires_in = device_expires_in
        self.deny = deny
        self.auto_approve_after_polls = auto_approve_after_polls
        self.refresh_tokens = refresh_tokens
        self.session_duration = session_duration
        self.role_session_name = role_session_name
        self.client_id = client_id
        self.app_id = app_id
        self.pipeline = pipeline
        self.enforce_interval = enforce_interval
        self.access_token_lifetime = access_token_lifetime
        self.web_sso_token_lifetime = web_sso_token_lifetime
        self.clock = clock

        self._device_codes = DeviceCodes(WORDING, grouped=False, on_approve=self._count_sign_in)
        self._access: dict[str, Issued] = {}
        self._id_tokens: dict[str, Issued] = {}
        self._refresh: dict[str, Issued] = {}
        self._device_secrets: dict[str, Issued] = {}
        self._web_sso: dict[str, Issued] = {}
        self._assertions = 0
        self.last_form: dict[str, dict[str, str]] = {}  # operation → form fields last received

    # -- lifecycle ---------------------------------------------------------------------------

    def profile(self) -> dict[str, str]:
        """Return the Okta keys of a profile that signs in here."""
        return {
            "okta_org_url": self.base_url,
            "okta_oidc_client_id": self.client_id,
            "okta_aws_acct_fed_app_id": self.app_id,
        }

    # -- what tests look at ------------------------------------------------------------------

    @property
    def assertions(self) -> int:
        """Return the number of SAML responses handed out."""
        with self._lock:
            return self._assertions

    def grant_calls(self, grant: str) -> int:
        """Return how many token requests used ``grant`` (device_code, token_exchange...)."""
        with self._lock:
            return sum(1 for r in self._requests if r.operation == "Token" and r.grant == grant)

    def script(self, operation: str, steps: list[Step]) -> None:
        """Queue faults for ``operation``; each request to it consumes one step, in order.

        Steps: ``("status", code)`` an OAuth error body with that HTTP status;
        ``("error", code)`` an OAuth error (``"slow_down"``, ``"invalid_grant"``...);
        ``("raw", status, body, content_type)`` exactly that; ``("huge_body", n)`` a 200 whose
        JSON body is ``n`` bytes long (streamed); ``("delay", seconds)`` wait, then answer
        normally; ``("reset",)`` close the connection with a TCP reset.
        """
        super().script(operation, steps)

    # -- what tests do -----------------------------------------------------------------------

    def approve(self, user_code: str) -> None:
        """Approve a device authorization (the name Okta's tests use)."""
        self.approve_device(user_code)

    def expire_access_tokens(self) -> None:
        """Make every access and id token issued so far expired."""
        with self._lock:
            for token in (*self._access.values(), *self._id_tokens.values()):
                token.expires_at = min(token.expires_at, self.clock() - 1)

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token issued so far unusable (``invalid_grant``)."""
        with self._lock:
            for token in self._refresh.values():
                token.used = True

    def issue_tokens(self) -> dict[str, Any]:
        """Sign the user in without any flow (as if earlier); return the token endpoint JSON."""
        with self._lock:
            self._authorizations += 1
            return self._issue_tokens(self.client_id, "openid offline_access okta.apps.sso")

    def saml_response(self) -> str:
        """Return a base64 SAMLResponse as ``/login/token/sso`` would put into its form."""
        with self._lock:
            return self._saml_response()

    # -- plumbing ----------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        operation = ROUTES.get((handler.command, url.path), "Unknown")
        raw = self._read_body(
            handler, _html(413, "Request too large", "The request body is too large.")
        )
        if raw is None:
            return
        form: dict[str, str] = {}
        content_type = handler.headers.get("Content-Type", "")
        if raw and content_type.split(";")[0].strip() == "application/x-www-form-urlencoded":
            parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
            form = {k: v[0] for k, v in parsed.items()}
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        grant = None
        if operation == "Token":
            value = form.get("grant_type")
            grant = _GRANT_NAMES.get(value, value) if value else None
        with self._lock:
            self.last_form[operation] = dict(form)
        step = self._arrive(operation, handler, url.path, grant)
        if step is not None:
            if self._play(handler, step):
                return
            if step[0] != "delay":
                handler.send(self._fault(step))
                return
        try:
            reply = self._answer(operation, handler, query, form)
        except OAuthError as exc:
            reply = _oauth_error_reply(exc.error, exc.description)
        except Exception as exc:
            reply = _oauth_error_reply("server_error", f"stand-in failure: {type(exc).__name__}")
        handler.send(reply)

    def _fault(self, step: Step) -> Reply:
        kind = step[0]
        if kind == "error":
            return _oauth_error_reply(str(step[1]), f"scripted {step[1]}")
        if kind == "status":
            status = int(step[1])
            error = {400: "invalid_request", 401: "invalid_client"}.get(status, "server_error")
            payload = {"error": error, "error_description": f"scripted HTTP {status}"}
            return _json_reply(status, payload)
        if kind == "raw":
            status, payload, content_type = step[1], step[2], step[3]
            data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
            return Reply(int(status), data, (("Content-Type", str(content_type)),))
        raise ValueError(f"unknown fault step {step!r}")

    def _answer(
        self, operation: str, handler: _Handler, query: dict[str, str], form: dict[str, str]
    ) -> Reply:
        if operation == "OrgCheck":
            return _json_reply(
                200,
                {
                    "id": "00oStandInOrg",
                    "pipeline": self.pipeline,
                    "_links": {"organization": {"href": self.base_url}},
                    "settings": {"analyticsCollectionEnabled": False},
                },
            )
        if operation == "DeviceAuthorize":
            return _json_reply(200, self._device_authorize(form))
        if operation == "Token":
            return _json_reply(200, self._token(form), (("Cache-Control", "no-store"),))
        if operation == "Activate":
            return self._activate(query)
        if operation == "AppLinks":
            return self._app_links(handler.headers.get("Authorization", ""))
        if operation == "Saml":
            token = form.get("token") if handler.command == "POST" else query.get("token")
            return self._saml_page(token or "")
        return _api_error_reply(404, "E0000022", "The endpoint does not support the HTTP method.")

    def _client(self, form: dict[str, str]) -> str:
        client_id = form.get("client_id", "")
        if client_id != self.client_id:
            raise OAuthError("invalid_client", "Invalid value for 'client_id' parameter.")
        return client_id

    # -- device authorization ------------------------------------------------------------------

    def _device_authorize(self, form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            client_id = self._client(form)
            scope = form.get("scope", "")
            if "openid" not in scope.split():
                raise OAuthError("invalid_scope", "The 'openid' scope is required.")
            device = self._device_codes.issue(
                client_id,
                self._secret("devicecode"),
                expires_at=self.clock() + self.device_expires_in,
                interval=self.interval,
                scope=scope,
            )
        page = f"{self.base_url}/activate"
        return {
            "device_code": device.device_code,
            "user_code": device.user_code,
            "verification_uri": page,
            "verification_uri_complete": f"{page}?user_code={quote(device.user_code)}",
            "expires_in": self.device_expires_in,
            "interval": self.interval,
        }

    def _activate(self, query: dict[str, str]) -> Reply:
        """The page the user's browser opens: approves (or with ``deny``, denies) the code."""
        with self._lock:
            page = self._device_codes.activate(
                query.get("user_code"), now=self.clock(), deny=self.deny
            )
        return _html(*page)

    # -- token endpoint ------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        grant = form.get("grant_type")
        with self._lock:
            client_id = self._client(form)
            if grant == DEVICE_GRANT:
                return self._device_grant(client_id, form)
            if grant == REFRESH_GRANT:
                return self._refresh_grant(client_id, form)
            if grant == EXCHANGE_GRANT:
                return self._exchange(client_id, form)
        raise OAuthError("unsupported_grant_type", "The grant type is not supported.")

    def _device_grant(self, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        device = self._device_codes.poll(
            form.get("device_code", ""),
            client_id,
            now=self.clock(),
            enforce_interval=self.enforce_interval,
            auto_approve_after_polls=self.auto_approve_after_polls,
            deny=self.deny,
        )
        return self._issue_tokens(client_id, device.scope)

    def _refresh_grant(self, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        token = self._refresh.get(form.get("refresh_token", ""))
        if not self.refresh_tokens or token is None or token.used:
            raise OAuthError("invalid_grant", "The refresh token is invalid or expired.")
        if token.client_id != client_id:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
        token.used = True  # rotation: every refresh hands out a new one
        return self._issue_tokens(client_id, token.scope)

    def _exchange(self, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        """Token exchange as okta-aws-cli sends it: actor = access token, subject = id token.

        A device secret (Okta's native SSO) is accepted as the actor too.
        """
        now = self.clock()
        actor_type = form.get("actor_token_type")
        actor = form.get("actor_token", "")
        if actor_type == ACCESS_TOKEN_TYPE:
            actor_token = self._access.get(actor)
        elif actor_type == DEVICE_SECRET_TYPE:
            actor_token = self._device_secrets.get(actor)
        else:
            raise OAuthError("invalid_request", "The 'actor_token_type' is not supported.")
        if form.get("subject_token_type") != ID_TOKEN_TYPE:
            raise OAuthError("invalid_request", "The 'subject_token_type' is not supported.")
        if form.get("requested_token_type", WEB_SSO_TOKEN_TYPE) != WEB_SSO_TOKEN_TYPE:
            raise OAuthError("invalid_request", "The 'requested_token_type' is not supported.")
        subject = self._id_tokens.get(form.get("subject_token", ""))
        if (
            actor_token is None
            or actor_token.client_id != client_id
            or now >= actor_token.expires_at
        ):
            raise OAuthError("invalid_grant", "The 'actor_token' is invalid or expired.")
        if subject is None or subject.client_id != client_id or now >= subject.expires_at:
            raise OAuthError("invalid_grant", "The 'subject_token' is invalid or expired.")
        if "okta.apps.sso" not in actor_token.scope.split():
            raise OAuthError("invalid_scope", "The 'okta.apps.sso' scope was not granted.")
        if form.get("audience") != APP_AUDIENCE_PREFIX + self.app_id:
            raise OAuthError("invalid_target", "The 'audience' is not a known app.")
        token = self._secret("websso")
        self._web_sso[token] = Issued(client_id, now + self.web_sso_token_lifetime)
        return {
            "access_token": token,
            "issued_token_type": WEB_SSO_TOKEN_TYPE,
            "token_type": "N_A",
            "expires_in": self.web_sso_token_lifetime,
        }

    def _issue_tokens(self, client_id: str, scope: str) -> dict[str, Any]:
        expires = self.clock() + self.access_token_lifetime
        access = self._secret("accesstoken")
        id_token = self._secret("idtoken")
        self._access[access] = Issued(client_id, expires, scope)
        self._id_tokens[id_token] = Issued(client_id, expires, scope)
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "access_token": access,
            "scope": scope,
            "id_token": id_token,
        }
        if self.refresh_tokens:
            refresh = self._secret("refreshtoken")
            self._refresh[refresh] = Issued(client_id, expires + 90 * 86400, scope)
            answer["refresh_token"] = refresh
        if "device_sso" in scope.split():
            device_secret = self._secret("devicesecret")
            self._device_secrets[device_secret] = Issued(client_id, expires + 90 * 86400, scope)
            answer["device_secret"] = device_secret
        return answer

    # -- apps and SAML -------------------------------------------------------------------------

    def _app_links(self, authorization: str) -> Reply:
        scheme, _, bearer = authorization.partition(" ")
        with self._lock:
            token = self._access.get(bearer) if scheme.lower() == "bearer" else None
            if token is None or self.clock() >= token.expires_at:
                return _api_error_reply(401, "E0000011", "Invalid token provided")
        link = {
            "id": "0ulStandInLink",
            "label": "AWS Account Federation",
            "linkUrl": f"{self.base_url}/home/amazon_aws/{self.app_id}/272",
            "logoUrl": f"{self.base_url}/assets/img/logos/amazon-aws.png",
            "appName": "amazon_aws",
            "appInstanceId": self.app_id,
            "appAssignmentId": "0uaStandInAssignment",
            "credentialsSetup": False,
            "hidden": False,
            "sortOrder": 0,
        }
        return _json_reply(200, [link])

    def _saml_page(self, token: str) -> Reply:
        with self._lock:
            issued = self._web_sso.get(token)
            if issued is None or issued.used or self.clock() >= issued.expires_at:
                return _html(403, "Access denied", "The token is invalid, used or expired.")
            issued.used = True  # a web SSO token is good for one assertion
            value = self._saml_response()
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>Signing in to AWS</title></head>\n"
            '<body onload="document.forms[0].submit()">\n'
            f'<form id="appForm" action="{html.escape(AWS_SAML_ENDPOINT)}" method="POST">\n'
            f'<input name="SAMLResponse" type="hidden" value="{_okta_escape(value)}"/>\n'
            '<input name="RelayState" type="hidden" value=""/>\n'
            "</form></body></html>\n"
        ).encode()
        return Reply(
            200, page, (("Content-Type", "text/html;charset=utf-8"), ("Cache-Control", "no-store"))
        )

    def _role_value(self, role_arn: str, provider_arn: str) -> str:
        if self.role_order == "provider,role":
            return f"{provider_arn},{role_arn}"
        return f"{role_arn},{provider_arn}"

    def _saml_response(self) -> str:
        now = self.clock()
        issuer = f"http://www.okta.com/{html.escape(self.app_id)}"
        not_after = _iso(now + 300)
        name = html.escape(self.role_session_name)
        typed = (
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string"'
        )
        uri = 'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"'

        def attribute(attr_name: str, values: list[str]) -> str:
            inner = "".join(
                f"<saml2:AttributeValue {typed}>{html.escape(v)}</saml2:AttributeValue>"
                for v in values
            )
            return f'<saml2:Attribute Name="{attr_name}" {uri}>{inner}</saml2:Attribute>'

        attributes = [
            attribute(SAML_ROLE, [self._role_value(r, p) for r, p in self.roles]),
            attribute(SAML_ROLE_SESSION_NAME, [self.role_session_name]),
        ]
        if self.session_duration is not None:
            attributes.append(attribute(SAML_SESSION_DURATION, [str(self.session_duration)]))
        response_id = "id" + secrets.token_hex(16)
        assertion_id = "id" + secrets.token_hex(16)
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" '
            f'Destination="{AWS_SAML_ENDPOINT}" ID="{response_id}" '
            f'IssueInstant="{_iso(now)}" Version="2.0">'
            '<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" '
            f'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}</saml2:Issuer>'
            "<saml2p:Status>"
            '<saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            "</saml2p:Status>"
            '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" '
            f'ID="{assertion_id}" IssueInstant="{_iso(now)}" Version="2.0">'
            '<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">'
            f"{issuer}</saml2:Issuer>"
            "<saml2:Subject>"
            '<saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">'
            f"{name}</saml2:NameID>"
            '<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml2:SubjectConfirmationData NotOnOrAfter="{not_after}" '
            f'Recipient="{AWS_SAML_ENDPOINT}"/>'
            "</saml2:SubjectConfirmation></saml2:Subject>"
            f'<saml2:Conditions NotBefore="{_iso(now - 300)}" NotOnOrAfter="{not_after}">'
            "<saml2:AudienceRestriction><saml2:Audience>urn:amazon:webservices</saml2:Audience>"
            "</saml2:AudienceRestriction></saml2:Conditions>"
            f'<saml2:AuthnStatement AuthnInstant="{_iso(now)}" SessionIndex="{assertion_id}">'
            "<saml2:AuthnContext><saml2:AuthnContextClassRef>"
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            "</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>"
            f"<saml2:AttributeStatement>{''.join(attributes)}</saml2:AttributeStatement>"
            "</saml2:Assertion></saml2p:Response>"
        )
        value = base64.b64encode(xml.encode("utf-8")).decode("ascii")
        self._canaries.append(value)
        self._assertions += 1
        return value
