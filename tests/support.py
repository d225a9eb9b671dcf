"""Helpers shared by the end-to-end tests: sample files and conversation steps."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import SandboxStack

StackFactory = Callable[..., SandboxStack]

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
NUMBER = "48600100200"


async def open_thread(stack: SandboxStack, sender: str = NUMBER) -> SlackMessage:
    """A phone texts in and the thread opens; returns its parent message."""
    await stack.phone_texts(sender, "Dzień dobry")
    parent = await stack.until(lambda: stack.thread_of(sender[-3:]), what="the thread")
    await stack.until(lambda: stack.replies(parent), what="the inbound message")
    return parent


def status_lines(stack: SandboxStack, parent: SlackMessage) -> list[SlackMessage]:
    return [m for m in stack.replies(parent) if m.user == stack.slack.config.bot_user_id and " to +48" in m.text]


async def settle(seconds: float = 0.4) -> None:
    """Give the app's workers time to do anything they should not do."""
    await asyncio.sleep(seconds)


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
