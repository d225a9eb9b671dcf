"""The buttons under a send held by ``QUIET_HOURS``: Schedule, Send anyway, Cancel.

The question's answer replaces it; the bridge checks that only the person who sent
may choose, and only once."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack.blocks.quiet_hours import QUIET_ACTIONS, QUIET_CANCEL, QUIET_SCHEDULE

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["handle_quiet_choice", "register"]


def register(app: AsyncApp, bridge: Bridge) -> None:
    handler = partial(handle_quiet_choice, bridge=bridge)
    for action_id in QUIET_ACTIONS:
        app.action(action_id)(handler)


async def handle_quiet_choice(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, *, bridge: Bridge
) -> None:
    await ack()
    kind, _, number = str(action.get("value") or "").partition(":")
    if not number.isdigit():
        return
    action_id = action.get("action_id")
    choice = "schedule" if action_id == QUIET_SCHEDULE else "cancel" if action_id == QUIET_CANCEL else "send"
    user = str((body.get("user") or {}).get("id") or "")
    answer = await bridge.answer_quiet_hours(kind, int(number), user_id=user, choice=choice)
    if answer:
        await respond(text=answer, replace_original=True)
