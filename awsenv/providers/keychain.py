"""Long-lived IAM user keys kept in the operating system's keychain, through ``keyring``.

One entry per profile: service ``awsenv``, user the profile's name, and as password a JSON
object with the access key id and the secret. macOS Keychain, Windows Credential Locker and the
Secret Service on Linux are ``keyring``'s backends. With none available (a headless Linux
without a Secret Service) every call raises :class:`NoKeychain`: awsenv never falls back to a
plain-text file. Programs never get these keys: ``awsenv credential-process`` hands them an STS
session signed with them (:func:`temporary_keys`).

``keyring`` (and D-Bus behind it) is imported inside the functions only: nothing on a hot path
loads it.
"""

from __future__ import annotations

from awsenv.errors import AwsenvError
from awsenv.providers import CredentialsUnavailable, MfaRequired

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys
    from awsenv.providers import Context

SERVICE = "awsenv"
INSTALL_HINT = (
    "install and start a Secret Service (e.g. gnome-keyring, or KeePassXC with its Secret "
    "Service integration) in your desktop session, or configure another keyring backend "
    "(see https://keyring.readthedocs.io, 'Configuring'); awsenv never keeps the keys in a "
    "plain-text file instead"
)


class NoKeychain(AwsenvError):
    """No keychain backend is available (``keyring`` found none)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"no OS keychain is available to keep the keys in ({detail})", hint=INSTALL_HINT
        )


class KeychainFailed(AwsenvError):
    """The keychain refused or failed an operation (locked, dismissed, D-Bus error)."""


class KeysNotInKeychain(CredentialsUnavailable):
    """A profile marked ``awsenv_keychain`` has no entry in the keychain."""

    def __init__(self, profile: str) -> None:
        super().__init__(
            f"profile {profile!r} keeps its keys in the OS keychain, but the "
            "keychain holds none for it",
            hint=f"store them with 'awsenv keys add {profile}'",
        )
        self.profile = profile


def masked(access_key_id: str) -> str:
    """Show an access key id as ``AKIA...WXYZ`` (its first and last four characters)."""
    if len(access_key_id) <= 8:
        return access_key_id[:2] + "..."
    return f"{access_key_id[:4]}...{access_key_id[-4:]}"


def backend() -> Any:
    """Return the keyring backend to use; NoKeychain if keyring has no usable one."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:  # pragma: no cover - a dependency of awsenv
        raise NoKeychain("the Python package keyring is not installed") from None
    try:
        found = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - e.g. PYTHON_KEYRING_BACKEND names one that fails
        raise NoKeychain(f"keyring could not load its backend: {type(exc).__name__}") from None
    name = type(found).__module__ + "." + type(found).__name__
    if isinstance(found, fail.Keyring) or name.startswith("keyring.backends.null."):
        raise NoKeychain("keyring found no backend: no Secret Service, Keychain or Locker")
    chained = getattr(found, "backends", None)
    if chained is not None and not list(chained):
        raise NoKeychain("keyring found no backend: no Secret Service, Keychain or Locker")
    return found


def _call(what: str, profile: str, action: Any) -> Any:
    """Run a keychain operation; its failures become one line without their text."""
    kr = backend()
    try:
        return action(kr)
    except AwsenvError:
        raise
    except Exception as exc:  # noqa: BLE001 - D-Bus, Keychain and Locker errors: one line, no text
        from keyring.errors import InitError, NoKeyringError

        if isinstance(exc, (NoKeyringError, InitError)):
            raise NoKeychain(f"keyring: {type(exc).__name__}") from None
        raise KeychainFailed(
            f"the OS keychain could not {what} the keys of profile {profile!r} "
            f"({type(exc).__name__})",
            hint="unlock the keychain (or the Secret Service's login collection) and try again",
        ) from None


def store(profile: str, access_key_id: str, secret_access_key: str) -> None:
    """Keep the profile's long-lived keys in the keychain (replacing any it had)."""
    import json

    from awsenv import log

    log.remember_secret(secret_access_key)
    payload = json.dumps({"AccessKeyId": access_key_id, "SecretAccessKey": secret_access_key})
    _call("store", profile, lambda kr: kr.set_password(SERVICE, profile, payload))


def load(profile: str) -> Keys | None:
    """Return the profile's long-lived keys from the keychain, or None if it holds none."""
    import json

    from awsenv.exports import Keys

    payload = _call("read", profile, lambda kr: kr.get_password(SERVICE, profile))
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        key_id, secret = data["AccessKeyId"], data["SecretAccessKey"]
    except (ValueError, TypeError, KeyError):
        raise KeychainFailed(
            f"the keychain entry of profile {profile!r} (service {SERVICE!r}) is not awsenv's",
            hint=f"store the keys again with 'awsenv keys add {profile}'",
        ) from None
    if not isinstance(key_id, str) or not isinstance(secret, str):
        raise KeychainFailed(f"the keychain entry of profile {profile!r} is not awsenv's")
    return Keys(key_id, secret)


def delete(profile: str) -> bool:
    """Remove the profile's keys from the keychain; False if it held none."""
    if load(profile) is None:
        return False
    _call("delete", profile, lambda kr: kr.delete_password(SERVICE, profile))
    return True


def long_lived(profile: str) -> Keys:
    """Return the profile's long-lived keys; KeysNotInKeychain if the keychain has none."""
    keys = load(profile)
    if keys is None:
        raise KeysNotInKeychain(profile)
    return keys


def temporary_keys(files: ConfigFiles, profile: str, ctx: Context) -> Keys:
    """Temporary credentials for a keychain profile: an STS session, never the keys themselves.

    With ``mfa_serial`` in the profile, the MFA session of this root (cached once a code was
    given; asked for on a terminal); without a terminal and without a cached MFA session, or
    with no ``mfa_serial``, a GetSessionToken session without MFA.
    """
    from awsenv.providers import session

    section = files.profile(profile) or {}
    serial = section.get("mfa_serial")
    if isinstance(serial, str) and serial:
        try:
            return session.session_keys(files, profile, ctx, serial=serial)
        except MfaRequired:
            from awsenv import ui

            ui.info(
                f"no MFA session for profile {profile!r} and no code to start one: "
                "handing out a session without MFA"
            )
    return session.session_keys(files, profile, ctx, serial=None)
