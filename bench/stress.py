#!/usr/bin/env python3
"""Stress awsenv's locks and writers, and print counts (docs/reliability.md T13-T15, section 4).

    .venv/bin/python bench/stress.py     # 100 uses, 100 refreshes, 1000 kills, 44 appends
    .venv/bin/python bench/stress.py --uses 10 --kills 0 --appends 0
    .venv/bin/python bench/stress.py --uses 0 --kills 0   # the appends beside writers alone

1. ``--uses N`` concurrent ``awsenv use`` of one expired sso-session (PKCE, a browser that signs
   in by itself), with a process polling the token file: sign-ins, CreateToken calls, successes,
   unparseable reads, and how long the followers waited beside when the token was saved.
2. The same N on a token inside the refresh window (the stand-in rotates refresh tokens):
   refresh calls and reuses of a spent refresh token.
3. The same N asking for keys: ``use dev --keys`` on a signed-in session and on one inside the
   refresh window (GetRoleCredentials and refresh calls), and ``use deploy --keys``, a role over
   static keys (AssumeRole calls, answered by the stand-in's STS).
4. ``--kills N`` writers (a token file, ~/.aws/credentials and ~/.aws/config, in a loop) killed
   with SIGKILL after a random delay: torn files, temporary files left, copies left in TMPDIR.
4. ``--appends N`` sections appended to ~/.aws/credentials (one ``write`` with O_APPEND, as
   ``>>`` does, every ``--append-interval`` s) while ``--append-writers`` processes replace their
   own section in a loop, as ``use --write-credentials`` does: writes, refusals, sections lost.

Not a test: it prints and exits 0; tests/faults/test_locks.py and test_files.py assert (20
processes there, on two CI cores).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from awsenv import cache
from awsenv.config import edit as configwrite
from awsenv.demo.idc import IdentityCenterStandIn
from awsenv.sso import tokens

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import SSO_SESSION, sso_home
from tests.worlds import CREDENTIALS_WRITER

POLLER = textwrap.dedent(
    """
    import json, os, sys
    path, stop = sys.argv[1], sys.argv[2]
    counts = {"reads": 0, "absent": 0, "unparseable": 0}
    while not os.path.exists(stop):
        counts["reads"] += 1
        try:
            with open(path, "rb") as handle:
                json.loads(handle.read())
        except FileNotFoundError:
            counts["absent"] += 1
        except ValueError:
            counts["unparseable"] += 1
    print(json.dumps(counts))
    """
)


def seed(idc: IdentityCenterStandIn, env: dict[str, str], *, expires_in: int, refresh: bool) -> str:
    """Cache a token as a login would (expired, or inside the refresh window)."""
    issued = idc.issue_session()
    tokens.save_token(
        env,
        SSO_SESSION,
        tokens.Token(
            access_token=issued["accessToken"],
            expires_at=int(time.time()) + expires_in,
            refresh_token=issued["refreshToken"] if refresh else None,
            client_id=issued["clientId"] if refresh else None,
            client_secret=issued["clientSecret"] if refresh else None,
            registration_expires_at=issued["clientSecretExpiresAt"] if refresh else None,
        ),
    )
    return tokens.token_path(env, SSO_SESSION)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def parallel_uses(count: int, *, refresh: bool) -> None:
    """Run ``count`` concurrent ``awsenv use dev`` and print what the stand-in saw."""
    with tempfile.TemporaryDirectory() as tmp, IdentityCenterStandIn() as idc:
        home, env = sso_home(Path(tmp))
        env.update(idc.environ(), AWS_ENDPOINT_URL_STS=idc.base_url)
        path = seed(idc, env, expires_in=300 if refresh else -60, refresh=refresh)
        saved_mtime = os.stat(path).st_mtime_ns
        signed_in = idc.authorizations
        stop = home / "stop"
        poller = subprocess.Popen(
            [sys.executable, "-c", POLLER, path, str(stop)], stdout=subprocess.PIPE, text=True
        )
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-I", "-m", "awsenv", "use", "dev"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(count)
        ]
        token_saved = None
        ended: dict[int, float] = {}
        while len(ended) < count:
            if token_saved is None and os.stat(path).st_mtime_ns != saved_mtime:
                token_saved = time.monotonic() - started
            for index, proc in enumerate(procs):
                if index not in ended and proc.poll() is not None:
                    ended[index] = time.monotonic() - started
            time.sleep(0.005)
        successes = 0
        for proc in procs:
            out, _err = proc.communicate()
            successes += proc.returncode == 0 and "export AWS_PROFILE=dev" in out.splitlines()
        stop.write_text("")
        polled = json.loads(poller.communicate()[0])
        calls = idc.calls
        label = "refresh" if refresh else "login"
        print(f"[{label}] {count} concurrent `awsenv use dev` on one session")
        print(f"  successes            {successes}/{count}")
        print(f"  sign-ins             {idc.authorizations - signed_in}")
        print(f"  CreateToken calls    {calls.get('CreateToken', 0)}")
        if refresh:
            print(f"  refresh calls        {idc.grant_calls('refresh_token')}")
            print(f"  spent token reuses   {idc.refresh_token_reuses}")
        else:
            print(f"  authorize requests   {calls.get('Authorize', 0)}")
            print(f"  RegisterClient calls {calls.get('RegisterClient', 0)}")
        print(
            f"  poller               {polled['reads']} reads, {polled['unparseable']} unparseable"
        )
        times = list(ended.values())
        saved = f"{token_saved:.2f}s" if token_saved is not None else "never"
        print(
            f"  token saved at {saved}; processes done p50 {percentile(times, 0.5):.2f}s, "
            f"p95 {percentile(times, 0.95):.2f}s, max {max(times):.2f}s"
        )


ROLE_PROFILES = """
[profile base]
aws_access_key_id = AKIABENCH000000000
aws_secret_access_key = bench-secret

