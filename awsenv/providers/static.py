"""Static keys written in a profile (``aws_access_key_id`` and friends)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys


def obtain(files: ConfigFiles, name: str) -> Keys:
    """Return the static keys written in the profile (read from the files, never the index)."""
    from awsenv.exports import Keys

    secret = files.secret_profile(name) or {}
    # botocore checks aws_security_token before aws_session_token
    token = secret.get("aws_security_token") or secret.get("aws_session_token")
    return Keys(
        str(secret.get("aws_access_key_id", "")),
        str(secret.get("aws_secret_access_key", "")),
        token if isinstance(token, str) else None,
    )
