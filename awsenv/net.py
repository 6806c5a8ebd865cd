"""How awsenv's own HTTP calls behave: timeouts, bounded retries, a size cap, one debug line each.

One budget B, ``AWSENV_HTTP_TIMEOUT`` (seconds, default 30), bounds every call awsenv makes to
IAM Identity Center, Okta and STS, through botocore or urllib alike:

- each socket operation (connect, each read) may take B/6 (``attempt_timeout``: 5 s by default);
- the body of an answer must be complete B/2 after its attempt started, and may not exceed
  1 MiB (``MAX_RESPONSE_BYTES``): larger answers are refused, never read whole, never echoed;
- a call is tried at most ``ATTEMPTS`` (3) times, again only after a network failure (refused,
  reset, timeout), a 5xx or throttling, with jittered exponential backoff: at most 1 s, then 2 s
  (botocore's; awsenv's urllib calls wait at most 0.15 s, or 3 s after a 429).

So a server that never answers ends a call after 3 x B/6 = B/2 plus the backoff; the worst case
(slow connects, bodies that trickle in until their deadline) is 3 x B/2: **every call ends
within 1.5 x AWSENV_HTTP_TIMEOUT + 3 s**, which is at most 2 x AWSENV_HTTP_TIMEOUT for any
budget of 6 s or more (the default: 48 s at worst, 18 s for a server that never answers).
"""

from __future__ import annotations

import random
import time
from urllib.parse import urlsplit

from awsenv import log
from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

DEFAULT_TIMEOUT = 30.0
MIN_TIMEOUT = 0.5
MAX_TIMEOUT = 600.0
ATTEMPTS = 3
MAX_RESPONSE_BYTES = 1 << 20
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CHUNK = 64 * 1024
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# Hosts AWS serves sign-in pages from (docs/protocols.md §3.6), plus the regional endpoints.
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
    """Make a botocore client read answers through awsenv's cap, deadline and debug log.

    ``service`` names the server in messages ("IAM Identity Center", "STS"). Returns ``client``.
    """
    each = attempt_timeout(timeout_budget(environ))
    session = client._endpoint.http_session

    def send(request: Any, event_name: str = "", **kwargs: Any) -> Any:
        del kwargs
        operation = event_name.rpartition(".")[2] or "a request"
        return _botocore_send(session, request, service, operation, each)

    client.meta.events.register_first("before-send", send)
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


def _from_parser(exc: BaseException) -> bool:
    """Return True if ``exc`` was raised while botocore parsed an answer."""
    if type(exc).__name__ == "ResponseParserError":
        return True
    if not isinstance(exc, (TypeError, ValueError, AttributeError, KeyError)):
        return False
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.replace("\\", "/").endswith("botocore/parsers.py"):
            return True
        tb = tb.tb_next
    return False


def _botocore_send(session: Any, request: Any, service: str, operation: str, each: float) -> Any:
    import botocore.awsrequest
    import botocore.exceptions as bx

    parts = urlsplit(request.url)
    host = parts.netloc
    start = time.monotonic()
    request.stream_output = True
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
        body = read_capped(raw.read, deadline=start + 3 * each)
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
