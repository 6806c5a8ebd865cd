"""The console sign-in URL (awsenv.federation): partitions, destinations, the endpoint override,
the two federation requests against the stand-in, and that no message holds a secret."""

from __future__ import annotations

import json
import os
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from awsenv import federation, log
from awsenv.errors import NotSupported, UsageError
from awsenv.exports import Keys
from awsenv.providers import CredentialsUnavailable, EndpointUnreachable
from tests.helpers import CLOSED_ENDPOINT, HOSTILE, write_config
from tests.standin.federation import MOTO_FEDERATION_KEY_ID, FederationStandIn

SECRET = "unit-secret-CANARY-42"
TOKEN = "unit-token-CANARY-43"
TEMP = Keys("ASIAUNITEXAMPLE00001", SECRET, TOKEN, expiration=2_000_000_000)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


@pytest.fixture
def standin():
    with FederationStandIn() as server:
        yield server


def assert_no_secret(exc: BaseException) -> None:
    text = f"{exc} {getattr(exc, 'hint', '')}"
    for secret in (SECRET, TOKEN, "CANARY-"):
        assert secret not in text


# --- partitions and hosts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (None, "aws"),
        ("", "aws"),
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("ap-southeast-5", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-gov-east-1", "aws-us-gov"),
    ],
)
def test_partition_of_a_region(region, expected):
    assert federation.partition(region) == expected


@pytest.mark.parametrize("region", ["us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1"])
def test_isolated_partitions_are_not_supported(region):
    with pytest.raises(NotSupported, match="isolated partition"):
        federation.partition(region)


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [
        (None, "https://signin.aws.amazon.com/federation"),
        ("eu-central-1", "https://signin.aws.amazon.com/federation"),
        ("cn-north-1", "https://signin.amazonaws.cn/federation"),
        ("us-gov-west-1", "https://signin.amazonaws-us-gov.com/federation"),
    ],
)
def test_default_federation_endpoint_per_partition(region, endpoint):
    assert federation.default_endpoint(region) == endpoint
    assert federation.endpoint({}, region) == endpoint


@pytest.mark.parametrize(
    ("region", "service", "page"),
    [
        (None, None, "https://console.aws.amazon.com/console/home"),
        ("us-east-1", None, "https://console.aws.amazon.com/console/home?region=us-east-1"),
        ("eu-west-1", "s3", "https://console.aws.amazon.com/s3/home?region=eu-west-1"),
        (None, "iam", "https://console.aws.amazon.com/iam/home"),
        ("cn-north-1", "ec2", "https://console.amazonaws.cn/ec2/home?region=cn-north-1"),
        (
            "us-gov-west-1",
            None,
            "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
        ),
        (
            "us-gov-east-1",
            "cloudwatch",
            "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-east-1",
        ),
    ],
)
def test_destination_is_the_partitions_console_page(region, service, page):
    assert federation.destination(region, service) == page


def test_a_region_value_is_encoded_in_the_destination():
    page = federation.destination("eu-west-1&x=1", None)
    assert query_of(page) == {"region": ["eu-west-1&x=1"]}


@pytest.mark.parametrize("service", ["s3", "ec2", "cloudwatch", "dynamodbv2", "sso-admin", "a.b_c"])
def test_service_names_that_name_a_console_page(service):
    assert federation.check_service(service) == service


@pytest.mark.parametrize(
    "service",
    ["", "S3", "s3/buckets", "..", "-ec2", "ec2?x=1", "ec2#top", "x" * 65, *HOSTILE],
)
def test_anything_else_is_not_a_service_name(service):
    with pytest.raises(UsageError, match="is not a service name"):
        federation.check_service(service)


# --- the endpoint override -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "http://127.0.0.1:8080/federation",
        "http://127.0.0.1/federation",
        "https://localhost:8443/federation",
        "http://LOCALHOST/federation",
        "http://[::1]:9000/federation",
        "http://127.0.0.2:1234/x",
    ],
)
def test_a_loopback_override_is_used_as_is(value):
    assert federation.endpoint({"AWSENV_FEDERATION_ENDPOINT": value}, "cn-north-1") == value


