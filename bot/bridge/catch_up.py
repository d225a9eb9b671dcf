"""Catch-up: read ``getincoming/`` (and ``getincoming_mobileapp/``) for what the webhook missed.

The bridge may have been down, or mProfi gave up after its three tries, or the
install has no public URL at all and this is the only inbound path. Every message
mProfi lists is matched against what is stored — by its listing key, or (for one a
webhook already brought, which has no id) by number, text and time — and only the
unmatched ones are stored, through the same path as the webhook. A lease on the
cursor row lets one replica poll at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.bridge.context import Context
from bot.bridge.inbound import receive_many
from bot.bridge.models import InboundSms
from bot.mprofi import MProfiError
from bot.mprofi.models import IncomingMessage
from bot.sms.numbers import InvalidNumber, sender_id
from bot.sms.text import storable
from storage import cursors
from storage.models import utcnow

__all__ = ["catch_up", "listing_key"]

logger = logging.getLogger(__name__)

CURSOR = "getincoming"


def listing_key(item: IncomingMessage, source: str) -> str:
    if item.id is not None:
        return f"mprofi:{source}:{item.id}"
    digest = hashlib.sha256(f"{item.sender}|{item.ts.isoformat() if item.ts else ''}|{item.message}".encode()).hexdigest()
    return f"mprofi:{source}:{digest[:32]}"


async def _lease(ctx: Context, now: datetime, hold: timedelta) -> datetime | None:
    """Take the poller's lease; the position to read from, or None when another holds it."""
    cursor = await cursors.take(ctx.sessions, CURSOR, now=now, until=now + hold)
    if cursor is None:
        return None
    return cursor.position or now - timedelta(minutes=ctx.config.catchup_lookback_minutes)


async def catch_up(ctx: Context) -> int:
    """One pass over mProfi's listings; the number of messages it stored."""
    config = ctx.config
    now = utcnow()
    start = await _lease(ctx, now, timedelta(seconds=max(60.0, config.catchup_interval_seconds * 2)))
    if start is None:
        return 0
    stored = 0
    stopping = False
    try:
        for source, read in (("incoming", ctx.mprofi.get_incoming), ("mobileapp", ctx.mprofi.get_incoming_mobileapp)):
            try:
                items = await read(start - timedelta(minutes=10), now)
            except MProfiError as exc:
                logger.warning("catch-up: mProfi did not list %s messages: %s", source, exc.message)
                return stored  # keep the position: the next pass reads the same time again
            for item in items:
                try:
                    phone = sender_id(storable(item.sender))  # a phone number, or a sender name such as ORANGE
                except InvalidNumber:
                    logger.warning("catch-up: skipping a listed message whose sender is neither a number nor a name")
                    continue
                key = listing_key(item, source)
                sms = InboundSms(
                    sender=phone,
                    recipient=item.recipient,
                    text=storable(item.message),
                    via="getincoming" if source == "incoming" else "mobileapp",
                    received_at=item.ts,
                    external_id=key,
                )
                try:
                    # Alone, so a clash cannot fail anyone's webhook; matched there against
                    # what the webhook brought, under the same lock.
                    [received] = await receive_many(ctx, [sms])
                except IntegrityError:
                    continue  # another replica stored it a moment ago
                stored += received.new
        await cursors.advance(ctx.sessions, CURSOR, now)
    except asyncio.CancelledError:
        stopping = True
        raise
    finally:
        # Stopping: the lease runs out by itself. Writing now could wait out SQLite's busy
        # timeout behind the write lock the cancelled pass's own connection still holds.
        if not stopping:
            await cursors.release(ctx.sessions, CURSOR)
    if stored:
        logger.info("catch-up stored %s message(s) the webhook had not brought", stored)
    return stored
