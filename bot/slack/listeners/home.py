"""The App Home tab: opened (``app_home_opened``) and its settings changed (a checkbox).

Both only store what happened and queue the tab's drawing: the event is answered at
once, the ``views.publish`` happens in a job (:mod:`bot.bridge.home`).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.blocks.home import HOME_MENTION_ACTION, MENTION_VALUE

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["register", "handle_home_opened", "handle_mention_setting"]


def register(app: AsyncApp, bridge: Bridge) -> None:
    app.event("app_home_opened")(partial(handle_home_opened, bridge=bridge))
    app.action(HOME_MENTION_ACTION)(partial(handle_mention_setting, bridge=bridge))


async def handle_home_opened(event: dict[str, Any], *, bridge: Bridge) -> None:
    """Someone opened the app's Home tab (``tab: home``; the Messages tab is left alone)."""
    await bridge.home.opened(str(event.get("user") or ""), tab=event.get("tab"))


async def handle_mention_setting(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    """The "mention me on follow-ups in my conversations" checkbox, ticked or cleared."""
    await ack()
    user = str((body.get("user") or {}).get("id") or "")
    chosen = {str(option.get("value")) for option in action.get("selected_options") or [] if isinstance(option, dict)}
    if user:
        await bridge.home.set_mention(user, MENTION_VALUE in chosen)
