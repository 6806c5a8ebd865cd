"""A real Secret Service for the keychain tests: gnome-keyring-daemon on a private D-Bus.

:class:`SecretService` starts ``dbus-daemon --session`` (its address read from what it prints)
and ``gnome-keyring-daemon --foreground --unlock --components=secrets`` on that bus, with a
known password on stdin and its keyrings under the given HOME; it polls the bus until
``org.freedesktop.secrets`` has an owner. :meth:`environ` is what awsenv's processes need to
reach it. Both daemons are children of the test and are stopped by their process ids.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

PASSWORD = b"awsenv-test-keyring"
SECRETS_NAME = "org.freedesktop.secrets"


class SecretService:
    """gnome-keyring's Secret Service on a private session bus."""

    def __init__(self, home: Path, runtime: Path) -> None:
        self.home = home
        self.runtime = runtime
        self.address = ""
        self._bus: subprocess.Popen[bytes] | None = None
        self._keyring: subprocess.Popen[bytes] | None = None

    def environ(self) -> dict[str, str]:
        """The variables a process needs to use this Secret Service."""
        return {"DBUS_SESSION_BUS_ADDRESS": self.address, "XDG_RUNTIME_DIR": str(self.runtime)}

    def _env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(self.runtime),
        }
        if self.address:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        return env

    def start(self, timeout: float = 20) -> SecretService:
        """Start the bus and the keyring; raise RuntimeError if it does not answer in time."""
        self.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        self._bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self._env(),
        )
        assert self._bus.stdout is not None
        line = b""
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([self._bus.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self._bus.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        self.address = line.decode().strip()
        if not self.address:
            self.stop()
            raise RuntimeError("dbus-daemon printed no address")
        self._keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self._env(),
        )
        assert self._keyring.stdin is not None
        self._keyring.stdin.write(PASSWORD)
        self._keyring.stdin.close()
        while time.monotonic() < deadline:
            if self._owned():
                return self
            if self._keyring.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("gnome-keyring-daemon did not take org.freedesktop.secrets in time")

    def _send(self, destination: str, path: str, method: str, argument: str) -> bytes:
        answer = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                f"--dest={destination}",
                path,
                method,
                argument,
            ],
            env=self._env(),
            capture_output=True,
            timeout=10,
            check=False,
        )
        return answer.stdout

    def _owned(self) -> bool:
        """True once the Secret Service answers and its default collection (login) exists.

        Before the login keyring is made, a client would find no default collection and ask
        to create one, which needs a prompt no test can answer.
        """
        owned = self._send(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            f"string:{SECRETS_NAME}",
        )
        if b"boolean true" not in owned:
            return False
        alias = self._send(
            SECRETS_NAME,
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.ReadAlias",
            "string:default",
        )
        return b"/org/freedesktop/secrets/collection/" in alias

    def stop(self) -> None:
        """Stop the keyring, then the bus (each by its own process id)."""
        for process in (self._keyring, self._bus):
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._bus is not None and self._bus.stdout is not None:
            self._bus.stdout.close()
        self._keyring = self._bus = None
