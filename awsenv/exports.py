"""Turn "this shell now uses profile X" into an export plan: which variables to set or unset.

The plan is data (a list of ``(NAME, value or None)``); ``shells.render`` turns it into code.
The first ``use``/``region`` in a shell records the previous values of every variable awsenv
manages in ``AWSENV_SAVED``; every later plan starts from that baseline, so switching profiles
never leaves a stale variable behind and ``unset`` puts the shell back exactly as it was.
"""

from __future__ import annotations

import os
import sys

from awsenv import log
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

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
# seconds, ``always`` (a source that never expires) or ``session`` (an IAM Identity Center
# session, whose end no client is told); unset when it cannot (the prompt's second clock).
AWSENV_RENEWABLE = "AWSENV_RENEWABLE"
ALWAYS = "always"
SESSION = "session"
# The profile this shell used before the current one, for ``awsenv use -`` (see
# :func:`encode_previous`).
AWSENV_PREVIOUS = "AWSENV_PREVIOUS"
# Set by ``awsenv exec PROFILE`` (no command) in the shell it starts: that shell is an exec
# subshell of PROFILE until it exits. No plan sets or clears it: a ``use`` or ``unset`` inside
# changes what the shell exports, not what the shell is (the prompt and ``status`` show it).
AWSENV_EXEC = "AWSENV_EXEC"
# An ad-hoc role (``use --role-arn``): its ARN, source profile and options, as
# ``providers.adhoc.Spec.encode`` writes them (ASCII), for ``refresh`` and ``use -``.
AWSENV_ROLE = "AWSENV_ROLE"
# The role session length ``use PROFILE --duration SECONDS`` asked for, so that ``refresh`` (typed
# or the prompt's) asks for it again; unset when the profile's own length applies.
AWSENV_DURATION = "AWSENV_DURATION"
OWN = (
    AWSENV_PROFILE,
    AWSENV_EXPIRATION,
    AWSENV_RENEWABLE,
    AWSENV_ROLE,
    AWSENV_DURATION,
    AWSENV_PREVIOUS,
    AWSENV_SAVED,
)


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


def shell_epoch(text: str) -> int | None:
    """Read an epoch the shell holds (AWSENV_EXPIRATION...) as the prompt segment reads it.

    ASCII digits only, at most 18: "²".isdigit() is True and int("²") raises.
    """
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def shell_renewable(environ: Mapping[str, str]) -> int | str | None:
    """The shell's AWSENV_RENEWABLE: ``ALWAYS``, ``SESSION``, an epoch, or None (unset, unread)."""
    raw = environ.get(AWSENV_RENEWABLE, "")
    return raw if raw in (ALWAYS, SESSION) else shell_epoch(raw)


def renews_now(environ: Mapping[str, str], now: float) -> bool:
    """True if the shell's exports renew with no browser and no prompt at ``now``.

    ``always``, ``session`` (an SSO session whose end is not known: only a try tells) or an
    end still ahead. ``status``, ``refresh --auto`` and the prompt hooks read it alike.
    """
    until = shell_renewable(environ)
    return isinstance(until, str) or (isinstance(until, int) and until > now)


def plan_profile(
    environ: Mapping[str, str],
    profile: str,
    *,
    region: str | None,
    expiration: int | None = None,
    renewable: int | str | None = None,
    previous: str | None = None,
) -> Plan:
    """Plan for exporting ``AWS_PROFILE``: clears keys and AWS_DEFAULT_PROFILE, which beat it.

    ``expiration`` is when the SDKs will stop finding credentials through the profile by
    themselves (for SSO, the token's end, or the session's when it is known); ``renewable``
    until when they renew it silently (as for :func:`plan_keys`). ``previous`` replaces what
    ``use -`` goes back to (else it is kept).
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
            AWSENV_RENEWABLE: str(renewable) if renewable is not None else None,
            AWSENV_PREVIOUS: previous or environ.get(AWSENV_PREVIOUS),
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
    previous: str | None = None,
    role: str | None = None,
    duration: int | None = None,
) -> Plan:
    """Plan for exporting keys: clears AWS_PROFILE, AWS_DEFAULT_PROFILE and AWS_SECURITY_TOKEN.

    ``renewable``: until when ``awsenv refresh`` renews these keys silently (epoch seconds or
    ``ALWAYS``), None if renewing needs a browser or a prompt. ``previous`` as for
    :func:`plan_profile`; ``role`` is ``AWSENV_ROLE`` for an ad-hoc role (else it is cleared);
    ``duration`` is ``AWSENV_DURATION``, the ``--duration`` asked for (else it is cleared).
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
            AWSENV_ROLE: role,
            AWSENV_DURATION: str(duration) if duration is not None else None,
            AWSENV_PREVIOUS: previous or environ.get(AWSENV_PREVIOUS),
            AWSENV_SAVED: saved,
        },
    )


