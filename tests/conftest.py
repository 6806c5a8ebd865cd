"""Hermetic defaults for every test (a temporary HOME, no inherited AWS or awsenv settings) and
the loopback servers several test folders use: moto's STS and the Identity Center stand-in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME, the AWS files and the cache at a temporary directory; drop AWS_*/AWSENV_*."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "AWSENV_", "BOTO_")) or name in {"NO_COLOR", "BROWSER"}:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Any AWS call a test did not point at a stand-in fails at once, on this machine.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    return home


@pytest.fixture
def home(hermetic_env: Path) -> Path:
    """The temporary HOME of this test."""
    return hermetic_env


@pytest.fixture(scope="session")
def moto_sts() -> Iterator[str]:
    """moto's STS on loopback, once for the whole run; its endpoint URL."""
    from tests.standin.sts import start_moto_sts

    server, endpoint = start_moto_sts()
    yield endpoint
    server.stop()


@pytest.fixture
def idc(moto_sts: str) -> Iterator[object]:
    """The IAM Identity Center stand-in (tests.worlds.ACCOUNTS), minting role keys with moto."""
    from awsenv.demo.idc import IdentityCenterStandIn
    from tests.worlds import ACCOUNTS

    standin = IdentityCenterStandIn(sts_endpoint=moto_sts, accounts=ACCOUNTS).start()
    yield standin
    standin.stop()
