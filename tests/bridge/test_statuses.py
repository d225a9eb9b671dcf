"""Delivery statuses: from PUSH, from ``status/`` polls, shown in one line that only moves forward."""

from __future__ import annotations

from dataclasses import replace

from bot.bridge import replies, sms, statuses
from bot.bridge.context import Context
from bot.bridge.models import StatusUpdate
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.mprofi.state import SimMessage
from bot.sandbox.slack import SlackMessage, SlackState
from storage.kinds import MessageStatus
from storage.models import Message, StatusEvent

from .queue import run_jobs, waiting_jobs
from .steps import bot_replies, mprofi_calls, open_thread, person_says, rows, sent_to, sms_request


async def a_sent_reply(ctx: Context, sim: SimulatorState, slack: SlackState) -> tuple[SlackMessage, SimMessage]:
    """A reply mProfi accepted: the thread's parent and what the simulator holds."""
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Dotrze jutro"))
    await run_jobs(ctx)
    [sent] = sent_to(sim)
    return parent, sent


def status_line(slack: SlackState, parent: SlackMessage) -> SlackMessage:
    """The one status line of the reply (asserting there is one: updates happen in place)."""
    [line] = [m for m in bot_replies(slack, parent) if m.text.startswith("SMS to ")]
    return line


async def the_reply(ctx: Context) -> Message:
    """The reply's row, read afresh."""
    [message] = [m for m in await rows(ctx, Message) if m.direction == "out"]
    return message


