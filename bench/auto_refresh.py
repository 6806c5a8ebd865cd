#!/usr/bin/env python3
"""What automatic renewal costs at the prompt, in bash (docs/performance.md, "Automatic renewal").

    .venv/bin/python bench/auto_refresh.py            # 5 runs
    .venv/bin/python bench/auto_refresh.py --runs 9

1. The prompt hook per render with nothing due, three ways: no keys exported (the path before
   automatic renewal existed), exported keys that renew (`always`) an hour from their end (the
   renewal test runs and says no), and the same with AWSENV_AUTO_REFRESH=0.
2. One renewal prompt: keys of a role over static keys aged past their end and the role's cache
   entry removed, then one hook call: `refresh --auto`, AssumeRole at moto's STS on loopback, the
   eval and the segment. Beside it `awsenv refresh` typed by hand (the same work).

Medians of ``--runs`` runs, [min-max]. Not a test: it prints and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.compare import shell_loop

ROLE = (
    "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/Ops\nsource_profile = base\n"
    "region = eu-west-1\n"
)
BASE = "[base]\naws_access_key_id = AKIABASEEXAMPLE00001\naws_secret_access_key = s\n"


def environment(home: Path, sts: str) -> dict[str, str]:
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text(ROLE)
    (home / ".aws" / "credentials").write_text(BASE)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_STS": sts,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def renewal_prompt(env: dict[str, str], init: Path, body: str, loops: int) -> float:
    """Mean seconds of ``body`` (a renewal) in one bash, the keys aged before each call."""
    cache = Path(env["HOME"]) / ".aws" / "cli" / "cache"
    script = f"""source {init}
awsenv use ops --keys >/dev/null 2>&1 || exit 1
total=0
for ((i = 0; i < {loops}; i++)); do
    rm -f {cache}/*.json
    AWSENV_EXPIRATION=$((EPOCHSECONDS - 5)) __awsenv_auto_next=0
    before="$AWS_ACCESS_KEY_ID"
    start=$EPOCHREALTIME
    {body}
    end=$EPOCHREALTIME
    [[ "$AWS_ACCESS_KEY_ID" != "$before" ]] || exit 2
    total=$((total + ${{end/./}} - ${{start/./}}))  # microseconds
done
echo "$total"
"""
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"{body!r} failed ({result.returncode}): {result.stderr[-400:]}")
    return float(result.stdout.split()[-1]) / 1e6 / loops


def summary(samples: list[float], scale: float) -> str:
    med = statistics.median(samples) * scale
    digits = 3 if med < 1 else 1
    return (
        f"{med:.{digits}f} ms [{min(samples) * scale:.{digits}f}-{max(samples) * scale:.{digits}f}]"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loops", type=int, default=5, help="renewals per run")
    options = parser.parse_args()
    from tests.standin.sts import start_moto_sts

    server, sts = start_moto_sts()
    try:
        with tempfile.TemporaryDirectory(prefix="awsenv-bench-") as tmp:
            home = Path(tmp)
            env = environment(home, sts)
            made = subprocess.run(
                [sys.executable, "-I", "-m", "awsenv", "init", "bash", "--no-completion"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            init = home / "init.bash"
            init.write_text(made.stdout)
            later = str(int(time.time()) + 3600)
            keys = {
                "AWSENV_PROFILE": "ops",
                "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE000000001",
                "AWSENV_EXPIRATION": later,
                "AWSENV_RENEWABLE": "always",
            }
            cases = {
                "hook per render, a profile exported (no keys)": {
                    "AWSENV_PROFILE": "ops",
                    "AWSENV_EXPIRATION": later,
                },
                "hook per render, renewable keys, nothing due": keys,
                "hook per render, same, AWSENV_AUTO_REFRESH=0": {
                    **keys,
                    "AWSENV_AUTO_REFRESH": "0",
                },
            }
            results: dict[str, list[float]] = {name: [] for name in cases}
            results["one renewal prompt (refresh --auto, AssumeRole)"] = []
            results["awsenv refresh typed by hand (same work)"] = []
            for _ in range(options.runs):
                for name, extra in cases.items():
                    results[name].append(
                        shell_loop(
                            "bash", {**env, **extra}, f"source {init}", "__awsenv_prompt_hook", 2000
                        )
                    )
                results["one renewal prompt (refresh --auto, AssumeRole)"].append(
                    renewal_prompt(env, init, "__awsenv_prompt_hook", options.loops)
                )
                results["awsenv refresh typed by hand (same work)"].append(
                    renewal_prompt(env, init, "awsenv refresh", options.loops)
                )
    finally:
        server.stop()
    for name, samples in results.items():
        print(f"{name:<50} {summary(samples, 1000)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
