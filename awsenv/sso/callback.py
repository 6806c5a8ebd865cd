"""The loopback server that receives the PKCE redirect: 127.0.0.1 only, state checked, bounded."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CALLBACK_PATH = "/oauth/callback"

_DONE_PAGE = b"""<!doctype html><meta charset="utf-8"><title>awsenv</title>
<body style="font-family: sans-serif; margin: 3em">
<h1>Signed in</h1><p>awsenv has what it needs. You can close this tab and return to your shell.</p>
"""
_DENIED_PAGE = b"""<!doctype html><meta charset="utf-8"><title>awsenv</title>
<body style="font-family: sans-serif; margin: 3em">
<h1>Sign-in was not completed</h1><p>Return to your shell for details.</p>
"""
_BAD_PAGE = b"""<!doctype html><meta charset="utf-8"><title>awsenv</title>
<body style="font-family: sans-serif; margin: 3em"><h1>Unexpected request</h1>
<p>This page does not belong to the sign-in awsenv is waiting for.</p>
"""


class CallbackResult:
    """What the browser brought back: a code, or an error from the authorization server."""

    __slots__ = ("code", "error")

    def __init__(self, code: str | None, error: str | None) -> None:
        self.code = code
        self.error = error

    def __repr__(self) -> str:
        return f"CallbackResult(code={'<set>' if self.code else None}, error={self.error!r})"


class _Server(HTTPServer):
    expected_state: str
    result: CallbackResult | None
    done: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "awsenv"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the request line (it holds the code) out of stderr."""

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """Accept only GET /oauth/callback with the state awsenv sent; answer anything else 4xx."""
        url = urlsplit(self.path)
        if url.path != CALLBACK_PATH or self.server.done.is_set():
            self._answer(404, _BAD_PAGE)
            return
        query = parse_qs(url.query)
        state = query.get("state", [""])[0]
        if state != self.server.expected_state:
            # A stray or forged request: refuse it and keep waiting for the real one.
            self._answer(400, _BAD_PAGE)
            return
        error = query.get("error", [None])[0]
        code = query.get("code", [None])[0]
        if error or not code:
            self.server.result = CallbackResult(None, error or "no authorization code")
            self._answer(200, _DENIED_PAGE)
        else:
            self.server.result = CallbackResult(code, None)
            self._answer(200, _DONE_PAGE)
        self.server.done.set()


class CallbackServer:
    """Listen on 127.0.0.1 (a free port, or a fixed one for ssh -L) until the redirect arrives."""

    def __init__(self, state: str, *, port: int = 0) -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.timeout = 1.0
        self._server.expected_state = state
        self._server.result = None
        self._server.done = threading.Event()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        """Return the redirect URI to register with the authorization request."""
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait(self, timeout: float) -> CallbackResult | None:
        """Wait up to ``timeout`` seconds; None if nothing arrived yet."""
        if self._server.done.wait(timeout):
            return self._server.result
        return None
