"""PROVISIONAL: replaced by the mfa branch at merge.

A minimal STS GetSessionToken session of a root profile's long-lived keys, uncached, so the
keychain branch can be tested on its own. The mfa branch's module (cached MFA sessions) takes
its place; only :func:`session_keys` and its signature are relied on.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys
    from awsenv.providers import Context


def session_keys(
    files: ConfigFiles,
    root: str,
    ctx: Context,
    *,
    serial: str | None,
    duration: int | None = None,
) -> Keys:
    """Return a GetSessionToken session signed with root profile ``root``'s long-lived keys."""
    from awsenv import profiles, providers
    from awsenv.exports import Keys
    from awsenv.providers import MfaRequired, mfa, role

    section = files.profile(root) or {}
    long_lived = providers.long_lived(files, root, profiles.classify(section))
    params: dict[str, object] = {}
    if duration is not None:
        params["DurationSeconds"] = int(duration)
    if serial is not None:
        code = ctx.mfa_code
        if code is None:
            if not mfa.have_tty():
                raise MfaRequired(serial, root)
            code = mfa.tty_prompt(serial)
        params["SerialNumber"] = serial
        params["TokenCode"] = code
    env = ctx.environ
    trace = role.Trace(root, None)
    with role.Swap(env):
        try:
            client = role.sts_client(
                env,
                root if files.profile(root) is not None else None,
                long_lived,
                trace,
                region=lambda s: role.sts_region(s, env, ctx.region) or "us-east-1",
            )
            answer = client.get_session_token(**params)
        except Exception as exc:
            mapped = role.map_error(exc, env, trace)
            if mapped is None:
                raise
            raise mapped from None
    creds = answer["Credentials"]
    expiration = creds.get("Expiration")
    stamp = getattr(expiration, "timestamp", None)
    return Keys(
        str(creds["AccessKeyId"]),
        str(creds["SecretAccessKey"]),
        str(creds["SessionToken"]),
        int(stamp()) if stamp is not None else None,
    )
