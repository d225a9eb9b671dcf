"""A job that will never succeed ends visibly: what can still be shown is shown, nothing is sent late."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.bridge import replies, sms
from bot.bridge.context import Context
from bot.bridge.giving_up import end_job
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackState
from storage.kinds import MessageStatus
from storage.models import Dispatch, Job, Message, utcnow
from storage.queue import jobs_given_up

from .queue import claim_next, run_jobs, waiting_jobs
from .steps import NUMBER, bot_replies, open_thread, person_says, rows, sent_to, sms_request, text_in, thread_of


async def outgoing(ctx: Context) -> Message:
    """The one outgoing row."""
    [message] = [m for m in await rows(ctx, Message) if m.direction == "out"]
    return message


async def test_an_sms_slack_would_not_show_with_blocks_is_shown_as_plain_text(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    await text_in(ctx, "Druga wiadomość")
    job = await claim_next(ctx, "slack")

    await end_job(ctx, job, "invalid_blocks")
    assert [m.text for m in bot_replies(slack, parent)][-1] == "SMS from +48 600 100 200: Druga wiadomość"
    assert [m.status for m in await rows(ctx, Message)] == [MessageStatus.POSTED, MessageStatus.POSTED]
    [ended] = await rows(ctx, Job, Job.id == job.id)
    assert ended.failed_at is not None and ended.last_error == "given up: invalid_blocks"
    assert await jobs_given_up(ctx.sessions, utcnow() - timedelta(hours=1)) == 1
    assert [job.kind for job in await waiting_jobs(ctx)] == ["render_card"]  # the card still shows the new message


async def test_nothing_is_posted_where_slack_refuses_the_place_itself(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    await text_in(ctx, "Druga wiadomość")
    job = await claim_next(ctx, "slack")

    await end_job(ctx, job, "not_in_channel")
    assert len(bot_replies(slack, parent)) == 1
    assert await jobs_given_up(ctx.sessions, utcnow() - timedelta(hours=1)) == 1


async def test_a_reply_that_could_not_go_in_time_is_shown_as_not_sent_and_never_sent_late(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Spóźniona"))
    job = await claim_next(ctx, "mprofi")

    await end_job(ctx, job, "mProfi unreachable for 24 h")
    await run_jobs(ctx, now=utcnow() + timedelta(days=1))
    assert sent_to(sim) == []
    message = await outgoing(ctx)
    assert (message.status, message.status_detail) == (
        MessageStatus.FAILED,
        "It could not be sent in time (mProfi unreachable for 24 h). Nothing was sent.",
    )
    assert "SMS to +48 600 100 200: not sent" in bot_replies(slack, parent)[-1].text


async def test_a_reply_given_up_in_the_middle_of_its_send_is_shown_as_uncertain(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "W drodze"))
    job = await claim_next(ctx, "mprofi")
    async with ctx.sessions() as session, session.begin():
        await session.execute(update(Message).where(Message.id == job.message_id).values(status=MessageStatus.SENDING))

    await end_job(ctx, job, "lease lost")
    await run_jobs(ctx)
    assert (await outgoing(ctx)).status == MessageStatus.UNCERTAIN
    assert "may or may not have been sent" in bot_replies(slack, parent)[-1].text


async def test_the_author_of_a_one_number_sms_hears_it_was_not_sent(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await sms.start_sms(ctx, sms_request(NUMBER))
    job = await claim_next(ctx, "mprofi")

    await end_job(ctx, job, "mProfi unreachable for 24 h")
    await run_jobs(ctx)
    assert sent_to(sim) == []
    [told] = slack.ephemeral
    assert told["text"].startswith("Not sent to +48 600 100 200: It could not be sent in time")
    assert thread_of(slack, ctx) is not None


async def test_a_broadcast_given_up_marks_what_is_left_and_says_so(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await sms.start_sms(ctx, sms_request("+48600100300", "+48600100301"))
    job = await claim_next(ctx, "mprofi")

    await end_job(ctx, job, "mProfi unreachable for 24 h")
    await run_jobs(ctx)
    assert sim.messages == {}
    assert {m.status for m in await rows(ctx, Message)} == {MessageStatus.FAILED}
    [progress] = [m.text for m in slack.top_level(ctx.config.channel_id)]
    assert progress == "SMS to 2 numbers: 0 accepted, 2 not sent, 0 waiting"


async def test_a_broadcast_given_up_is_finished(ctx: Context) -> None:
    await sms.start_sms(ctx, sms_request("+48600100300", "+48600100301"))
    job = await claim_next(ctx, "mprofi")

    await end_job(ctx, job, "mProfi unreachable for 24 h")
    await run_jobs(ctx)
    [dispatch] = await rows(ctx, Dispatch)
    assert (dispatch.state, dispatch.accepted, dispatch.failed) == ("done", 0, 2)