@pytest.mark.parametrize(
    "value",
    [
        "https://signin.aws.amazon.com/federation",
        "https://signin.example.com/federation",
        "http://10.0.0.1/federation",
        "http://0.0.0.0/federation",
        "http://127.0.0.1.example.com/federation",
        "ftp://127.0.0.1/federation",
        "file:///etc/passwd",
        "127.0.0.1:8080/federation",
        "http://user:pw@127.0.0.1/federation",
        "http://127.0.0.1/federation?Action=x",
        "http://127.0.0.1/federation#x",
        "http://127.0.0.1:99999/federation",
        "http://127.0.0.1:port/federation",
        "http://127.0.0.1/fed eration",
        "http://127.0.0.1/fed\neration",
        "http://127.0.0.1/f\u00e9d",
    ],
)
def test_any_other_override_is_refused_with_the_variable_named(value):
    with pytest.raises(federation.FederationError, match="AWSENV_FEDERATION_ENDPOINT") as caught:
        federation.endpoint({"AWSENV_FEDERATION_ENDPOINT": value}, None)
    assert caught.value.exit_code == 1
    assert "unset AWSENV_FEDERATION_ENDPOINT" in (caught.value.hint or "")


def test_an_empty_override_means_the_default():
    environ = {"AWSENV_FEDERATION_ENDPOINT": ""}
    assert federation.endpoint(environ, None) == federation.PARTITIONS["aws"][0]


# --- the request and login URLs --------------------------------------------------------------


def test_session_json_is_the_three_credentials_compact():
    assert json.loads(federation.session_json(TEMP)) == {
        "sessionId": "ASIAUNITEXAMPLE00001",
        "sessionKey": SECRET,
        "sessionToken": TOKEN,
    }
    assert " " not in federation.session_json(TEMP)


def test_long_term_keys_are_refused_without_showing_them():
    with pytest.raises(federation.FederationError, match="temporary credentials") as caught:
        federation.session_json(Keys("AKIALONGTERM00000001", SECRET))
    assert_no_secret(caught.value)


def test_signin_token_url_with_and_without_session_duration():
    url = federation.signin_token_url("https://signin.aws.amazon.com/federation", TEMP)
    assert url.startswith("https://signin.aws.amazon.com/federation?Action=getSigninToken&")
    query = query_of(url)
    assert "SessionDuration" not in query
    assert json.loads(query["Session"][0])["sessionToken"] == TOKEN
    with_duration = federation.signin_token_url("https://x.test/federation", TEMP, 3600)
    assert query_of(with_duration)["SessionDuration"] == ["3600"]


@pytest.mark.parametrize("duration", [899, 43201, 0, -1])
def test_session_duration_outside_the_endpoints_range_is_a_bug(duration):
    with pytest.raises(ValueError, match="900-43200"):
        federation.signin_token_url("https://x.test/federation", TEMP, duration)


def test_login_url_carries_issuer_destination_and_token_encoded():
    token = "tok+en/with=odd&chars"
    page = "https://console.aws.amazon.com/s3/home?region=eu-west-1"
    url = federation.login_url("https://signin.aws.amazon.com/federation", token, page)
    assert url.startswith("https://signin.aws.amazon.com/federation?Action=login&Issuer=awsenv&")
    assert query_of(url) == {
        "Action": ["login"],
        "Issuer": ["awsenv"],
        "Destination": [page],
        "SigninToken": [token],
    }


@pytest.mark.parametrize(
    ("kind", "left", "expected"),
    [
        ("assume-role", 3599, 3600),
        ("assume-role", 900, 3600),
        ("assume-role", 3600, None),
        ("assume-role", 8 * 3600, None),
        ("sso", 1200, 3600),
        ("saml", 1200, 3600),
        ("okta", 1200, 3600),
        ("web-identity", 1200, 3600),
        ("static", 1200, None),  # keys with a token of unknown origin
        ("process", 1200, None),
        ("login", 1200, None),
    ],
)
def test_session_duration_only_for_role_credentials_ending_within_the_hour(kind, left, expected):
    keys = Keys("ASIAX", SECRET, TOKEN, expiration=1_000_000 + left)
    assert federation.session_duration(kind, keys, now=1_000_000) == expected


