"""The undo window: a thread reply waits SEND_DELAY_SECONDS with a Cancel button, and a
Cancel in that time means nothing reaches mProfi — once, whoever comes first."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete

from bot.bridge import conversations, replies, undo
from bot.bridge.context import Context
from bot.bridge.jobs import run_job
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackMessage, SlackState
from bot.slack.blocks.conversation import CANCEL_SEND_ACTION
from storage import sending
from storage.kinds import ConversationState, MessageStatus
from storage.models import Conversation, Message, OptOut, StatusEvent, utcnow
from storage.queue import claim

from .queue import LEASE, run_jobs, waiting_jobs
from .steps import ANNA, PIOTR, bot_replies, deleted, open_thread, person_says, rows, sent_to, text_in

TOO_LATE = "Too late to cancel: this SMS to +48 600 100 200 had already gone to mProfi."


def with_window(ctx: Context, seconds: float = 5.0) -> None:
    ctx.config = replace(ctx.config, send_delay_seconds=seconds)


def after_the_window() -> datetime:
    """A clock past any window these tests open: the queue judges the send due then."""
    return utcnow() + timedelta(minutes=5)


async def a_reply_in_its_window(ctx: Context, slack: SlackState, text: str = "Wysyłam za chwilę") -> tuple[SlackMessage, Message]:
    """A person replies and its line is drawn; the send waits for the window to end."""
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, text))
    await run_jobs(ctx)
    [message] = await outgoing(ctx)
    return parent, message


async def outgoing(ctx: Context) -> list[Message]:
    return [m for m in await rows(ctx, Message) if m.direction == "out"]


def status_line(slack: SlackState, parent: SlackMessage) -> SlackMessage:
    [line] = [m for m in bot_replies(slack, parent) if m.text.startswith("SMS to ")]
    return line


def action_ids(line: SlackMessage) -> list[str]:
    found: list[str] = []
    for block in line.blocks or []:
        found += [str(e.get("action_id")) for e in block.get("elements") or [] if isinstance(e, dict) and e.get("action_id")]
    return found


def context_text(line: SlackMessage) -> str:
    blocks: list[dict[str, Any]] = line.blocks or []
    return " ".join(e.get("text", "") for b in blocks if b.get("type") == "context" for e in b.get("elements") or [])


async def test_a_reply_waits_out_its_window_with_a_cancel_button_then_goes_once(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    with_window(ctx)
    parent, message = await a_reply_in_its_window(ctx, slack)

    assert sent_to(sim) == []  # the window is open: nothing went
    assert message.status == MessageStatus.QUEUED
    assert message.send_after is not None and message.send_after > message.created_at
    line = status_line(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: sending in ")
    assert action_ids(line) == [CANCEL_SEND_ACTION]
    [send] = await waiting_jobs(ctx)
    assert (send.kind, send.run_after) == ("send_outbound", message.send_after)

    await run_jobs(ctx, now=after_the_window())
    assert [m.text for m in sent_to(sim)] == ["Wysyłam za chwilę"]
    line = status_line(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: accepted by mProfi")
    assert action_ids(line) == []  # nothing left to cancel
    assert await waiting_jobs(ctx) == []


async def test_cancel_in_the_window_means_nothing_reaches_mprofi_and_costs_nothing(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    with_window(ctx)
    parent, message = await a_reply_in_its_window(ctx, slack)

    await undo.cancel_send(ctx, message.id, user_id=PIOTR)
    await run_jobs(ctx, now=after_the_window())

    assert sent_to(sim) == []
    [message] = await outgoing(ctx)
    assert message.status == MessageStatus.CANCELLED
    line = status_line(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: cancelled, nothing was sent")
    assert f"cancelled by <@{PIOTR}>, nothing was sent" in context_text(line)
    assert action_ids(line) == []
    assert slack.ephemeral == []
    assert await waiting_jobs(ctx) == []  # the send ran at its time and did nothing
    async with ctx.sessions() as session:
        assert await sending.sent_by_user_since(session, ANNA, message.created_at - timedelta(minutes=1)) == 0
    [conversation] = await rows(ctx, Conversation)
    assert conversation.state == ConversationState.NEW  # nothing went: the customer still waits for a first answer
    assert "*New*" in str(slack.messages[(parent.channel, parent.ts)].blocks)


async def test_a_send_claimed_before_the_cancel_or_run_after_a_restart_sends_nothing(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    """A worker may hold the send job when Cancel comes (or a restarted one takes it up
    later): the job reads the row, and a cancelled row is not sent."""
    with_window(ctx)
    _parent, message = await a_reply_in_its_window(ctx, slack)
    job = await claim(ctx.sessions, lanes=("mprofi",), lease=LEASE, now=after_the_window())
    assert job is not None and job.message_id == message.id

    await undo.cancel_send(ctx, message.id, user_id=ANNA)
    await run_job(ctx, job)

    assert sent_to(sim) == []
    assert [m.status for m in await outgoing(ctx)] == [MessageStatus.CANCELLED]


async def test_a_cancel_too_late_is_told_privately_and_changes_nothing(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    with_window(ctx)
    parent, message = await a_reply_in_its_window(ctx, slack)
    await run_jobs(ctx, now=after_the_window())

    await undo.cancel_send(ctx, message.id, user_id=ANNA)
    await run_jobs(ctx)

    assert len(sent_to(sim)) == 1
    assert [m.status for m in await outgoing(ctx)] == [MessageStatus.ACCEPTED]
    [told] = slack.ephemeral
    assert (told["user"], told["text"], told["thread_ts"]) == (ANNA, TOO_LATE, parent.ts)


async def test_a_second_cancel_changes_nothing_and_says_nothing(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    with_window(ctx)
    _parent, message = await a_reply_in_its_window(ctx, slack)

    await undo.cancel_send(ctx, message.id, user_id=ANNA)
    await undo.cancel_send(ctx, message.id, user_id=PIOTR)  # a teammate a moment later
    await run_jobs(ctx, now=after_the_window())

    cancels = [e for e in await rows(ctx, StatusEvent, StatusEvent.message_id == message.id) if e.status == MessageStatus.CANCELLED]
    assert [(e.source, e.raw_status) for e in cancels] == [("slack", ANNA)]
    assert slack.ephemeral == []
    assert sent_to(sim) == []


async def test_only_a_reply_to_a_phone_gets_a_window(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    """A note is never sent and a refused reply never goes: neither waits nor offers Cancel."""
    with_window(ctx)
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "note: klient dzwonił"))
    await replies.handle_slack_message(ctx, person_says(slack, parent, "x" * 700))  # over 612 characters
    await run_jobs(ctx)

    note, refused = await outgoing(ctx)
    assert (note.status, note.send_after) == (MessageStatus.NOTE, None)
    assert (refused.status, refused.send_after) == (MessageStatus.FAILED, None)
    assert action_ids(status_line(slack, parent)) == []
    await undo.cancel_send(ctx, refused.id, user_id=ANNA)  # a click on nothing: no word, no change
    await run_jobs(ctx)
    assert slack.ephemeral == []
    assert [m.status for m in await outgoing(ctx)] == [MessageStatus.NOTE, MessageStatus.FAILED]


async def test_without_a_window_a_reply_goes_at_once_with_nothing_to_cancel(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Od razu"))
    await run_jobs(ctx)

    assert [m.text for m in sent_to(sim)] == ["Od razu"]
    [message] = await outgoing(ctx)
    assert message.send_after is None
    assert action_ids(status_line(slack, parent)) == []


def edit_of(slack: SlackState, original: dict[str, Any], text: str) -> dict[str, Any]:
    """The ``message_changed`` event Slack sends when a person edits ``original``."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": original["channel"],
        "ts": slack.next_ts(),
        "message": {**original, "text": text},
        "previous_message": original,
    }


