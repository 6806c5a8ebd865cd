"""The Okta stand-in answers okta-aws-cli's ``web`` flow over HTTP."""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest

from tests.standin.okta import (
    ACCESS_TOKEN_TYPE,
    CANARY,
    DEVICE_GRANT,
    EXCHANGE_GRANT,
    ID_TOKEN_TYPE,
    SAML_ROLE,
    SAML_ROLE_SESSION_NAME,
    SAML_SESSION_DURATION,
    WEB_SSO_TOKEN_TYPE,
    OktaStandIn,
)

ROLE = "arn:aws:iam::123456789012:role/OktaAdmin"
PROVIDER = "arn:aws:iam::123456789012:saml-provider/Okta"
ROLE2 = "arn:aws:iam::210987654321:role/ReadOnly"
PROVIDER2 = "arn:aws:iam::210987654321:saml-provider/Okta"
SCOPE = "openid okta.apps.sso okta.apps.read okta.users.read.self"
NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def call(standin, path, form=None, *, method=None, headers=None):
    """Return (status, content type, body bytes) for one request."""
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(
        standin.base_url + path,
        data=data,
        method=method or ("POST" if form is not None else "GET"),
        headers={"Accept": "application/json", **(headers or {})},
    )
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def call_json(standin, path, form=None, **kwargs):
    status, _, body = call(standin, path, form, **kwargs)
    return status, json.loads(body)


def authorize(standin):
    status, payload = call_json(
        standin,
        "/oauth2/v1/device/authorize",
        {"client_id": standin.client_id, "scope": SCOPE},
    )
    assert status == 200
    return payload


def poll(standin, device_code):
    return call_json(
        standin,
        "/oauth2/v1/token",
        {"client_id": standin.client_id, "device_code": device_code, "grant_type": DEVICE_GRANT},
    )


def sign_in(standin):
    device = authorize(standin)
    standin.approve(device["user_code"])
    status, tokens = poll(standin, device["device_code"])
    assert status == 200
    return tokens


def exchange(standin, tokens, app_id=None):
    return call_json(
        standin,
        "/oauth2/v1/token",
        {
            "client_id": standin.client_id,
            "actor_token": tokens["access_token"],
            "actor_token_type": ACCESS_TOKEN_TYPE,
            "subject_token": tokens["id_token"],
            "subject_token_type": ID_TOKEN_TYPE,
            "grant_type": EXCHANGE_GRANT,
            "requested_token_type": WEB_SSO_TOKEN_TYPE,
            "audience": f"urn:okta:apps:{app_id or standin.app_id}",
        },
    )


def saml_value(page: bytes) -> str:
    match = re.search(rb'<input name="SAMLResponse" type="hidden" value="([^"]*)"', page)
    assert match, page
    return html.unescape(match.group(1).decode())


def attributes(assertion_b64: str) -> dict[str, list[str]]:
    root = ET.fromstring(base64.b64decode(assertion_b64))  # noqa: S314 - our own stand-in
    assert root.tag == f"{{{NS['samlp']}}}Response"
    found = {}
    for attribute in root.iterfind("saml:Assertion/saml:AttributeStatement/saml:Attribute", NS):
        values = [v.text or "" for v in attribute.iterfind("saml:AttributeValue", NS)]
        found[attribute.get("Name")] = values
    return found


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def standin(clock):
    with OktaStandIn(clock=clock) as server:
        yield server


def test_org_check_says_identity_engine(standin):
    status, payload = call_json(standin, "/.well-known/okta-organization")
    assert status == 200
    assert payload["pipeline"] == "idx"
    standin.pipeline = "v1"
    assert call_json(standin, "/.well-known/okta-organization")[1]["pipeline"] == "v1"


def test_device_flow_pending_then_approved(standin):
    device = authorize(standin)
    assert set(device) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert device["verification_uri"] == f"{standin.base_url}/activate"
    assert device["verification_uri_complete"].endswith(f"?user_code={device['user_code']}")
    assert (device["expires_in"], device["interval"]) == (600, 1)
    assert standin.user_codes() == [device["user_code"]]

    status, error = poll(standin, device["device_code"])
    assert (status, error["error"]) == (400, "authorization_pending")
    assert standin.authorizations == 0

    standin.approve(device["user_code"])
    status, tokens = poll(standin, device["device_code"])
    assert status == 200
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    for key in ("access_token", "id_token", "refresh_token"):
        assert CANARY in tokens[key]
    assert standin.authorizations == 1
    # a device code is good for one set of tokens
    status, error = poll(standin, device["device_code"])
    assert (status, error["error"]) == (400, "invalid_grant")
    assert standin.grant_calls("device_code") == 3


