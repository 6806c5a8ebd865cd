"""Reading SAML responses (roles in either order, any prefix, bad input) and choosing a role."""

from __future__ import annotations

import base64
import sys
import textwrap
import time
from urllib.parse import quote

import pytest

from awsenv import saml
from awsenv.providers import saml as saml_provider
from awsenv.saml import SamlError, SamlRole, SamlRoleChoiceNeeded, SamlRoleNotOffered
from tests.helpers import PYTHON
from tests.terminal import run_pty

CANARY = "CANARY-SAML-SECRET-9b1e"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def provider_arn(account: str, name: str = "Okta") -> str:
    return f"arn:aws:iam::{account}:saml-provider/{name}"


def response_xml(
    role_values: list[str] | None,
    *,
    prefix: str = "saml2",
    session_duration: str | None = None,
    session_name: str = "alice@example.com",
) -> str:
    """A samlp:Response with an AttributeStatement (no signature: nothing here checks one)."""
    p = f"{prefix}:" if prefix else ""
    rp = "samlp:" if prefix else ""
    xmlns = f' xmlns:samlp="{PROTOCOL}" xmlns:{prefix}="{ASSERTION_NS}"' if prefix else ""

    def attribute(name: str, values: list[str]) -> str:
        inner = "".join(
            f'<{p}AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:type="xs:string">{v}</{p}AttributeValue>'
            for v in values
        )
        return f'<{p}Attribute Name="{name}">{inner}</{p}Attribute>'

    attributes = [
        attribute("https://aws.amazon.com/SAML/Attributes/RoleSessionName", [session_name])
    ]
    if role_values is not None:
        attributes.append(attribute(saml.ROLE_ATTRIBUTE, role_values))
    if session_duration is not None:
        attributes.append(attribute(saml.SESSION_DURATION_ATTRIBUTE, [session_duration]))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{rp}Response{xmlns} ID="_1" Version="2.0">'
        f"<{p}Issuer>http://www.okta.com/{CANARY}</{p}Issuer>"
        f'<{p}Assertion ID="_2" Version="2.0"><{p}Subject><{p}NameID>{CANARY}</{p}NameID>'
        f"</{p}Subject><{p}AttributeStatement>{''.join(attributes)}</{p}AttributeStatement>"
        f"</{p}Assertion></{rp}Response>"
    )


