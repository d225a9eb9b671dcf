"""A receiver that records every request: stands in for a webhook target.

The demo uses it to show what mProfi calls look like; tests use it to count the
simulator's webhook deliveries and make some of them fail.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

__all__ = ["RequestSink", "RecordedRequest"]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    answered: int = 200


class RequestSink:
    """ASGI app: records requests and answers 200, or the statuses queued in ``fail_next``."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.statuses: deque[int] = deque()
        self._arrived = asyncio.Condition()

    def fail_next(self, count: int, status: int = 500) -> None:
        self.statuses.extend([status] * count)

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until at least ``count`` requests arrived (polling, as bolt's tests do)."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.requests) >= count), timeout)
        return self.requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        record = RecordedRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            async with request.form() as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        record.files[key] = (value.filename or "", await value.read(), value.content_type or "")
                    else:
                        record.form[key] = value
        record.answered = self.statuses.popleft() if self.statuses else 200
        response: Response = JSONResponse({"ok": record.answered < 400}, status_code=record.answered)
        async with self._arrived:
            self.requests.append(record)
            self._arrived.notify_all()
        await response(scope, receive, send)
