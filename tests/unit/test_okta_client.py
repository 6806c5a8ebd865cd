"""The Okta client (awsenv.okta) against the Okta stand-in: the web flow, errors, token cache."""

from __future__ import annotations

import base64
import os
import stat
import threading

import pytest

from awsenv import okta
from awsenv.errors import InvalidProfile
from awsenv.ui import LoginUI
from tests.standin.okta import OktaStandIn

ROLE = "arn:aws:iam::123456789012:role/OktaAdmin"
PROVIDER = "arn:aws:iam::123456789012:saml-provider/Okta"


class RecordingUI(LoginUI):
    """Records what a person would see; approves the device through the stand-in's page."""

    def __init__(self, standin=None, *, approve=True):
        self.standin = standin
        self.approve = approve
        self.urls = []
        self.ticks = 0
        self.dones = 0

    def open_url(self, url, *, user_code):
        self.urls.append((url, user_code))
        if self.standin is not None and self.approve:
            self.standin.approve(user_code)

    def tick(self, message, seconds_left):
        self.ticks += 1

    def done(self):
        self.dones += 1


class FakeTime:
    """An injectable sleep that records its calls and moves a fake monotonic clock."""

    def __init__(self, on_sleep=None):
        self.now = 1000.0
        self.sleeps = []
        self.on_sleep = on_sleep

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(self)

    def clock(self):
        return self.now


@pytest.fixture
def standin():
    with OktaStandIn() as server:
        yield server


@pytest.fixture
def environ(home):
    return dict(os.environ)


def settings(standin, **extra):
    return {**standin.profile(), **extra}


def assert_no_secret(text, standin):
    assert "CANARY-" not in text
    for secret in standin.canaries():
        assert secret not in text


def one_line(exc):
    text = str(exc)
    assert "\n" not in text
    return text


# --- the flow -------------------------------------------------------------------------------


def test_full_flow_returns_a_base64_saml_response_with_the_role(standin, environ):
    ui = RecordingUI(standin)
    fake = FakeTime()
    value = okta.saml_assertion(
        environ, settings(standin), profile="okta", ui=ui, sleep=fake.sleep, clock=fake.clock
    )
    xml = base64.b64decode(value, validate=True).decode()
    assert f"{PROVIDER},{ROLE}" in xml
    assert "samlp:Response" in xml or "saml2p:Response" in xml
    assert value in standin.canaries()
    assert standin.authorizations == 1
    assert ui.urls[0][0].startswith(f"{standin.base_url}/activate?user_code=")
    assert ui.dones >= 1
    assert standin.calls["Saml"] == 1
    # the second use of the profile needs no new device authorization
    again = okta.saml_assertion(environ, settings(standin), profile="okta", ui=RecordingUI())
    assert again != value
    assert standin.calls["DeviceAuthorize"] == 1
    assert standin.authorizations == 1


def test_role_first_order_comes_through(environ):
    with OktaStandIn(role_order="role,provider") as server:
        value = okta.saml_assertion(
            environ, settings(server), profile="okta", ui=RecordingUI(server), sleep=lambda s: None
        )
    assert f"{ROLE},{PROVIDER}" in base64.b64decode(value).decode()


def test_each_step_sends_what_okta_aws_cli_sends(standin):
    device = okta.device_authorize(standin.base_url, standin.client_id)
    assert "okta.apps.sso" in standin.last_form["DeviceAuthorize"]["scope"].split()
    standin.approve(device.user_code)
    tokens = okta.poll_token(
        standin.base_url, standin.client_id, device, ui=RecordingUI(), sleep=lambda s: None
    )
    web_sso = okta.exchange_for_web_sso(standin.base_url, standin.client_id, tokens, standin.app_id)
    form = standin.last_form["Token"]
    assert form["audience"] == f"urn:okta:apps:{standin.app_id}"
    assert form["actor_token"] == tokens.access_token
    assert form["subject_token"] == tokens.id_token
    assert form["requested_token_type"] == "urn:okta:oauth:token-type:web_sso_token"
    assert okta.fetch_saml(standin.base_url, web_sso)
    saml_request = [r for r in standin.requests if r.operation == "Saml"]
    assert [r.method for r in saml_request] == ["POST"]
    assert standin.last_form["Saml"] == {"token": web_sso}


