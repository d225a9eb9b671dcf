"""Outages: Slack failing for a while, mProfi refusing connections for a while."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.sandbox.postgres import PrivatePostgres
from bot.sandbox.stack import SandboxStack
from storage import make_engine, make_sessionmaker
from storage.kinds import JobKind
from storage.models import Job
from storage.queue import pending_count
from tests.support import NUMBER, StackFactory, open_thread, status_lines, stored


async def a_send_failed(stack: SandboxStack) -> bool:
    """A send met the outage: its job was given back to wait for a retry."""
    return bool(await stored(stack, select(Job.id).where(Job.kind == JobKind.SEND_REPLY, Job.last_error.is_not(None))))


async def test_slack_failing_for_a_while_delays_the_post_and_loses_nothing(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        stack.slack.fail("chat.postMessage", 500, times=2)
        await stack.phone_texts(NUMBER, "Slack leży")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=20, what="the thread once Slack is back")
        replies = await stack.until(lambda: stack.replies(parent), timeout=20)
        await stack.drain()
        assert [r.text for r in replies] == ["SMS from +48 600 100 200: Slack leży"]
        assert len(stack.slack.top_level(stack.channel)) == 1
        assert len([c for c in stack.slack.calls if c.method == "chat.postMessage" and c.status == 500]) == 2


async def test_mprofi_refusing_connections_delays_the_sms_and_sends_it_once(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        parent = await open_thread(stack)
        await stack.mprofi_down()
        await stack.person_replies(parent, "Wyślij, gdy mProfi wróci")
        await stack.until(lambda: a_send_failed(stack), what="a send refused by the outage")
        await stack.mprofi_up()
        sent = await stack.until(lambda: stack.sent_to(NUMBER), timeout=20, what="the SMS after the outage")
        await stack.until(
            lambda: [m for m in status_lines(stack, parent) if "accepted by mProfi" in m.text or "sent" in m.text], timeout=10
        )
        await stack.drain()
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Wyślij, gdy mProfi wróci"] and sent


async def test_mprofi_answering_503_for_a_while_delays_thread_replies_and_sends_each_once(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        parent = await open_thread(stack)
        stack.sim.queue_fault("send", "503", count=2)  # two tries fail: the next waits longer (1 s, then 2 s)
        await stack.person_replies(parent, "Pierwsza przy 503")
        await stack.person_replies(parent, "Druga przy 503")
        await stack.until(lambda: len(stack.sent_to(NUMBER)) == 2, timeout=30, what="both SMS once mProfi answers")
        await stack.drain()
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Pierwsza przy 503", "Druga przy 503"]
        assert stack.sim.take_fault("send") is None  # both 503s were met on the way


async def test_postgresql_restarting_under_load_loses_nothing_and_doubles_nothing(private_postgres: PrivatePostgres) -> None:
    """Four phones text in and a person replies while the database server restarts.

    Webhooks that meet the dead database get 503 and mProfi tries again (or the
    catch-up poller fetches them); a Slack event that cannot be stored gets 500 and
    Slack sends it again. Afterwards every message is in Slack once, every reply went
    out once, and the job queue is empty.
    """
    phones = ["48600100201", "48600100202", "48600100203", "48600100204"]
    per_phone = 25
    settings = {"catchup_interval_seconds": 0.5, "worker_lease_seconds": 3.0}
    async with SandboxStack(private_postgres.url, settings=settings) as stack:
        stack.sim.config.webhook_retry_seconds = 1.5  # mProfi's ten minutes, shortened
        parent = await open_thread(stack)

        async def phone(sender: str) -> None:
            for index in range(per_phone):
                stack.sim.inject_inbound(sender, f"{sender[-3:]} nr {index}")
                await asyncio.sleep(0.08)  # spread over time on purpose: texts keep coming while the database restarts

        async def person() -> None:
            for index in range(5):
                _, envelope, response = await stack.slack.user_says(stack.channel, "U0ANNA", f"Odpowiedź {index}", thread_ts=parent.ts)
                retry = 0
                while response.status_code != 200:  # Slack sends an event again until it is taken
                    assert retry < 8, f"Slack gave up on reply {index}: {response.status_code}"
                    retry += 1
                    await asyncio.sleep(0.75)
                    response = await stack.slack.deliver(envelope, retry_num=retry)
                await asyncio.sleep(0.4)

        async def restart() -> None:
            await asyncio.sleep(0.6)
            await private_postgres.restart(down_seconds=2.0)

        await asyncio.gather(*(phone(p) for p in phones), person(), restart())

        def complete() -> bool:
            threads = [stack.thread_of(p[-3:]) for p in phones]
            return all(t is not None and len(stack.replies(t)) >= per_phone for t in threads) and len(stack.sent_to(NUMBER)) >= 5

        await stack.until(complete, timeout=60, what="every message and reply after the restart")
        await stack.drain(timeout=30)

        refused = [a for record in stack.sim.incoming for a in record.attempts if a.status_code != 200]
        assert refused, "the restart was not felt: no webhook met the dead database"
        for sender in phones:
            thread = stack.thread_of(sender[-3:])
            assert thread is not None
            texts = [r.text.split(": ", 1)[1] for r in stack.replies(thread)]
            assert sorted(texts) == sorted(f"{sender[-3:]} nr {i}" for i in range(per_phone)), (
                sender,
                [r.text for r in stack.replies(thread)],
            )
        assert len(stack.slack.top_level(stack.channel)) == 1 + len(phones)
        assert sorted(m.text for m in stack.sent_to(NUMBER)) == [f"Odpowiedź {i}" for i in range(5)]
        engine = make_engine(private_postgres.url)
        try:
            assert await pending_count(make_sessionmaker(engine)) == 0
        finally:
            await engine.dispose()
