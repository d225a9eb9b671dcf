"""A campaign's rows on SQLite and PostgreSQL: stored in chunks, duplicates marked, counted,
taken in batches once, read back for the results, and a button that wins only once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import campaigns
from storage.campaign_models import DATE_MARK, Campaign, CampaignRow, CampaignState, RowKind
from storage.models import Message, utcnow
from storage.privacy import erase_number, held_about, remove_old_texts
from storage.sending import sent_by_channel_since, sent_by_user_since


def _row(campaign_id: int, line: int, phone: str | None, kind: str = RowKind.VALID, **extra: Any) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "line": line,
        "phone": phone,
        "kind": kind,
        "problem": None,
        "cells": {"phone": phone or "x", "imię": f"Osoba {line}"},
        "text": f"Dzień dobry {line}",
        "parts": 1,
        "plain_parts": 1,
        "unicode": True,
        "message_id": None,
        **extra,
    }


async def _campaign(session: AsyncSession) -> Campaign:
    campaign = Campaign(
        trigger_id=f"mention:C1:{utcnow().timestamp()}",
        user_id="U1",
        channel_id="C1",
        thread_ts="1.0",
        file_name="x.csv",
        template="Dzień dobry {imię}",
        plain=False,
        state=CampaignState.READY,
        hlr_polls=0,
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def test_rows_are_counted_deduplicated_batched_and_read_back(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        campaign = await _campaign(session)
        rows = [_row(campaign.id, n + 2, f"+4860010{n % 1500:04d}", parts=2 if n % 2 else 1) for n in range(3000)]
        rows.append(_row(campaign.id, 3002, None, RowKind.INVALID, problem="“abc” is not a phone number"))
        for start in range(0, len(rows), 1000):
            await campaigns.add_rows(session, rows[start : start + 1000])
        assert await campaigns.mark_duplicates(session, campaign.id) == 1500
        counts = await campaigns.counts(session, campaign.id)
        assert counts["valid"] == 1500 and counts["duplicate"] == 1500 and counts["invalid"] == 1
        assert counts["parts"] == 750 * 2 + 750 and counts["unicode"] == 1500 and counts["unicode_parts"] == 2250
        assert [line for line, _ in await campaigns.first_problems(session, campaign.id, RowKind.INVALID)] == [3002]
        assert [phone for phone, _ in await campaigns.samples(session, campaign.id)] == ["+48600100000", "+48600100001", "+48600100002"]

        await campaigns.mark_inactive(session, campaign.id, ["+48600100000", "+48600100001"], "inactive")
        assert (await campaigns.counts(session, campaign.id))["inactive"] == 2

        batch = await campaigns.next_batch(session, campaign.id, 1000)
        assert len(batch) == 1000 and batch[0].phone == "+48600100002"
        messages = [
            Message(direction="out", kind="sms", phone=str(r.phone), text=r.text, status="sending", origin_key=f"campaign-row:{r.id}")
            for r in batch
        ]
        session.add_all(messages)
        await session.flush()
        await campaigns.link_messages(session, [{"id": r.id, "message_id": m.id} for r, m in zip(batch, messages, strict=True)])
        following = await campaigns.next_batch(session, campaign.id, 1000)
        assert len(following) == 498 and following[0].id > batch[-1].id

        results = await campaigns.result_rows(session, campaign.id, 0, 5000)
        assert len(results) == 3001
        first_sent = next(r for r in results if r[8] == "sending")
        assert first_sent[2] == "+48600100002" and first_sent[3] == {"phone": "+48600100002", "imię": "Osoba 4"}


async def test_only_one_of_two_presses_moves_the_campaign_on(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        campaign = await _campaign(session)
    async with sessions() as session, session.begin():
        assert await campaigns.move_state(session, campaign.id, from_states=(CampaignState.READY,), to=CampaignState.SENDING, sent_by="U2")
    async with sessions() as session, session.begin():
        assert not await campaigns.move_state(session, campaign.id, from_states=(CampaignState.READY,), to=CampaignState.SENDING)
        again = await session.get(Campaign, campaign.id)
        assert again is not None and again.state == CampaignState.SENDING and again.sent_by == "U2"


async def test_forgetting_a_number_removes_its_campaign_lines_and_retention_blanks_old_ones(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        campaign = await _campaign(session)
        await campaigns.add_rows(session, [_row(campaign.id, 2, "+48600100200"), _row(campaign.id, 3, "+48600100201")])
        [first, _second] = await campaigns.next_batch(session, campaign.id, 10)
        message = Message(
            direction="out", kind="sms", phone="+48600100200", text=first.text, status="accepted", origin_key=f"campaign-row:{first.id}"
        )
        session.add(message)
        await session.flush()
        await campaigns.link_messages(session, [{"id": first.id, "message_id": message.id}])
    async with sessions() as session:
        held = await held_about(session, "+48600100200")  # GDPR art. 15: the line is in the number's export
        assert [line["line"] for line in held["campaign_lines"]] == [2] and json.dumps(held)
    async with sessions() as session, session.begin():
        erased = await erase_number(session, "+48600100200", by="U0ADMIN", at=utcnow())  # the line points at the message: it goes first
        assert erased.counts["campaign_rows"] == 1 and erased.counts["messages"] == 1
    async with sessions() as session, session.begin():
        await campaigns.move_state(session, campaign.id, from_states=(CampaignState.READY,), to=CampaignState.CANCELLED)
        counts = await remove_old_texts(session, before=utcnow() + timedelta(days=1), marker="[removed]", at=utcnow())
        assert counts["campaign_lines"] == 1
        [(line, text, cells)] = (await session.execute(select(CampaignRow.line, CampaignRow.text, CampaignRow.cells))).all()
        assert (line, text, cells) == (3, "[removed]", None)


async def test_the_first_line_that_can_be_sent_is_kept_among_a_numbers_lines(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        campaign = await _campaign(session)
        rows = [
            _row(campaign.id, 2, "+48600100200", RowKind.MISSING, problem="data"),
            _row(campaign.id, 3, "+48600100200"),
            _row(campaign.id, 4, "+48600100200"),
            _row(campaign.id, 5, "+48600100201", RowKind.INVALID),
            _row(campaign.id, 6, "+48600100201", RowKind.MISSING),
        ]
        await campaigns.add_rows(session, rows)
        assert await campaigns.mark_duplicates(session, campaign.id) == 3
        kinds = (await session.execute(select(CampaignRow.line, CampaignRow.kind).order_by(CampaignRow.line))).all()
        assert [tuple(k) for k in kinds] == [(2, "duplicate"), (3, "valid"), (4, "duplicate"), (5, "invalid"), (6, "duplicate")]


async def test_lines_of_a_campaign_being_sent_count_against_the_hourly_limits_before_their_messages_exist(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        campaign = await _campaign(session)
        await campaigns.add_rows(session, [_row(campaign.id, n, f"+4860010{n:04d}") for n in range(2, 7)])
        since = utcnow() - timedelta(hours=1)
        assert await sent_by_user_since(session, "U2", since) == 0  # a dry run counts nothing
        await campaigns.move_state(session, campaign.id, from_states=(CampaignState.READY,), to=CampaignState.SENDING, sent_by="U2")
        assert await sent_by_user_since(session, "U2", since) == 5 and await sent_by_channel_since(session, "C1", since) == 5
        await campaigns.move_state(
            session, campaign.id, from_states=(CampaignState.SENDING,), to=CampaignState.SENDING, send_at=utcnow() + timedelta(days=1)
        )
        assert await sent_by_user_since(session, "U2", since) == 0  # scheduled for tomorrow: not this hour's


async def test_an_export_shows_where_the_send_day_goes_not_the_mark(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        campaign = await _campaign(session)
        await campaigns.add_rows(session, [_row(campaign.id, 2, "+48600100200", text=f"Wizyta {DATE_MARK} o 10:00")])
    async with sessions() as session:
        held = await held_about(session, "+48600100200")
    [line] = held["campaign_lines"]
    assert line["text"] == "Wizyta {date} o 10:00"
    assert DATE_MARK not in json.dumps(held, ensure_ascii=False)
