"""Events API listeners: messages in conversation threads.

Bolt has no listener for an event → it answers 404 and Slack retries, so every
message subtype lands here and the bridge decides what (if anything) it means.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse

if TYPE_CHECKING:
    from bot.bridge import Bridge


__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(app: AsyncApp, bridge: Bridge) -> None:
    @app.middleware
    async def note_retries(req: AsyncBoltRequest, resp: BoltResponse, next: Any) -> None:
        retry = req.headers.get("x-slack-retry-num")
        if retry:
            reason = (req.headers.get("x-slack-retry-reason") or ["?"])[0]
            logger.info("Slack retry %s (%s); replies are keyed by their ts, so nothing is sent twice", retry[0], reason)
        await next()

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        await bridge.handle_slack_message(event, event_id=str(body.get("event_id") or ""), bot_user_id=context.bot_user_id)
