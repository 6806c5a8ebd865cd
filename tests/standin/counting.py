"""A loopback proxy in front of moto's STS that records every call's Action and parameters.

moto answers; the proxy only forwards each POST as it came and keeps, per call, the form
parameters (``TokenCode`` reduced to whether it was there), so a test can say how many times
awsenv called GetSessionToken and which AssumeRole calls carried an MFA code.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

_HOP_HEADERS = {"host", "content-length", "connection", "accept-encoding"}


class CountingSts:
    """Start with :meth:`start`, point ``AWS_ENDPOINT_URL_STS`` at :attr:`endpoint`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.calls: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.endpoint = ""

    def count(self, action: str) -> int:
        """How many calls of ``action`` went through."""
        with self._lock:
            return sum(1 for call in self.calls if call.get("Action") == action)

    def of(self, action: str) -> list[dict[str, str]]:
        """The recorded parameters of every ``action`` call, in order."""
        with self._lock:
            return [dict(call) for call in self.calls if call.get("Action") == action]

    def start(self) -> CountingSts:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
                if "TokenCode" in form:
                    form["TokenCode"] = "<given>"
                with proxy._lock:
                    proxy.calls.append(form)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                request = urllib.request.Request(
                    proxy.upstream + self.path, data=body, headers=headers, method="POST"
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, answer_headers, data = answer.status, answer.headers, answer.read()
                except urllib.error.HTTPError as error:
                    status, answer_headers, data = error.code, error.headers, error.read()
                self.send_response(status)
                self.send_header("Content-Type", answer_headers.get("Content-Type", "text/xml"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
