"""Replicas: two ``serve`` processes on one PostgreSQL, one thread per number, every
SMS once, background work shared without doing it twice.

The process tests are PostgreSQL only (SQLite serves one process); the race between
pollers runs in one process on both databases.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import update

from bot.app import build_bridge
from bot.sandbox.process import AppProcess
from bot.sandbox.slack import SlackConfig
from bot.sandbox.stack import WEBHOOK_TOKEN
from storage import make_engine, make_sessionmaker
from storage.models import Message, utcnow
from tests.support import NUMBER, StackFactory, calls_to, open_thread, outgoing, status_lines


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_open_one_thread_and_send_each_reply_once(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True) as stack:
        second = AppProcess(stack.settings())
        await second.start()
        try:
            headers = {"Authorization": WEBHOOK_TOKEN}
            for round_ in range(3):  # the first two messages of new numbers, on both replicas at once
                sender = f"4860010{round_:04d}"
                answers = await asyncio.gather(
                    stack.http.post(
                        stack.app_url + "/mprofi/incoming", json={"sender": sender, "recipient": "1", "message": "A"}, headers=headers
                    ),
                    stack.http.post(
                        second.url + "/mprofi/incoming", json={"sender": sender, "recipient": "1", "message": "B"}, headers=headers
                    ),
                )
                assert [a.status_code for a in answers] == [200, 200]
            await stack.until(lambda: len(stack.slack.top_level(stack.channel)) >= 3, timeout=20)
            await stack.drain()
            parents = stack.slack.top_level(stack.channel)
            assert len(parents) == 3  # one thread per number
            for parent in parents:
                texts = sorted(m.text.rsplit(": ", 1)[-1] for m in stack.replies(parent))
                assert texts == ["A", "B"]

            # One reply, delivered by Slack to each replica (a retry can land anywhere).
            parent = stack.thread_of("600 100 000") or parents[0]
            _message, envelope, _ = await stack.slack.user_says(parent.channel, "U0ANNA", "Jedna odpowiedź", thread_ts=parent.ts)
            body = json.dumps({**envelope, "event_id": "Ev-to-the-second-replica"}).encode()
            await stack.http.post(second.url + "/slack/events", content=body, headers=stack.slack.signed_headers(body))
            await stack.until(lambda: any(m.text == "Jedna odpowiedź" for m in stack.sim.messages.values()), timeout=10)
            await stack.drain()
            assert [m.text for m in stack.sim.messages.values()].count("Jedna odpowiedź") == 1
        finally:
            await second.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_keep_one_posting_pace_per_channel_together(make_stack: StackFactory) -> None:
    """Slack's limit is per channel, not per process: together the replicas stay under it."""
    slack = SlackConfig(post_rate=10.0, post_burst=2)  # Slack's allowance, sped up so the test stays short
    settings = {"slack_posts_per_second": 10.0, "slack_post_burst": 1}
    async with make_stack(app_process=True, slack=slack, settings=settings) as stack:
        second = AppProcess(stack.settings())
        await second.start()
        try:
            headers = {"Authorization": WEBHOOK_TOKEN}
            senders = [f"486001003{n:02d}" for n in range(8)]
            for round_ in range(2):
                answers = await asyncio.gather(
                    *(
                        stack.http.post(
                            (stack.app_url if n % 2 else second.url) + "/mprofi/incoming",
                            json={"sender": sender, "recipient": "1", "message": f"nr {round_}"},
                            headers=headers,
                        )
                        for n, sender in enumerate(senders)
                    )
                )
                assert {a.status_code for a in answers} == {200}
            expected = len(senders) * 3  # a parent and two messages each
            await stack.until(lambda: len(stack.slack.calls_to("chat.postMessage")) >= expected, timeout=30, what="every post")
            await stack.drain()
            assert [c.status for c in stack.slack.calls if c.method == "chat.postMessage" and c.status == 429] == []
            assert len(stack.slack.top_level(stack.channel)) == len(senders)
        finally:
            await second.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_share_status_polling_and_the_catch_up_without_double_work(make_stack: StackFactory) -> None:
    settings = {"catchup_interval_seconds": 0.2, "status_poll_first_seconds": 0.1, "status_poll_max_seconds": 0.8}
    async with make_stack(app_process=True, status_mode="pull", settings=settings) as stack:
        stack.sim.config.webhook_url = None  # inbound only through getincoming/, which both replicas read
        second = AppProcess(stack.settings())
        await second.start()
        try:
            senders = [f"4860010040{n}" for n in range(5)]
            for n, sender in enumerate(senders):
                stack.sim.inject_inbound(sender, f"Tylko przez getincoming {n}")
            await stack.until(
                lambda: all((t := stack.thread_of(s[-3:])) is not None and stack.replies(t) for s in senders),
                timeout=15,
                what="every caught-up message",
            )
            parent = stack.thread_of("600 100 400")
            assert parent is not None
            await stack.person_replies(parent, "Odpowiedź do odpytania")
            sent = await stack.until(lambda: stack.sent_to("48600100400"), what="the SMS")
            # Both replicas' pollers race for each check for a while (0.1, 0.2, 0.4, 0.8 s apart).
            await stack.until(lambda: len(calls_to(stack, "/1.0/status/")) >= 4, what="four status checks")
            stack.sim.set_status(sent[0].id, "delivered")
            await stack.until(lambda: [m for m in stack.replies(parent) if ": delivered" in m.text], timeout=10, what="delivered")
            await stack.drain()
            # Each check is claimed by one replica and counted once in ``polls``: a check
            # both replicas made would be one more question to mProfi than ``polls`` says.
            [message] = await outgoing(stack)
            assert message.next_poll_at is None and message.polls == len(calls_to(stack, "/1.0/status/"))
            assert len(stack.slack.top_level(stack.channel)) == len(senders)
            for n, sender in enumerate(senders):
                thread = stack.thread_of(sender[-3:])
                assert thread is not None
                texts = [m.text for m in stack.replies(thread) if m.text.startswith("SMS from")]
                assert texts == [f"SMS from +48 600 100 40{n}: Tylko przez getincoming {n}"]
        finally:
            await second.stop()