def test_polling_honours_the_interval_and_slow_down(standin):
    standin.interval = 3
    device = okta.device_authorize(standin.base_url, standin.client_id)
    slow_down = '{"error": "slow_down", "error_description": "too fast"}'
    standin.script("Token", [("raw", 400, slow_down, "application/json")])

    def on_sleep(fake):
        if len(fake.sleeps) == 3:
            standin.approve(device.user_code)

    fake = FakeTime(on_sleep)
    tokens = okta.poll_token(
        standin.base_url,
        standin.client_id,
        device,
        ui=RecordingUI(),
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert tokens.access_token
    # 3 s (answered slow_down), then 3 + 5 s for every later poll
    assert fake.sleeps == [3, 3 + okta.SLOW_DOWN_STEP, 3 + okta.SLOW_DOWN_STEP]
    assert standin.grant_calls("device_code") == 3


def test_pending_polls_wait_each_time(standin):
    standin.auto_approve_after_polls = 3
    fake = FakeTime()
    okta.device_login(
        standin.base_url, standin.client_id, ui=RecordingUI(), sleep=fake.sleep, clock=fake.clock
    )
    assert fake.sleeps == [1, 1, 1, 1]
    assert standin.grant_calls("device_code") == 4


# --- errors: one clear line, no secrets ----------------------------------------------------


def test_denied(standin, environ):
    standin.deny = True
    standin.auto_approve_after_polls = 0
    with pytest.raises(okta.OktaDenied) as caught:
        okta.saml_assertion(
            environ, settings(standin), profile="okta", ui=RecordingUI(), sleep=lambda s: None
        )
    text = one_line(caught.value)
    assert "denied" in text
    assert_no_secret(text + (caught.value.hint or ""), standin)
    assert okta.load_tokens(environ, standin.base_url, standin.client_id) is None


def test_expired_device_code_from_the_org(standin, environ):
    def expire(fake):
        standin.expire_devices()

    fake = FakeTime(expire)
    with pytest.raises(okta.OktaExpired) as caught:
        okta.saml_assertion(
            environ,
            settings(standin),
            profile="okta",
            ui=RecordingUI(),
            sleep=fake.sleep,
            clock=fake.clock,
        )
    text = one_line(caught.value)
    assert "expired" in text
    assert_no_secret(text, standin)


def test_expired_device_code_by_our_own_clock(standin):
    standin.device_expires_in = 5
    device = okta.device_authorize(standin.base_url, standin.client_id)
    fake = FakeTime()
    with pytest.raises(okta.OktaExpired):
        okta.poll_token(
            standin.base_url,
            standin.client_id,
            device,
            ui=RecordingUI(),
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert sum(fake.sleeps) <= 5


def test_unreachable_org_names_the_url(environ):
    profile = {
        "okta_org_url": "http://127.0.0.1:9",
        "okta_oidc_client_id": "client",
        "okta_aws_acct_fed_app_id": "app",
    }
    with pytest.raises(okta.OktaUnreachable) as caught:
        okta.saml_assertion(environ, profile, profile="okta", ui=RecordingUI())
    text = one_line(caught.value)
    assert text.startswith("cannot reach Okta at http://127.0.0.1:9")


def test_http_errors_do_not_echo_tokens(standin):
    tokens = okta.OktaTokens(**_signed_in(standin))
    secret = tokens.access_token
    standin.script(
        "Token",
        [("raw", 400, f'{{"error": "x", "error_description": "{secret}"}}', "application/json")],
    )
    with pytest.raises(okta.OktaError) as caught:
        okta.exchange_for_web_sso(standin.base_url, standin.client_id, tokens, standin.app_id)
    text = one_line(caught.value)
    assert "HTTP 400" in text
    assert_no_secret(text, standin)


def test_wrong_app_id_is_a_clear_refusal(standin):
    tokens = okta.OktaTokens(**_signed_in(standin))
    with pytest.raises(okta.OktaError) as caught:
        okta.exchange_for_web_sso(standin.base_url, standin.client_id, tokens, "0oaWrong")
    text = one_line(caught.value)
    assert "invalid_target" in text
    assert "okta_aws_acct_fed_app_id" in (caught.value.hint or "")
    assert_no_secret(text, standin)


def test_wrong_client_id(standin):
    with pytest.raises(okta.OktaError) as caught:
        okta.device_authorize(standin.base_url, "0oaNotTheClient")
    assert "invalid_client" in one_line(caught.value)
    assert "okta_oidc_client_id" in (caught.value.hint or "")


def test_used_web_sso_token_and_page_without_saml(standin):
    tokens = okta.OktaTokens(**_signed_in(standin))
    web_sso = okta.exchange_for_web_sso(standin.base_url, standin.client_id, tokens, standin.app_id)
    okta.fetch_saml(standin.base_url, web_sso)
    with pytest.raises(okta.OktaError) as caught:
        okta.fetch_saml(standin.base_url, web_sso)
    assert "HTTP 403" in one_line(caught.value)
    assert_no_secret(str(caught.value), standin)
    standin.script("Saml", [("raw", 200, "<html><form></form></html>", "text/html")])
    with pytest.raises(okta.OktaError, match="no SAMLResponse"):
        okta.fetch_saml(standin.base_url, "whatever")


def test_answers_over_one_mebibyte_are_refused(standin):
    standin.script("DeviceAuthorize", [("huge_body", okta.MAX_RESPONSE_BYTES + 10)])
    with pytest.raises(okta.OktaError, match="larger than"):
        okta.device_authorize(standin.base_url, standin.client_id)


def test_not_json_device_answer(standin):
    standin.script("DeviceAuthorize", [("raw", 200, "<html>login</html>", "text/html")])
    with pytest.raises(okta.OktaError, match="text/html"):
        okta.device_authorize(standin.base_url, standin.client_id)


# --- profile settings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "url"),
    [
        ({"okta_org_domain": "example.okta.com"}, "https://example.okta.com"),
        ({"okta_org_domain": "https://example-admin.okta.com/"}, "https://example.okta.com"),
        ({"okta_org_url": "https://login.example.com/"}, "https://login.example.com"),
        ({"okta_org_url": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"),
        ({"okta_org_url": "http://localhost:8080"}, "http://localhost:8080"),
        ({"okta_org_url": "http://[::1]:8080"}, "http://[::1]:8080"),
    ],
)
def test_org_base_url(keys, url):
    assert okta.org_base_url(keys, profile="p") == url


@pytest.mark.parametrize(
    ("keys", "fragment"),
    [
        ({"okta_org_url": "http://example.okta.com"}, "plain http"),
        ({"okta_org_url": "http://10.0.0.1:8080"}, "plain http"),
        ({"okta_org_url": "ftp://example.okta.com"}, "not an http(s) URL"),
        ({"okta_org_url": "https://u:p@example.okta.com"}, "user name or password"),
        ({"okta_org_domain": "a.okta.com", "okta_org_url": "https://a.okta.com"}, "both"),
        ({"okta_org_domain": "bad host/x"}, "not a host name"),
        ({}, "no okta_org_domain"),
    ],
)
def test_org_base_url_refusals(keys, fragment):
    with pytest.raises(InvalidProfile) as caught:
        okta.org_base_url(keys, profile="p")
    assert fragment in one_line(caught.value)


def test_missing_client_or_app_id(environ, standin):
    keys = settings(standin)
    del keys["okta_aws_acct_fed_app_id"]
    with pytest.raises(InvalidProfile, match="okta_aws_acct_fed_app_id"):
        okta.saml_assertion(environ, keys, profile="okta", ui=RecordingUI())
    assert standin.calls == {}


# --- token cache and refresh ---------------------------------------------------------------


def _signed_in(standin):
    payload = standin.issue_tokens()
    tokens = okta.OktaTokens.from_response(payload, standin.base_url)
    return {
        "access_token": tokens.access_token,
        "id_token": tokens.id_token,
        "expires_at": tokens.expires_at,
        "refresh_token": tokens.refresh_token,
        "scope": tokens.scope,
    }


def test_token_cache_round_trip_is_private(environ, standin):
    tokens = okta.OktaTokens(**_signed_in(standin), device_secret="ds")
    okta.save_tokens(environ, standin.base_url, standin.client_id, tokens)
    path = okta.okta_token_cache_path(environ, standin.base_url + "/", standin.client_id)
    assert path.startswith(os.path.join(environ["XDG_CACHE_HOME"], "awsenv", "okta") + os.sep)
    assert path.endswith(".json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = okta.load_tokens(environ, standin.base_url, standin.client_id)
    assert loaded is not None
    assert loaded.to_json() == tokens.to_json()
    assert loaded.valid()
    assert "CANARY" not in repr(loaded)
    other = okta.okta_token_cache_path(environ, standin.base_url, "another-client")
    assert other != path
    with open(path, "w") as handle:
        handle.write("{torn")
    assert okta.load_tokens(environ, standin.base_url, standin.client_id) is None


def test_valid_helper():
    tokens = okta.OktaTokens(access_token="a", id_token="i", expires_at=10_000)
    assert tokens.valid(now=10_000 - okta.REFRESH_WINDOW - 1)
    assert not tokens.valid(now=10_000 - okta.REFRESH_WINDOW)
    assert not okta.OktaTokens(access_token="a", id_token=None, expires_at=10_000).valid(now=0)


def test_refresh_path(environ, standin):
    tokens = okta.OktaTokens(**_signed_in(standin))
    tokens.expires_at = 0  # expired in the cache
    okta.save_tokens(environ, standin.base_url, standin.client_id, tokens)
    ui = RecordingUI()
    got, ran = okta.ensure_tokens(environ, standin.base_url, standin.client_id, ui=ui)
    assert ran
    assert got.access_token != tokens.access_token
    assert got.refresh_token != tokens.refresh_token  # rotated
    assert standin.grant_calls("refresh_token") == 1
    assert standin.calls.get("DeviceAuthorize") is None
    assert ui.urls == []
    cached = okta.load_tokens(environ, standin.base_url, standin.client_id)
    assert cached is not None
    assert cached.access_token == got.access_token


def test_refused_refresh_falls_back_to_a_device_sign_in(environ, standin):
    tokens = okta.OktaTokens(**_signed_in(standin))
    tokens.expires_at = 0
    okta.save_tokens(environ, standin.base_url, standin.client_id, tokens)
    standin.revoke_refresh_tokens()
    ui = RecordingUI(standin)
    got, ran = okta.ensure_tokens(
        environ, standin.base_url, standin.client_id, ui=ui, sleep=lambda s: None
    )
    assert ran
    assert len(ui.urls) == 1
    assert standin.calls["DeviceAuthorize"] == 1
    assert got.valid()


def test_refresh_keeps_what_the_org_did_not_resend(standin):
    tokens = okta.OktaTokens(**_signed_in(standin))
    standin.refresh_tokens = True
    fresh = okta.refresh(standin.base_url, standin.client_id, tokens)
    assert fresh.id_token
    assert fresh.scope == tokens.scope


def test_cached_tokens_the_org_rejects_lead_to_one_new_sign_in(environ, standin):
    tokens = okta.OktaTokens(**_signed_in(standin))
    tokens.id_token = "idtoken.revoked"
    okta.save_tokens(environ, standin.base_url, standin.client_id, tokens)
    ui = RecordingUI(standin)
    value = okta.saml_assertion(
        environ, settings(standin), profile="okta", ui=ui, sleep=lambda s: None
    )
    assert value
    assert len(ui.urls) == 1


def test_concurrent_callers_share_one_sign_in(environ, standin):
    results = []
    errors = []
    ui = RecordingUI(standin)

    def run():
        try:
            results.append(
                okta.ensure_tokens(
                    environ, standin.base_url, standin.client_id, ui=ui, sleep=lambda s: None
                )[0].access_token
            )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(set(results)) == 1
    assert standin.calls["DeviceAuthorize"] == 1
