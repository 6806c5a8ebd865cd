"""A local AWS federation endpoint (the console sign-in of the IAM User Guide) on loopback.

It speaks the real wire protocol at ``/federation``:

- ``GET ?Action=getSigninToken[&SessionDuration=N]&Session=<JSON>`` → ``{"SigninToken": ...}``,
  for a Session of ``sessionId``/``sessionKey``/``sessionToken`` whose key id is temporary
  (``ASIA...``, as moto's AssumeRole mints) or one of ``federation_key_ids`` (moto's
  GetFederationToken always answers the fixed ``AKIAIOSFODNN7EXAMPLE``); ``SessionDuration``
  must be 900-43200 and is refused with GetFederationToken keys, as AWS refuses it;
- ``GET ?Action=login&Issuer=...&Destination=...&SigninToken=...`` → a 302 to Destination, for
  a token it issued less than 15 minutes ago.

Anything else is a 400. Point awsenv here with ``environ()`` (``AWSENV_FEDERATION_ENDPOINT``).
Tests read ``signin_requests`` and ``logins`` (no secrets in them), ``canaries()`` (every
token issued) and script faults with ``script()``.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Callable, NamedTuple
from urllib.parse import parse_qs, urlsplit

from awsenv.demo.base import CANARY, LoopbackStandIn, QuietHandler, Reply, Step

PATH = "/federation"
MOTO_FEDERATION_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
TOKEN_LIFETIME = 900
MIN_SESSION_DURATION = 900
MAX_SESSION_DURATION = 43200
FAULTS = frozenset({"status", "raw", "huge_body"})
OPERATIONS = {"getSigninToken": "GetSigninToken", "login": "Login"}


class SigninRequest(NamedTuple):
    """One getSigninToken request: the key id, the SessionDuration asked, the status answered."""

    session_id: str | None
    session_duration: str | None
    status: int


class Login(NamedTuple):
    """One login request that was answered with the redirect."""

    issuer: str | None
    destination: str
    session_id: str


class _Issued(NamedTuple):
    session_id: str
    expires_at: float


class _Refused(Exception):
    """A request the real endpoint would refuse (HTTP 400)."""


def _text(status: int, text: str) -> Reply:
    return Reply(status, text.encode("utf-8"), (("Content-Type", "text/plain; charset=utf-8"),))


class FederationStandIn(LoopbackStandIn):
    """The federation endpoint: sign-in tokens for temporary credentials, and the login redirect.

    Args:
        federation_key_ids: key ids accepted although not ``ASIA...`` (GetFederationToken's
            keys in moto), for which SessionDuration is refused.
        refuse_session_duration: refuse every SessionDuration (as AWS does for role sessions
            that may not choose their console length).
        token_lifetime: seconds a sign-in token may be used.
        clock: the time source for token expiry.
        port: port to listen on (0: a free one).
    """

    handler_class = QuietHandler
    faults = FAULTS

    def __init__(
        self,
        *,
        federation_key_ids: tuple[str, ...] = (MOTO_FEDERATION_KEY_ID,),
        refuse_session_duration: bool = False,
        token_lifetime: int = TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.federation_key_ids = frozenset(federation_key_ids)
        self.refuse_session_duration = refuse_session_duration
        self.token_lifetime = token_lifetime
        self.clock = clock
        self._tokens: dict[str, _Issued] = {}
        self._signin_requests: list[SigninRequest] = []
        self._logins: list[Login] = []

    # -- what tests use ----------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """Return ``http://127.0.0.1:PORT/federation``."""
        return self.base_url + PATH

    def environ(self) -> dict[str, str]:
        """Return the variable that points ``awsenv console`` here."""
        return {"AWSENV_FEDERATION_ENDPOINT": self.endpoint}

    @property
    def signin_requests(self) -> list[SigninRequest]:
        """Return every getSigninToken request (scripted faults included), in order."""
        with self._lock:
            return list(self._signin_requests)

    @property
    def logins(self) -> list[Login]:
        """Return every login that was redirected to its destination, in order."""
        with self._lock:
            return list(self._logins)

    def script(self, operation: str, steps: list[Step]) -> None:
        """Queue faults for ``GetSigninToken`` or ``Login``; each request consumes one step.

        Steps: ``("status", code)`` a plain-text error with that HTTP status;
        ``("raw", status, body, content_type[, headers])`` exactly that (``headers``: more
        ``(name, value)`` pairs); ``("huge_body", n)`` a 200 whose
        JSON body is ``n`` bytes long.
        """
        if operation not in OPERATIONS.values():
            raise ValueError(f"unknown operation {operation!r}")
        super().script(operation, steps)

    # -- plumbing ----------------------------------------------------------------------------

    def _handle(self, handler: QuietHandler) -> None:
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        operation = OPERATIONS.get(query.get("Action", ""), "Unknown")
        if url.path != PATH:
            operation = "Unknown"
        step = self._arrive(operation, handler, url.path, None)
        if step is not None:
            reply = self._fault(step)
            if operation == "GetSigninToken":
                self._record_signin(query, None, reply.status)
            handler.send(reply)
            return
        if url.path != PATH:
            handler.send(_text(404, "Not Found"))
        elif handler.command != "GET":
            handler.send(_text(405, "Method Not Allowed"))
        elif operation == "GetSigninToken":
            handler.send(self._signin_token(query))
        elif operation == "Login":
            handler.send(self._login(query))
        else:
            handler.send(_text(400, "Bad Request: unknown Action"))

    def _fault(self, step: Step) -> Reply:
        kind = step[0]
        if kind == "status":
            return _text(int(step[1]), "scripted failure")
        if kind == "raw":
            status, payload, content_type = step[1], step[2], step[3]
            data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
            extra = tuple(step[4]) if len(step) > 4 else ()
            return Reply(int(status), data, (("Content-Type", str(content_type)), *extra))
        size = int(step[1])
        head, tail = b'{"SigninToken": "', b'"}'
        body = head + b"x" * max(size - len(head) - len(tail), 0) + tail
        return Reply(200, body, (("Content-Type", "application/json"),))

    def _record_signin(self, query: dict[str, str], session_id: str | None, status: int) -> None:
        with self._lock:
            self._signin_requests.append(
                SigninRequest(session_id, query.get("SessionDuration"), status)
            )

    def _session_id(self, query: dict[str, str]) -> str:
        """Return the key id of a well-formed Session of temporary credentials, else refuse."""
        try:
            session = json.loads(query.get("Session", ""))
        except (ValueError, RecursionError):
            raise _Refused("Session is not JSON") from None
        if not isinstance(session, dict):
            raise _Refused("Session is not a JSON object")
        fields = [session.get(k) for k in ("sessionId", "sessionKey", "sessionToken")]
        if not all(isinstance(value, str) and value for value in fields):
            raise _Refused("Session needs sessionId, sessionKey and sessionToken")
        session_id = str(fields[0])
        if not (session_id.startswith("ASIA") or session_id in self.federation_key_ids):
            raise _Refused("the credentials are not temporary credentials")
        duration = query.get("SessionDuration")
        if duration is not None:
            if not duration.isdigit() or not (
                MIN_SESSION_DURATION <= int(duration) <= MAX_SESSION_DURATION
            ):
                raise _Refused("SessionDuration must be 900-43200")
            if session_id in self.federation_key_ids or self.refuse_session_duration:
                raise _Refused("SessionDuration is not allowed with these credentials")
        return session_id

    def _signin_token(self, query: dict[str, str]) -> Reply:
        try:
            session_id = self._session_id(query)
        except _Refused as exc:
            self._record_signin(query, None, 400)
            return _text(400, f"Bad Request: {exc}")
        token = f"{CANARY}{secrets.token_urlsafe(48)}"
        with self._lock:
            self._tokens[token] = _Issued(session_id, self.clock() + self.token_lifetime)
            self._canaries.append(token)
        self._record_signin(query, session_id, 200)
        body = json.dumps({"SigninToken": token}).encode("utf-8")
        return Reply(200, body, (("Content-Type", "application/json"),))

    def _login(self, query: dict[str, str]) -> Reply:
        token = query.get("SigninToken", "")
        page = query.get("Destination", "")
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None or issued.expires_at <= self.clock():
            return _text(400, "Bad Request: the sign-in token is unknown or expired")
        parts = urlsplit(page)
        if parts.scheme != "https" or not parts.hostname:
            return _text(400, "Bad Request: Destination must be an https URL")
        with self._lock:
            self._logins.append(Login(query.get("Issuer"), page, issued.session_id))
            self._authorizations += 1
        return Reply(302, b"", (("Location", page),))