def test_no_session_duration_without_an_expiry():
    assert federation.session_duration("assume-role", Keys("ASIAX", SECRET, TOKEN), now=0) is None


@pytest.mark.parametrize(
    ("user", "name"),
    [
        ("alice", "awsenv-alice"),
        (None, "awsenv-user"),
        ("", "awsenv-user"),
        ("jo hn/doe", "awsenv-jo-hn-doe"),
        ("émile", "awsenv-mile"),
        ("a" * 40, "awsenv-" + "a" * 25),
        ("x@corp.example", "awsenv-x@corp.example"),
        *[(text, None) for text in HOSTILE],
    ],
)
def test_the_federated_users_name_fits_sts(user, name):
    result = federation.federation_name(user)
    if name is not None:
        assert result == name
    assert 2 <= len(result) <= 32
    assert set(result) <= set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-"
    )


def test_the_local_user_comes_from_the_environment():
    assert federation.local_user({"LOGNAME": "alice", "USER": "bob"}) == "alice"
    assert federation.local_user({"USER": "bob"}) == "bob"


# --- getSigninToken against the stand-in -----------------------------------------------------


def test_signin_token_and_the_login_redirect(standin):
    token = federation.signin_token(standin.endpoint, TEMP)
    assert token in standin.canaries()
    [request] = standin.signin_requests
    assert (request.session_id, request.session_duration, request.status) == (
        "ASIAUNITEXAMPLE00001",
        None,
        200,
    )
    page = federation.destination("eu-west-1", "s3")
    url = federation.login_url(standin.endpoint, token, page)
    assert follow_once(url) == (302, page)
    assert standin.logins == [("awsenv", page, "ASIAUNITEXAMPLE00001")]
    assert log.redact(f"x {token} y") == f"x {log.MASK} y"


def test_session_duration_is_sent_when_asked(standin):
    federation.signin_token(standin.endpoint, TEMP, duration=3600)
    assert [r.session_duration for r in standin.signin_requests] == ["3600"]


def test_a_refused_session_duration_is_asked_again_without_it():
    with FederationStandIn(refuse_session_duration=True) as strict:
        token = federation.signin_token(strict.endpoint, TEMP, duration=3600)
        assert token in strict.canaries()
        assert [(r.session_duration, r.status) for r in strict.signin_requests] == [
            ("3600", 400),
            (None, 200),
        ]


def test_a_refusal_without_session_duration_is_not_retried(standin):
    standin.script("GetSigninToken", [("status", 403)])
    with pytest.raises(federation.FederationRefused, match="HTTP 403") as caught:
        federation.signin_token(standin.endpoint, TEMP)
    assert len(standin.signin_requests) == 1
    assert_no_secret(caught.value)


@pytest.mark.parametrize(
    ("step", "needle"),
    [
        (("status", 500), "answered HTTP 500 to getSigninToken"),
        (("status", 503), "answered HTTP 503"),
        (("raw", 200, f"<html>{SECRET}</html>", "text/html"), "did not answer with a sign-in"),
        (("raw", 200, "[1, 2]", "application/json"), "did not answer with a sign-in token"),
        (("raw", 200, '{"SigninToken": ""}', "application/json"), "did not answer with a"),
        (("raw", 200, '{"SigninToken": 7}', "application/json"), "did not answer with a"),
        (("raw", 200, b"\xff\xfe", "application/json"), "did not answer with a sign-in token"),
        (("raw", 500, f'{{"SigninToken": "{TOKEN}"}}', "application/json"), "HTTP 500"),
        (("raw", 302, "", "text/plain"), "answered HTTP 302"),
        (("huge_body", 65 * 1024), "larger than 65536 bytes"),
    ],
)
def test_bad_answers_are_one_line_naming_the_endpoint_and_never_the_body(standin, step, needle):
    standin.script("GetSigninToken", [step])
    with pytest.raises(federation.FederationError) as caught:
        federation.signin_token(standin.endpoint, TEMP)
    message = str(caught.value)
    assert needle in message
    assert standin.endpoint in message
    assert "\n" not in message
    assert_no_secret(caught.value)


def test_an_answer_of_exactly_the_cap_is_read(standin):
    standin.script("GetSigninToken", [("huge_body", federation.MAX_RESPONSE_BYTES)])
    assert federation.signin_token(standin.endpoint, TEMP).startswith("xxx")


