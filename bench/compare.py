#!/usr/bin/env python3
"""awsenv beside awsume and the floors, on the paths people feel (run it with bench/run).

For each config size (10, 1 000 and 10 000 profiles: static, sso-session, legacy SSO and role
chains, with regions) it builds a throwaway HOME, then in each run alternates the two tools, each
case timed inside one bash process with EPOCHREALTIME over --loops calls:

  floor            python -I -c pass (the interpreter awsenv runs on); bash -c true
  use static       `awsenv use static` / `. awsume static` (each tool's shell wrapper)
  use sso          a valid cached SSO token (awsume has no SSO without a plugin: n/a)
  use role         awsenv: valid cached role credentials; awsume: it has no role cache,
                   so it calls AssumeRole, here against moto on loopback
  use --role-arn   `awsenv use --role-arn <role's ARN> --source static`: an ad-hoc role whose
                   answer the AWS CLI's cache holds (the same key as for `role`)
  use -            `awsenv use -` (issue 15) between a static and a role profile, in turn
  exec             `awsenv exec static` with no command (issue 15): into $SHELL, here a bash
                   that reads /dev/null and exits at once
  list             `awsenv list` / `awsume --list-profiles`
  complete         bash completion of a profile name (`awsenv use st<TAB>` / awsume's)
  init             what the rc-file line adds to a new bash (`bash -c '<line>'` minus
                   `bash -c true`): awsenv's `eval "$(awsenv init bash)"`, its pre-rendered
                   `source` form, and awsume's alias + complete lines
  prompt           the prompt hook per render, bash and zsh (awsume has none)
  memory           peak RSS of one `use static` core process (ru_maxrss)

Figures are medians over --runs runs with the min-max spread; ratios are to the Python floor of
the same run. Nothing is asserted about time: --quick checks only that every case ran and did
what it should (the exported variables), so it can run in CI.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import write_profiles

PYTHON = sys.executable
REPO = Path(__file__).resolve().parent.parent


# The role the fixtures cache an AssumeRole answer for (profile `role` names it too).
BENCH_ROLE = "arn:aws:iam::123456789012:role/Bench"


class BenchError(Exception):
    """A case did not run or did not do what it should: the benchmark itself is broken."""


def awsume_venv(where: Path | None) -> Path:
    """Return a venv with awsume from PyPI, creating a throwaway one under ``where``."""
    if where is not None and (where / "bin" / "awsumepy").exists():
        return where
    target = where or Path(tempfile.mkdtemp(prefix="awsume-venv-"))
    print(f"installing awsume into {target} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    subprocess.run(
        [str(target / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "awsume"],
        check=True,
    )
    return target


def shell_loop(shell: str, env: dict[str, str], setup: str, body: str, loops: int) -> float:
    """Return the mean seconds of ``body`` over ``loops`` iterations inside one shell process."""
    if shell == "bash":
        argv = ["bash", "--noprofile", "--norc", "-c"]
        loop = f"for ((i = 0; i < {loops}; i++)); do\n    {body}\ndone"
        clock = "$EPOCHREALTIME"
    else:
        argv = ["zsh", "-f", "-c"]
        loop = f"for ((i = 0; i < {loops}; i++)); do\n    {body}\ndone"
        clock = "$EPOCHREALTIME"
        setup = "zmodload zsh/datetime\n" + setup
    script = f"""{setup}
start={clock}
{loop}
end={clock}
printf '%s %s\\n' "$start" "$end"
"""
    result = subprocess.run([*argv, script], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"{shell}: {body!r} failed: {result.stderr.strip()[-400:]}")
    start, end = result.stdout.split()[-2:]
    return (float(end) - float(start)) / loops


def check(shell_env: dict[str, str], setup: str, body: str, expect: dict[str, str]) -> None:
    """Run ``body`` once in bash and check the variables it should have set."""
    probe = "; ".join(f'printf "%s=%s\\n" {name} "${{{name}-}}"' for name in expect)
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", f"{setup}\n{body} >/dev/null\n{probe}"],
        env=shell_env,
        capture_output=True,
        text=True,
    )
    got = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if result.returncode != 0 or got != expect:
        raise BenchError(f"{body!r}: expected {expect}, got {got} ({result.stderr.strip()[-300:]})")


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Return the wall time of one process run (which must succeed)."""
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise BenchError(f"{argv}: {result.stderr.decode(errors='replace')[-300:]}")
    return elapsed


