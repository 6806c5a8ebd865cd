"""The IAM Identity Center portal API: role credentials, accounts and roles, logout.

Answers are checked before use (a malformed one is a one-line error naming the portal), and the
access token and the role credentials are registered as secrets for the debug log.
"""

from __future__ import annotations

import time

from awsenv import log, net, timefmt
from awsenv.exports import Keys
from awsenv.sso.oidc import LoginFailed, aws_errors, client, error_code, network_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.sso import tokens


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


def accounts_and_roles(
    environ: Mapping[str, str], sess: tokens.SsoSession, access_token: str, *, profile: str | None
) -> list[tuple[str, str, str]]:
    """Return (account id, account name, role name) for everything the sign-in may use."""
    log.remember_secret(access_token)
    portal = client("sso", sess.region, profile=profile, environ=environ)
    found: list[tuple[str, str, str]] = []
    try:
        for page in portal.get_paginator("list_accounts").paginate(accessToken=access_token):
            for account in page.get("accountList", []):
                account_id = account.get("accountId") if isinstance(account, dict) else None
                if not isinstance(account_id, str) or not account_id:
                    raise _bad(environ, sess, "ListAccounts with an account without accountId")
                name = account.get("accountName") or account_id
                roles = portal.get_paginator("list_account_roles").paginate(
                    accessToken=access_token, accountId=account_id
                )
                for role_page in roles:
                    found.extend(
                        (account_id, name, role["roleName"])
                        for role in role_page.get("roleList", [])
                        if isinstance(role, dict) and isinstance(role.get("roleName"), str)
                    )
    except aws_errors() as exc:
        raise _translate(exc, environ, sess) from None
    return found


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
