#!/usr/bin/env python3
"""Measure the paths people feel, beside the interpreter's own start-up as the floor.

    .venv/bin/python bench/hotpaths.py [--runs 7] [--loops 20] [--sizes 10,1000,10000]

For each config size it builds a throwaway HOME, loads `awsenv init bash` into a bash process
and times, inside that one process (EPOCHREALTIME), N calls of:
  floor       python -I -c pass          (the same interpreter awsenv runs on)
  use         awsenv use static          through the bash wrapper (fork, exec, eval)
  use-role    awsenv use role            (AWS_PROFILE export of an assume-role chain)
  use-sso     awsenv use sso             (sso-session profile with a valid cached token)
  complete    the bash completion function for `awsenv use st<TAB>`
and, once per size: `awsenv init bash` (the python call) and the cost `eval "$(awsenv init
bash)"` adds to a new bash (`bash -c 'eval ...'` minus `bash -c true`), and the prompt hook
per render. Each figure is the median of --runs runs (min-max in brackets).
Nothing here is asserted: tests count processes and imports; this file measures time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable


def write_profiles(home: Path, count: int) -> None:
    """Write a config with `count` profiles: static, sso-session, legacy SSO and role chains."""
    aws = home / ".aws"
    aws.mkdir(parents=True)
    parts = [
        "[profile static]\nregion = eu-west-1\naws_access_key_id = AKIAEXAMPLE\n"
        "aws_secret_access_key = example\n",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/Bench\n"
        "source_profile = static\nregion = us-east-1\n",
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n",
        "[profile sso]\nsso_session = corp\nsso_account_id = 111111111111\n"
        "sso_role_name = Admin\nregion = us-west-2\n",
    ]
    for i in range(max(0, count - 3)):
        kind = i % 4
        if kind == 0:
            parts.append(
                f"[profile sso-{i}]\nsso_session = corp\nsso_account_id = {i:012d}\n"
                f"sso_role_name = Admin\nregion = us-west-2\n"
            )
        elif kind == 1:
            parts.append(
                f"[profile legacy-{i}]\nsso_start_url = https://example.awsapps.com/start\n"
                f"sso_region = us-east-1\nsso_account_id = {i:012d}\nsso_role_name = Dev\n"
            )
        elif kind == 2:
            parts.append(
                f"[profile chain-{i}]\nrole_arn = arn:aws:iam::{i:012d}:role/Deploy\n"
                f"source_profile = static\nregion = eu-central-1\n"
            )
        else:
            parts.append(
                f"[profile keys-{i}]\naws_access_key_id = AKIA{i:016d}\n"
                f"aws_secret_access_key = s{i}\nregion = ap-south-1\n"
            )
    config = aws / "config"
    config.write_text("\n".join(parts), encoding="utf-8")
    past = time.time() - 3600
    os.utime(config, (past, past))
    # A valid cached SSO token for sso-session corp, as `aws sso login` or awsenv leaves it.
    from awsenv.sso import tokens

    env = {"HOME": str(home)}
    session = tokens.SsoSession("corp", "https://example.awsapps.com/start", "us-east-1")
    tokens.save_token(
        env,
        session,
        tokens.Token(
            access_token="bench",
            expires_at=int(time.time()) + 8 * 3600,
            refresh_token="bench",
            client_id="bench",
            client_secret="bench",
            registration_expires_at=int(time.time()) + 86400,
        ),
    )
    os.utime(tokens.token_path(env, session), (past, past))
    # A valid assumed-role session for `role`, as the AWS CLI (or awsenv) caches it.
    from datetime import datetime, timezone

    from awsenv.providers import rolecache

    role = {"role_arn": "arn:aws:iam::123456789012:role/Bench"}
    rolecache.save_role_credentials(
        env,
        role,
        {
            "Credentials": {
                "AccessKeyId": "ASIABENCH",
                "SecretAccessKey": "bench",
                "SessionToken": "bench",
                "Expiration": datetime.fromtimestamp(time.time() + 3600, timezone.utc),
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/Bench/b"},
        },
    )
    os.utime(rolecache.cache_path(env, rolecache.assume_role_cache_key(role)), (past, past))


def bash_loop(env: dict[str, str], setup: str, body: str, loops: int) -> float:
    """Return the mean seconds of `body` over `loops` iterations inside one bash process."""
    script = f"""
{setup}
start=$EPOCHREALTIME
for ((i = 0; i < {loops}; i++)); do
    {body}
