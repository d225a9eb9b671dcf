"""``RETENTION_DAYS``: message texts and attachments older than that are replaced with
"[removed after N days]", once a day, by one replica at a time.

The pass holds the ``retention`` cursor's lease while it works; another replica that
wakes meanwhile finds it taken and waits for the next day. The cursor's position is
when the last pass finished.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.bridge.context import Context
from bot.i18n import ngettext, use_language
from storage import cursors, privacy

__all__ = ["remove_old_texts", "CURSOR", "EVERY"]

logger = logging.getLogger(__name__)

CURSOR = "retention"
EVERY = timedelta(days=1)
LEASE = timedelta(minutes=30)


def marker(days: int) -> str:
    """What replaces a removed text, in the bridge's language."""
    return ngettext("[removed after {n} day]", "[removed after {n} days]", days).format(n=days)


async def remove_old_texts(ctx: Context, now: datetime) -> dict[str, int] | None:
    """One pass, if one is due and no other replica is running it; what it removed."""
    days = ctx.config.retention_days
    if days <= 0:
        return None
    held = await cursors.take(ctx.sessions, CURSOR, now=now, until=now + LEASE)
    if held is None:
        return None
    try:
        if held.position is not None and now - held.position < EVERY:
            return None
        with use_language(ctx.config.language):
            text = marker(days)
        async with ctx.sessions() as session, session.begin():
            counts = await privacy.remove_old_texts(session, before=now - timedelta(days=days), marker=text, at=now)
        await cursors.advance(ctx.sessions, CURSOR, now)
        logger.info("retention: removed old texts %s", counts)
        return counts
    finally:
        await cursors.release(ctx.sessions, CURSOR)