def b64(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.b64encode(data).decode()


def assertion(role_values: list[str] | None, **kwargs: str) -> str:
    return b64(response_xml(role_values, **kwargs))


DEV = role_arn("111111111111", "Admin")
DEV_RO = role_arn("111111111111", "ReadOnly")
PROD = role_arn("222222222222", "Admin")
ONE = [f"{DEV},{provider_arn('111111111111')}"]
SEVERAL = [
    f"{DEV},{provider_arn('111111111111')}",
    f"{provider_arn('111111111111')},{DEV_RO}",  # Okta's order: provider first
    f" {provider_arn('222222222222')} , {PROD} ",
]


def assert_clean(exc: SamlError, *secrets: str) -> None:
    """The error is one line and shows none of the assertion's text."""
    text = f"{exc.message} {exc.hint or ''} {exc!r}"
    assert "\n" not in exc.message
    assert CANARY not in text
    for secret in secrets:
        assert secret not in text
        assert secret[:40] not in text


# --- parsing ------------------------------------------------------------------------------------


def test_a_single_role_is_read_with_its_provider():
    parsed = saml.parse(assertion(ONE))
    assert [(r.role_arn, r.principal_arn) for r in parsed.roles] == [
        (DEV, provider_arn("111111111111"))
    ]
    assert parsed.roles[0].account_id == "111111111111"
    assert parsed.roles[0].role_name == "Admin"
    assert parsed.session_duration is None


def test_role_values_in_either_order_and_several_accounts():
    parsed = saml.parse(assertion(SEVERAL))
    assert [(r.role_arn, r.principal_arn) for r in parsed.roles] == [
        (DEV, provider_arn("111111111111")),
        (DEV_RO, provider_arn("111111111111")),
        (PROD, provider_arn("222222222222")),
    ]
    assert [r.account_id for r in parsed.roles] == ["111111111111"] * 2 + ["222222222222"]


def test_duplicate_role_values_are_listed_once():
    parsed = saml.parse(assertion([*ONE, *ONE]))
    assert len(parsed.roles) == 1


def test_a_role_with_a_path_keeps_its_path_and_name():
    arn = "arn:aws:iam::111111111111:role/team/ops/Deploy"
    parsed = saml.parse(assertion([f"{arn},{provider_arn('111111111111')}"]))
    assert parsed.roles[0].role_name == "Deploy"
    assert parsed.roles[0].role_path_name == "team/ops/Deploy"


def test_other_partitions_are_accepted():
    arn = "arn:aws-us-gov:iam::111111111111:role/Admin"
    principal = "arn:aws-us-gov:iam::111111111111:saml-provider/Okta"
    assert saml.parse(assertion([f"{principal},{arn}"])).roles[0].role_arn == arn


@pytest.mark.parametrize("prefix", ["saml2", "saml", "a", ""])
def test_any_namespace_prefix_or_none(prefix):
    parsed = saml.parse(assertion(SEVERAL, prefix=prefix))
    assert len(parsed.roles) == 3


def test_a_default_namespace_is_matched_on_local_names():
    xml = response_xml(ONE, prefix="saml2").replace(
        f'xmlns:saml2="{ASSERTION_NS}"', f'xmlns="{ASSERTION_NS}"'
    )
    xml = xml.replace("saml2:", "")
    assert saml.parse(b64(xml)).roles[0].role_arn == DEV


def test_session_duration_is_read():
    assert saml.parse(assertion(ONE, session_duration="7200")).session_duration == 7200


def test_a_session_duration_that_is_not_a_number_is_ignored():
    assert saml.parse(assertion(ONE, session_duration="soon")).session_duration is None


def test_whitespace_and_newlines_in_the_base64_are_ignored():
    text = assertion(SEVERAL)
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    parsed = saml.parse(f"  \r\n{wrapped}\n\t ")
    assert len(parsed.roles) == 3
    assert parsed.raw_b64 == text


def test_the_base64_sent_to_sts_is_the_canonical_text():
    text = assertion(ONE)
    assert saml.parse(text).raw_b64 == text


def test_a_url_encoded_form_value_is_decoded():
    text = assertion(SEVERAL)
    assert "+" in text or "/" in text or "=" in text
    encoded = quote(text, safe="")
    assert "%" in encoded
    assert saml.parse(encoded).raw_b64 == text
    assert saml.parse("SAMLResponse=" + encoded).raw_b64 == text


def test_url_safe_alphabet_and_missing_padding_are_accepted():
    data = response_xml(SEVERAL).encode() + b"  "  # pad the length so '=' would be needed
    while len(data) % 3 == 0:
        data += b" "
    text = base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert saml.parse(text).raw_b64 == b64(data)


def test_a_utf8_bom_is_accepted():
    assert saml.parse(b64(b"\xef\xbb\xbf" + response_xml(ONE).encode())).roles[0].role_arn == DEV


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"this is not base64 {CANARY}!",
        f"{CANARY}*&^",
        "abcde",  # one character too many for any base64 length
        "<samlp:Response>",
    ],
)
def test_not_base64(text):
    with pytest.raises(SamlError) as caught:
        saml.parse(text)
    assert "not base64" in caught.value.message
    assert_clean(caught.value, text)


@pytest.mark.parametrize("text", ["", "   \n ", "SAMLResponse="])
def test_empty(text):
    with pytest.raises(SamlError, match="empty"):
        saml.parse(text)


@pytest.mark.parametrize(
    "document",
    [
        f"hello {CANARY}",
        f"<html><body><form>{CANARY}</body></html>",  # not well-formed
        f"<samlp:Response>{CANARY}</samlp:Response>",  # unbound prefix
        f"\x00<{CANARY}/>",
    ],
)
def test_not_xml(document):
    with pytest.raises(SamlError) as caught:
        saml.parse(b64(document))
    assert "not a SAML XML document" in caught.value.message
    assert_clean(caught.value, b64(document))


