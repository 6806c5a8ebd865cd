"""~/.aws/config and ~/.aws/credentials, read and edited exactly as botocore reads them.

- ``ini_lines``: the one line scanner (each line's kind, section and key, as configparser sees
  it);
- ``read``: botocore-exact parsing (``raw_parse``, ``parse``, ``Parsed``);
- ``index``: ``ConfigFiles``, the merged view kept in a stat-keyed index (the hot path);
- ``edit``: appending and replacing sections, checked before anything is written;
- ``legacy_fix``: ``doctor --fix``, moving legacy SSO profiles to an ``[sso-session]``.

Importing the package loads ``index`` only: a cached ``awsenv use``
never parses. ``read``'s names are still available here (``config.parse``), loaded on first use;
``edit`` and ``legacy_fix`` are imported by the commands that change a file.
"""

from __future__ import annotations

from awsenv.config.index import ORIGIN, SECRET_KEYS, SECRET_PLACEHOLDER, ConfigFiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from awsenv.config.read import Parsed, Section, Value, parse, raw_parse

__all__ = [
    "ORIGIN",
    "SECRET_KEYS",
    "SECRET_PLACEHOLDER",
    "ConfigFiles",
    "Parsed",
    "Section",
    "Value",
    "parse",
    "raw_parse",
]

_FROM_READ = frozenset({"Parsed", "parse", "raw_parse"})


def __getattr__(name: str) -> object:
    """Load ``read`` the first time one of its names is asked for here (PEP 562)."""
    if name in _FROM_READ:
        from awsenv.config import read

        return getattr(read, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
