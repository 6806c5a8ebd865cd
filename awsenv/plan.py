"""The one decision of what ``use`` exports: the profile's name, or keys, and why.

``use`` acts on it and ``explain`` describes it, so the two cannot disagree. The variables a
mode sets come from :mod:`awsenv.exports`, the one place that builds export plans.
"""

from __future__ import annotations

from awsenv import exports, profiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.config import Section
    from awsenv.profiles import Resolved

PROFILE = "profile"
KEYS = "keys"

_REASONS = {
    profiles.STATIC: "every SDK reads the static keys from the profile itself",
    profiles.SSO: "every SDK reads the SSO token from ~/.aws/sso/cache and gets the role "
    "credentials itself",
    profiles.ASSUME_ROLE: "every SDK can assume the roles of the chain itself (no MFA code is "
    "asked); use first makes sure the credentials can be had now",
    profiles.WEB_IDENTITY: "every SDK assumes the role with the token file itself; use first "
    "makes sure it works",
    profiles.PROCESS: "every SDK runs credential_process itself; use runs it once first to make "
    "sure it works",
    profiles.LOGIN: "every SDK with botocore[crt] uses the 'aws login' session itself",
    profiles.KEYCHAIN: "every SDK runs its credential_process, 'awsenv credential-process', "
    "which hands out a session made with the keys in the OS keychain (never the keys); use "
    "first makes sure it works",
    profiles.SAML: "its credential_process lets every SDK get the keys from awsenv",
    profiles.OKTA: "its credential_process lets every SDK get the keys from awsenv",
    profiles.NONE: "the profile holds no credentials: SDKs look for them elsewhere "
    "(environment, instance role), and use warns",
}
_MFA_REASON = (
    "a role in the chain asks for an MFA code, and boto3 keeps assumed-role credentials in "
    "memory only: with AWS_PROFILE every new program would ask again"
)
_SAML_REASON = (
    "no SDK can sign in to SAML/Okta by itself; add 'credential_process = awsenv "
    "credential-process PROFILE' to the profile to export AWS_PROFILE instead"
)
_ASKED_REASON = "--keys (or --write-credentials) asks for keys"
_ROLE_ARN_REASON = (
    "--role-arn names a role no profile holds: no SDK can assume it through AWS_PROFILE, so "
    "awsenv assumes it with the source profile's credentials and exports the keys"
)
_PROCESS_REASON = "every SDK runs the profile's credential_process itself"


class Decision:
    """How ``use`` exports a profile: ``mode`` (``profile`` or ``keys``) and why."""

    __slots__ = ("expires", "mode", "obtains", "reason", "renews")

    def __init__(
        self,
        mode: str,
        reason: str,
        *,
        expires: bool = True,
        obtains: bool = False,
        renews: bool = False,
    ) -> None:
        self.mode = mode
        self.reason = reason
        # profile mode: whether the export carries a clock (AWSENV_EXPIRATION)
        self.expires = expires
        # profile mode: whether the SDKs renew it by themselves (AWSENV_RENEWABLE): an
        # sso-session profile, whose sign-in brings a refresh token
        self.renews = renews
        # use obtains the keys itself (else it only makes sure the SDKs can)
        self.obtains = obtains

    def _plan(
        self, environ: Mapping[str, str], profile: str, region: str | None, renewable: bool
    ) -> exports.Plan:
        if self.mode == KEYS:
            keys = exports.Keys("-", "-", "-", 0)
            until = exports.ALWAYS if renewable else None
            return exports.plan_keys(environ, profile, keys, region=region, renewable=until)
        expiration = 0 if self.expires else None
        renews = exports.SESSION if self.renews else None
        return exports.plan_profile(
            environ, profile, region=region, expiration=expiration, renewable=renews
        )

    def variables(
        self,
        environ: Mapping[str, str],
        profile: str,
        region: str | None,
        *,
        renewable: bool = False,
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the variables the export sets, and those set in ``environ`` it removes.

        Asks :mod:`awsenv.exports` with placeholder values, so the names are exactly those
        ``use`` writes (the set ones as in a fresh shell).
        """
        fresh = self._plan({}, profile, region, renewable)
        here = self._plan(environ, profile, region, renewable)
        return (
            tuple(name for name, value in fresh if value is not None),
            tuple(name for name, value in here if value is None and environ.get(name) is not None),
        )


def _has_process(section: Section) -> bool:
    return "credential_process" in section


def decide(resolved: Resolved, *, keys: bool = False, write: bool = False) -> Decision:
    """Decide how ``use`` exports the profile (``keys``: --keys; ``write``: --write-credentials).

    ``use`` obtains the keys itself when asked to, and for SAML and Okta (no SDK signs in to
    them); it then exports them, unless the profile has a ``credential_process`` (one that calls
    awsenv) and --keys was not given. A chain that needs an MFA code exports keys too (boto3
    keeps assumed-role credentials in memory only). Everything else exports ``AWS_PROFILE``.
    """
    kind = resolved.kind
    federated = kind in (profiles.SAML, profiles.OKTA)
    if keys or write or federated:
        if not keys and _has_process(resolved.section):
            reason = _REASONS[kind] if federated else _PROCESS_REASON
            return Decision(PROFILE, reason, expires=True, obtains=True)
        return Decision(KEYS, _SAML_REASON if federated else _ASKED_REASON, obtains=True)
    if kind == profiles.ASSUME_ROLE and resolved.needs_mfa:
        return Decision(KEYS, _MFA_REASON, obtains=True)
    expires = kind == profiles.SSO or resolved.root_kind == profiles.SSO
    renews = kind == profiles.SSO and "sso_session" in resolved.section
    return Decision(PROFILE, _REASONS[kind], expires=expires, renews=renews)


def decide_role_arn() -> Decision:
    """Decide how ``use --role-arn ARN --source PROFILE`` exports the role: always as keys."""
    return Decision(KEYS, _ROLE_ARN_REASON, obtains=True)
