"""``--debug``: a log of each step on stderr, with every secret redacted before it is written.

Off by default and free when off: ``debug()`` is a flag test, and ``logging`` is imported only
when ``--debug`` (or ``AWSENV_DEBUG``) turns the log on. Two layers keep secrets out of it:
every secret awsenv handles is registered with ``remember_secret`` and replaced wherever it
appears, and known secret fields (JSON, XML, query strings, headers) are masked by pattern, which
also covers botocore's own debug lines.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    import re

MASK = "<redacted>"
_MIN_SECRET = 6  # shorter values would mask ordinary words

_state = {"enabled": False}
_secrets: set[str] = set()

_FIELDS = (
    "accessToken|refreshToken|clientSecret|idToken|id_token|"
    "access_token|refresh_token|client_secret|device_code|deviceCode|code_verifier|"
    "codeVerifier|code|SecretAccessKey|secretAccessKey|SessionToken|sessionToken|"
    "aws_secret_access_key|aws_session_token|aws_security_token|SAMLResponse|SAMLAssertion|"
    "samlAssertion|password|passcode|TokenCode|WebIdentityToken|subject_token|"
    "x-amz-security-token|x-amz-sso_bearer_token|authorization|SigninToken|"
    "AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN"
)
# "field": "value", 'field': b'value', field=value (query strings, form bodies, env lines). The
# opening quote is taken atomically (a lookahead and its backreference), so a value already
# masked (b'<redacted>') is left alone rather than masking its `b` prefix; that `b` is lower
# case only, or the B of `Authorization: Bearer TOKEN` was taken for it and TOKEN kept.
_KEY_VALUE = (
    r"""(?i)(["']?\b(?:"""
    + _FIELDS
    + r""")\b["']?\s*[:=]\s*(?=((?:(?-i:b)["']|["'])?))\2)((?:Bearer\s+)?[^"'&,\s}<>;)\]]+)"""
)
# <SecretAccessKey>value</SecretAccessKey> in STS's XML answers
_XML = r"(?i)(<(SecretAccessKey|SessionToken|SAMLAssertion|SigninToken)>)([^<]*)(</)"
_compiled: list[re.Pattern[str]] = []


def _patterns() -> list[re.Pattern[str]]:
    """Compile the field patterns on first use: ``re`` costs more than a cached ``use`` may."""
    if not _compiled:
        import re

        _compiled.extend((re.compile(_XML), re.compile(_KEY_VALUE)))
    return _compiled


def enabled() -> bool:
    """Return True when ``--debug`` or ``AWSENV_DEBUG`` turned the debug log on."""
    return _state["enabled"]


def remember_secret(value: object) -> None:
    """Register a secret so that it is masked wherever it would appear in the log or errors."""
    if isinstance(value, str) and len(value) >= _MIN_SECRET:
        _secrets.add(value)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every known secret field masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    xml, key_value = _patterns()
    text = xml.sub(lambda m: m.group(1) + MASK + m.group(4), text)
    return key_value.sub(lambda m: m.group(1) + MASK, text)


def debug(message: str, *args: object) -> None:
    """Log one step (``%``-style arguments) when the debug log is on; otherwise do nothing."""
    if _state["enabled"]:
        import logging

        logging.getLogger("awsenv").debug(message, *args)


class _Redactor:
    """A logging filter that rewrites each record's message through ``redact``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            import traceback

            record.msg += "\n" + redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
            record.exc_text = None
        return True


def enable() -> None:
    """Turn the debug log on: awsenv's and botocore's records, redacted, on stderr."""
    import logging

    if _state["enabled"]:
        return
    _state["enabled"] = True
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("awsenv debug: %(name)s: %(message)s"))
    handler.addFilter(_Redactor())
    for name in ("awsenv", "botocore", "urllib3"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        logger.propagate = False
    # Request parameters and response bodies hold tokens and keys in shapes no pattern can
    # foresee: those lines are left out rather than trusted to redaction.
    handler.addFilter(_NoBodies())


class _NoBodies:
    """Drop botocore's debug lines that print whole request parameters or response bodies."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "botocore.parsers":
            return False
        message = record.msg if isinstance(record.msg, str) else ""
        return not (record.name == "botocore.endpoint" and message.startswith("Making request"))


def traceback_if_debug() -> None:
    """Print the current exception's traceback, redacted, when the debug log is on."""
    if _state["enabled"]:
        import traceback

        sys.stderr.write(redact(traceback.format_exc()))


def key_hint(access_key_id: str | None) -> str:
    """Show an access key id as its last four characters, never more."""
    if not access_key_id:
        return "empty"
    return "..." + access_key_id[-4:] if len(access_key_id) > 8 else "(short)"