def plan_clock(expiration: int | None, renewable: int | str | None) -> Plan:
    """Plan for changing only this shell's clocks (``logout`` ends what it renews)."""
    return [
        (AWSENV_EXPIRATION, str(expiration) if expiration is not None else None),
        (AWSENV_RENEWABLE, str(renewable) if renewable is not None else None),
    ]


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
            AWSENV_ROLE: environ.get(AWSENV_ROLE),
            AWSENV_DURATION: environ.get(AWSENV_DURATION),
            AWSENV_PREVIOUS: environ.get(AWSENV_PREVIOUS),
            AWSENV_SAVED: saved,
        },
    )


def encode_previous(environ: Mapping[str, str]) -> str | None:
    """Describe what the shell uses now, for ``use -``: ``MODE,REGION,PROFILE`` (hex), or None.

    MODE is ``keys`` when the shell holds exported keys and no AWS_PROFILE, else ``profile``.
    An ad-hoc role adds ``,AWSENV_ROLE`` (ASCII without commas).
    """
    profile = environ.get(AWSENV_PROFILE)
    if not profile:
        return None
    keys = bool(environ.get("AWS_ACCESS_KEY_ID")) and not environ.get("AWS_PROFILE")
    region = environ.get("AWS_REGION") or ""

    def hexed(text: str) -> str:
        return text.encode("utf-8", "surrogateescape").hex()

    encoded = f"{'keys' if keys else 'profile'},{hexed(region)},{hexed(profile)}"
    role = environ.get(AWSENV_ROLE)
    if keys and role and role.isascii() and "," not in role:
        encoded += "," + role
    return encoded


def decode_previous(text: str) -> tuple[str, bool, str | None, str | None] | None:
    """Return what :func:`encode_previous` wrote, else None.

    That is (profile, keys mode, region or None, ``AWSENV_ROLE`` or None).
    """
    mode, _, rest = text.partition(",")
    region_hex, _, rest = rest.partition(",")
    profile_hex, _, role = rest.partition(",")
    try:
        region = bytes.fromhex(region_hex).decode("utf-8", "surrogateescape")
        profile = bytes.fromhex(profile_hex).decode("utf-8", "surrogateescape")
    except ValueError:
        return None
    if mode not in ("keys", "profile") or not profile:
        return None
    return profile, mode == "keys", region or None, role or None


def plan_unset(environ: Mapping[str, str]) -> Plan:
    """Plan that restores the baseline and removes every AWSENV_* variable."""
    values = baseline(environ)
    return _finish(values, {})


def changes(plan: Plan, environ: Mapping[str, str], *, argv: Sequence[str] | None = None) -> Plan:
    """Keep only the steps that change something (the environment already holds the rest).

    Every plan a shell evaluates comes through here, so this is where one that would leave the
    shell unable to start programs is refused (:func:`fitted`).
    """
    fitted(plan, environ, argv=argv)
    return [(name, value) for name, value in plan if environ.get(name) != value]


# --- room: what a new program can receive ------------------------------------------------------
#
# A shell hands its whole environment to every program it starts, through execve. Linux refuses
# (E2BIG, "Argument list too long") one string longer than MAX_ARG_STRLEN, 32 pages with its NUL,
# and argument and environment strings with their pointers past the stack's quarter (what
# sysconf(_SC_ARG_MAX) says, never more than 6 MiB: _STK_LIM / 4 * 3). A shell that exported
# either could start no program again, the core (and so `awsenv unset`) included.

