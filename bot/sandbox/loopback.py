"""Serve an ASGI app with uvicorn on 127.0.0.1 inside the running event loop.

The demo and the tests run the mProfi simulator (and later the Slack emulator and
the app itself) as real HTTP servers on loopback ports chosen by the OS, in the
same event loop as the code that drives them, so no thread shares their state.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Literal

import uvicorn

__all__ = ["LoopbackServer"]


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.exit_now = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The host process owns signal handling; a background server must not.
        yield

    async def main_loop(self) -> None:
        """uvicorn's once-a-tick loop, woken by stop() at once rather than at the next 0.1 s tick:
        every test stops three servers, one after another."""
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.exit_now.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, without its fixed 0.1 s grace sleep when no connection or
        request is left to finish (the usual case: the stack closes its clients first).

        Only for an app without a lifespan (the simulator, the emulator): the bridge's
        workers keep that grace to finish what they are doing before they are cancelled.
        """
        if self.server_state.connections or self.server_state.tasks or self.config.lifespan != "off":
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


class LoopbackServer:
    """``async with LoopbackServer(app) as server: server.url`` → ``http://127.0.0.1:PORT``."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, lifespan: Literal["auto", "on", "off"] = "auto") -> None:
        self._app = app
        self._host = host
        self._port = port
        self._lifespan = lifespan
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        # IPPROTO_TCP named: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say so,
        # and with it on, a client that keeps its connection waits 40 ms for each answer's body.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            lifespan=self._lifespan,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the loopback server stopped during start-up")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        self._server.exit_now.set()
        try:
            await asyncio.wait_for(self._task, timeout=5)
        except TimeoutError:
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._server = None
        self._task = None

    async def __aenter__(self) -> LoopbackServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
