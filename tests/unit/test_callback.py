"""The PKCE redirect listener: loopback only, state checked, other requests refused, bounded."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from awsenv.sso.callback import CallbackServer


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_listens_on_127_0_0_1_only():
    with CallbackServer("s") as server:
        assert server.redirect_uri.startswith("http://127.0.0.1:")
        assert server._server.server_address[0] == "127.0.0.1"
        addresses = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None)}
        for address in addresses - {"127.0.0.1", "::1"}:
            with (
                pytest.raises(ConnectionRefusedError),
                socket.create_connection((address, server.port), 1),
            ):
                pass


def test_wrong_state_is_refused_and_waiting_continues():
    with CallbackServer("right-state") as server:
        base = server.redirect_uri
        assert get(base + "?code=c1&state=wrong") == 400
        assert get(base + "?code=c1") == 400
        assert server.wait(0.1) is None
        assert get(base + "?code=c2&state=right-state") == 200
        result = server.wait(1)
        assert result is not None
        assert (result.code, result.error) == ("c2", None)
        assert "c2" not in repr(result)


def test_other_paths_are_not_found():
    with CallbackServer("s") as server:
        assert get(f"http://127.0.0.1:{server.port}/?code=c&state=s") == 404
        assert get(f"http://127.0.0.1:{server.port}/favicon.ico") == 404
        assert server.wait(0.1) is None


def test_error_from_the_authorization_server_ends_the_wait_with_the_error():
    with CallbackServer("s") as server:
        assert get(server.redirect_uri + "?error=access_denied&state=s") == 200
        result = server.wait(1)
        assert result is not None
        assert (result.code, result.error) == (None, "access_denied")


def test_nothing_arrives_means_none_after_the_timeout():
    with CallbackServer("s") as server:
        assert server.wait(0.2) is None


def test_a_second_callback_after_completion_is_refused():
    with CallbackServer("s") as server:
        assert get(server.redirect_uri + "?code=c&state=s") == 200
        assert get(server.redirect_uri + "?code=other&state=s") == 404
        result = server.wait(1)
        assert result is not None
        assert result.code == "c"


def test_port_is_free_again_after_the_server_stops():
    with CallbackServer("s") as server:
        port = server.port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
