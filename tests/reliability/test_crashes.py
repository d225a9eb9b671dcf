"""The server process killed hard (SIGKILL) mid-message, then started again.

Each test runs the real ``mprofi-slack serve`` as a child process on loopback, kills
it at one step of a message's way and asserts on what Slack and mProfi finally
received: everything arrives once, or the message is shown as uncertain with a
button to resend — never twice.
"""

from __future__ import annotations

import asyncio
import signal

from sqlalchemy import select

from bot.sandbox.slack import HANG, HANG_AFTER
from storage.kinds import JobKind
from storage.models import Job
from tests.support import NUMBER, StackFactory, open_thread, status_lines, stored

FAST_RECOVERY = {"worker_lease_seconds": 1.0}


async def test_killed_after_mprofi_accepted_the_sms_it_is_shown_uncertain_and_not_sent_again(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, settings=FAST_RECOVERY) as stack:
        parent = await open_thread(stack)
        stack.sim.config.hang_seconds = 2.0
        stack.sim.queue_fault("send", "hang_after_accept")  # mProfi takes it, then never answers
        await stack.person_replies(parent, "Czy to doszło?")
        await stack.until(lambda: stack.sent_to(NUMBER), what="mProfi holding the SMS")
        await stack.restart_app(kill=True)
        line = await stack.until(
            lambda: [m for m in status_lines(stack, parent) if "may or may not" in m.text], timeout=20, what="uncertain"
        )
        assert "resend_sms" in str(line[0].blocks)
        await stack.drain()
        assert len(stack.sent_to(NUMBER)) == 1


async def test_an_uncertain_send_becomes_certain_when_mprofi_reports_its_status(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, settings=FAST_RECOVERY) as stack:
        parent = await open_thread(stack)
        stack.sim.config.hang_seconds = 2.0
        stack.sim.queue_fault("send", "hang_after_accept")
        await stack.person_replies(parent, "Doszło czy nie?")
        sent = await stack.until(lambda: stack.sent_to(NUMBER), what="mProfi holding the SMS")
        await stack.restart_app(kill=True)
        await stack.until(lambda: [m for m in status_lines(stack, parent) if "may or may not" in m.text], timeout=20, what="uncertain")
        stack.sim.set_status(sent[0].id, "delivered")  # the PUSH names our reference: it did go out
        line = await stack.until(lambda: [m for m in status_lines(stack, parent) if ": delivered" in m.text], timeout=10, what="delivered")
        assert "resend_sms" not in str(line[0].blocks)
        assert len(stack.sent_to(NUMBER)) == 1


async def test_killed_after_storing_an_inbound_sms_it_reaches_slack_once_after_restart(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, settings=FAST_RECOVERY) as stack:
        stack.slack.fail("chat.postMessage", HANG, retry_after=2)  # the first post never lands
        record = await stack.phone_texts(NUMBER, "Zapisane, jeszcze nie w Slacku")
        assert record.attempts[-1].status_code == 200  # persisted and acknowledged
        await stack.until(lambda: not stack.slack.faults.get("chat.postMessage"), what="the post under way")
        await stack.restart_app(kill=True)
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=20, what="the thread after restart")
        await stack.until(lambda: stack.replies(parent), timeout=20, what="the message after restart")
        await stack.drain()
        assert len(stack.slack.top_level(stack.channel)) == 1
        assert [r.text for r in stack.replies(parent)] == ["SMS from +48 600 100 200: Zapisane, jeszcze nie w Slacku"]


async def test_killed_after_slack_posted_the_thread_parent_the_thread_is_not_opened_twice(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, settings=FAST_RECOVERY) as stack:
        stack.slack.fail("chat.postMessage", HANG_AFTER, retry_after=2)  # posted, but the answer never comes
        await stack.phone_texts(NUMBER, "Wątek jest, odpowiedź zginęła")
        await stack.until(lambda: stack.slack.top_level(stack.channel), what="the parent in Slack")
        await stack.restart_app(kill=True)
        parent = stack.thread_of("600 100 200")
        assert parent is not None
        await stack.until(lambda: stack.replies(parent), timeout=20, what="the message after restart")
        await stack.drain()
        assert len(stack.slack.top_level(stack.channel)) == 1
        assert [r.text for r in stack.replies(parent)] == ["SMS from +48 600 100 200: Wątek jest, odpowiedź zginęła"]


async def test_killed_after_slack_posted_an_inbound_message_it_is_not_posted_twice(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, settings=FAST_RECOVERY) as stack:
        parent = await open_thread(stack)
        stack.slack.fail("chat.postMessage", HANG_AFTER, retry_after=2)
        await stack.phone_texts(NUMBER, "W Slacku, ale bez potwierdzenia")
        await stack.until(lambda: len(stack.replies(parent)) == 2, what="the message in Slack")
        await stack.restart_app(kill=True)
        await stack.until(lambda: stack.slack.calls_to("conversations.replies"), timeout=20, what="the restarted job looking")
        await stack.drain()
        assert [r.text for r in stack.replies(parent)] == [
            "SMS from +48 600 100 200: Dzień dobry",
            "SMS from +48 600 100 200: W Slacku, ale bez potwierdzenia",
        ]


