"""An ad-hoc role: AssumeRole of a role no profile names, signed with a source profile's keys.

``awsenv use --role-arn ARN --source PROFILE`` (awsume's ``--role-arn``). The source's keys come
from :func:`awsenv.providers.obtain`, so an SSO, MFA, SAML or process source signs in, asks or
runs as its own ``use`` would, with its caches. The role's answer is cached in
``~/.aws/cli/cache`` under botocore's key for the same AssumeRole arguments (a profile naming
the same role and options shares it, as it would with the AWS CLI), and reused while the one
reuse window (``providers/entry.py``) allows.

What a shell needs to renew it (``awsenv refresh``, ``awsenv use -``) travels in ``AWSENV_ROLE``
as :meth:`Spec.encode` writes it. Cheap to import; botocore is imported for the STS call only.
"""

from __future__ import annotations

import os

from awsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.config import ConfigFiles
    from awsenv.exports import Keys
    from awsenv.profiles import Resolved
    from awsenv.providers import Context
    from awsenv.providers.role import Trace

MIN_DURATION = 900  # STS AssumeRole DurationSeconds bounds
MAX_DURATION = 43200
_NAME_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-"
)  # RoleSessionName and an IAM role name: [\w+=,.@-]
_PATH_CHARS = _NAME_CHARS | {"/"}
_EXTERNAL_ID_CHARS = _NAME_CHARS | {":", "/"}  # ExternalId: [\w+=,.@:/-]
_SEPARATOR = "."  # between the hex fields of AWSENV_ROLE (hex has no dot, the shells no trouble)
ARN_EXAMPLE = "arn:aws:iam::123456789012:role/NAME"


class Spec:
    """What to assume: the role, the source profile, and the AssumeRole options."""

    __slots__ = ("duration", "external_id", "role_arn", "session_name", "source")

    def __init__(
        self,
        role_arn: str,
        source: str,
        *,
        external_id: str | None = None,
        session_name: str | None = None,
        duration: int | None = None,
    ) -> None:
        self.role_arn = role_arn
        self.source = source
        self.external_id = external_id
        self.session_name = session_name
        self.duration = duration

    @property
    def role_name(self) -> str:
        """Return the role's name (the last part of its path)."""
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def label(self) -> str:
        """Return what ``AWSENV_PROFILE`` says (the prompt and ``status`` show it): SOURCE>ROLE."""
        return f"{self.source}>{self.role_name}"

    def cache_args(self) -> dict[str, str | int]:
        """Return the arguments botocore would hash into the ``~/.aws/cli/cache`` key.

        As for a profile: the session name only when one was given (a generated one is left
        out), then the external id and the duration.
        """
        args: dict[str, str | int] = {"RoleArn": self.role_arn}
        if self.session_name:
            args["RoleSessionName"] = self.session_name
        if self.external_id is not None:
            args["ExternalId"] = self.external_id
        if self.duration is not None:
            args["DurationSeconds"] = self.duration
        return args

    def encode(self) -> str:
        """Return the ASCII text of ``AWSENV_ROLE``: five hex fields (empty when absent)."""
        fields = (
            self.role_arn,
            self.source,
            self.external_id,
            self.session_name,
            str(self.duration) if self.duration is not None else None,
        )
        return _SEPARATOR.join(
            "" if f is None else f.encode("utf-8", "surrogateescape").hex() for f in fields
        )

    @classmethod
    def decode(cls, text: str) -> Spec | None:
        """Return the spec :meth:`encode` wrote, checked again; None for anything else."""
        parts = text.split(_SEPARATOR)
        if len(parts) != 5:
            return None
        try:
            arn, source, external_id, session_name, duration = (
                bytes.fromhex(p).decode("utf-8", "surrogateescape") if p else None for p in parts
            )
        except ValueError:
            return None
        if not arn or not source:
            return None
        try:
            return check(arn, source, external_id, session_name, duration)
        except UsageError:
            return None


def _valid_arn(arn: str) -> bool:
    """``arn:<partition>:iam::<12 digits>:role/<path and name>``, checked without ``re``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or parts[3] != "":
        return False
    partition, account, resource = parts[1], parts[4], parts[5]
    if not partition.startswith("aws") or not set(partition) <= set("abcdefghijklmnopqrstuvwxyz-"):
        return False
    if len(account) != 12 or not (account.isascii() and account.isdigit()):
        return False
    if not resource.startswith("role/") or len(resource) > 5 + 512 + 64:
        return False
    path, _, name = resource[5:].rpartition("/")
    return bool(name) and len(name) <= 64 and set(name) <= _NAME_CHARS and set(path) <= _PATH_CHARS


def check(
    role_arn: str,
    source: str | None,
    external_id: str | None = None,
    session_name: str | None = None,
    duration: str | None = None,
) -> Spec:
    """Return the spec for the command line's values, or raise UsageError saying what is wrong."""
    if not _valid_arn(role_arn):
        raise UsageError(
            f"--role-arn {role_arn!r} is not the ARN of an IAM role",
            hint=f"a role ARN looks like {ARN_EXAMPLE}",
        )
    if not source:
        raise UsageError(
            "--role-arn needs --source PROFILE: the profile whose credentials assume the role",
            hint=f"awsenv use --role-arn {role_arn} --source PROFILE",
        )
    if external_id is not None and not (
        2 <= len(external_id) <= 1224 and set(external_id) <= _EXTERNAL_ID_CHARS
    ):
        raise UsageError(
            "--external-id must be 2 to 1224 characters of letters, digits and _+=,.@:/-"
        )
    if session_name is not None and not (
        2 <= len(session_name) <= 64 and set(session_name) <= _NAME_CHARS
    ):
        raise UsageError("--session-name must be 2 to 64 characters of letters, digits and _+=,.@-")
    seconds = parse_duration(duration) if duration is not None else None
    return Spec(
        role_arn, source, external_id=external_id, session_name=session_name, duration=seconds
    )