async def test_status_polls_due_at_the_same_moment_are_claimed_by_one_poller_each(make_stack: StackFactory) -> None:
    """Three pollers (the app's own and two more bridges on its database) race for the
    same due messages: each message is asked about once."""
    settings = {"status_poll_first_seconds": 3600.0, "status_poll_max_seconds": 3600.0}
    async with make_stack(status_mode="pull", settings=settings) as stack:
        parent = await open_thread(stack)
        for n in range(10):
            await stack.person_replies(parent, f"Do odpytania {n}")
        await stack.until(lambda: len(stack.sent_to(NUMBER)) == 10, what="ten SMS")
        engine = make_engine(stack.settings().database_url)
        sessions = make_sessionmaker(engine)
        http = httpx.AsyncClient()
        try:
            await stack.until(
                lambda: len([m for m in status_lines(stack, parent) if "accepted" in m.text]) == 10, what="every answer recorded"
            )
            replicas = [build_bridge(stack.settings(), engine, sessions, http) for _ in range(2)]
            before = len([r for r in stack.sim.requests if r[0] == "/1.0/status/"])
            async with sessions() as session, session.begin():  # every one of them due now
                await session.execute(update(Message).where(Message.mprofi_id.is_not(None)).values(next_poll_at=utcnow()))
            claimed = await asyncio.gather(*(bridge.poll_statuses() for bridge in replicas for _ in range(3)))

            def asked() -> int:
                return len([r for r in stack.sim.requests if r[0] == "/1.0/status/"]) - before

            # The app's own poller may take some of them too, and finish a moment later.
            await stack.until(lambda: asked() >= 10, timeout=5, what="every message asked about")
            await stack.drain()
            assert asked() == 10
            assert sum(claimed) <= 10
        finally:
            await http.aclose()
            await engine.dispose()
