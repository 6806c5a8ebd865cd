"""The one HTTP layer: one deadline per call, bounded retries, a size cap, one debug line each.

Every call to IAM Identity Center, Okta, STS and the
federation endpoint goes through :func:`request` (urllib) or a botocore client bound here.

One budget B, ``AWSENV_HTTP_TIMEOUT`` (seconds, default 30), bounds every call, through botocore or
urllib alike:

- each try has one deadline, B/2 after it started, that covers the connection, the response
  headers and the whole body; it is enforced on the socket (before each send and receive the
  socket's timeout is set to what is left of it, and at most B/6: ``attempt_timeout``), so a
  server that sends one byte at a time cannot stretch a call;
- an answer may not exceed 1 MiB (``MAX_RESPONSE_BYTES``): larger answers are refused, never read
  whole, never echoed;
- a call is tried at most ``ATTEMPTS`` (3) times, again only after a network failure (refused,
  reset, timeout), a 5xx or throttling, with jittered exponential backoff: at most 1 s, then 2 s
  (botocore's; awsenv's urllib calls wait at most 0.15 s, or 3 s after a 429); and no try goes
  on past 1.5 x B after the first one started (``call_deadline``).

So a server that never answers ends a call after 3 x B/6 = B/2 plus the backoff; the worst case
(slow connects, answers that trickle in until their deadline) is 3 x B/2: **every call ends
within 1.5 x AWSENV_HTTP_TIMEOUT + 3 s**, which is at most 2 x AWSENV_HTTP_TIMEOUT for any
budget of 6 s or more (the default: 48 s at worst, 18 s for a server that never answers).
"""

from __future__ import annotations

import contextvars
import random
import time
from urllib.parse import urlsplit

from awsenv import log
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

DEFAULT_TIMEOUT = 30.0
MIN_TIMEOUT = 0.5
MAX_TIMEOUT = 600.0
ATTEMPTS = 3
MAX_RESPONSE_BYTES = 1 << 20
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CHUNK = 64 * 1024
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# Hosts AWS serves sign-in pages from, plus the regional endpoints.
AWS_SIGN_IN_SUFFIXES = (
    ".amazonaws.com",
    ".amazonaws.com.cn",
    ".amazonaws.eu",
    ".awsapps.com",
    ".awsapps.cn",
    ".app.aws",
    ".amazonwebservices.com.cn",
    ".amazonwebservices.eu",
)


class ResponseTooLarge(AwsenvError):
    """A server sent more than ``MAX_RESPONSE_BYTES``; the answer was dropped unread."""


class BadResponse(AwsenvError):
    """A server's answer cannot be used (not the expected shape); its text is never shown."""


class UnsafeUrl(AwsenvError):
    """A server asked awsenv to open a URL that is not https on the expected host."""


def timeout_budget(environ: Mapping[str, str]) -> float:
    """Return ``AWSENV_HTTP_TIMEOUT`` in seconds (default 30, clamped to 0.5 to 600)."""
    text = environ.get("AWSENV_HTTP_TIMEOUT", "").strip()
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        value = DEFAULT_TIMEOUT
    if value != value:  # NaN
        value = DEFAULT_TIMEOUT
    return min(max(value, MIN_TIMEOUT), MAX_TIMEOUT)


def attempt_timeout(budget: float) -> float:
    """Return the timeout of one socket operation for a call with this budget."""
    return budget / 6


def host_of(url: str) -> str:
    """Return ``host[:port]`` of a URL (what messages name), or the text itself."""
    try:
        return urlsplit(url).netloc.rpartition("@")[2] or url
    except ValueError:
        return url


def call_deadline(start: float, budget: float) -> float:
    """Return the moment past which no try of a call that started at ``start`` may go on."""
    return start + 1.5 * budget


