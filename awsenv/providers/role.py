"""Obtain any profile's credentials through botocore, sharing ``~/.aws/cli/cache`` with the AWS CLI.

:func:`obtain` builds a ``botocore.session.Session(profile=…)`` (an explicit profile: the env-key
provider leaves the chain, as with ``aws --profile``), injects the AWS CLI's credential cache into
the ``assume-role``, ``assume-role-with-web-identity`` and ``sso`` providers (what
``awscli.customizations.assumerole`` does), replaces the MFA prompter, and maps every botocore
failure to one clear :class:`~awsenv.errors.AwsenvError`. botocore reads ``os.environ`` directly,
so the call runs with the process environment set to the caller's ``environ`` and then restored.

botocore is imported inside functions only (ruff TID253): this module is for cold paths.
"""

from __future__ import annotations

import contextlib
import os

from awsenv import paths
from awsenv.errors import AwsenvError, InvalidProfile, ProfileCycle, ProfileNotFound
from awsenv.providers import (
    CredentialProcessFailed,
    CredentialsUnavailable,
    DurationRefused,
    EndpointUnreachable,
    MfaRequired,
    RoleDenied,
    WrongMfaCode,
    entry,
    rolecache,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from awsenv.exports import Keys

CHAINED_MAX_DURATION = 3600  # STS: a role assumed with role credentials lasts at most one hour
_MFA_PROMPT_PREFIX = "Enter MFA code for "  # AssumeRoleCredentialFetcher._assume_role_kwargs
_CACHED_PROVIDERS = ("assume-role", "assume-role-with-web-identity", "sso")
_STS_ROLE_OPERATIONS = ("AssumeRole", "AssumeRoleWithWebIdentity")
_SOURCE_REJECTED = (
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
)
_ROLE_CREDENTIAL_SOURCES = ("Ec2InstanceMetadata", "EcsContainer")
_STATIC_KEYS = ("aws_access_key_id", "aws_secret_access_key")


class Swap:
    """Run with ``os.environ`` replaced by ``environ`` (botocore and its subprocesses read it)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._saved: dict[str, str] | None = None
        self._logger: Any = None
        self._disabled = False

    def __enter__(self) -> None:
        import logging

        # botocore logs a failed refresh as a warning with the traceback, whose message can be a
        # credential_process's stderr: keep it out of any log handler the host program set up.
        self._logger = logging.getLogger("botocore.credentials")
        self._disabled = self._logger.disabled
        self._logger.disabled = True
        if self._environ is os.environ:
            return
        self._saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self._environ)

    def __exit__(self, *exc: object) -> None:
        self._logger.disabled = self._disabled
        if self._saved is not None:
            os.environ.clear()
            os.environ.update(self._saved)
            self._saved = None


class Trace:
    """What happened during one :func:`obtain`: STS calls, the last service call, process runs."""

    def __init__(self, profile: str, notify: Callable[[str], None] | None) -> None:
        self.profile = profile
        self.notify = notify
        self.role_profiles: dict[str, str] = {}  # role ARN -> the profile that assumes it
        self.chained: dict[str, str] = {}  # role ARN -> profile, for hops sourced by a role
        self.sts_calls: list[dict[str, object]] = []  # AssumeRole* parameters (no token)
        self.last_service: str | None = None
        self.last_url: str | None = None  # the endpoint of the last service call
        self.process: tuple[str, Any] | None = None  # (profile, the Popen botocore ran)
        self.mfa_asked: list[str] = []

    # --- botocore event hooks ---------------------------------------------------------------

    def before_parameter_build(self, **kwargs: Any) -> None:
        """Record each AssumeRole*; ask a chained hop for at most one hour."""
        params = kwargs.get("params")
        if not isinstance(params, dict):
            return
        role_arn = params.get("RoleArn")
        duration = params.get("DurationSeconds")
        if (
            isinstance(role_arn, str)
            and role_arn in self.chained
            and isinstance(duration, int)
            and duration > CHAINED_MAX_DURATION
        ):
            params["DurationSeconds"] = CHAINED_MAX_DURATION
            if self.notify is not None:
                self.notify(
                    f"profile {self.chained[role_arn]!r} asks for duration_seconds = {duration}, "
                    f"but a role assumed with role credentials lasts at most "
                    f"{CHAINED_MAX_DURATION}s; asking for {CHAINED_MAX_DURATION}"
                )
        self.sts_calls.append(
            {k: v for k, v in params.items() if k not in ("TokenCode", "WebIdentityToken")}
        )

    def before_call(self, **kwargs: Any) -> None:
        """Remember which service is being called, and where (for "cannot reach" messages)."""
        model = kwargs.get("model")
        service = getattr(getattr(model, "service_model", None), "service_name", None)
        self.last_service = service if isinstance(service, str) else None
        params = kwargs.get("params")
        url = params.get("url") if isinstance(params, dict) else None
        self.last_url = url if isinstance(url, str) else None

    # --- credential_process runs ------------------------------------------------------------

    def popen_for(self, profile: str) -> Callable[..., object]:
        """Return a Popen for botocore that remembers the process it ran for ``profile``."""
        import subprocess

        def popen(*args: Any, **kwargs: Any) -> object:
            self.process = (profile, None)
            process = subprocess.Popen(*args, **kwargs)  # noqa: S603 - botocore's argv, no shell
            self.process = (profile, process)
            return process

        return popen


def _profiles(session: object) -> dict[str, dict[str, object]]:
    config = session.full_config  # type: ignore[attr-defined]
    profiles = config.get("profiles", {}) if isinstance(config, dict) else {}
    return profiles if isinstance(profiles, dict) else {}


def _yields_role_credentials(section: Mapping[str, object]) -> bool:
    """Return True if botocore gets this source profile's credentials from a role session."""
    if any(k in section for k in _STATIC_KEYS):
        return False
    return (
        "role_arn" in section  # assumed itself (or a web identity, also role credentials)
        or "sso_account_id" in section
        or "sso_role_name" in section
    )


def _walk_chain(profiles: Mapping[str, dict[str, object]], profile: str, trace: Trace) -> None:
    """Fill ``trace.role_profiles`` and ``trace.chained`` from the ``source_profile`` links."""
    seen: set[str] = set()
    name: str | None = profile
    while name is not None and name not in seen:
        seen.add(name)
        section = profiles.get(name)
        if not isinstance(section, dict) or "role_arn" not in section:
            return
        role_arn = section.get("role_arn")
        if not isinstance(role_arn, str):
            return
        trace.role_profiles.setdefault(role_arn, name)
        if rolecache.is_web_identity(section):
            return
        source = section.get("source_profile")
        credential_source = section.get("credential_source")
        if credential_source in _ROLE_CREDENTIAL_SOURCES:
            trace.chained.setdefault(role_arn, name)
            return
        if not isinstance(source, str) or source == name:
            return
        source_section = profiles.get(source)
        if isinstance(source_section, dict) and _yields_role_credentials(source_section):
            trace.chained.setdefault(role_arn, name)
        name = source


def _mfa_prompter(
    trace: Trace, mfa_code: str | None, mfa_prompt: Callable[[str], str] | None
) -> Callable[[str], str]:
    def prompter(prompt: str) -> str:
        serial = prompt
        if serial.startswith(_MFA_PROMPT_PREFIX):
            serial = serial[len(_MFA_PROMPT_PREFIX) :]
        if serial.endswith(": "):
            serial = serial[:-2]
        first = not trace.mfa_asked
        trace.mfa_asked.append(serial)
        if first and mfa_code is not None:
            return mfa_code.strip()
        if mfa_prompt is None:
            raise MfaRequired(serial, trace.profile)
        return mfa_prompt(serial)

    return prompter


def _expiry(credentials: object) -> int | None:
    expiry = getattr(credentials, "_expiry_time", None)
    stamp = getattr(expiry, "timestamp", None)
    if stamp is None:
        return None
    return int(stamp() // 1)


def obtain(
    environ: Mapping[str, str],
    profile: str,
    *,
    mfa_code: str | None = None,
    mfa_prompt: Callable[[str], str] | None = None,
    duration: int | None = None,
    region: str | None = None,
    notify: Callable[[str], None] | None = None,
) -> Keys:
    """Return the profile's credentials exactly as the AWS CLI would obtain them.

    Any profile kind botocore resolves (role chains of any depth, ``credential_source``, web
    identity, ``credential_process``, SSO, static keys). Role, web-identity and SSO credentials
    are read from and written to ``~/.aws/cli/cache`` under botocore's keys, so the AWS CLI
    reuses them and awsenv reuses what it cached. Environment keys (``AWS_ACCESS_KEY_ID``) are
    ignored: the profile was named explicitly.

    The STS client's region is botocore's (profile ``region``, ``AWS_DEFAULT_REGION``), else
    ``region``, else ``AWS_REGION`` (which the AWS CLI v2 reads and botocore ignores); with none,
    an error like the AWS CLI's "You must specify a region".

    ``mfa_code`` answers the first MFA prompt; later ones (or the first, with no code) go to
    ``mfa_prompt(serial)``; with neither, :class:`MfaRequired`. ``duration`` replaces the
    profile's ``duration_seconds`` (its cache entry is then another file, as botocore would
    name it). A hop whose source credentials are a role session asks
    for at most one hour; ``notify`` is told when a longer ``duration_seconds`` is lowered.
    """
    trace = Trace(profile, notify)
    with Swap(environ):
        return _obtain(environ, profile, trace, mfa_code, mfa_prompt, duration, region)


def sts_region(session: object, environ: Mapping[str, str], region: str | None) -> str | None:
    """Return the region of the STS client that assumes roles for ``session``'s profile.

    botocore's (the profile's ``region``, ``AWS_DEFAULT_REGION``), else ``region`` (``--region``),
    else ``AWS_REGION``, which the AWS CLI v2 reads and botocore ignores. None when nothing
    names one: botocore then calls AWS's global endpoint, as the AWS CLI does.
    """
    configured = session.get_config_variable("region")  # type: ignore[attr-defined]
    if configured:
        return str(configured)
    return region or environ.get("AWS_REGION") or None


def sts_client(
    environ: Mapping[str, str],
    profile: str | None,
    keys: Keys,
    trace: Trace,
    *,
    region: Callable[[object], str | None],
) -> Any:
    """An STS client signed with ``keys``, with ``profile``'s settings and awsenv's HTTP policy.

    What ``aws sts ... --profile PROFILE`` would use, its keys given explicitly: the profile's
    endpoint settings, ``AWS_ENDPOINT_URL_STS``, ``net.bind_session``'s deadline; ``region``
    picks the region from the session; ``trace`` sees every call (for error messages).
    """
    return _client("sts", environ, profile, keys, trace, region=region)


def _client(
    service: str,
    environ: Mapping[str, str],
    profile: str | None,
    keys: Keys,
    trace: Trace,
    *,
    region: Callable[[object], str | None],
) -> Any:
    import botocore.session

    from awsenv import net

    session = botocore.session.Session(profile=profile)
    net.bind_session(session, environ)
    session.register("before-parameter-build.sts.AssumeRole", trace.before_parameter_build)
    session.register("before-call", trace.before_call)
    return session.create_client(
        service,
        region_name=region(session),
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        aws_session_token=keys.session_token,
    )


def user_name(arn: str) -> str | None:
    """Return the IAM user name of a caller ARN (``arn:aws:iam::ACCOUNT:user/PATH/NAME``)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("user/"):
        return None
    return parts[5].rsplit("/", 1)[-1] or None


def mfa_devices(
    environ: Mapping[str, str], profile: str, keys: Keys, *, region: str | None = None
) -> list[str] | None:
    """Return the serial numbers of the caller's own MFA devices, or None if they cannot be read.

    The caller is asked of STS (GetCallerIdentity); an IAM user's devices are listed with IAM
    ListMFADevices for that user name (what the usual "manage your own MFA" policy allows).
    None when the keys are not an IAM user's (a role session has no devices), IAM refuses or
    cannot be reached: the caller then asks for the device's ARN instead.
    """
    import botocore.exceptions as bx

    from awsenv import log

    trace = Trace(profile, None)

    def where(session: object) -> str:
        return sts_region(session, environ, region) or "us-east-1"

    with Swap(environ):
        try:
            sts = sts_client(environ, profile, keys, trace, region=where)
            name = user_name(str(sts.get_caller_identity().get("Arn", "")))
            if name is None:
                log.debug("profile %r: not an IAM user's keys; no MFA devices to list", profile)
                return None
            iam = _client("iam", environ, profile, keys, trace, region=where)
            serials: list[str] = []
            for page in iam.get_paginator("list_mfa_devices").paginate(UserName=name):
                serials += [str(d["SerialNumber"]) for d in page.get("MFADevices", [])]
        except (bx.BotoCoreError, bx.ClientError, AwsenvError, OSError) as exc:
            log.debug("ListMFADevices for profile %r: %s", profile, type(exc).__name__)
            return None
    return serials


def _lock_name(section: Mapping[str, object]) -> str | None:
    args = rolecache.assume_role_args(section)
    return "cli-cache-" + rolecache.cache_key_for_args(args) if args else None


def _obtain(
    environ: Mapping[str, str],
    profile: str,
    trace: Trace,
    mfa_code: str | None,
    mfa_prompt: Callable[[str], str] | None,
    duration: int | None,
    region: str | None,
) -> Keys:
    import botocore.session

    from awsenv import net

    try:
        session = botocore.session.Session(profile=profile)
        # Every client botocore makes for this chain (STS, SSO) gets awsenv's HTTP policy.
        net.bind_session(session, environ)
        fallback = sts_region(session, environ, region)
        if fallback:
            session.set_config_variable("region", fallback)
        profiles = _profiles(session)
        section = profiles.get(profile)
        if section is None:
            return _missing(profile)
        if duration is not None and "role_arn" in section:
            section["duration_seconds"] = str(int(duration))
        _walk_chain(profiles, profile, trace)
        session.register("before-parameter-build.sts.AssumeRole", trace.before_parameter_build)
        session.register(
            "before-parameter-build.sts.AssumeRoleWithWebIdentity", trace.before_parameter_build
        )
        session.register("before-call", trace.before_call)
        resolver = session.get_component("credential_provider")
        _install(resolver, environ, profile, trace, _mfa_prompter(trace, mfa_code, mfa_prompt))
        lock_name = _lock_name(section)
        if lock_name is None:
            return _resolve(session)
        # N processes assuming this role together: one AssumeRole, the others read its entry
        # (the profile's section as botocore holds it, duration override included).
        return entry.fetch_once(
            environ,
            lock_name,
            lambda: rolecache.cached_role_credentials(environ, section),
            lambda: _resolve(session),
        )
    except AwsenvError:
        raise
    except Exception as exc:
        mapped = map_error(exc, environ, trace)
        if mapped is None:
            raise
        raise mapped from None


def _install(
    resolver: object,
    environ: Mapping[str, str],
    profile: str,
    trace: Trace,
    prompter: Callable[[str], str],
) -> None:
    """Inject the CLI cache and our prompter; watch every credential_process botocore runs."""
    from botocore.exceptions import UnknownCredentialError

    cli_cache = rolecache.CliCache(environ)
    get_provider = resolver.get_provider  # type: ignore[attr-defined]
    for name in _CACHED_PROVIDERS:
        with contextlib.suppress(UnknownCredentialError):
            get_provider(name).cache = cli_cache
    assume_role = get_provider("assume-role")
    assume_role._prompter = prompter
    with contextlib.suppress(UnknownCredentialError):
        get_provider("custom-process")._popen = trace.popen_for(profile)
    builder = getattr(assume_role, "_profile_provider_builder", None)
    create = getattr(builder, "_create_process_provider", None)
    if builder is not None and create is not None:

        def create_process_provider(profile_name: str) -> object:
            provider = create(profile_name)
            provider._popen = trace.popen_for(profile_name)
            return provider

        builder._create_process_provider = create_process_provider


def _missing(profile: str) -> Keys:
    from botocore.exceptions import ProfileNotFound as BotocoreProfileNotFound

    raise BotocoreProfileNotFound(profile=profile)


def _resolve(session: object) -> Keys:
    from awsenv.exports import Keys

    credentials = session.get_credentials()  # type: ignore[attr-defined]
    if credentials is None:
        raise CredentialsUnavailable(
            "botocore finds no credentials for this profile",
            hint="a profile needs keys, a role, SSO, web identity or credential_process",
        )
    frozen = credentials.get_frozen_credentials()
    from awsenv import log

    log.remember_secret(frozen.secret_key)
    log.remember_secret(frozen.token)
    if not frozen.access_key or not frozen.secret_key:
        raise CredentialsUnavailable("botocore returned empty credentials")
    return Keys(frozen.access_key, frozen.secret_key, frozen.token or None, _expiry(credentials))


# --- errors ------------------------------------------------------------------------------------


def _last_role(trace: Trace) -> tuple[str, str, dict[str, object]]:
    """Return (role ARN, profile, parameters) of the last AssumeRole* call."""
    params = trace.sts_calls[-1] if trace.sts_calls else {}
    role_arn = params.get("RoleArn")
    role = role_arn if isinstance(role_arn, str) else "?"
    return role, trace.role_profiles.get(role, trace.profile), params


def _client_error(exc: Exception, trace: Trace) -> AwsenvError:
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(error.get("Code", "")) if isinstance(error, dict) else ""
    message = str(error.get("Message", "")) if isinstance(error, dict) else ""
    message = " ".join(message.split()) or code or "no message"
    operation = getattr(exc, "operation_name", "")
    profile = trace.profile
    if operation in _STS_ROLE_OPERATIONS:
        role, role_profile, params = _last_role(trace)
        serial = params.get("SerialNumber")
        if code == "AccessDenied":
            if isinstance(serial, str) and trace.mfa_asked and _about_mfa(message):
                return WrongMfaCode(serial, role_profile, message)
            return RoleDenied(role, role_profile, message)
        if code == "ValidationError" and "DurationSeconds" in message:
            asked = params.get("DurationSeconds")
            return DurationRefused(
                role, role_profile, asked if isinstance(asked, int) else None, message
            )
        if code in _SOURCE_REJECTED:
            return CredentialsUnavailable(
                f"STS refused the credentials that sign the AssumeRole of {role} "
                f"(profile {role_profile!r}): {code}: {message}",
                hint="the source profile's credentials are wrong or expired",
            )
        return CredentialsUnavailable(
            f"STS {operation} for role {role} (profile {role_profile!r}) failed: {code}: {message}"
        )
    if operation in ("GetRoleCredentials",):
        if code == "UnauthorizedException":
            return CredentialsUnavailable(
                f"the SSO session of profile {profile!r} has expired or was signed out",
                hint=f"run 'awsenv login {profile}'",
            )
        return CredentialsUnavailable(
            f"IAM Identity Center refused the role credentials for profile {profile!r}: "
            f"{code}: {message}"
        )
    return CredentialsUnavailable(
        f"{operation or 'an AWS call'} failed for profile {profile!r}: {code}: {message}"
    )


def _about_mfa(message: str) -> bool:
    lowered = message.lower()
    return "multifactorauthentication" in lowered or "mfa" in lowered or "one time" in lowered


_SERVICE_NAMES = {
    "sts": "STS",
    "sso": "the IAM Identity Center portal",
    "sso-oidc": "IAM Identity Center",
}


def _service_name(service: str | None) -> str:
    return _SERVICE_NAMES.get(service or "", service or "AWS")


def _process_error(trace: Trace) -> CredentialProcessFailed | None:
    if trace.process is None:
        return None
    profile, process = trace.process
    status = getattr(process, "returncode", None)
    if status is None:
        return CredentialProcessFailed(
            f"credential_process of profile {profile!r} could not be run",
            hint="check the command in the profile (it runs without a shell)",
        )
    if status != 0:
        return CredentialProcessFailed(
            f"credential_process of profile {profile!r} exited with status {status}; "
            "its output is not shown because it may hold secrets",
            hint="run the command yourself to see what it says",
        )
    return CredentialProcessFailed(
        f"credential_process of profile {profile!r} did not print valid credentials: "
        'a JSON object with "Version": 1, "AccessKeyId" and "SecretAccessKey" is required '
        "(its output is not shown because it may hold secrets)"
    )


def map_error(exc: Exception, environ: Mapping[str, str], trace: Trace) -> AwsenvError | None:
    """Turn a botocore failure into one clear line (None: not ours to translate)."""
    import botocore.exceptions as bx

    profile = trace.profile
    if isinstance(exc, bx.ProfileNotFound):
        missing = str(getattr(exc, "kwargs", {}).get("profile", profile))
        return ProfileNotFound(missing, [], paths.config_file(environ))
    if isinstance(exc, bx.InfiniteLoopConfigError):
        kwargs = getattr(exc, "kwargs", {})
        visited = [str(p) for p in kwargs.get("visited_profiles", [])]
        return ProfileCycle([*visited, str(kwargs.get("source_profile", "?"))])
    if isinstance(exc, bx.CredentialRetrievalError) and (
        getattr(exc, "kwargs", {}).get("provider") == "custom-process"
    ):
        return _process_error(trace) or CredentialProcessFailed(
            f"credential_process of profile {profile!r} failed"
        )
    if trace.process is not None and _raised_in(exc, "_retrieve_credentials_using"):
        # botocore parses the process's stdout with json.loads and then .get(): a bad print
        # surfaces as a JSONDecodeError or an AttributeError, a missing program as an OSError.
        return _process_error(trace)
    if isinstance(exc, bx.ClientError):
        return _client_error(exc, trace)
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectionError, bx.HTTPClientError)):
        url = getattr(exc, "kwargs", {}).get("endpoint_url")
        where = f" at {url}" if url else ""
        return EndpointUnreachable(
            f"cannot reach {_service_name(trace.last_service)}{where} "
            f"to get credentials for profile {profile!r}",
            hint="check the network, AWS_ENDPOINT_URL* and the profile's endpoint settings",
        )
    if isinstance(exc, bx.NoRegionError):
        # With no endpoint set, botocore signs for AWS's global STS endpoint (aws-global, as
        # us-east-1) and needs no region; an endpoint set for STS (AWS_ENDPOINT_URL_STS, the
        # profile's services) does. Every role takes this one path, with MFA or without.
        where = f" at {trace.last_url}" if trace.last_url else ""
        return InvalidProfile(
            profile,
            f"no region is set, and {_service_name(trace.last_service or 'sts')}{where} needs one "
            "to sign its calls (only AWS's global endpoint, used when no endpoint is set, "
            "does without)",
            hint="add 'region = ...' to the profile, set AWS_REGION, or pass --region",
        )
    if isinstance(exc, (bx.UnauthorizedSSOTokenError, bx.SSOTokenLoadError)):
        return CredentialsUnavailable(
            f"profile {profile!r} needs an IAM Identity Center sign-in (no valid SSO token)",
            hint=f"run 'awsenv login {profile}'",
        )
    if isinstance(exc, bx.TokenRetrievalError):
        return CredentialsUnavailable(
            f"the SSO token of profile {profile!r} could not be refreshed",
            hint=f"run 'awsenv login {profile}'",
        )
    if isinstance(exc, bx.ParamValidationError):
        return InvalidProfile(profile, _one_line(str(exc)))
    if isinstance(exc, (bx.InvalidConfigError, bx.PartialCredentialsError)):
        return InvalidProfile(profile, _one_line(str(exc)))
    if isinstance(exc, bx.CredentialRetrievalError):
        provider = getattr(exc, "kwargs", {}).get("provider", "a credential provider")
        return CredentialsUnavailable(
            f"{provider} could not get credentials for profile {profile!r}"
        )
    if isinstance(exc, bx.BotoCoreError):
        return CredentialsUnavailable(f"profile {profile!r}: {_one_line(str(exc))}")
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ResponseParserError):  # its message holds the body: never shown
        return CredentialsUnavailable(
            f"{_service_name(trace.last_service)} sent an answer that cannot be read "
            f"(for profile {profile!r}; its text is not shown)",
            hint="check AWS_ENDPOINT_URL* and the profile's endpoint settings",
        )
    return None


def _raised_in(exc: BaseException, function: str) -> bool:
    """Return True if ``function`` is on the exception's traceback."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == function:
            return True
        tb = tb.tb_next
    return False


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- whoami ------------------------------------------------------------------------------------


def caller_identity(
    keys: Keys,
    *,
    region: str | None = None,
    environ: Mapping[str, str] | None = None,
    profile: str | None = None,
) -> dict[str, str]:
    """Return ``{"UserId", "Account", "Arn"}`` from STS GetCallerIdentity, signed with ``keys``.

    ``environ`` (default: the process's) supplies ``AWS_ENDPOINT_URL_STS`` and friends;
    ``profile`` its endpoint settings. With no region anywhere, us-east-1 (any STS region
    answers GetCallerIdentity).
    """
    env = os.environ if environ is None else environ  # Keys registered its secrets already
    trace = Trace(profile or "default", None)
    with Swap(env):
        import botocore.exceptions as bx

        try:
            client = sts_client(
                env,
                profile,
                keys,
                trace,
                region=lambda session: (
                    region or session.get_config_variable("region") or "us-east-1"  # type: ignore[attr-defined]
                ),
            )
            answer = client.get_caller_identity()
        except bx.ClientError as exc:
            raise _client_error(exc, trace) from None
        except Exception as exc:
            mapped = map_error(exc, env, trace)
            if mapped is None:
                raise
            raise mapped from None
    return {k: str(answer[k]) for k in ("UserId", "Account", "Arn") if k in answer}
