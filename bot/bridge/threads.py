"""The thread of a number: opened once by whichever job needs it first, under a live card.

The thread's parent is the conversation's card (:mod:`bot.slack.blocks.card`), drawn
from the database: posted when the thread opens and redrawn in place by the
``render_card`` job (queued with :func:`bot.bridge.card.queue_card`) whenever what it
shows changes. A thread opened by an answer to a ``/sms`` sent to many numbers starts
with the message it answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.bridge.home import note_conversation
from bot.bridge.posts import post_once
from bot.i18n import _
from bot.slack.blocks.card import CardView, LastMessage, conversation_card
from bot.slack.blocks.conversation import notice
from bot.slack.blocks.markup import when
from bot.slack.errors import slack_error
from bot.sms.numbers import PhoneE164
from storage import conversations
from storage.conversations import CardFacts
from storage.models import Conversation, Job, Message, utcnow
from storage.queue import save_payload

__all__ = ["ensure_thread", "render_card", "card_view", "card_digest"]

_CONTEXT = "reply_context"  # in the payload of the job that opened the thread: its first line posted?

logger = logging.getLogger(__name__)


def _last(message: Message | None) -> LastMessage | None:
    if message is None:
        return None
    text = message.typed_text or message.text
    return LastMessage(
        text=text, at=message.created_at, author=message.author, status=message.status if message.direction == "out" else None
    )


def card_view(ctx: Context, facts: CardFacts) -> CardView:
    """What the card shows, from what the database holds."""
    conversation = facts.conversation
    hlr: dict[str, Any] = conversation.last_hlr or {}
    checked = hlr.get("at")
    opt_out = facts.opt_out
    return CardView(
        conversation_id=conversation.id,
        phone=PhoneE164(conversation.phone),
        name=facts.name,
        state=conversation.state,
        owner=conversation.owner,
        state_by=conversation.state_by,
        snoozed_until=conversation.snoozed_until,
        waiting_since=conversation.waiting_since,
        last_in=_last(facts.last_in),
        last_out=_last(facts.last_out),
        opted_out_by=(opt_out.by or "") if opt_out else None,
        opted_out_word=opt_out.word if opt_out else None,
        opted_out_at=opt_out.at if opt_out else None,
        hlr_network=str(hlr.get("network") or "") or None,
        hlr_active=bool(hlr.get("active")) if checked else None,
        hlr_at=datetime.fromisoformat(str(checked)) if checked else None,
        opt_out_hint_at=facts.conversation.opt_out_hint_at,
        count=facts.count,
        zone=ctx.config.zone,
        note_prefix=ctx.config.note_prefixes[0] if ctx.config.note_prefixes else "note:",
    )


async def _card(ctx: Context, session: AsyncSession, conversation: Conversation) -> dict[str, Any] | None:
    facts = await conversations.card_facts(session, conversation.id, phone=conversation.phone)
    await session.commit()  # reads done: no transaction stays open across Slack calls
    return conversation_card(card_view(ctx, facts)) if facts is not None else None


async def ensure_thread(ctx: Context, session: AsyncSession, conversation: Conversation, job: Job | None) -> str:
    """The conversation's thread ts, posting its card first if there is none.

    Jobs of one conversation run one at a time (the queue's lanes), so only one job
    can get here for a new number; the ts is committed at once, and a retry after a
    lost answer finds the card it already posted instead of opening a second thread.
    """
    if conversation.thread_ts is None:
        payload = await _card(ctx, session, conversation)
        assert payload is not None
        conversation.thread_ts = await post_once(
            ctx.slack, key=f"thread:{conversation.id}", job=job, channel=conversation.channel_id, **payload
        )
        # A retry may have found the card an earlier attempt posted, from older facts: then
        # nothing is known of what it shows, and the next redraw draws it.
        conversation.card_hash = card_digest(payload) if job is None or job.attempts <= 1 else None
        if job is not None:  # the thread's first line is still to come: a retry must not forget it
            job.payload = {**(job.payload or {}), _CONTEXT: "due"}
            await save_payload(session, job.id, job.payload)
        await session.commit()
        await _post_reply_context(ctx, session, conversation, job)
    elif job is not None and (job.payload or {}).get(_CONTEXT) == "due":
        await _post_reply_context(ctx, session, conversation, job)  # an earlier try opened the thread and stopped
    return conversation.thread_ts


async def _post_reply_context(ctx: Context, session: AsyncSession, conversation: Conversation, job: Job | None) -> None:
    """A number sent a ``/sms`` (to many) lately opens its thread: start it with that message.

    The sender is named, not mentioned: a broadcast's answers would ping them once each.
    """
    if ctx.config.reply_context_days > 0:
        since = utcnow() - timedelta(days=ctx.config.reply_context_days)
        sent = await conversations.last_broadcast_to(session, conversation.phone, since=since)
        await session.commit()
        if sent is not None and conversation.thread_ts is not None:
            text = " ".join((sent.typed_text or sent.text).split())
            name = await ctx.directory.user_name(sent.author) if sent.author else None
            date = when(sent.created_at, ctx.config.zone)
            line = (
                _("↩ In reply to: “{text}”, sent with /sms on {date} by @{name}.").format(text=text, date=date, name=name)
                if name
                else _("↩ In reply to: “{text}”, sent with /sms on {date}.").format(text=text, date=date)
            )
            await post_once(
                ctx.slack,
                key=f"context:{conversation.id}",
                job=job,
                channel=conversation.channel_id,
                thread_ts=conversation.thread_ts,
                **notice(line),  # escaped: the quoted text is the sender's own words
            )
    if job is not None and (job.payload or {}).get(_CONTEXT) == "due":
        job.payload = {**(job.payload or {}), _CONTEXT: "done"}
        await save_payload(session, job.id, job.payload)
        await session.commit()


async def render_card(ctx: Context, job: Job) -> None:
    """Draw the conversation's card again (posting it, and so opening the thread, if it has none)."""
    async with ctx.sessions() as session:
        conversation = await session.get(Conversation, job.conversation_id)
        if conversation is None:
            return
        if await note_conversation(ctx, session, conversation):  # the Home tabs that show it, republished
            await session.commit()
            ctx.wake_workers()
        if conversation.thread_ts is None:
            await ensure_thread(ctx, session, conversation, job)
            return
        thread_ts, channel, drawn = conversation.thread_ts, conversation.channel_id, conversation.card_hash
        payload = await _card(ctx, session, conversation)
        if payload is None:
            return
        digest = card_digest(payload)
        if digest == drawn:
            return  # it shows this already (a redraw queued by a change the card does not show)
        try:
            await ctx.slack.chat_update(channel=channel, ts=thread_ts, **payload)
        except SlackApiError as exc:
            if slack_error(exc) not in ("message_not_found", "cant_update_message"):
                raise
            # Someone deleted the card: the thread's replies remain and still work.
            logger.warning("the card of conversation %s is gone from Slack (%s); not drawn again", job.conversation_id, slack_error(exc))
            return
        await conversations.set_card_digest(session, conversation.id, digest)
        await session.commit()


def card_digest(payload: dict[str, Any]) -> str:
    """What a card shows, as a short digest: equal digests, equal cards."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
