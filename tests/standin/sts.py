"""Start moto's STS as a threaded server on a free loopback port, with its request log silenced."""

from __future__ import annotations

import logging

TYPE_CHECKING = False
if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer


def start_moto_sts() -> tuple[ThreadedMotoServer, str]:
    """Start moto (all its backends, STS among them) on 127.0.0.1; return it and its endpoint URL.

    Stop it with ``server.stop()``. moto is a test dependency, so it is imported here only.
    """
    from moto.server import ThreadedMotoServer

    # werkzeug writes one line per request (and a development-server banner) to stderr.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"
