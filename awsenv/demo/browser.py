"""A scripted browser for the demo: opens a sign-in URL as a signed-in user would.

``BROWSER="python -I -m awsenv.demo.browser %s"``: the stand-in approves the request, and
the redirect lands on awsenv's loopback listener. Loopback URLs only.
"""

from __future__ import annotations

import sys
import urllib.request
from urllib.parse import urlsplit


def main(argv: list[str]) -> int:
    """Fetch the URL (following redirects) and return 0, or 1 for anything not on loopback."""
    if len(argv) != 1 or urlsplit(argv[0]).hostname not in ("127.0.0.1", "localhost"):
        print("awsenv demo browser: only loopback URLs", file=sys.stderr)  # noqa: T201
        return 1
    with urllib.request.urlopen(argv[0], timeout=30) as response:  # noqa: S310 - loopback only
        response.read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
