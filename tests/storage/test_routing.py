"""Which conversation an inbound SMS joins, on SQLite and PostgreSQL: one per number even
when its first two messages arrive at once and the routes would send them apart."""

from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.bridge.context import BridgeConfig
from bot.bridge.models import InboundSms
from bot.bridge.routing import place_conversations, sending_home
from bot.sms.numbers import SenderId
from bot.sms.routes import read_routes
from storage import repository
from storage import routing as routing_store
from storage.models import Conversation, utcnow

NUMBER = "+48600100200"
CONFIG = BridgeConfig(channel_id="C0BRIDGE1", bot_token="xoxb-test", routes=read_routes("SERWIS=C0SERVICE,48500100200=C0SALES")[0])


def sms(text: str, recipient: str = "48664400100") -> InboundSms:
    return InboundSms(sender=SenderId(NUMBER), recipient=recipient, text=text, via="standard")


async def channels_of(sessions: async_sessionmaker[AsyncSession], phone: str = NUMBER) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(select(Conversation.channel_id).where(Conversation.phone == phone))).all())


async def test_two_first_messages_at_once_open_one_conversation(sessions: async_sessionmaker[AsyncSession]) -> None:
    async def place(session: AsyncSession, text: str) -> dict[str, tuple[int, object]]:
        async with session.begin():
            return dict(await place_conversations(CONFIG, session, [sms(text)], now=utcnow()))

    async with sessions() as first, sessions() as second:
        async with first.begin():
            await place_conversations(CONFIG, first, [sms("Serwis, pralka nie wiruje")], now=utcnow())
            # The second batch (another replica) starts while the first has not committed.
            racing = asyncio.create_task(place(second, "i jeszcze jedno"))
            await asyncio.sleep(0.3)
        placed = await racing
    assert await channels_of(sessions) == ["C0SERVICE"]
    assert set(placed) == {NUMBER}


async def test_a_number_keeps_its_conversation_whatever_the_routes_say(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await repository.get_or_create_conversation(session, channel_id="C0BRIDGE1", phone=NUMBER)
    async with sessions() as session, session.begin():
        await place_conversations(CONFIG, session, [sms("SERWIS proszę", recipient="48500100200")], now=utcnow())
    assert await channels_of(sessions) == ["C0BRIDGE1"]


async def test_sms_typed_outside_conversation_channels_joins_the_numbers_last_conversation(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await place_conversations(CONFIG, session, [sms("Cennik?", recipient="48500100200")], now=utcnow())
    async with sessions() as session, session.begin():
        assert await sending_home(CONFIG, session, "C0GENERAL", NUMBER) == "C0SALES"
        assert await sending_home(CONFIG, session, "C0SERVICE", NUMBER) == "C0SERVICE"  # typed where conversations live
        assert await sending_home(CONFIG, session, "C0GENERAL", "+48600100999") == "C0BRIDGE1"  # no conversation yet


async def test_a_batch_of_new_numbers_opens_each_conversation_once_beside_one_opened_meanwhile(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    others = [f"+4860020{n:04d}" for n in range(40)]
    async with sessions() as session, session.begin():  # one of them was opened meanwhile by a /sms
        await repository.get_or_create_conversation(session, channel_id="C0BRIDGE1", phone=others[0])
    batch = [InboundSms(sender=SenderId(phone), recipient="48664400100", text="Dzień dobry", via="standard") for phone in others]
    batch.append(InboundSms(sender=SenderId(others[1]), recipient="48500100200", text="again", via="standard"))
    async with sessions() as session, session.begin():
        placed = await place_conversations(CONFIG, session, batch, now=utcnow())
    assert set(placed) == set(others)
    for phone in others:
        assert await channels_of(sessions, phone) == ["C0BRIDGE1"]  # its first SMS of the batch decided, once
    async with sessions() as session:
        ids = {phone: cid for phone, cid in (await session.execute(select(Conversation.phone, Conversation.id))).all()}
    assert {phone: conversation_id for phone, (conversation_id, _) in placed.items()} == {p: ids[p] for p in others}


async def test_new_numbers_are_locked_smallest_key_first(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Two batches that share numbers queue on the same first lock instead of each holding
    one the other waits for: while the larger key is held elsewhere, the smaller is held."""
    async with sessions() as probe:
        if probe.get_bind().dialect.name != "postgresql":
            return  # SQLite has one writer at a time: there is no lock to order
    phones = [f"+4860010{n:04d}" for n in range(20)]
    keys = {phone: int.from_bytes(hashlib.sha256(phone.encode()).digest()[:8], "big", signed=True) for phone in phones}
    largest = max(phones, key=keys.__getitem__)
    held_keys = "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = :pid"
    async with sessions() as holder, sessions() as batch:
        await routing_store.lock_numbers(holder, [largest])
        pid = await batch.scalar(text("SELECT pg_backend_pid()"))
        waiting = asyncio.create_task(routing_store.lock_numbers(batch, list(reversed(phones))))
        async with sessions() as watcher:
            for _ in range(200):
                held = set((await watcher.scalars(text(held_keys), {"pid": pid})).all())
                if len(held) == len(phones) - 1:
                    break
                await asyncio.sleep(0.02)
        assert not waiting.done()
        assert held == {keys[phone] for phone in phones if phone != largest}
        await holder.rollback()
        await asyncio.wait_for(waiting, 10)
        await batch.rollback()
