"""The IAM Identity Center portal API: role credentials, accounts and roles, logout.

Answers are checked before use (a malformed one is a one-line error naming the portal), and the
access token and the role credentials are registered as secrets for the debug log.
"""

from __future__ import annotations

import time

from awsenv import log, net, timefmt
from awsenv.exports import Keys
from awsenv.sso.oidc import (
    LoginFailed,
    ServiceUnavailable,
    aws_errors,
    client,
    error_code,
    network_error,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any, TypeVar

    from awsenv.sso import tokens

    T = TypeVar("T")


class TokenRejected(LoginFailed):
    """The portal no longer accepts the cached token (signed out or revoked elsewhere)."""


def _endpoint(environ: Mapping[str, str], sess: tokens.SsoSession) -> str:
    return (
        environ.get("AWS_ENDPOINT_URL_SSO")
        or environ.get("AWS_ENDPOINT_URL")
        or f"https://portal.sso.{sess.region}.amazonaws.com"
    )


def _translate(exc: Exception, environ: Mapping[str, str], sess: tokens.SsoSession) -> Exception:
    failure = network_error(exc, _endpoint(environ, sess))
    if failure is not None:
        return failure
    code = error_code(exc)
    if code == "UnauthorizedException":
        return TokenRejected("IAM Identity Center no longer accepts the cached sign-in")
    if code == "ForbiddenException":
        return LoginFailed("this sign-in may not use that account and role (ForbiddenException)")
    host = net.host_of(_endpoint(environ, sess))
    if code is not None:
        return LoginFailed(f"IAM Identity Center at {host} answered {code[:80]}")
    if isinstance(exc, aws_errors()):
        return LoginFailed(
            f"IAM Identity Center at {host} could not be used ({type(exc).__name__})"
        )
    return exc


def _bad(environ: Mapping[str, str], sess: tokens.SsoSession, what: str) -> net.BadResponse:
    return net.BadResponse(
        f"IAM Identity Center at {net.host_of(_endpoint(environ, sess))} answered {what}",
        hint="check AWS_ENDPOINT_URL_SSO / sso_region: is it really IAM Identity Center?",
    )


def role_credentials(
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    access_token: str,
    account_id: str,
    role_name: str,
    *,
    profile: str | None,
) -> Keys:
    """Call GetRoleCredentials; the expiry comes back in milliseconds."""
    log.remember_secret(access_token)
    portal = client("sso", sess.region, profile=profile, environ=environ)
    try:
        response = portal.get_role_credentials(
            roleName=role_name, accountId=account_id, accessToken=access_token
        )
    except aws_errors() as exc:
        raise _translate(exc, environ, sess) from None
    creds = response.get("roleCredentials")
    if not isinstance(creds, dict):
        raise _bad(environ, sess, "GetRoleCredentials without roleCredentials")
    for key in ("secretAccessKey", "sessionToken"):
        log.remember_secret(creds.get(key))
    access_key, secret_key = creds.get("accessKeyId"), creds.get("secretAccessKey")
    session_token, expiration = creds.get("sessionToken"), creds.get("expiration")
    if not (
        isinstance(access_key, str) and access_key and isinstance(secret_key, str) and secret_key
    ):
        raise _bad(environ, sess, "GetRoleCredentials without keys")
    if session_token is not None and not isinstance(session_token, str):
        raise _bad(environ, sess, "GetRoleCredentials with a sessionToken that is not text")
    if expiration is None:
        raise _bad(environ, sess, "GetRoleCredentials without a valid expiration")
    until = timefmt.checked_expiry(expiration, time.time(), unit=1000)
    if until is None:
        raise _bad(
            environ,
            sess,
            "GetRoleCredentials with an expiration no credentials can have "
            "(already past, more than a year away, or not a number)",
        )
    log.debug("role credentials for %s/%s until %s", account_id, role_name, until)
    return Keys(access_key, secret_key, session_token or None, until)


WORKERS = 8  # ListAccountRoles calls in flight at once, at most (botocore pools 10 connections)
PAGE_SIZE = 100  # maxResults: the most the sso model allows a page
THROTTLE_ROUNDS = 4  # a call still throttled after botocore's own tries is made again this often
MAX_PAGES = 10_000  # pages of one list, at most: a portal handing out tokens forever is stopped


class _Stopped(Exception):
    """The listing was given up (another call failed, or Ctrl-C): this thread stops too."""


class _StillThrottled(Exception):
    """A call was throttled through every round: the portal stays busy."""

    def __init__(self, operation: str, tries: int) -> None:
        super().__init__(operation)
        self.operation = operation
        self.tries = tries


class Pace:
    """How fast the workers may call the portal, shared by them: adaptive, as TCP's window.

    Unpaced until the portal first answers 429 (``TooManyRequestsException``); then at most
    0.7 times the rate the calls were starting at, spaced evenly, and 20 % faster for every
    second without another 429. ``before_try`` and ``after_try`` run for every try botocore
    makes (its own retries included), from the ``request-created`` and ``needs-retry`` events.
    """

    CUT = 0.7
    GROWTH = 1.2  # per second without a 429
    FLOOR = 1.0  # calls a second, at least
    SETTLE = 0.5  # seconds between two cuts

    def __init__(self, stop: threading.Event, clock: Callable[[], float] = time.monotonic) -> None:
        import threading

        self._stop = stop
        self._clock = clock
        self._lock = threading.Lock()
        self.rate: float | None = None
        self._next = 0.0
        self._cut_at = float("-inf")
        self._grown_at = 0.0
        self._starts: list[float] = []  # when the tries of the last second started
        self.tries = 0
        self.throttles = 0

    def attach(self, portal: Any) -> None:
        """Pace every try of ``portal``'s calls."""
        portal.meta.events.register("request-created.sso", self.before_try)
        portal.meta.events.register("needs-retry.sso", self.after_try)

    def before_try(self, **kwargs: Any) -> None:
        """Wait for this try's turn (raise _Stopped if the listing is given up meanwhile)."""
        del kwargs
        with self._lock:
            now = self._clock()
            self.tries += 1
            self._starts = [t for t in self._starts if t > now - 1.0]
            self._starts.append(now)
            at = now
            if self.rate is not None:
                at = max(now, self._next)
                self._next = at + 1.0 / self.rate
        if self._stop.wait(at - now) if at > now else self._stop.is_set():
            raise _Stopped

    def after_try(self, response: Any = None, **kwargs: Any) -> None:
        """Slow down on a 429, speed up again on an answer; never decides a retry (None)."""
        del kwargs
        status = getattr(response[0], "status_code", None) if isinstance(response, tuple) else None
        if status is None:
            return
        with self._lock:
            now = self._clock()
            if status == 429:
                self.throttles += 1
                # One cut per half second: the 429s of tries already sent say nothing new.
                if now - self._cut_at >= self.SETTLE:
                    span = min(max(now - self._starts[0], 0.05), 1.0) if self._starts else 1.0
                    seen = min(len(self._starts) / span, self.rate or float("inf"))
                    self.rate = max(self.FLOOR, self.CUT * seen)
                    self._cut_at = self._grown_at = now
                    self._next = max(self._next, now + 1.0 / self.rate)
            elif status < 400 and self.rate is not None:
                self.rate *= self.GROWTH ** min(now - self._grown_at, 1.0)
                self._grown_at = now


def _throttled(exc: BaseException) -> bool:
    return error_code(exc) == "TooManyRequestsException"


def _patient(call: Callable[[str | None], Any], token: str | None, stop: threading.Event) -> Any:
    """Return ``call(token)``; a call still throttled after botocore's tries waits and goes again.

    ``THROTTLE_ROUNDS`` rounds at most, with botocore's jittered backoff between them (at most
    1, 2, 4 s); each round is one botocore call, under net's deadline as every call is.
    """
    tries = 0
    for round_ in range(1, THROTTLE_ROUNDS + 1):
        if stop.is_set():
            raise _Stopped
        try:
            return call(token)
        except aws_errors() as exc:
            if not _throttled(exc):
                raise
            meta = getattr(exc, "response", {}).get("ResponseMetadata", {})
            tries += int(meta.get("RetryAttempts", 0)) + 1
            if round_ == THROTTLE_ROUNDS:
                operation = str(getattr(exc, "operation_name", "") or "the portal")
                raise _StillThrottled(operation, tries) from None
            log.debug("still throttled after round %d; waiting", round_)
        if stop.wait(net.backoff(round_, throttled=True)):
            raise _Stopped
    raise AssertionError("unreachable")  # pragma: no cover


def _pages(
    fetch: Callable[[str | None], dict[str, Any]], key: str, stop: threading.Event
) -> Iterator[list[Any]]:
    """Yield the ``key`` list of each page, following ``nextToken`` (a repeated one ends it)."""
    token: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = _patient(fetch, token, stop)
        items = page.get(key)
        yield items if isinstance(items, list) else []
        following = page.get("nextToken")
        if not isinstance(following, str) or not following or following in seen:
            return
        seen.add(following)
        token = following


def _quiet(done: int, total: int | None) -> None:
    del done, total


def accounts_and_roles(
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    access_token: str,
    *,
    profile: str | None,
    progress: Callable[[int, int | None], None] | None = None,
) -> list[tuple[str, str, str]]:
    """Return (account id, account name, role name) for everything the sign-in may use.

    The accounts are listed page by page, then their roles by ``WORKERS`` threads sharing one
    botocore client (thread-safe) and one :class:`Pace`; a throttled call is retried (bounded)
    and never fails the listing by itself. The result is in the portal's account order, as a
    sequential listing gives it. ``progress(done, total)`` is called from this thread only:
    ``total`` None while accounts are still being listed, then once per account whose roles
    are in.
    """
    import threading

    log.remember_secret(access_token)
    portal = client("sso", sess.region, profile=profile, environ=environ)
    stop = threading.Event()
    pace = Pace(stop)
    pace.attach(portal)
    report = progress or _quiet
    try:
        accounts = _accounts(portal, environ, sess, access_token, stop, report)
        report(0, len(accounts))
        roles = _roles(portal, access_token, [a for a, _ in accounts], stop, report)
    except aws_errors() as exc:
        raise _translate(exc, environ, sess) from None
    except _StillThrottled as exc:
        host = net.host_of(_endpoint(environ, sess))
        raise ServiceUnavailable(
            f"IAM Identity Center at {host} kept answering {exc.operation} with "
            f"TooManyRequestsException ({exc.tries} tries, {pace.throttles} throttled in all)",
            hint="the portal is busy (other tools may be calling it too); try again in a minute",
        ) from None
    finally:
        stop.set()
    log.debug(
        "listed %d accounts in %d tries, %d throttled", len(accounts), pace.tries, pace.throttles
    )
    return [(account_id, name, role) for account_id, name in accounts for role in roles[account_id]]


def accounts(
    environ: Mapping[str, str], sess: tokens.SsoSession, access_token: str
) -> list[tuple[str, str]]:
    """Return (account id, account name) of every account the sign-in may use (ListAccounts)."""
    return _listing(
        environ,
        sess,
        access_token,
        lambda portal, stop: _accounts(portal, environ, sess, access_token, stop, _quiet),
    )


def account_roles(
    environ: Mapping[str, str], sess: tokens.SsoSession, access_token: str, account_id: str
) -> list[str]:
    """Return the role names the sign-in may use in one account (ListAccountRoles)."""
    return _listing(
        environ,
        sess,
        access_token,
        lambda portal, stop: _roles(portal, access_token, [account_id], stop, _quiet)[account_id],
    )


def _listing(
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    access_token: str,
    call: Callable[[Any, threading.Event], T],
) -> T:
    """Run ``call(portal client, stop)`` paced, with portal errors made into awsenv's."""
    import threading

    log.remember_secret(access_token)
    portal = client("sso", sess.region, profile=None, environ=environ)
    stop = threading.Event()
    pace = Pace(stop)
    pace.attach(portal)
    try:
        return call(portal, stop)
    except aws_errors() as exc:
        raise _translate(exc, environ, sess) from None
    except _StillThrottled as exc:
        host = net.host_of(_endpoint(environ, sess))
        raise ServiceUnavailable(
            f"IAM Identity Center at {host} kept answering {exc.operation} with "
            f"TooManyRequestsException ({exc.tries} tries)",
            hint="the portal is busy (other tools may be calling it too); try again in a minute",
        ) from None
    finally:
        stop.set()


def _accounts(
    portal: Any,
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    access_token: str,
    stop: threading.Event,
    report: Callable[[int, int | None], None],
) -> list[tuple[str, str]]:
    """Return (account id, name) of every account, in the portal's order, without repeats."""

    def fetch(token: str | None) -> dict[str, Any]:
        extra = {"nextToken": token} if token else {}
        answer: dict[str, Any] = portal.list_accounts(
            accessToken=access_token, maxResults=PAGE_SIZE, **extra
        )
        return answer

    accounts: dict[str, str] = {}
    for items in _pages(fetch, "accountList", stop):
        for account in items:
            account_id = account.get("accountId") if isinstance(account, dict) else None
            if not isinstance(account_id, str) or not account_id:
                raise _bad(environ, sess, "ListAccounts with an account without accountId")
            accounts.setdefault(account_id, str(account.get("accountName") or account_id))
        report(len(accounts), None)
    return list(accounts.items())


def _roles(
    portal: Any,
    access_token: str,
    account_ids: list[str],
    stop: threading.Event,
    report: Callable[[int, int | None], None],
) -> dict[str, list[str]]:
    """Return account id → its role names (portal order), listed by ``WORKERS`` threads."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    def one(account_id: str) -> list[str]:
        def fetch(token: str | None) -> dict[str, Any]:
            extra = {"nextToken": token} if token else {}
            answer: dict[str, Any] = portal.list_account_roles(
                accessToken=access_token, accountId=account_id, maxResults=PAGE_SIZE, **extra
            )
            return answer

        names: list[str] = []
        for items in _pages(fetch, "roleList", stop):
            names.extend(
                role["roleName"]
                for role in items
                if isinstance(role, dict) and isinstance(role.get("roleName"), str)
            )
        return names

    roles: dict[str, list[str]] = {}
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="awsenv-roles")
    try:
        pending = {pool.submit(one, account_id): account_id for account_id in account_ids}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                roles[pending.pop(future)] = future.result()  # the first failure ends it all
            report(len(roles), len(account_ids))
    finally:
        stop.set()  # the threads still waiting give up; none starts another call
        pool.shutdown(wait=False, cancel_futures=True)
    return roles


def logout(
    environ: Mapping[str, str], sess: tokens.SsoSession, access_token: str, *, profile: str | None
) -> bool:
    """End the session at IAM Identity Center; False if it could not be reached (best effort)."""
    log.remember_secret(access_token)
    try:
        client("sso", sess.region, profile=profile, environ=environ).logout(
            accessToken=access_token
        )
    except aws_errors():  # logging out locally still goes ahead
        return False
    return True
