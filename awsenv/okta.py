"""Okta sign-in as okta-aws-cli's ``web`` flow does it: device code, web SSO token, SAML response.

The steps (okta-aws-cli's ``internal/webssoauth``): OIDC device authorization against the org,
polling the token endpoint, a token exchange for a web SSO token for the AWS Account Federation
app, then ``POST /login/token/sso`` whose HTML form holds the base64 ``SAMLResponse``. Every
request goes through ``awsenv.net.request`` (no redirects, one deadline per try from
``AWSENV_HTTP_TIMEOUT``, at most 3 tries with backoff after network failures, 5xx and 429, a
1 MiB cap on every answer, one debug line per request and never a body). What the user sees is
injected (``LoginUI``): this module never prints. No token ever goes into an error message; the
Okta tokens are cached (0600) per org and OIDC client, so every Okta profile of the same org
shares one sign-in while it lasts.
"""

from __future__ import annotations

import json
import os
import time
from urllib.parse import urlencode, urlsplit

from awsenv import cache, log, net, paths
from awsenv.errors import AwsenvError, InvalidProfile
from awsenv.profiles import normalize_domain as normalize_domain
from awsenv.profiles import org_base_url as org_base_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from awsenv.ui import LoginUI

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
WEB_SSO_TOKEN_TYPE = "urn:okta:oauth:token-type:web_sso_token"
APP_AUDIENCE_PREFIX = "urn:okta:apps:"
# okta-aws-cli's scopes, plus offline_access so the org may hand out a refresh token.
DEFAULT_SCOPE = "openid offline_access okta.apps.sso okta.apps.read okta.users.read.self"
MAX_RESPONSE_BYTES = net.MAX_RESPONSE_BYTES
TIMEOUT = net.DEFAULT_TIMEOUT  # the budget of one request, retries included (see awsenv.net)
MAX_DEVICE_EXPIRY = 3600  # a longer expires_in is taken as an hour
# A cached access token with less than this left is refreshed (or replaced) before use.
REFRESH_WINDOW = 120
# Tokens whose refresh cannot reach the org are still used if at least this much of them is left.
USABLE_MARGIN = 60
SLOW_DOWN_STEP = 5  # RFC 8628 §3.5: add 5 seconds to the interval on slow_down
USER_AGENT = "awsenv (okta-aws-cli web flow)"
OPERATION_HEADER = ("X-Okta-Aws-Cli-Operation", "web")


class OktaError(AwsenvError):
    """Okta refused or could not complete a step (the message never holds a token)."""


class OktaDenied(OktaError):
    """The user (or the org's policy) denied the device authorization."""


class OktaExpired(OktaError):
    """The device code expired before the user approved it."""


class OktaUnreachable(OktaError):
    """The org could not be reached (DNS, refused, timeout, TLS) or kept failing (5xx, 429)."""


# --- settings ------------------------------------------------------------------------------------


# --- HTTP ----------------------------------------------------------------------------------------


def _request(
    base_url: str,
    path: str,
    *,
    form: Mapping[str, str] | None = None,
    bearer: str | None = None,
    accept: str = "application/json",
    timeout: float = TIMEOUT,
) -> net.Answer:
    """Send a request to the org through ``net.request``; any HTTP status is returned.

    ``timeout`` is the budget of the whole call, retries included (see ``awsenv.net``).
    Network failures raise OktaUnreachable, answers over the cap OktaError.
    """
    headers = {"User-Agent": USER_AGENT, "Accept": accept, OPERATION_HEADER[0]: OPERATION_HEADER[1]}
    data = None
    if form is not None:
        data = urlencode(form).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    try:
        return net.request(
            base_url + path,
            method="POST" if form is not None else "GET",
            data=data,
            headers=headers,
            budget=timeout,
        )
    except net.ResponseTooLarge:
        raise OktaError(
            f"Okta at {base_url} sent an answer larger than {MAX_RESPONSE_BYTES} bytes",
            hint="check okta_org_domain / okta_org_url: is it really the Okta org?",
        ) from None
    except net.NoAnswer as exc:
        raise OktaUnreachable(
            f"cannot reach Okta at {base_url}: {exc.reason}",
            hint="check the network and okta_org_domain / okta_org_url, then try again",
        ) from None


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _scrub(text: str, hidden: tuple[str, ...]) -> str:
    for secret in hidden:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def _error_of(answer: net.Answer) -> tuple[str | None, str]:
    """Return (OAuth/Okta error code, description) from an error answer, if it has them."""
    payload = answer.json()
    if isinstance(payload, dict):
        if isinstance(payload.get("error"), str):
            return payload["error"], str(payload.get("error_description") or "")
        if isinstance(payload.get("errorCode"), str):
            return payload["errorCode"], str(payload.get("errorSummary") or "")
    return None, ""