done
end=$EPOCHREALTIME
printf '%s %s\\n' "$start" "$end"
"""
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    start, end = result.stdout.split()[-2:]
    return (float(end) - float(start)) / loops


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Return the wall time of one process run."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def summary(samples: list[float]) -> tuple[float, float, float]:
    """Return (median, min, max) in milliseconds."""
    ms = [s * 1000 for s in samples]
    return statistics.median(ms), min(ms), max(ms)


def measure(count: int, runs: int, loops: int) -> dict[str, list[float]]:
    """Measure every path for one config size; several runs, alternating the cases."""
    with tempfile.TemporaryDirectory(prefix="awsenv-bench-") as tmp:
        home = Path(tmp)
        write_profiles(home, count)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            # nothing measured here may reach AWS: a closed loopback port
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        }
        init_file = home / "init.bash"
        init_file.write_text(
            subprocess.run(
                [PYTHON, "-I", "-m", "awsenv", "init", "bash"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout,
            encoding="utf-8",
        )
        # Build the config index once, as the first command after a config change does.
        subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", "list"], env=env, capture_output=True, check=True
        )
        setup = f"source {init_file}"
        complete = (
            'COMP_WORDS=(awsenv use st); COMP_CWORD=2; COMP_LINE="awsenv use st"; '
            "COMP_POINT=${#COMP_LINE}; __awsenv_complete awsenv st use"
        )
        cases = {
            "floor": f"{PYTHON} -I -c pass",
            "use": "awsenv use static",
            "use-role": "awsenv use role",
            "use-sso": "awsenv use sso",
            "complete": complete,
        }
        results: dict[str, list[float]] = {name: [] for name in cases}
        results.update({"init": [], "init-shell": [], "bash-true": [], "prompt": []})
        for _ in range(runs):
            for name, body in cases.items():
                results[name].append(bash_loop(env, setup, body, loops))
            results["init"].append(wall([PYTHON, "-I", "-m", "awsenv", "init", "bash"], env))
            results["bash-true"].append(wall(["bash", "--noprofile", "--norc", "-c", "true"], env))
            results["init-shell"].append(
                wall(["bash", "--noprofile", "--norc", "-c", f"source {init_file}"], env)
            )
            results["prompt"].append(
                bash_loop(
                    {
                        **env,
                        "AWSENV_PROFILE": "static",
                        "AWSENV_EXPIRATION": str(int(time.time()) + 3000),
                    },
                    setup,
                    "__awsenv_prompt_hook",
                    loops * 100,
                )
            )
        return results


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--loops", type=int, default=20)
    parser.add_argument("--sizes", default="10,1000,10000")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"python:  {PYTHON} ({platform.python_version()})")
    print(f"runs: {args.runs} x {args.loops} calls; medians in ms [min-max]; ratio = / floor\n")
    header = f"{'profiles':>8}  {'path':<34} {'median':>8}  {'spread':<15} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for count in (int(s) for s in args.sizes.split(",")):
        results = measure(count, args.runs, args.loops)
        floor = summary(results["floor"])[0]
        labels = {
            "floor": "python -I -c pass (floor)",
            "use": "awsenv use static (bash wrapper)",
            "use-role": "awsenv use role (bash wrapper)",
            "use-sso": "awsenv use sso, cached token",
            "complete": "completion: awsenv use st<TAB>",
            "init": "awsenv init bash (python)",
        }
        for key, label in labels.items():
            med, lo, hi = summary(results[key])
            print(f"{count:>8}  {label:<34} {med:8.2f}  [{lo:6.2f}-{hi:6.2f}] {med / floor:6.2f}")
        added = [a - b for a, b in zip(results["init-shell"], results["bash-true"])]
        med, lo, hi = summary(added)
        print(
            f"{count:>8}  {'init adds to a new bash (sourced)':<34} {med:8.2f}  "
            f"[{lo:6.2f}-{hi:6.2f}] {med / floor:6.2f}"
        )
        med, lo, hi = summary(results["prompt"])
        print(
            f"{count:>8}  {'prompt hook per render (bash)':<34} {med:8.3f}  [{lo:6.3f}-{hi:6.3f}]"
        )


if __name__ == "__main__":
    main()
