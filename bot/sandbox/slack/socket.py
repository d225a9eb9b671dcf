"""Socket Mode as Slack runs it: the app dials out, Slack sends envelopes, the app acks.

``apps.connections.open`` (called with the app-level token) hands out a one-time
WebSocket URL; the emulator greets each connection with ``hello`` and then sends
events, slash commands and interactions as envelopes. The app answers each with
``{"envelope_id": ..., "payload": ...}``; what it answered is returned to the test
as if it were the HTTP response of the same request.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
from typing import Any

import httpx
from starlette.websockets import WebSocket, WebSocketDisconnect

__all__ = ["SocketLinks"]

# What Slack's envelopes carry for each kind, and whether the ack may carry an answer.
ANSWERS = {"events_api": False, "slash_commands": True, "interactive": True}


class SocketLinks:
    def __init__(self, *, app_id: str, ack_timeout: float = 10.0) -> None:
        self.app_id = app_id
        self.ack_timeout = ack_timeout
        self.tickets: set[str] = set()
        self.opened = 0  # connections ever accepted: a reconnect counts again
        self.sent: list[dict[str, Any]] = []
        self._links: list[WebSocket] = []
        self._turn = itertools.count()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connected = asyncio.Condition()

    def ticket(self) -> str:
        value = secrets.token_hex(8)
        self.tickets.add(value)
        return value

    @property
    def connected(self) -> int:
        return len(self._links)

    async def serve(self, websocket: WebSocket) -> None:
        """One app connection: greet it, then read its acks until it goes away."""
        ticket = websocket.query_params.get("ticket", "")
        if ticket not in self.tickets:
            await websocket.close(code=4001)
            return
        self.tickets.discard(ticket)  # a URL works once, as Slack's do
        await websocket.accept()
        hello = {
            "type": "hello",
            "num_connections": len(self._links) + 1,
            "debug_info": {"host": "sandbox", "approximate_connection_time": 3600},
            "connection_info": {"app_id": self.app_id},
        }
        await websocket.send_text(json.dumps(hello))
        async with self._connected:
            self._links.append(websocket)
            self.opened += 1
            self._connected.notify_all()
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                future = self._acks.pop(str(message.get("envelope_id")), None)
                if future is not None and not future.done():
                    future.set_result(message)
        except (WebSocketDisconnect, ValueError):
            pass
        finally:
            async with self._connected:
                if websocket in self._links:
                    self._links.remove(websocket)

    async def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        async with self._connected:
            await asyncio.wait_for(self._connected.wait_for(lambda: len(self._links) >= count), timeout)

    async def send(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> httpx.Response:
        """Send one envelope to a connected app and wait for its ack, as an HTTP-like response."""
        await self.wait_connected()
        link = self._links[next(self._turn) % len(self._links)]
        envelope_id = secrets.token_hex(12)
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": ANSWERS[kind],
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        self.sent.append(envelope)
        await link.send_text(json.dumps(envelope))
        try:
            ack = await asyncio.wait_for(future, self.ack_timeout)
        finally:
            self._acks.pop(envelope_id, None)
        request = httpx.Request("POST", f"socket-mode://{self.app_id}/{kind}")
        answer = ack.get("payload")
        if answer:
            return httpx.Response(200, json=answer, request=request)
        return httpx.Response(200, content=b"", request=request)

    async def refresh(self) -> None:
        """Slack's periodic ``disconnect`` (``refresh_requested``): each app must dial again."""
        async with self._connected:
            links, self._links = list(self._links), []
        for link in links:
            with contextlib.suppress(Exception):
                await link.send_text(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))
                await link.close()
