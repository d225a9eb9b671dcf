"""Interactivity: buttons on the bridge's messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.blocks import RESEND_ACTION

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["register"]


def register(app: AsyncApp, bridge: Bridge) -> None:
    @app.action(RESEND_ACTION)
    async def on_resend(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        value = str(action.get("value") or "")
        if value.isdigit():
            await bridge.resend(int(value), user_id=str((body.get("user") or {}).get("id") or ""))
