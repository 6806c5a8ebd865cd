"""awsenv.profiles: kinds, source_profile chains and their errors, checked against botocore.

Every error awsenv raises for a profile is raised by botocore's credential chain as well (the
cases fail before any network call; IMDS is disabled by the conftest). awsenv is stricter in one
place, marked below.
"""

from __future__ import annotations

import os
from pathlib import Path

import botocore.exceptions  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import pytest

from awsenv import profiles
from awsenv.config import ConfigFiles
from awsenv.errors import InvalidProfile, ProfileCycle, ProfileNotFound
from tests.helpers import write_config

ROLE = "arn:aws:iam::123456789012:role/Admin"
STATIC_KEYS = "aws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = SECRETEXAMPLE\n"


def _resolve(name: str) -> profiles.Resolved:
    return profiles.resolve(ConfigFiles(os.environ), name)


def _botocore_credentials(name: str) -> object:
    """Ask botocore for the profile's credentials (deferred: no AWS call is made)."""
    assert os.environ.get("AWS_EC2_METADATA_DISABLED") == "true"
    return botocore.session.Session(profile=name).get_credentials()


# --- classify -----------------------------------------------------------------------------------

KINDS: dict[str, tuple[dict[str, str], str]] = {
    "static": ({"aws_access_key_id": "A", "aws_secret_access_key": "S"}, profiles.STATIC),
    "static_with_token": (
        {"aws_access_key_id": "A", "aws_secret_access_key": "S", "aws_session_token": "T"},
        profiles.STATIC,
    ),
    "sso_session": (
        {"sso_session": "corp", "sso_account_id": "1", "sso_role_name": "R"},
        profiles.SSO,
    ),
    "sso_legacy": (
        {
            "sso_start_url": "https://x",
            "sso_region": "eu-west-1",
            "sso_account_id": "1",
            "sso_role_name": "R",
        },
        profiles.SSO,
    ),
    "sso_role_name_only": ({"sso_role_name": "R"}, profiles.SSO),
    "assume_role_source_profile": ({"role_arn": ROLE, "source_profile": "b"}, profiles.ASSUME_ROLE),
    "assume_role_credential_source": (
        {"role_arn": ROLE, "credential_source": "Environment"},
        profiles.ASSUME_ROLE,
    ),
    "assume_role_beats_static_keys": (
        {"role_arn": ROLE, "source_profile": "x", "aws_access_key_id": "A"},
        profiles.ASSUME_ROLE,
    ),
    "assume_role_beats_sso": (
        {"role_arn": ROLE, "source_profile": "x", "sso_account_id": "1"},
        profiles.ASSUME_ROLE,
    ),
    "web_identity": ({"role_arn": ROLE, "web_identity_token_file": "/t"}, profiles.WEB_IDENTITY),
    "web_identity_without_role": ({"web_identity_token_file": "/t"}, profiles.WEB_IDENTITY),
    "process": ({"credential_process": "/bin/creds"}, profiles.PROCESS),
    "sso_beats_process": ({"sso_account_id": "1", "credential_process": "x"}, profiles.SSO),
    "login": ({"login_session": "arn:aws:iam::1:user/u"}, profiles.LOGIN),
    "login_beats_process": ({"login_session": "s", "credential_process": "x"}, profiles.LOGIN),
    "saml": ({"saml_assertion_file": "/a.xml", "saml_role_arn": ROLE}, profiles.SAML),
    "saml_beats_role_arn": ({"saml_assertion_file": "/a.xml", "role_arn": ROLE}, profiles.SAML),
    "okta_domain": ({"okta_org_domain": "x.okta.com"}, profiles.OKTA),
    "okta_url": ({"okta_org_url": "https://x.okta.com"}, profiles.OKTA),
    "okta_beats_saml_and_role": (
        {"okta_org_domain": "x", "saml_assertion_file": "/a", "role_arn": ROLE},
        profiles.OKTA,
    ),
    "okta_beats_process": ({"okta_org_url": "u", "credential_process": "awsenv"}, profiles.OKTA),
    "none_region_only": ({"region": "eu-west-1"}, profiles.NONE),
    "none_empty": ({}, profiles.NONE),
    "secret_key_alone_is_a_broken_static": ({"aws_secret_access_key": "S"}, profiles.STATIC),
}


