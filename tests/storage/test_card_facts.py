"""What a conversation's card shows, read in two statements, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.conversations import card_facts
from storage.models import Contact, Conversation, Message, OptOut, utcnow
from storage.privacy import number_hash
from storage.privacy_models import ForgottenOptOut

PHONE = "+48600100200"


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


def message(conversation: Conversation, direction: str, text: str, kind: str = "sms") -> Message:
    return Message(
        conversation_id=conversation.id, direction=direction, kind=kind, phone=PHONE, text=text, status="sent", created_at=utcnow()
    )


async def test_the_card_s_facts_in_two_statements(sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine) -> None:
    async with sessions() as session, session.begin():
        conversation = Conversation(channel_id="C1", phone=PHONE, state="new", created_at=utcnow())
        session.add(conversation)
        await session.flush()
        session.add_all(
            [message(conversation, "in", "pierwsza"), message(conversation, "out", "odpowiedź"), message(conversation, "in", "druga")]
        )
        session.add(message(conversation, "out", "notatka zespołu", kind="note"))
        session.add(Contact(phone=PHONE, name="Anna Kowalska", search_name="anna kowalska"))
        session.add(OptOut(phone=PHONE, word="STOP"))
    for _ in range(2):  # the installation's salt: made, then read and kept
        async with sessions() as session, session.begin():
            await number_hash(session, PHONE)
    async with sessions() as session:
        with counted(engine) as statements:
            facts = await card_facts(session, conversation.id, phone=PHONE)
    assert facts is not None and facts.name == "Anna Kowalska" and facts.opt_out is not None and facts.opt_out.word == "STOP"
    assert facts.count == 3  # a note is not an SMS
    assert facts.last_in is not None and facts.last_in.text == "druga"
    assert facts.last_out is not None and facts.last_out.text == "odpowiedź"
    assert len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT"))]) == 2


async def test_a_number_erased_while_opted_out_still_shows_its_opt_out(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        conversation = Conversation(channel_id="C1", phone=PHONE, state="new", created_at=utcnow())
        bare = Conversation(channel_id="C1", phone="+48600100201", state="new", created_at=utcnow())
        session.add_all([conversation, bare])
        session.add(ForgottenOptOut(phone_hash=await number_hash(session, PHONE), word="NIE", at=utcnow()))
    for phone in (PHONE, None):  # found in the same statement, or by a third without the number
        async with sessions() as session:
            facts = await card_facts(session, conversation.id, phone=phone)
        assert facts is not None and facts.opt_out is not None and facts.opt_out.word == "NIE"
        assert facts.last_in is None and facts.last_out is None and facts.count == 0 and facts.name is None
    async with sessions() as session:
        quiet = await card_facts(session, bare.id, phone="+48600100201")
        assert quiet is not None and quiet.opt_out is None
        assert await card_facts(session, 10**6, phone=PHONE) is None
