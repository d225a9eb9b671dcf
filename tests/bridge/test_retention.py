"""RETENTION_DAYS: old texts replaced once a day, by one replica at a time, in the bridge's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.bridge import retention
from bot.bridge.context import Context
from storage import cursors
from storage.models import Message, utcnow

from .steps import NUMBER, rows


async def test_old_texts_go_once_a_day_and_only_when_it_is_on(ctx: Context) -> None:
    now = utcnow()
    async with ctx.sessions() as session, session.begin():
        session.add(Message(direction="in", kind="sms", phone=NUMBER, text="stara", status="posted", created_at=now - timedelta(days=31)))
        session.add(Message(direction="in", kind="sms", phone=NUMBER, text="nowa", status="posted", created_at=now - timedelta(days=29)))
    assert await retention.remove_old_texts(ctx, now) is None  # RETENTION_DAYS=0: off

    ctx.config = replace(ctx.config, retention_days=30, language="pl")
    counts = await retention.remove_old_texts(ctx, now)
    assert counts is not None and counts["messages"] == 1
    assert sorted(m.text for m in await rows(ctx, Message)) == ["[usunięto po 30 dniach]", "nowa"]
    assert await retention.remove_old_texts(ctx, now + timedelta(hours=23)) is None  # once a day
    later = await retention.remove_old_texts(ctx, now + timedelta(days=2))
    assert later is not None and later["messages"] == 1  # "nowa" has grown old meanwhile


async def test_a_pass_another_replica_is_running_is_left_to_it(ctx: Context) -> None:
    ctx.config = replace(ctx.config, retention_days=30)
    now = utcnow()
    held = await cursors.take(ctx.sessions, retention.CURSOR, now=now, until=now + timedelta(minutes=30))
    assert held is not None
    assert await retention.remove_old_texts(ctx, now) is None
    await cursors.release(ctx.sessions, retention.CURSOR)
    assert await retention.remove_old_texts(ctx, now) is not None
