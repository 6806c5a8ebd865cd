"""AssumeRoleWithSAML against moto (single-role assertions) and a small STS stand-in (the rest).

Which server answers what:

- moto's STS (``moto_sts``): single-role assertions, role ARN first, with a ``RoleSessionName``
  attribute and at least two attributes (what moto 5's AssumeRoleWithSAML needs), in account
  123456789012 so that GetCallerIdentity names the role.
- ``SamlSts`` below: multi-role assertions (moto answers those with HTTP 500), the provider-first
  order (moto takes the first half as the role), and STS's refusals (AccessDenied,
  ExpiredTokenException, InvalidIdentityToken, a DurationSeconds ValidationError).
"""

from __future__ import annotations

import base64
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from awsenv import saml
from awsenv.providers import EndpointUnreachable, role
from awsenv.providers import saml as saml_provider
from awsenv.providers.saml import (
    SamlAssertionExpired,
    SamlAssertionRejected,
    SamlAssumeFailed,
    SamlDurationRefused,
    SamlRoleDenied,
)
from tests.helpers import CLOSED_ENDPOINT, minimal_env

pytestmark = pytest.mark.e2e

MOTO_ACCOUNT = "123456789012"  # moto files SAML-assumed roles under its default account
CANARY = "CANARY-SAML-ASSERTION-4d2c"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def provider_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:saml-provider/Okta"


def saml_response(
    role_values: list[str], *, session_name: str = "alice", session_duration: int | None = None
) -> str:
    """Base64 of a samlp:Response as moto parses it (samlp/saml prefixes, typed values)."""

    def attribute(name: str, values: list[str]) -> str:
        inner = "".join(
            '<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:type="xs:string">{value}</saml:AttributeValue>'
            for value in values
        )
        return f'<saml:Attribute Name="{name}">{inner}</saml:Attribute>'

    attributes = [
        attribute("https://aws.amazon.com/SAML/Attributes/RoleSessionName", [session_name]),
        attribute(saml.ROLE_ATTRIBUTE, role_values),
    ]
    if session_duration is not None:
        attributes.append(attribute(saml.SESSION_DURATION_ATTRIBUTE, [str(session_duration)]))
    xml = (
        f'<?xml version="1.0"?><samlp:Response xmlns:samlp="{PROTOCOL}" '
        f'xmlns:saml="{ASSERTION_NS}" ID="_{CANARY}" Version="2.0">'
        f"<saml:Issuer>http://www.okta.com/{CANARY}</saml:Issuer>"
        '<saml:Assertion ID="_a" Version="2.0">'
        f"<saml:Subject><saml:NameID>{CANARY}@example.com</saml:NameID></saml:Subject>"
        "<saml:Conditions><saml:AudienceRestriction><saml:Audience>"
        "https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction>"
        f"</saml:Conditions><saml:AttributeStatement>{''.join(attributes)}"
        "</saml:AttributeStatement></saml:Assertion></samlp:Response>"
    )
    return base64.b64encode(xml.encode()).decode()


def assert_clean(exc: BaseException, *secrets: str) -> None:
    """One line; no assertion text and no key in the message or hint."""
    message = exc.message  # type: ignore[attr-defined]
    text = f"{message} {exc.hint or ''} {exc!s} {exc!r}"  # type: ignore[attr-defined]
    assert "\n" not in message
    assert CANARY not in text
    for secret in secrets:
        assert secret not in text
        for i in range(0, max(1, len(secret) - 40), 40):
            assert secret[i : i + 40] not in text


# --- moto ---------------------------------------------------------------------------------------


@pytest.fixture
def moto_env(home, moto_sts):
    return minimal_env(home, AWS_ENDPOINT_URL_STS=moto_sts)


