"""What the card's buttons do: assign, close, reopen, snooze, name, check, opt out.

Each change is one conditional update (:mod:`storage.conversations`) plus a redraw
of the card in the same transaction. A press that lost a race (someone else changed
the conversation a moment before) changes nothing, and its author is told privately
what the card shows now.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.bridge.card import queue_card, queue_cards_of_phone
from bot.bridge.context import Context
from bot.bridge.hlr import start_hlr
from bot.bridge.models import HlrRequest
from bot.bridge.notices import queue_notice, tell_privately
from bot.i18n import _, use_language
from bot.sms.numbers import PhoneE164, display, is_phone
from bot.sms.opt_out_words import MIN_REASON
from storage import contacts, conversations, opt_outs
from storage.conversations import set_opt_out_hint
from storage.models import Conversation, utcnow

__all__ = [
    "assign_conversation",
    "close_conversation",
    "reopen_conversation",
    "snooze_conversation",
    "snooze_time",
    "name_contact",
    "contact_of_conversation",
    "check_number",
    "set_opt_out",
    "SNOOZE_HOUR",
]

logger = logging.getLogger(__name__)

SNOOZE_HOUR = time(9, 0)  # "tomorrow 9:00", "Monday 9:00"


def snooze_time(choice: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """When a snooze menu choice ends: ``tomorrow`` or ``monday`` at 9:00 in ``zone``."""
    local = now.astimezone(zone)
    if choice == "tomorrow":
        day = local.date() + timedelta(days=1)
    elif choice == "monday":
        day = local.date() + timedelta(days=(7 - local.weekday()) or 7)
    else:
        return None
    return datetime.combine(day, SNOOZE_HOUR, tzinfo=zone)


async def _conversation(ctx: Context, conversation_id: int) -> Conversation | None:
    async with ctx.sessions() as session:
        return await session.get(Conversation, conversation_id)


async def _tell(ctx: Context, conversation: Conversation, user_id: str, text: str) -> None:
    await tell_privately(ctx, channel_id=conversation.channel_id, user_id=user_id, text=text, thread_ts=conversation.thread_ts)


async def assign_conversation(ctx: Context, conversation_id: int, *, user_id: str, owner: str | None, seen: str | None) -> None:
    """Make ``owner`` the owner, if the card the person pressed on still shows ``seen``."""
    async with ctx.sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return
        if conversation.owner == owner:
            return  # already so: a double click, or two people choosing the same
        changed = await conversations.assign(session, conversation_id, owner=owner, seen=seen)
        if changed:
            await queue_card(session, conversation_id)
            if owner and owner != user_id:  # the new owner hears of it; nobody else is pinged
                with use_language(ctx.config.language):  # the thread is the channel's: its language, not the presser's
                    said = _("This conversation is now handled by")
                queue_notice(session, conversation_id, said, ping=[owner])
        else:
            await session.refresh(conversation)  # what the other press (maybe on another replica) left
        now_owner = conversation.owner
    ctx.wake_workers()
    if not changed:
        text = (
            _("Someone changed the owner a moment ago: it is {owner} now. Choose again if you still want to change it.").format(
                owner=f"<@{now_owner}>"
            )
            if now_owner
            else _("Someone changed the owner a moment ago: it is nobody now. Choose again if you still want to change it.")
        )
        await _tell(ctx, conversation, user_id, text)


async def close_conversation(ctx: Context, conversation_id: int, *, user_id: str) -> None:
    async with ctx.sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return
        changed = await conversations.close(session, conversation_id, by=user_id)
        if changed:
            await queue_card(session, conversation_id)
        else:
            await session.refresh(conversation)  # closed by the other press (maybe on another replica)
    ctx.wake_workers()
    if not changed:
        text = (
            _("{user} closed this conversation a moment ago.").format(user=f"<@{conversation.state_by}>")
            if conversation.state_by
            else _("Someone closed this conversation a moment ago.")
        )
        await _tell(ctx, conversation, user_id, text)


async def reopen_conversation(ctx: Context, conversation_id: int, *, user_id: str) -> None:
    async with ctx.sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return
        changed = await conversations.reopen(session, conversation_id, by=user_id, at=utcnow())
        if changed:
            await queue_card(session, conversation_id)
    ctx.wake_workers()
    if not changed:
        await _tell(ctx, conversation, user_id, _("This conversation is open already: someone reopened it, or a new SMS did."))


async def snooze_conversation(ctx: Context, conversation_id: int, *, user_id: str, until: datetime | None) -> None:
    """Snooze until ``until`` (None wakes it now); a reminder mentioning the owner follows at that time."""
    if until is not None and until <= utcnow():
        conversation = await _conversation(ctx, conversation_id)
        if conversation is not None:
            await _tell(ctx, conversation, user_id, _("That time has passed already; pick a time in the future to snooze."))
        return
    async with ctx.sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return
        changed = await conversations.snooze(session, conversation_id, until=until, by=user_id)
        if changed:
            await queue_card(session, conversation_id)
    ctx.wake_workers()
    if not changed:
        await _tell(ctx, conversation, user_id, _("A closed conversation cannot be snoozed; reopen it first."))


async def contact_of_conversation(ctx: Context, conversation_id: int) -> tuple[PhoneE164, str | None] | None:
    """The number of the conversation and its contact's name, for the "Name…" form."""
    async with ctx.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return None
        contact = await contacts.contact_of(session, conversation.phone)
        return PhoneE164(conversation.phone), (contact.name if contact else None)


