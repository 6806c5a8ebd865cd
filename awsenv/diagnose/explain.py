"""How a profile resolves and what ``use`` would do, as data for ``awsenv explain``.

It formats what the real parts return: ``profiles.walk`` (the chain and what is wrong with it,
the same walk ``use`` resolves with), ``providers.describe`` (what is cached) and
``plan.decide`` (what ``use`` would export). Nothing here logs in or writes a file.
"""

from __future__ import annotations

import os

from awsenv import plan, profiles, providers
from awsenv.config.read import Files
from awsenv.diagnose.model import (
    ASSUME_ROLE,
    ASSUME_ROLE_SAML,
    ASSUME_ROLE_WEB_IDENTITY,
    DEVICE_CODE,
    ERROR,
    FROM_CONTAINER,
    FROM_ENVIRONMENT,
    FROM_INSTANCE,
    LEGACY_SSO,
    MFA_PROMPT,
    MISSING_SOURCE_PROFILE,
    MISSING_TOKEN_FILE,
    NOTHING,
    OKTA_DEVICE,
    OKTA_REFRESH,
    PKCE,
    READ_SAML_FILE,
    REFRESH,
    RUN_PROCESS,
    SDK,
    SOURCE_PROFILE_CHAIN_TOO_DEEP,
    SOURCE_PROFILE_CYCLE,
    USE_CACHE,
    WARNING,
    Explanation,
    Exports,
    Hop,
    Problem,
    Step,
    key_hint,
)
from awsenv.providers.cached import (
    EXPIRED,
    EXPIRING,
    INCOMPLETE,
    MISSING,
    TORN,
    UNREADABLE,
    VALID,
    CacheFile,
    SsoInfo,
)
from awsenv.sso import tokens

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from awsenv.config import Section


def _text(section: Mapping[str, object], key: str) -> str | None:
    value = section.get(key)
    return value if isinstance(value, str) else None


# --- problems: what profiles.walk found, with doctor's wording ---------------------------------


def _cycle_problem(files: Files, issue: profiles.Issue) -> Problem:
    """Describe a cycle starting from its member that comes first in the files (stable text)."""
    walked = list(issue.chain)
    loop = walked[walked.index(walked[-1]) :]
    members = loop[:-1]
    order = {n: i for i, n in enumerate(files.names())}
    start = min(range(len(members)), key=lambda i: order.get(members[i], len(order)))
    rotated = members[start:] + members[:start]
    shown = " -> ".join(repr(p) for p in [*rotated, rotated[0]])
    return Problem(
        SOURCE_PROFILE_CYCLE,
        ERROR,
        f"source_profile cycle: {shown}",
        profile=rotated[0],
        hint=issue.hint,
    )


