"""The --debug log: on stderr, redacted, and without botocore's request and response bodies.

Each case runs in a fresh interpreter: the log attaches handlers to process-wide loggers.
"""

from __future__ import annotations

import subprocess
import textwrap

from tests.helpers import PYTHON

SCRIPT = textwrap.dedent(
    """
    import logging
    from awsenv import log

    log.enable()
    log.remember_secret("TOKEN-seen-by-awsenv")
    logging.getLogger("botocore.parsers").debug('Response body:\\nb\\'{"odd": "x"}\\'')
    logging.getLogger("botocore.endpoint").debug("Making request for %s with params: %s", "Op", {})
    logging.getLogger("botocore.endpoint").debug("Sending http request: " + "TOKEN-seen-by-awsenv")
    log.debug("cache hit for %s, refreshToken=%s", "corp", "abcdefgh")
    """
)


def test_bodies_are_left_out_and_other_lines_are_redacted():
    result = subprocess.run(
        [PYTHON, "-I", "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    err = result.stderr
    assert "Response body" not in err
    assert "Making request" not in err
    assert "awsenv debug: botocore.endpoint: Sending http request: <redacted>" in err
    assert "awsenv debug: awsenv: cache hit for corp, refreshToken=<redacted>" in err
    assert "TOKEN-seen-by-awsenv" not in err
    assert "abcdefgh" not in err
    assert result.stdout == ""


def test_the_log_is_off_and_free_by_default():
    code = "from awsenv import log; log.debug('never %s', 'shown'); print(log.enabled())"
    result = subprocess.run(
        [PYTHON, "-I", "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert (result.stdout, result.stderr) == ("False\n", "")