@pytest.mark.parametrize(("section", "kind"), KINDS.values(), ids=KINDS.keys())
def test_classify_returns_the_kind_whose_credentials_come_first(
    section: dict[str, str], kind: str
) -> None:
    assert profiles.classify(dict(section)) == kind
    assert kind in profiles.KINDS


def test_account_and_role_come_from_sso_keys_or_the_role_arn() -> None:
    assert profiles.account_and_role({"sso_account_id": "1", "sso_role_name": "R"}) == ("1", "R")
    assert profiles.account_and_role({"role_arn": ROLE}) == ("123456789012", "Admin")
    assert profiles.account_and_role({"saml_role_arn": "arn:aws:iam::2:role/p/Q"}) == ("2", "Q")
    assert profiles.account_and_role({"aws_account_id": "3"}) == ("3", None)
    assert profiles.account_and_role({}) == (None, None)


# --- resolve: chains ----------------------------------------------------------------------------


def test_static_profile_chain_is_itself(home: Path) -> None:
    write_config(home, f"[profile base]\nregion = eu-west-1\n{STATIC_KEYS}")
    resolved = _resolve("base")
    assert (resolved.kind, resolved.chain) == ("static", (("base", "static"),))
    assert resolved.root_kind == "static"
    assert resolved.region == "eu-west-1"
    assert not resolved.needs_mfa


def test_role_chain_of_depth_three_lists_every_hop(home: Path) -> None:
    write_config(
        home,
        f"[profile top]\nrole_arn = {ROLE}\nsource_profile = mid\n"
        "mfa_serial = arn:aws:iam::1:mfa/me\n"
        f"[profile mid]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"[profile base]\n{STATIC_KEYS}",
    )
    resolved = _resolve("top")
    assert resolved.chain == (("top", "assume-role"), ("mid", "assume-role"), ("base", "static"))
    assert resolved.needs_mfa
    assert _resolve("mid").chain == (("mid", "assume-role"), ("base", "static"))
    assert _botocore_credentials("top") is not None


def test_source_profile_in_credentials_file_is_found(home: Path) -> None:
    write_config(
        home,
        f"[profile r]\nrole_arn = {ROLE}\nsource_profile = keys\n",
        credentials=f"[keys]\n{STATIC_KEYS}",
    )
    assert _resolve("r").chain == (("r", "assume-role"), ("keys", "static"))
    assert _botocore_credentials("r") is not None


def test_credential_source_ends_the_chain(home: Path) -> None:
    write_config(home, f"[profile r]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n")
    resolved = _resolve("r")
    assert resolved.chain == (("r", "assume-role"), ("<EcsContainer>", "EcsContainer"))
    assert resolved.root_kind == "EcsContainer"


def test_source_with_static_keys_and_role_arn_is_the_root(home: Path) -> None:
    write_config(
        home,
        f"""\
        [profile top]
        role_arn = {ROLE}
        source_profile = mid
        [profile mid]
        role_arn = {ROLE}
        source_profile = nowhere
        aws_access_key_id = A
        aws_secret_access_key = S
        """,
    )
    assert _resolve("top").chain == (("top", "assume-role"), ("mid", "static"))
    assert _botocore_credentials("top") is not None


@pytest.mark.parametrize(
    ("source", "root_kind"),
    [
        ("[profile src]\nrole_arn = R\nweb_identity_token_file = /t\n", "web-identity"),
        ("[profile src]\ncredential_process = /bin/false\n", "process"),
        (
            "[profile src]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
            "[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
            "sso",
        ),
    ],
    ids=["web-identity", "process", "sso"],
)
def test_source_profile_of_another_kind_is_the_root(
    home: Path, source: str, root_kind: str
) -> None:
    write_config(home, f"[profile top]\nrole_arn = {ROLE}\nsource_profile = src\n{source}")
    assert _resolve("top").chain == (("top", "assume-role"), ("src", root_kind))


def test_self_reference_is_allowed_with_static_keys(home: Path) -> None:
    write_config(home, f"[profile me]\nrole_arn = {ROLE}\nsource_profile = me\n{STATIC_KEYS}")
    assert _resolve("me").chain == (("me", "assume-role"), ("me", "static"))
    assert _botocore_credentials("me") is not None