async def name_contact(ctx: Context, conversation_id: int, *, user_id: str, name: str) -> None:
    """Give the conversation's number a name (its contact); every card of the number shows it."""
    async with ctx.sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return
        if await contacts.set_name(session, conversation.phone, name, by=user_id):
            await queue_cards_of_phone(session, conversation.phone)
    ctx.wake_workers()


async def check_number(ctx: Context, conversation_id: int, *, user_id: str) -> None:
    """An HLR check of the conversation's number; its answer lands in the thread and on the card."""
    conversation = await _conversation(ctx, conversation_id)
    if conversation is None or not is_phone(conversation.phone):
        return
    # Keyed by the conversation and the minute, not the press: a double click (each click
    # has its own trigger) pays for one look-up.
    minute = int(utcnow().timestamp() // 60)
    await start_hlr(
        ctx,
        HlrRequest(
            trigger_id=f"card:{conversation_id}:{minute}",
            user_id=user_id,
            channel_id=conversation.channel_id,
            numbers=(PhoneE164(conversation.phone),),
            thread_ts=conversation.thread_ts,
        ),
    )


async def set_opt_out(ctx: Context, conversation_id: int, *, user_id: str, out: bool, reason: str | None = None) -> None:
    """Opt the number out (or back in, with the reason the customer gave) from the card,
    recording who did it."""
    reason = " ".join((reason or "").split()) or None
    async with ctx.sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return
        phone = conversation.phone
        if not out and (reason is None or len(reason) < MIN_REASON):
            changed = None
        elif out:
            changed = await opt_outs.opt_out(session, phone, word="SLACK", by=user_id, at=utcnow(), channel_id=conversation.channel_id)
            await set_opt_out_hint(session, phone, None)
        else:
            changed = await opt_outs.opt_in(
                session, phone, word="SLACK", by=user_id, at=utcnow(), channel_id=conversation.channel_id, reason=reason
            )
        if changed:
            await queue_cards_of_phone(session, phone)
            shown = display(PhoneE164(phone))
            with use_language(ctx.config.language):  # a notice in the thread: the channel's language
                if out:
                    said = _("{phone} was opted out: nothing will be sent to it. Done by").format(phone=shown)
                else:
                    said = _("{phone} was opted back in (“{reason}”): it may be texted again. Done by").format(phone=shown, reason=reason)
            queue_notice(session, conversation_id, said, ping=[user_id])
    ctx.wake_workers()
    if changed is None:
        said = _("Say why {phone} may be texted again (the customer's request, when and how); nothing changed.")
        await _tell(ctx, conversation, user_id, said.format(phone=display(PhoneE164(phone))))
        return
    if not changed:
        said = _("{phone} is opted out already; nothing changed.") if out else _("{phone} is not opted out; nothing changed.")
        await _tell(ctx, conversation, user_id, said.format(phone=display(PhoneE164(phone))))
