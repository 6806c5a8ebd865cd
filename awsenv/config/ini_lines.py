"""The one line scanner: a config file's lines as botocore's parser (``configparser``) reads them.

Each physical line gets a kind (header, key, continuation, comment, blank, other), the section it
is in and, for key and continuation lines, the key it belongs to. Reading (the line of each header,
the line of a bad nested value), editing (the lines a section spans) and ``doctor --fix`` (the lines
a key spans) all ask this module, so they cannot disagree about where a section or a value ends.

The rules are those of ``RawConfigParser``'s reading loop, with its own regular expressions:

- lines end at LF, CR LF or CR (universal newlines), and nowhere else;
- a line whose stripped text starts with ``#`` or ``;`` is a comment, however it is indented;
  comments and blank lines are skipped and do not end a value;
- a line indented deeper than the line that started the current key continues that key's value,
  even one that looks like ``[a header]``; right after a header there is no current key;
- otherwise the stripped line is a header if ``SECTCRE`` matches it (``[a] b`` is header ``a``),
  else a key if ``OPTCRE`` matches it (``=`` or ``:``, key lower-cased), else a line configparser
  rejects (kind ``other``; before the first header every line that is not one is).

The files are decoded with ``paths.file_encoding`` (the locale's, as configparser);
``configparser`` is imported only when lines are classified.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

COMMENT = "comment"
BLANK = "blank"
HEADER = "header"
KEY = "key"
CONTINUATION = "continuation"
OTHER = "other"  # a line configparser rejects (ParsingError or MissingSectionHeaderError)

DEFAULT = "DEFAULT"  # configparser's default section: its keys are copied into every section


class Line:
    """One physical line and how configparser reads it."""

    __slots__ = ("key", "kind", "number", "raw", "section", "text")

    def __init__(
        self, number: int, text: str, kind: str, section: str | None, key: str | None, raw: bytes
    ) -> None:
        self.number = number  # 1-based, as configparser counts in its errors
        self.text = text  # decoded, without the line end
        self.kind = kind
        self.section = section  # the header of the section the line is in (None before one)
        self.key = key  # the key a key or continuation line belongs to (lower-cased), else None
        self.raw = raw  # the line's bytes with its line end (b"" when scanned from text)

    def __repr__(self) -> str:
        return f"Line({self.number}, {self.text!r}, {self.kind}, {self.section!r}, {self.key!r})"


def split_lines(data: bytes) -> list[bytes]:
    """Split at CR LF, CR and LF (universal newlines), keeping each line's end."""
    lines = []
    start = 0
    index = 0
    size = len(data)
    while index < size:
        byte = data[index]
        if byte == 0x0A or byte == 0x0D:
            end = index + 2 if data[index : index + 2] == b"\r\n" else index + 1
            lines.append(data[start:end])
            start = index = end
            continue
        index += 1
    if start < size:
        lines.append(data[start:])
    return lines


def text_lines(text: str) -> list[str]:
    """Split text read in text mode (universal newlines already applied) as iterating does.

    At LF only, not ``str.splitlines``: a form feed or U+2028 does not end a line in a file.
    """
    return text.split("\n")


def scan_text(texts: Iterable[str]) -> list[Line]:
    """Classify lines given without their line ends (``raw`` stays empty)."""
    return _classify((text, b"") for text in texts)


def scan(data: bytes, encoding: str, errors: str = "strict") -> list[Line]:
    """Classify every line of a file's bytes, decoded line by line with ``encoding``.

    ``errors="surrogateescape"`` classifies a file the locale cannot decode (only ``[``, ``]``,
    ``=``, ``:``, ``#``, ``;`` and white space decide a kind), for callers that report the
    decoding error through the parser afterwards.
    """
    return _classify(
        (raw.rstrip(b"\r\n").decode(encoding, errors), raw) for raw in split_lines(data)
    )


def _classify(lines: Iterable[tuple[str, bytes]]) -> list[Line]:
    import configparser

    section_re = configparser.RawConfigParser.SECTCRE
    option_re = configparser.RawConfigParser.OPTCRE
    out: list[Line] = []
    section: str | None = None
    option: str | None = None  # configparser's optname: the key a deeper line would continue
    indent_level = 0
    for number, (text, raw) in enumerate(lines, start=1):
        stripped = text.strip()
        if stripped.startswith(("#", ";")):
            out.append(Line(number, text, COMMENT, section, None, raw))
            continue
        if not stripped:
            out.append(Line(number, text, BLANK, section, None, raw))
            continue
        indent = len(text) - len(text.lstrip())
        if section is not None and option and indent > indent_level:
            out.append(Line(number, text, CONTINUATION, section, option, raw))
            continue
        indent_level = indent
        header = section_re.match(stripped)
        if header:
            section = header.group("header")
            option = None
            out.append(Line(number, text, HEADER, section, None, raw))
            continue
        found = option_re.match(stripped) if section is not None else None
        if found is None:
            out.append(Line(number, text, OTHER, section, None, raw))  # optname stays as it was
            continue
        option = found.group("option").rstrip().lower()
        kind = KEY if option else OTHER  # "= x": an error, and nothing a deeper line continues
        out.append(Line(number, text, kind, section, option or None, raw))
    return out


def header_lines(lines: Sequence[Line]) -> dict[str, int]:
    """Map each section header to the number of the first line that opens it."""
    found: dict[str, int] = {}
    for line in lines:
        if line.kind == HEADER and line.section is not None:
            found.setdefault(line.section, line.number)
    return found


def sections(lines: Sequence[Line]) -> list[tuple[str, int, int]]:
    """(header, index of its header line, index past its last line) of every section, in order.

    A section runs up to the next header; :func:`body_end` leaves out the blank and comment
    lines just above that header.
    """
    ranges: list[tuple[str, int, int]] = []
    for index, line in enumerate(lines):
        if line.kind == HEADER and line.section is not None:
            if ranges:
                header, start, _end = ranges[-1]
                ranges[-1] = (header, start, index)
            ranges.append((line.section, index, len(lines)))
    return ranges


def body_end(lines: Sequence[Line], start: int, end: int) -> int:
    """Return ``end`` moved up over the blank and comment lines that close lines[start:end].

    Those lines read as belonging to what follows (a comment above the next section).
    """
    while end - 1 > start and lines[end - 1].kind in (BLANK, COMMENT):
        end -= 1
    return end


def key_lines(lines: Sequence[Line], start: int, end: int, key: str) -> list[int]:
    """Indexes of ``key``'s line in lines[start:end] and of its continuation lines."""
    return [
        index
        for index in range(start, end)
        if lines[index].kind in (KEY, CONTINUATION) and lines[index].key == key
    ]
