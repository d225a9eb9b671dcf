"""Helpers shared by the end-to-end tests: sample files and conversation steps."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from sqlalchemy import Select, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import SandboxStack
from storage import make_engine, make_sessionmaker
from storage.models import Message
from storage.queue import pending_count

T = TypeVar("T")

StackFactory = Callable[..., SandboxStack]

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
NUMBER = "48600100200"


async def open_thread(stack: SandboxStack, sender: str = NUMBER) -> SlackMessage:
    """A phone texts in and the thread opens; returns its parent message."""
    await stack.phone_texts(sender, "Dzień dobry")
    parent: SlackMessage = await stack.until(lambda: stack.thread_of(sender[-3:]), what="the thread")
    await stack.until(lambda: stack.replies(parent), what="the inbound message")
    return parent


def status_lines(stack: SandboxStack, parent: SlackMessage) -> list[SlackMessage]:
    return [m for m in stack.replies(parent) if m.user == stack.slack.config.bot_user_id and " to +48" in m.text]


async def stored(stack: SandboxStack, statement: Select[T]) -> list[T]:
    """What the app's database holds: for states no HTTP side shows (a check scheduled or not)."""
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list((await session.scalars(statement)).all())
    finally:
        await engine.dispose()


async def jobs_left(stack: SandboxStack) -> int:
    """Unfinished jobs, those waiting for a later time included: 0 means nothing is scheduled at all."""
    engine = make_engine(stack.settings().database_url)
    try:
        return await pending_count(make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def outgoing(stack: SandboxStack) -> list[Message]:
    """Every outgoing message the app stored, oldest first."""
    return await stored(stack, select(Message).where(Message.direction == "out").order_by(Message.id))


def calls_to(stack: SandboxStack, path: str) -> list[Any]:
    """The simulator's requests to ``path`` (``/1.0/status/``), whoever made them."""
    return [r for r in stack.sim.requests if r[0] == path]


async def catch_up_passes(stack: SandboxStack, count: int) -> None:
    """Wait until the catch-up poller has made ``count`` more whole passes.

    A pass begins by listing getincoming/, and one process's passes never overlap (nor,
    through the cursor's lease, do replicas'), so once ``count + 1`` more listings have
    begun, ``count`` passes have ended; drain() then waits out what the last one queued.
    """
    target = len(calls_to(stack, "/1.0/getincoming/")) + count + 1
    await stack.until(lambda: len(calls_to(stack, "/1.0/getincoming/")) >= target, what=f"{count} more catch-up passes")


async def click(stack: SandboxStack, message: SlackMessage, button: dict[str, Any]) -> httpx.Response:
    """A person clicks ``button`` on ``message``: a signed ``block_actions`` request."""
    payload = {
        "type": "block_actions",
        "team": {"id": stack.slack.config.team_id},
        "user": {"id": "U0ANNA"},
        "api_app_id": "A0SANDBOX",
        "container": {"type": "message", "channel_id": message.channel, "message_ts": message.ts, "thread_ts": message.thread_ts},
        "channel": {"id": message.channel},
        "message": {"ts": message.ts, "text": message.text},
        "trigger_id": "1.2.3",
        "response_url": stack.slack.config.public_url + "/hooks/resend",
        "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"], "block_id": "b", "action_ts": "1"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = stack.slack.signed_headers(body, "application/x-www-form-urlencoded")
    client = await stack.slack.http()
    return await client.post(stack.slack.config.events_url or "", content=body, headers=headers)


async def every_value(engine: AsyncEngine) -> str:
    """Every value of every row of every table, as one text: what an erasure must leave
    nothing of a number in."""
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        rows = [f"{t}: {row!r}" for t in tables for row in (await connection.execute(text(f'SELECT * FROM "{t}"'))).all()]
    return "\n".join(rows)