def test_moto_assumes_the_single_role_and_caller_identity_names_it(moto_env):
    arn = role_arn(MOTO_ACCOUNT, "SamlAdmin")
    text = saml_response([f"{arn},{provider_arn(MOTO_ACCOUNT)}"], session_name="alice")
    parsed = saml.parse(text)
    chosen = saml.choose(parsed.roles, preset=None, picker=None)
    keys = saml_provider.assume_role_with_saml(
        moto_env, chosen, parsed, region="us-east-1", duration=None
    )
    assert keys.access_key_id
    assert keys.secret_access_key
    assert keys.session_token
    assert keys.expiration is not None
    assert 3000 < keys.expiration - time.time() <= 3600
    assert keys.secret_access_key not in repr(keys)
    who = role.caller_identity(keys, region="us-east-1", environ=moto_env)
    assert who["Arn"] == f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/SamlAdmin/alice"
    assert who["Account"] == MOTO_ACCOUNT


def test_moto_honours_the_session_duration_of_the_assertion(moto_env):
    arn = role_arn(MOTO_ACCOUNT, "Short")
    parsed = saml.parse(
        saml_response([f"{arn},{provider_arn(MOTO_ACCOUNT)}"], session_duration=1800)
    )
    assert parsed.session_duration == 1800
    keys = saml_provider.assume_role_with_saml(
        moto_env, parsed.roles[0], parsed, region=None, duration=None
    )
    assert keys.expiration is not None
    assert 1500 < keys.expiration - time.time() <= 1800


def test_a_stale_aws_profile_in_the_environment_does_not_matter(moto_env):
    arn = role_arn(MOTO_ACCOUNT, "SamlAdmin")
    parsed = saml.parse(saml_response([f"{arn},{provider_arn(MOTO_ACCOUNT)}"]))
    env = {**moto_env, "AWS_PROFILE": "no-such-profile", "AWS_DEFAULT_PROFILE": "gone"}
    keys = saml_provider.assume_role_with_saml(
        env, parsed.roles[0], parsed, region="eu-west-1", duration=None
    )
    assert keys.access_key_id


# --- a small STS stand-in ------------------------------------------------------------------------

DENIED = role_arn("111111111111", "Denied")
EXPIRED = role_arn("111111111111", "Expired")
REJECTED = role_arn("111111111111", "Rejected")
TOO_LONG = role_arn("111111111111", "TooLong")
DEV = role_arn("111111111111", "Admin")
DEV_RO = role_arn("111111111111", "ReadOnly")
PROD = role_arn("222222222222", "Admin")

