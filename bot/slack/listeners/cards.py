"""The buttons, picker and menu on a conversation's card, and the two forms they open.

Every handler acks first (Slack waits 3 seconds at most) and hands the press to the
bridge, which changes the conversation and queues the card's redraw. A press that
carries no conversation of ours is acknowledged and ignored: it cannot come from a
card this app drew.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import _, ngettext
from bot.slack.blocks import card
from bot.sms.opt_out_words import MIN_REASON

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = [
    "register",
    "handle_assign_me",
    "handle_assign",
    "handle_close",
    "handle_reopen",
    "handle_snooze",
    "handle_name",
    "handle_check_number",
    "handle_opt_out",
    "handle_opt_in",
    "handle_name_form",
    "handle_snooze_form",
]

logger = logging.getLogger(__name__)

NAME_LIMIT = 200
_YEAR_2100 = 4_102_444_800  # a snooze beyond this is a slip of the picker, not a plan


def register(app: AsyncApp, bridge: Bridge) -> None:
    app.action(card.ASSIGN_ME_ACTION)(partial(handle_assign_me, bridge=bridge))
    app.action(card.ASSIGN_ACTION)(partial(handle_assign, bridge=bridge))
    app.action(card.CLOSE_ACTION)(partial(handle_close, bridge=bridge))
    app.action(card.REOPEN_ACTION)(partial(handle_reopen, bridge=bridge))
    app.action(card.SNOOZE_ACTION)(partial(handle_snooze, bridge=bridge))
    app.action(card.NAME_ACTION)(partial(handle_name, bridge=bridge))
    app.action(card.CHECK_ACTION)(partial(handle_check_number, bridge=bridge))
    app.action(card.OPT_OUT_ACTION)(partial(handle_opt_out, bridge=bridge))
    app.action(card.OPT_IN_ACTION)(partial(handle_opt_in, bridge=bridge))
    app.view(card.NAME_FORM)(partial(handle_name_form, bridge=bridge))
    app.view(card.SNOOZE_FORM)(partial(handle_snooze_form, bridge=bridge))
    app.view(card.OPT_IN_FORM)(partial(handle_opt_in_form, bridge=bridge))


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _pressed(action: dict[str, Any]) -> tuple[int, str | None] | None:
    return card.read_card_value(action.get("value"))


def _from_block(action: dict[str, Any]) -> tuple[int, str | None] | None:
    """A picker has no value: its block id (``card-people-<id>-<owner>``) says which card it is on."""
    parts = str(action.get("block_id") or "").split("-")
    if len(parts) != 4 or parts[:2] != ["card", "people"] or not parts[2].isdigit():
        return None
    return int(parts[2]), (None if parts[3] == "none" else parts[3])


def _meta(view: dict[str, Any]) -> int | None:
    try:
        return int(json.loads(view.get("private_metadata") or "{}")["c"])
    except (ValueError, TypeError, KeyError):
        return None


async def handle_assign_me(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    await ack()
    if pressed := _pressed(action):
        await bridge.assign_conversation(pressed[0], user_id=_user(body), owner=_user(body), seen=pressed[1])


async def handle_assign(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    await ack()
    chosen = action.get("selected_user")
    if (pressed := _from_block(action)) and chosen:
        await bridge.assign_conversation(pressed[0], user_id=_user(body), owner=str(chosen), seen=pressed[1])


async def handle_close(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    await ack()
    if pressed := _pressed(action):
        await bridge.close_conversation(pressed[0], user_id=_user(body))


async def handle_reopen(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    await ack()
    if pressed := _pressed(action):
        await bridge.reopen_conversation(pressed[0], user_id=_user(body))


async def handle_snooze(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """The snooze menu: tomorrow or Monday at 9:00 (the person's own time), a time to pick, or wake it now."""
    await ack()
    choice, _sep, conversation = str((action.get("selected_option") or {}).get("value") or "").partition(":")
    if not conversation.isdigit() or choice not in card.SNOOZE_CHOICES:
        return
    conversation_id, user = int(conversation), _user(body)
    if choice == "pick":
        initial = await bridge.snooze_time("tomorrow", user_id=user)
        assert initial is not None
        await client.views_open(trigger_id=body["trigger_id"], view=card.snooze_form(conversation_id=conversation_id, initial=initial))
        return
    until = None if choice == "wake" else await bridge.snooze_time(choice, user_id=user)
    await bridge.snooze_conversation(conversation_id, user_id=user, until=until)


async def handle_name(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    await ack()
    pressed = _pressed(action)
    found = await bridge.contact_of_conversation(pressed[0]) if pressed else None
    if pressed and found:
        phone, name = found
        await client.views_open(trigger_id=body["trigger_id"], view=card.name_form(conversation_id=pressed[0], phone=phone, name=name))


async def handle_check_number(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    await ack()
    if pressed := _pressed(action):
        await bridge.check_number(pressed[0], user_id=_user(body))


async def handle_opt_out(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], *, bridge: Bridge) -> None:
    await ack()
    if pressed := _pressed(action):
        await bridge.set_opt_out(pressed[0], user_id=_user(body), out=True)


async def handle_opt_in(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """ "Opt back in…": a form asks why first (the reason goes into the audit log)."""
    await ack()
    pressed = _pressed(action)
    found = await bridge.contact_of_conversation(pressed[0]) if pressed else None
    if pressed and found:
        await client.views_open(trigger_id=body["trigger_id"], view=card.opt_in_form(conversation_id=pressed[0], phone=found[0]))


async def handle_opt_in_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], *, bridge: Bridge) -> None:
    """The reason for opting a number back in: at least a few words, or the form says so."""
    conversation_id = _meta(view)
    value = (((view.get("state") or {}).get("values") or {}).get("reason") or {}).get("reason") or {}
    reason = " ".join(str(value.get("value") or "").split())
    if len(reason) < MIN_REASON:
        await ack(response_action="errors", errors={"reason": _("Say when and how the customer asked to be texted again.")})
        return
    await ack()
    if conversation_id is not None:
        await bridge.set_opt_out(conversation_id, user_id=_user(body), out=False, reason=reason)


async def handle_name_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], *, bridge: Bridge) -> None:
    """The "Name…" form: a name of 1 to 200 characters, or the form says what to fix."""
    conversation_id = _meta(view)
    value = (((view.get("state") or {}).get("values") or {}).get("name") or {}).get("name") or {}
    name = " ".join(str(value.get("value") or "").split())
    if not name:
        await ack(response_action="errors", errors={"name": _("Write a name, or press Cancel to keep the card as it is.")})
        return
    if len(name) > NAME_LIMIT:
        too_long = ngettext("A name can be at most {n} character long.", "A name can be at most {n} characters long.", NAME_LIMIT).format(
            n=NAME_LIMIT
        )
        await ack(response_action="errors", errors={"name": too_long})
        return
    await ack()
    if conversation_id is not None:
        await bridge.name_contact(conversation_id, user_id=_user(body), name=name)


async def handle_snooze_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], *, bridge: Bridge) -> None:
    """ "Pick a time…": a moment in the future, or the form says so."""
    conversation_id = _meta(view)
    value = (((view.get("state") or {}).get("values") or {}).get("until") or {}).get("until") or {}
    stamp = value.get("selected_date_time")
    if type(stamp) is not int or not datetime.now(UTC).timestamp() < stamp < _YEAR_2100:
        await ack(response_action="errors", errors={"until": _("Pick a date and time in the future.")})
        return
    await ack()
    if conversation_id is not None:
        await bridge.snooze_conversation(conversation_id, user_id=_user(body), until=datetime.fromtimestamp(stamp, UTC))