def backoff(attempt: int, *, throttled: bool) -> float:
    """Return the jittered wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
    scale = 1.0 if throttled else 0.05
    ceiling = min(scale * float(2 ** (attempt - 1)), 20.0)
    return float(random.random() * ceiling)  # noqa: S311 - jitter, not a secret


def read_capped(
    read: Any, *, deadline: float, limit: int = MAX_RESPONSE_BYTES, clock: Any = time.monotonic
) -> bytes:
    """Read a body with ``read(n)`` until EOF; ResponseTooLarge past ``limit``, TimeoutError late.

    ``ResponseTooLarge`` here carries no message: callers say who sent it.
    """
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(parts)
        parts.append(bytes(chunk))
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge("")
        if clock() > deadline:
            raise TimeoutError("the answer did not arrive in time")


def nested_too_deep(body: bytes) -> bool:
    """Return True if ``body`` is JSON nested deeper than the parser can take."""
    head = body[:1].lstrip() or body.lstrip()[:1]
    if head not in (b"{", b"["):
        return False
    import json

    try:
        json.loads(body)
    except RecursionError:
        return True
    except ValueError:
        return False
    return False


# --- the deadline, on the socket -----------------------------------------------------------------

# (deadline, per-operation timeout) of the try this thread is making, read by every socket op.
_ACTIVE: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "awsenv_net_deadline", default=None
)


def _time_left(active: tuple[float, float]) -> float:
    """Return the timeout of the next socket operation; TimeoutError once the deadline passed."""
    deadline, each = active
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the answer did not arrive in time")
    return min(each, left)


class _DeadlineSocket:
    """A connected socket whose every send and receive ends by the deadline of the current try.

    Before each operation its timeout is set to what is left of that deadline (at most the
    per-operation timeout), so a server that drips one byte at a time is cut off. A pooled
    connection reused by a later try follows that try's deadline; outside a try it is left alone.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def _arm(self) -> None:
        active = _ACTIVE.get()
        if active is not None:
            self._sock.settimeout(_time_left(active))

    def recv(self, size: int, *args: Any) -> Any:
        """Receive, within the deadline."""
        self._arm()
        return self._sock.recv(size, *args)

    def recv_into(self, buffer: Any, *args: Any) -> Any:
        """Receive into ``buffer``, within the deadline."""
        self._arm()
        return self._sock.recv_into(buffer, *args)

    def send(self, data: Any, *args: Any) -> Any:
        """Send, within the deadline."""
        self._arm()
        return self._sock.send(data, *args)

    def sendall(self, data: Any, *args: Any) -> Any:
        """Send everything, within the deadline."""
        self._arm()
        return self._sock.sendall(data, *args)

    def makefile(self, mode: str = "r", buffering: int | None = None, **kwargs: Any) -> Any:
        """Return a buffered binary reader whose reads go through this wrapper."""
        del mode, kwargs  # http.client only ever asks for "rb"
        import io
        import socket

        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        if hasattr(self._sock, "_io_refs"):
            self._sock._io_refs += 1  # as socket.makefile does: the socket outlives the file
        size = buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE
        return io.BufferedReader(raw, size)

    def _decref_socketios(self) -> None:
        """Called when a file from :meth:`makefile` closes (as for a plain socket)."""
        decref = getattr(self._sock, "_decref_socketios", None)
        if decref is not None:
            decref()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _deadline_connection(base: type) -> type:
    """Return a subclass of the connection class ``base`` that keeps the current deadline."""

    class DeadlineConnection(base):  # type: ignore[misc]
        timeout: Any
        sock: Any

        def connect(self) -> None:
            active = _ACTIVE.get()
            if active is not None and isinstance(self.timeout, (int, float)):
                self.timeout = _time_left(active)  # connect and TLS handshake included
            super().connect()
            if active is not None and self.sock is not None:
                self.sock = _DeadlineSocket(self.sock)

    DeadlineConnection.__name__ = DeadlineConnection.__qualname__ = "Deadline" + base.__name__
    return DeadlineConnection


# --- urllib: the one plain HTTP client ------------------------------------------------------------


class NoAnswer(AwsenvError):
    """No usable answer came (refused, reset, timed out, TLS): ``reason`` says which, briefly."""

    def __init__(self, reason: str, *, timed_out: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


class Answer:
    """One HTTP answer: status, headers, the (capped) body, and how many tries it took."""

    __slots__ = ("attempts", "body", "headers", "status")

    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.headers: Any = headers if headers is not None else {}
        self.body = body
        self.attempts = 1

    @property
    def content_type(self) -> str:
        """Return the Content-Type header ("" when there is none)."""
        return str(self.headers.get("Content-Type", "") or "")

    def json(self) -> Any:
        """Return the body as JSON, or None when it is not JSON."""
        import json

        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, RecursionError):
            return None