[profile deploy]
role_arn = arn:aws:iam::111111111111:role/deploy
source_profile = base
role_session_name = bench
region = us-east-1
"""


def parallel_keys(count: int, *, refresh: bool) -> None:
    """Run ``count`` concurrent ``use dev --keys`` and ``use deploy --keys``; count the calls."""
    with tempfile.TemporaryDirectory() as tmp, IdentityCenterStandIn() as idc:
        home, env = sso_home(Path(tmp))
        env.update(idc.environ(sts=True))
        with open(home / ".aws" / "config", "a") as config:
            config.write(ROLE_PROFILES)
        seed(idc, env, expires_in=300 if refresh else 8 * 3600, refresh=True)
        label = "in the refresh window" if refresh else "signed in"
        for profile, calls in (
            ("dev", lambda: idc.calls.get("GetRoleCredentials", 0)),
            ("deploy", lambda: idc.sts_calls("AssumeRole")),
        ):
            if profile == "deploy" and refresh:
                continue  # the session plays no part in a role over static keys
            started = time.monotonic()
            procs = [
                subprocess.Popen(
                    [sys.executable, "-I", "-m", "awsenv", "use", profile, "--keys"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(count)
            ]
            outputs = [proc.communicate() for proc in procs]
            took = time.monotonic() - started
            successes = sum(
                proc.returncode == 0 and "export AWS_ACCESS_KEY_ID=" in out
                for proc, (out, _err) in zip(procs, outputs)
            )
            what = "GetRoleCredentials" if profile == "dev" else "AssumeRole"
            print(f"[keys] {count} concurrent `awsenv use {profile} --keys` ({label})")
            print(f"  successes            {successes}/{count}")
            print(f"  {what + ' calls':<20} {calls()}")
            if profile == "dev":
                print(f"  refresh calls        {idc.grant_calls('refresh_token')}")
            print(f"  took                 {took:.1f}s")


# --- writers killed at random ------------------------------------------------------------------

PAD_TOKEN, PAD_INI = 997, 701


def write_round(environ: dict[str, str], home: Path, n: int) -> None:
    """Version ``n`` of a token file, the credentials file and the config file."""
    token = tokens.token_path(environ, SSO_SESSION)
    cache.write_json(token, {"accessToken": f"access-{n}", "n": n, "pad": "x" * (n % PAD_TOKEN)})
    for name, header, lock in (
        ("credentials", "killed", "aws-credentials"),
        ("config", "profile killed", "aws-config"),
    ):
        items = [
            ("aws_access_key_id", f"AKIA{n:012d}"),
            ("pad", "y" * (n % PAD_INI + 1)),
            ("n", str(n)),
        ]
        edit = configwrite.plan_replace(
            str(home / ".aws" / name), configwrite.NewSection(header, items), comment="stress"
        )
        edit.commit(lock=cache.lock_path(environ, lock))


def torn(environ: dict[str, str], home: Path) -> list[str]:
    """Files that do not hold one whole version."""
    from botocore.configloader import raw_config_parse

    bad = []
    token = tokens.token_path(environ, SSO_SESSION)
    try:
        data = json.loads(Path(token).read_bytes())
        if len(data["pad"]) != data["n"] % PAD_TOKEN:
            bad.append(token)
    except (ValueError, KeyError):
        bad.append(token)
    for name, header in (("credentials", "killed"), ("config", "profile killed")):
        for path in (home / ".aws" / name, home / ".aws" / (name + configwrite.BACKUP_SUFFIX)):
            if not path.exists():
                continue
            try:
                parsed = raw_config_parse(str(path))
            except Exception:  # noqa: BLE001 - any parse failure is a torn file
                bad.append(str(path))
                continue
            section = parsed.get(header)  # a backup of the very first file has none
            if section is None:
                continue
            n = int(section.get("n", -1))
            if section.get("aws_access_key_id") != f"AKIA{n:012d}" or len(
                section.get("pad", "")
            ) != (n % PAD_INI + 1):
                bad.append(str(path))
    return bad


def leftover_temps(home: Path) -> int:
    return sum(
        1 for _root, _dirs, names in os.walk(home) for n in names if n.endswith(cache.TEMP_SUFFIX)
    )


def killed_writers(rounds: int, seed: int, max_delay: float) -> None:
    """Fork a writer, SIGKILL it after a random delay, check; ``rounds`` times."""
    with tempfile.TemporaryDirectory() as tmp:
        home, env = sso_home(Path(tmp))
        environ = {**os.environ, **env}
        scratch = Path(tmp) / "tmpdir"
        scratch.mkdir()
        write_round(environ, home, 0)
        rng = random.Random(seed)
        torn_rounds = max_new = 0
        started = time.monotonic()
        for round_ in range(rounds):
            before = leftover_temps(home)
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(read)
                    tempfile.tempdir = str(scratch)
                    os.write(write, b".")
                    n = 1 + round_ * 1000
                    while True:
                        write_round(environ, home, n)
                        n += 1
                finally:
                    os._exit(1)
            os.close(write)
            os.read(read, 1)
            os.close(read)
            time.sleep(rng.uniform(0, max_delay))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            torn_rounds += bool(torn(environ, home))
            max_new = max(max_new, leftover_temps(home) - before)
        after_kills = leftover_temps(home)
        in_tmpdir = len(os.listdir(scratch))
        write_round(environ, home, 10**9)
        print(f"[kill -9] {rounds} writers killed at random (seed {seed}, delay 0-{max_delay}s)")
        print(f"  torn files           {torn_rounds}")
        print(f"  new temps per kill   at most {max_new}")
        print(f"  temps after kills    {after_kills}")
        print(f"  copies left in TMPDIR {in_tmpdir}")
        print(f"  temps after next run {leftover_temps(home)}")
        print(f"  torn after next run  {len(torn(environ, home))}")
        print(f"  took                 {time.monotonic() - started:.1f}s")


def appends_beside_writers(writers: int, appends: int, interval: float) -> None:
    """Append ``appends`` sections while ``writers`` processes replace theirs; count the lost."""
    with tempfile.TemporaryDirectory() as tmp:
        home, env = sso_home(Path(tmp))
        path = home / ".aws" / "credentials"
        path.write_text("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n")
        path.chmod(0o600)
        stop = home / "stop-writing"
        env = {**os.environ, **env}
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CREDENTIALS_WRITER, str(path), str(stop), f"w{index}"],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for index in range(writers)
        ]
        try:
            for n in range(appends):
                time.sleep(interval)
                with path.open("ab") as handle:
                    handle.write(f"\n[appended-{n}]\naws_access_key_id = AKIA{n:012d}\n".encode())
        finally:
            stop.write_text("")
        totals = {"written": 0, "refused": 0}
        for proc in procs:
            for name, value in json.loads(proc.communicate()[0]).items():
                totals[name] += value
        text = path.read_text()
        lost = sum(f"[appended-{n}]\n" not in text for n in range(appends))
        print(
            f"[appends] {appends} sections appended {interval * 1000:g} ms apart beside "
            f"{writers} writers of their own section"
        )
        print(f"  writes               {totals['written']}")
        print(f"  refused              {totals['refused']}")
        print(f"  appended lost        {lost}")
        print(f"  took                 {time.monotonic() - started:.1f}s")


def main() -> None:
    """Parse the options and run each part."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uses", type=int, default=100, help="concurrent `awsenv use` (100)")
    parser.add_argument("--kills", type=int, default=1000, help="writers to kill (1000)")
    parser.add_argument("--seed", type=int, default=13, help="random seed of the kill delays")
    parser.add_argument("--max-delay", type=float, default=0.012, help="kill within (s)")
    parser.add_argument("--appends", type=int, default=44, help="sections appended (44)")
    parser.add_argument("--append-writers", type=int, default=30, help="writers beside (30)")
    parser.add_argument(
        "--append-interval", type=float, default=0.15, help="seconds between appends (0.15)"
    )
    options = parser.parse_args()
    if options.uses:
        parallel_uses(options.uses, refresh=False)
        parallel_uses(options.uses, refresh=True)
        parallel_keys(options.uses, refresh=False)
        parallel_keys(options.uses, refresh=True)
    if options.kills:
        killed_writers(options.kills, options.seed, options.max_delay)
    if options.appends:
        appends_beside_writers(options.append_writers, options.appends, options.append_interval)


if __name__ == "__main__":
    main()
