"""The server's connections send at once (TCP_NODELAY), also with several workers.

``lettergen serve --workers N`` (N > 1) listens on a socket uvicorn made with
protocol number 0, where asyncio leaves Nagle's algorithm on: each response
then waited 40 ms for the client's delayed ACK.  The protocol class the
server uses turns it off on every connection; the benchmark
(``benchmarks/bench_service.py``) shows the latency.
"""
from __future__ import annotations

import asyncio
import socket

import pytest

from uvicorn.config import Config
from uvicorn.server import ServerState

from lettergen.service.protocol import NoDelayH11Protocol, NoDelayHttpToolsProtocol


async def _accepted_nodelay(protocol_class) -> int:
    config = Config(app=lambda scope, receive, send: None, http=protocol_class, log_level="warning")
    config.load()
    listening = socket.socket(socket.AF_INET)  # as uvicorn binds it for several workers
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    seen = asyncio.get_running_loop().create_future()

    def make_protocol():
        protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
        made = protocol.connection_made

        def connection_made(transport):
            made(transport)
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        protocol.connection_made = connection_made
        return protocol

    server = await asyncio.get_running_loop().create_server(make_protocol, sock=listening)
    client = socket.create_connection(listening.getsockname())
    try:
        return await asyncio.wait_for(seen, 10)
    finally:
        client.close()
        server.close()


@pytest.mark.parametrize("protocol", [NoDelayHttpToolsProtocol, NoDelayH11Protocol])  # the first is what serve uses
def test_connections_of_a_socket_bound_for_several_workers_have_nodelay(protocol):
    assert asyncio.run(_accepted_nodelay(protocol)) == 1


def test_plain_h11_on_such_a_socket_leaves_nagle_on():
    # The reason for the class: if uvicorn or asyncio ever fix it, this shows it.
    from uvicorn.protocols.http.h11_impl import H11Protocol
    assert asyncio.run(_accepted_nodelay(H11Protocol)) == 0


def test_serve_runs_the_c_parser_and_uvloop_when_installed():
    from lettergen.service.protocol import server_options
    assert server_options() == {"http": NoDelayHttpToolsProtocol, "loop": "uvloop"}
