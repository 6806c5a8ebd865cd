"""The one place that obtains credentials: one module per source, one small interface.

- :func:`obtain` returns keys for any profile (cached, else a login or an STS call);
- :func:`ensure` makes sure every SDK can get credentials through the profile by itself right
  now (a denied role fails here, not at the next aws call) and says until when;
- :func:`renewable` says until when exported keys renew with no browser and no prompt;
- :func:`describe` reports what is cached for the profile (file, state, expiry) without network.

Sources: :mod:`.static` (keys in the files), :mod:`.keychain` (keys in the OS keychain, handed
out as STS sessions), :mod:`.sso` (IAM Identity Center), :mod:`.chain` (roles, web identity,
credential_process, through botocore in :mod:`.role`), :mod:`.saml_keys` (SAML assertion files
and Okta). Their errors live here, each an ``AwsenvError`` (one line,
exit code 1) that never carries a secret or a process's output. Every source module is imported
lazily, so a cached ``use`` loads only the one it needs.
"""

from __future__ import annotations

from awsenv.errors import AwsenvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from awsenv.config import ConfigFiles, Section
    from awsenv.exports import Keys
    from awsenv.profiles import ProfileFiles, Resolved
    from awsenv.providers.adhoc import Spec
    from awsenv.providers.cached import Cached


MFA_CODE_HINT = "pass the code with --mfa-code CODE, or run awsenv from a terminal"
NO_TERMINAL = "there is no terminal to ask on"


class CredentialsUnavailable(AwsenvError):
    """botocore could not produce credentials for a profile (the message says why)."""


class RoleDenied(CredentialsUnavailable):
    """STS answered AccessDenied to AssumeRole / AssumeRoleWithWebIdentity."""

    def __init__(self, role_arn: str, profile: str, sts_message: str) -> None:
        super().__init__(
            f"role {role_arn} denied for profile {profile!r}: {sts_message}",
            hint="check the role's trust policy and the source profile's permissions",
        )
        self.role_arn = role_arn
        self.profile = profile
        self.sts_message = sts_message


class MfaRequired(CredentialsUnavailable):
    """A role needs an MFA code and there is neither a code nor a terminal to ask on."""

    def __init__(
        self, serial: str, profile: str | None = None, *, reason: str = NO_TERMINAL
    ) -> None:
        where = f" (profile {profile!r})" if profile else ""
        super().__init__(f"an MFA code for {serial} is needed{where}: {reason}", hint=MFA_CODE_HINT)
        self.serial = serial
        self.profile = profile


class WrongMfaCode(CredentialsUnavailable):
    """STS refused the MFA code (a terminal caller may ask once more)."""

    def __init__(self, serial: str, profile: str, sts_message: str) -> None:
        super().__init__(
            f"the MFA code for {serial} was refused (profile {profile!r}): {sts_message}",
            hint="wait for the next code and try again",
        )
        self.serial = serial
        self.profile = profile
        self.sts_message = sts_message


class DurationRefused(CredentialsUnavailable):
    """STS refused the requested DurationSeconds (above the role's maximum, or role chaining)."""

    def __init__(
        self,
        role_arn: str,
        profile: str,
        duration: int | None,
        sts_message: str,
        *,
        option: str = "duration_seconds",
    ) -> None:
        # ``option``: where the duration was asked for (the profile's key, or ``--duration``)
        equals = " = " if option == "duration_seconds" else " "
        asked = f"{option}{equals}{duration}" if duration is not None else "the duration"
        super().__init__(
            f"role {role_arn} refused {asked} for profile {profile!r}: {sts_message}",
            hint=(
                f"lower {option} to at most the role's maximum session duration, its "
                "MaxSessionDuration (3600 unless the role allows more; 3600 at most when a role "
                "assumes a role)"
            ),
        )
        self.role_arn = role_arn
        self.profile = profile
        self.duration = duration
        self.sts_message = sts_message


class CredentialProcessFailed(CredentialsUnavailable):
    """A profile's credential_process failed or printed something that is not credentials."""


class EndpointUnreachable(CredentialsUnavailable):
    """An AWS endpoint (STS, the SSO portal) could not be reached."""


class Context:
    """What the caller asks of a source: the environment and the command line's choices."""

    __slots__ = (
        "device_code",
        "duration",
        "environ",
        "force_login",
        "mfa_code",
        "no_browser",
        "region",
        "role",
        "saml_assertion",
        "unattended",
    )

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        force_login: bool = False,
        device_code: bool = False,
        no_browser: bool = False,
        mfa_code: str | None = None,
        region: str | None = None,
        role: str | None = None,
        saml_assertion: str | None = None,
        unattended: bool = False,
        duration: int | None = None,
    ) -> None:
        self.environ = environ
        self.force_login = force_login  # sign in again even if a token is cached
        self.device_code = device_code
        self.no_browser = no_browser
        self.mfa_code = mfa_code
        self.region = region  # STS's region when the profile names none (--region)
        self.role = role  # the SAML role to pick (--role)
        self.saml_assertion = saml_assertion  # a SAMLResponse file, or "-" for stdin
        # refresh --auto (the prompt hook): no browser, no terminal prompt, no picker; a source
        # that would need one raises errors.NeedsUser (or MfaRequired) instead of starting it
        self.unattended = unattended
        self.duration = duration  # the role session's DurationSeconds (--duration)


class Ready:
    """What :func:`ensure` found: when the profile stops working, and until when it renews."""

    __slots__ = ("expiration", "renewable")

    def __init__(self, expiration: int | None = None, renewable: int | str | None = None) -> None:
        self.expiration = expiration
        self.renewable = renewable


