"""Every Bolt listener, registered by feature.

Each module has plain ``handle_*`` functions taking the bridge as a keyword-only
argument, so tests call them without an app. Bolt injects a listener's arguments by
name and reads only the positional ones, so ``partial(handle_x, bridge=bridge)`` is a
listener as it stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import campaigns, cards, conversations, hlr, home, privacy, quiet_hours, sms, surveys, templates

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["register_listeners"]


def register_listeners(app: AsyncApp, bridge: Bridge) -> None:
    conversations.register(app, bridge)
    cards.register(app, bridge)
    sms.register(app, bridge)
    privacy.register(app, bridge)
    quiet_hours.register(app, bridge)
    hlr.register(app, bridge)
    campaigns.register(app, bridge)
    surveys.register(app, bridge)
    templates.register(app, bridge)
    home.register(app, bridge)
