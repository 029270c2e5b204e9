"""How ``yishi serve`` runs uvicorn, in one process or several.

With several processes uvicorn binds the listening socket itself, without naming the TCP
protocol, and asyncio then leaves Nagle's algorithm on for every accepted connection: each
keep-alive answer waited ~40 ms for the client's delayed ACK (uvicorn issue #3149; a plain
JSON route fell from 7,477 to 726 req/s). The HTTP protocol here turns Nagle off on its own
connection, whoever made the socket.
"""
from __future__ import annotations

import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

APP_FACTORY = "core.app:create_app"


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # the peer is already gone
                pass
        super().connection_made(transport)