def test_not_utf8():
    with pytest.raises(SamlError, match="not UTF-8"):
        saml.parse(b64(response_xml(ONE).encode("utf-16")))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS,
        '<!doctype r [<!entity x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        response_xml(ONE).replace("?>", '?><!DOCTYPE samlp:Response SYSTEM "http://x/">'),
        '<r><!ENTITY x "y"></r>',
    ],
    ids=["billion-laughs", "external-entity", "doctype", "entity"],
)
def test_dtds_and_entities_are_refused_before_parsing(document):
    start = time.monotonic()
    with pytest.raises(SamlError) as caught:
        saml.parse(b64(document))
    assert "DOCTYPE or ENTITY" in caught.value.message
    assert_clean(caught.value)
    assert time.monotonic() - start < 5


def test_an_oversized_assertion_is_refused():
    big = b"<r>" + b"a" * (saml.MAX_DOCUMENT_BYTES + 1) + b"</r>"
    with pytest.raises(SamlError, match="larger than"):
        saml.parse(b64(big))
    with pytest.raises(SamlError, match="larger than"):
        saml.parse("A" * (saml.MAX_TEXT_CHARS + 1))


def test_no_role_attribute():
    with pytest.raises(SamlError) as caught:
        saml.parse(assertion(None))
    assert saml.ROLE_ATTRIBUTE in caught.value.message
    assert "no" in caught.value.message
    assert_clean(caught.value)


def test_a_role_attribute_with_no_values():
    xml = response_xml(None).replace(
        "</saml2:AttributeStatement>",
        f'<saml2:Attribute Name="{saml.ROLE_ATTRIBUTE}"/></saml2:AttributeStatement>',
    )
    with pytest.raises(SamlError, match="has no values"):
        saml.parse(b64(xml))


def test_the_role_attribute_name_is_case_sensitive():
    xml = response_xml(ONE).replace(saml.ROLE_ATTRIBUTE, saml.ROLE_ATTRIBUTE.lower())
    with pytest.raises(SamlError, match="has no"):
        saml.parse(b64(xml))


@pytest.mark.parametrize(
    "value",
    [
        DEV,  # no provider
        provider_arn("111111111111"),  # no role
        f"{DEV},{DEV_RO}",  # two roles
        f"{provider_arn('1')},{provider_arn('2')}",  # two providers
        f"{DEV},{provider_arn('111111111111')},{PROD}",  # three parts
        f"{DEV},",
        "Admin,Okta",
        "arn:aws:iam::1111:role/Admin,arn:aws:iam::1111:saml-provider/Okta",  # short account
        "arn:aws:iam::111111111111:role/,arn:aws:iam::111111111111:saml-provider/Okta",
        "",
    ],
)
def test_a_malformed_role_value(value):
    with pytest.raises(SamlError) as caught:
        saml.parse(assertion([*ONE, value]))
    assert "Role value 2" in caught.value.message
    assert "role ARN and a SAML provider ARN" in caught.value.message
    assert_clean(caught.value)


def test_a_malformed_role_value_with_odd_characters_is_not_echoed():
    value = f"{CANARY}<>{'x' * 400}"
    with pytest.raises(SamlError) as caught:
        saml.parse(assertion([value.replace("<>", "")]))
    assert_clean(caught.value, value)


def test_repr_never_shows_the_assertion():
    text = assertion(SEVERAL, session_duration="3600")
    parsed = saml.parse(text)
    shown = repr(parsed) + str(parsed)
    assert text not in shown
    assert text[:20] not in shown
    assert "redacted" in shown
    assert DEV in shown


def test_roles_and_assertions_have_slots():
    role = SamlRole(DEV, provider_arn("111111111111"))
    with pytest.raises(AttributeError):
        role.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        saml.Assertion("", []).extra = 1  # type: ignore[attr-defined]


