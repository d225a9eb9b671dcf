"""The figures of /sms stats on crafted data, on SQLite and PostgreSQL: each day's counts
(days of Europe/Warsaw, one of them 25 hours long), waits and first responses, per person,
delivery, opt-outs; and what the Home tab reads (its lists, the debounce of its publishing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.bridge.stats import percentile
from storage import people, stats
from storage.kinds import AuditKind, MessageStatus
from storage.models import Conversation, Message
from storage.privacy_models import AuditEntry

WARSAW = ZoneInfo("Europe/Warsaw")
# 24, 25 (the clocks go back: 25 hours) and 26 October 2026, Warsaw's days
BOUNDS = [datetime(2026, 10, day, tzinfo=WARSAW) for day in (24, 25, 26, 27)]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=WARSAW)


async def crafted(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        one = Conversation(channel_id="C1", phone="+48600100201", state="waiting_customer", owner="U0ANNA")
        two = Conversation(channel_id="C1", phone="+48600100202", state="waiting_customer")
        three = Conversation(channel_id="C1", phone="+48600100203", state="waiting_us", waiting_since=at(26, 0))
        session.add_all([one, two, three])
        await session.flush()

        def message(conversation: Conversation | None, direction: str, when: datetime, **extra: object) -> Message:
            values: dict[str, object] = {"kind": "sms", "phone": "+48600100200", "parts": 1}
            values["status"] = MessageStatus.POSTED if direction == "in" else MessageStatus.SENT
            values.update(extra)
            return Message(conversation_id=conversation.id if conversation else None, direction=direction, created_at=when, **values)

        rows = [
            message(two, "in", at(23, 20)),  # before the period: the customer waits since then
            message(one, "in", at(24, 10, 0)),  # wait 1 begins
            message(one, "in", at(24, 10, 1)),  # the same wait
            message(one, "out", at(24, 10, 5), kind="note", status=MessageStatus.NOTE, author="U0PIOTR"),  # a note ends nothing
            message(one, "out", at(24, 10, 10), author="U0ANNA", status=MessageStatus.DELIVERED, parts=2),  # 600 s
            message(one, "in", at(24, 11, 0)),  # wait 2
            message(one, "out", at(24, 11, 30), author="U0PIOTR", status=MessageStatus.NOT_DELIVERED),  # 1,800 s
            message(two, "in", at(24, 9, 0)),  # no new wait: the one from the day before goes on
            message(two, "out", at(24, 9, 30), author="U0ANNA"),  # answers a wait begun before the period: not counted
            message(two, "in", at(25, 23, 30)),  # wait 3, late on the 25-hour day
            message(two, "out", at(25, 23, 32), author="U0PIOTR", status=MessageStatus.FAILED),  # never went
            message(two, "out", at(25, 23, 50), author="U0ANNA", status=MessageStatus.DELIVERED),  # 1,200 s
            message(three, "in", at(26, 0, 0)),  # on the boundary: the 26th; never answered
            message(None, "out", at(26, 8), author="U0ANNA"),  # a /sms to many numbers (no conversation)
            message(None, "out", at(26, 9), author="U0ANNA", status=MessageStatus.HELD),  # waiting for Send
            message(one, "out", at(27, 0, 0), author="U0ANNA"),  # the day after the period
        ]
        session.add_all(rows)
        await session.flush()
        repeat = message(two, "in", at(25, 23, 31), repeat_of_id=rows[9].id)  # mProfi sent the webhook again
        session.add(repeat)
        for kind, when in [
            (AuditKind.OPT_OUT, at(23, 12)),
            (AuditKind.OPT_OUT, at(25, 1)),
            (AuditKind.OPT_IN, at(25, 2)),
            (AuditKind.OPT_OUT, at(26, 23, 59)),
            (AuditKind.OPT_OUT, at(26, 5)),
        ]:
            session.add(AuditEntry(kind=str(kind), at=when, phone="+48600100201"))


async def test_each_day_counts_what_came_in_and_went_out(sessions: async_sessionmaker[AsyncSession]) -> None:
    await crafted(sessions)
    async with sessions() as session:
        days = await stats.daily_figures(session, BOUNDS)
    shown = [(d.inbound, d.outbound, d.parts, d.delivered, d.undelivered, d.opt_outs) for d in days]
    assert shown == [(4, 3, 4, 1, 1, 0), (1, 1, 1, 1, 0, 1), (1, 1, 1, 0, 0, 2)]


async def test_waits_are_timed_to_the_next_real_answer(sessions: async_sessionmaker[AsyncSession]) -> None:
    await crafted(sessions)
    async with sessions() as session:
        found = [w async for w in stats.waits(session, BOUNDS[0], BOUNDS[-1])]
        sent = await stats.sent_by_person(session, BOUNDS[0], BOUNDS[-1])
    seconds = sorted(((w.answered - w.started).total_seconds(), w.by) for w in found)
    assert seconds == [(600.0, "U0ANNA"), (1200.0, "U0ANNA"), (1800.0, "U0PIOTR")]
    assert sent == {"U0ANNA": 4, "U0PIOTR": 1}  # the note, the refused and the held message are not sent
    assert percentile([s for s, _ in seconds], 0.5) == 1200.0
    assert percentile([s for s, _ in seconds], 0.9) == 1800.0
    assert percentile([600.0, 1200.0], 0.5) == 600.0 and percentile([], 0.5) is None


async def test_one_day_alone_is_counted_too(sessions: async_sessionmaker[AsyncSession]) -> None:
    await crafted(sessions)
    async with sessions() as session:
        [day] = await stats.daily_figures(session, BOUNDS[1:3])
    assert (day.inbound, day.outbound, day.opt_outs) == (1, 1, 1)


async def test_home_lists_and_the_debounce_of_its_publishing(sessions: async_sessionmaker[AsyncSession]) -> None:
    await crafted(sessions)
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    async with sessions() as session, session.begin():
        assert await people.open_channels(session) == {"C1"}
        mine, total = await people.my_conversations(session, "U0ANNA", limit=20, channels={"C1"})
        waiting, waiting_total = await people.waiting_for_us(session, limit=20, channels={"C1"})
        assert [c.phone for c in mine] == ["+48600100201"] and total == 1
        assert [c.phone for c in waiting] == ["+48600100203"] and waiting_total == 1
        assert await people.waiting_for_us(session, limit=20, channels={"C2"}) == ([], 0)  # another channel's member sees none
        assert await people.my_conversations(session, "U0ANNA", limit=20, channels=()) == ([], 0)
        assert await people.queue_homes(session, ["U0ANNA"], now=now, gap=3.0) == []  # never opened: nothing to keep up to date
        await people.home_opened(session, "U0ANNA", at=now)
        await people.home_opened(session, "U0PIOTR", at=now)
        assert await people.queue_homes(session, ["U0ANNA"], now=now, gap=3.0) == [("U0ANNA", now)]
        everyone = await people.queue_everyone(session, now=now, gap=60.0, opened_since=now - timedelta(days=7), interval=1.0)
        assert everyone == [("U0PIOTR", now + timedelta(seconds=1))]  # Anna's waits already; one a second after hers
        assert await people.take_due(session, "U0ANNA", now)
        await people.home_published(session, "U0ANNA", at=now)
        assert await people.queue_homes(session, ["U0ANNA"], now=now, gap=3.0) == [("U0ANNA", now + timedelta(seconds=3))]
        await people.set_mention(session, "U0ANNA", False, at=now)
        assert await people.mention_choices(session, ["U0ANNA", "U0PIOTR", "U0KASIA"]) == {"U0ANNA": False, "U0PIOTR": None}


async def test_everyones_republish_is_paced_and_reaches_only_recent_openers(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    since = now - timedelta(days=7)
    async with sessions() as session, session.begin():
        for n in range(5):
            await people.home_opened(session, f"U{n}", at=now - timedelta(hours=n))
        await people.home_opened(session, "U0OLD", at=now - timedelta(days=8))  # not opened for a week: left alone
        await people.home_published(session, "U0", at=now - timedelta(seconds=10))  # published lately: its gap first
        claimed = await people.queue_everyone(session, now=now, gap=60.0, opened_since=since, interval=1.0)
        assert [who for who, _ in claimed] == ["U1", "U2", "U3", "U4", "U0"]
        dues = [due for _, due in claimed]
        assert dues[:4] == [now + timedelta(seconds=s) for s in range(4)]  # one a second across all people
        assert dues[4] == now + timedelta(seconds=50)  # 60 s after U0's last publish
        # A second change finds every republish queued: nothing more.
        assert await people.queue_everyone(session, now=now, gap=60.0, opened_since=since, interval=1.0) == []
        # The next everyone-republish, once these ran, starts after the latest queued one.
        for who, due in claimed[:4]:
            assert await people.take_due(session, who, due)
        later = await people.queue_everyone(session, now=now, gap=60.0, opened_since=since, interval=1.0)
        assert later[0] == ("U1", now + timedelta(seconds=51))


async def test_an_owner_change_brings_a_paced_republish_forward(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    async with sessions() as session, session.begin():
        await people.home_opened(session, "U0ANNA", at=now)
        await people.home_published(session, "U0ANNA", at=now - timedelta(seconds=30))
        [(_, paced)] = await people.queue_everyone(session, now=now, gap=60.0, opened_since=now - timedelta(days=7), interval=1.0)
        assert paced == now + timedelta(seconds=30)
        assert await people.queue_homes(session, ["U0ANNA"], now=now, gap=3.0) == [("U0ANNA", now)]  # she took one: now
        assert not await people.take_due(session, "U0ANNA", paced)  # the paced job finds itself replaced
        assert await people.take_due(session, "U0ANNA", now)
        assert await people.take_due(session, "U0ANNA", now)  # its retry, after Slack said 429, runs again


async def test_a_person_slack_says_is_gone_is_not_republished(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    async with sessions() as session, session.begin():
        await people.home_opened(session, "U0ANNA", at=now)
        await people.home_forgotten(session, "U0ANNA")
        assert await people.queue_homes(session, ["U0ANNA"], now=now, gap=3.0) == []
        assert await people.queue_everyone(session, now=now, gap=60.0, opened_since=now - timedelta(days=7), interval=1.0) == []
        await people.home_opened(session, "U0ANNA", at=now)  # she opens it again: kept up to date again
        assert await people.queue_homes(session, ["U0ANNA"], now=now, gap=3.0) == [("U0ANNA", now)]
