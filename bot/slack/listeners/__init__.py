"""Every Bolt listener, registered by area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import actions, commands, events, lookups

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["register_listeners"]


def register_listeners(app: AsyncApp, bridge: Bridge) -> None:
    events.register(app, bridge)
    actions.register(app, bridge)
    commands.register(app, bridge)
    lookups.register(app, bridge)
