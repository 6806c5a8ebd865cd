"""What explain and doctor know: how a profile resolves, the caches it reads, what goes wrong.

It formats what the real parts return (``profiles.walk``, ``providers.describe``,
``plan.decide``) and never keeps a rule of its own: :mod:`.model` holds the data (frozen
dataclasses with ``to_json``), :mod:`.explain` one profile, :mod:`.caches` the cache files and
:mod:`.doctor` everything at once. Nothing here logs in, makes a network call, imports boto3 or
writes a file; only ``doctor --fix`` changes a file.
"""

from __future__ import annotations

from awsenv.config.read import Files, load_files
from awsenv.diagnose.caches import cache_dirs, cache_problems, wanted_mode
from awsenv.diagnose.doctor import Report, check, config_problems, environment_problems
from awsenv.diagnose.explain import explain
from awsenv.diagnose.model import *  # noqa: F403 - the data and ids, as one namespace
from awsenv.providers.cached import (
    EXPIRED,
    EXPIRING,
    INCOMPLETE,
    MISSING,
    TORN,
    UNREADABLE,
    VALID,
    login_cache_path,
)

__all__ = [
    "EXPIRED",
    "EXPIRING",
    "INCOMPLETE",
    "MISSING",
    "TORN",
    "UNREADABLE",
    "VALID",
    "Files",
    "Report",
    "cache_dirs",
    "cache_problems",
    "check",
    "config_problems",
    "environment_problems",
    "explain",
    "load_files",
    "login_cache_path",
    "wanted_mode",
]
