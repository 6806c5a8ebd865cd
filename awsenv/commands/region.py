"""``awsenv region [REGION]``: change the region of this shell, or say which one it uses."""

from __future__ import annotations

from awsenv import exports, shells
from awsenv.commands import check_region, wrapper_dialect

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args


def where_from(environ: Mapping[str, str]) -> tuple[str | None, str]:
    """Return the region this shell's AWS tools use and where it comes from, as botocore reads it.

    AWS_REGION (which the AWS CLI v2 and boto3 read first), then AWS_DEFAULT_REGION, then the
    ``region`` of the profile in use (AWS_PROFILE, else ``default``).
    """
    saved = exports.decode_saved(environ.get(exports.AWSENV_SAVED, "")) or {}
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = environ.get(name)
        if value:
            by_awsenv = bool(environ.get(exports.AWSENV_PROFILE)) and saved.get(name) != value
            return value, name + (" (set by awsenv)" if by_awsenv else "")
    from awsenv.config import ORIGIN, ConfigFiles

    profile = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"
    section = ConfigFiles(environ).profile(profile) or {}
    region = section.get("region")
    if isinstance(region, str) and region:
        origin = section.get(ORIGIN)
        return region, f"region of profile {profile!r}" + (f" ({origin})" if origin else "")
    return None, f"no AWS_REGION, AWS_DEFAULT_REGION or region in profile {profile!r}"


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Return the shell code that sets AWS_REGION and AWS_DEFAULT_REGION (or show the region)."""
    dialect = wrapper_dialect(environ, "region")
    if args.get("region") is None:
        from awsenv import ui

        region, source = where_from(environ)
        if region is None:
            ui.info(f"no region ({source}); set one with 'awsenv region NAME'")
        else:
            ui.info(f"region {region}, from {source}")
        return ""
    region = check_region(str(args.get("region")))
    return shells.render(exports.changes(exports.plan_region(environ, region), environ), dialect)
