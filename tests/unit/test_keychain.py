"""The keychain profile kind, its config edits and key masking (no keychain needed here)."""

from __future__ import annotations

from awsenv import plan, profiles
from awsenv.config import edit
from awsenv.providers import keychain

KEYCHAIN_SECTION = {
    "credential_process": "awsenv credential-process dev",
    "awsenv_keychain": "true",
    "region": "eu-west-1",
}


class Files:
    def __init__(self, sections):
        self.sections = sections
        self.config_path = "/nowhere/config"

    def profile(self, name):
        return self.sections.get(name)

    def profile_names(self):
        return list(self.sections)

    def sso_session(self, name):
        return None

    def sso_session_names(self):
        return []


def test_a_marked_profile_is_a_keychain_profile_not_a_process():
    assert profiles.classify(KEYCHAIN_SECTION) == profiles.KEYCHAIN
    assert profiles.classify({"credential_process": "x"}) == profiles.PROCESS


def test_a_role_over_a_keychain_profile_has_a_keychain_root_and_exports_the_profile():
    files = Files(
        {
            "dev": KEYCHAIN_SECTION,
            "deploy": {"role_arn": "arn:aws:iam::1:role/D", "source_profile": "dev"},
        }
    )
    resolved = profiles.resolve(files, "deploy")
    assert resolved.chain == (("deploy", profiles.ASSUME_ROLE), ("dev", profiles.KEYCHAIN))
    assert plan.decide(resolved).mode == plan.PROFILE
    own = profiles.resolve(files, "dev")
    decision = plan.decide(own)
    assert (decision.mode, decision.expires) == (plan.PROFILE, False)
    assert "keychain" in decision.reason


def test_a_keychain_profile_with_keys_in_the_files_or_a_role_is_refused():
    with_keys = {**KEYCHAIN_SECTION, "aws_access_key_id": "AKIA", "aws_secret_access_key": "s"}
    with_role = {**KEYCHAIN_SECTION, "role_arn": "arn:aws:iam::1:role/D"}
    for section, words in ((with_keys, "keys import"), (with_role, "role_arn")):
        issues = profiles.validate(Files({"dev": section}), "dev")
        assert any(words in (i.what + i.hint) and i.blocking for i in issues)


def test_key_ids_are_masked():
    assert keychain.masked("AKIAIOSFODNN7EXAMPLE") == "AKIA...MPLE"
    assert keychain.masked("short") == "sh..."


def test_removing_key_lines_keeps_every_other_byte_crlf_and_no_final_newline(tmp_path):
    aws = tmp_path / "aws"
    aws.mkdir()
    path = aws / "credentials"
    original = (
        b"; top\r\n[a]\r\naws_access_key_id = AKIAA\r\naws_secret_access_key = s1\r\n\r\n"
        b"# about b\r\n[b]\r\nregion = x\r\naws_secret_access_key = s2\r\naws_access_key_id = K"
    )
    path.write_bytes(original)
    path.chmod(0o640)
    change = edit.plan_keys(
        str(path),
        "b",
        remove=("aws_access_key_id", "aws_secret_access_key"),
        comment="c",
        backup=False,
    )
    assert "<redacted>" in change.diff()
    assert "s2" not in change.diff()
    assert change.commit()
    # only the removed lines' bytes leave: the line before the last keeps its own line end
    assert path.read_bytes() == original.replace(b"aws_secret_access_key = s2\r\n", b"").replace(
        b"aws_access_key_id = K", b""
    )
    assert (path.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in aws.iterdir()) == ["credentials"]  # no backup, no temp file


def test_adding_lines_goes_after_the_section_s_last_key_or_appends_a_section(tmp_path):
    path = tmp_path / "config"
    original = "[profile dev]\nregion = eu-west-1\n\n# next\n[profile other]\nregion = x"
    path.write_text(original)
    items = (("credential_process", "awsenv credential-process dev"), ("awsenv_keychain", "true"))
    change = edit.plan_keys(str(path), "profile dev", add=items, comment="c", profile="dev")
    change.commit()
    assert path.read_text() == original.replace(
        "region = eu-west-1\n",
        "region = eu-west-1\ncredential_process = awsenv credential-process dev\n"
        "awsenv_keychain = true\n",
    )
    assert (tmp_path / "config.awsenv-backup").read_text() == original
    change = edit.plan_keys(str(path), "profile new", add=items, comment="Added", profile="new")
    change.commit()
    text = path.read_text()
    assert text.startswith("[profile dev]\nregion = eu-west-1\ncredential_process")
    assert text.endswith(
        "# Added\n[profile new]\ncredential_process = awsenv credential-process dev\n"
        "awsenv_keychain = true\n"
    )


def test_a_profile_name_botocore_or_credential_process_would_misread_is_a_usage_error(home):
    from tests.helpers import minimal_env, run_awsenv

    env = minimal_env(home, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    for name in ("a b", "x]y", "-dev", 'q"uote'):
        result = run_awsenv(["keys", "add", "--", name], env)
        assert result.returncode == 2, (name, result.stderr)
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) <= 2  # one line and its hint
        assert "profile name" in result.stderr or "keychain profile" in result.stderr