def test_activation_page_approves_as_a_browser_would(standin):
    device = authorize(standin)
    status, content_type, _ = call(
        standin, device["verification_uri_complete"][len(standin.base_url) :]
    )
    assert status == 200
    assert content_type.startswith("text/html")
    assert poll(standin, device["device_code"])[0] == 200


def test_auto_approval_after_polls(standin):
    standin.auto_approve_after_polls = 2
    device = authorize(standin)
    assert poll(standin, device["device_code"])[1]["error"] == "authorization_pending"
    assert poll(standin, device["device_code"])[1]["error"] == "authorization_pending"
    assert poll(standin, device["device_code"])[0] == 200


def test_slow_down_when_polling_faster_than_the_interval(standin, clock):
    standin.enforce_interval = True
    device = authorize(standin)
    assert poll(standin, device["device_code"])[1]["error"] == "authorization_pending"
    status, error = poll(standin, device["device_code"])
    assert (status, error["error"]) == (400, "slow_down")
    clock.now += 6  # the interval is now 1 + 5 seconds
    assert poll(standin, device["device_code"])[1]["error"] == "authorization_pending"


def test_denied_by_the_user(standin):
    standin.deny = True
    device = authorize(standin)
    call(standin, f"/activate?user_code={device['user_code']}")
    status, error = poll(standin, device["device_code"])
    assert (status, error["error"]) == (400, "access_denied")
    assert standin.authorizations == 0


def test_deny_device_switch(standin):
    device = authorize(standin)
    standin.deny_device(device["user_code"])
    assert poll(standin, device["device_code"])[1]["error"] == "access_denied"


def test_expired_device_code(standin, clock):
    device = authorize(standin)
    clock.now += 601
    status, error = poll(standin, device["device_code"])
    assert (status, error["error"]) == (400, "expired_token")
    device = authorize(standin)
    standin.expire_devices()
    assert poll(standin, device["device_code"])[1]["error"] == "expired_token"


def test_unknown_client_is_refused(standin):
    status, error = call_json(
        standin, "/oauth2/v1/device/authorize", {"client_id": "someone-else", "scope": SCOPE}
    )
    assert (status, error["error"]) == (401, "invalid_client")


def test_refresh_rotates_the_refresh_token(standin):
    tokens = sign_in(standin)
    form = {
        "client_id": standin.client_id,
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
    }
    status, fresh = call_json(standin, "/oauth2/v1/token", form)
    assert status == 200
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["refresh_token"] != tokens["refresh_token"]
    status, error = call_json(standin, "/oauth2/v1/token", form)
    assert (status, error["error"]) == (400, "invalid_grant")
    assert standin.grant_calls("refresh_token") == 2


def test_no_refresh_tokens_when_the_org_does_not_allow_them(standin):
    standin.refresh_tokens = False
    assert "refresh_token" not in sign_in(standin)


def test_token_exchange_for_a_web_sso_token(standin):
    tokens = sign_in(standin)
    status, answer = exchange(standin, tokens)
    assert status == 200
    assert answer["issued_token_type"] == WEB_SSO_TOKEN_TYPE
    assert CANARY in answer["access_token"]
    form = standin.last_form["Token"]
    assert form["audience"] == f"urn:okta:apps:{standin.app_id}"
    assert standin.grant_calls("token_exchange") == 1


def test_token_exchange_refusals(standin):
    tokens = sign_in(standin)
    status, error = exchange(standin, tokens, app_id="0oaSomeOtherApp")
    assert (status, error["error"]) == (400, "invalid_target")
    status, error = exchange(standin, {**tokens, "id_token": "forged"})
    assert (status, error["error"]) == (400, "invalid_grant")
    standin.expire_access_tokens()
    status, error = exchange(standin, tokens)
    assert (status, error["error"]) == (400, "invalid_grant")


