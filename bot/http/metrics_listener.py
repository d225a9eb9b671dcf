"""``/metrics`` on an address of its own (``METRICS_ADDRESS``), served from the app's loop.

A second uvicorn server in the same event loop rather than prometheus_client's
thread: the scrape reads the database through the same async engine as the bridge.
It serves ``/metrics`` and nothing else, without a token: bind it where only the
scraper reaches (a private interface, or loopback behind the scraper's agent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette

from bot.http.health import metrics_route
from bot.monitoring import Monitor
from bot.preflight import StartupRefused

__all__ = ["MetricsListener", "start_metrics_listener"]

logger = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The main server owns SIGINT and SIGTERM; this one stops when the app does.
        yield


class MetricsListener:
    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None]) -> None:
        self.server = server
        self.task = task

    async def stop(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 5.0)


async def start_metrics_listener(address: str, monitor: Monitor, bridge: Any) -> MetricsListener:
    """Listen on ``host:port``; a port already taken stops the start-up with one line."""
    host, _, port = address.rpartition(":")
    app = Starlette(routes=[metrics_route(monitor)])
    app.state.bridge = bridge
    config = uvicorn.Config(app, host=host.strip("[]"), port=int(port), log_config=None, access_log=False, lifespan="off")
    server = _Server(config)
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    # IPPROTO_TCP named: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say so,
    # and with it on, a scraper that keeps its connection waits 40 ms for each answer's body.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), int(port)))
    except OSError as exc:
        sock.close()
        raise StartupRefused(f"METRICS_ADDRESS {address} cannot be listened on ({exc.strerror or exc})") from None
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            raise StartupRefused(f"METRICS_ADDRESS {address} cannot be listened on (is the port taken?)")
        await asyncio.sleep(0.01)
    logger.info("metrics on http://%s/metrics", address)
    return MetricsListener(server, task)
