"""The sandbox console over real loopback HTTP, for the tests of its API: start it, ask, act.

``console_api()`` runs the sandbox in the test's own event loop, as ``mprofi-slack
sandbox`` runs it (the bridge speaking English, replies going at once, mProfi moving
states every 0.2 s), and hands out a :class:`ConsoleApi` that talks to the console the
way its page does: JSON or multipart POSTs with ``X-Console: 1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bot.sandbox.console.run import Console, console_running
from bot.sandbox.stack import SandboxStack

__all__ = ["ANNA", "CHANNEL", "LIMIT", "OTHER", "PHONE", "PIOTR", "ConsoleApi", "console_api", "control", "refusal"]

LIMIT = 120.0  # seconds one test may take, the sandbox's start and stop included
PHONE, OTHER = "48600100200", "48600100201"  # the two phones on the desk when the console starts
ANNA, PIOTR = "U0ANNA", "U0PIOTR"
CHANNEL = "C0SMSBRIDGE"
CONSOLE = {"X-Console": "1"}


def refusal(response: httpx.Response, status: int = 400) -> str:
    """The sentence of a refused request; fails unless it is ``status`` with the console's JSON."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == "application/json", response.headers["content-type"]
    error = response.json()["error"]
    assert isinstance(error, str) and 0 < len(error) < 600 and "Traceback" not in error, error
    return error


def control(markup: str, action: str) -> dict[str, str]:
    """The ``data-*`` attributes of the first control for ``action`` in the page's markup."""
    for tag in re.findall(r"<(?:button|select)\b[^>]*>", markup):
        attributes = {name: html.unescape(value) for name, value in re.findall(r'data-([a-z-]+)="([^"]*)"', tag)}
        if attributes.get("action") == action:
            return attributes
    raise AssertionError(f"no control for {action!r} in the markup")


class ConsoleApi:
    """One running console: ``post`` what the page posts, read ``state`` and the ``timeline``."""

    def __init__(self, console: Console, http: httpx.AsyncClient) -> None:
        self.console, self.http = console, http

    @property
    def stack(self) -> SandboxStack:
        return self.console.stack

    async def post(self, action: str, body: Any = None, /, **options: Any) -> httpx.Response:
        """POST /api/<action>: ``body`` as JSON, or ``options`` as httpx takes them (data=, files=)."""
        headers = {**CONSOLE, **options.pop("headers", {})}
        if body is not None:
            options["json"] = body
        return await self.http.post(f"/api/{action}", headers=headers, **options)

    async def ok(self, action: str, /, **fields: Any) -> dict[str, Any]:
        """The answer of an action that must succeed."""
        response = await self.post(action, fields)
        assert response.status_code == 200, (action, response.status_code, response.text[:500])
        answer: dict[str, Any] = response.json()
        assert answer["ok"] is True
        return answer

    async def refused(self, action: str, body: Any = None, /, **options: Any) -> str:
        return refusal(await self.post(action, body, **options))

    async def state(self, **query: str) -> dict[str, Any]:
        response = await self.http.get("/api/state", params=query)
        assert response.status_code == 200, response.text[:500]
        found: dict[str, Any] = response.json()
        return found

    async def timeline(self) -> list[dict[str, Any]]:
        response = await self.http.get("/api/timeline", params={"since": "0"})
        assert response.status_code == 200
        entries: list[dict[str, Any]] = response.json()["entries"]
        return entries

    async def seen(self, source: str, path: str, status: int) -> list[dict[str, Any]]:
        """Timeline entries from ``source`` to a path starting with ``path`` answered ``status``."""
        return [e for e in await self.timeline() if e["source"] == source and e["path"].startswith(path) and e["status"] == status]

    async def text_in(self, text: str, digits: str = PHONE) -> str:
        """A phone texts in and its thread opens; the thread's ts."""
        await self.ok("phones/text", digits=digits, text=text)
        await self.stack.drain()
        parent = await self.stack.until(lambda: self.stack.thread_of(f"{digits[2:5]} {digits[5:8]} {digits[8:]}"), what="the thread")
        return str(parent.ts)


@contextlib.asynccontextmanager
async def console_api(**settings: Any) -> AsyncIterator[ConsoleApi]:
    """The sandbox and its console (``settings`` override the app's), stopped on exit."""
    values = {"send_delay_seconds": 0.0, **settings}
    async with (
        asyncio.timeout(LIMIT),
        console_running(language="en", settings=values, status_step_seconds=0.2) as console,
        httpx.AsyncClient(base_url=console.url, timeout=30.0) as http,
    ):
        yield ConsoleApi(console, http)
