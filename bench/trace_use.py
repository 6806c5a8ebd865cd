"""Print which awsenv modules a cached SSO ``awsenv use`` enters, and from where.

    .venv/bin/python bench/trace_use.py

A temporary HOME gets one sso-session profile and a valid cached token; the core runs in this
process under a profiler that notes each call from one awsenv module into another. The output is
the list docs/architecture.md describes (no timing: ``bench/run`` measures).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time


def _home() -> str:
    home = tempfile.mkdtemp(prefix="awsenv-trace-")
    os.makedirs(os.path.join(home, ".aws", "sso", "cache"))
    with open(os.path.join(home, ".aws", "config"), "w", encoding="utf-8") as config:
        config.write(
            "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\n"
            "sso_region = us-east-1\n[profile dev]\nsso_session = corp\n"
            "sso_account_id = 111111111111\nsso_role_name = Admin\n"
        )

    def stamp(seconds: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))

    token = {
        "accessToken": "not-a-token",
        "expiresAt": stamp(7200),
        "refreshToken": "not-a-refresh-token",
        "clientId": "client",
        "clientSecret": "not-a-secret",
        "registrationExpiresAt": stamp(86400),
        "region": "us-east-1",
        "startUrl": "https://x.awsapps.com/start",
    }
    name = hashlib.sha1(b"corp").hexdigest() + ".json"  # noqa: S324 - botocore's file name
    with open(os.path.join(home, ".aws", "sso", "cache", name), "w", encoding="utf-8") as file:
        json.dump(token, file)
    return home


def main() -> int:
    os.environ.clear()
    os.environ.update({"HOME": _home(), "AWSENV_SHELL": "bash", "PATH": "/usr/bin:/bin"})
    from awsenv import cli

    edges: list[str] = []

    def module(frame: object) -> str | None:
        name = getattr(frame, "f_globals", {}).get("__name__", "")
        return name if name.startswith("awsenv") else None

    def profiler(frame: object, event: str, arg: object) -> None:
        del arg
        if event != "call":
            return
        callee, caller = module(frame), module(getattr(frame, "f_back", None))
        code = getattr(frame, "f_code", None)
        if callee and caller and callee != caller and getattr(code, "co_name", "") != "<module>":
            edge = f"{caller} -> {callee}.{getattr(code, 'co_name', '?')}"
            if edge not in edges:
                edges.append(edge)

    sys.setprofile(profiler)
    try:
        status = cli.main(["use", "dev"])
    finally:
        sys.setprofile(None)
    print("\n".join(edges), file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
