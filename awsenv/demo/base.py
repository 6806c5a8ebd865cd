"""What the loopback stand-ins share: server, handler, lifecycle, request log, faults, canaries."""

from __future__ import annotations

import contextlib
import io
import secrets
import socket
import socketserver
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, TypeVar

LOOPBACK = "127.0.0.1"
CANARY = "CANARY-"
MAX_REQUEST_BODY = 1024 * 1024

Step = tuple[Any, ...]

S = TypeVar("S", bound="LoopbackStandIn")


class Request(NamedTuple):
    """One request received (no query string, no body: those hold secrets)."""

    operation: str
    method: str
    path: str
    grant: str | None  # CreateToken: the grant's short name; Sts: the action
    at: float  # time.monotonic() on arrival


class Reply(NamedTuple):
    """An HTTP answer."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server that reports its connections to its stand-in."""

    daemon_threads = True
    standin: LoopbackStandIn

    def server_bind(self) -> None:
        """Bind without HTTPServer's socket.getfqdn, which may wait on DNS."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection, then serve it."""
        self.standin._track(request, add=True)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client went away mid-request (tests cut connections on purpose)."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection, then close it."""
        self.standin._track(request, add=False)
        super().shutdown_request(request)


class QuietHandler(BaseHTTPRequestHandler):
    """Route every method to the stand-in; log nothing (request lines hold codes and tokens)."""

    server: LoopbackServer
    protocol_version = "HTTP/1.1"
    server_version = "StandIn"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 30  # an idle keep-alive connection is dropped after this many seconds

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the stand-in's ``requests`` records what matters."""

    def do_GET(self) -> None:
        """Answer any method through the stand-in's router."""
        self.server.standin._handle(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def send(self, reply: Reply) -> None:
        """Write ``reply`` (status, headers, Content-Length, body); a gone client is ignored."""
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True

    def send_huge(self, size: int, stopping: threading.Event) -> None:
        """Answer 200 with an ``size``-byte JSON body, streamed (never built in memory)."""
        head, tail = b'{"padding": "', b'"}'
        filler = max(size - len(head) - len(tail), 0)
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(head) + filler + len(tail)))
            self.end_headers()
            self.wfile.write(head)
            chunk = b"x" * 65536
            while filler > 0 and not stopping.is_set():
                piece = chunk if filler >= len(chunk) else chunk[:filler]
                self.wfile.write(piece)
                filler -= len(piece)
            self.wfile.write(tail)
        except OSError:
            pass

    def reset(self) -> None:
        """Drop the connection with a TCP reset, answering nothing."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket closes (and the linger setting sends RST) once its file objects are gone;
        # the base class still flushes and closes ``wfile`` afterwards, so leave it a dummy.
        self.rfile.close()
        self.wfile.close()
        self.connection.close()
        self.wfile = io.BytesIO()


class LoopbackStandIn:
    """Start, stop and count: the part of a stand-in that is not its protocol."""

    handler_class: type[QuietHandler] = QuietHandler
    faults: frozenset[str] = frozenset()  # the step kinds ``script()`` accepts

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[Any] = set()
        self._canaries: list[str] = []
        self._calls: dict[str, int] = {}
        self._requests: list[Request] = []
        self._authorizations = 0
        self._scripts: dict[str, list[Step]] = {}

    def _handle(self, handler: Any) -> None:
        raise NotImplementedError

    def start(self: S) -> S:
        """Listen on 127.0.0.1 (``port``, 0 for a free one) and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._stopping.clear()
        server = LoopbackServer((LOOPBACK, self.port), self.handler_class, bind_and_activate=False)
        server.standin = self
        try:
            server.server_bind()
            server.server_activate()
        except OSError:
            server.server_close()
            raise
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and wake scripted delays."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return f"http://{LOOPBACK}:{self._server.server_port}"

    @property
    def calls(self) -> dict[str, int]:
        """Return a snapshot of operation name → number of requests (faulted ones included)."""
        with self._lock:
            return dict(self._calls)

    @property
    def requests(self) -> list[Request]:
        """Return a snapshot of every request received, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def authorizations(self) -> int:
        """Return the number of sign-ins the user completed."""
        with self._lock:
            return self._authorizations

    def canaries(self) -> list[str]:
        """Return every secret value ever issued, oldest first."""
        with self._lock:
            return list(self._canaries)

    def script(self, operation: str, steps: list[Step]) -> None:
        """Queue faults for ``operation``; each request to it consumes one step, in order."""
        for step in steps:
            if not step or step[0] not in self.faults:
                raise ValueError(f"unknown fault step {step!r}")
        with self._lock:
            self._scripts.setdefault(operation, []).extend(steps)

    def pending_script(self, operation: str) -> int:
        """Return how many scripted steps ``operation`` has left."""
        with self._lock:
            return len(self._scripts.get(operation, []))

    def _secret(self, kind: str) -> str:
        """Mint a secret (``<kind>.CANARY-<hex>``) and list it in ``canaries()``."""
        value = f"{kind}.{CANARY}{secrets.token_hex(16)}"
        self._canaries.append(value)
        return value

    def _read_body(self, handler: QuietHandler, too_large: Reply) -> bytes | None:
        """Return the request body, or answer ``too_large`` (and None) past MAX_REQUEST_BODY."""
        length = handler.headers.get("Content-Length")
        try:
            size = int(length) if length else 0
        except ValueError:
            size = -1
        if size < 0 or size > MAX_REQUEST_BODY:
            handler.close_connection = True
            handler.send(too_large)
            return None
        return handler.rfile.read(size) if size else b""

    def _arrive(
        self, operation: str, handler: QuietHandler, path: str, grant: str | None
    ) -> Step | None:
        """Count and log one request; return the next scripted step of ``operation``, if any."""
        with self._lock:
            self._calls[operation] = self._calls.get(operation, 0) + 1
            self._requests.append(
                Request(operation, handler.command, path, grant, time.monotonic())
            )
            queue = self._scripts.get(operation)
            return queue.pop(0) if queue else None

    def _play(self, handler: QuietHandler, step: Step) -> bool:
        """Play a ``delay``, ``reset`` or ``huge_body`` step; True when nothing is left to answer.

        A delay waits (and resets the connection if the stand-in stops meanwhile), then the
        request is answered normally; the stand-in answers any other step itself.
        """
        kind = step[0]
        if kind == "delay":
            if self._stopping.wait(float(step[1])):
                handler.reset()
                return True
            return False
        if kind == "reset":
            handler.reset()
            return True
        if kind == "huge_body":
            handler.send_huge(int(step[1]), self._stopping)
            return True
        return False

    def _count_sign_in(self) -> None:
        """Count one sign-in the user completed (the caller holds the lock)."""
        self._authorizations += 1

    def _track(self, connection: Any, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)
