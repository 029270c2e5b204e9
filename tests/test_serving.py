"""``yishi serve``: several processes need a shared broker, and every connection has Nagle off
whoever made the listening socket (uvicorn's multi-process socket names no protocol, so asyncio
left Nagle on and each keep-alive answer waited for a delayed ACK)."""
from __future__ import annotations

import asyncio
import socket

from click.testing import CliRunner

from core.cli import main
from core.serving import NoDelayH11Protocol


async def test_connections_accepted_on_a_protocol_less_socket_get_nodelay():
    from uvicorn.config import Config as UvicornConfig
    from uvicorn.server import ServerState

    async def app(scope, receive, send):  # never called: only the connection is looked at
        raise AssertionError

    config = UvicornConfig(app, http=NoDelayH11Protocol)
    config.load()
    # As uvicorn's bind_socket makes it for several workers: no protocol given.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    seen: list[int] = []

    def protocol():
        made = NoDelayH11Protocol(config=config, server_state=ServerState(), app_state={})
        original = made.connection_made

        def connection_made(transport):
            original(transport)
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        made.connection_made = connection_made
        return made

    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, sock=listener)
    try:
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
    finally:
        server.close()
    assert seen and seen[0] != 0


def test_several_processes_without_a_shared_broker_are_refused_with_the_reason(monkeypatch):
    monkeypatch.delenv("YISHI_BROKER_URL", raising=False)
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code != 0
    assert "YISHI_BROKER_URL" in result.output and "Redis" in result.output