async def test_editing_a_reply_in_its_window_points_to_cancel_and_a_cancelled_one_says_nothing(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    with_window(ctx)
    parent = await open_thread(ctx, slack)
    original = person_says(slack, parent, "Do jutra")
    await replies.handle_slack_message(ctx, original)
    await replies.handle_slack_message(ctx, edit_of(slack, original, "Do pojutrza"), event_id="Ev-edit-1")
    await run_jobs(ctx)
    [told] = slack.ephemeral
    assert (
        told["text"]
        == "Editing this reply does not change the SMS to +48 600 100 200: press Cancel under it to stop it, then write it again."
    )

    [message] = await outgoing(ctx)
    await undo.cancel_send(ctx, message.id, user_id=ANNA)
    await replies.handle_slack_message(ctx, edit_of(slack, original, "Do soboty"), event_id="Ev-edit-2")
    await run_jobs(ctx, now=after_the_window())
    assert len(slack.ephemeral) == 1  # nothing went: nothing to warn about
    assert sent_to(sim) == []


async def test_a_stop_or_an_opt_out_during_the_window_means_nothing_is_sent(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    with_window(ctx)
    parent, message = await a_reply_in_its_window(ctx, slack)
    await text_in(ctx, "STOP")  # the customer says STOP while the reply waits out its window
    await run_jobs(ctx, now=after_the_window())
    assert sent_to(sim) == []
    [message] = await outgoing(ctx)
    assert message.status == MessageStatus.FAILED and "STOP" in (message.status_detail or "")
    assert "not sent" in status_line(slack, parent).text

    async with ctx.sessions() as session, session.begin():  # and the card's Opt out, the same way
        await session.execute(delete(OptOut))
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Druga próba"))
    [conversation] = await rows(ctx, Conversation)
    await conversations.set_opt_out(ctx, conversation.id, user_id=PIOTR, out=True)
    await run_jobs(ctx, now=after_the_window())
    assert sent_to(sim) == []
    assert [m.status for m in await outgoing(ctx)] == [MessageStatus.FAILED, MessageStatus.FAILED]


async def test_deleting_a_reply_in_its_window_cancels_it(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    with_window(ctx)
    parent, message = await a_reply_in_its_window(ctx, slack)
    original = next(m for m in slack.thread(parent.channel, parent.ts) if m.ts == message.slack_ts)
    deletion = deleted(slack, original)
    await replies.handle_slack_message(ctx, deletion, event_id="Ev-delete")
    await replies.handle_slack_message(ctx, deletion, event_id="Ev-delete")  # Slack delivered it again
    await run_jobs(ctx, now=after_the_window())
    assert sent_to(sim) == []
    [message] = await outgoing(ctx)
    assert message.status == MessageStatus.CANCELLED and slack.ephemeral == []