REFUSALS = {
    DENIED: (403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML"),
    EXPIRED: (400, "ExpiredTokenException", "Token must be fresh"),
    # a hostile server echoing the assertion: awsenv must not repeat it
    REJECTED: (400, "InvalidIdentityToken", "Invalid SAML response: {assertion}"),
    TOO_LONG: (
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    ),
}


class SamlSts(BaseHTTPRequestHandler):
    """AssumeRoleWithSAML for any role the assertion offers; GetCallerIdentity for its keys."""

    calls: list[dict[str, object]]
    minted: dict[str, str]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        action = form.get("Action")
        if action == "AssumeRoleWithSAML":
            self.calls.append({**form, "Authorization": self.headers.get("Authorization")})
            self.assume(form)
        elif action == "GetCallerIdentity":
            self.identity()
        else:
            self.error(400, "InvalidAction", f"not here: {action}")

    def assume(self, form: dict[str, str]) -> None:
        arn, principal = form["RoleArn"], form["PrincipalArn"]
        if arn in REFUSALS:
            status, code, message = REFUSALS[arn]
            self.error(status, code, message.format(assertion=form["SAMLAssertion"]))
            return
        document = base64.b64decode(form["SAMLAssertion"]).decode()
        offered = arn in document and principal in document
        if not offered:
            self.error(403, "AccessDenied", "role not in the assertion")
            return
        account, name = arn.split(":")[4], arn.rsplit("/", 1)[-1]
        key = f"ASIASAML{len(self.minted):012d}"
        self.minted[key] = f"arn:aws:sts::{account}:assumed-role/{name}/alice"
        duration = int(form.get("DurationSeconds", "3600"))
        expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + duration))
        self.reply(
            200,
            '<AssumeRoleWithSAMLResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<AssumeRoleWithSAMLResult><Credentials>"
            f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>saml-secret-{key}</SecretAccessKey>"
            f"<SessionToken>saml-token-{key}</SessionToken><Expiration>{expiry}</Expiration>"
            f"</Credentials><AssumedRoleUser><Arn>{self.minted[key]}</Arn>"
            f"<AssumedRoleId>AROA{key}:alice</AssumedRoleId></AssumedRoleUser>"
            "<Subject>alice</Subject><SubjectType>transient</SubjectType>"
            "<Issuer>http://www.okta.com/x</Issuer>"
            "<Audience>https://signin.aws.amazon.com/saml</Audience>"
            "<NameQualifier>q</NameQualifier></AssumeRoleWithSAMLResult>"
            "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
            "</AssumeRoleWithSAMLResponse>",
        )

    def identity(self) -> None:
        auth = self.headers.get("Authorization", "")
        key = auth.split("Credential=", 1)[-1].split("/", 1)[0]
        arn = self.minted.get(key)
        if arn is None:
            self.error(403, "InvalidClientTokenId", "unknown key")
            return
        self.reply(
            200,
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AROA:alice</UserId>"
            f"<Account>{arn.split(':')[4]}</Account></GetCallerIdentityResult>"
            "<ResponseMetadata><RequestId>2</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>",
        )

    def error(self, status: int, code: str, message: str) -> None:
        self.reply(
            status,
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>",
        )

    def reply(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class FakeSts:
    def __init__(self) -> None:
        handler = type("Handler", (SamlSts,), {"calls": [], "minted": {}})
        self.handler = handler
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def calls(self) -> list[dict[str, object]]:
        calls: list[dict[str, object]] = getattr(self.handler, "calls")  # noqa: B009
        return calls

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    sts = FakeSts()
    yield sts
    sts.stop()


@pytest.fixture
def fake_env(home, fake):
    return minimal_env(home, AWS_ENDPOINT_URL_STS=fake.endpoint)


MULTI = [
    f"{DEV},{provider_arn('111111111111')}",
    f"{provider_arn('111111111111')},{DEV_RO}",  # Okta's order
    f"{provider_arn('222222222222')},{PROD}",
    *(f"{arn},{provider_arn('111111111111')}" for arn in (DENIED, EXPIRED, REJECTED, TOO_LONG)),
]


def test_a_multi_role_assertion_with_a_preset_role(fake, fake_env):
    text = saml_response(MULTI)
    parsed = saml.parse(text)
    assert len(parsed.roles) == 7
    chosen = saml.choose(parsed.roles, preset=PROD, picker=None)
    keys = saml_provider.assume_role_with_saml(
        fake_env, chosen, parsed, region="us-east-1", duration=None
    )
    assert keys.access_key_id.startswith("ASIASAML")
    who = role.caller_identity(keys, region="us-east-1", environ=fake_env)
    assert who["Arn"] == "arn:aws:sts::222222222222:assumed-role/Admin/alice"
    (call,) = fake.calls
    assert call["RoleArn"] == PROD
    assert call["PrincipalArn"] == provider_arn("222222222222")
    assert call["SAMLAssertion"] == text
    assert "DurationSeconds" not in call  # STS's default, not SessionDuration copied in
    assert call["Authorization"] is None  # AssumeRoleWithSAML is unsigned


def test_a_multi_role_assertion_through_a_picker(fake, fake_env):
    parsed = saml.parse(saml_response(MULTI))
    chosen = saml.choose(
        parsed.roles,
        preset=None,
        picker=lambda roles: next(r for r in roles if r.role_arn == DEV_RO),
    )
    keys = saml_provider.assume_role_with_saml(fake_env, chosen, parsed, region=None, duration=None)
    who = role.caller_identity(keys, region="us-east-1", environ=fake_env)
    assert who["Arn"] == "arn:aws:sts::111111111111:assumed-role/ReadOnly/alice"
    assert fake.calls[0]["PrincipalArn"] == provider_arn("111111111111")


def test_the_configured_duration_is_sent_shortened_by_session_duration(fake, fake_env):
    parsed = saml.parse(saml_response(MULTI, session_duration=1800))
    dev = saml.choose(parsed.roles, preset=DEV, picker=None)
    keys = saml_provider.assume_role_with_saml(
        fake_env, dev, parsed, region="us-east-1", duration=7200
    )
    assert fake.calls[-1]["DurationSeconds"] == "1800"
    assert keys.expiration is not None
    assert 1500 < keys.expiration - time.time() <= 1800
    longer = saml.parse(saml_response(MULTI, session_duration=43200))
    saml_provider.assume_role_with_saml(fake_env, dev, longer, region="us-east-1", duration=7200)
    assert fake.calls[-1]["DurationSeconds"] == "7200"


def refusal(fake_env: dict[str, str], arn: str, duration: int | None = None) -> BaseException:
    text = saml_response(MULTI)
    parsed = saml.parse(text)
    chosen = saml.choose(parsed.roles, preset=arn, picker=None)
    with pytest.raises(SamlAssumeFailed) as caught:
        saml_provider.assume_role_with_saml(
            fake_env, chosen, parsed, region="us-east-1", duration=duration
        )
    assert_clean(caught.value, text)
    return caught.value


def test_access_denied_names_the_role_and_its_provider(fake_env):
    exc = refusal(fake_env, DENIED)
    assert isinstance(exc, SamlRoleDenied)
    assert exc.message.startswith(f"role {DENIED} denied to the SAML assertion: Not authorized")
    assert provider_arn("111111111111") in (exc.hint or "")


def test_an_expired_assertion_says_sign_in_again(fake_env):
    exc = refusal(fake_env, EXPIRED)
    assert isinstance(exc, SamlAssertionExpired)
    assert exc.message == "the SAML assertion has expired; sign in again"


def test_an_invalid_assertion_is_rejected_without_echoing_it(fake_env):
    exc = refusal(fake_env, REJECTED)
    assert isinstance(exc, SamlAssertionRejected)
    assert "InvalidIdentityToken" in exc.message
    assert "[assertion]" in exc.message or "[redacted]" in exc.message


def test_a_duration_above_the_maximum_names_duration_seconds(fake_env):
    exc = refusal(fake_env, TOO_LONG, duration=43200)
    assert isinstance(exc, SamlDurationRefused)
    assert "duration_seconds = 43200" in exc.message
    assert "MaxSessionDuration" in exc.message
    assert "duration_seconds" in (exc.hint or "")


def test_a_duration_below_the_minimum_is_refused_before_sending(fake, fake_env):
    text = saml_response(MULTI)
    parsed = saml.parse(text)
    with pytest.raises(SamlAssumeFailed) as caught:
        saml_provider.assume_role_with_saml(
            fake_env, parsed.roles[0], parsed, region="us-east-1", duration=60
        )
    assert "DurationSeconds" in caught.value.message
    assert_clean(caught.value, text)
    assert fake.calls == []


def test_an_unreachable_sts_is_one_line(home):
    env = minimal_env(home, AWS_ENDPOINT_URL_STS=CLOSED_ENDPOINT, AWS_MAX_ATTEMPTS="1")
    text = saml_response(MULTI)
    parsed = saml.parse(text)
    with pytest.raises(EndpointUnreachable) as caught:
        saml_provider.assume_role_with_saml(
            env, parsed.roles[0], parsed, region="us-east-1", duration=None
        )
    assert CLOSED_ENDPOINT in caught.value.message
    assert DEV in caught.value.message
    assert "AWS_ENDPOINT_URL_STS" in (caught.value.hint or "")
    assert_clean(caught.value, text)
