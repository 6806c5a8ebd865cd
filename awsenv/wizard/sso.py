"""``awsenv configure sso`` and ``configure sso-session``: from a start URL to a working profile.

The questions are those of ``aws configure sso``, each with a flag and, where one makes sense, a
default: the session name (from the start URL), the start URL, the SSO region (Tab completes
the region list), the registration scopes; then a sign-in as ``awsenv login`` signs in
(``providers.sso``: PKCE in a browser, ``--device-code``, ``--no-browser``, a device code over
SSH), the account (ListAccounts) and its role (ListAccountRoles) through the picker, the default
region, the output format and the profile name (the account name and role slugged, as
``sso sync`` names profiles). The keys written are the AWS CLI's. A session with the same start
URL is reused, and a profile that already points at the account and role keeps its name and is
updated in place: answering the same again changes no byte.

What ``sso sync`` shares with it lives here too: :func:`covered` and :func:`plan_sections`.
"""

from __future__ import annotations

from awsenv.config.edit import base_name, free_name, slug
from awsenv.errors import AwsenvError, UsageError
from awsenv.wizard import check_profile_name, check_region, parse_files, regions, today

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.config import Parsed
    from awsenv.config.edit import NewSection
    from awsenv.sso import tokens
    from awsenv.wizard import Asker

DEFAULT_SCOPES = "sso:account:access"
OUTPUTS = ("json", "text", "table", "yaml", "yaml-stream")


def _url(value: object) -> str | None:
    return value.rstrip("/") if isinstance(value, str) else None


def covered(parsed: Parsed, sess: tokens.SsoSession) -> set[tuple[str, str]]:
    """Return the (account, role) pairs some profile already reaches through this portal."""
    start_url = _url(sess.start_url)
    pairs: set[tuple[str, str]] = set()
    for section in parsed.profiles.values():
        account, role = section.get("sso_account_id"), section.get("sso_role_name")
        if not isinstance(account, str) or not isinstance(role, str):
            continue
        session_name = section.get("sso_session")
        if isinstance(session_name, str):
            other = parsed.sso_sessions.get(session_name) or {}
            same = session_name == sess.name or _url(other.get("sso_start_url")) == start_url
        else:
            same = _url(section.get("sso_start_url")) == start_url
        if same:
            pairs.add((account, role))
    return pairs


def plan_sections(
    parsed: Parsed,
    sess: tokens.SsoSession,
    found: list[tuple[str, str, str]],
    prefix: str,
) -> list[tuple[NewSection, str, str, str]]:
    """Choose the profiles to add: (section, account id, account name, role), in a stable order."""
    from awsenv.config import edit as configwrite

    session_name = str(sess.name)  # sso sync works on named sessions only
    done = covered(parsed, sess)
    taken = set(parsed.profiles)
    planned: list[tuple[NewSection, str, str, str]] = []
    for account_id, account_name, role in sorted(
        set(found), key=lambda item: (slug(item[1]), item[0], item[2])
    ):
        if (account_id, role) in done:
            continue
        name = free_name(base_name(prefix, account_id, account_name, role), account_id, taken)
        items = (
            ("sso_session", session_name),
            ("sso_account_id", account_id),
            ("sso_role_name", role),
        )
        try:
            section = configwrite.profile_section(name, items)
        except ValueError as exc:
            raise AwsenvError(f"cannot add profile {name!r}: {exc}") from None
        taken.add(name)
        done.add((account_id, role))
        planned.append((section, account_id, account_name, role))
    return planned


def existing_profile(
    parsed: Parsed, sess: tokens.SsoSession, account: str, role: str
) -> str | None:
    """Return the first profile that already reaches ``account`` and ``role`` through ``sess``."""
    start_url = _url(sess.start_url)
    for name, section in parsed.profiles.items():
        if section.get("sso_account_id") != account or section.get("sso_role_name") != role:
            continue
        session_name = section.get("sso_session")
        if session_name == sess.name:
            return name
        if isinstance(session_name, str):
            other = parsed.sso_sessions.get(session_name) or {}
            if _url(other.get("sso_start_url")) == start_url:
                return name
    return None


# --- the answers ---------------------------------------------------------------------------