def request(
    url: str,
    *,
    method: str = "GET",
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    budget: float = DEFAULT_TIMEOUT,
    limit: int = MAX_RESPONSE_BYTES,
    retry_statuses: frozenset[int] = RETRY_STATUSES,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """Send one request with awsenv's policy; return any HTTP status, never follow a redirect.

    Tried up to ``ATTEMPTS`` times after a network failure or an answer with one of
    ``retry_statuses`` (5xx, 429; jittered backoff); ``budget`` is the call's B (see the
    module). Raises NoAnswer when no answer came, and ResponseTooLarge (with no message:
    callers say who sent it) past ``limit`` bytes. The debug line names the host and path only:
    a query string may hold credentials.
    """
    each = attempt_timeout(budget)
    start = time.monotonic()
    last_call = call_deadline(start, budget)
    parts = urlsplit(url)
    where = f"{host_of(url)}{parts.path}"
    for attempt in range(1, ATTEMPTS + 1):
        begun = time.monotonic()
        deadline = min(begun + 3 * each, last_call)
        try:
            answer = _attempt(url, method, data, dict(headers or {}), deadline, each, limit)
        except NoAnswer as exc:
            log.debug(
                "HTTP %s %s: no answer after %.2fs (%s)",
                method,
                where,
                time.monotonic() - begun,
                exc.reason,
            )
            if attempt == ATTEMPTS or time.monotonic() >= last_call:
                raise
            sleep(backoff(attempt, throttled=False))
            continue
        log.debug(
            "HTTP %s %s: %s in %.2fs, %d bytes",
            method,
            where,
            answer.status,
            time.monotonic() - begun,
            len(answer.body),
        )
        retry = answer.status in retry_statuses and attempt < ATTEMPTS
        if retry and time.monotonic() < last_call:
            sleep(backoff(attempt, throttled=answer.status == 429))
            continue
        answer.attempts = attempt
        return answer
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(
    url: str,
    method: str,
    data: bytes | None,
    headers: dict[str, str],
    deadline: float,
    each: float,
    limit: int,
) -> Answer:
    """One try: connect, headers and body all by ``deadline``."""
    import http.client
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    token = _ACTIVE.set((deadline, each))
    try:
        try:
            with _opener(url).open(req, timeout=_time_left((deadline, each))) as response:
                body = read_capped(response.read, deadline=deadline, limit=limit)
                return Answer(response.status, response.headers, body)
        except urllib.error.HTTPError as exc:
            with exc:
                try:
                    body = read_capped(exc.read, deadline=deadline, limit=limit)
                except (OSError, http.client.HTTPException):
                    body = b""
                return Answer(exc.code, exc.headers, body)
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        raise NoAnswer(_one_line(text), timed_out=isinstance(reason, TimeoutError)) from None
    except (OSError, http.client.HTTPException) as exc:  # timeouts, resets mid-answer
        timed_out = isinstance(exc, TimeoutError)
        raise NoAnswer(
            "timed out" if timed_out else type(exc).__name__, timed_out=timed_out
        ) from None
    finally:
        _ACTIVE.reset(token)


_HANDLERS: list[Any] = []


def _opener(url: str) -> Any:
    """Return a urllib opener: no redirects, deadline-bound connections, no proxy for loopback."""
    import urllib.request

    if not _HANDLERS:
        import http.client

        http_class: Any = _deadline_connection(http.client.HTTPConnection)
        https_class: Any = _deadline_connection(http.client.HTTPSConnection)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002
                return None  # a redirect is an answer of its own: nothing follows it elsewhere

        class Http(urllib.request.HTTPHandler):
            def http_open(self, req: Any) -> Any:
                return self.do_open(http_class, req)

        class Https(urllib.request.HTTPSHandler):
            def https_open(self, req: Any) -> Any:
                return self.do_open(https_class, req, context=getattr(self, "_context", None))

        _HANDLERS.extend((NoRedirect, Http, Https))
    handlers: list[Any] = [klass() for klass in _HANDLERS]
    if is_loopback(urlsplit(url).hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))  # a proxy cannot reach our loopback
    return urllib.request.build_opener(*handlers)


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# --- botocore ------------------------------------------------------------------------------------


def botocore_config(environ: Mapping[str, str], **extra: Any) -> Any:
    """Return a botocore ``Config`` with awsenv's timeouts and retry policy (plus ``extra``)."""
    import botocore.config

    each = attempt_timeout(timeout_budget(environ))
    return botocore.config.Config(
        connect_timeout=each,
        read_timeout=each,
        retries={"total_max_attempts": ATTEMPTS, "mode": "standard"},
        **extra,
    )


