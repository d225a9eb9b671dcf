"""Consent by SMS: an inbound STOP/START changes the number's opt-out; a message that
only mentions an opt-out word marks its card, and a person decides.

Runs inside the transaction that stores the inbound message, so the opt-out, its
audit record and the thread's notice are stored together or not at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.bridge.models import InboundSms
from bot.i18n import _
from bot.sms.numbers import PhoneE164, display, is_phone
from bot.sms.opt_out_words import hint, keyword
from storage import conversations as conversation_store
from storage import opt_outs
from storage.audit import record
from storage.kinds import AuditKind

__all__ = ["is_keyword", "on_inbound"]


def is_keyword(ctx: Context, text: str) -> bool:
    """A whole message that is an opt-out or opt-in word: it does not move the conversation."""
    return keyword(text, ctx.config.opt_out_words | ctx.config.opt_in_words) is not None


async def on_inbound(ctx: Context, session: AsyncSession, sms: InboundSms, *, message_id: int, now: datetime) -> str | None:
    """Record what ``sms`` says about consent; the sentence to show in its thread, if any."""
    if not is_phone(sms.sender):  # a sender name cannot be texted back, so it has no consent to give
        return None
    who = display(PhoneE164(sms.sender))
    stop = keyword(sms.text, ctx.config.opt_out_words)
    if stop is not None:
        await conversation_store.set_opt_out_hint(session, sms.sender, None)
        if not await opt_outs.opt_out(session, sms.sender, word=stop, by=None, at=now, message_id=message_id):
            return None
        start = min(ctx.config.opt_in_words, default=None)
        if start:
            return _("{number} texted {word}: no SMS will be sent to this number until it texts {start}.").format(
                number=who, word=stop, start=start
            )
        return _("{number} texted {word}: no SMS will be sent to this number.").format(number=who, word=stop)
    start_word = keyword(sms.text, ctx.config.opt_in_words)
    if start_word is not None:
        if await opt_outs.opt_in(session, sms.sender, word=start_word, by=None, at=now, message_id=message_id):
            return _("{number} texted {word}: this number can be texted again.").format(number=who, word=start_word)
        return None
    mentioned = hint(sms.text, ctx.config.opt_out_words)
    if mentioned is not None and not await opt_outs.is_opted_out(session, sms.sender):
        await conversation_store.set_opt_out_hint(session, sms.sender, now)
        record(session, AuditKind.OPT_OUT_HINT, phone=sms.sender, message_id=message_id, detail=mentioned, at=now)
    return None
