"""``awsenv configure okta``: from an Okta org to a profile that signs in to one of its roles.

Asks for what okta-aws-cli's web flow needs (org domain, OIDC client id, AWS Account Federation
app id; flags named as okta-aws-cli names them), signs in by the device flow exactly as
``awsenv use`` of an Okta profile does (:func:`awsenv.okta.saml_assertion`, whose tokens are
cached, so the first ``use`` needs no second sign-in), offers the roles of the SAML assertion
through the picker, then asks for the region and the profile name. It writes the keys of
docs/cli.md ("Profile keys for SAML and Okta"): ``okta_org_domain`` or ``okta_org_url``,
``okta_oidc_client_id``, ``okta_aws_acct_fed_app_id``, ``okta_aws_iam_idp`` when given, and
``saml_role_arn`` / ``saml_principal_arn`` for the role, plus ``region``. ``--all-roles`` writes
one profile per role offered.
"""

from __future__ import annotations

from awsenv.errors import AwsenvError, InvalidProfile, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.config import Parsed
    from awsenv.saml import SamlRole

DEFAULT_REGION = "us-east-1"


def _org(settings: dict[str, str]) -> str:
    """Check the org settings as ``use`` will read them; their base URL."""
    from awsenv import profiles

    try:
        return profiles.org_base_url(settings, profile="(new)")
    except InvalidProfile as exc:
        raise UsageError(exc.message.split(": ", 1)[-1], hint=exc.hint) from None


def existing_profile(parsed: Parsed, settings: Mapping[str, str], role: SamlRole) -> str | None:
    """Return a profile that already signs in to this org, app and role."""
    keys = ("okta_org_domain", "okta_org_url", "okta_oidc_client_id", "okta_aws_acct_fed_app_id")
    for name, section in parsed.profiles.items():
        if section.get("saml_role_arn") != role.role_arn:
            continue
        if all(section.get(key) == settings.get(key) for key in keys):
            return name
    return None


def configure_okta(args: Args, environ: Mapping[str, str]) -> str:
    """Ask, sign in, pick a role (or take them all), write the profile(s)."""
    from awsenv import okta, saml, shells, ui, wizard
    from awsenv.config import edit as configwrite
    from awsenv.config.edit import base_name, free_name
    from awsenv.wizard import check_profile_name, check_region, parse_files, regions, today

    asker = wizard.Asker(args, "configure okta")
    all_roles = asker.given("--all-roles") is not None
    needed = ["--org-domain", "--oidc-client-id", "--aws-acct-fed-app-id", "--aws-iam-role"]
    needed.append("--yes")
    asker.require(needed, unless={"--org-domain": "--org-url", "--aws-iam-role": "--all-roles"})
    parsed = parse_files(environ)  # a file botocore rejects is reported before any question
    settings: dict[str, str] = {}
    url = asker.given("--org-url")
    if url is not None:
        settings["okta_org_url"] = url.strip()
        _org(settings)
    else:

        def domain(value: str) -> str:
            _org({"okta_org_domain": value.strip()})
            return value.strip()

        settings["okta_org_domain"] = asker.text(
            "--org-domain", "Okta org domain (example.okta.com)", check=domain
        )
    settings["okta_oidc_client_id"] = asker.text("--oidc-client-id", "Okta OIDC client id")
    settings["okta_aws_acct_fed_app_id"] = asker.text(
        "--aws-acct-fed-app-id", "AWS Account Federation app id"
    )
    idp = asker.given("--aws-iam-idp")
    if idp:
        settings["okta_aws_iam_idp"] = idp

    text = okta.saml_assertion(
        environ,
        settings,
        profile="(new)",
        ui=ui.TerminalLoginUI(no_browser=bool(args.get("no_browser")), environ=environ),
    )
    roles = [r for r in saml.parse(text).roles if not idp or r.principal_arn == idp]
    if not roles:
        raise AwsenvError(
            "the Okta sign-in offers no AWS role"
            + (f" through {idp}" if idp else "")
            + "; nothing was written",
            hint="ask the Okta admin to assign you a role in the AWS Account Federation app",
        )
    if all_roles:
        chosen = roles
    else:
        arn = asker.pick(
            "--aws-iam-role",
            "role",
            [(r.role_arn, r.role_arn, [r.account_id, r.role_name]) for r in roles],
        )
        chosen = [r for r in roles if r.role_arn == arn][:1]
    parsed = parse_files(environ)  # the sign-in took time; the file may have changed meanwhile
    known = {r.role_arn: existing_profile(parsed, settings, r) for r in chosen}
    first = parsed.profiles.get(known[chosen[0].role_arn] or "", {})
    region = asker.text(
        "--region",
        "Default region",
        default=str(first.get("region") or DEFAULT_REGION),
        words=regions(),
        check=check_region,
    )
    taken = set(parsed.profiles)
    sections = []
    for role in chosen:
        name = known[role.role_arn] or free_name(
            base_name("okta", role.account_id, "", role.role_name), role.account_id, taken
        )
        if not all_roles:
            name = asker.text("--profile", "Profile name", default=name, check=check_profile_name)
        taken.add(name)
        items = [*settings.items()]
        items += [("saml_role_arn", role.role_arn), ("saml_principal_arn", role.principal_arn)]
        items.append(("region", region))
        # every SDK (the AWS CLI, terraform) then gets the role's keys through awsenv
        items.append(("credential_process", shells.credential_process(name)))
        try:
            sections.append(configwrite.profile_section(name, items))
        except ValueError as exc:
            raise AwsenvError(f"cannot write profile {name!r}: {exc}") from None
    wizard.write(asker, environ, sections, comment=f"Added by awsenv configure okta on {today()}")
    names = [s.profile for s in sections]
    ui.info("to use it: " + "; ".join(f"awsenv use {n}" for n in names))
    shells.warn_unless_on_path(environ)
    return ""
