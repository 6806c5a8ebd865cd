"""Turn "this shell now uses profile X" into an export plan: which variables to set or unset.

The plan is data (a list of ``(NAME, value or None)``); ``shells.render`` turns it into code.
The first ``use``/``region`` in a shell records the previous values of every variable awsenv
manages in ``AWSENV_SAVED``; every later plan starts from that baseline, so switching profiles
never leaves a stale variable behind and ``unset`` puts the shell back exactly as it was.
"""

from __future__ import annotations

from awsenv import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    Plan = list[tuple[str, str | None]]

PROFILE_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
KEY_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)
REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
MANAGED = PROFILE_VARS + KEY_VARS + REGION_VARS

AWSENV_PROFILE = "AWSENV_PROFILE"
AWSENV_EXPIRATION = "AWSENV_EXPIRATION"
AWSENV_SAVED = "AWSENV_SAVED"
# Until when ``awsenv refresh`` can renew the exports with no browser and no prompt: epoch
# seconds, or ``always`` (a source that never expires); unset when it cannot (the prompt's
# second clock).
AWSENV_RENEWABLE = "AWSENV_RENEWABLE"
ALWAYS = "always"
OWN = (AWSENV_PROFILE, AWSENV_EXPIRATION, AWSENV_RENEWABLE, AWSENV_SAVED)


class Keys:
    """Temporary (or static) credentials to export; ``repr`` never shows the secrets."""

    __slots__ = ("access_key_id", "expiration", "secret_access_key", "session_token")

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        expiration: int | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.expiration = expiration  # Unix epoch seconds, UTC
        # Every secret that becomes a Keys (static, cached, portal, STS, SAML) is masked in the
        # --debug log and in error text from here on, wherever it came from.
        log.remember_secret(secret_access_key)
        log.remember_secret(session_token)

    def __repr__(self) -> str:
        return f"Keys(access_key_id={self.access_key_id[:4]}..., expiration={self.expiration})"


def encode_saved(values: Mapping[str, str | None]) -> str:
    """Encode the baseline as ASCII: ``NAME=<UTF-8 hex>`` for set variables, ``NAME`` if unset."""
    parts = []
    for name in MANAGED:
        value = values.get(name)
        parts.append(
            name if value is None else f"{name}={value.encode('utf-8', 'surrogateescape').hex()}"
        )
    return ",".join(parts)


def decode_saved(text: str) -> dict[str, str | None] | None:
    """Decode ``AWSENV_SAVED``; None if it is not something awsenv wrote."""
    values: dict[str, str | None] = {}
    for part in text.split(","):
        name, sep, hexed = part.partition("=")
        if name not in MANAGED:
            return None
        try:
            values[name] = bytes.fromhex(hexed).decode("utf-8", "surrogateescape") if sep else None
        except ValueError:
            return None
    return values


def baseline(environ: Mapping[str, str]) -> dict[str, str | None]:
    """Return the managed variables as they were before awsenv first changed this shell."""
    saved = environ.get(AWSENV_SAVED)
    if saved is not None:
        decoded = decode_saved(saved)
        if decoded is not None:
            return {name: decoded.get(name) for name in MANAGED}
    return {name: environ.get(name) for name in MANAGED}


def _start(environ: Mapping[str, str]) -> tuple[dict[str, str | None], str]:
    base = baseline(environ)
    return dict(base), encode_saved(base)


def _finish(values: dict[str, str | None], own: dict[str, str | None]) -> Plan:
    return [(name, values[name]) for name in MANAGED] + [(name, own.get(name)) for name in OWN]


def plan_profile(
    environ: Mapping[str, str],
    profile: str,
    *,
    region: str | None,
    expiration: int | None = None,
) -> Plan:
    """Plan for exporting ``AWS_PROFILE``: clears keys and AWS_DEFAULT_PROFILE, which beat it.

    ``expiration`` is when the SDKs will stop finding credentials through the profile by
    themselves (for SSO, the end of what the session can renew).
    """
    values, saved = _start(environ)
    for name in KEY_VARS:
        values[name] = None
    values["AWS_PROFILE"] = profile
    values["AWS_DEFAULT_PROFILE"] = None
    if region:
        values["AWS_REGION"] = values["AWS_DEFAULT_REGION"] = region
    return _finish(
        values,
        {
            AWSENV_PROFILE: profile,
            AWSENV_EXPIRATION: str(expiration) if expiration is not None else None,
            AWSENV_SAVED: saved,
        },
    )


def plan_keys(
    environ: Mapping[str, str],
    profile: str,
    keys: Keys,
    *,
    region: str | None,
    renewable: int | str | None = None,
) -> Plan:
    """Plan for exporting keys: clears AWS_PROFILE, AWS_DEFAULT_PROFILE and AWS_SECURITY_TOKEN.

    ``renewable``: until when ``awsenv refresh`` renews these keys silently (epoch seconds or
    ``ALWAYS``), None if renewing needs a browser or a prompt.
    """
    import time

    values, saved = _start(environ)
    values["AWS_PROFILE"] = None
    values["AWS_DEFAULT_PROFILE"] = None
    values["AWS_SECURITY_TOKEN"] = None
    values["AWS_ACCESS_KEY_ID"] = keys.access_key_id
    values["AWS_SECRET_ACCESS_KEY"] = keys.secret_access_key
    values["AWS_SESSION_TOKEN"] = keys.session_token
    values["AWS_CREDENTIAL_EXPIRATION"] = (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(keys.expiration))
        if keys.expiration is not None
        else None
    )
    if region:
        values["AWS_REGION"] = values["AWS_DEFAULT_REGION"] = region
    return _finish(
        values,
        {
            AWSENV_PROFILE: profile,
            AWSENV_EXPIRATION: str(keys.expiration) if keys.expiration is not None else None,
            AWSENV_RENEWABLE: str(renewable) if renewable is not None else None,
            AWSENV_SAVED: saved,
        },
    )


def plan_region(environ: Mapping[str, str], region: str) -> Plan:
    """Plan for changing only the region, keeping whatever profile is active."""
    values, saved = _start(environ)
    for name in MANAGED:
        if name not in REGION_VARS:
            values[name] = environ.get(name)
    values["AWS_REGION"] = values["AWS_DEFAULT_REGION"] = region
    return _finish(
        values,
        {
            AWSENV_PROFILE: environ.get(AWSENV_PROFILE),
            AWSENV_EXPIRATION: environ.get(AWSENV_EXPIRATION),
            AWSENV_RENEWABLE: environ.get(AWSENV_RENEWABLE),
            AWSENV_SAVED: saved,
        },
    )


def plan_unset(environ: Mapping[str, str]) -> Plan:
    """Plan that restores the baseline and removes every AWSENV_* variable."""
    values = baseline(environ)
    return _finish(values, {})


def changes(plan: Plan, environ: Mapping[str, str]) -> Plan:
    """Keep only the steps that change something (the environment already holds the rest)."""
    return [(name, value) for name, value in plan if environ.get(name) != value]
