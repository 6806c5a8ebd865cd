"""ini_lines, the one line scanner, reads a config file's lines as configparser (so botocore) does.

Reading (header lines in messages), editing (where a section ends) and ``doctor --fix`` (which
lines a key spans) all use it, so these tests pin it against configparser itself.
"""

from __future__ import annotations

import configparser

from hypothesis import given, settings
from hypothesis import strategies as st

from awsenv import paths
from awsenv.config import ini_lines, read


def test_scan_classifies_lines_as_configparser_reads_them() -> None:
    data = b"[s]\na = 1\n  more\n\n  # comment\n  still a\nb: 2\n[t] trailing\n  c = 3\n"
    kinds = [(line.kind, line.key) for line in ini_lines.scan(data, "utf-8")]
    assert kinds == [
        ("header", None),
        ("key", "a"),
        ("continuation", "a"),
        ("blank", None),
        ("comment", None),
        ("continuation", "a"),
        ("key", "b"),
        ("header", None),
        ("key", "c"),
    ]


def test_split_lines_keeps_every_kind_of_line_end() -> None:
    assert ini_lines.split_lines(b"a\r\nb\rc\nd") == [b"a\r\n", b"b\r", b"c\n", b"d"]
    assert b"".join(ini_lines.split_lines(b"x\r\r\n\n")) == b"x\r\r\n\n"


def test_lines_know_their_number_section_and_bytes() -> None:
    lines = ini_lines.scan(b"[a]\r\nK = 1\r\n[b]\rx=2", "utf-8")
    assert [(x.number, x.section, x.key, x.raw) for x in lines] == [
        (1, "a", None, b"[a]\r\n"),
        (2, "a", "k", b"K = 1\r\n"),
        (3, "b", None, b"[b]\r"),
        (4, "b", "x", b"x=2"),
    ]


def test_a_header_after_a_key_without_a_name_is_a_header_again() -> None:
    # configparser rejects "= 1" and keeps no key open, so the deeper line is read afresh
    kinds = [x.kind for x in ini_lines.scan_text(["[a]", "k = 1", "= 1", "  [b]"])]
    assert kinds == ["header", "key", "other", "header"]


def test_sections_end_before_the_comments_above_the_next_header() -> None:
    lines = ini_lines.scan_text(["[a]", "k = 1", "", "# about b", "[b]", "x = 2", "", "# end"])
    assert ini_lines.sections(lines) == [("a", 0, 4), ("b", 4, 8)]
    assert ini_lines.body_end(lines, 0, 4) == 2
    assert ini_lines.body_end(lines, 4, 8) == 6


def test_key_lines_include_continuations_only_of_that_key() -> None:
    lines = ini_lines.scan_text(["[a]", "s3 =", "  x = 1", "  y = 2", "k = 1", "  more"])
    assert ini_lines.key_lines(lines, 0, len(lines), "s3") == [1, 2, 3]
    assert ini_lines.key_lines(lines, 0, len(lines), "k") == [4, 5]


def test_encoding_is_what_configparser_opens_the_files_with() -> None:
    import locale

    assert paths.file_encoding() == locale.getpreferredencoding(False)


def test_raw_parse_line_numbers_skip_a_header_inside_a_value(tmp_path) -> None:
    path = tmp_path / "config"
    path.write_text("[profile a]\nnote = x\n  [profile b]\n\n# c\n[profile b]\nregion = x\n")
    sections, lines = read.raw_parse(str(path))
    assert sections["profile a"]["note"] == "x\n[profile b]"
    assert lines == {"profile a": 1, "profile b": 6}


# --- against configparser itself ------------------------------------------------------------------

_LINE = st.sampled_from(
    [
        "[a]",
        "[b]",
        "[c] trailing",
        "[DEFAULT]",
        "  [a]",
        "k = 1",
        "K: 2",
        "s3 =",
        "  x = 1",
        "    y = 2",
        "\tz=3",
        "# comment",
        "  ; comment",
        "",
        "   ",
        "w=",
        "v = a = b",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=14))
def test_keys_and_headers_agree_with_configparser(texts: list[str]) -> None:
    parser = configparser.RawConfigParser()  # as botocore makes it
    try:
        parser.read_string("\n".join(texts))
    except configparser.Error:
        return  # only files configparser reads are compared
    lines = ini_lines.scan_text(texts)
    keys: dict[str, list[str]] = {}
    for line in lines:
        if line.kind == ini_lines.KEY and line.section is not None:
            keys.setdefault(line.section, []).append(str(line.key))
        assert line.kind != ini_lines.OTHER, (texts, line)
    for section in parser.sections():
        own = list(parser._sections[section])  # type: ignore[attr-defined]
        assert list(dict.fromkeys(keys.get(section, []))) == own, (texts, section)
    assert set(keys.get("DEFAULT", [])) == set(parser.defaults()), texts
    headers = [h for h in ini_lines.header_lines(lines) if h != "DEFAULT"]
    assert headers == parser.sections(), texts
    # the continuation lines of each key are the further lines of configparser's value
    for section in [*parser.sections(), "DEFAULT"]:
        values = parser.defaults() if section == "DEFAULT" else parser._sections[section]  # type: ignore[attr-defined]
        for key, value in values.items():
            further = [
                lines[i].text.strip()
                for i in ini_lines.key_lines(lines, 0, len(lines), key)
                if lines[i].section == section and lines[i].kind == ini_lines.CONTINUATION
            ]
            assert further == [part for part in value.split("\n")[1:] if part], (texts, key)