def parse_duration(duration: str) -> int:
    """Return ``--duration``'s seconds, or raise UsageError outside what AssumeRole accepts."""
    text = duration.strip()
    seconds = int(text) if text.isascii() and text.isdigit() else None
    if seconds is None or not MIN_DURATION <= seconds <= MAX_DURATION:
        raise UsageError(
            f"--duration {duration!r} is not a number of seconds from {MIN_DURATION} to "
            f"{MAX_DURATION}",
            hint="a role lasts 3600 seconds unless its maximum session duration is raised",
        )
    return seconds


def default_session_name(environ: Mapping[str, str]) -> str:
    """Return ``awsenv-<user>`` (what CloudTrail shows), the user name cut to what STS allows."""
    user = environ.get("USER") or environ.get("LOGNAME") or ""
    if not user:
        try:
            import pwd

            user = pwd.getpwuid(os.getuid()).pw_name
        except (ImportError, KeyError, OSError):
            user = ""
    kept = "".join(c if c in _NAME_CHARS else "-" for c in user)
    return ("awsenv-" + kept)[:64] if kept else "awsenv"


def cache_key(spec: Spec) -> str:
    """Return the ``~/.aws/cli/cache`` file-name stem for the spec (botocore's key)."""
    from awsenv.providers import rolecache

    return rolecache.cache_key_for_args(spec.cache_args())


def cached(environ: Mapping[str, str], spec: Spec) -> Keys | None:
    """Return the role's cached keys while the reuse window remains, else None."""
    from awsenv.providers import entry, rolecache

    return entry.load(rolecache.cache_path(environ, cache_key(spec)))


def obtain(files: ConfigFiles, spec: Spec, source: Resolved, ctx: Context) -> Keys:
    """Return the role's keys: cached, else AssumeRole signed with the source's keys.

    The source's keys are obtained before the role's lock is taken, so a source whose own
    cache entry has the same key (the same role, no options) never waits on itself.
    """
    keys = cached(ctx.environ, spec)
    if keys is not None:
        return keys
    from awsenv import providers
    from awsenv.providers import entry

    source_keys = providers.obtain(files, source, ctx)
    return entry.fetch_once(
        ctx.environ,
        "cli-cache-" + cache_key(spec),
        lambda: cached(ctx.environ, spec),
        lambda: _assume(spec, source_keys, ctx),
    )


def _assume(spec: Spec, source_keys: Keys, ctx: Context) -> Keys:
    """Call STS AssumeRole with the source's keys; cache and return the answer."""
    from awsenv.providers import role

    trace = role.Trace(spec.source, None)
    trace.role_profiles[spec.role_arn] = spec.source
    with role.Swap(ctx.environ):
        return _call(spec, source_keys, ctx, trace)


def _call(spec: Spec, source_keys: Keys, ctx: Context, trace: Trace) -> Keys:
    import botocore.exceptions as bx

    from awsenv import cache, log
    from awsenv.errors import AwsenvError
    from awsenv.providers import DurationRefused, entry, role, rolecache

    environ = ctx.environ
    try:
        # The source profile's settings (region, endpoints, CA bundle, retries), its keys
        # given explicitly: what `aws sts assume-role --profile SOURCE` would do.
        client = role.sts_client(
            environ,
            spec.source,
            source_keys,
            trace,
            region=lambda session: role.sts_region(session, environ, ctx.region),
        )
        params: dict[str, object] = {
            "RoleArn": spec.role_arn,
            "RoleSessionName": spec.session_name or default_session_name(environ),
        }
        if spec.external_id is not None:
            params["ExternalId"] = spec.external_id
        if spec.duration is not None:
            params["DurationSeconds"] = spec.duration
        log.debug("AssumeRole %s with the keys of profile %r", spec.role_arn, spec.source)
        response = client.assume_role(**params)
    except AwsenvError:
        raise
    except bx.ClientError as exc:
        mapped = role.map_error(exc, environ, trace)
        if isinstance(mapped, DurationRefused):
            raise DurationRefused(
                spec.role_arn, spec.source, spec.duration, mapped.sts_message, option="--duration"
            ) from None
        raise (mapped or exc) from None
    except Exception as exc:
        mapped = role.map_error(exc, environ, trace)
        if mapped is None:
            raise
        raise mapped from None
    data = rolecache.entry_from_response(response)
    keys = entry.keys_from_entry(data)
    if keys is None:
        from awsenv.providers import CredentialsUnavailable

        raise CredentialsUnavailable(f"STS answered AssumeRole of {spec.role_arn} without keys")
    cache.write_json(rolecache.cache_path(environ, cache_key(spec)), data)
    return keys


def renewable(files: ConfigFiles, source: Resolved, environ: Mapping[str, str]) -> int | str | None:
    """Until when ``refresh`` renews the role with no browser and no prompt: as its source does.

    Static keys sign AssumeRole at any time (``always``), as they do for a role profile.
    """
    from awsenv import exports, profiles, providers

    if source.kind == profiles.STATIC:
        return exports.ALWAYS
    return providers.renewable(files, source, environ)
