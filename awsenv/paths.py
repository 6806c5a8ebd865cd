"""Where awsenv and the AWS tools keep their files (config, credentials, caches)."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def home(environ: Mapping[str, str]) -> str:
    """Return the user's home directory as botocore sees it (``~`` expansion)."""
    value = environ.get("HOME")
    return value if value else os.path.expanduser("~")


def expand(path: str, environ: Mapping[str, str]) -> str:
    """Expand ``$VARS`` and ``~`` the way botocore does for AWS_CONFIG_FILE and friends."""
    del environ  # os.path.expand* read the process environment, which is the runtime one
    return os.path.expanduser(os.path.expandvars(path))


def config_file(environ: Mapping[str, str]) -> str:
    """Return the path of the shared config file (AWS_CONFIG_FILE, default ~/.aws/config)."""
    return expand(environ.get("AWS_CONFIG_FILE", "~/.aws/config"), environ)


def credentials_file(environ: Mapping[str, str]) -> str:
    """Return the path of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE)."""
    return expand(environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"), environ)


def cli_cache_dir(environ: Mapping[str, str]) -> str:
    """Return ``~/.aws/cli/cache``, the AWS CLI's credential cache (no variable moves it)."""
    return os.path.join(home(environ), ".aws", "cli", "cache")


def cache_dir(environ: Mapping[str, str]) -> str:
    """Return awsenv's own cache directory (platformdirs' user cache dir for "awsenv").

    On Linux and other XDG systems the rule is computed here, because importing platformdirs
    costs more than the whole budget of a cached ``awsenv use``; a test checks that both agree.
    """
    if sys.platform == "darwin" or sys.platform.startswith("win"):
        import platformdirs

        return str(platformdirs.user_cache_dir("awsenv", appauthor=False))
    base = environ.get("XDG_CACHE_HOME", "")
    if not base.startswith("/"):  # the XDG spec says to ignore relative paths (platformdirs does)
        base = os.path.join(_absolute_home(environ), ".cache")
    return os.path.join(base, "awsenv")


def _absolute_home(environ: Mapping[str, str]) -> str:
    """Return HOME if it is absolute, else the password database's home (as platformdirs does)."""
    value = environ.get("HOME", "")
    if value.startswith("/"):
        return value
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return os.path.expanduser("~")


def ensure_private_dir(path: str) -> str:
    """Create ``path`` (and missing parents) as 0700 whatever the umask, and return it.

    Parents that already exist are left alone; ``path`` itself is made 0700 if it is not.
    """
    missing: list[str] = []
    head = path
    while head and not os.path.isdir(head):
        missing.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise
            continue  # created meanwhile by someone else
        os.chmod(directory, 0o700)  # the umask may have taken bits away
    if (os.stat(path).st_mode & 0o777) != 0o700:
        os.chmod(path, 0o700)
    return path


def file_encoding() -> str:
    """Return the encoding configparser (so botocore) reads the AWS config files with.

    The same answer as ``locale.getpreferredencoding(False)``, without importing ``locale``
    (it imports ``re``, which costs more than a cached ``awsenv use`` may spend).
    """
    if sys.flags.utf8_mode:
        return "utf-8"
    try:
        import _locale  # the C module behind locale.getpreferredencoding

        getencoding = getattr(_locale, "getencoding", None)  # Python 3.11+
        if getencoding is not None:
            return str(getencoding())
        codeset = str(_locale.nl_langinfo(_locale.CODESET))
    except (ImportError, AttributeError):  # no nl_langinfo before 3.11 on Windows
        codeset = ""
    if codeset:
        return codeset
    import locale

    return locale.getpreferredencoding(False)
