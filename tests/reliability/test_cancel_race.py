"""Cancel and send racing on two replicas of one PostgreSQL database: each reply ends
one way — sent once and both cancels told it was too late, or cancelled once and never
sent — however the race falls."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from bot.app import build_bridge
from storage import make_engine, make_sessionmaker
from storage.kinds import JobKind, MessageStatus
from storage.models import Job, StatusEvent
from storage.queue import complete
from tests.support import StackFactory, open_thread, outgoing, stored

ROUNDS = 8
TOO_LATE = "Too late to cancel: this SMS to +48 600 100 200 had already gone to mProfi."


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_cancel_and_send_racing_on_two_replicas_end_one_way_each(make_stack: StackFactory) -> None:
    async with make_stack(settings={"send_delay_seconds": 300.0}) as stack:
        parent = await open_thread(stack)
        for n in range(ROUNDS):
            await stack.person_replies(parent, f"Wyścig {n}")
        await stack.drain()  # every line drawn; every send waits for its window
        sends = await stored(stack, select(Job).where(Job.kind == JobKind.SEND_REPLY, Job.done_at.is_(None)).order_by(Job.id))
        assert len(sends) == ROUNDS

        # Two replicas: each its own engine (its own connections), as two processes have.
        engines = [make_engine(stack.settings().database_url) for _ in range(2)]
        http = httpx.AsyncClient()
        try:
            first, second = (build_bridge(stack.settings(), e, make_sessionmaker(e), http) for e in engines)
            for job in sends:
                assert job.message_id is not None
                # The window ends on one replica as two people press Cancel, one on each.
                await asyncio.gather(
                    first.run_job(job),
                    second.cancel_send(job.message_id, user_id="U0ANNA"),
                    first.cancel_send(job.message_id, user_id="U0PIOTR"),
                )
                await complete(first.sessions, job.id)
            await stack.drain()
        finally:
            await http.aclose()
            for engine in engines:
                await engine.dispose()

        sent_count = 0
        for message in await outgoing(stack):
            sent = [m for m in stack.sim.messages.values() if m.text == message.text]
            cancels = await stored(
                stack, select(StatusEvent).where(StatusEvent.message_id == message.id, StatusEvent.status == MessageStatus.CANCELLED)
            )
            if message.status == MessageStatus.CANCELLED:
                assert (len(sent), len(cancels)) == (0, 1), message.text
            else:
                assert (message.status, len(sent), len(cancels)) == (MessageStatus.ACCEPTED, 1, 0), message.text
                sent_count += 1
        told = [e for e in stack.slack.ephemeral if e["text"] == TOO_LATE]
        assert len(told) == 2 * sent_count  # both who pressed too late, and nobody else
        assert len(stack.slack.ephemeral) == len(told)
