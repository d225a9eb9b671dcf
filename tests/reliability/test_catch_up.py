"""Catch-up through ``getincoming/``: what the webhook missed arrives, nothing twice."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.mprofi.state import now
from tests.support import NUMBER, StackFactory, catch_up_passes

CATCH_UP = {"catchup_interval_seconds": 0.1}


async def test_without_a_webhook_the_poller_is_the_inbound_path(make_stack: StackFactory) -> None:
    async with make_stack(settings=CATCH_UP) as stack:
        stack.sim.config.webhook_url = None  # an install with no public URL
        stack.sim.inject_inbound(NUMBER, "Tylko przez getincoming")
        stack.sim.inject_inbound("48600100300", "Z aplikacji mobilnej", mobileapp=True)
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=10, what="the caught-up thread")
        replies = await stack.until(lambda: stack.replies(parent), timeout=10)
        assert replies[0].text == "SMS from +48 600 100 200: Tylko przez getincoming"
        await stack.until(lambda: stack.thread_of("600 100 300"), timeout=10, what="the mobile-app message")
        await catch_up_passes(stack, 3)  # each lists both messages again
        await stack.drain()
        assert len(stack.replies(parent)) == 1
        assert len(stack.slack.top_level(stack.channel)) == 2


async def test_what_the_webhook_brought_is_not_stored_again(make_stack: StackFactory) -> None:
    async with make_stack(settings=CATCH_UP) as stack:
        await stack.phone_texts(NUMBER, "Przez webhook")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"))
        await stack.until(lambda: stack.replies(parent))
        await catch_up_passes(stack, 3)  # each lists it again
        await stack.drain()
        assert [r.text for r in stack.replies(parent)] == ["SMS from +48 600 100 200: Przez webhook"]


async def test_messages_from_before_a_downtime_are_caught_up_once(make_stack: StackFactory) -> None:
    async with make_stack(settings={**CATCH_UP, "catchup_lookback_minutes": 120}) as stack:
        stack.sim.inject_inbound(NUMBER, "Wysłane godzinę temu", ts=now() - timedelta(hours=1), deliver=False)
        stack.sim.inject_inbound(NUMBER, "Wysłane wczoraj", ts=now() - timedelta(days=1), deliver=False)
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=10)
        await stack.until(lambda: stack.replies(parent), timeout=10)
        await catch_up_passes(stack, 2)
        await stack.drain()
        assert [r.text for r in stack.replies(parent)] == ["SMS from +48 600 100 200: Wysłane godzinę temu"]


async def test_a_webhook_for_a_message_the_catch_up_already_stored_is_not_posted_again(make_stack: StackFactory) -> None:
    from bot.sandbox.stack import WEBHOOK_TOKEN

    async with make_stack(settings=CATCH_UP) as stack:
        stack.sim.inject_inbound(NUMBER, "Najpierw przez getincoming", deliver=False)  # the webhook failed at first
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=10, what="the caught-up thread")
        await stack.until(lambda: stack.replies(parent), timeout=10)
        body = {"sender": NUMBER, "recipient": stack.sim.config.own_number, "message": "Najpierw przez getincoming"}
        headers = {"Authorization": WEBHOOK_TOKEN}
        late = await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers=headers)  # mProfi's retry
        assert late.status_code == 200 and late.json()["repeat"] is False
        await catch_up_passes(stack, 2)  # which list the message the webhook just brought too
        await stack.drain()
        assert [r.text for r in stack.replies(parent)] == ["SMS from +48 600 100 200: Najpierw przez getincoming"]
        again = await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers=headers)  # and once more
        assert again.json()["message_id"] != late.json()["message_id"]
        await stack.until(lambda: len(stack.replies(parent)) == 2, what="a further delivery, shown")
        # ``late`` was answered 200, so mProfi would not send it again: the customer's own, with a quiet note.
        assert stack.replies(parent)[1].text == "SMS from +48 600 100 200: Najpierw przez getincoming"
        assert "same text as" in str(stack.replies(parent)[1].blocks)
