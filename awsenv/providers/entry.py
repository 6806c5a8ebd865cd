"""The one codec for cached credentials: ``{"ProviderType": ..., "Credentials": {...}}``.

botocore's assumed-role cache, its SSO role-credential cache (both in ``~/.aws/cli/cache``) and
awsenv's own SAML/Okta cache hold the same shape; every reader and writer goes through here, and
so does the one reuse window (botocore ``CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS``:
an entry with less than 15 minutes left is fetched again).

Cheap to import: nothing beyond awsenv's own small modules loads at import time.
"""

from __future__ import annotations

import time

from awsenv import cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from awsenv.exports import Keys

REUSE_WINDOW = 15 * 60


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def keys_from_entry(data: object) -> Keys | None:
    """Return the Keys in a cache entry, or None if botocore could not load it.

    Usable means ``Credentials`` with non-empty ``AccessKeyId``, ``SecretAccessKey`` and
    ``SessionToken`` and a parseable ``Expiration`` (``…Z`` or ``…UTC``; expired or not).
    """
    if not isinstance(data, dict):
        return None
    credentials = data.get("Credentials")
    if not isinstance(credentials, dict):
        return None
    access_key_id = _text(credentials.get("AccessKeyId"))
    secret_access_key = _text(credentials.get("SecretAccessKey"))
    session_token = _text(credentials.get("SessionToken"))
    if access_key_id is None or secret_access_key is None or session_token is None:
        return None
    from awsenv import timefmt

    expiration = timefmt.parse_timestamp(credentials.get("Expiration"))
    if expiration is None:
        return None
    from awsenv.exports import Keys

    return Keys(access_key_id, secret_access_key, session_token, expiration)


def reusable(expiration: int | None, now: float | None = None) -> bool:
    """Return True if credentials ending at ``expiration`` have the reuse window left."""
    current = time.time() if now is None else now
    return expiration is not None and expiration - current >= REUSE_WINDOW


def load(path: str, *, now: float | None = None) -> Keys | None:
    """Return the entry's keys while the reuse window remains, else None (missing, torn, old)."""
    keys = keys_from_entry(cache.read_json(path))
    if keys is None or not reusable(keys.expiration, now):
        return None
    return keys


def entry(keys: Keys, provider_type: str, *, account_id: str | None = None) -> dict[str, object]:
    """Return the cache entry for keys (``Expiration`` as ``…Z``, as the AWS CLI writes SSO's)."""
    from awsenv import timefmt

    if keys.expiration is None or keys.session_token is None:
        raise ValueError("cached credentials have a session token and an expiration")
    credentials: dict[str, object] = {
        "AccessKeyId": keys.access_key_id,
        "SecretAccessKey": keys.secret_access_key,
        "SessionToken": keys.session_token,
        "Expiration": timefmt.format_z(keys.expiration),
    }
    if account_id is not None:
        credentials["AccountId"] = account_id
    return {"ProviderType": provider_type, "Credentials": credentials}


def save(path: str, keys: Keys, provider_type: str, *, account_id: str | None = None) -> None:
    """Write the entry atomically, 0600 in a 0700 directory."""
    cache.write_json(path, entry(keys, provider_type, account_id=account_id))


def fetch_once(
    environ: Mapping[str, str],
    lock: str,
    load: Callable[[], Keys | None],
    fetch: Callable[[], Keys],
    *,
    timeout: float = 120.0,
) -> Keys:
    """Return ``load()`` if it has keys, else ``fetch()``: one call for every process at once.

    The sign-in's rule (``sso/login.py``) for every credential call: a process that finds
    nothing cached takes the machine-wide lock ``lock`` (``cache.lock_path``), looks again, and
    only then calls; ``fetch`` saves what it got where ``load`` reads. So N shells asking for
    one role together make one GetRoleCredentials or AssumeRole, and the rest read its entry.
    ``timeout`` is how long a waiter waits (``AWSENV_LOCK_TIMEOUT`` replaces it): longer than
    ``fetch`` may take, which for an SSO role includes a sign-in.
    """
    keys = load()
    if keys is not None:
        return keys
    with cache.FileLock(cache.lock_path(environ, lock), timeout=timeout):
        keys = load()  # the holder before us may have saved it
        if keys is not None:
            return keys
        return fetch()