# --- files --------------------------------------------------------------------------------------


def test_read_assertion_file(tmp_path, monkeypatch):
    text = assertion(ONE)
    (tmp_path / "saml.b64").write_text(text + "\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert saml.read_assertion_file("~/saml.b64").strip() == text
    assert saml.parse(saml.read_assertion_file(str(tmp_path / "saml.b64"))).raw_b64 == text


def test_a_missing_assertion_file(tmp_path):
    with pytest.raises(SamlError) as caught:
        saml.read_assertion_file(str(tmp_path / "nope.b64"))
    assert "does not exist" in caught.value.message
    assert "nope.b64" in caught.value.message


def test_an_empty_assertion_file(tmp_path):
    path = tmp_path / "empty.b64"
    path.write_text("\n  \n")
    with pytest.raises(SamlError, match="is empty"):
        saml.read_assertion_file(str(path))


def test_an_assertion_file_that_is_a_directory(tmp_path):
    with pytest.raises(SamlError, match="is a directory"):
        saml.read_assertion_file(str(tmp_path))


def test_an_unreadable_assertion_file(tmp_path):
    # A symlink loop (ELOOP) cannot be read by anyone, root included.
    path = tmp_path / "loop.b64"
    path.symlink_to(path)
    with pytest.raises(SamlError, match="cannot read"):
        saml.read_assertion_file(str(path))


# --- choosing -----------------------------------------------------------------------------------


def roles() -> list[SamlRole]:
    return saml.parse(assertion(SEVERAL)).roles


def no_picker(offered: list[SamlRole]) -> SamlRole:
    raise AssertionError("the picker should not be asked")


def test_one_role_is_taken_without_asking():
    only = saml.parse(assertion(ONE)).roles
    assert saml.choose(only, preset=None, picker=no_picker) is only[0]
    assert saml.choose(only, preset=None, picker=None) is only[0]


def test_a_preset_role_arn_is_taken_without_asking():
    chosen = saml.choose(roles(), preset=PROD, picker=no_picker)
    assert chosen.role_arn == PROD
    assert chosen.principal_arn == provider_arn("222222222222")


def test_a_preset_unique_role_name_is_accepted():
    assert saml.choose(roles(), preset="ReadOnly", picker=no_picker).role_arn == DEV_RO


def test_a_preset_name_held_by_several_roles_asks_for_the_arn():
    with pytest.raises(SamlError) as caught:
        saml.choose(roles(), preset="Admin", picker=no_picker)
    assert "matches 2 roles" in caught.value.message
    assert DEV in caught.value.message
    assert PROD in caught.value.message
    assert "--role" in (caught.value.hint or "")


def test_a_preset_not_offered_fails_listing_what_is_offered():
    missing = role_arn("333333333333", "Admin")
    with pytest.raises(SamlRoleNotOffered) as caught:
        saml.choose(roles(), preset=missing, picker=no_picker)
    message = caught.value.message
    assert missing in message
    assert all(arn in message for arn in (DEV, DEV_RO, PROD))
    assert "\n" not in message


def test_a_preset_not_offered_fails_even_with_one_role():
    only = saml.parse(assertion(ONE)).roles
    with pytest.raises(SamlRoleNotOffered):
        saml.choose(only, preset=PROD, picker=None)


def test_several_roles_go_to_the_picker():
    offered = roles()
    seen: list[list[SamlRole]] = []

    def picker(given: list[SamlRole]) -> SamlRole:
        seen.append(given)
        return given[2]

    assert saml.choose(offered, preset=None, picker=picker).role_arn == PROD
    assert seen == [offered]


def test_several_roles_and_no_picker_point_at_role_and_saml_role_arn():
    with pytest.raises(SamlRoleChoiceNeeded) as caught:
        saml.choose(roles(), preset=None, picker=None)
    assert "3 roles" in caught.value.message
    assert "--role" in (caught.value.hint or "")
    assert "saml_role_arn" in (caught.value.hint or "")


def test_a_picker_returning_a_stranger_is_refused():
    stranger = SamlRole(role_arn("999999999999", "X"), provider_arn("999999999999"))
    with pytest.raises(SamlError):
        saml.choose(roles(), preset=None, picker=lambda given: stranger)


def test_no_roles_at_all():
    with pytest.raises(SamlError):
        saml.choose([], preset=None, picker=None)


# --- DurationSeconds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "session_duration", "sent"),
    [
        (None, None, None),  # STS default (3600)
        (None, 43200, None),  # SessionDuration is never copied in upwards
        (None, 1800, 1800),  # shorter than the default: exact expiry
        (7200, None, 7200),
        (7200, 3600, 3600),  # SessionDuration shortens
        (1800, 7200, 1800),
        (7200, 60, 7200),  # out-of-range SessionDuration is ignored
    ],
)
def test_duration_seconds(duration, session_duration, sent):
    assert saml_provider.duration_seconds(duration, session_duration) == sent


