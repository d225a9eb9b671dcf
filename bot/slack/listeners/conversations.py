"""Conversation threads: messages in them (Events API), Resend on an uncertain reply, Cancel in the undo window.

Bolt has no listener for an event → it answers 404 and Slack retries, so every
message subtype lands here and the bridge decides what (if anything) it means. The
handlers are module functions (the bridge passed by keyword) so tests call them
without an app.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.blocks import RESEND_ACTION
from bot.slack.blocks.conversation import CANCEL_SEND_ACTION

if TYPE_CHECKING:
    from bot.bridge import Bridge


__all__ = ["register", "note_retries", "handle_message", "handle_resend", "handle_cancel_send"]

logger = logging.getLogger(__name__)


def register(app: AsyncApp, bridge: Bridge) -> None:
    app.middleware(note_retries)
    app.event("message")(partial(handle_message, bridge=bridge))
    app.action(RESEND_ACTION)(partial(handle_resend, bridge=bridge))
    app.action(CANCEL_SEND_ACTION)(partial(handle_cancel_send, bridge=bridge))


async def note_retries(req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[Any]]) -> None:
    """Say in the log that Slack delivered something again, and why nothing is doubled."""
    retry = req.headers.get("x-slack-retry-num")
    if retry:
        reason = (req.headers.get("x-slack-retry-reason") or ["?"])[0]
        logger.info("Slack retry %s (%s); replies are keyed by their ts, so nothing is sent twice", retry[0], reason)
    await next()


async def handle_message(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, *, bridge: Bridge) -> None:
    """Every ``message`` event goes to the bridge, which stores what it asks for."""
    await bridge.handle_slack_message(event, event_id=str(body.get("event_id") or ""), bot_user_id=context.bot_user_id)


async def handle_resend(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    """Resend on a reply that did not go out: the bridge queues it again."""
    await ack()
    value = str(action.get("value") or "")
    if value.isdigit():
        await bridge.resend(int(value), user_id=str((body.get("user") or {}).get("id") or ""))


async def handle_cancel_send(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    """Cancel on a reply in its undo window: the bridge stops it, or tells the person it had gone."""
    await ack()
    value = str(action.get("value") or "")
    if value.isdigit():
        await bridge.cancel_send(int(value), user_id=str((body.get("user") or {}).get("id") or ""))