class _Body:
    """The already read body of an answer, shaped as botocore's ``AWSResponse.raw``."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        """Yield the body (botocore joins what it yields)."""
        del kwargs
        yield self._data

    def read(self, amt: int | None = None) -> bytes:
        """Return the rest of the body (or ``amt`` bytes of it)."""
        data, self._data = (
            (self._data, b"") if amt is None else (self._data[:amt], self._data[amt:])
        )
        return data


def guard_client(client: Any, service: str, environ: Mapping[str, str]) -> Any:
    """Make a botocore client read answers through awsenv's deadline, cap and debug log.

    ``service`` names the server in messages ("IAM Identity Center", "STS"). Answers botocore
    cannot parse become one BadResponse line. Returns ``client``.
    """
    bind_client(client, service, environ)
    call = client._make_api_call
    host = host_of(str(client.meta.endpoint_url))

    def make_api_call(operation: str, params: Any) -> Any:
        try:
            return call(operation, params)
        except Exception as exc:
            if not _from_parser(exc):
                raise
            # botocore's parsers fail on answers of the wrong shape (a list, a string where a
            # number belongs, JSON where XML belongs...), and some put the body in the message.
            raise BadResponse(
                f"{service} at {host} answered {operation} with something that cannot be read "
                "(its text is not shown)",
                hint="check the endpoint settings (AWS_ENDPOINT_URL_*, the region)",
            ) from None

    client._make_api_call = make_api_call
    return client


def bind_client(client: Any, service: str, environ: Mapping[str, str]) -> Any:
    """Make every try of ``client``'s calls keep awsenv's deadline, size cap and debug line.

    The client's connections become deadline-bound ones (see the module) and each try is sent
    by a ``before-send`` hook that reads the whole answer by that try's deadline. Returns
    ``client``.
    """
    each = attempt_timeout(timeout_budget(environ))
    session = client._endpoint.http_session
    classes = getattr(session, "_pool_classes_by_scheme", None)
    if isinstance(classes, dict):  # shared with its pool managers: pools are made on first use
        classes.update(_pool_classes())

    def send(request: Any, event_name: str = "", **kwargs: Any) -> Any:
        del kwargs
        operation = event_name.rpartition(".")[2] or "a request"
        return _botocore_send(session, request, service, operation, each)

    client.meta.events.register_first("before-send", send)
    return client


_SERVICES = {"sts": "STS", "sso": "IAM Identity Center", "sso-oidc": "IAM Identity Center"}


def bind_session(session: Any, environ: Mapping[str, str]) -> Any:
    """Give every client a botocore session makes (its credential providers' too) awsenv's policy.

    Timeouts and retries (``botocore_config``) and the deadline, cap and debug line of
    :func:`bind_client`. Returns ``session``.
    """
    session.set_default_client_config(botocore_config(environ))
    create = session.create_client

    def create_client(*args: Any, **kwargs: Any) -> Any:
        made = create(*args, **kwargs)
        name = str(made.meta.service_model.service_name)
        return bind_client(made, _SERVICES.get(name, name), environ)

    session.create_client = create_client
    return session


_POOLS: dict[str, type] = {}


def _pool_classes() -> dict[str, type]:
    """Return botocore's connection pool classes for http and https, with deadline connections."""
    if not _POOLS:
        import botocore.awsrequest as aws

        class HttpPool(aws.AWSHTTPConnectionPool):
            ConnectionCls = _deadline_connection(aws.AWSHTTPConnection)

        class HttpsPool(aws.AWSHTTPSConnectionPool):
            ConnectionCls = _deadline_connection(aws.AWSHTTPSConnection)

        _POOLS.update(http=HttpPool, https=HttpsPool)
    return dict(_POOLS)


def _from_parser(exc: BaseException) -> bool:
    """Return True if ``exc`` was raised while botocore parsed an answer."""
    if type(exc).__name__ == "ResponseParserError":
        return True
    # OverflowError: int() of an infinite number where the model wants a whole one
    if not isinstance(exc, (TypeError, ValueError, AttributeError, KeyError, OverflowError)):
        return False
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.replace("\\", "/").endswith("botocore/parsers.py"):
            return True
        tb = tb.tb_next
    return False


def _botocore_send(session: Any, request: Any, service: str, operation: str, each: float) -> Any:
    """Send one try of a botocore call; connect, headers and body all by the try's deadline."""
    start = time.monotonic()
    # The request context is the same dict for every try of one call: it keeps the call's start.
    context = getattr(request, "context", None)
    last_call = call_deadline(start, 6 * each)
    if isinstance(context, dict):
        last_call = float(context.setdefault("awsenv_call_deadline", last_call))
    deadline = min(start + 3 * each, last_call)
    request.stream_output = True
    token = _ACTIVE.set((deadline, each))
    try:
        return _botocore_answer(session, request, service, operation, deadline, start)
    finally:
        _ACTIVE.reset(token)


def _botocore_answer(
    session: Any, request: Any, service: str, operation: str, deadline: float, start: float
) -> Any:
    import botocore.awsrequest
    import botocore.exceptions as bx

    parts = urlsplit(request.url)
    host = parts.netloc
    try:
        response = session.send(request)
    except Exception as exc:
        log.debug(
            "HTTP %s %s%s (%s): no answer after %.2fs (%s)",
            request.method,
            host,
            parts.path,
            operation,
            time.monotonic() - start,
            type(exc).__name__,
        )
        raise
    raw = response.raw
    try:
        body = read_capped(raw.read, deadline=deadline)
    except ResponseTooLarge:
        _drop(raw)
        log.debug(
            "HTTP %s %s%s (%s): answer over the size cap",
            request.method,
            host,
            parts.path,
            operation,
        )
        raise ResponseTooLarge(
            f"{service} at {host} sent an answer larger than {MAX_RESPONSE_BYTES} bytes "
            f"to {operation}; it was refused unread",
            hint="check the endpoint settings (AWS_ENDPOINT_URL_*, sso_region)",
        ) from None
    except TimeoutError as exc:
        _drop(raw)
        raise bx.ReadTimeoutError(endpoint_url=request.url, error=exc) from None
    except Exception as exc:  # noqa: BLE001 - urllib3's ReadTimeoutError, ProtocolError...
        _drop(raw)
        if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc):
            raise bx.ReadTimeoutError(endpoint_url=request.url, error=exc) from None
        raise bx.ConnectionClosedError(endpoint_url=request.url, request=request) from None
    raw.release_conn()
    log.debug(
        "HTTP %s %s%s (%s): %s in %.2fs, %d bytes",
        request.method,
        host,
        parts.path,
        operation,
        response.status_code,
        time.monotonic() - start,
        len(body),
    )
    if nested_too_deep(body):
        raise BadResponse(
            f"{service} at {host} answered {operation} with JSON nested too deeply; refused"
        )
    headers: Any = {k: v for k, v in response.headers.items() if k.lower() != "x-amz-retry-after"}
    return botocore.awsrequest.AWSResponse(request.url, response.status_code, headers, _Body(body))