@pytest.mark.parametrize("kind_config", ["sso", "legacy-sso", "web-identity", "login", "okta"])
def test_sdk_profiles_resolve_to_themselves(home: Path, kind_config: str) -> None:
    sections = {
        "sso": "sso_session = corp\nsso_account_id = 1\nsso_role_name = R\n",
        "legacy-sso": "sso_start_url = https://x\nsso_region = eu-west-1\n"
        "sso_account_id = 1\nsso_role_name = R\n",
        "web-identity": f"role_arn = {ROLE}\nweb_identity_token_file = /nonexistent\n",
        "login": "login_session = arn:aws:iam::1:user/u\n",
        "okta": "okta_org_domain = x.okta.com\nsaml_role_arn = R\n",
    }
    write_config(
        home,
        f"[profile p]\n{sections[kind_config]}"
        "[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
    )
    resolved = _resolve("p")
    expected = "sso" if kind_config == "legacy-sso" else kind_config
    assert resolved.chain == (("p", expected),)


# --- resolve: errors (botocore fails the same way) ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "cycle"),
    [
        (f"[profile a]\nrole_arn = {ROLE}\nsource_profile = a\n", ("a", "a")),
        (
            f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
            f"[profile b]\nrole_arn = {ROLE}\nsource_profile = a\n",
            ("a", "b", "a"),
        ),
        (
            f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
            f"[profile b]\nrole_arn = {ROLE}\nsource_profile = c\n"
            f"[profile c]\nrole_arn = {ROLE}\nsource_profile = a\n",
            ("a", "b", "c", "a"),
        ),
        (
            f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
            f"[profile b]\nrole_arn = {ROLE}\nsource_profile = b\n",
            ("a", "b", "b"),
        ),
    ],
    ids=["self-without-keys", "2-cycle", "3-cycle", "tail-self-cycle"],
)
def test_source_profile_cycle_names_the_cycle(
    home: Path, text: str, cycle: tuple[str, ...]
) -> None:
    write_config(home, text)
    with pytest.raises(ProfileCycle) as caught:
        _resolve("a")
    assert caught.value.chain == cycle
    assert " -> ".join(repr(p) for p in cycle) in caught.value.message
    with pytest.raises(botocore.exceptions.InfiniteLoopConfigError):
        _botocore_credentials("a")