async def test_killed_after_slack_posted_a_status_line_it_is_not_posted_twice(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, settings=FAST_RECOVERY) as stack:
        parent = await open_thread(stack)
        stack.slack.fail("chat.postMessage", HANG_AFTER, retry_after=2)
        await stack.person_replies(parent, "Status zginął po drodze")
        sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        await stack.until(lambda: status_lines(stack, parent), what="the status line in Slack")
        await stack.restart_app(kill=True)
        stack.sim.set_status(sent[0].id, "delivered")
        await stack.until(lambda: [m for m in status_lines(stack, parent) if ": delivered" in m.text], timeout=20, what="delivered")
        await stack.drain()
        assert len(status_lines(stack, parent)) == 1
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Status zginął po drodze"]


async def test_killed_while_a_stored_reply_waits_for_mprofi_it_is_sent_once_after_restart(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, settings=FAST_RECOVERY) as stack:
        parent = await open_thread(stack)
        await stack.mprofi_down()  # the send fails: stored, not sent
        await stack.person_replies(parent, "Zapisana, jeszcze nie wysłana")
        failed = select(Job.id).where(Job.kind == JobKind.SEND_REPLY, Job.last_error.is_not(None))
        await stack.until(lambda: stored(stack, failed), what="a send refused by the outage")
        await stack.restart_app(kill=True)
        await stack.mprofi_up()
        await stack.until(lambda: stack.sent_to(NUMBER), timeout=20, what="the SMS after restart")
        await stack.drain()
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Zapisana, jeszcze nie wysłana"]
        assert not [m for m in status_lines(stack, parent) if "may or may not" in m.text]  # it was certain nothing had left


async def test_a_delivery_status_pushed_while_the_server_is_down_is_learnt_by_asking_after_restart(make_stack: StackFactory) -> None:
    """mProfi PUSHes a status once and never again: the bridge's safety net asks status/."""
    async with make_stack(app_process=True, settings={**FAST_RECOVERY, "mprofi_status_recheck_minutes": 0.02}) as stack:  # 1.2 s
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Status w czasie awarii")
        sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        await stack.until(lambda: [m for m in status_lines(stack, parent) if "accepted" in m.text], what="mProfi's answer recorded")
        assert stack.process is not None
        await stack.process.stop(signal.SIGKILL)
        stack.sim.set_status(sent[0].id, "delivered")  # the one PUSH meets a dead server
        await stack.until(lambda: stack.sim.push_attempts, what="the PUSH refused")
        await stack.restart_app(kill=False)
        await stack.until(lambda: [m for m in status_lines(stack, parent) if ": delivered" in m.text], timeout=15, what="delivered")
        delivered = [a.status_code for body, a in stack.sim.push_attempts if body["status"] == "delivered"]
        assert delivered == [None]  # refused while down, and never pushed again
        assert any(path == "/1.0/status/" for path, _ in stack.sim.requests)
        assert len(status_lines(stack, parent)) == 1


async def test_a_webhook_that_arrives_while_the_server_is_down_is_delivered_by_mprofis_retry(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True) as stack:
        stack.sim.config.webhook_retry_seconds = 1.5
        assert stack.process is not None
        await stack.process.stop()
        record = stack.sim.inject_inbound(NUMBER, "Wysłane, gdy serwer stał")
        await stack.until(lambda: record.attempts, what="the first delivery, refused")
        assert record.attempts and record.attempts[0].status_code is None  # connection refused
        await stack.restart_app(kill=False)
        await asyncio.wait_for(record.delivered.wait(), 10)
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=10)
        await stack.until(lambda: stack.replies(parent), timeout=10)
        assert [r.text for r in stack.replies(parent)] == ["SMS from +48 600 100 200: Wysłane, gdy serwer stał"]


async def test_a_burst_while_slack_rate_limits_arrives_in_order_none_twice(make_stack: StackFactory) -> None:
    from bot.sandbox.slack import SlackConfig
    from bot.sandbox.stack import WEBHOOK_TOKEN

    slack = SlackConfig(post_rate=250.0, post_burst=2)  # Slack's limit, sped up so the test stays short
    settings = {"slack_posts_per_second": 250.0, "slack_post_burst": 1}
    async with make_stack(slack=slack, settings=settings) as stack:
        stack.slack.fail("chat.postMessage", 429, times=3, retry_after=1)  # Slack is also briefly unhappy
        senders = ["48600100200", "48600100201", "48600100202", "48600100203"]
        headers = {"Authorization": WEBHOOK_TOKEN}

        async def phone(sender: str) -> list[int]:  # each phone texts 250 times, one after another
            statuses = []
            for index in range(250):
                body = {"sender": sender, "recipient": "1", "message": f"burst {index}"}
                statuses.append((await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers=headers)).status_code)
            return statuses

        results = await asyncio.gather(*(phone(sender) for sender in senders))  # four phones at once
        assert {status for statuses in results for status in statuses} == {200}
        await stack.until(lambda: sum(len(stack.replies(p)) for p in stack.slack.top_level(stack.channel)) >= 1000, timeout=60)
        await stack.drain()
        parents = stack.slack.top_level(stack.channel)
        assert len(parents) == 4
        for parent in parents:
            numbers = [int(m.text.rsplit(" ", 1)[-1]) for m in stack.replies(parent)]
            assert numbers == list(range(250))  # in order, none twice, none missing
