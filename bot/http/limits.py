"""ASGI middleware that keeps one client from holding the bridge: requests at once, body deadline.

Both wrap the whole app (``create_app`` installs them), so they hold under any ASGI
server, the test loopback included. Refusals are the bridge's JSON error shape.
"""

from __future__ import annotations

import asyncio

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.http.errors import send_error

__all__ = ["BodyDeadline", "ConcurrencyLimit", "limit_middleware"]

RETRY_AFTER_SECONDS = 5


class ConcurrencyLimit:
    """At most ``max_requests`` HTTP requests inside the app; the next gets 503 with Retry-After.

    Every request in the app holds a socket and often a database connection; past the
    limit an answer that says "come back" is better than running out of either.
    mProfi and Slack both deliver again later.
    """

    def __init__(self, app: ASGIApp, max_requests: int) -> None:
        self.app = app
        self.max_requests = max_requests
        self.active = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.active >= self.max_requests:
            message = f"the bridge is busy with {self.max_requests} requests; try again in a few seconds"
            await send_error(send, 503, message, close=True, retry_after=RETRY_AFTER_SECONDS)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class BodyTimedOut(Exception):
    """Raised out of ``receive()`` once the deadline passes; deliberately not an ``OSError``
    (``TimeoutError`` is one), so handlers that catch I/O errors do not swallow it."""


class BodyDeadline:
    """The whole body must arrive within ``seconds`` of the headers, else 408 and the connection closes.

    A client that sends ``Content-Length: 100`` and then a byte a minute would
    otherwise hold a request (and a slot of :class:`ConcurrencyLimit`) for ever.
    Only waiting for the body is timed: once it is in, a slow handler is not cut off.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        body_done = False
        started = False
        answered = False

        async def timed_receive() -> Message:
            nonlocal body_done, answered
            if body_done:
                return await receive()  # only http.disconnect is left to wait for
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                if not started and not answered:
                    answered = True
                    error = f"the request body did not arrive within {self.seconds:g} seconds"
                    await send_error(send, 408, error, close=True)
                raise BodyTimedOut from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the 408 has gone out; whatever the app says now is too late
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except BodyTimedOut:
            pass  # answered with 408 above, or the response was already under way


def limit_middleware(*, max_requests: int, body_seconds: float) -> list[Middleware]:
    """The limits in the order they must run: refuse the surplus first, then time the rest."""
    return [Middleware(ConcurrencyLimit, max_requests=max_requests), Middleware(BodyDeadline, seconds=body_seconds)]
