"""``awsenv console [PROFILE]``: open the AWS console signed in as a profile (or print the URL).

The keys come the way ``use --keys`` and ``exec`` get them (``providers.obtain``: cached, or a
login when needed); long-term IAM-user keys go through GetFederationToken first; the federation
endpoint turns them into a sign-in token and ``federation.login_url`` into the link. That link
signs in whoever has it for 15 minutes, so it goes to the browser only, or with ``--print`` to
stdout only: never to stderr, a message or the ``--debug`` log.
"""

from __future__ import annotations

from awsenv import profiles
from awsenv.commands import check_region
from awsenv.config import ConfigFiles
from awsenv.errors import AwsenvError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from awsenv.clispec import Args
    from awsenv.providers.adhoc import Spec

NO_BROWSER_HINT = "add --print to write the sign-in URL on stdout instead"


class BrowserUnavailable(AwsenvError):
    """No browser could be opened for the sign-in URL (which is never shown instead)."""


def profile_name(args: Args, environ: Mapping[str, str]) -> str:
    """Return PROFILE, else the shell's AWSENV_PROFILE, else AWS_PROFILE."""
    for value in (args.get("profile"), environ.get("AWSENV_PROFILE"), environ.get("AWS_PROFILE")):
        if isinstance(value, str) and value:
            return value
    raise UsageError(
        "name the profile: awsenv console PROFILE",
        hint="or run it in a shell where 'awsenv use PROFILE' (or AWS_PROFILE) chose one",
    )


def _ad_hoc_role(args: Args, environ: Mapping[str, str], name: str) -> Spec | None:
    """The shell's ad-hoc role (``use --role-arn``), when no PROFILE was named and it is in use."""
    from awsenv.exports import AWSENV_PROFILE, AWSENV_ROLE

    if args.get("profile") or environ.get(AWSENV_PROFILE) != name:
        return None
    from awsenv.providers.adhoc import Spec

    return Spec.decode(environ.get(AWSENV_ROLE, ""))


def _check_browser(args: Args, environ: Mapping[str, str]) -> None:
    """Fail before any login or STS call when the URL could go nowhere."""
    from awsenv import ui

    if args.get("print"):
        return
    if args.get("no_browser"):
        raise UsageError(
            "--no-browser without --print leaves nowhere to send the console sign-in URL",
            hint=NO_BROWSER_HINT,
        )
    if not ui.can_open_browser(environ):
        raise BrowserUnavailable(
            "no browser can be opened here (no DISPLAY, no BROWSER)", hint=NO_BROWSER_HINT
        )


class _BrowserSilenced:
    """Point fd 2 at /dev/null while the browser starts.

    ``ui.open_browser`` already keeps the child off stdout; a failing opener (xdg-open, gio, a
    BROWSER script) may still echo the URL it was given on stderr, and this URL signs in.
    """

    def __enter__(self) -> None:
        import os
        import sys

        sys.stderr.flush()
        self._saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)

    def __exit__(self, *exc: object) -> None:
        import os

        os.dup2(self._saved, 2)
        os.close(self._saved)


def run(args: Args, environ: Mapping[str, str]) -> str:
    """Sign in to the console as the profile; return the URL with --print, else nothing."""
    import time

    from awsenv import federation, log, providers, ui
    from awsenv.commands import provider_context

    name = profile_name(args, environ)
    region_arg = args.get("region")
    service_arg = args.get("service")
    service = federation.check_service(str(service_arg)) if service_arg else None
    files = ConfigFiles(environ)
    ctx = provider_context(args, environ)
    spec = _ad_hoc_role(args, environ, name)
    if spec is not None and ctx.duration is not None:
        raise UsageError(
            f"--duration sets the session length of a role profile, and this shell uses the "
            f"role {spec.role_arn} that no profile names",
            hint="awsenv use --role-arn ARN --source PROFILE --duration SECONDS sets its length",
        )
    # an ad-hoc role (`use --role-arn`) signs in as the role, over its source profile
    resolved = profiles.resolve(files, spec.source if spec is not None else name)
    kind = profiles.ASSUME_ROLE if spec is not None else resolved.kind
    region = check_region(str(region_arg)) if region_arg else resolved.region
    page = federation.destination(region, service)
    endpoint = federation.endpoint(environ, region)
    _check_browser(args, environ)

    log.debug("console: profile %r (%s), landing on %s", name, kind, page)
    keys = (  # Keys masks the secrets in every message and log
        providers.assume(files, spec, resolved, ctx)
        if spec is not None
        else providers.obtain(files, resolved, ctx)
    )
    if keys.session_token:
        duration = federation.session_duration(kind, keys, now=time.time())
    else:
        user = federation.federation_name(federation.local_user(environ))
        keys = federation.federated_keys(environ, name, keys, region=region, name=user)
        duration = None  # the endpoint refuses SessionDuration with GetFederationToken keys
    token = federation.signin_token(endpoint, keys, duration=duration)
    url = federation.login_url(endpoint, token, page)
    log.remember_secret(url)

    if args.get("print"):
        ui.info("this URL signs in whoever has it, for 15 minutes: keep it to yourself")
        return url + "\n"
    with _BrowserSilenced():
        opened = ui.open_browser(url, environ)
    if not opened:
        raise BrowserUnavailable("the browser could not be started", hint=NO_BROWSER_HINT)
    ui.info(f"opened the AWS console in your browser, signed in as profile {name!r}")
    return ""