async def test_a_pushed_status_moves_the_line_forward_in_place(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent, sent = await a_sent_reply(ctx, sim, slack)
    assert await statuses.apply_status(ctx, StatusUpdate(mprofi_id=sent.id, raw_status="sent"), source="push")
    await run_jobs(ctx)
    assert status_line(slack, parent).text.startswith("SMS to +48 600 100 200: sent to the network")

    assert await statuses.apply_status(ctx, StatusUpdate(mprofi_id=sent.id, raw_status="delivered"), source="push")
    await run_jobs(ctx)
    line = status_line(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: delivered")
    assert line.edits == 2  # one line, updated in place
    assert (await the_reply(ctx)).status == MessageStatus.DELIVERED


async def test_statuses_only_move_forward_and_late_ones_are_kept_as_history(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent, sent = await a_sent_reply(ctx, sim, slack)
    await statuses.apply_status(ctx, StatusUpdate(mprofi_id=sent.id, raw_status="delivered"), source="push")
    assert await statuses.apply_status(ctx, StatusUpdate(mprofi_id=sent.id, raw_status="sent"), source="push")  # late
    assert await statuses.apply_status(ctx, StatusUpdate(mprofi_id=sent.id, raw_status="processing"), source="pull")
    await run_jobs(ctx)

    message = await the_reply(ctx)
    assert message.status == MessageStatus.DELIVERED
    assert status_line(slack, parent).text.startswith("SMS to +48 600 100 200: delivered")
    history = [(e.status, e.source) for e in await rows(ctx, StatusEvent, StatusEvent.message_id == message.id)]
    assert history == [
        ("queued", "bridge"),
        ("accepted", "bridge"),
        ("delivered", "push"),
        ("sent", "push"),
        ("accepted", "pull"),
    ]


async def test_a_status_for_an_id_that_is_not_ours_is_false(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await a_sent_reply(ctx, sim, slack)
    assert not await statuses.apply_status(ctx, StatusUpdate(mprofi_id=987654, raw_status="delivered"), source="push")
    inbound_reference = f"mps-{(await rows(ctx, Message))[0].id}"  # the SMS that opened the thread came in
    assert not await statuses.apply_status(
        ctx, StatusUpdate(mprofi_id=None, raw_status="delivered", reference=inbound_reference), source="push"
    )


async def test_an_uncertain_send_is_found_by_its_reference_and_learns_its_id(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    sim.queue_fault("send", "500_after_accept")
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Czy dotarło?"))
    await run_jobs(ctx)
    message = await the_reply(ctx)
    assert (message.status, message.mprofi_id) == (MessageStatus.UNCERTAIN, None)
    [sent] = sent_to(sim)

    update = StatusUpdate(mprofi_id=sent.id, raw_status="delivered", reference=message.reference)
    assert await statuses.apply_status(ctx, update, source="push")
    await run_jobs(ctx)
    message = await the_reply(ctx)
    assert (message.status, message.mprofi_id) == (MessageStatus.DELIVERED, sent.id)
    assert status_line(slack, parent).text.startswith("SMS to +48 600 100 200: delivered")


async def test_a_status_spelling_nobody_knows_is_recorded_and_changes_nothing(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    _, sent = await a_sent_reply(ctx, sim, slack)
    assert await statuses.apply_status(ctx, StatusUpdate(mprofi_id=sent.id, raw_status="Wysłano?"), source="push")

    message = await the_reply(ctx)
    assert message.status == MessageStatus.ACCEPTED
    last = (await rows(ctx, StatusEvent, StatusEvent.message_id == message.id))[-1]
    assert (last.status, last.raw_status) == ("unknown", "Wysłano?")
    assert await waiting_jobs(ctx) == []  # no redraw


async def test_poll_statuses_asks_status_for_messages_that_are_due(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, status_mode="pull", poll_first_seconds=0)  # due at once
    parent, sent = await a_sent_reply(ctx, sim, slack)
    sim.set_status(sent.id, "delivered")

    assert await statuses.poll_statuses(ctx) == 1
    assert mprofi_calls(sim, "status") == 1
    message = await the_reply(ctx)
    assert (message.status, message.next_poll_at) == (MessageStatus.DELIVERED, None)
    await run_jobs(ctx)
    assert status_line(slack, parent).text.startswith("SMS to +48 600 100 200: delivered")
    assert await statuses.poll_statuses(ctx) == 0  # final: never asked again


async def test_messages_not_yet_due_are_not_asked_about(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await a_sent_reply(ctx, sim, slack)  # PUSH mode: the safety net's first check is 30 minutes away

    assert await statuses.poll_statuses(ctx) == 0
    assert mprofi_calls(sim, "status") == 0


async def test_a_message_still_on_its_way_is_asked_about_again_later_not_at_once(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    ctx.config = replace(ctx.config, status_mode="pull", poll_first_seconds=0)
    await a_sent_reply(ctx, sim, slack)
    ctx.config = replace(ctx.config, poll_first_seconds=60)

    assert await statuses.poll_statuses(ctx) == 1
    message = await the_reply(ctx)
    assert (message.status, message.polls) == (MessageStatus.ACCEPTED, 1)
    assert message.next_poll_at is not None
    assert await statuses.poll_statuses(ctx) == 0


async def test_a_failing_status_check_leaves_the_message_waiting(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, status_mode="pull", poll_first_seconds=0)
    await a_sent_reply(ctx, sim, slack)
    sim.queue_fault("status", "503")

    assert await statuses.poll_statuses(ctx) == 1
    message = await the_reply(ctx)
    assert (message.status, message.polls) == (MessageStatus.ACCEPTED, 1)
    assert message.next_poll_at is not None


async def test_a_message_with_no_final_status_in_time_is_given_up_as_unknown(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, status_mode="pull", poll_first_seconds=0, poll_give_up_hours=0)
    parent, _ = await a_sent_reply(ctx, sim, slack)

    assert await statuses.poll_statuses(ctx) == 1
    await run_jobs(ctx)
    message = await the_reply(ctx)
    assert (message.status, message.status_detail, message.next_poll_at) == (
        MessageStatus.UNKNOWN,
        "mProfi gave no final status in time.",
        None,
    )
    assert status_line(slack, parent).text.startswith("SMS to +48 600 100 200: status unknown")


async def test_a_broadcast_message_gets_its_status_without_a_status_line(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await sms.start_sms(ctx, sms_request("+48600100300", "+48600100301"))
    await run_jobs(ctx)
    first = min(sim.messages.values(), key=lambda m: m.id)

    assert await statuses.apply_status(ctx, StatusUpdate(mprofi_id=first.id, raw_status="delivered"), source="push")
    assert await waiting_jobs(ctx) == []
    [message] = await rows(ctx, Message, Message.mprofi_id == first.id)
    assert message.status == MessageStatus.DELIVERED
