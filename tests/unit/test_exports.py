"""Export plans: what `use`, `region` and `unset` set and clear, independent of any shell."""

from __future__ import annotations

from awsenv import exports


def as_dict(plan):
    return dict(plan)


def test_use_profile_sets_profile_and_clears_what_would_beat_it():
    env = {
        "AWS_DEFAULT_PROFILE": "old",
        "AWS_ACCESS_KEY_ID": "AKIAOLD",
        "AWS_SECRET_ACCESS_KEY": "old-secret",
        "AWS_SECURITY_TOKEN": "old-token",
    }
    plan = as_dict(exports.plan_profile(env, "prod", region="eu-west-1"))
    assert plan["AWS_PROFILE"] == "prod"
    assert plan["AWSENV_PROFILE"] == "prod"
    assert plan["AWS_REGION"] == plan["AWS_DEFAULT_REGION"] == "eu-west-1"
    for name in (
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SECURITY_TOKEN",
        "AWS_SESSION_TOKEN",
        "AWSENV_EXPIRATION",
    ):
        assert plan[name] is None


def test_use_keys_clears_profile_and_security_token_and_sets_expiration_in_utc():
    env = {"AWS_PROFILE": "x", "AWS_DEFAULT_PROFILE": "y", "AWS_SECURITY_TOKEN": "stale"}
    keys = exports.Keys("AKIA1", "s3cr3t", "tok", expiration=1_800_000_000)
    plan = as_dict(exports.plan_keys(env, "dev", keys, region=None))
    assert plan["AWS_PROFILE"] is None
    assert plan["AWS_DEFAULT_PROFILE"] is None
    assert plan["AWS_SECURITY_TOKEN"] is None
    assert plan["AWS_ACCESS_KEY_ID"] == "AKIA1"
    assert plan["AWS_SESSION_TOKEN"] == "tok"
    assert plan["AWS_CREDENTIAL_EXPIRATION"] == "2027-01-15T08:00:00Z"
    assert plan["AWSENV_EXPIRATION"] == "1800000000"


def test_keys_repr_never_shows_the_secret():
    keys = exports.Keys("AKIAABCDEFGH", "very-secret-value", "session-token-value", 1)
    assert "very-secret" not in repr(keys)
    assert "session-token" not in repr(keys)


def apply(env, plan):
    env = dict(env)
    for name, value in plan:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_unset_after_several_uses_restores_the_shell_exactly():
    before = {"AWS_REGION": "ap-south-1", "AWS_PROFILE": "mine", "HOME": "/h", "OTHER": "1"}
    env = apply(before, exports.plan_profile(before, "a", region="eu-west-1"))
    env = apply(env, exports.plan_keys(env, "b", exports.Keys("K", "S"), region=None))
    env = apply(env, exports.plan_region(env, "us-west-2"))
    env = apply(env, exports.plan_profile(env, "c", region=None))
    assert env["AWS_REGION"] == "ap-south-1"  # c has no region: the user's own comes back
    env = apply(env, exports.plan_unset(env))
    assert env == before


def test_switching_profiles_drops_the_previous_profiles_region():
    env = apply({}, exports.plan_profile({}, "a", region="eu-west-1"))
    env = apply(env, exports.plan_profile(env, "b", region=None))
    assert "AWS_REGION" not in env
    assert env["AWS_PROFILE"] == "b"


def test_region_keeps_the_active_profile():
    env = apply({}, exports.plan_profile({}, "a", region=None))
    env = apply(env, exports.plan_region(env, "eu-north-1"))
    assert env["AWS_PROFILE"] == env["AWSENV_PROFILE"] == "a"
    assert env["AWS_DEFAULT_REGION"] == "eu-north-1"


def test_saved_baseline_round_trips_any_value():
    values = {"AWS_PROFILE": "'\";$(x)\n é🚒", "AWS_REGION": "", "AWS_DEFAULT_REGION": None}
    decoded = exports.decode_saved(exports.encode_saved(values))
    assert decoded is not None
    assert decoded["AWS_PROFILE"] == values["AWS_PROFILE"]
    assert decoded["AWS_REGION"] == ""
    assert decoded["AWS_DEFAULT_REGION"] is None
    assert exports.encode_saved(values).isascii()


def test_a_forged_saved_value_is_ignored():
    assert exports.decode_saved("PATH=2f62696e") is None
    assert exports.decode_saved("AWS_PROFILE=zz") is None
    env = {"AWSENV_SAVED": "LD_PRELOAD=2f746d70", "AWS_PROFILE": "p"}
    assert exports.baseline(env)["AWS_PROFILE"] == "p"
