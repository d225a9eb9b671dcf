"""No job retries for ever, no stuck message holds back the ones after it, and a crash
delays work by seconds, not minutes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.sandbox.slack import HANG
from bot.sandbox.stack import SandboxStack
from storage import make_engine, make_sessionmaker
from storage.kinds import JobKind
from storage.models import Job, utcnow
from storage.queue import retry_failed
from tests.support import NUMBER, StackFactory, open_thread, status_lines, stored


def attempts(stack: SandboxStack) -> list[object]:
    """Every chat.postMessage the app made, answered or not."""
    return [c for c in stack.slack.calls if c.method == "chat.postMessage"]


async def health(stack: SandboxStack) -> dict[str, object]:
    response = await stack.http.get(stack.app_url + "/healthz")
    return dict(response.json())


async def test_a_refused_post_is_shown_plainly_and_the_next_sms_still_arrives(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    stack.slack.fail("chat.postMessage", 200, error="invalid_blocks")  # Slack will not take this one's blocks
    await stack.phone_texts(NUMBER, "Druga wiadomość")
    await stack.phone_texts(NUMBER, "Trzecia wiadomość")
    replies = await stack.until(lambda: len(stack.replies(parent)) == 3 and stack.replies(parent), what="all three")
    assert replies[1].text == "SMS from +48 600 100 200: Druga wiadomość" and not replies[1].blocks  # plain text in its place
    assert replies[2].text.endswith("Trzecia wiadomość") and replies[2].blocks
    assert (await health(stack))["jobs_given_up_24h"] == 1


async def test_an_sms_slack_will_not_take_at_all_leaves_a_sentence_in_its_place(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    stack.slack.fail("chat.postMessage", 200, error="invalid_blocks", times=2)  # refused with blocks, and plainly
    await stack.phone_texts(NUMBER, "Ta się nie pokaże")
    replies = await stack.until(lambda: len(stack.replies(parent)) == 2 and stack.replies(parent), what="the sentence")
    assert replies[1].text == "This SMS from +48 600 100 200 could not be shown (invalid_blocks); it is kept in the bridge's database."


async def test_a_channel_slack_refuses_for_good_ends_the_job_and_holds_nothing_back(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    before = len(attempts(stack))
    stack.slack.fail("chat.postMessage", 200, error="not_in_channel")
    await stack.phone_texts(NUMBER, "Ta nie dotrze do Slacka")
    await stack.phone_texts(NUMBER, "Ta już tak")
    replies = await stack.until(lambda: [r for r in stack.replies(parent) if "Ta już tak" in r.text], what="the next SMS")
    assert replies
    assert not [r for r in stack.replies(parent) if "nie dotrze" in r.text]
    assert (await health(stack))["jobs_given_up_24h"] == 1
    await stack.drain()
    assert len(attempts(stack)) - before == 2  # the refused one was tried once
    # The admin fixed the channel: `mprofi-slack retry` queues the given-up work again.
    engine = make_engine(stack.settings().database_url)
    try:
        assert await retry_failed(make_sessionmaker(engine), utcnow() - timedelta(hours=1)) == 1
    finally:
        await engine.dispose()
    await stack.until(lambda: [r for r in stack.replies(parent) if "nie dotrze" in r.text], what="the SMS, after the retry")


async def test_a_failure_that_lasts_too_long_ends_visibly(make_stack: StackFactory) -> None:
    async with make_stack(settings={"job_max_attempts": 3}) as stack:
        parent = await open_thread(stack)
        stack.slack.fail("chat.postMessage", 500, times=3)  # three tries, each a Slack error
        await stack.phone_texts(NUMBER, "Po trzech próbach")
        replies = await stack.until(lambda: len(stack.replies(parent)) == 2 and stack.replies(parent), timeout=20, what="the SMS")
        assert replies[1].text == "SMS from +48 600 100 200: Po trzech próbach"
        assert (await health(stack))["jobs_given_up_24h"] == 1


async def test_a_job_that_outlasts_its_lease_keeps_it_while_it_runs(make_stack: StackFactory) -> None:
    """mProfi takes 2 s to answer while leases last 1 s: without renewal a second worker
    would take the send over and call it uncertain."""
    async with make_stack(settings={"worker_lease_seconds": 1.0}) as stack:
        parent = await open_thread(stack)
        stack.sim.config.hang_seconds = 2.0
        stack.sim.queue_fault("send", "hang")
        await stack.person_replies(parent, "Powoli, ale dojdzie")
        await stack.until(lambda: [m for m in status_lines(stack, parent) if "accepted by mProfi" in m.text], timeout=15)
        await stack.drain()
        assert not [m for m in status_lines(stack, parent) if "may or may not" in m.text]
        assert len(stack.sent_to(NUMBER)) == 1
        sends = await stored(stack, select(Job.attempts).where(Job.kind == JobKind.SEND_REPLY))
        assert sends == [1]  # one run held it throughout: no second worker ever claimed it


async def test_after_a_crash_a_claimed_job_runs_again_within_seconds(make_stack: StackFactory) -> None:
    """A killed worker's job is taken over once its (short) lease runs out, not after the
    default two minutes: the wait below would time out long before those."""
    async with make_stack(app_process=True, settings={"worker_lease_seconds": 1.0}) as stack:
        parent = await open_thread(stack)
        stack.slack.fail("chat.postMessage", HANG, retry_after=3)  # the worker holds this post's job until the kill
        await stack.phone_texts(NUMBER, "Wysłane tuż przed awarią")
        await stack.until(lambda: not stack.slack.faults.get("chat.postMessage"), what="the post Slack holds")
        await stack.restart_app(kill=True)
        await stack.until(lambda: [r for r in stack.replies(parent) if "awarią" in r.text], timeout=15, what="the SMS after restart")
        await stack.drain()
        assert [r.text for r in stack.replies(parent)][-1] == "SMS from +48 600 100 200: Wysłane tuż przed awarią"
        # Claimed by the killed worker, then once more by the restarted app: no more, no fewer.
        posts = await stored(stack, select(Job.attempts).where(Job.kind == JobKind.POST_INBOUND, Job.done_at.is_not(None)).order_by(Job.id))
        assert posts == [1, 2]


async def test_a_graceful_restart_mid_job_hands_the_job_back_at_once(make_stack: StackFactory) -> None:
    """SIGTERM while a post hangs: the stopping app gives the job back, so the conversation's
    lane is not held until the lease (here a minute) runs out."""
    async with make_stack(app_process=True, settings={"worker_lease_seconds": 60.0}) as stack:
        parent = await open_thread(stack)
        stack.slack.fail("chat.postMessage", HANG, retry_after=30)  # the next post hangs, doing nothing
        await stack.phone_texts(NUMBER, "W trakcie restartu")
        await stack.until(lambda: not stack.slack.faults.get("chat.postMessage"), what="the post that hangs, under way")
        await stack.restart_app(kill=False)
        await stack.until(
            lambda: [r for r in stack.replies(parent) if "W trakcie restartu" in r.text], timeout=20, what="the SMS after the restart"
        )