def peak_rss_mib(argv: list[str], env: dict[str, str]) -> float:
    """Return the peak resident memory of one process in MiB, as GNU time reports it.

    Not ``wait4`` from here: a child forked from this (large) process keeps the parent's
    high-water mark across exec, so ru_maxrss would report this process, not the child.
    """
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        raise BenchError(f"{argv} exited {result.returncode}: {result.stderr[-300:]}")
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def summary(samples: list[float], scale: float = 1000) -> tuple[float, float, float]:
    """Return (median, min, max), scaled (seconds to milliseconds by default)."""
    values = [s * scale for s in samples]
    return statistics.median(values), min(values), max(values)


def measure(
    count: int, runs: int, loops: int, awsume: Path | None, sts_url: str | None
) -> dict[str, list[float]]:
    """Measure every case for one config size, alternating the tools inside each run."""
    with tempfile.TemporaryDirectory(prefix="awsenv-compare-") as tmp:
        home = Path(tmp)
        write_profiles(home, count)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "AWS_EC2_METADATA_DISABLED": "true",
            # nothing measured may reach AWS: every endpoint is loopback
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        }
        from awsenv.shells import core_command

        core = core_command(env)  # exactly what the shell wrappers run
        awsenv_cmd = " ".join(core)
        init_text = subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", "init", "bash"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        init_file = home / "init.bash"
        init_file.write_text(init_text, encoding="utf-8")
        zsh_init = home / "init.zsh"
        zsh_init.write_text(
            subprocess.run(
                [PYTHON, "-I", "-m", "awsenv", "init", "zsh"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout,
            encoding="utf-8",
        )
        subprocess.run(
            [PYTHON, "-I", "-m", "awsenv", "list"], env=env, capture_output=True, check=True
        )  # the config index, built once as by the first call after a config change
        setup = f"source {init_file}"
        complete = (
            'COMP_WORDS=(awsenv use st); COMP_CWORD=2; COMP_LINE="awsenv use st"; '
            "COMP_POINT=${#COMP_LINE}; __awsenv_complete awsenv st use"
        )
        check(env, setup, "awsenv use static", {"AWS_PROFILE": "static"})
        check(env, setup, "awsenv use sso", {"AWS_PROFILE": "sso"})
        check(env, setup, "awsenv use role", {"AWS_PROFILE": "role"})
        role_arn = f"awsenv use --role-arn {BENCH_ROLE} --source static"
        check(env, setup, role_arn, {"AWSENV_PROFILE": "static>Bench"})
        # `use -` back and forth between a static and a role profile, both cached
        back = f"{setup}; awsenv use static; awsenv use role"
        check(env, back, "awsenv use -", {"AWS_PROFILE": "static"})
        # `exec PROFILE` with no command starts $SHELL (here bash reading /dev/null, which ends
        # at once): the cost of getting into an exec shell
        exec_env = {**env, "SHELL": "/bin/bash"}
        exec_shell = "awsenv exec static </dev/null 2>/dev/null"
        check(exec_env, setup, exec_shell, {})
        check(env, setup, complete + '; AWSENV_C="${COMPREPLY[*]}"', {"AWSENV_C": "static"})
        cases: dict[str, tuple[str, str, dict[str, str]]] = {
            "floor": ("", f"{PYTHON} -I -c pass", env),
            "awsenv use static": (setup, "awsenv use static", env),
            "awsenv use sso": (setup, "awsenv use sso", env),
            "awsenv use role": (setup, "awsenv use role", env),
            "awsenv use --role-arn": (setup, role_arn, env),
            "awsenv use -": (back, "awsenv use -", env),
            "awsenv exec": (setup, exec_shell, exec_env),
            "awsenv list": ("", f"{awsenv_cmd} list >/dev/null", env),
            "awsenv complete": (setup, complete, env),
        }
        awsume_loops = max(1, loops // 4)
        if awsume is not None:
            aenv = {**env, "PATH": f"{awsume / 'bin'}:{env['PATH']}"}
            if sts_url:
                aenv["AWS_ENDPOINT_URL_STS"] = sts_url
            # awsume's own bash completion: `opts=$(awsume-autocomplete)` then compgen
            acomplete = 'opts=$(awsume-autocomplete); COMPREPLY=($(compgen -W "${opts}" -- st))'
            check(aenv, "", ". awsume static", {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"})
            check(aenv, "", acomplete + '; C="${COMPREPLY[*]}"', {"C": "static"})
            cases["awsume static"] = ("", ". awsume static >/dev/null", aenv)
            cases["awsume list"] = ("", "awsumepy --list-profiles >/dev/null 2>&1", aenv)
            cases["awsume complete"] = ("", acomplete, aenv)
            if sts_url:
                check(aenv, "", ". awsume role", {"AWSUME_PROFILE": "role"})
                cases["awsume role"] = ("", ". awsume role >/dev/null", aenv)
        results: dict[str, list[float]] = {name: [] for name in cases}
        for extra in ("bash-true", "init-eval", "init-source", "init-awsume", "prompt-bash"):
            results[extra] = []
        results["prompt-zsh"] = []
        results["memory awsenv"] = []
        results["memory awsume"] = []
        prompt_env = {
            **env,
            "AWSENV_PROFILE": "static",
            "AWSENV_EXPIRATION": str(int(time.time()) + 3000),
        }
        for _ in range(runs):
            for name, (case_setup, body, case_env) in cases.items():
                n = awsume_loops if name.startswith("awsume") else loops
                results[name].append(shell_loop("bash", case_env, case_setup, body, n))
            results["bash-true"].append(wall(["bash", "--noprofile", "--norc", "-c", "true"], env))
            eval_line = f'awsenv() {{ :; }}; eval "$({awsenv_cmd} init bash)"'
            results["init-eval"].append(
                wall(["bash", "--noprofile", "--norc", "-c", eval_line], env)
            )
            results["init-source"].append(
                wall(["bash", "--noprofile", "--norc", "-c", f"source {init_file}"], env)
            )
            if awsume is not None:
                line = 'alias awsume="source awsume"; complete -C awsume-autocomplete awsume'
                results["init-awsume"].append(
                    wall(["bash", "--noprofile", "--norc", "-c", line], aenv)
                )
            results["prompt-bash"].append(
                shell_loop("bash", prompt_env, setup, "__awsenv_prompt_hook", loops * 50)
            )
            if shutil.which("zsh"):
                results["prompt-zsh"].append(
                    shell_loop(
                        "zsh", prompt_env, f"source {zsh_init}", "__awsenv_precmd", loops * 50
                    )
                )
            results["memory awsenv"].append(
                peak_rss_mib([*core, "use", "static"], {**env, "AWSENV_SHELL": "bash"})
            )
            if awsume is not None:
                results["memory awsume"].append(
                    peak_rss_mib([str(awsume / "bin" / "awsumepy"), "static"], aenv)
                )
        return results


def report(count: int, results: dict[str, list[float]]) -> list[str]:
    """Format one size's rows: median, spread and ratio to the Python floor."""
    floor = summary(results["floor"])[0]
    rows = []

    def row(label: str, samples: list[float], *, ratio: bool = True, unit: str = "ms") -> None:
        if not samples:
            rows.append(f"{count:>6}  {label:<44} {'n/a':>9}")
            return
        scale = 1 if unit == "MiB" else 1000
        med, lo, hi = summary(samples, scale)
        digits = 3 if med < 1 else 2
        ratio_text = f"{med / floor:6.2f}x" if ratio else ""
        rows.append(
            f"{count:>6}  {label:<44} {med:9.{digits}f} {unit:<3} "
            f"[{lo:.{digits}f}-{hi:.{digits}f}] {ratio_text}"
        )

    row("python -I -c pass (floor)", results["floor"])
    row("bash -c true", results["bash-true"])
    for name in ("static", "sso", "role"):
        row(f"awsenv use {name} (bash wrapper)", results[f"awsenv use {name}"])
        if name == "sso":
            row("awsume sso (no SSO without a plugin)", [])
        elif name == "role":
            row("awsume role (no role cache: AssumeRole, moto)", results.get("awsume role", []))
        else:
            row(f"awsume {name} (. awsume)", results.get(f"awsume {name}", []))
    row("awsenv use --role-arn ARN --source static", results["awsenv use --role-arn"])
    row("awsenv use - (static and role, in turn)", results["awsenv use -"])
    row("awsenv exec static (into $SHELL, which exits)", results["awsenv exec"])
    row("awsenv list", results["awsenv list"])
    row("awsume --list-profiles", results.get("awsume list", []))
    row("awsenv complete `use st<TAB>`", results["awsenv complete"])
    row("awsume complete `st<TAB>`", results.get("awsume complete", []))
    bash_true = results["bash-true"]
    row(
        'init: eval "$(awsenv init bash)" adds',
        [a - b for a, b in zip(results["init-eval"], bash_true)],
    )
    row(
        "init: source <rendered file> adds",
        [a - b for a, b in zip(results["init-source"], bash_true)],
    )
    row(
        "init: awsume alias + complete adds",
        [a - b for a, b in zip(results["init-awsume"], bash_true)],
    )
    row("prompt hook per render, bash", results["prompt-bash"], ratio=False)
    row("prompt hook per render, zsh", results["prompt-zsh"], ratio=False)
    row("peak RSS, awsenv use static (core)", results["memory awsenv"], ratio=False, unit="MiB")
    row("peak RSS, awsume static (awsumepy)", results["memory awsume"], ratio=False, unit="MiB")
    static, awsume_static = results["awsenv use static"], results.get("awsume static")
    if awsume_static:
        speedup = statistics.median(awsume_static) / statistics.median(static)
        rows.append(f"{count:>6}  {'awsume static / awsenv use static':<44} {speedup:9.1f}x")
    return rows


def main() -> int:
    """Install awsume, run every size, print the table; exit 1 only if a case is broken."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per size (default 5)")
    parser.add_argument("--loops", type=int, default=20, help="calls per timed loop (default 20)")
    parser.add_argument("--sizes", default="10,1000,10000", help="profile counts (10,1000,10000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 run, 2 loops")
    parser.add_argument("--awsume-venv", type=Path, help="reuse (or create) awsume's venv here")
    parser.add_argument("--no-awsume", action="store_true", help="measure awsenv alone")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.loops, args.sizes = 1, 2, "10,1000"
    awsume = None if args.no_awsume else awsume_venv(args.awsume_venv)
    sts_server, sts_url = None, None
    if awsume is not None:
        from tests.standin.sts import start_moto_sts

        sts_server, sts_url = start_moto_sts()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"python:  {PYTHON} ({platform.python_version()})")
    if awsume is not None:
        version = subprocess.run(
            [str(awsume / "bin" / "awsumepy"), "--version"], capture_output=True, text=True
        )
        print(f"awsume:  {(version.stdout or version.stderr).strip()} in {awsume}")
    print(f"runs: {args.runs}; medians [min-max]; x = ratio to the Python floor of the same run\n")
    try:
        for count in (int(s) for s in args.sizes.split(",")):
            for line in report(count, measure(count, args.runs, args.loops, awsume, sts_url)):
                print(line, flush=True)
            print()
    except BenchError as exc:
        print(f"bench: broken case: {exc}", file=sys.stderr)
        return 1
    finally:
        if sts_server is not None:
            sts_server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
