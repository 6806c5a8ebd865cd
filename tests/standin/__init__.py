"""Loopback stand-ins that only tests use (Okta, federation, moto STS), and the stand-in tests."""
