"""Reminders in a conversation's thread: a snooze that ended, a customer waiting too long.

Run every few seconds by the workers. Each reminder is claimed by one conditional
update, so with several replicas it is still posted once; it mentions the owner, or
is shown in the channel when nobody owns the conversation yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.bridge.card import queue_card
from bot.bridge.context import Context
from bot.bridge.notices import queue_notice
from bot.i18n import _
from bot.slack.blocks.markup import clock
from bot.sms.working_hours import parse_working_hours, working_deadline
from storage import conversations
from storage.models import utcnow

__all__ = ["remind_due"]


async def remind_due(ctx: Context, *, now: datetime | None = None) -> int:
    """Post the reminders that are due; how many."""
    now = now or utcnow()
    config = ctx.config
    count = 0
    async with ctx.sessions() as session, session.begin():
        for conversation_id, owner in await conversations.claim_ended_snoozes(session, now=now):
            if owner:
                text = _("Snooze ended: this conversation needs an answer again.")
            else:
                text = _("Snooze ended: this conversation needs an answer again. Nobody owns it yet.")
            queue_notice(session, conversation_id, text, ping=[owner], broadcast=owner is None)
            await queue_card(session, conversation_id)
            count += 1
        if config.waiting_reminder_minutes > 0:
            minutes = config.waiting_reminder_minutes
            hours, zone = parse_working_hours(config.working_hours), ZoneInfo(config.default_timezone)
            waiting = await conversations.waiting_candidates(session, waiting_before=now - timedelta(minutes=minutes))
            for conversation_id, since, owner in waiting:
                if working_deadline(since, minutes, hours, zone) > now:
                    break  # the longest wait is first: none after it is due either
                if await conversations.claim_waiting_reminder(session, conversation_id, since=since, now=now):
                    shown = clock(since, zone)
                    if owner:
                        text = _("The customer has been waiting for an answer since {time}.").format(time=shown)
                    else:
                        text = _("The customer has been waiting for an answer since {time}. Nobody owns it yet.").format(time=shown)
                    queue_notice(session, conversation_id, text, ping=[owner], broadcast=owner is None)
                    count += 1
    if count:
        ctx.wake_workers()
    return count
