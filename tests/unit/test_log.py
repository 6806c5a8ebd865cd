"""The --debug log: on stderr, redacted, and without botocore's request and response bodies."""

from __future__ import annotations

import logging
import sys

import pytest

from awsenv import log


@pytest.fixture
def debug_log(monkeypatch, capsys):
    """Turn the log on for one test (onto capsys's stderr); take its handlers off afterwards."""
    monkeypatch.setattr(log, "_state", {"enabled": False})
    loggers = [logging.getLogger(n) for n in ("awsenv", "botocore", "urllib3")]
    before = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    log.enable()
    yield
    for logger, handlers, level, propagate in before:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_bodies_are_left_out_and_other_lines_are_redacted(debug_log, capsys):
    log.remember_secret("TOKEN-seen-by-awsenv")
    logging.getLogger("botocore.parsers").debug('Response body:\nb\'{"odd": "x"}\'')
    logging.getLogger("botocore.endpoint").debug("Making request for %s with params: %s", "Op", {})
    logging.getLogger("botocore.endpoint").debug("Sending http request: TOKEN-seen-by-awsenv")
    log.debug("cache hit for %s, refreshToken=%s", "corp", "abcdefgh")
    err = capsys.readouterr().err
    assert "Response body" not in err
    assert "Making request" not in err
    assert "Sending http request: <redacted>" in err
    assert "cache hit for corp, refreshToken=<redacted>" in err
    assert "TOKEN-seen-by-awsenv" not in err
    assert "abcdefgh" not in err


def test_the_log_is_off_and_free_by_default(capsys, monkeypatch):
    monkeypatch.setattr(log, "_state", {"enabled": False})
    log.debug("never %s", "shown")
    assert capsys.readouterr().err == ""
    assert log.enabled() is False
    assert sys.modules.get("awsenv.log") is log
