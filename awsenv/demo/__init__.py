"""What `awsenv demo` runs: a local IAM Identity Center stand-in and a scripted browser.

These ship in the wheel because ``awsenv demo`` needs them: the demo's SSO profiles sign in for
real against ``idc.IdentityCenterStandIn`` on 127.0.0.1 (loopback only), and ``browser``
approves each sign-in. The tests drive the same stand-in; the test-only servers (Okta,
federation, moto's STS) live under ``tests/standin/`` and never ship.
"""

from __future__ import annotations
