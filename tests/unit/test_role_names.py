"""The IAM user name in a caller ARN: whose MFA devices ``configure role`` lists."""

from __future__ import annotations

import pytest

from awsenv.providers import role


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:iam::123456789012:user/alice", "alice"),
        ("arn:aws:iam::123456789012:user/division/team/alice", "alice"),
        ("arn:aws-cn:iam::123456789012:user/bob", "bob"),
        # a role session, the root user or anything else has no devices of its own to list
        ("arn:aws:sts::123456789012:assumed-role/Admin/alice", None),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:iam::123456789012:user/", None),
        ("not an arn", None),
    ],
)
def test_user_name_of_a_caller_arn(arn: str, name: str | None) -> None:
    assert role.user_name(arn) == name
