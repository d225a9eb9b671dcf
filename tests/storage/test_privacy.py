"""Personal data on SQLite and PostgreSQL: the audit trail of consent, erasure that
leaves nothing of the number but its hash, and retention."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import opt_outs, privacy, sending
from storage.audit import entries, record
from storage.kinds import AuditKind, JobKind, Lane, MessageStatus
from storage.models import (
    Attachment,
    Contact,
    Conversation,
    Dispatch,
    HlrCheck,
    Job,
    Message,
    OptOut,
    StatusEvent,
    SurveyNotification,
    utcnow,
)
from storage.privacy_models import AuditEntry
from tests.support import every_value

PHONE = "+48601202303"
OTHER = "+48609808707"


async def test_the_hash_is_salted_per_installation_and_stable(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        first = await privacy.number_hash(session, PHONE)
    async with sessions() as session, session.begin():
        assert await privacy.number_hash(session, PHONE) == first
        assert await privacy.number_hash(session, OTHER) != first
    assert first != hashlib.sha256(PHONE.encode()).hexdigest() and len(first) == 64


async def test_each_consent_change_is_recorded_with_where_it_came_from(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        assert await opt_outs.opt_out(session, PHONE, word="STOP", by=None, at=now, message_id=7)
        assert not await opt_outs.opt_out(session, PHONE, word="STOP", by=None, at=now)  # already: nothing recorded
    async with sessions() as session, session.begin():
        assert await opt_outs.opt_in(
            session, PHONE, word="SLACK", by="U0ANNA", at=now, channel_id="C1", reason="klientka prosiła telefonicznie"
        )
        assert not await opt_outs.opt_in(session, PHONE, word="SLACK", by="U0ANNA", at=now)
    async with sessions() as session:
        rows = await entries(session, phone=PHONE)
    assert [(r.kind, r.actor, r.detail) for r in rows] == [
        ("opt_out", None, "STOP"),
        ("opt_in", "U0ANNA", "SLACK: klientka prosiła telefonicznie"),
    ]


async def test_opt_outs_are_listed_newest_first_and_searched_by_name_or_digits(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        session.add(Contact(phone=PHONE, name="Anna Kowalska", search_name="anna kowalska", updated_at=now))
        await opt_outs.opt_out(session, PHONE, word="STOP", by=None, at=now - timedelta(hours=1))
        await opt_outs.opt_out(session, OTHER, word="SLACK", by="U0PIOTR", at=now, reason="prośba mailowa")
    async with sessions() as session:
        assert [r.phone for r in await opt_outs.listed(session)] == [OTHER, PHONE]
        [found] = await opt_outs.listed(session, search="kowal")
        assert (found.phone, found.name, found.word) == (PHONE, "Anna Kowalska", "STOP")
        assert [r.phone for r in await opt_outs.listed(session, search="808 707")] == [OTHER]
        assert await opt_outs.count(session) == 2 and await opt_outs.count(session, search="100%") == 0


async def _populate(session: AsyncSession, phone: str) -> None:
    """Every kind of row that can hold a number."""
    now = utcnow()
    conversation = Conversation(channel_id="C1", phone=phone, thread_ts=f"1700000000.{phone[-6:]}", last_hlr={"network": "Plus"})
    session.add(conversation)
    await session.flush()
    inbound = Message(conversation_id=conversation.id, direction="in", kind="mms", phone=phone, text="Tu Anna, mój PESEL…", status="posted")
    outbound = Message(conversation_id=conversation.id, direction="out", kind="sms", phone=phone, text="Dzień dobry", status="delivered")
    session.add_all([inbound, outbound])
    await session.flush()
    repeat = Message(
        conversation_id=conversation.id, direction="in", kind="sms", phone=phone, text="x", status="posted", repeat_of_id=inbound.id
    )
    session.add(repeat)
    session.add(Attachment(message_id=inbound.id, filename="dowod.jpg", content_type="image/jpeg", size=3, content=b"\xff\xd8\xff"))
    session.add(StatusEvent(message_id=outbound.id, status=MessageStatus.DELIVERED, source="push", at=now))
    session.add(Job(kind=JobKind.POST_INBOUND, lane=Lane.SLACK, conversation_id=conversation.id, message_id=inbound.id))
    session.add(Job(kind=JobKind.TELL, lane=Lane.SLACK, payload={"text": f"SMS do {phone[3:6]} {phone[6:9]} {phone[9:]} nie wyszedł"}))
    session.add(Contact(phone=phone, name="Anna Kowalska", search_name="anna kowalska", updated_at=now))
    session.add(
        HlrCheck(
            trigger_id=f"t-{phone[-3:]}", user_id="U1", channel_id="C1", numbers=[phone[1:], "48500500500"], skipped=[[phone[3:], "twice"]]
        )
    )
    session.add(
        Dispatch(
            trigger_id=f"d-{phone[-3:]}",
            user_id="U1",
            channel_id="C1",
            text="Promocja",
            refused=[[f"+{phone[1:]}", "opted out"], ["123", "short"]],
        )
    )
    session.add(
        SurveyNotification(content_type="application/json", body=json.dumps({"msisdn": phone[1:]}), kind="answer", msisdn=phone[1:])
    )
    report = [{"msisdn": phone[1:], "answers": ["5"]}, {"msisdn": "48500500500", "answers": ["1"]}]
    session.add(SurveyNotification(content_type="application/json", body=json.dumps(report), kind="report", report=report))
    await opt_outs.opt_out(session, phone, word="WYPISZ", by=None, at=now, message_id=inbound.id)
    record(session, AuditKind.SMS_SENT, actor="U1", channel_id="C1", phone=phone, text="Dzień dobry", parts=1, message_id=outbound.id)


async def test_erasure_leaves_nothing_of_the_number_but_its_hash_and_the_opt_out_holds(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session, session.begin():
        await _populate(session, PHONE)
        await _populate(session, OTHER)
    before = await every_value(engine)
    assert "601202303" in before and "601 202 303" in before

    async with sessions() as session, session.begin():
        erased = await privacy.erase_number(session, PHONE, by="U0ADMIN", at=utcnow())
        digest = await privacy.number_hash(session, PHONE)
    assert erased.kept_opt_out and [t.thread_ts for t in erased.threads] == ["1700000000.202303"]
    assert erased.counts["messages"] == 3 and erased.counts["conversations"] == 1 and erased.counts["contacts"] == 1

    after = await every_value(engine)
    assert "601202303" not in after and "601 202 303" not in after
    assert after.count("PESEL") == after.count("Anna Kowalska") == 1  # the other number's, which keeps everything
    assert "609808707" in after and "dowod.jpg" in after
    assert digest in after

    async with sessions() as session:
        assert await sending.opted_out_among(session, [PHONE, "+48500500500"]) == {PHONE}
        found = await sending.opt_out_of(session, PHONE)
        assert found is not None and found.word == "WYPISZ"
        assert await opt_outs.is_opted_out(session, PHONE)
        [forgotten] = [r for r in await entries(session) if r.kind == "number_forgotten"]
        assert forgotten.actor == "U0ADMIN" and forgotten.phone == "#" + digest
        sent = [r for r in await entries(session, phone="#" + digest) if r.kind == "sms_sent"]
        assert sent and sent[0].text is None


async def test_a_number_that_had_not_opted_out_leaves_no_hash(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        session.add(Contact(phone=PHONE, name="Jan", search_name="jan", updated_at=utcnow()))
        record(session, AuditKind.SMS_SENT, actor="U1", phone=PHONE, text="Cześć", detail=f"failed: mProfi refused {PHONE[1:]}")
        record(session, AuditKind.AUDIT_EXPORTED, actor="U0ADMIN", detail=json.dumps({"phone": PHONE}))
        digest = await privacy.number_hash(session, PHONE)
    async with sessions() as session, session.begin():
        erased = await privacy.erase_number(session, PHONE, by="U0ADMIN", at=utcnow())
    assert not erased.kept_opt_out
    async with sessions() as session:
        assert not await opt_outs.is_opted_out(session, PHONE)
        assert await session.get(Contact, PHONE) is None
        assert {r.phone for r in await entries(session)} == {None}  # not even a hash: nothing links the records to it
    stored = await every_value(engine)
    assert digest not in stored and "601202303" not in stored and "Cześć" not in stored


async def test_erasure_leaves_other_numbers_work_whole(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        session.add(Job(kind=JobKind.SURVEY_COMMAND, lane=Lane.MPROFI, payload={"numbers": [PHONE[1:], OTHER[1:]], "user": "U1"}))
        single = Dispatch(trigger_id="one", user_id="U1", channel_id="C1", text="Tylko do niej", response_url="https://hooks/1")
        shared = Dispatch(trigger_id="two", user_id="U1", channel_id="C1", text="Do wszystkich")
        session.add_all([single, shared])
        await session.flush()
        session.add_all(
            [
                Message(direction="out", kind="sms", phone=PHONE, text="Tylko do niej", status="delivered", dispatch_id=single.id),
                Message(direction="out", kind="sms", phone=PHONE, text="Do wszystkich", status="delivered", dispatch_id=shared.id),
                Message(direction="out", kind="sms", phone=OTHER, text="Do wszystkich", status="delivered", dispatch_id=shared.id),
            ]
        )
    async with sessions() as session, session.begin():
        await privacy.erase_number(session, PHONE, by="U0ADMIN", at=utcnow())
    async with sessions() as session:
        [job] = (await session.scalars(select(Job))).all()
        assert job.payload == {"numbers": [OTHER[1:]], "user": "U1"} and job.done_at is None
        texts = {d.trigger_id: (d.text, d.response_url) for d in (await session.scalars(select(Dispatch))).all()}
        assert texts == {"one": ("[erased]", None), "two": ("Do wszystkich", None)}


async def test_everything_held_about_a_number_is_exported(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await _populate(session, PHONE)
    async with sessions() as session:
        held = await privacy.held_about(session, PHONE)
    assert held["contact"]["name"] == "Anna Kowalska" and held["opt_out"]["word"] == "WYPISZ"
    assert len(held["messages"]) == 3 and held["attachments"][0]["filename"] == "dowod.jpg"
    assert len(held["number_checks"]) == 1 and len(held["survey_notifications"]) == 1
    assert [a["kind"] for a in held["audit_log"]] == ["opt_out", "sms_sent"]
    assert [next(iter(m)) for m in held["mentioned_in"]] == ["sms_command", "number_check", "survey_report"]
    json.dumps(held)  # plain values only


async def test_retention_replaces_old_texts_once_and_records_it(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        await _populate(session, PHONE)
        session.add(Message(direction="in", kind="sms", phone=OTHER, text="świeża", status="posted", created_at=now + timedelta(days=1)))
        session.add(Message(direction="out", kind="sms", phone=OTHER, text="czeka na wysłanie", status="uncertain", created_at=now))
    marker = "[removed after 30 days]"
    async with sessions() as session, session.begin():
        counts = await privacy.remove_old_texts(session, before=now + timedelta(seconds=1), marker=marker, at=now)
    assert counts["messages"] == 3 and counts["attachments"] == 1 and counts["audit_texts"] == 1
    async with sessions() as session, session.begin():
        again = await privacy.remove_old_texts(session, before=now + timedelta(seconds=1), marker=marker, at=now)
    assert not any(again.values())
    async with sessions() as session:
        texts = set((await session.scalars(select(Message.text))).all())
        assert "świeża" in texts and "Dzień dobry" not in texts
        assert "czeka na wysłanie" in texts  # it may still be sent again: the marker must never reach a phone
        attachment = (await session.scalars(select(Attachment))).one()
        [retention] = [r for r in await entries(session) if r.kind == "retention"]
        assert json.loads(retention.detail or "{}")["messages"] == 3
    assert (attachment.filename, attachment.content, attachment.size) == (marker, b"", 0)


async def test_opt_out_rows_hold_no_message_foreign_key(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Erasing a message must not need to touch the opt-out it caused (and the other way round)."""
    async with sessions() as session, session.begin():
        await opt_outs.opt_out(session, PHONE, word="STOP", by=None, at=utcnow(), message_id=123456)
    async with sessions() as session:
        assert (await session.get(OptOut, PHONE)) is not None
        assert list((await session.scalars(select(AuditEntry.message_id))).all()) == [123456]
