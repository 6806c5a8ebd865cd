"""The IAM Identity Center portal API: role credentials, accounts and roles, logout."""

from __future__ import annotations

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
    if code is not None:
        return LoginFailed(f"IAM Identity Center answered {code}")
    return exc


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
    portal = client("sso", sess.region, profile=profile)
    try:
        response = portal.get_role_credentials(
            roleName=role_name, accountId=account_id, accessToken=access_token
        )
    except aws_errors() as exc:
        raise _translate(exc, environ, sess) from None
    creds = response["roleCredentials"]
    return Keys(
        creds["accessKeyId"],
        creds["secretAccessKey"],
        creds.get("sessionToken"),
        int(creds["expiration"]) // 1000,
    )


def accounts_and_roles(
    environ: Mapping[str, str], sess: tokens.SsoSession, access_token: str, *, profile: str | None
) -> list[tuple[str, str, str]]:
    """Return (account id, account name, role name) for everything the sign-in may use."""
    portal = client("sso", sess.region, profile=profile)
    found: list[tuple[str, str, str]] = []
    try:
        for page in portal.get_paginator("list_accounts").paginate(accessToken=access_token):
            for account in page.get("accountList", []):
                account_id = account["accountId"]
                name = account.get("accountName") or account_id
                roles = portal.get_paginator("list_account_roles").paginate(
                    accessToken=access_token, accountId=account_id
                )
                for role_page in roles:
                    found.extend(
                        (account_id, name, role["roleName"])
                        for role in role_page.get("roleList", [])
                    )
    except aws_errors() as exc:
        raise _translate(exc, environ, sess) from None
    return found


def logout(
    environ: Mapping[str, str], sess: tokens.SsoSession, access_token: str, *, profile: str | None
) -> bool:
    """End the session at IAM Identity Center; False if it could not be reached (best effort)."""
    del environ
    try:
        client("sso", sess.region, profile=profile).logout(accessToken=access_token)
    except aws_errors():  # logging out locally still goes ahead
        return False
    return True
