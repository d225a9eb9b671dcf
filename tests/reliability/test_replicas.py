"""Two ``serve`` processes on one PostgreSQL: one thread per number, every SMS once.

PostgreSQL only: SQLite serves one process (replicas need PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.sandbox.process import AppProcess
from bot.sandbox.slack import SlackConfig
from bot.sandbox.stack import WEBHOOK_TOKEN
from tests.support import StackFactory, settle


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
                    stack.http.post(stack.app_url + "/mprofi/incoming", json={"sender": sender, "recipient": "1", "message": "A"}, headers=headers),
                    stack.http.post(second.url + "/mprofi/incoming", json={"sender": sender, "recipient": "1", "message": "B"}, headers=headers),
                )
                assert [a.status_code for a in answers] == [200, 200]
            await stack.until(lambda: len(stack.slack.top_level(stack.channel)) >= 3, timeout=20)
            await settle(1.0)
            parents = stack.slack.top_level(stack.channel)
            assert len(parents) == 3  # one thread per number
            for parent in parents:
                texts = sorted(m.text.rsplit(": ", 1)[-1] for m in stack.replies(parent))
                assert texts == ["A", "B"]

            # One reply, delivered by Slack to each replica (a retry can land anywhere).
            parent = stack.thread_of("600 100 000") or parents[0]
            message, envelope, _ = await stack.slack.user_says(parent.channel, "U0ANNA", "Jedna odpowiedź", thread_ts=parent.ts)
            body = json.dumps({**envelope, "event_id": "Ev-to-the-second-replica"}).encode()
            await stack.http.post(second.url + "/slack/events", content=body, headers=stack.slack.signed_headers(body))
            await stack.until(lambda: any(m.text == "Jedna odpowiedź" for m in stack.sim.messages.values()), timeout=10)
            await settle(1.0)
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
            await settle(0.5)
            assert [c.status for c in stack.slack.calls if c.method == "chat.postMessage" and c.status == 429] == []
            assert len(stack.slack.top_level(stack.channel)) == len(senders)
        finally:
            await second.stop()