# --- the terminal picker ------------------------------------------------------------------------


PICKER_CHILD = textwrap.dedent(
    """\
    import base64, sys
    from awsenv import saml
    from awsenv.errors import AwsenvError
    from awsenv.providers.saml import tty_picker
    roles = saml.parse(sys.argv[1]).roles
    try:
        chosen = saml.choose(roles, preset=None, picker=tty_picker)
    except AwsenvError as exc:
        sys.__stdout__.write("ERR " + exc.message + " | " + str(exc.hint) + "\\n")
        sys.exit(1)
    sys.__stdout__.write("CHOSE " + chosen.role_arn + "\\n")
    """
)


def run_picker_with_pty(answers: list[str]) -> tuple[str, int]:
    """Run choose() with tty_picker in a child whose controlling terminal is a pty we type into."""
    run = run_pty(
        [PYTHON, "-c", PICKER_CHILD, assertion(SEVERAL)], answers=answers, trigger=b"Role number"
    )
    return run.screen.replace("\r\n", "\n"), run.code


pty_only = pytest.mark.skipif(sys.platform.startswith("win"), reason="no pty")


@pty_only
def test_the_picker_groups_roles_by_account_and_reads_a_number():
    screen, code = run_picker_with_pty(["3"])
    assert code == 0
    menu = screen[screen.index("Roles in the SAML assertion") :]
    assert menu.index("account 111111111111") < menu.index("1) Admin")
    assert menu.index("2) ReadOnly") < menu.index("account 222222222222")
    assert menu.index("account 222222222222") < menu.index("3) Admin")
    assert f"CHOSE {PROD}" in screen
    assert CANARY not in screen


@pty_only
def test_the_picker_asks_once_more_after_a_bad_answer():
    screen, code = run_picker_with_pty(["7", "2"])
    assert "type a number from 1 to 3" in screen
    assert f"CHOSE {DEV_RO}" in screen
    assert code == 0


@pty_only
def test_the_picker_gives_up_after_two_bad_answers():
    screen, code = run_picker_with_pty(["x", "0"])
    assert "ERR no role was chosen" in screen
    assert "--role" in screen
    assert code == 1


def test_the_picker_without_a_terminal_points_at_role(tmp_path):
    with pytest.raises(SamlError) as caught:
        saml_provider.tty_picker(roles(), path=str(tmp_path / "no-tty"))
    assert "no terminal" in caught.value.message
    assert "--role" in (caught.value.hint or "")


def test_sts_messages_keep_arns_and_lose_assertion_pieces():
    text = assertion(SEVERAL)
    parsed = saml.parse(text)
    long_role = "arn:aws:iam::111111111111:role/a-rather-long-role-name-for-production-use"
    redact = saml_provider._redact
    assert redact(f"Not authorized for {long_role}", parsed) == f"Not authorized for {long_role}"
    assert redact(f"bad: {text}", parsed) == "bad: [assertion]"
    piece = text[100:140]
    assert piece not in redact(f"bad part: {piece}.", parsed)
    assert redact("x" * 120, parsed) == "[redacted]"
    assert redact("two\nlines", parsed) == "two lines"
