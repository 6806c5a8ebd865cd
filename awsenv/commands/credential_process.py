"""``awsenv credential-process PROFILE``: credentials as JSON, for botocore's credential_process.

With ``credential_process = awsenv credential-process okta-prod`` in a profile, every SDK gets
SAML/Okta (or any other) credentials through awsenv: from its cache while they are valid, after
a sign-in otherwise. The JSON goes to stdout (the process contract); everything else to stderr.
"""

from __future__ import annotations

from awsenv import profiles
from awsenv.config import ConfigFiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return Version 1 credential_process JSON for the profile."""
    import json

    from awsenv import providers, timefmt
    from awsenv.commands import provider_context

    files = ConfigFiles(environ)
    resolved = profiles.resolve(files, str(args.get("profile")))
    keys = providers.obtain(files, resolved, provider_context(args, environ))
    document: dict[str, object] = {
        "Version": 1,
        "AccessKeyId": keys.access_key_id,
        "SecretAccessKey": keys.secret_access_key,
    }
    if keys.session_token:
        document["SessionToken"] = keys.session_token
    if keys.expiration is not None:
        document["Expiration"] = timefmt.format_z(keys.expiration)
    return json.dumps(document) + "\n"
