#!/usr/bin/env python3
"""Time `awsenv sso sync` against a large organisation on the local Identity Center stand-in.

    .venv/bin/python bench/sso_sync.py                    # 1 000 accounts, 3 roles each
    .venv/bin/python bench/sso_sync.py --rate 20          # the 20 TPS peers' issues cite
    .venv/bin/python bench/sso_sync.py --accounts 200 --runs 3

The portal pages its lists (100 a page), answers each call after ``--latency`` seconds (a network
round trip), and allows ``--rate`` calls a second with a burst of ``--burst``, answering the rest
429 TooManyRequestsException. The sign-in is cached beforehand, so the figure is the listing and
the config write alone. Prints, per run: wall time, portal calls, throttled calls, the most calls
in flight at once, and the profiles added.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from awsenv.demo.idc import IdentityCenterStandIn, organisation
from awsenv.sso import tokens

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import SSO_SESSION, sso_home


def one_run(args: argparse.Namespace) -> tuple[float, dict[str, int], int, int, int]:
    """Sync once into a fresh HOME; return (seconds, calls, throttled, peak, profiles added)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        IdentityCenterStandIn(
            accounts=organisation(args.accounts),
            page_size=100,
            portal_rate=args.rate or None,
            portal_burst=args.burst,
            portal_latency=args.latency,
        ) as idc,
    ):
        home, env = sso_home(Path(tmp))
        env.update(idc.environ())
        session = idc.issue_session(scopes=["sso:account:access"])
        now = int(time.time())
        tokens.save_token(
            env,
            SSO_SESSION,
            tokens.Token(
                access_token=session["accessToken"],
                expires_at=now + int(session["expiresIn"]),
                refresh_token=session.get("refreshToken"),
                client_id=session["clientId"],
                client_secret=session["clientSecret"],
                registration_expires_at=int(session["clientSecretExpiresAt"]),
            ),
        )
        before = (home / ".aws" / "config").read_text()
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-I", "-m", "awsenv", "sso", "sync", "--sso-session", "corp"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"sso sync failed ({result.returncode}): {result.stderr[-2000:]}")
        added = (home / ".aws" / "config").read_text()[len(before) :].count("[profile ")
        calls = {k: v for k, v in idc.calls.items() if k.startswith("List")}
        return seconds, calls, idc.throttled(), idc.portal_peak, added


def main() -> None:
    """Print one line per run and the median."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="calls a second (0: no limit)")
    parser.add_argument("--burst", type=float, default=10.0)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per portal answer")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    rate = f"{args.rate:g}/s, burst {args.burst:g}" if args.rate else "no limit"
    print(
        f"sso sync: {args.accounts} accounts x 3 roles, 100 a page, "
        f"latency {args.latency * 1000:g} ms, rate {rate}"
    )
    times = []
    for number in range(1, args.runs + 1):
        seconds, calls, throttled, peak, added = one_run(args)
        times.append(seconds)
        print(
            f"run {number}: {seconds:6.1f} s  calls {sum(calls.values())} {calls}  "
            f"throttled {throttled}  in flight at most {peak}  profiles added {added}"
        )
    if args.runs > 1:
        print(
            f"median {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f})"
        )


if __name__ == "__main__":
    main()
