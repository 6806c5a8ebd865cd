"""Which login flow runs, and when a cached token is good enough (no network in these tests)."""

from __future__ import annotations

import os
import time

import pytest

from awsenv.sso import login, tokens

SESSION = tokens.SsoSession("corp", "https://d-1.awsapps.com/start", "us-east-1")
LEGACY = tokens.SsoSession(None, "https://d-1.awsapps.com/start", "us-east-1")


@pytest.mark.parametrize(
    ("sess", "settings", "options", "environ", "flow", "explained"),
    [
        (SESSION, {}, {}, {}, login.PKCE, False),
        (SESSION, {}, {"device_code": True}, {}, login.DEVICE, False),
        (LEGACY, {}, {}, {}, login.DEVICE, False),
        (SESSION, {"awsenv_login_flow": "device"}, {}, {}, login.DEVICE, False),
        (
            SESSION,
            {"awsenv_login_flow": "pkce"},
            {},
            {"SSH_CONNECTION": "1 2 3 4"},
            login.PKCE,
            False,
        ),
        (SESSION, {}, {}, {"SSH_CONNECTION": "1 2 3 4"}, login.DEVICE, True),
        (SESSION, {}, {}, {"SSH_TTY": "/dev/pts/1"}, login.DEVICE, True),
        (SESSION, {}, {"port": 8400}, {"SSH_CONNECTION": "1 2 3 4"}, login.PKCE, False),
        (SESSION, {}, {}, {"SSH_CONNECTION": "1 2 3 4", "DISPLAY": ":0"}, login.PKCE, False),
    ],
)
def test_flow_choice(sess, settings, options, environ, flow, explained):
    chosen, why = login.choose_flow(sess, settings, login.LoginOptions(**options), environ)
    assert chosen == flow
    assert bool(why) == explained
    if why:
        assert "SSH" in why
        assert "device code" in why


def save(environ, sess, expires_in, *, refresh=True):
    tokens.save_token(
        environ,
        sess,
        tokens.Token(
            access_token="a",
            expires_at=int(time.time()) + expires_in,
            refresh_token="r" if refresh else None,
            client_id="c",
            client_secret="s",
            registration_expires_at=int(time.time()) + 86400,
        ),
    )
    path = tokens.token_path(environ, sess)
    os.utime(path, (time.time() - 10, time.time() - 10))


def test_a_token_with_more_than_15_minutes_left_is_used_as_is(home):
    environ = dict(os.environ)
    save(environ, SESSION, 3600)
    assert tokens.usable_until(environ, SESSION, time.time()) is not None


def test_a_refreshable_token_inside_15_minutes_is_not_used_as_is(home):
    environ = dict(os.environ)
    save(environ, SESSION, 600)
    assert tokens.usable_until(environ, SESSION, time.time()) is None


def test_a_legacy_token_is_used_until_it_expires(home):
    environ = dict(os.environ)
    save(environ, LEGACY, 600, refresh=False)
    assert tokens.usable_until(environ, LEGACY, time.time()) is not None
    save(environ, LEGACY, -1, refresh=False)
    assert tokens.usable_until(environ, LEGACY, time.time()) is None


def test_no_token_means_a_login(home):
    assert tokens.usable_until(dict(os.environ), SESSION, time.time()) is None


@pytest.mark.parametrize("browser", ["/bin/true %s", "/bin/false %s"])
def test_on_a_terminal_the_sign_in_url_and_code_are_shown_even_when_a_browser_opened(
    tmp_path, browser
):
    # Found on a new user's walk: with a browser started, a terminal showed only "Opened your
    # browser to sign in." and a spinner; a browser that failed silently was a dead end.
    from tests.helpers import PYTHON
    from tests.terminal import run_pty

    url = "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH"
    code = (
        "import os, sys\n"
        "from awsenv.ui import TerminalLoginUI\n"
        "ui = TerminalLoginUI(no_browser=False, environ=os.environ)\n"
        f"ui.open_url({url!r}, user_code='ABCD-EFGH')\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "BROWSER": browser, "TERM": "xterm"}
    run = run_pty([PYTHON, "-I", "-c", code], env)
    assert run.code == 0, run.screen
    assert url in run.screen
    assert "ABCD-EFGH" in run.screen
    opened = "Opened your browser" in run.screen
    assert opened is (browser == "/bin/true %s"), run.screen