def _drop(raw: Any) -> None:
    """Close a connection whose answer was not read to its end (it cannot be reused)."""
    try:
        raw.close()
        raw.release_conn()
    except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail; nothing to do
        pass


# --- URLs to open --------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Return True for 127.0.0.1, localhost, ::1 and other loopback addresses."""
    if host.lower() in _LOOPBACK:
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_sign_in_url(
    url: str,
    *,
    service: str,
    server: str,
    hosts: tuple[str, ...] = (),
    suffixes: tuple[str, ...] = (),
) -> str:
    """Return ``url`` if a browser may open it, else raise UnsafeUrl (the URL is not shown).

    Allowed: ``https`` on one of ``hosts`` (exact, any port) or a host ending in one of
    ``suffixes``; ``http`` only on a loopback host, and then only on exactly one of ``hosts``
    with its port (the stand-ins tests and the demo run). ``server`` names who sent it.
    """
    bad = (
        not isinstance(url, str) or not url or any(not c.isprintable() or c.isspace() for c in url)
    )
    try:
        parts = urlsplit(url if not bad else "")
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # a bad port or IPv6 literal
        parts, host, port = urlsplit(""), "", None
        bad = True
    scheme = parts.scheme.lower()
    allowed = False
    if not bad and host and parts.username is None and parts.password is None:
        if scheme == "https":
            allowed = host in {name for name, _ in _hosts(hosts)} or any(
                host.endswith(suffix) for suffix in suffixes
            )
        elif scheme == "http" and is_loopback(host):
            allowed = (host, port) in _hosts(hosts)
    if allowed:
        return url
    what = f"on {host}" if host else f"with scheme {scheme or 'none'}"
    if scheme and scheme not in ("http", "https"):
        what = f"with scheme {scheme}:"
    raise UnsafeUrl(
        f"{service} at {server} sent a sign-in URL {what}, which awsenv does not open: only "
        "https pages of the sign-in service are opened",
        hint="check the endpoint settings; if they are right, report this to your administrator",
    )


def _hosts(hosts: tuple[str, ...]) -> list[tuple[str, int | None]]:
    """Return (host name, port) of each ``host[:port]``."""
    found = []
    for item in hosts:
        parts = urlsplit("//" + item)
        try:
            found.append(((parts.hostname or "").lower(), parts.port))
        except ValueError:
            continue
    return found
