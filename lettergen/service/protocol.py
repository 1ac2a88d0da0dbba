"""The HTTP/1.1 protocol the server speaks: uvicorn's httptools (C parser), with Nagle's algorithm off.

With ``--workers`` above 1, uvicorn binds the listening socket itself
(``socket.socket(family)``, protocol number 0), and asyncio only sets
TCP_NODELAY on accepted sockets whose protocol number is TCP's.  Every
response is written as headers and then body, so the body waited for the
client's delayed ACK: 40 ms on every request, whatever it did.  Setting the
option on each connection makes 1 and N workers answer alike.  ``lettergen
serve`` runs uvicorn's production set-up (httptools and uvloop, its
"standard" extras, installed with lettergen; uvloop does not exist on
Windows), and h11 and asyncio where they are missing.
"""
from __future__ import annotations

import importlib.util
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def _no_delay(transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # the peer has already gone: nothing to speed up


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that sends each write at once (TCP_NODELAY)."""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)


HAS_HTTPTOOLS = importlib.util.find_spec("httptools") is not None

if HAS_HTTPTOOLS:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol (the C parser) that sends each write at once."""

        def connection_made(self, transport) -> None:  # type: ignore[override]
            _no_delay(transport)
            super().connection_made(transport)


def server_options() -> dict[str, Any]:
    """uvicorn's ``http`` and ``loop`` for ``lettergen serve``: httptools and uvloop when installed."""
    return {"http": NoDelayHttpToolsProtocol if HAS_HTTPTOOLS else NoDelayH11Protocol,
            "loop": "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"}