def test_a_redirect_is_not_followed_with_the_credentials(standin):
    with FederationStandIn() as elsewhere:
        location = (("Location", elsewhere.endpoint + "?Action=getSigninToken"),)
        standin.script("GetSigninToken", [("raw", 307, "", "text/plain", location)])
        with pytest.raises(federation.FederationError, match="HTTP 307"):
            federation.signin_token(standin.endpoint, TEMP)
        assert elsewhere.calls == {}


def test_an_unreachable_endpoint(standin):
    with pytest.raises(federation.FederationUnreachable, match="cannot reach") as caught:
        federation.signin_token(CLOSED_ENDPOINT + "/federation", TEMP)
    assert CLOSED_ENDPOINT in str(caught.value)
    assert_no_secret(caught.value)


def test_an_endpoint_that_never_answers_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # connections complete in the backlog, and nothing ever answers
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}/federation"
        with pytest.raises(federation.FederationUnreachable, match="no answer within") as caught:
            federation.signin_token(endpoint, TEMP, timeout=0.2)
    assert_no_secret(caught.value)


# --- the stand-in's own rules ----------------------------------------------------------------


def get(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def follow_once(url: str) -> tuple[int, str | None]:
    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location")


def signin_url(standin, session: object, duration: str | None = None) -> str:
    from urllib.parse import urlencode

    params = [("Action", "getSigninToken")]
    if duration is not None:
        params.append(("SessionDuration", duration))
    params.append(("Session", session if isinstance(session, str) else json.dumps(session)))
    return f"{standin.endpoint}?{urlencode(params)}"


GOOD = {"sessionId": "ASIAGOOD000000000001", "sessionKey": "k" * 10, "sessionToken": "t" * 10}


@pytest.mark.parametrize(
    ("session", "duration"),
    [
        ("not json", None),
        ([1], None),
        ({**GOOD, "sessionToken": ""}, None),
        ({k: v for k, v in GOOD.items() if k != "sessionKey"}, None),
        ({**GOOD, "sessionId": "AKIALONGTERM00000001"}, None),
        (GOOD, "899"),
        (GOOD, "43201"),
        (GOOD, "1h"),
        ({**GOOD, "sessionId": MOTO_FEDERATION_KEY_ID}, "3600"),
    ],
)
def test_the_standin_refuses_what_the_endpoint_refuses(standin, session, duration):
    status, _ = get(signin_url(standin, session, duration))
    assert status == 400
    assert standin.canaries() == []


def test_the_standin_accepts_moto_federation_keys_without_session_duration(standin):
    status, body = get(signin_url(standin, {**GOOD, "sessionId": MOTO_FEDERATION_KEY_ID}))
    assert status == 200
    assert json.loads(body)["SigninToken"] in standin.canaries()


def test_the_standin_login_needs_a_token_it_issued_and_not_expired():
    now = [1000.0]
    with FederationStandIn(clock=lambda: now[0]) as standin:
        _, body = get(signin_url(standin, GOOD))
        token = json.loads(body)["SigninToken"]
        page = "https://console.aws.amazon.com/console/home"
        assert follow_once(federation.login_url(standin.endpoint, "forged", page))[0] == 400
        bad_page = federation.login_url(standin.endpoint, token, "javascript:alert(1)")
        assert follow_once(bad_page)[0] == 400
        assert follow_once(federation.login_url(standin.endpoint, token, page)) == (302, page)
        now[0] += 901
        assert follow_once(federation.login_url(standin.endpoint, token, page))[0] == 400
        assert len(standin.logins) == 1


def test_the_standin_answers_only_get_on_its_path(standin):
    assert get(standin.base_url + "/other?Action=login")[0] == 404
    assert get(standin.endpoint + "?Action=nothing")[0] == 400
    request = urllib.request.Request(standin.endpoint + "?Action=getSigninToken", method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(request, timeout=10)
    assert caught.value.code == 405
    assert standin.calls == {"Unknown": 2, "GetSigninToken": 1}


def test_the_standin_rejects_unknown_scripts(standin):
    with pytest.raises(ValueError, match="unknown operation"):
        standin.script("AssumeRole", [("status", 500)])
    with pytest.raises(ValueError, match="unknown fault"):
        standin.script("Login", [("sleep", 5)])


# --- GetFederationToken (against a small fake STS) -------------------------------------------

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
FED_SECRET = "fed-secret-CANARY-44"
FED_TOKEN = "fed-token-CANARY-45"


class FakeSts(BaseHTTPRequestHandler):
    """Answers GetFederationToken with keys, or with the error ``server.error`` names."""

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        self.server.forms.append(form)
        error = self.server.error
        if error is not None:
            status, code = error
            answer = (
                f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
                f"<Message>{code} for the test</Message></Error><RequestId>r</RequestId>"
                "</ErrorResponse>"
            )
        else:
            status = 200
            answer = (
                f'<GetFederationTokenResponse xmlns="{STS_NS}"><GetFederationTokenResult>'
                f"<Credentials><AccessKeyId>ASIAFEDERATED0000001</AccessKeyId>"
                f"<SecretAccessKey>{FED_SECRET}</SecretAccessKey>"
                f"<SessionToken>{FED_TOKEN}</SessionToken>"
                "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>"
                "<FederatedUser><FederatedUserId>111111111111:awsenv-alice</FederatedUserId>"
                "<Arn>arn:aws:sts::111111111111:federated-user/awsenv-alice</Arn></FederatedUser>"
                "</GetFederationTokenResult><ResponseMetadata><RequestId>r</RequestId>"
                "</ResponseMetadata></GetFederationTokenResponse>"
            )
        data = answer.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_sts(home):
    write_config(
        home,
        "[profile user]\nregion = eu-west-1\n",
        credentials="[user]\naws_access_key_id = AKIAUSER000000000001\n"
        f"aws_secret_access_key = {SECRET}\n",
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSts)
    server.forms = []
    server.error = None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def sts_environ(server) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{server.server_address[1]}",
        "AWS_MAX_ATTEMPTS": "1",
    }


LONG_TERM = Keys("AKIAUSER000000000001", SECRET)


def test_federated_keys_ask_for_an_allow_all_policy_for_twelve_hours(fake_sts):
    keys = federation.federated_keys(
        sts_environ(fake_sts), "user", LONG_TERM, region=None, name="awsenv-alice"
    )
    assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == (
        "ASIAFEDERATED0000001",
        FED_SECRET,
        FED_TOKEN,
    )
    assert keys.expiration == 1893456000
    [form] = fake_sts.forms
    assert form["Action"] == "GetFederationToken"
    assert form["Name"] == "awsenv-alice"
    assert form["DurationSeconds"] == "43200"
    assert json.loads(form["Policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    assert "PolicyArns.member.1" not in form
    assert log.redact(f"{FED_SECRET} {FED_TOKEN}") == f"{log.MASK} {log.MASK}"


@pytest.mark.parametrize(
    ("error", "needle", "hint"),
    [
        ((403, "AccessDenied"), "STS refused GetFederationToken", "sts:GetFederationToken"),
        ((403, "InvalidClientTokenId"), "STS refused the keys", "aws_access_key_id"),
        ((400, "ValidationError"), "GetFederationToken for profile 'user' failed", None),
    ],
)
def test_federated_keys_errors_are_one_line(fake_sts, error, needle, hint):
    fake_sts.error = error
    with pytest.raises(CredentialsUnavailable) as caught:
        federation.federated_keys(
            sts_environ(fake_sts), "user", LONG_TERM, region="us-east-1", name="awsenv-alice"
        )
    assert needle in caught.value.message
    assert "\n" not in caught.value.message
    if hint:
        assert hint in (caught.value.hint or "")
    assert_no_secret(caught.value)


def test_federated_keys_with_sts_unreachable(home):
    write_config(home, "[profile user]\nregion = eu-west-1\n")
    environ = {**os.environ, "AWS_ENDPOINT_URL_STS": CLOSED_ENDPOINT, "AWS_MAX_ATTEMPTS": "1"}
    with pytest.raises(EndpointUnreachable, match="cannot reach STS") as caught:
        federation.federated_keys(environ, "user", LONG_TERM, region=None, name="awsenv-x")
    assert_no_secret(caught.value)
