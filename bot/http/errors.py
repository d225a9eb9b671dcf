"""Plain JSON refusals that do not need Starlette: the middleware and the raw protocol share them."""

from __future__ import annotations

import json
from http import HTTPStatus

from starlette.types import Send

__all__ = ["error_body", "raw_error", "send_error"]


def error_body(message: str) -> bytes:
    """The bridge's error shape, ``{"ok": false, "error": "..."}``, as bytes."""
    return json.dumps({"ok": False, "error": message}).encode()


def _headers(body: bytes, close: bool, retry_after: int | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    if close:
        # uvicorn closes the connection after a response that says so: an unread
        # body is then dropped with the socket instead of read and thrown away.
        headers.append((b"connection", b"close"))
    return headers


async def send_error(send: Send, status: int, message: str, *, close: bool = False, retry_after: int | None = None) -> None:
    """Answer an ASGI request with the JSON error shape."""
    body = error_body(message)
    await send({"type": "http.response.start", "status": status, "headers": _headers(body, close, retry_after)})
    await send({"type": "http.response.body", "body": body})


def raw_error(status: int, message: str, *, retry_after: int | None = None) -> bytes:
    """A whole HTTP/1.1 response for a connection no ASGI request exists on yet; it always closes."""
    body = error_body(message)
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()]
    lines += [name + b": " + value for name, value in _headers(body, True, retry_after)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
