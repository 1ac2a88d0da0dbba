"""The HTTP/1.1 protocol the server speaks: uvicorn's h11, with Nagle's algorithm off.

With ``--workers`` above 1, uvicorn binds the listening socket itself
(``socket.socket(family)``, protocol number 0), and asyncio only sets
TCP_NODELAY on accepted sockets whose protocol number is TCP's.  Every
response is written as headers and then body, so the body waited for the
client's delayed ACK: 40 ms on every request, whatever it did.  Setting the
option on each connection makes 1 and N workers answer alike.
"""
from __future__ import annotations

import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that sends each write at once (TCP_NODELAY)."""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass  # the peer has already gone: nothing to speed up
        super().connection_made(transport)
