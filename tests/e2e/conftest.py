"""End-to-end fixtures: the SSO world (moto's STS and the Identity Center stand-in come from
tests/conftest.py) and the AWS CLI."""

from __future__ import annotations

import os
import sys

import pytest

from tests.worlds import SsoWorld


@pytest.fixture
def world(home, idc, moto_sts) -> SsoWorld:
    return SsoWorld(home, idc, moto_sts)


@pytest.fixture
def aws_cli() -> str:
    path = os.path.join(os.path.dirname(sys.executable), "aws")
    if not os.path.exists(path):
        from tests.helpers import IN_CI

        if IN_CI:
            pytest.fail("the AWS CLI (awscli from the test extra) is not installed")
        pytest.skip("the AWS CLI is not installed")
    return path