ERRORS: dict[str, tuple[str, str, str, type[Exception]]] = {
    # id: (config, profile, words in awsenv's message, botocore's exception)
    "missing_source_profile": (
        f"[profile a]\nrole_arn = {ROLE}\nsource_profile = nope\n",
        "a",
        "source_profile 'nope' does not exist",
        botocore.exceptions.InvalidConfigError,
    ),
    "both_sources": (
        f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\ncredential_source = Environment\n"
        f"[profile b]\n{STATIC_KEYS}",
        "a",
        "both source_profile and credential_source",
        botocore.exceptions.InvalidConfigError,
    ),
    "neither_source": (
        f"[profile a]\nrole_arn = {ROLE}\n",
        "a",
        "neither source_profile nor credential_source",
        botocore.exceptions.PartialCredentialsError,
    ),
    "bad_credential_source_case": (
        f"[profile a]\nrole_arn = {ROLE}\ncredential_source = environment\n",
        "a",
        "credential_source 'environment' is not valid",
        botocore.exceptions.InvalidConfigError,
    ),
    "bad_credential_source_deep_in_chain": (
        f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE}\ncredential_source = Ec2Metadata\n",
        "a",
        "profile 'b': credential_source 'Ec2Metadata' is not valid",
        botocore.exceptions.InvalidConfigError,
    ),
    "missing_sso_session_section": (
        "[profile a]\nsso_session = nosuch\nsso_account_id = 1\nsso_role_name = R\n",
        "a",
        "no [sso-session nosuch]",
        botocore.exceptions.InvalidConfigError,
    ),
    "sso_key_conflicts_with_session": (
        "[profile a]\nsso_session = corp\nsso_region = us-east-1\nsso_account_id = 1\n"
        "sso_role_name = R\n"
        "[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
        "a",
        "sets sso_region differently from [sso-session corp]",
        botocore.exceptions.InvalidConfigError,
    ),
    "sso_session_lacks_region": (
        "[profile a]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
        "[sso-session corp]\nsso_start_url = https://x\n",
        "a",
        "lacks sso_region",
        botocore.exceptions.InvalidConfigError,
    ),
    "legacy_sso_lacks_start_url": (
        "[profile a]\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n",
        "a",
        "lacks sso_start_url",
        botocore.exceptions.InvalidConfigError,
    ),
    "sso_lacks_account": (
        "[profile a]\nsso_session = corp\nsso_role_name = R\n"
        "[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
        "a",
        "lacks sso_account_id",
        botocore.exceptions.InvalidConfigError,
    ),
    "source_sso_profile_with_missing_session": (
        f"[profile a]\nrole_arn = {ROLE}\nsource_profile = s\n"
        "[profile s]\nsso_session = nosuch\nsso_account_id = 1\nsso_role_name = R\n",
        "a",
        "profile 's': names sso_session 'nosuch'",
        botocore.exceptions.InvalidConfigError,
    ),
    "static_without_secret": (
        "[profile a]\naws_access_key_id = A\n",
        "a",
        "no aws_secret_access_key",
        botocore.exceptions.PartialCredentialsError,
    ),
    "source_with_only_secret": (
        f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
        "[profile b]\naws_secret_access_key = S\n",
        "a",
        "profile 'b': has static keys but no aws_access_key_id",
        botocore.exceptions.InvalidConfigError,
    ),
    "source_without_credentials": (
        f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n[profile b]\nregion = x\n",
        "a",
        "profile 'b': is a source_profile but has no credentials",
        botocore.exceptions.InvalidConfigError,
    ),
    "web_identity_without_role_arn": (
        "[profile a]\nweb_identity_token_file = /t\n",
        "a",
        "no role_arn",
        botocore.exceptions.InvalidConfigError,
    ),
    "saml_with_role_arn": (
        f"[profile a]\nsaml_assertion_file = /a.xml\nrole_arn = {ROLE}\n",
        "a",
        "has role_arn",
        botocore.exceptions.PartialCredentialsError,
    ),
    "okta_with_role_arn": (
        f"[profile a]\nokta_org_domain = x.okta.com\nrole_arn = {ROLE}\n",
        "a",
        "has role_arn",
        botocore.exceptions.PartialCredentialsError,
    ),
}


@pytest.mark.parametrize(("text", "name", "words", "botocore_error"), ERRORS.values(), ids=ERRORS)
def test_invalid_profile_is_rejected_like_botocore(
    home: Path, text: str, name: str, words: str, botocore_error: type[Exception]
) -> None:
    write_config(home, text)
    with pytest.raises(InvalidProfile) as caught:
        _resolve(name)
    assert words in caught.value.message
    assert "\n" not in caught.value.message
    with pytest.raises(botocore_error):
        _botocore_credentials(name)


def test_saml_profile_with_role_arn_suggests_saml_role_arn(home: Path) -> None:
    write_config(home, f"[profile a]\nsaml_assertion_file = /a.xml\nrole_arn = {ROLE}\n")
    with pytest.raises(InvalidProfile) as caught:
        _resolve("a")
    assert "saml_role_arn" in f"{caught.value.message} {caught.value.hint}"


def test_secret_key_without_access_key_is_an_error_though_botocore_ignores_it(home: Path) -> None:
    # awsenv is stricter here: botocore silently finds no credentials in this profile.
    write_config(home, "[profile a]\naws_secret_access_key = S\n")
    with pytest.raises(InvalidProfile, match="no aws_access_key_id"):
        _resolve("a")
    assert _botocore_credentials("a") is None


def test_very_long_chain_resolves(home: Path) -> None:
    text = "".join(
        f"[profile p{i}]\nrole_arn = {ROLE}\nsource_profile = p{i + 1}\n" for i in range(30)
    )
    write_config(home, text + f"[profile p30]\n{STATIC_KEYS}")
    chain = _resolve("p0").chain
    assert len(chain) == 31
    assert chain[-1] == ("p30", "static")
    assert [n for n, _ in chain] == [f"p{i}" for i in range(31)]