def _failure(what: str, base_url: str, answer: net.Answer, hidden: tuple[str, ...]) -> OktaError:
    """One line for an unexpected answer: status, error code, a scrubbed description."""
    code, description = _error_of(answer)
    detail = f"HTTP {answer.status}"
    if code:
        detail += f", {_one_line(_scrub(log.redact(code), hidden), 60)}"
        if description:
            detail += f": {_one_line(_scrub(log.redact(description), hidden))}"
    if answer.status >= 500 or answer.status == 429:
        times = f"{answer.attempts} time{'s' if answer.attempts != 1 else ''}"
        return OktaUnreachable(
            f"Okta at {base_url} failed {what} ({detail}) {times}",
            hint="the org may be busy or down; try again in a minute",
        )
    return OktaError(f"Okta at {base_url} refused {what} ({detail})")


def _json_object(what: str, base_url: str, answer: net.Answer) -> dict[str, Any]:
    payload = answer.json()
    if not isinstance(payload, dict):
        raise OktaError(
            f"Okta at {base_url} answered {what} with something that is not a JSON object",
            hint="check okta_org_domain / okta_org_url: is it really the Okta org?",
        )
    return payload


def _string(payload: Mapping[str, Any], key: str, what: str, base_url: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise OktaError(f"Okta at {base_url} answered {what} without {key}")
    return value


def _number(payload: Mapping[str, Any], key: str, default: int) -> int:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


# --- tokens --------------------------------------------------------------------------------------


class OktaTokens:
    """The org's OIDC tokens for one client: what the token cache holds."""

    __slots__ = (
        "access_token",
        "device_secret",
        "expires_at",
        "id_token",
        "refresh_token",
        "scope",
    )

    def __init__(
        self,
        *,
        access_token: str,
        id_token: str | None,
        expires_at: int,
        refresh_token: str | None = None,
        device_secret: str | None = None,
        scope: str = "",
    ) -> None:
        self.access_token = access_token
        self.id_token = id_token
        self.expires_at = expires_at
        self.refresh_token = refresh_token
        self.device_secret = device_secret
        self.scope = scope

    def __repr__(self) -> str:
        def shown(value: str | None) -> str:
            return "<set>" if value else "None"

        return (
            f"OktaTokens(access_token=<set>, id_token={shown(self.id_token)}, "
            f"refresh_token={shown(self.refresh_token)}, expires_at={self.expires_at})"
        )

    def valid(self, now: float | None = None, *, margin: float = REFRESH_WINDOW) -> bool:
        """Whether the tokens can be exchanged as they are (id token present, time left)."""
        moment = time.time() if now is None else now
        return bool(self.access_token and self.id_token) and self.expires_at - moment > margin

    @property
    def refreshable(self) -> bool:
        """Whether a refresh token was issued."""
        return bool(self.refresh_token)

    def to_json(self) -> dict[str, object]:
        """Return the cache file's fields."""
        data: dict[str, object] = {
            "access_token": self.access_token,
            "id_token": self.id_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
        }
        if self.device_secret:
            data["device_secret"] = self.device_secret
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> OktaTokens | None:
        """Build tokens from a cache file's object; None if it is not one of ours."""
        access = data.get("access_token")
        expires = data.get("expires_at")
        if not isinstance(access, str) or not access:
            return None
        if isinstance(expires, bool) or not isinstance(expires, int):
            return None

        def optional(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        scope = data.get("scope")
        return cls(
            access_token=access,
            id_token=optional("id_token"),
            expires_at=expires,
            refresh_token=optional("refresh_token"),
            device_secret=optional("device_secret"),
            scope=scope if isinstance(scope, str) else "",
        )

    @classmethod
    def from_response(
        cls, payload: Mapping[str, Any], base_url: str, *, now: float | None = None
    ) -> OktaTokens:
        """Build tokens from a token endpoint answer (``expires_in`` made absolute)."""
        moment = time.time() if now is None else now

        def optional(key: str) -> str | None:
            value = payload.get(key)
            return value if isinstance(value, str) and value else None

        scope = payload.get("scope")
        for key in ("access_token", "id_token", "refresh_token", "device_secret"):
            log.remember_secret(payload.get(key))
        return cls(
            access_token=_string(payload, "access_token", "the token request", base_url),
            id_token=optional("id_token"),
            expires_at=int(moment) + _number(payload, "expires_in", 3600),
            refresh_token=optional("refresh_token"),
            device_secret=optional("device_secret"),
            scope=scope if isinstance(scope, str) else "",
        )

    def secrets(self) -> tuple[str, ...]:
        """Return every token value (to scrub from messages)."""
        values = (
            self.access_token,
            self.id_token,
            self.refresh_token,
            self.device_secret,
        )
        return tuple(v for v in values if v)


def okta_token_cache_path(environ: Mapping[str, str], org_url: str, client_id: str) -> str:
    """Return ``<awsenv cache dir>/okta/<sha1 of org URL and client id>.json``."""
    key = json.dumps([org_url.rstrip("/"), client_id])
    return os.path.join(paths.cache_dir(environ), "okta", cache.sha1_hex(key) + ".json")


def load_tokens(environ: Mapping[str, str], org_url: str, client_id: str) -> OktaTokens | None:
    """Return the cached tokens for this org and client, or None (missing, torn, foreign)."""
    data = cache.read_json(okta_token_cache_path(environ, org_url, client_id))
    return None if data is None else OktaTokens.from_json(data)


def save_tokens(
    environ: Mapping[str, str], org_url: str, client_id: str, tokens: OktaTokens
) -> None:
    """Write the tokens to the cache (0600, atomic replace)."""
    cache.write_json(okta_token_cache_path(environ, org_url, client_id), tokens.to_json())


def forget_tokens(environ: Mapping[str, str], org_url: str, client_id: str) -> bool:
    """Delete the cached tokens; False if there were none."""
    return cache.remove(okta_token_cache_path(environ, org_url, client_id))


# --- the flow ------------------------------------------------------------------------------------


class DeviceAuthorization:
    """What ``/oauth2/v1/device/authorize`` answered (the device code is a secret)."""

    __slots__ = (
        "device_code",
        "expires_in",
        "interval",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
    )

    def __init__(
        self,
        *,
        device_code: str,
        user_code: str,
        verification_uri: str,
        verification_uri_complete: str,
        expires_in: int,
        interval: int,
    ) -> None:
        self.device_code = device_code
        self.user_code = user_code
        self.verification_uri = verification_uri
        self.verification_uri_complete = verification_uri_complete
        self.expires_in = expires_in
        self.interval = interval

    def __repr__(self) -> str:
        return (
            f"DeviceAuthorization(user_code={self.user_code!r}, "
            f"verification_uri={self.verification_uri!r}, expires_in={self.expires_in}, "
            f"interval={self.interval})"
        )


def device_authorize(
    base_url: str, client_id: str, *, scope: str = DEFAULT_SCOPE, timeout: float = TIMEOUT
) -> DeviceAuthorization:
    """Start the OIDC device authorization (step 1 of §8.1)."""
    what = "the device authorization"
    answer = _request(
        base_url,
        "/oauth2/v1/device/authorize",
        form={"client_id": client_id, "scope": scope},
        timeout=timeout,
    )
    if answer.status != 200:
        error = _failure(what, base_url, answer, ())
        if answer.status in (400, 401):
            error.hint = (
                "check okta_oidc_client_id: it must be an OIDC native app with the "
                "Device Authorization grant"
            )
        raise error
    if "json" not in answer.content_type.lower():
        raise OktaError(
            f"Okta at {base_url} answered {what} with {answer.content_type or 'no content type'}",
            hint="check okta_org_domain / okta_org_url: is it really the Okta org?",
        )
    payload = _json_object(what, base_url, answer)
    device_code = _string(payload, "device_code", what, base_url)
    log.remember_secret(device_code)
    user_code = _one_line(_string(payload, "user_code", what, base_url), 40)
    uri = _string(payload, "verification_uri", what, base_url)
    complete = payload.get("verification_uri_complete")
    complete = complete if isinstance(complete, str) and complete else uri
    for url in (uri, complete):
        _check_page(url, base_url)
    return DeviceAuthorization(
        device_code=device_code,
        user_code=user_code,
        verification_uri=uri,
        verification_uri_complete=complete,
        expires_in=min(max(_number(payload, "expires_in", 600), 1), MAX_DEVICE_EXPIRY),
        interval=min(max(_number(payload, "interval", 5), 1), 300),
    )


def _check_page(url: str, base_url: str) -> str:
    """Refuse a sign-in page that is not on the org's own host (https; http only on loopback)."""
    org = urlsplit(base_url).netloc
    return net.check_sign_in_url(url, service="Okta", server=base_url, hosts=(org,))


def poll_token(
    base_url: str,
    client_id: str,
    device: DeviceAuthorization,
    *,
    ui: LoginUI,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    timeout: float = TIMEOUT,
) -> OktaTokens:
    """Poll the token endpoint until the user approves (step 3 of §8.1); return the tokens.

    Polls every ``interval`` seconds (the org's, not okta-aws-cli's fixed 2 s), 5 s slower after
    each ``slow_down``; gives up when the device code expires. ``ui.tick`` is called before every
    wait and ``ui.done`` at the end, success or not.
    """
    interval = float(device.interval)
    deadline = clock() + device.expires_in
    log.remember_secret(device.device_code)
    form = {"client_id": client_id, "device_code": device.device_code, "grant_type": DEVICE_GRANT}
    hidden = (device.device_code,)
    try:
        while True:
            left = deadline - clock()
            if left <= 0:
                raise _expired(device)
            ui.tick("waiting for you to approve the sign-in in the browser", left)
            sleep(min(interval, left))
            answer = _request(base_url, "/oauth2/v1/token", form=form, timeout=timeout)
            if answer.status == 200:
                payload = _json_object("the token request", base_url, answer)
                return OktaTokens.from_response(payload, base_url)
            code, _ = _error_of(answer)
            if answer.status == 400 and code == "authorization_pending":
                continue
            if answer.status == 400 and code == "slow_down":
                interval += SLOW_DOWN_STEP
                continue
            if code == "access_denied":
                raise OktaDenied(
                    "Okta denied the sign-in (access_denied)",
                    hint="approve the request in the browser; if you did, ask your Okta admin "
                    "whether you are assigned to the AWS app",
                )
            if code == "expired_token":
                raise _expired(device)
            raise _failure("the token request", base_url, answer, hidden)
    finally:
        ui.done()


def _expired(device: DeviceAuthorization) -> OktaExpired:
    minutes = max(device.expires_in // 60, 1)
    return OktaExpired(
        "the Okta device code expired before the sign-in was approved",
        hint=f"run the command again and approve the sign-in within {minutes} min",
    )


def device_login(
    base_url: str,
    client_id: str,
    *,
    ui: LoginUI,
    scope: str = DEFAULT_SCOPE,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    timeout: float = TIMEOUT,
) -> OktaTokens:
    """Sign in with a device code: authorize, show the URL (``ui.open_url``), poll."""
    device = device_authorize(base_url, client_id, scope=scope, timeout=timeout)
    ui.open_url(device.verification_uri_complete, user_code=device.user_code)
    return poll_token(base_url, client_id, device, ui=ui, sleep=sleep, clock=clock, timeout=timeout)


def refresh(
    base_url: str,
    client_id: str,
    tokens: OktaTokens,
    *,
    timeout: float = TIMEOUT,
) -> OktaTokens:
    """Use the refresh token for new tokens; the old refresh/id token stays if none came back."""
    if not tokens.refresh_token:
        raise OktaError("the cached Okta sign-in has no refresh token")
    for secret in tokens.secrets():
        log.remember_secret(secret)
    form = {
        "client_id": client_id,
        "grant_type": REFRESH_GRANT,
        "refresh_token": tokens.refresh_token,
    }
    if tokens.scope:
        form["scope"] = tokens.scope
    answer = _request(base_url, "/oauth2/v1/token", form=form, timeout=timeout)
    if answer.status != 200:
        raise _failure("the refresh of the sign-in", base_url, answer, tokens.secrets())
    fresh = OktaTokens.from_response(_json_object("the refresh", base_url, answer), base_url)
    fresh.refresh_token = fresh.refresh_token or tokens.refresh_token
    fresh.id_token = fresh.id_token or tokens.id_token
    fresh.device_secret = fresh.device_secret or tokens.device_secret
    fresh.scope = fresh.scope or tokens.scope
    return fresh


def exchange_for_web_sso(
    base_url: str,
    client_id: str,
    tokens: OktaTokens,
    app_id: str,
    *,
    timeout: float = TIMEOUT,
) -> str:
    """Exchange the tokens for a web SSO token for the AWS Federation app (step 5 of §8.1)."""
    if not tokens.id_token:
        raise OktaError("the Okta sign-in has no id token (was the openid scope granted?)")
    for secret in tokens.secrets():
        log.remember_secret(secret)
    form = {
        "client_id": client_id,
        "actor_token": tokens.access_token,
        "actor_token_type": ACCESS_TOKEN_TYPE,
        "subject_token": tokens.id_token,
        "subject_token_type": ID_TOKEN_TYPE,
        "grant_type": EXCHANGE_GRANT,
        "requested_token_type": WEB_SSO_TOKEN_TYPE,
        "audience": APP_AUDIENCE_PREFIX + app_id,
    }
    what = f"the web SSO token for app {app_id}"
    answer = _request(base_url, "/oauth2/v1/token", form=form, timeout=timeout)
    if answer.status != 200:
        error = _failure(what, base_url, answer, tokens.secrets())
        error.hint = (
            "check okta_aws_acct_fed_app_id, and that the AWS app allows this OIDC app "
            "as a web SSO client"
        )
        raise error
    payload = _json_object(what, base_url, answer)
    log.remember_secret(payload.get("access_token"))
    return _string(payload, "access_token", what, base_url)


def fetch_saml(base_url: str, web_sso_token: str, *, timeout: float = TIMEOUT) -> str:
    """``POST /login/token/sso`` and return the base64 ``SAMLResponse`` of its form (step 6)."""
    what = "the SAML request"
    log.remember_secret(web_sso_token)
    answer = _request(
        base_url,
        "/login/token/sso",
        form={"token": web_sso_token},
        accept="text/html",
        timeout=timeout,
    )
    if answer.status != 200:
        raise _failure(what, base_url, answer, (web_sso_token,))
    value = find_saml_response(answer.body.decode("utf-8", "replace"))
    if not value:
        raise OktaError(
            f"Okta at {base_url} sent no SAMLResponse for the AWS app",
            hint="check that you are assigned to the AWS Account Federation app",
        )
    import base64
    import binascii

    compact = "".join(value.split())
    log.remember_secret(compact)
    log.remember_secret(value)
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise OktaError(f"Okta at {base_url} sent a SAMLResponse that is not base64") from None
    return compact


def find_saml_response(page: str) -> str | None:
    """Return the (unescaped) value of the first ``<input name="SAMLResponse">`` in ``page``."""
    from html.parser import HTMLParser

    class _Finder(HTMLParser):
        found: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if self.found is not None or tag != "input":
                return
            values = dict(attrs)
            if values.get("name") == "SAMLResponse":
                self.found = values.get("value") or ""

        handle_startendtag = handle_starttag

    finder = _Finder()
    finder.feed(page)
    finder.close()
    return finder.found


# --- sign-in with the cache ----------------------------------------------------------------------


def ensure_tokens(
    environ: Mapping[str, str],
    base_url: str,
    client_id: str,
    *,
    ui: LoginUI,
    force: bool = False,
    lock_timeout: float = 660.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[OktaTokens, bool]:
    """Return usable tokens (cached, refreshed, or from a device sign-in) and whether one ran.

    Concurrent callers for the same org and client share one sign-in: the first takes a lock and
    signs in; the others wait, then find its tokens in the cache.
    """
    if not force:
        cached = load_tokens(environ, base_url, client_id)
        if cached is not None and cached.valid():
            return cached, False
    path = okta_token_cache_path(environ, base_url, client_id)
    name = "okta-" + os.path.basename(path).rsplit(".", 1)[0]
    waited: list[bool] = []

    def on_wait() -> None:
        waited.append(True)
        ui.tick("another awsenv is signing in to this Okta org; waiting for it", lock_timeout)

    lock = cache.lock_path(environ, name)
    budget = net.timeout_budget(environ)
    try:
        with cache.FileLock(lock, timeout=lock_timeout, on_wait=on_wait):
            cached = load_tokens(environ, base_url, client_id)
            if cached is not None and (not force or waited):
                if cached.valid():
                    return cached, False
                if cached.refreshable:
                    try:
                        fresh = refresh(base_url, client_id, cached, timeout=budget)
                    except OktaUnreachable as exc:
                        # Unreachable or failing: use the tokens while they last rather than
                        # send the user to a sign-in that needs the same org.
                        if cached.valid(margin=USABLE_MARGIN):
                            ui.notice(f"{exc.message}; using the cached Okta sign-in meanwhile")
                            return cached, False
                        raise
                    except OktaError:
                        fresh = None  # refused (revoked, rotated, disabled): sign in again
                    if fresh is not None and fresh.valid():
                        save_tokens(environ, base_url, client_id, fresh)
                        return fresh, True
            tokens = device_login(
                base_url, client_id, ui=ui, sleep=sleep, clock=clock, timeout=budget
            )
            save_tokens(environ, base_url, client_id, tokens)
            return tokens, True
    finally:
        ui.done()


def saml_assertion(
    environ: Mapping[str, str],
    settings: Mapping[str, str],
    *,
    profile: str,
    ui: LoginUI,
    force: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Run the whole flow for an Okta profile and return the base64 SAMLResponse.

    Cached tokens the org no longer accepts (revoked, logged out) are dropped and the user signs
    in once more.
    """
    base_url = org_base_url(settings, profile=profile)
    client_id = settings.get("okta_oidc_client_id", "").strip()
    app_id = settings.get("okta_aws_acct_fed_app_id", "").strip()
    for key, value in (("okta_oidc_client_id", client_id), ("okta_aws_acct_fed_app_id", app_id)):
        if not value:
            raise InvalidProfile(profile, f"has no {key}", hint="okta-aws-cli's settings name it")
    budget = net.timeout_budget(environ)
    tokens, fresh = ensure_tokens(
        environ, base_url, client_id, ui=ui, force=force, sleep=sleep, clock=clock
    )
    try:
        web_sso = exchange_for_web_sso(base_url, client_id, tokens, app_id, timeout=budget)
    except OktaUnreachable:
        raise
    except OktaError:
        if fresh:
            raise
        forget_tokens(environ, base_url, client_id)
        tokens, _ = ensure_tokens(
            environ, base_url, client_id, ui=ui, force=True, sleep=sleep, clock=clock
        )
        web_sso = exchange_for_web_sso(base_url, client_id, tokens, app_id, timeout=budget)
    return fetch_saml(base_url, web_sso, timeout=budget)
