"""Local stand-ins for IAM Identity Center (later Okta): tests and `awsenv demo`; loopback only."""

from __future__ import annotations
