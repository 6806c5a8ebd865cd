"""The IAM Identity Center stand-in speaks the real wire protocol: botocore clients drive it."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from awsenv.demo.idc import CANARY, DEVICE_GRANT, ROUTES, IdentityCenterStandIn
from tests.helpers import REPO

START_URL = "https://d-1234567890.awsapps.com/start"
PORTLESS = "http://127.0.0.1/oauth/callback"
VERIFIER = "A" * 20 + "b" * 20 + "0-._~" + "z" * 19  # 64 characters of the PKCE alphabet


class Clock:
    """A settable epoch clock, so expiry is tested by moving time, not by sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def standin(clock):
    with IdentityCenterStandIn(clock=clock) as server:
        yield server


_SESSION = []


def make_client(service, endpoint_url=None, **config):
    """An unsigned client (one shared botocore session: loading the models is what costs)."""
    import botocore
    import botocore.config
    import botocore.session

    if not _SESSION:
        _SESSION.append(botocore.session.Session())
    options = {"signature_version": botocore.UNSIGNED, **config}
    return _SESSION[0].create_client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        config=botocore.config.Config(**options),
    )


def oidc_client(standin, **config):
    return make_client("sso-oidc", standin.base_url, **config)


def portal_client(standin, **config):
    return make_client("sso", standin.base_url, **config)


def challenge_of(verifier):
    import base64

    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def register_device_client(oidc):
    return oidc.register_client(clientName="botocore-client-my-sso", clientType="public")


def register_pkce_client(oidc):
    return oidc.register_client(
        clientName="botocore-client-my-sso",
        clientType="public",
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=[PORTLESS],
        issuerUrl=START_URL,
        scopes=["sso:account:access"],
    )


def device_token(oidc, registration, device_code):
    return oidc.create_token(
        grantType=DEVICE_GRANT,
        clientId=registration["clientId"],
        clientSecret=registration["clientSecret"],
        deviceCode=device_code,
    )


def start_device(oidc, registration):
    return oidc.start_device_authorization(
        clientId=registration["clientId"],
        clientSecret=registration["clientSecret"],
        startUrl=START_URL,
    )


def logged_in(standin):
    """Sign in through the device flow (approved by the test) and return the CreateToken answer."""
    oidc = oidc_client(standin)
    registration = register_device_client(oidc)
    start = start_device(oidc, registration)
    standin.approve_device(start["userCode"])
    return registration, device_token(oidc, registration, start["deviceCode"])


def browse(url):
    """GET ``url`` as a browser would (the device page); return the status and the body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def authorize_location(oidc, client_id, redirect_uri, *, state, challenge, scopes=None):
    """Build the authorize URL as the AWS CLI does (protocols §3.4); return the 302's Location."""
    query = urlencode(
        [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("code_challenge_method", "S256"),
            ("scopes", " ".join(scopes or ["sso:account:access"])),
        ],
        quote_via=quote,
    )
    url = f"{oidc.meta.endpoint_url}/authorize?{query}&code_challenge={challenge}"
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(url, timeout=5)
    try:
        assert caught.value.code == 302, caught.value.read()
        return caught.value.headers["Location"]
    finally:
        caught.value.close()