def problem(files: Files, issue: profiles.Issue) -> Problem:
    """Return the issue as doctor's Problem (the place is named where a person looks first)."""
    chain = issue.chain
    if issue.id == SOURCE_PROFILE_CYCLE and len(chain) > 1 and chain[-1] in chain[:-1]:
        return _cycle_problem(files, issue)
    named = issue.id in (MISSING_SOURCE_PROFILE, LEGACY_SSO)
    origin = files.origin(issue.profile) if named else None
    # a chain too deep is the same problem from each of its profiles: doctor shows it once
    deep = issue.id == SOURCE_PROFILE_CHAIN_TOO_DEEP
    return Problem(
        issue.id,
        issue.severity,
        issue.message(origin),
        profile=issue.profile,
        path=issue.path,
        hint=issue.hint,
        same_as=" -> ".join(chain[len(chain) // 2 :]) if deep else None,
    )


def _program(command: str) -> str:
    """Return the program a ``credential_process`` runs (its arguments may hold secrets)."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return words[0] if words else ""


def _hop(files: Files, name: str, kind: str, section: Section, source: str | None) -> Hop:
    notes: list[str] = []
    role_arn = _text(section, "role_arn")
    mfa_serial = _text(section, "mfa_serial") if kind == profiles.ASSUME_ROLE else None
    if kind == profiles.ASSUME_ROLE:
        if "external_id" in section:
            notes.append("external_id set")
        if _text(section, "role_session_name"):
            notes.append(f"role_session_name {_text(section, 'role_session_name')}")
        if _text(section, "duration_seconds"):
            notes.append(f"duration_seconds {_text(section, 'duration_seconds')}")
    elif kind == profiles.STATIC:
        shown = key_hint(_text(section, "aws_access_key_id"))
        notes.append(f"static keys present (access key id {shown})")
        if "aws_session_token" in section or "aws_security_token" in section:
            notes.append("session token present")
    elif kind == profiles.SSO:
        session = _text(section, "sso_session")
        notes.append(f"sso-session {session}" if session else "legacy SSO (no sso-session)")
        account, role = _text(section, "sso_account_id"), _text(section, "sso_role_name")
        notes.append(f"account {account or '?'}, role {role or '?'}")
    elif kind == profiles.WEB_IDENTITY:
        token_file = _text(section, "web_identity_token_file") or ""
        present = "present" if os.path.isfile(token_file) else "missing"
        notes.append(f"web_identity_token_file {token_file} ({present})")
    elif kind == profiles.PROCESS:
        notes.append(
            f"credential_process runs {_program(_text(section, 'credential_process') or '')}"
            " (arguments not shown)"
        )
    elif kind == profiles.SAML:
        assertion = _text(section, "saml_assertion_file") or ""
        present = "present" if os.path.isfile(os.path.expanduser(assertion)) else "missing"
        notes.append(f"saml_assertion_file {assertion} ({present})")
    elif kind == profiles.OKTA:
        org = _text(section, "okta_org_domain") or _text(section, "okta_org_url") or "?"
        notes.append(f"Okta org {org}")
        notes.append(f"OIDC client {_text(section, 'okta_oidc_client_id') or '?'}")
        notes.append(f"AWS federation app {_text(section, 'okta_aws_acct_fed_app_id') or '?'}")
    elif kind == profiles.LOGIN:
        notes.append(f"login_session {_text(section, 'login_session')}")
    elif kind == profiles.KEYCHAIN:
        notes.append(
            "long-lived keys in the OS keychain (service awsenv); not read by explain, never shown"
        )
        notes.append("programs get STS session credentials from 'awsenv credential-process'")
    elif kind in profiles.CREDENTIAL_SOURCES:
        notes.append(
            {
                "Environment": "keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                "Ec2InstanceMetadata": "the EC2 instance role (IMDS)",
                "EcsContainer": "the ECS/EKS container role",
            }[kind]
        )
    elif kind == profiles.NONE:
        notes.append("no credentials")
    if kind in (profiles.SAML, profiles.OKTA):
        preset = _text(section, "saml_role_arn")
        notes.append(f"saml_role_arn {preset}" if preset else "role picked from the assertion")
    return Hop(
        profile=name,
        kind=kind,
        defined_at=files.origin(name),
        role_arn=role_arn if kind in (profiles.ASSUME_ROLE, profiles.WEB_IDENTITY) else None,
        mfa_serial=mfa_serial,
        source=source,
        notes=tuple(notes),
    )


def _left(expires_at: int | None, now: float) -> str:
    from awsenv.ui import human_duration

    return human_duration(int(expires_at - now)) if expires_at is not None else "?"


def _sso_steps(files: Files, info: SsoInfo, environ: Mapping[str, str], now: float) -> list[Step]:
    """What ``use`` does about the SSO token: reuse, refresh, or which login and why."""
    from awsenv.sso import login

    token = info.token
    who = info.profile
    if token.state == VALID:
        return [
            Step(
                who,
                USE_CACHE,
                f"the cached SSO token is valid for {_left(token.expires_at, now)}; no login",
            )
        ]
    if token.state in (EXPIRING, EXPIRED) and info.refreshable:
        return [
            Step(
                who,
                REFRESH,
                "the cached token has under 15 minutes left and holds a refresh token: "
                "refreshed silently, no browser (a login only if the refresh is refused)",
            )
        ]
    if token.state == EXPIRING:
        return [
            Step(
                who,
                USE_CACHE,
                f"the cached token has {_left(token.expires_at, now)} left and cannot be "
                "refreshed: used as it is, then a new login",
            )
        ]
    why = {
        MISSING: "no SSO token is cached for this session",
        EXPIRED: "the cached token has expired and cannot be refreshed"
        + (" (legacy profile)" if info.legacy else " (no refresh token, or its client expired)"),
        TORN: "the cached token file is torn",
        INCOMPLETE: "the cached token file lacks a token",
        UNREADABLE: "the cached token file cannot be read",
    }.get(token.state, "no usable token")
    sess = tokens.SsoSession(info.session, info.start_url, info.region)
    settings: Mapping[str, object] = (
        (files.sso_session(info.session) or {}) if info.session is not None else {}
    )
    flow, reason = login.choose_flow(sess, settings, login.LoginOptions(), environ)
    configured = settings.get("awsenv_login_flow")
    if reason is None:
        if configured in (login.DEVICE, login.PKCE):
            reason = f"awsenv_login_flow = {configured} in [sso-session {info.session}]"
        elif info.legacy:
            reason = "a legacy profile logs in with a device code, as the AWS CLI does"
        else:
            reason = (
                "a browser sign-in with PKCE, as the AWS CLI v2 does "
                "(awsenv use --device-code asks for a device code instead)"
            )
    action = PKCE if flow == login.PKCE else DEVICE_CODE
    return [Step(who, action, f"{why}: {reason}")]


def _root_steps(
    files: Files,
    environ: Mapping[str, str],
    node: tuple[str, str, Section],
    sso: SsoInfo | None,
    now: float,
) -> list[Step]:
    name, kind, section = node
    if kind == profiles.STATIC:
        return [Step(name, NOTHING, "static keys from the file: nothing to log in to")]
    if kind == profiles.SSO:
        return _sso_steps(files, sso, environ, now) if sso is not None else []
    if kind == profiles.WEB_IDENTITY:
        return [
            Step(
                name,
                ASSUME_ROLE_WEB_IDENTITY,
                "STS AssumeRoleWithWebIdentity with the token read from web_identity_token_file",
            )
        ]
    if kind == profiles.PROCESS:
        program = _program(_text(section, "credential_process") or "")
        return [Step(name, RUN_PROCESS, f"runs {program} for the credentials")]
    if kind == profiles.KEYCHAIN:
        return [
            Step(
                name,
                RUN_PROCESS,
                "every SDK runs 'awsenv credential-process', which signs STS GetSessionToken "
                "with the keys in the OS keychain and hands out the session, never the keys",
            )
        ]
    if kind == profiles.LOGIN:
        return [
            Step(
                name,
                SDK,
                "botocore's login provider refreshes the 'aws login' session itself; "
                "awsenv never signs in (run 'aws login' when it has expired)",
            )
        ]
    if kind == "Environment":
        present = bool(environ.get("AWS_ACCESS_KEY_ID"))
        return [
            Step(
                name,
                FROM_ENVIRONMENT,
                "the keys in the environment sign the AssumeRole"
                + ("" if present else " (AWS_ACCESS_KEY_ID is not set here)"),
            )
        ]
    if kind == "Ec2InstanceMetadata":
        return [Step(name, FROM_INSTANCE, "the EC2 instance role signs the AssumeRole")]
    if kind == "EcsContainer":
        return [Step(name, FROM_CONTAINER, "the container's role signs the AssumeRole")]
    return []


def _role_steps(
    files: Files,
    environ: Mapping[str, str],
    nodes: list[tuple[str, str, Section]],
    sso: SsoInfo | None,
    caches: dict[str, CacheFile],
    *,
    keys_mode: bool,
    now: float,
    mfa_session: CacheFile | None = None,
) -> list[Step]:
    """Steps for a role chain, in the order they run (the root first).

    As ``use`` does it: exporting AWS_PROFILE, an SSO login at the root is made sure of first,
    then the profile's cached role session is looked at; exporting keys (an MFA chain), the
    cached session comes first and the SSO login only when it is missing.
    """
    root = nodes[-1]
    down: list[Step] = []  # from the profile towards the root
    reached_root = True
    # an MFA session's code is asked for at the role nearest the root that names the device
    asks = [hop for hop, _kind, hop_section in nodes[:-1] if _text(hop_section, "mfa_serial")]
    session_hop = asks[-1] if asks and mfa_session is not None else None
    for name, kind, section in nodes[:-1]:
        cached = caches.get(name)
        if cached is not None and cached.state == VALID:
            down.append(
                Step(
                    name,
                    USE_CACHE,
                    f"the AWS CLI cache holds this role's credentials for "
                    f"{_left(cached.expires_at, now)}: no STS call"
                    + (", no MFA code" if _text(section, "mfa_serial") else ""),
                )
            )
            reached_root = False
            break
        arn = _text(section, "role_arn") or "?"
        if mfa_session is not None and name == session_hop:
            serial = _text(section, "mfa_serial") or "the MFA device"
            down.append(_session_step(name, arn, serial, mfa_session, root[0], now))
        elif mfa_session is not None:
            down.append(Step(name, ASSUME_ROLE, f"STS AssumeRole {arn}"))
        elif kind == profiles.ASSUME_ROLE and _text(section, "mfa_serial"):
            down.append(
                Step(
                    name,
                    MFA_PROMPT,
                    f"asks for the MFA code of {_text(section, 'mfa_serial')} on the terminal "
                    f"(or --mfa-code), then STS AssumeRole {arn}; the session is cached in "
                    "~/.aws/cli/cache, so neither awsenv nor the AWS CLI asks again while it lasts",
                )
            )
        else:
            down.append(Step(name, ASSUME_ROLE, f"STS AssumeRole {arn}"))
    steps = list(reversed(down))
    top_cached = bool(down) and down[0].action == USE_CACHE
    sso_root = root[1] == profiles.SSO
    if reached_root or (sso_root and not (keys_mode and top_cached)):
        return _root_steps(files, environ, root, sso, now) + steps
    return steps


def _session_step(
    name: str, arn: str, serial: str, session: CacheFile, root: str, now: float
) -> Step:
    """The first role over long-lived keys, assumed from the root's MFA session."""
    if session.state == VALID:
        return Step(
            name,
            ASSUME_ROLE,
            f"STS AssumeRole {arn} with the MFA session of {root!r} (it lasts "
            f"{_left(session.expires_at, now)} more): no MFA code",
        )
    return Step(
        name,
        MFA_PROMPT,
        f"asks for the code of {serial} on the terminal (or "
        f"--mfa-code) once, for an MFA session of {root!r} (STS GetSessionToken, cached in "
        f"{session.path}) that every MFA role over {root!r} then uses in every shell; then STS "
        f"AssumeRole {arn}",
    )


def _saml_steps(name: str, section: Section, caches: list[CacheFile], now: float) -> list[Step]:
    keys = caches[0]
    if keys.state == VALID:
        return [
            Step(
                name,
                USE_CACHE,
                f"awsenv's cache holds keys for {_left(keys.expires_at, now)}: no sign-in",
            )
        ]
    steps = []
    if profiles.classify(section) == profiles.SAML:
        steps.append(
            Step(
                name,
                READ_SAML_FILE,
                f"reads the SAMLResponse saved in {_text(section, 'saml_assertion_file')}",
            )
        )
    else:
        tokens_file = caches[1] if len(caches) > 1 else None
        if tokens_file is not None and tokens_file.state == VALID:
            steps.append(
                Step(
                    name,
                    USE_CACHE,
                    f"the Okta sign-in is cached for {_left(tokens_file.expires_at, now)}: "
                    "no browser",
                )
            )
        elif tokens_file is not None and tokens_file.refresh_token:
            steps.append(
                Step(
                    name,
                    OKTA_REFRESH,
                    "the cached Okta sign-in is refreshed with its refresh token, no browser "
                    "(a device sign-in only if Okta refuses)",
                )
            )
        else:
            steps.append(
                Step(
                    name,
                    OKTA_DEVICE,
                    "no usable Okta sign-in is cached: an Okta device sign-in in the browser, "
                    "as okta-aws-cli's web flow does",
                )
            )
    preset = _text(section, "saml_role_arn")
    steps.append(
        Step(
            name,
            ASSUME_ROLE_SAML,
            f"STS AssumeRoleWithSAML for {preset}"
            if preset
            else "STS AssumeRoleWithSAML for the role the assertion offers (a picker on the "
            "terminal when it offers several, or --role)",
        )
    )
    return steps


def dedupe(found: Iterable[Problem]) -> list[Problem]:
    """Keep each problem once (the same problem seen from two profiles), in order."""
    seen: set[tuple[str, str | None, str | None, str]] = set()
    out = []
    for problem in found:
        if problem.key not in seen:
            seen.add(problem.key)
            out.append(problem)
    return out


def _token_file_problem(issue: Problem, cached: CacheFile | None, now: float) -> Problem:
    """A missing token file stops ``use`` only when no cached role session can serve it."""
    if cached is None or cached.state != VALID:
        return issue
    return Problem(
        issue.id,
        WARNING,
        f"{issue.message}; use works from the cached role session for "
        f"{_left(cached.expires_at, now)}",
        profile=issue.profile,
        path=issue.path,
        hint=issue.hint,
    )


def _exports(
    environ: Mapping[str, str], resolved: profiles.Resolved, region: str | None
) -> Exports:
    """What ``use PROFILE`` (without --keys) exports: ``plan.decide``, the decision use makes."""
    from awsenv.providers import chain

    decision = plan.decide(resolved)
    # keys assumed from an MFA session renew until it ends (AWSENV_RENEWABLE)
    renewable = chain.mfa_serial(resolved) is not None
    names, clears = decision.variables(environ, resolved.name, region, renewable=renewable)
    return Exports(
        mode=decision.mode,
        set=names,
        clears=clears,
        region=region,
        reason=decision.reason,
        shell_function=bool(environ.get("AWSENV_SHELL")),
    )


def explain(files: Files, environ: Mapping[str, str], name: str, *, now: float) -> Explanation:
    """Describe how ``name`` resolves and what ``awsenv use name`` would do (no login).

    Raises:
        ProfileNotFound: the profile is in neither file (with close-match suggestions).
    """
    section = profiles.lookup(files, name)
    walked = profiles.walk(files, name, section)
    nodes = walked.nodes
    kind = nodes[0][1]
    hops = []
    for index, (hop_name, hop_kind, hop_section) in enumerate(nodes):
        source = None
        if index + 1 < len(nodes):
            next_name = nodes[index + 1][0]
            source = (
                f"credential_source {next_name[1:-1]}"
                if next_name.startswith("<")
                else f"source_profile {next_name}"
            )
        hops.append(_hop(files, hop_name, hop_kind, hop_section, source))
    cached = providers.describe(files, nodes, environ, now=now)
    sso, caches, role_caches = cached.sso, cached.files, cached.role
    steps: list[Step] = []
    if kind == profiles.SSO and sso is not None:
        steps = _sso_steps(files, sso, environ, now)
    elif kind in (profiles.SAML, profiles.OKTA):
        saml_caches = [c for c in caches if c.what in ("saml-credentials", "okta-tokens")]
        steps = _saml_steps(name, section, saml_caches, now)
    elif kind == profiles.WEB_IDENTITY:
        own = role_caches.get(name)
        if own is not None and own.state == VALID:
            steps = [
                Step(
                    name,
                    USE_CACHE,
                    f"the AWS CLI cache holds this role's credentials for "
                    f"{_left(own.expires_at, now)}: no STS call",
                )
            ]
        else:
            steps = _root_steps(files, environ, nodes[-1], sso, now)
    elif kind == profiles.ASSUME_ROLE and len(nodes) > 1:
        resolved = _resolved(name, section, nodes)
        steps = _role_steps(
            files,
            environ,
            nodes,
            sso,
            role_caches,
            keys_mode=resolved.needs_mfa,
            now=now,
            mfa_session=cached.mfa_session,
        )
    elif kind in (profiles.STATIC, profiles.PROCESS, profiles.LOGIN, profiles.KEYCHAIN):
        steps = _root_steps(files, environ, nodes[-1], sso, now)
    elif kind == profiles.NONE:
        steps = [Step(name, NOTHING, "the profile holds no credentials: nothing to log in to")]
    found = []
    for issue in walked.issues:
        item = problem(files, issue)
        if issue.id == MISSING_TOKEN_FILE:
            item = _token_file_problem(item, role_caches.get(issue.profile), now)
        found.append(item)
    account, role = profiles.account_and_role(section)
    region = _text(section, "region")
    return Explanation(
        profile=name,
        kind=kind,
        defined_at=files.origin(name),
        account=account,
        role=role,
        region=region,
        chain=tuple(hops),
        sso=sso,
        caches=tuple(caches),
        steps=tuple(steps),
        exports=_exports(environ, _resolved(name, section, nodes), region),
        problems=tuple(dedupe(found)),
    )


def _resolved(
    name: str, section: Section, nodes: list[tuple[str, str, Section]]
) -> profiles.Resolved:
    """The chain as far as the walk got, in the shape ``use`` decides on."""
    chain = tuple((hop, kind) for hop, kind, _section in nodes)
    return profiles.Resolved(name, nodes[0][1], section, chain, tuple(s for _n, _k, s in nodes))
