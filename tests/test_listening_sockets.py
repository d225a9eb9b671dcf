"""Our own listeners answer a kept connection at once: their sockets say they are TCP.

asyncio turns Nagle's algorithm off (TCP_NODELAY) on an accepted connection only when
the listening socket was made with ``IPPROTO_TCP``. Made without it, a client that keeps
its connection (the bridge's Slack client, a metrics scraper) waits for its delayed
acknowledgement, 40 ms on Linux, before each answer's body arrives.
"""

from __future__ import annotations

import socket
from types import SimpleNamespace

from bot.http.metrics_listener import start_metrics_listener
from bot.monitoring import Monitor
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.process import free_port


async def test_the_loopback_server_listens_as_tcp() -> None:
    async with LoopbackServer(lambda scope, receive, send: None, lifespan="off") as server:
        assert server._server is not None
        listening = [sock for each in server._server.servers for sock in each.sockets]
        assert listening and all(sock.proto == socket.IPPROTO_TCP for sock in listening)


async def test_the_metrics_listener_listens_as_tcp() -> None:
    listener = await start_metrics_listener(f"127.0.0.1:{free_port()}", Monitor(), SimpleNamespace())
    try:
        listening = [sock for each in listener.server.servers for sock in each.sockets]
        assert listening and all(sock.proto == socket.IPPROTO_TCP for sock in listening)
    finally:
        await listener.stop()
