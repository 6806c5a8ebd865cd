"""``awsenv configure role``: a profile that assumes a role with another profile's credentials.

The questions, each with a flag: the source profile (the picker over the profiles there are),
the role's ARN, the MFA device (at a terminal the caller's own devices from IAM ListMFADevices
when the source's keys may list them, else its ARN; empty: none), the external id, the role
session name, the duration (900 to 43200 seconds), the region (default: the source's) and the
profile name (default: the role's name slugged, as ``configure sso`` names profiles). Before
anything is written the role is assumed once, as ``use --role-arn`` assumes it
(``providers.assume``: the source's keys from ``providers.obtain``, an MFA code from
``--mfa-code`` or the terminal); a role that cannot be assumed is reported in one line and
nothing is written unless ``--force``. The answer is cached where botocore looks for the new
profile's role, so the first ``awsenv use`` of it needs no second MFA code.

The profile gets ``role_arn``, ``source_profile`` and, when given, ``mfa_serial``,
``external_id``, ``role_session_name``, ``duration_seconds`` and ``region``, as botocore reads
them. A profile that already assumes this role from this source keeps its name and is updated in
place: the same answers again change no byte.
"""

from __future__ import annotations

from awsenv.errors import AwsenvError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.config import ConfigFiles, Parsed, Section
    from awsenv.exports import Keys
    from awsenv.providers.adhoc import Spec
    from awsenv.wizard import Asker

NO_DEVICE = "none"  # the picker's row for "no MFA device" (no serial number is this short)
_SERIAL_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=/:,.@-"
)  # STS SerialNumber: [\w+=/:,.@-]{9,256}


# --- the answers ---------------------------------------------------------------------------


def check_role_arn(value: str) -> str:
    """Return ``value`` if it is an IAM role's ARN, else raise UsageError."""
    from awsenv.providers import adhoc

    value = value.strip()
    if not adhoc.valid_arn(value):
        raise UsageError(
            f"--role-arn {value!r} is not the ARN of an IAM role",
            hint=f"a role ARN looks like {adhoc.ARN_EXAMPLE}",
        )
    return value


def check_mfa_serial(value: str) -> str:
    """Return ``value`` if STS takes it as an MFA device's SerialNumber, else raise UsageError."""
    value = value.strip()
    if not (9 <= len(value) <= 256 and set(value) <= _SERIAL_CHARS):
        raise UsageError(
            f"--mfa-serial {value!r} is not the ARN or serial number of an MFA device",
            hint="a virtual device's ARN looks like arn:aws:iam::123456789012:mfa/NAME",
        )
    return value


def _external_id(value: str) -> str:
    from awsenv.providers import adhoc

    return adhoc.check_external_id(value.strip(), "--external-id")


def _session_name(value: str) -> str:
    from awsenv.providers import adhoc

    return adhoc.check_session_name(value.strip(), "--role-session-name")


def _duration(value: str) -> str:
    from awsenv.providers import adhoc

    return str(adhoc.check_duration(value, "--duration-seconds"))


def existing_profile(parsed: Parsed, role_arn: str, source: str) -> str | None:
    """Return the first profile that already assumes ``role_arn`` with ``source``'s credentials."""
    for name, section in parsed.profiles.items():
        if section.get("role_arn") == role_arn and section.get("source_profile") == source:
            return name
    return None


def _text(section: Section, key: str) -> str:
    value = section.get(key)
    return value if isinstance(value, str) else ""


# --- the MFA device --------------------------------------------------------------------------


def _source_keys(files: ConfigFiles, environ: Mapping[str, str], source: str) -> Keys | None:
    """The source profile's keys as ``use`` gets them; None (and a warning) if they cannot be."""
    from awsenv import profiles, providers, ui

    try:
        return providers.obtain(files, profiles.resolve(files, source), providers.Context(environ))
    except AwsenvError as exc:
        ui.warn(f"cannot list the MFA devices of profile {source!r}: {exc.message}")
        return None


def ask_mfa_device(
    asker: Asker,
    files: ConfigFiles,
    environ: Mapping[str, str],
    source: str,
    *,
    default: str,
    region: str | None,
) -> str:
    """``--mfa-serial``, else at a terminal one of the caller's devices or an ARN; "" for none."""
    given = asker.given("--mfa-serial")
    if given is not None:
        return check_mfa_serial(given) if given.strip() else ""
    if not asker.interactive:
        return default
    from awsenv.providers import role

    keys = _source_keys(files, environ, source)
    devices = role.mfa_devices(environ, source, keys, region=region) if keys else None
    if devices:
        rows = [(serial, serial, ["mfa"]) for serial in devices]
        rows.append((NO_DEVICE, "no MFA device", []))
        chosen = asker.pick("--mfa-serial", "MFA device", rows)
        return "" if chosen == NO_DEVICE else chosen
    return asker.text(
        "--mfa-serial",
        "MFA device ARN (empty: none)",
        default=default,
        check=check_mfa_serial,
        optional=True,
    )


# --- the check -------------------------------------------------------------------------------


def _mfa_code(asker: Asker, serial: str) -> str | None:
    """``--mfa-code``, else the code typed on the terminal; None when neither can be had."""
    given = asker.given("--mfa-code")
    if given is not None:
        return given.strip()
    if not asker.interactive:
        return None
    from awsenv.providers import mfa

    return mfa.tty_prompt(serial)