def check_start_url(url: str) -> str:
    """Return the start URL if it is an https URL; warn when it does not look like a portal."""
    from urllib.parse import urlsplit

    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        host = ""
        parts = None
    if parts is None or parts.scheme != "https" or not host:
        raise UsageError(
            f"start URL {url!r} is not an https URL",
            hint="it looks like https://<name>.awsapps.com/start (the AWS access portal)",
        )
    portal = host.endswith((".awsapps.com", ".awsapps.cn")) or ".app.aws" in host
    if not portal:
        from awsenv import ui

        ui.warn(
            f"{host} does not look like an AWS access portal (<name>.awsapps.com/start); "
            "using it anyway"
        )
    return url


def check_output(output: str) -> str:
    """Return ``output`` if the AWS CLI knows it as an output format."""
    output = output.strip()
    if output not in OUTPUTS:
        raise UsageError(
            f"output format {output!r} is unknown", hint="one of " + ", ".join(OUTPUTS)
        )
    return output


def _check_session_name(name: str) -> str:
    from awsenv.config import edit as configwrite

    name = name.strip()
    try:
        configwrite.check_header(f"sso-session {name}")
    except ValueError:
        name = ""
    if not name or any(c.isspace() or c in "'\"\\" for c in name):
        raise UsageError(
            f"session name {name!r} cannot be written as [sso-session NAME]",
            hint="use letters, digits, '-', '_' or '.'",
        )
    return name


class Session:
    """The session the wizard signs in with, and its section (set in place if it exists)."""

    def __init__(self, sess: tokens.SsoSession, section: NewSection, reused: bool) -> None:
        self.sess = sess
        self.section = section
        self.reused = reused


def ask_session(asker: Asker, parsed: Parsed) -> Session:
    """Ask for the session (or take the one with the same start URL); what to write for it."""
    from awsenv import ui
    from awsenv.config import legacy_fix
    from awsenv.config.edit import NewSection
    from awsenv.sso import tokens

    sessions = parsed.sso_sessions
    named = asker.given("--sso-session")
    existing = sessions.get(named) if named else None
    if existing is not None and asker.given("--start-url") is None:
        url = str(existing.get("sso_start_url") or "")
        if not url:
            raise AwsenvError(f"[sso-session {named}] has no sso_start_url")
    else:
        url = asker.text("--start-url", "SSO start URL", check=check_start_url)
    same = [n for n, s in sessions.items() if _url(s.get("sso_start_url")) == _url(url)]
    default = same[0] if same else legacy_fix.session_name(url, set(sessions))
    name = asker.text(
        "--sso-session", "SSO session name", default=default, check=_check_session_name
    )
    have = sessions.get(name)
    if have is not None and _url(have.get("sso_start_url")) != _url(url):
        raise UsageError(
            f"[sso-session {name}] already has start URL {have.get('sso_start_url')}",
            hint="choose another session name (--sso-session)",
        )
    if have is not None:
        ui.info(f"using [sso-session {name}], which has this start URL")
        region = asker.given("--sso-region") or str(have.get("sso_region") or "")
        if not region:
            region = asker.text("--sso-region", "SSO region", words=regions())
        region = check_region(region)
        scopes = asker.given("--scopes") or have.get("sso_registration_scopes")
    else:
        region = asker.text("--sso-region", "SSO region", words=regions(), check=check_region)
        scopes = asker.text("--scopes", "SSO registration scopes", default=DEFAULT_SCOPES)
    items = [("sso_start_url", url), ("sso_region", region)]
    if isinstance(scopes, str):
        items.append(("sso_registration_scopes", scopes))
    sess = tokens.SsoSession(
        name, url, region, tokens.parse_scopes(scopes) if isinstance(scopes, str) else None
    )
    return Session(sess, NewSection(f"sso-session {name}", items), have is not None)


# --- the commands --------------------------------------------------------------------------


def configure_session(args: Args, environ: Mapping[str, str]) -> str:
    """``awsenv configure sso-session``: write (or update) one ``[sso-session]`` only."""
    from awsenv import wizard

    asker = wizard.Asker(args, "configure sso-session")
    named = asker.given("--sso-session")
    parsed = parse_files(environ)
    needed = ["--yes"]
    if not (named and named in parsed.sso_sessions):
        needed[:0] = ["--start-url", "--sso-region"]
    asker.require(needed)
    session = ask_session(asker, parsed)
    wizard.write(
        asker,
        environ,
        [session.section],
        comment=f"Added by awsenv configure sso-session on {today()}",
    )
    return ""


