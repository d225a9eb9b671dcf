"""Outages: Slack failing for a while, mProfi refusing connections for a while."""

from __future__ import annotations

import asyncio

from tests.support import NUMBER, StackFactory, open_thread, settle, status_lines


async def test_slack_failing_for_a_while_delays_the_post_and_loses_nothing(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        stack.slack.fail("chat.postMessage", 500, times=2)
        await stack.phone_texts(NUMBER, "Slack leży")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=20, what="the thread once Slack is back")
        replies = await stack.until(lambda: stack.replies(parent), timeout=20)
        await settle(0.5)
        assert [r.text for r in replies] == ["SMS from +48 600 100 200: Slack leży"]
        assert len(stack.slack.top_level(stack.channel)) == 1
        assert len([c for c in stack.slack.calls if c.method == "chat.postMessage" and c.status == 500]) == 2


async def test_mprofi_refusing_connections_delays_the_sms_and_sends_it_once(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        parent = await open_thread(stack)
        outage = asyncio.create_task(stack.mprofi_outage(2.0))
        await asyncio.sleep(0.1)
        await stack.person_replies(parent, "Wyślij, gdy mProfi wróci")
        await outage
        sent = await stack.until(lambda: stack.sent_to(NUMBER), timeout=20, what="the SMS after the outage")
        await stack.until(lambda: [m for m in status_lines(stack, parent) if "accepted by mProfi" in m.text or "sent" in m.text], timeout=10)
        await settle(1.0)
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Wyślij, gdy mProfi wróci"] and sent