# Bytes kept free after the plan for the arguments of the programs the shell starts next.
MARGIN = 32 * 1024
_LINUX_CAP = 6 * 1024 * 1024
_POINTER = 8 if sys.maxsize > 2**32 else 4


class NoRoom(AwsenvError):
    """A plan would leave the shell an environment that no new program could receive."""


def string_limit() -> int | None:
    """Return the longest ``NAME=value`` (NUL included) one environment string may be, or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return 32 * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 32 * 4096


def total_limit() -> int | None:
    """Return how many bytes of arguments and environment a new program can receive, or None."""
    sysconf = getattr(os, "sysconf", None)
    if sysconf is None:
        return None
    try:
        cap = int(sysconf("SC_ARG_MAX"))
    except (OSError, ValueError):
        return None
    if cap <= 0:
        return None
    return min(cap, _LINUX_CAP) if sys.platform.startswith("linux") else cap


def _size(text: str) -> int:
    try:
        return len(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return len(text.encode("utf-8", "surrogatepass"))


def _entry(name: str, value: str) -> int:
    """Bytes of ``NAME=value`` and its NUL."""
    return _size(name) + _size(value) + 2


def environment_size(environ: Mapping[str, str], argv: Sequence[str]) -> int:
    """Return what execve counts for ``argv`` and ``environ``: strings, NULs and pointers."""
    strings = sum(_entry(n, v) for n, v in environ.items()) + sum(_size(a) + 1 for a in argv)
    return strings + _POINTER * (len(environ) + max(len(argv), 1))


def _own_argv() -> list[str]:
    """This process's command line: about what the shell needs to start the core again."""
    orig = getattr(sys, "orig_argv", None)
    return list(orig) if orig else [sys.executable, *sys.argv]


def _shown(name: str) -> str:
    if name == AWSENV_SAVED:
        return f"{name} (the values 'awsenv unset' puts back)"
    return name


def fitted(
    plan: Plan, environ: Mapping[str, str], *, argv: Sequence[str] | None = None
) -> dict[str, str]:
    """Return the environment after ``plan``; raise NoRoom if a new program could not receive it.

    Refused: a value that changes and is longer than one environment string may be, and a plan
    that grows the environment past ARG_MAX less ``argv`` (this process's when None, standing
    for the next ``awsenv``) and MARGIN. A plan that makes the environment no larger (``unset``,
    which drops AWSENV_SAVED, twice the size of what it puts back) is never refused for its size.
    """
    after = dict(environ)
    changed: list[tuple[str, str]] = []
    profile = environ.get(AWSENV_PROFILE)
    for name, value in plan:
        if value is None:
            after.pop(name, None)
            continue
        if name == AWSENV_PROFILE:
            profile = value
        if environ.get(name) != value:
            changed.append((name, value))
        after[name] = value
    whose = f"for profile {profile!r}" if profile else "for this shell"
    limit = string_limit()
    if limit is not None:
        for name, value in changed:
            if _entry(name, value) > limit:
                raise NoRoom(
                    f"refusing to export {_shown(name)} {whose}: its value is {_size(value)} "
                    f"bytes, and one environment variable holds at most {limit - _size(name) - 2} "
                    f"(the kernel's {limit} for NAME=value); nothing was changed"
                )
    cap = total_limit()
    if cap is not None and changed:
        words = _own_argv() if argv is None else argv
        needed = environment_size(after, words) + MARGIN
        if needed > cap and needed - MARGIN > environment_size(environ, words):
            name, value = max(changed, key=lambda item: _entry(*item))
            what = f"profile {profile!r}" if profile else "this change"
            raise NoRoom(
                f"refusing to export {what}: with {name} ({_size(value)} bytes, the largest "
                f"value it sets) the environment would need {needed - MARGIN} bytes, and a new "
                f"program receives at most {cap - MARGIN} with {MARGIN} kept free for its "
                "arguments; nothing was changed"
            )
    return after
