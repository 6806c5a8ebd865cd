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


# --- room in the environment: a value or a plan no new program could receive is refused --------


def _apply(plan, environ):
    env = dict(environ)
    for name, value in plan:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_the_longest_value_the_kernel_takes_is_exported_and_one_byte_more_is_refused():
    import os
    import sys

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("MAX_ARG_STRLEN is Linux's")
    limit = exports.string_limit()
    assert limit == 32 * os.sysconf("SC_PAGE_SIZE")  # MAX_ARG_STRLEN, NAME=value and NUL
    # AWS_DEFAULT_REGION is the longer of the two names that get the region
    longest = limit - len("AWS_DEFAULT_REGION=") - 1
    plan = exports.plan_profile({}, "big", region="r" * longest)
    assert dict(exports.changes(plan, {}, argv=[]))["AWS_DEFAULT_REGION"] == "r" * longest
    plan = exports.plan_profile({}, "big", region="r" * (longest + 1))
    with pytest.raises(exports.NoRoom) as raised:
        exports.changes(plan, {}, argv=[])
    message = raised.value.message
    assert "AWS_DEFAULT_REGION" in message
    assert "'big'" in message
    assert "\n" not in message
    assert raised.value.hint is None  # one line
    # bytes count, not characters
    plan = exports.plan_profile({}, "big", region="\u00e9" * (longest // 2 + 1))
    with pytest.raises(exports.NoRoom):
        exports.changes(plan, {}, argv=[])


def _filled(size: int) -> dict[str, str]:
    """An environment of about ``size`` bytes in variables of 64 KiB or less."""
    env = {}
    index = 0
    while size > 0:
        chunk = min(size, 64 * 1024)
        env[f"FILL{index}"] = "f" * chunk
        size -= chunk
        index += 1
    return env


def test_a_plan_that_fills_the_environment_to_the_margin_is_accepted_and_one_byte_more_refused():
    import pytest

    cap = exports.total_limit()
    if cap is None:
        pytest.skip("no ARG_MAX here")
    argv = ["/usr/bin/python3", "-I", "awsenv", "use", "dev"]
    env = _filled(cap - exports.MARGIN - 16 * 1024)
    last = list(env)[-1]  # the one shorter than 64 KiB
    plan = exports.plan_profile(env, "dev", region="eu-west-1")
    # the filler is no variable awsenv manages, so each byte more in it is a byte more after use
    env[last] += "f" * (cap - exports.MARGIN - exports.environment_size(_apply(plan, env), argv))
    exact = exports.plan_profile(env, "dev", region="eu-west-1")
    assert exports.environment_size(_apply(exact, env), argv) == cap - exports.MARGIN
    exports.changes(exact, env, argv=argv)
    env[last] += "f"
    with pytest.raises(exports.NoRoom) as raised:
        exports.changes(exports.plan_profile(env, "dev", region="eu-west-1"), env, argv=argv)
    assert "'dev'" in raised.value.message
    assert "\n" not in raised.value.message
    # a plan that makes the environment no larger is never refused: unset frees room
    full = _apply(exports.plan_profile(env, "dev", region="eu-west-1"), env)
    exports.changes(exports.plan_unset(full), full, argv=argv)


def test_unset_never_needs_more_room_than_it_frees():
    # the baseline goes into AWSENV_SAVED at the first use; unset drops it and puts the values
    # back, so the environment after unset is never larger than the one unset runs in
    for token in ("", "t", "t" * 1000, "\udc9b" * 30_000, "x" * 60_000):
        base = {"PATH": "/bin", "AWS_SESSION_TOKEN": token, "AWS_REGION": "eu-west-1"}
        used = _apply(exports.changes(exports.plan_profile(base, "p", region="r"), base), base)
        unset = exports.changes(exports.plan_unset(used), used, argv=[])
        after = _apply(unset, used)
        assert after == base
        assert exports.environment_size(after, []) <= exports.environment_size(used, [])


def test_exec_refuses_a_child_environment_no_program_could_receive():
    import pytest

    from awsenv.commands import exec_

    if exports.string_limit() is None:
        pytest.skip("MAX_ARG_STRLEN is Linux's")
    keys = exports.Keys("AKIA1", "secret", "t" * 200 * 1024)
    with pytest.raises(exports.NoRoom) as raised:
        exec_.child_environment({"PATH": "/bin"}, "big", keys, None, ["true"])
    assert "AWS_SESSION_TOKEN" in raised.value.message
    assert "'big'" in raised.value.message
    env = exec_.child_environment(
        {"PATH": "/bin", "AWSENV_SAVED": "x"}, "ok", exports.Keys("A", "s"), None, ["true"]
    )
    assert env["AWS_ACCESS_KEY_ID"] == "A"
    assert "AWSENV_SAVED" not in env
