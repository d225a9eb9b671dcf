"""Which conversation an inbound SMS joins, on SQLite and PostgreSQL: one per number even
when its first two messages arrive at once and the routes would send them apart."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.bridge.context import BridgeConfig
from bot.bridge.models import InboundSms
from bot.bridge.routing import place_conversations, sending_home
from bot.sms.numbers import SenderId
from bot.sms.routes import read_routes
from storage import repository
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