def configure_sso(args: Args, environ: Mapping[str, str]) -> str:
    """``awsenv configure sso``: a session, a sign-in, an account and role, a profile."""
    from awsenv import ui, wizard
    from awsenv.config import ConfigFiles
    from awsenv.providers import Context, sso
    from awsenv.sso import portal

    asker = wizard.Asker(args, "configure sso")
    named = asker.given("--sso-session")
    parsed = parse_files(environ)  # a file botocore rejects is reported before any question
    needed = ["--account", "--role", "--yes"]
    if not (named and named in parsed.sso_sessions):
        needed[:0] = ["--start-url", "--sso-region"]
    asker.require(needed)
    session = ask_session(asker, parsed)
    sess = session.sess
    ctx = Context(
        environ,
        device_code=bool(args.get("device_code")),
        no_browser=bool(args.get("no_browser")),
    )
    files = ConfigFiles(environ)

    def listed(call: object) -> object:
        return sso.with_token(files, sess, call, profile=None, ctx=ctx)  # type: ignore[arg-type]

    accounts: list[tuple[str, str]] = listed(  # type: ignore[assignment]
        lambda token: portal.accounts(environ, sess, token)
    )
    names = dict(accounts)
    account = asker.pick(
        "--account",
        "account",
        [(account_id, name, []) for account_id, name in accounts],
        match=lambda value, row: value.lower() == names[row[0]].lower(),
    )
    roles: list[str] = listed(  # type: ignore[assignment]
        lambda token: portal.account_roles(environ, sess, token, account)
    )
    role = asker.pick("--role", "role", [(r, r, []) for r in roles])

    parsed = parse_files(environ)  # the sign-in took time; the file may have changed meanwhile
    known = existing_profile(parsed, sess, account, role)
    old = parsed.profiles.get(known or "", {})
    region = asker.text(
        "--region",
        "Default client region",
        default=str(old.get("region") or sess.region),
        words=regions(),
        check=check_region,
    )
    output = asker.text(
        "--output",
        "CLI default output format (" + ", ".join(OUTPUTS) + ")",
        default=str(old.get("output") or "json"),
        words=OUTPUTS,
        check=check_output,
    )
    default_name = known or free_name(
        base_name("", account, names[account], role), account, set(parsed.profiles)
    )
    profile = asker.text(
        "--profile", "Profile name", default=default_name, check=check_profile_name
    )
    section = _profile_section(
        profile,
        [
            ("sso_session", str(sess.name)),
            ("sso_account_id", account),
            ("sso_role_name", role),
            ("region", region),
            ("output", output),
        ],
    )
    wizard.write(
        asker,
        environ,
        [session.section, section],
        comment=f"Added by awsenv configure sso on {today()}",
    )
    if asker.offer("Add a profile for every other account and role this sign-in can use?"):
        _sync(asker, environ, sess, files, ctx)
    ui.info(f"to use it: awsenv use {profile}")
    return ""


def _profile_section(name: str, items: list[tuple[str, str]]) -> NewSection:
    from awsenv.config import edit as configwrite

    try:
        return configwrite.profile_section(name, items)
    except ValueError as exc:
        raise AwsenvError(f"cannot write profile {name!r}: {exc}") from None


def _sync(
    asker: Asker,
    environ: Mapping[str, str],
    sess: tokens.SsoSession,
    files: object,
    ctx: object,
) -> None:
    """Add the other account roles as ``sso sync`` does (shown and confirmed like the rest)."""
    from awsenv import ui, wizard
    from awsenv.providers import sso
    from awsenv.sso import portal

    found = sso.with_token(
        files,  # type: ignore[arg-type]
        sess,
        lambda token: portal.accounts_and_roles(environ, sess, token, profile=None),
        profile=None,
        ctx=ctx,  # type: ignore[arg-type]
    )
    planned = plan_sections(parse_files(environ), sess, found, "")
    if not planned:
        ui.info("every account role of this sign-in already has a profile")
        return
    wizard.write(
        asker,
        environ,
        [p[0] for p in planned],
        comment=f"Added by awsenv sso sync (sso-session {sess.name}) on {today()}",
    )
