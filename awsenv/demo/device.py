"""The OAuth 2.0 device authorization grant (RFC 8628) both loopback stand-ins serve.

IAM Identity Center (``idc``) and the Okta stand-in under ``tests/`` hand out device codes the
same way: a user code to approve in a browser, polls answered ``authorization_pending``,
``slow_down``, ``access_denied`` or ``expired_token``, and auto-approval after some polls. They
differ only in wording, the user code's shape and the JSON field names, which stay with them.
The caller holds its own lock around every call.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Callable, NamedTuple

_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


class OAuthError(Exception):
    """An OAuth error: ``{"error", "error_description"}``; the stand-in picks the HTTP status."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(error)
        self.error = error
        self.description = description


@dataclass
class Device:
    """A device authorization waiting for (or past) the user's approval."""

    client_id: str
    device_code: str
    user_code: str
    expires_at: float
    interval: int
    scope: str = ""
    state: str = "pending"  # pending, approved, denied, consumed
    polls: int = 0
    last_poll: float | None = None


class Page(NamedTuple):
    """An HTML page the activation URL answers: status, title, text."""

    status: int
    title: str
    text: str


@dataclass(frozen=True)
class Wording:
    """What one stand-in says: its error descriptions and its activation pages."""

    invalid: str
    expired: str
    slow_down: str
    denied: str
    pending: str
    prompt_page: Page  # the activation URL opened without a user code
    approved_page: Page
    denied_page: Page


UNKNOWN_CODE = Page(404, "Unknown code", "That code is not valid.")
EXPIRED_CODE = Page(400, "Code expired", "That code has expired.")


class DeviceCodes:
    """The device codes one stand-in issued, and the grant's rules for polling them.

    ``grouped`` user codes look like ``BCDF-GHJK`` (Identity Center), others like ``BCDFGHJK``
    (Okta). ``on_approve`` is called each time the user approves one (the stand-in counts
    sign-ins).
    """

    def __init__(self, wording: Wording, *, grouped: bool, on_approve: Callable[[], None]) -> None:
        self.wording = wording
        self.grouped = grouped
        self.on_approve = on_approve
        self._devices: dict[str, Device] = {}
        self._user_codes: dict[str, str] = {}

    def issue(
        self, client_id: str, device_code: str, *, expires_at: float, interval: int, scope: str = ""
    ) -> Device:
        """Record a new device authorization under a fresh user code, pending."""
        user_code = ""
        while not user_code or user_code in self._user_codes:
            letters = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
            user_code = f"{letters[:4]}-{letters[4:]}" if self.grouped else letters
        device = Device(client_id, device_code, user_code, expires_at, interval, scope)
        self._devices[device_code] = device
        self._user_codes[user_code] = device_code
        return device

    def decide(self, user_code: str, *, approve: bool) -> None:
        """Approve or deny the authorization of ``user_code`` (KeyError if unknown)."""
        self._decide(self._devices[self._user_codes[user_code]], approve=approve)

    def pending_user_codes(self) -> list[str]:
        """Return the user codes still pending approval."""
        return [d.user_code for d in self._devices.values() if d.state == "pending"]

    def expire(self, now: float) -> None:
        """Make every device code issued so far expired."""
        for device in self._devices.values():
            device.expires_at = min(device.expires_at, now - 1)

    def poll(
        self,
        device_code: str,
        client_id: str,
        *,
        now: float,
        enforce_interval: bool,
        auto_approve_after_polls: int | None,
        deny: bool,
    ) -> Device:
        """Answer one token poll: the consumed device once approved, else raise ``OAuthError``.

        With ``enforce_interval``, a poll sooner than the interval after the previous one gets
        ``slow_down`` and adds 5 s to the interval. ``auto_approve_after_polls`` decides (as
        ``deny`` says) once the code was polled that many times while pending.
        """
        words = self.wording
        device = self._devices.get(device_code)
        if device is None or device.client_id != client_id or device.state == "consumed":
            raise OAuthError("invalid_grant", words.invalid)
        if now >= device.expires_at:
            raise OAuthError("expired_token", words.expired)
        if device.state == "pending":
            too_soon = device.last_poll is not None and now - device.last_poll < device.interval
            device.last_poll = now
            if enforce_interval and too_soon:
                device.interval += 5
                raise OAuthError("slow_down", words.slow_down)
            device.polls += 1
            if auto_approve_after_polls is not None and device.polls > auto_approve_after_polls:
                self._decide(device, approve=not deny)
        if device.state == "denied":
            raise OAuthError("access_denied", words.denied)
        if device.state == "pending":
            raise OAuthError("authorization_pending", words.pending)
        device.state = "consumed"
        return device

    def activate(self, user_code: str | None, *, now: float, deny: bool) -> Page:
        """The page the user's browser opens: approves (or with ``deny``, denies) the code."""
        if not user_code:
            return self.wording.prompt_page
        device = self._devices.get(self._user_codes.get(user_code, ""))
        if device is None:
            return UNKNOWN_CODE
        if now >= device.expires_at:
            return EXPIRED_CODE
        self._decide(device, approve=not deny)
        return self.wording.denied_page if device.state == "denied" else self.wording.approved_page

    def _decide(self, device: Device, *, approve: bool) -> None:
        if device.state != "pending":
            return
        device.state = "approved" if approve else "denied"
        if approve:
            self.on_approve()


class DeviceCodeControls:
    """What tests do to a stand-in's device codes: approve, deny, list, expire.

    Mixed into a ``LoopbackStandIn`` that keeps its codes in ``_device_codes`` and its state
    under ``_lock``.
    """

    _device_codes: DeviceCodes
    _lock: threading.RLock
    clock: Callable[[], float]

    def approve_device(self, user_code: str) -> None:
        """Approve a device authorization, whatever ``deny`` says (KeyError if unknown)."""
        with self._lock:
            self._device_codes.decide(user_code, approve=True)

    def deny_device(self, user_code: str) -> None:
        """Deny a device authorization (KeyError if unknown)."""
        with self._lock:
            self._device_codes.decide(user_code, approve=False)

    def user_codes(self) -> list[str]:
        """Return the user codes of device authorizations still pending approval."""
        with self._lock:
            return self._device_codes.pending_user_codes()

    def expire_devices(self) -> None:
        """Make every device code issued so far expired (``expired_token`` from now on)."""
        with self._lock:
            self._device_codes.expire(self.clock())