def test_app_links_list_the_aws_app(standin):
    tokens = sign_in(standin)
    status, links = call_json(
        standin,
        "/api/v1/users/me/appLinks",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert status == 200
    assert [(link["appName"], link["appInstanceId"]) for link in links] == [
        ("amazon_aws", standin.app_id)
    ]
    status, error = call_json(standin, "/api/v1/users/me/appLinks")
    assert (status, error["errorCode"]) == (401, "E0000011")


@pytest.mark.parametrize("order", ["provider,role", "role,provider"])
def test_saml_form_carries_the_roles_in_the_configured_order(clock, order):
    roles = [(ROLE, PROVIDER), (ROLE2, PROVIDER2)]
    with OktaStandIn(clock=clock, roles=roles, role_order=order, session_duration=7200) as server:
        tokens = sign_in(server)
        web_sso = exchange(server, tokens)[1]["access_token"]
        status, content_type, page = call(
            server, "/login/token/sso", {"token": web_sso}, headers={"Accept": "text/html"}
        )
    assert status == 200
    assert content_type.startswith("text/html")
    assert b'action="https://signin.aws.amazon.com/saml"' in page
    value = saml_value(page)
    assert value in server.canaries()
    found = attributes(value)
    expected = [f"{PROVIDER},{ROLE}", f"{PROVIDER2},{ROLE2}"]
    if order == "role,provider":
        expected = [f"{ROLE},{PROVIDER}", f"{ROLE2},{PROVIDER2}"]
    assert found[SAML_ROLE] == expected
    assert found[SAML_ROLE_SESSION_NAME] == ["user@example.com"]
    assert found[SAML_SESSION_DURATION] == ["7200"]
    # okta-aws-cli looks for the element named saml2:attribute
    assert b"<saml2:Attribute " in base64.b64decode(value)
    assert server.assertions == 1


def test_saml_legacy_get_and_single_use_tokens(standin):
    tokens = sign_in(standin)
    web_sso = exchange(standin, tokens)[1]["access_token"]
    status, _, page = call(standin, f"/login/token/sso?token={web_sso}")
    assert status == 200
    assert attributes(saml_value(page))[SAML_ROLE] == [f"{PROVIDER},{ROLE}"]
    status, _, _ = call(standin, "/login/token/sso", {"token": web_sso})
    assert status == 403
    assert call(standin, "/login/token/sso", {"token": "forged"})[0] == 403


def test_moto_accepts_a_single_role_assertion(standin):
    import botocore
    import botocore.config
    import botocore.session

    from tests.standin.sts import start_moto_sts

    server, endpoint = start_moto_sts()
    try:
        sts = botocore.session.Session().create_client(
            "sts",
            region_name="us-east-1",
            endpoint_url=endpoint,
            config=botocore.config.Config(signature_version=botocore.UNSIGNED),
        )
        answer = sts.assume_role_with_saml(
            RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=standin.saml_response()
        )
    finally:
        server.stop()
    assert answer["AssumedRoleUser"]["Arn"].endswith("assumed-role/OktaAdmin/user@example.com")


def test_canaries_list_every_secret(standin):
    tokens = sign_in(standin)
    web_sso = exchange(standin, tokens)[1]["access_token"]
    value = saml_value(call(standin, "/login/token/sso", {"token": web_sso})[2])
    issued = standin.canaries()
    for secret in (tokens["access_token"], tokens["id_token"], tokens["refresh_token"], web_sso):
        assert secret in issued
    assert value in issued
    assert sum(1 for c in issued if c.startswith("devicecode.")) == 1


def test_scripted_faults(standin):
    standin.script("Token", [("status", 503), ("raw", 200, "not json", "text/plain")])
    status, _ = call_json(standin, "/oauth2/v1/token", {"grant_type": "x"})
    assert status == 503
    assert call(standin, "/oauth2/v1/token", {"grant_type": "x"})[2] == b"not json"
    assert standin.calls["Token"] == 2
    with pytest.raises(ValueError, match="unknown fault"):
        standin.script("Token", [("explode",)])


def test_listens_on_loopback_only(standin):
    assert standin.base_url.startswith("http://127.0.0.1:")
    standin.stop()
    with pytest.raises(RuntimeError):
        _ = standin.base_url
