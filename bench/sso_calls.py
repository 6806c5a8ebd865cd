#!/usr/bin/env python3
"""Count the HTTP calls each SSO path of `awsenv use` makes, against the local stand-in.

    .venv/bin/python bench/sso_calls.py

Paths: first login (PKCE), first login (device code), a cached token, a token inside the
refresh window, `use --keys` (GetRoleCredentials), `use --keys` again (AWS CLI cache).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from awsenv.demo.idc import IdentityCenterStandIn
from awsenv.sso import tokens

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import SSO_SESSION, sso_home


def use(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-I", "-m", "awsenv", "use", "dev", *args],
        env={**env, "AWSENV_SHELL": "bash"},
        check=True,
        capture_output=True,
    )


def main() -> None:
    """Print one line per path: the operations called and their total."""
    with tempfile.TemporaryDirectory() as tmp, IdentityCenterStandIn() as idc:
        _home, env = sso_home(Path(tmp))
        env.update(idc.environ())

        def measure(label: str, prepare: object = None, *args: str) -> None:
            before = idc.calls
            if callable(prepare):
                prepare()
            use(env, *args)
            after = idc.calls
            delta = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
            print(f"{label:<44} {sum(delta.values()):>2}  {delta}")

        def drop_token() -> None:
            tokens.remove_token(env, SSO_SESSION)

        def near_expiry() -> None:
            token = tokens.load_token(env, SSO_SESSION)
            assert token is not None
            token.expires_at = int(time.time()) + 300
            tokens.save_token(env, SSO_SESSION, token)

        print(f"{'path':<44} calls  operations")
        measure("first login, PKCE (new registration)")
        measure("cached token", None)
        measure("token inside the 15-minute refresh window", near_expiry)
        measure("login again, PKCE (registration reused)", drop_token)
        measure("first login, device code", drop_token, "--device-code")
        measure("use --keys (GetRoleCredentials)", None, "--keys")
        measure("use --keys again (AWS CLI cache)", None, "--keys")


if __name__ == "__main__":
    main()