def code_from(location, redirect_uri, state):
    assert location.startswith(redirect_uri + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    return query["code"][0]


def pkce_code(standin, oidc, registration, redirect_uri, verifier=VERIFIER):
    state = str(uuid.uuid4())
    location = authorize_location(
        oidc, registration["clientId"], redirect_uri, state=state, challenge=challenge_of(verifier)
    )
    return code_from(location, redirect_uri, state)


def code_token(oidc, registration, code, redirect_uri, verifier=VERIFIER):
    return oidc.create_token(
        grantType="authorization_code",
        clientId=registration["clientId"],
        clientSecret=registration["clientSecret"],
        redirectUri=redirect_uri,
        codeVerifier=verifier,
        code=code,
    )


# -- routing -----------------------------------------------------------------------------------


def test_sso_oidc_and_portal_paths_do_not_collide_and_all_are_served():
    import botocore.session

    session = botocore.session.Session()
    seen = {}
    for service in ("sso-oidc", "sso"):
        model = session.get_service_model(service)
        for name in model.operation_names:
            http = model.operation_model(name).http
            key = (http["method"], http["requestUri"])
            assert key not in seen, f"{name} and {seen[key]} share {key}"
            seen[key] = name
    served = {(method, path): op for (method, path), op in ROUTES.items()}
    for name in ("RegisterClient", "StartDeviceAuthorization", "CreateToken"):
        assert name in served.values()
    for key, name in seen.items():
        if name == "CreateTokenWithIAM":
            continue  # POST /token?aws_iam=t: not an operation IAM Identity Center users need
        assert served.get(key) == name


def test_listens_on_loopback_only_and_starts_on_a_free_port(standin):
    assert standin.base_url.startswith("http://127.0.0.1:")
    assert standin._server is not None
    assert standin._server.socket.getsockname()[0] == "127.0.0.1"
    with IdentityCenterStandIn() as other:
        assert other.base_url != standin.base_url


# -- device flow -------------------------------------------------------------------------------


def test_device_flow_through_the_endpoint_variables(standin, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", standin.base_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", standin.base_url)
    oidc = make_client("sso-oidc")
    assert oidc.meta.endpoint_url == standin.base_url
    registration = register_device_client(oidc)
    assert registration["clientSecretExpiresAt"] == int(standin.clock()) + 90 * 86400
    start = start_device(oidc, registration)
    assert start["verificationUri"] == f"{standin.base_url}/device"
    assert start["verificationUriComplete"] == (
        f"{standin.base_url}/device?user_code={start['userCode']}"
    )
    assert (start["expiresIn"], start["interval"]) == (600, 1)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as pending:
        device_token(oidc, registration, start["deviceCode"])
    assert pending.value.response["Error"]["Code"] == "AuthorizationPendingException"
    assert pending.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert standin.authorizations == 0

    # The "browser" opens the complete verification URI: that approves the device.
    assert browse(start["verificationUriComplete"])[0] == 200
    assert standin.authorizations == 1
    token = device_token(oidc, registration, start["deviceCode"])
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == 8 * 3600
    assert CANARY in token["accessToken"]
    assert CANARY in token["refreshToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        device_token(oidc, registration, start["deviceCode"])  # a device code is single-use

    portal = make_client("sso")
    accounts = portal.list_accounts(accessToken=token["accessToken"], maxResults=100)
    assert accounts["accountList"][0]["accountId"] == "111111111111"
    assert standin.calls == {
        "RegisterClient": 1,
        "StartDeviceAuthorization": 1,
        "CreateToken": 3,
        "Device": 1,
        "ListAccounts": 1,
    }
    assert standin.grant_calls("device_code") == 3
    assert [r.path for r in standin.requests][:3] == [
        "/client/register",
        "/device_authorization",
        "/token",
    ]


def test_headless_device_flow_approves_after_the_configured_polls(clock):
    with IdentityCenterStandIn(clock=clock, auto_approve_device_after_polls=2) as standin:
        oidc = oidc_client(standin)
        registration = register_device_client(oidc)
        start = start_device(oidc, registration)
        for _ in range(2):
            with pytest.raises(oidc.exceptions.AuthorizationPendingException):
                device_token(oidc, registration, start["deviceCode"])
        assert standin.user_codes() == [start["userCode"]]
        assert "accessToken" in device_token(oidc, registration, start["deviceCode"])
        assert standin.authorizations == 1
        assert standin.user_codes() == []


def test_device_flow_denied_in_the_browser_answers_access_denied(clock):
    with IdentityCenterStandIn(clock=clock, deny=True) as standin:
        oidc = oidc_client(standin)
        registration = register_device_client(oidc)
        start = start_device(oidc, registration)
        assert b"denied" in browse(start["verificationUriComplete"])[1]
        with pytest.raises(oidc.exceptions.AccessDeniedException) as denied:
            device_token(oidc, registration, start["deviceCode"])
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert standin.authorizations == 0


def test_device_code_expires_after_expires_in(standin, clock):
    oidc = oidc_client(standin)
    registration = register_device_client(oidc)
    start = start_device(oidc, registration)
    clock.now += start["expiresIn"]
    with pytest.raises(oidc.exceptions.ExpiredTokenException):
        device_token(oidc, registration, start["deviceCode"])
    assert browse(start["verificationUriComplete"])[0] == 400


def test_slow_down_scripted_or_enforced_surfaces_as_slow_down_exception(clock):
    with IdentityCenterStandIn(clock=clock, enforce_interval=True, interval=2) as standin:
        oidc = oidc_client(standin)
        registration = register_device_client(oidc)
        start = start_device(oidc, registration)
        standin.script("CreateToken", [("error", "slow_down")])
        with pytest.raises(oidc.exceptions.SlowDownException):
            device_token(oidc, registration, start["deviceCode"])
        with pytest.raises(oidc.exceptions.AuthorizationPendingException):
            device_token(oidc, registration, start["deviceCode"])
        clock.now += 1  # sooner than the interval of 2 s: RFC 8628 slow_down, interval + 5
        with pytest.raises(oidc.exceptions.SlowDownException):
            device_token(oidc, registration, start["deviceCode"])
        clock.now += 7  # the interval is now 7 s
        with pytest.raises(oidc.exceptions.AuthorizationPendingException):
            device_token(oidc, registration, start["deviceCode"])


def test_client_registration_rules(standin, clock):
    oidc = oidc_client(standin)
    with pytest.raises(oidc.exceptions.InvalidClientMetadataException):
        oidc.register_client(clientName="x", clientType="confidential")
    registration = register_device_client(oidc)
    wrong = {**registration, "clientSecret": "not-it"}
    with pytest.raises(oidc.exceptions.InvalidClientException) as invalid:
        start_device(oidc, wrong)
    assert invalid.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    pkce = register_pkce_client(oidc)
    with pytest.raises(oidc.exceptions.UnauthorizedClientException):
        start_device(oidc, pkce)  # registered for authorization_code and refresh_token only
    clock.now = registration["clientSecretExpiresAt"]
    with pytest.raises(oidc.exceptions.InvalidClientException):
        start_device(oidc, registration)


# -- PKCE --------------------------------------------------------------------------------------


def test_pkce_authorization_code_flow(standin):
    oidc = oidc_client(standin)
    registration = register_pkce_client(oidc)
    redirect_uri = "http://127.0.0.1:43127/oauth/callback"
    code = pkce_code(standin, oidc, registration, redirect_uri)
    assert standin.authorizations == 1
    token = code_token(oidc, registration, code, redirect_uri)
    assert token["tokenType"] == "Bearer"
    assert token["accessToken"] in standin.canaries()
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        code_token(oidc, registration, code, redirect_uri)  # reused code


@pytest.mark.parametrize("mistake", ["verifier", "redirect port", "client"])
def test_pkce_code_redemption_mistakes_are_invalid_grant(standin, mistake):
    oidc = oidc_client(standin)
    registration = register_pkce_client(oidc)
    redirect_uri = "http://127.0.0.1:43127/oauth/callback"
    code = pkce_code(standin, oidc, registration, redirect_uri)
    verifier, redeemer = VERIFIER, registration
    if mistake == "verifier":
        verifier = VERIFIER[:-1] + "y"
    elif mistake == "redirect port":
        redirect_uri = "http://127.0.0.1:43128/oauth/callback"
    else:
        redeemer = register_pkce_client(oidc)
    with pytest.raises(oidc.exceptions.InvalidGrantException) as caught:
        code_token(oidc, redeemer, code, redirect_uri, verifier)
    assert caught.value.response["Error"]["Code"] == "InvalidGrantException"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1/oauth/elsewhere",
        "http://127.0.0.1:8080/oauth/other",
        "http://localhost:8080/oauth/callback",
        "http://evil.example:8080/oauth/callback",
        "https://127.0.0.1:8080/oauth/callback",
    ],
)
def test_authorize_never_redirects_to_an_unregistered_uri(standin, redirect_uri):
    registration = register_pkce_client(oidc_client(standin))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": registration["clientId"],
            "redirect_uri": redirect_uri,
            "state": "s",
            "code_challenge_method": "S256",
            "scopes": "sso:account:access",
            "code_challenge": challenge_of(VERIFIER),
        }
    )
    connection = http.client.HTTPConnection(urlsplit(standin.base_url).netloc, timeout=5)
    connection.request("GET", f"/authorize?{query}")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 400
    assert response.getheader("Location") is None
    assert standin.authorizations == 0