def can_assume(
    asker: Asker, environ: Mapping[str, str], spec: Spec, region: str
) -> AwsenvError | None:
    """Assume the role once as ``use --role-arn`` would; None if it worked, else why not."""
    from awsenv import profiles, providers, ui
    from awsenv.config import ConfigFiles
    from awsenv.providers import adhoc
    from awsenv.wizard import Interrupted

    files = ConfigFiles(environ)
    ctx = providers.Context(environ, region=region or None)
    try:
        source = profiles.resolve(files, spec.source)
        serial = spec.mfa_serial
        code = None
        if serial is not None and adhoc.cached(environ, spec) is None:
            code = _mfa_code(asker, serial)
        try:
            providers.assume(files, spec, source, ctx, token_code=code)
        except providers.WrongMfaCode:
            if serial is None or not asker.interactive or asker.given("--mfa-code") is not None:
                raise
            ui.warn("that MFA code was not accepted; one more try")
            providers.assume(files, spec, source, ctx, token_code=_mfa_code(asker, serial))
    except Interrupted:
        raise
    except AwsenvError as exc:
        return exc
    return None


def _reason(exc: AwsenvError) -> str:
    """STS's own words when it refused, else the message."""
    said = getattr(exc, "sts_message", None)
    return said if isinstance(said, str) and said else exc.message


# --- the command -----------------------------------------------------------------------------


def configure_role(args: Args, environ: Mapping[str, str]) -> str:
    """Ask, assume the role once, write the profile."""
    from awsenv import profiles, ui, wizard
    from awsenv.config import ConfigFiles
    from awsenv.config import edit as configwrite
    from awsenv.config.edit import free_name, slug
    from awsenv.providers import adhoc
    from awsenv.wizard import check_profile_name, check_region, parse_files, regions, today

    asker = wizard.Asker(args, "configure role")
    force = asker.given("--force") is not None
    needed = ["--source-profile", "--role-arn"]
    if asker.given("--mfa-serial") and not force:
        needed.append("--mfa-code")  # the check needs one, and there is no terminal to ask on
    needed.append("--yes")
    asker.require(needed)
    parsed = parse_files(environ)  # a file botocore rejects is reported before any question
    rows = [(name, name, [profiles.classify(section)]) for name, section in parsed.profiles.items()]
    source = asker.pick("--source-profile", "source profile", rows)
    role_arn = asker.text("--role-arn", f"Role ARN ({adhoc.ARN_EXAMPLE})", check=check_role_arn)
    known = existing_profile(parsed, role_arn, source)
    old = parsed.profiles.get(known or "", {})
    source_region = _text(parsed.profiles.get(source, {}), "region")
    files = ConfigFiles(environ)
    serial = ask_mfa_device(
        asker,
        files,
        environ,
        source,
        default=_text(old, "mfa_serial"),
        region=source_region or asker.given("--region"),
    )
    external_id = asker.text(
        "--external-id",
        "External id (empty: none)",
        default=_text(old, "external_id"),
        check=_external_id,
        optional=True,
    )
    session_name = asker.text(
        "--role-session-name",
        "Role session name (empty: one botocore makes up)",
        default=_text(old, "role_session_name"),
        check=_session_name,
        optional=True,
    )
    duration = asker.text(
        "--duration-seconds",
        f"Session duration in seconds, {adhoc.MIN_DURATION} to {adhoc.MAX_DURATION} "
        "(empty: the role's default, an hour)",
        default=_text(old, "duration_seconds"),
        check=_duration,
        optional=True,
    )
    region = asker.text(
        "--region",
        "Default region",
        default=_text(old, "region") or source_region,
        words=regions(),
        check=check_region,
        optional=True,
    )
    account = role_arn.split(":")[4]
    default_name = known or free_name(
        slug(role_arn.rsplit("/", 1)[-1]) or "role", account, set(parsed.profiles)
    )
    profile = asker.text(
        "--profile", "Profile name", default=default_name, check=check_profile_name
    )

    spec = adhoc.Spec(
        role_arn,
        source,
        external_id=external_id or None,
        session_name=session_name or None,
        duration=int(duration) if duration else None,
        mfa_serial=serial or None,
    )
    refused = can_assume(asker, environ, spec, region)
    if refused is None:
        ui.info(f"checked: profile {source!r} can assume {role_arn}")
    else:
        line = f"cannot assume {role_arn} with the credentials of profile {source!r}: " + _reason(
            refused
        )
        if not force:
            from awsenv.providers import MfaRequired

            hint = "fix the role's trust policy or the answers; --force writes it anyway"
            if isinstance(refused, MfaRequired):
                hint = "give the code with --mfa-code CODE, or run it at a terminal"
            raise AwsenvError(line + "; nothing was written", hint=hint)
        ui.warn(line + "; writing the profile anyway (--force)")

    items = [("role_arn", role_arn), ("source_profile", source)]
    for key, value in (
        ("mfa_serial", serial),
        ("external_id", external_id),
        ("role_session_name", session_name),
        ("duration_seconds", duration),
        ("region", region),
    ):
        if value:
            items.append((key, value))
    try:
        section = configwrite.profile_section(profile, items)
    except ValueError as exc:
        raise AwsenvError(f"cannot write profile {profile!r}: {exc}") from None
    wizard.write(asker, environ, [section], comment=f"Added by awsenv configure role on {today()}")
    ui.info(f"to use it: awsenv use {profile}")
    return ""
