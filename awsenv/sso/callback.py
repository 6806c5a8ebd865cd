"""The loopback server that receives the PKCE redirect: 127.0.0.1 only, state checked, bounded.

Only ``GET /oauth/callback`` carrying exactly one ``state`` equal to the one awsenv sent (and at
most one ``code`` and ``error``) ends the wait; anything else gets a 4xx and the wait goes on, so
a stray or forged request never aborts a login. Each connection has its own thread and a
per-request timeout, so idle connections cannot hold the real redirect up; closing the server
closes every connection it still has, at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CALLBACK_PATH = "/oauth/callback"
REQUEST_TIMEOUT = 5.0  # seconds a connection may take to send its request (the CLI's is 10)
MAX_CONNECTIONS = 128  # connections served at once; more are closed unanswered
POLL_INTERVAL = 0.05  # how quickly serve_forever notices shutdown()
MAX_ERROR_CHARS = 100

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


def _clean_error(text: str) -> str:
    """Keep an ``error`` value short and printable (it reaches the terminal)."""
    flat = "".join(c if c.isprintable() else "?" for c in text)
    return flat if len(flat) <= MAX_ERROR_CHARS else flat[: MAX_ERROR_CHARS - 3] + "..."


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # closing never waits for a slow client
    # A burst of connections must not overflow the accept queue: the kernel would drop the
    # browser's SYN and its retry comes a second or more later.
    request_queue_size = 512
    expected_state: str
    result: CallbackResult | None
    done: threading.Event
    claimed: bool
    decided: threading.Lock
    connections: set[socket.socket]
    guard: threading.Lock

    def server_bind(self) -> None:
        """Bind without HTTPServer's socket.getfqdn, which may wait on DNS."""
        import socketserver

        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve each connection in its own thread, at most MAX_CONNECTIONS at once."""
        with self.guard:
            full = len(self.connections) >= MAX_CONNECTIONS
            if not full:
                self.connections.add(request)
        if full:
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection, then close it."""
        with self.guard:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Say nothing: a client that went away or misbehaved is not the user's problem."""

    def close_connections(self) -> None:
        """Cut every connection still open (idle or slow clients)."""
        with self.guard:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "awsenv"
    sys_version = ""
    timeout = REQUEST_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the request line (it holds the code) out of stderr."""

    def _answer(self, status: int, body: bytes, *headers: tuple[str, str]) -> None:
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        """Accept only GET /oauth/callback with the state awsenv sent; answer anything else 4xx."""
        url = urlsplit(self.path)
        if url.path != CALLBACK_PATH or self.server.claimed:
            self._answer(404, _BAD_PAGE)
            return
        try:
            query = parse_qs(url.query, keep_blank_values=True, max_num_fields=20)
        except ValueError:
            self._answer(400, _BAD_PAGE)
            return
        states = query.get("state", [])
        codes = query.get("code", [])
        errors = query.get("error", [])
        if states != [self.server.expected_state] or len(codes) > 1 or len(errors) > 1:
            # A stray, forged or ambiguous request: refuse it and keep waiting for the real one.
            self._answer(400, _BAD_PAGE)
            return
        error = errors[0] if errors else None
        code = codes[0] if codes else None
        result = (
            CallbackResult(None, _clean_error(error or "no authorization code"))
            if error or not code
            else CallbackResult(code, None)
        )
        with self.server.decided:
            first = not self.server.claimed
            self.server.claimed = True
        if not first:
            self._answer(404, _BAD_PAGE)
            return
        try:
            # The page goes out before the wait ends: closing the server must not cut it off.
            self._answer(200, _DONE_PAGE if result.code else _DENIED_PAGE)
        finally:
            self.server.result = result
            self.server.done.set()

    def _not_allowed(self) -> None:
        self._answer(405, _BAD_PAGE, ("Allow", "GET"))

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed  # noqa: N815


class CallbackServer:
    """Listen on 127.0.0.1 (a free port, or a fixed one for ssh -L) until the redirect arrives."""

    def __init__(self, state: str, *, port: int = 0) -> None:
        self._server = _Server(("127.0.0.1", port), _Handler, bind_and_activate=False)
        try:
            self._server.server_bind()
            self._server.server_activate()
        except OSError:
            self._server.server_close()
            raise
        self._server.expected_state = state
        self._server.result = None
        self._server.done = threading.Event()
        self._server.claimed = False
        self._server.decided = threading.Lock()
        self._server.connections = set()
        self._server.guard = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            daemon=True,
        )

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def address(self) -> tuple[str, int]:
        """Return the listening socket's address (``getsockname``)."""
        host, port = self._server.socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def redirect_uri(self) -> str:
        """Return the redirect URI to register with the authorization request."""
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening and cut open connections (returns within about POLL_INTERVAL)."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=1)

    def wait(self, timeout: float) -> CallbackResult | None:
        """Wait up to ``timeout`` seconds; None if nothing arrived yet."""
        if self._server.done.wait(timeout):
            return self._server.result
        return None