def test_authorize_in_deny_mode_redirects_with_access_denied(standin):
    oidc = oidc_client(standin)
    registration = register_pkce_client(oidc)
    standin.deny = True
    redirect_uri = "http://127.0.0.1:40000/oauth/callback"
    location = authorize_location(
        oidc, registration["clientId"], redirect_uri, state="st", challenge=challenge_of(VERIFIER)
    )
    assert location == f"{redirect_uri}?error=access_denied&state=st"
    assert standin.authorizations == 0


# -- refresh -----------------------------------------------------------------------------------


def test_refresh_tokens_rotate_and_a_used_one_is_invalid_grant(standin):
    oidc = oidc_client(standin)
    registration, first = logged_in(standin)

    def refresh(token):
        return oidc.create_token(
            grantType="refresh_token",
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            refreshToken=token,
        )

    second = refresh(first["refreshToken"])
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(first["refreshToken"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh("never-issued")
    third = refresh(second["refreshToken"])
    assert standin.grant_calls("refresh_token") == 4
    standin.revoke_refresh_tokens()
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(third["refreshToken"])


def test_without_refresh_tokens_none_is_issued(standin):
    standin.refresh_tokens_enabled = False
    _, token = logged_in(standin)
    assert "refreshToken" not in token


# -- portal ------------------------------------------------------------------------------------

ACCOUNTS = {
    "111111111111": ("Dev", ["Admin", "ReadOnly"]),
    "222222222222": ("Prod", ["ReadOnly"]),
    "333333333333": ("Sandbox", ["Admin", "Billing", "Developer", "ReadOnly", "Support"]),
    "444444444444": ("Logs", ["ReadOnly"]),
    "555555555555": ("Audit", ["Auditor"]),
}


def test_portal_paging_with_botocore_paginators(clock):
    with IdentityCenterStandIn(clock=clock, accounts=ACCOUNTS, page_size=2) as standin:
        _, token = logged_in(standin)
        portal = portal_client(standin)
        pages = list(
            portal.get_paginator("list_accounts").paginate(accessToken=token["accessToken"])
        )
        assert [len(page["accountList"]) for page in pages] == [2, 2, 1]
        listed = [a["accountId"] for page in pages for a in page["accountList"]]
        assert listed == sorted(ACCOUNTS)
        assert pages[0]["accountList"][0] == {
            "accountId": "111111111111",
            "accountName": "Dev",
            "emailAddress": "aws+dev@example.com",
        }
        roles = portal.get_paginator("list_account_roles").paginate(
            accessToken=token["accessToken"],
            accountId="333333333333",
            PaginationConfig={"PageSize": 1},
        )
        names = [r["roleName"] for page in roles for r in page["roleList"]]
        assert names == ["Admin", "Billing", "Developer", "ReadOnly", "Support"]
        assert standin.calls["ListAccountRoles"] == 5
        with pytest.raises(portal.exceptions.InvalidRequestException):
            portal.list_accounts(accessToken=token["accessToken"], nextToken="garbage")


def test_role_credentials_and_assignment_checks(standin, clock):
    _, token = logged_in(standin)
    portal = portal_client(standin)
    answer = portal.get_role_credentials(
        accessToken=token["accessToken"], accountId="111111111111", roleName="ReadOnly"
    )["roleCredentials"]
    assert answer["expiration"] == int((clock.now + 3600) * 1000)  # epoch milliseconds
    assert answer["accessKeyId"].startswith("ASIA")
    assert len(answer["accessKeyId"]) == 20
    assert {answer["secretAccessKey"], answer["sessionToken"]} <= set(standin.canaries())
    with pytest.raises(portal.exceptions.ClientError) as forbidden:
        portal.get_role_credentials(
            accessToken=token["accessToken"], accountId="222222222222", roleName="Admin"
        )
    assert forbidden.value.response["Error"]["Code"] == "ForbiddenException"
    assert forbidden.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_logout_expiry_and_unknown_tokens_are_unauthorized(standin, clock):
    portal = portal_client(standin)
    _, token = logged_in(standin)
    _, other = logged_in(standin)
    portal.logout(accessToken=token["accessToken"])
    for access in (token["accessToken"], "unknown-token"):
        with pytest.raises(portal.exceptions.UnauthorizedException) as caught:
            portal.list_accounts(accessToken=access)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
        assert caught.value.response["Error"]["Message"] == "Session token not found or invalid"
    assert portal.list_accounts(accessToken=other["accessToken"])["accountList"]
    clock.now += 8 * 3600
    with pytest.raises(portal.exceptions.UnauthorizedException):
        portal.get_role_credentials(
            accessToken=other["accessToken"], accountId="111111111111", roleName="Admin"
        )


def test_every_secret_carries_a_canary_and_is_listed(standin):
    oidc = oidc_client(standin)
    registration, token = logged_in(standin)
    pkce = register_pkce_client(oidc)
    redirect_uri = "http://127.0.0.1:5555/oauth/callback"
    code = pkce_code(standin, oidc, pkce, redirect_uri)
    minted = portal_client(standin).get_role_credentials(
        accessToken=token["accessToken"], accountId="111111111111", roleName="Admin"
    )["roleCredentials"]
    issued = [
        registration["clientSecret"],
        token["accessToken"],
        token["refreshToken"],
        pkce["clientSecret"],
        code,
        minted["secretAccessKey"],
        minted["sessionToken"],
    ]
    canaries = standin.canaries()
    for value in issued:
        assert CANARY in value
        assert value in canaries
    assert len(set(canaries)) == len(canaries)
    assert registration["clientId"] not in canaries


# -- scripted faults ---------------------------------------------------------------------------


def test_scripted_status_errors_and_raw_bodies(standin):
    import botocore.exceptions

    _, token = logged_in(standin)
    portal = portal_client(standin, retries={"mode": "standard", "total_max_attempts": 1})
    oidc = oidc_client(standin, retries={"mode": "standard", "total_max_attempts": 1})
    standin.script("ListAccounts", [("status", 500), ("error", "TooManyRequestsException")])
    standin.script("ListAccounts", [("raw", 502, "<html>Bad gateway</html>", "text/html")])
    standin.script("RegisterClient", [("status", 500)])
    with pytest.raises(botocore.exceptions.ClientError) as first:
        portal.list_accounts(accessToken=token["accessToken"])
    assert first.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(portal.exceptions.TooManyRequestsException):
        portal.list_accounts(accessToken=token["accessToken"])
    with pytest.raises(botocore.exceptions.ClientError) as html:
        portal.list_accounts(accessToken=token["accessToken"])
    assert html.value.response["ResponseMetadata"]["HTTPStatusCode"] == 502
    assert standin.pending_script("ListAccounts") == 0
    assert portal.list_accounts(accessToken=token["accessToken"])["accountList"]
    with pytest.raises(oidc.exceptions.InternalServerException):
        register_device_client(oidc)
    assert standin.calls["ListAccounts"] == 4
    with pytest.raises(ValueError, match="unknown fault"):
        standin.script("ListAccounts", [("explode",)])


def test_scripted_reset_and_delay(standin):
    import botocore.exceptions

    _, token = logged_in(standin)
    portal = portal_client(standin, retries={"mode": "standard", "total_max_attempts": 1})
    standin.script("ListAccounts", [("reset",), ("delay", 0.01)])
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        portal.list_accounts(accessToken=token["accessToken"])
    assert portal.list_accounts(accessToken=token["accessToken"])["accountList"]  # after a delay
    impatient = portal_client(
        standin, read_timeout=0.2, retries={"mode": "standard", "total_max_attempts": 1}
    )
    standin.script("ListAccounts", [("delay", 60.0)])
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        impatient.list_accounts(accessToken=token["accessToken"])
    # stop() (by the fixture) wakes the delayed handler instead of waiting a minute.


def test_scripted_huge_body(standin):
    standin.script("ListAccounts", [("huge_body", 3_000_000)])
    connection = http.client.HTTPConnection(urlsplit(standin.base_url).netloc, timeout=5)
    connection.request("GET", "/assignment/accounts", headers={"x-amz-sso_bearer_token": "t"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Length") == "3000000"
    body = response.read()
    connection.close()
    assert len(body) == 3_000_000
    assert json.loads(body)["padding"].startswith("xxx")


def test_counters_are_exact_under_concurrent_calls(standin):
    oidc = oidc_client(standin)
    errors = []

    def register():
        try:
            register_device_client(oidc)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert standin.calls["RegisterClient"] == 16
    assert len(standin.requests) == 16


# -- with moto's STS ---------------------------------------------------------------------------


def test_role_credentials_minted_by_moto_name_the_assumed_role(moto_sts, capfd):
    with IdentityCenterStandIn(sts_endpoint=moto_sts) as standin:
        _, token = logged_in(standin)
        minted = portal_client(standin).get_role_credentials(
            accessToken=token["accessToken"], accountId="222222222222", roleName="ReadOnly"
        )["roleCredentials"]
        assert minted["secretAccessKey"] in standin.canaries()
        assert minted["expiration"] > time.time() * 1000
    sts = make_client_signed("sts", moto_sts, minted)
    identity = sts.get_caller_identity()
    assert identity["Account"] == "222222222222"
    assert identity["Arn"] == "arn:aws:sts::222222222222:assumed-role/ReadOnly/standin-user"
    assert "POST /" not in capfd.readouterr().err  # werkzeug's request log is silenced


def make_client_signed(service, endpoint_url, minted):
    import botocore.session

    return botocore.session.Session().create_client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id=minted["accessKeyId"],
        aws_secret_access_key=minted["secretAccessKey"],
        aws_session_token=minted["sessionToken"],
    )


# -- botocore's own SSO providers --------------------------------------------------------------

SSO_CONFIG = """\
[profile dev]
sso_session = my-sso
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[sso-session my-sso]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""


def utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def seed_sso_cache(home, standin, *, seconds_left):
    """Write the config and a token file shaped as protocols §2.2, ``seconds_left`` from expiry."""
    aws = home / ".aws"
    (aws / "sso" / "cache").mkdir(parents=True, exist_ok=True)
    (aws / "config").write_text(SSO_CONFIG)
    session = standin.issue_session(scopes=["sso:account:access"])
    token = {
        "startUrl": START_URL,
        "region": "us-east-1",
        "accessToken": session["accessToken"],
        "expiresAt": utc(time.time() + seconds_left),
        "clientId": session["clientId"],
        "clientSecret": session["clientSecret"],
        "registrationExpiresAt": utc(session["clientSecretExpiresAt"]),
        "refreshToken": session["refreshToken"],
    }
    path = (
        aws
        / "sso"
        / "cache"
        / (hashlib.sha1(b"my-sso", usedforsecurity=False).hexdigest() + ".json")
    )
    path.write_text(json.dumps(token))
    return path, token


@pytest.fixture
def real_standin():
    with IdentityCenterStandIn() as server:  # botocore compares expiry with the real clock
        yield server


def test_botocore_token_provider_refreshes_against_the_standin(home, real_standin, monkeypatch):
    import botocore.session
    import botocore.tokens

    standin = real_standin
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", standin.base_url)
    path, old = seed_sso_cache(home, standin, seconds_left=300)
    cache_dir = str(path.parent)
    monkeypatch.setattr(botocore.tokens.SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", cache_dir)
    session = botocore.session.Session(profile="dev")
    frozen = botocore.tokens.SSOTokenProvider(session).load_token().get_frozen_token()
    new = json.loads(path.read_text())
    assert frozen.token == new["accessToken"] != old["accessToken"]
    assert new["refreshToken"] != old["refreshToken"]
    assert new["refreshToken"] in standin.canaries()
    assert standin.grant_calls("refresh_token") == 1


def test_botocore_sso_credentials_in_process(home, real_standin, moto_sts, monkeypatch):
    import botocore.credentials
    import botocore.session
    import botocore.tokens

    standin = real_standin
    standin.sts_endpoint = moto_sts
    for name, value in standin.environ().items():
        monkeypatch.setenv(name, value)
    path, _ = seed_sso_cache(home, standin, seconds_left=300)
    cache_dir = str(path.parent)
    monkeypatch.setattr(botocore.tokens.SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", cache_dir)
    monkeypatch.setattr(botocore.credentials.SSOProvider, "_SSO_TOKEN_CACHE_DIR", cache_dir)
    session = botocore.session.Session(profile="dev")
    credentials = session.get_credentials()
    assert credentials.method == "sso"
    frozen = credentials.get_frozen_credentials()
    assert frozen.secret_key in standin.canaries()
    assert standin.calls["GetRoleCredentials"] == 1
    assert standin.grant_calls("refresh_token") == 1
    sts = session.create_client("sts", region_name="us-east-1", endpoint_url=moto_sts)
    arn = sts.get_caller_identity()["Arn"]
    assert arn == "arn:aws:sts::111111111111:assumed-role/Admin/standin-user"


CHILD = """
import json, sys
import botocore.session
session = botocore.session.Session(profile="dev")
credentials = session.get_credentials()
key = credentials.get_frozen_credentials().access_key
print(json.dumps({"method": credentials.method, "key": key}))
"""


def test_botocore_sso_credentials_in_a_fresh_process_with_home_set_first(home, real_standin):
    standin = real_standin
    path, old = seed_sso_cache(home, standin, seconds_left=300)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPATH": str(REPO),
        **standin.environ(),
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["method"] == "sso"
    assert answer["key"].startswith("ASIA")
    assert json.loads(path.read_text())["accessToken"] != old["accessToken"]
    assert standin.grant_calls("refresh_token") == 1
    assert standin.calls["GetRoleCredentials"] == 1


def test_unknown_paths_and_create_token_with_iam_are_refused(standin):
    status, body = browse(f"{standin.base_url}/nowhere?x=1")
    assert status == 404
    assert json.loads(body)["message"] == "no route for GET /nowhere"
    oidc = oidc_client(standin)
    registration = register_device_client(oidc)
    with pytest.raises(oidc.exceptions.InvalidRequestException):
        oidc.create_token_with_iam(
            clientId=registration["clientId"], grantType="refresh_token", refreshToken="r"
        )
    assert standin.calls["Unknown"] == 1