def obtain(files: ConfigFiles, resolved: Resolved, ctx: Context) -> Keys:
    """Return keys for the profile: static from the files, SSO from the portal, else via STS.

    A keychain profile gets an STS session signed with its keys, never the keys themselves.
    """
    from awsenv import profiles

    kind = resolved.kind
    if ctx.duration is not None and kind != profiles.ASSUME_ROLE:
        from awsenv.errors import UsageError

        raise UsageError(
            f"--duration sets the session length of a role, and profile {resolved.name!r} "
            f"is {kind}",
            hint="give --duration with a profile that has role_arn (or with --role-arn)",
        )
    if kind == profiles.STATIC:
        from awsenv.providers import static

        return static.obtain(files, resolved.name)
    if kind == profiles.KEYCHAIN:
        from awsenv.providers import keychain

        return keychain.temporary_keys(files, resolved.name, ctx)
    if kind == profiles.SSO:
        from awsenv.providers import sso

        return sso.obtain(files, resolved.name, resolved.section, ctx)
    if kind in (profiles.SAML, profiles.OKTA):
        from awsenv.providers import saml_keys

        return saml_keys.obtain(resolved, ctx)
    from awsenv.providers import chain

    return chain.obtain(files, resolved, ctx)


def long_lived(files: ConfigFiles, name: str, kind: str) -> Keys:
    """Return the long-lived IAM user keys of profile ``name`` (of kind ``kind``).

    What GetSessionToken is signed with (``providers/session.py``): keys in the files
    (``profiles.STATIC``) or in the OS keychain (``profiles.KEYCHAIN``); any other kind holds
    none.
    """
    from awsenv import profiles

    if kind == profiles.STATIC:
        from awsenv.providers import static

        return static.obtain(files, name)
    if kind == profiles.KEYCHAIN:
        from awsenv.providers import keychain

        return keychain.long_lived(name)
    raise CredentialsUnavailable(f"profile {name!r} holds no long-lived keys (it is {kind})")


def ensure(files: ConfigFiles, resolved: Resolved, ctx: Context) -> Ready:
    """Make sure the SDKs can get credentials through the profile now, logging in if needed.

    An SSO profile (or a chain on an SSO root) is ready while its token is; a role, web-identity
    or process profile once its session is cached or has just been obtained. What the SDKs do
    alone (static keys, ``aws login``, a profile with no credentials) needs nothing.
    """
    from awsenv import profiles

    kind = resolved.kind
    if kind == profiles.SSO:
        from awsenv.providers import sso

        return Ready(*sso.ensure(files, resolved.name, resolved.section, ctx))
    if kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY, profiles.PROCESS):
        from awsenv.providers import chain

        return Ready(chain.ensure(files, resolved, ctx))
    if kind == profiles.KEYCHAIN:
        # every SDK runs `awsenv credential-process`; make sure the keys are there and work
        from awsenv.providers import keychain

        keychain.temporary_keys(files, resolved.name, ctx)
    return Ready()


def renewable(
    files: ConfigFiles, resolved: Resolved, environ: Mapping[str, str]
) -> int | str | None:
    """Until when exported keys of this profile renew with no browser and no prompt.

    An SSO root renews while its session does (its end when known, else ``session``); a role
    over static keys, web identity or a
    credential process renews at any time (``always``); an MFA role over long-lived keys while
    its MFA session lasts (its end, ``providers/session.py``); SAML and Okta need the user.
    """
    from awsenv import exports, profiles

    kind = resolved.kind
    if resolved.needs_mfa and kind == profiles.ASSUME_ROLE:
        from awsenv.providers import chain

        return chain.session_end(resolved, environ)
    if kind in (profiles.SAML, profiles.OKTA, profiles.STATIC) or resolved.needs_mfa:
        return None
    if resolved.root_kind == profiles.SSO:
        from awsenv.providers import sso

        root = resolved.chain[-1][0]
        return sso.renewable_until(files, root, files.profile(root) or {}, environ)
    if kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY, profiles.PROCESS):
        return exports.ALWAYS
    if kind == profiles.KEYCHAIN:  # a new session from the keychain's keys, no prompt
        return exports.ALWAYS
    return None


def assume(
    files: ConfigFiles,
    spec: Spec,
    source: Resolved,
    ctx: Context,
    *,
    token_code: str | None = None,
) -> Keys:
    """Return keys for an ad-hoc role (``use --role-arn``, ``configure role``).

    Cached, else AssumeRole signed with the keys :func:`obtain` gets for the ``source`` profile;
    ``token_code`` is the MFA code when ``spec`` names an MFA device.
    """
    from awsenv.providers import adhoc

    return adhoc.obtain(files, spec, source, ctx, token_code=token_code)


def assume_renewable(
    files: ConfigFiles, source: Resolved, environ: Mapping[str, str]
) -> int | str | None:
    """Until when an ad-hoc role renews with no browser and no prompt: as its source does."""
    from awsenv.providers import adhoc

    return adhoc.renewable(files, source, environ)


def describe(
    files: ProfileFiles,
    nodes: Sequence[tuple[str, str, Section]],
    environ: Mapping[str, str],
    *,
    now: float,
) -> Cached:
    """Report what is cached for a chain, reading files only: no network, no login.

    ``nodes`` is (name, kind, section) per hop, as ``profiles.walk`` finds the chain.
    """
    from awsenv.providers import cached

    return cached.describe(files, nodes, environ, now=now)