# --- ProfileNotFound ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "suggested"),
    [("prd", "prod"), ("Prod", "prod"), ("PROD", "prod"), ("stagin", "staging")],
)
def test_unknown_profile_suggests_close_names(home: Path, asked: str, suggested: str) -> None:
    write_config(home, "[profile prod]\n[profile staging]\n[profile dev]\n[default]\n")
    with pytest.raises(ProfileNotFound) as caught:
        _resolve(asked)
    assert caught.value.suggestions[0] == suggested
    assert f"did you mean {suggested!r}" in caught.value.message
    with pytest.raises(botocore.exceptions.ProfileNotFound):
        _botocore_credentials(asked)


def test_unknown_profile_without_similar_names_suggests_nothing(home: Path) -> None:
    write_config(home, "[profile prod]\n")
    with pytest.raises(ProfileNotFound) as caught:
        _resolve("zzzzzz")
    assert caught.value.suggestions == ()
    assert "did you mean" not in caught.value.message


def test_profile_names_are_case_sensitive(home: Path) -> None:
    write_config(home, f"[profile Dev]\n{STATIC_KEYS}[profile dev]\nregion = x\n")
    assert _resolve("Dev").kind == "static"
    assert _resolve("dev").kind == "none"


def test_suggestions_are_at_most_three_and_case_matches_first() -> None:
    names = ["prod", "Prod1", "prod2", "prod3", "PROD"]
    found = profiles.suggestions("Prod", names)
    assert len(found) <= 3
    assert found[:2] == ["prod", "PROD"]


# --- a chain deeper than the limit (finding 16.5) -----------------------------------------------


def _deep_chain(home: Path, length: int) -> None:
    """p0 -> p1 -> ... -> p{length - 1}, the last one with keys: ``length`` profiles in all."""
    text = "".join(
        f"[profile p{i}]\nrole_arn = {ROLE}\nsource_profile = p{i + 1}\n" for i in range(length - 1)
    )
    write_config(home, text + f"[profile p{length - 1}]\n{STATIC_KEYS}")


@pytest.mark.parametrize("length", [100, 200, 1000])
def test_a_chain_deeper_than_the_limit_is_not_a_cycle(home: Path, length: int) -> None:
    _deep_chain(home, length)
    issues = profiles.validate(ConfigFiles(os.environ), "p0")
    assert [i.id for i in issues] == [profiles.SOURCE_PROFILE_CHAIN_TOO_DEEP]
    message = issues[0].message()
    assert "cycle" not in message
    assert str(profiles.MAX_CHAIN) in message
    assert f"{length} profiles" in message
    for name in ("'p0'", "'p1'", f"'p{length - 2}'", f"'p{length - 1}'"):
        assert name in message
    assert "'p30'" not in message  # the middle is left out
    assert len(message) < 300
    with pytest.raises(profiles.ProfileChainTooDeep) as caught:
        _resolve("p0")
    assert caught.value.message == message


def test_a_chain_of_exactly_the_limit_resolves(home: Path) -> None:
    _deep_chain(home, profiles.MAX_CHAIN)
    assert len(_resolve("p0").chain) == profiles.MAX_CHAIN


def test_a_deep_chain_that_ends_in_a_cycle_says_both(home: Path) -> None:
    text = "".join(
        f"[profile p{i}]\nrole_arn = {ROLE}\nsource_profile = p{i + 1}\n" for i in range(150)
    )
    write_config(home, text + f"[profile p150]\nrole_arn = {ROLE}\nsource_profile = p149\n")
    issues = profiles.validate(ConfigFiles(os.environ), "p0")
    assert [i.id for i in issues] == [profiles.SOURCE_PROFILE_CHAIN_TOO_DEEP]
    assert "ends in a cycle" in issues[0].message()
    assert len(issues[0].message()) < 300


def test_a_deep_chain_of_very_long_names_stays_short(home: Path) -> None:
    names = [f"{'n' * 5000}{i}" for i in range(100)]
    text = "".join(
        f"[profile {names[i]}]\nrole_arn = {ROLE}\nsource_profile = {names[i + 1]}\n"
        for i in range(99)
    )
    write_config(home, text + f"[profile {names[99]}]\n{STATIC_KEYS}")
    issues = profiles.validate(ConfigFiles(os.environ), names[0])
    assert len(issues[0].message()) < len(names[0]) + 400  # the profile asked for, then short
