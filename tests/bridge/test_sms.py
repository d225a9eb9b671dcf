"""``/sms``: one number through its thread, many in batches, and what is held back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.bridge import sms
from bot.bridge.context import Context
from bot.bridge.refusals import KEY_REFUSED
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackState
from bot.sms.numbers import normalize
from storage.kinds import MessageStatus
from storage.models import Dispatch, Message, utcnow

from .queue import run_jobs, waiting_jobs
from .steps import ANNA, NUMBER, PIOTR, bot_replies, mprofi_calls, rows, sent_to, sms_request, text_in, thread_of

MANY = tuple(f"+4860010030{n}" for n in range(5))


def progress_messages(slack: SlackState, ctx: Context) -> list[str]:
    """The progress messages of broadcasts in the channel (one per /sms, updated in place)."""
    return [m.text for m in slack.top_level(ctx.config.channel_id) if m.text.startswith("SMS to ")]


async def test_one_number_goes_out_in_its_thread_and_the_sender_hears_how_it_went(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    accepted = await sms.start_sms(ctx, sms_request(NUMBER, text="Paczka czeka"))
    assert accepted.sending == (NUMBER,)
    assert not accepted.needs_confirmation
    await run_jobs(ctx)

    [sent] = sent_to(sim)
    assert sent.text == "Paczka czeka"
    parent = thread_of(slack, ctx)
    assert parent is not None
    [line] = bot_replies(slack, parent)
    assert "SMS to +48 600 100 200: accepted by mProfi" in line.text
    assert "Paczka czeka" in line.text  # a /sms shows its text; a typed reply would not need to
    [told] = slack.ephemeral
    assert told["user"] == ANNA
    assert told["text"].startswith("Sent to +48 600 100 200: mProfi accepted it")
    assert "Open the conversation thread" in told["text"]
    [message] = await rows(ctx, Message)
    assert (message.status, message.mprofi_id, message.dispatch_id) == (MessageStatus.ACCEPTED, sent.id, accepted.dispatch_id)


async def test_the_outcome_goes_to_the_response_url_when_the_command_gave_one(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    hook = slack.config.public_url + "/hooks/sms-1"
    await sms.start_sms(ctx, sms_request(NUMBER, response_url=hook))
    await run_jobs(ctx)

    [(hook_id, payload)] = slack.hooks
    assert hook_id == "sms-1"
    assert payload["text"].startswith("Sent to +48 600 100 200")
    assert slack.ephemeral == []


async def test_many_numbers_go_in_batches_with_one_progress_message(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, bulk_batch_size=2)
    accepted = await sms.start_sms(ctx, sms_request(*MANY))
    await run_jobs(ctx)

    assert sorted(m.recipient for m in sim.messages.values()) == sorted(n.removeprefix("+") for n in accepted.sending)
    assert mprofi_calls(sim, "sendbulk") == 3  # 2 + 2 + 1
    assert progress_messages(slack, ctx) == ["SMS to 5 numbers: 5 accepted, 0 not sent, 0 waiting"]
    assert thread_of(slack, ctx, MANY[0]) is None  # no thread per number for a broadcast
    [dispatch] = await rows(ctx, Dispatch)
    assert (dispatch.state, dispatch.total, dispatch.accepted, dispatch.failed) == ("done", 5, 5, 0)
    assert {m.status for m in await rows(ctx, Message)} == {MessageStatus.ACCEPTED}


async def test_numbers_that_texted_stop_are_skipped(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await text_in(ctx, "STOP", sender=MANY[0])
    accepted = await sms.start_sms(ctx, sms_request(*MANY[:3]))
    assert accepted.opted_out == (normalize(MANY[0]),)
    assert len(accepted.sending) == 2
    await run_jobs(ctx)

    assert sent_to(sim, MANY[0]) == []
    assert len(sent_to(sim, MANY[1])) == len(sent_to(sim, MANY[2])) == 1
    [dispatch] = await rows(ctx, Dispatch)
    assert dispatch.refused == [["+48 600 100 300", "texted STOP"]]
    [progress] = [m for m in slack.top_level(ctx.config.channel_id) if m.text.startswith("SMS to ")]
    assert "Skipped before sending: +48 600 100 300 (texted STOP)" in str(progress.blocks)


async def test_a_send_to_only_opted_out_numbers_sends_nothing(ctx: Context, sim: SimulatorState) -> None:
    await text_in(ctx, "STOP")
    accepted = await sms.start_sms(ctx, sms_request(NUMBER))
    assert (accepted.sending, accepted.opted_out) == ((), (NUMBER,))
    await run_jobs(ctx)

    assert sim.messages == {}
    [dispatch] = await rows(ctx, Dispatch)
    assert dispatch.state == "done"


async def test_a_large_send_waits_for_send(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, confirm_above=2)
    accepted = await sms.start_sms(ctx, sms_request(*MANY[:3]))
    assert accepted.needs_confirmation
    assert await run_jobs(ctx) == 0
    assert sim.messages == {}
    assert {m.status for m in await rows(ctx, Message)} == {MessageStatus.HELD}

    answer = await sms.answer_confirmation(ctx, accepted.dispatch_id, user_id=ANNA, send=True)
    assert answer == "Sending to 3 numbers. Progress shows in this channel."
    await run_jobs(ctx)
    assert len(sim.messages) == 3
    assert progress_messages(slack, ctx) == ["SMS to 3 numbers: 3 accepted, 0 not sent, 0 waiting"]


async def test_cancel_sends_nothing_and_a_second_press_changes_nothing(ctx: Context, sim: SimulatorState) -> None:
    ctx.config = replace(ctx.config, confirm_above=2)
    accepted = await sms.start_sms(ctx, sms_request(*MANY[:3]))

    answer = await sms.answer_confirmation(ctx, accepted.dispatch_id, user_id=ANNA, send=False)
    assert answer == "Cancelled: nothing was sent to the 3 numbers."
    again = await sms.answer_confirmation(ctx, accepted.dispatch_id, user_id=ANNA, send=True)
    assert again == "This /sms was already cancelled."
    await run_jobs(ctx)
    assert sim.messages == {}
    assert {m.status for m in await rows(ctx, Message)} == {MessageStatus.CANCELLED}


async def test_only_the_author_decides_and_only_once(ctx: Context, sim: SimulatorState) -> None:
    ctx.config = replace(ctx.config, confirm_above=2)
    accepted = await sms.start_sms(ctx, sms_request(*MANY[:3]))

    assert await sms.answer_confirmation(ctx, accepted.dispatch_id, user_id=PIOTR, send=True) == (
        "Only the person who typed this /sms can send or cancel it."
    )
    await sms.answer_confirmation(ctx, accepted.dispatch_id, user_id=ANNA, send=True)
    assert await sms.answer_confirmation(ctx, accepted.dispatch_id, user_id=ANNA, send=True) == (
        "This /sms was already confirmed; it is not sent twice."
    )
    assert await sms.answer_confirmation(ctx, 999, user_id=ANNA, send=True) == "That /sms is not known any more."
    await run_jobs(ctx)
    assert len(sim.messages) == 3


async def test_the_same_trigger_twice_is_stored_and_sent_once(ctx: Context, sim: SimulatorState) -> None:
    first = await sms.start_sms(ctx, sms_request(NUMBER))
    second = await sms.start_sms(ctx, sms_request(NUMBER))
    assert second.again
    assert second.dispatch_id == first.dispatch_id
    await run_jobs(ctx)

    assert len(sent_to(sim)) == 1
    assert len(await rows(ctx, Dispatch)) == 1


async def test_a_refused_key_stops_the_broadcast_at_its_first_batch(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, bulk_batch_size=2)
    sim.config.inactive_keys.add(sim.config.keys["send"])
    await sms.start_sms(ctx, sms_request(*MANY))
    await run_jobs(ctx)

    assert sim.messages == {}
    assert mprofi_calls(sim, "sendbulk") == 0  # refused at the key: nothing taken
    assert {(m.status, m.status_detail) for m in await rows(ctx, Message)} == {(MessageStatus.FAILED, KEY_REFUSED)}
    assert progress_messages(slack, ctx) == ["SMS to 5 numbers: 0 accepted, 5 not sent, 0 waiting"]


async def test_an_unreachable_mprofi_puts_the_batch_back_for_later(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    sim.queue_fault("sendbulk", "503")
    await sms.start_sms(ctx, sms_request(*MANY[:2]))
    await run_jobs(ctx)

    assert sim.messages == {}
    assert {m.status for m in await rows(ctx, Message)} == {MessageStatus.QUEUED}
    [later] = await waiting_jobs(ctx)
    assert later.kind == "send_bulk"
    assert "HTTP 503" in (later.last_error or "")

    await run_jobs(ctx, now=utcnow() + timedelta(minutes=5))
    assert len(sim.messages) == 2
    assert progress_messages(slack, ctx) == ["SMS to 2 numbers: 2 accepted, 0 not sent, 0 waiting"]


async def test_a_number_mprofi_refuses_is_told_to_the_sender_in_mprofis_words(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    sim.queue_fault("send", "400")
    await sms.start_sms(ctx, sms_request(NUMBER))
    await run_jobs(ctx)

    assert sent_to(sim) == []
    [message] = await rows(ctx, Message)
    assert message.status == MessageStatus.FAILED
    [told] = slack.ephemeral
    assert told["text"].startswith(f"Not sent to +48 600 100 200: {message.status_detail}")
    assert message.status_detail and message.status_detail.endswith("Nothing was sent.")


async def test_the_sender_hears_once_when_mprofi_cannot_be_reached_and_again_when_it_went(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    sim.queue_fault("send", "503", count=2)
    await sms.start_sms(ctx, sms_request(NUMBER))
    await run_jobs(ctx)
    await run_jobs(ctx, now=utcnow() + timedelta(seconds=2))  # the second try fails too: nothing more is said
    assert [t["text"][:56] for t in slack.ephemeral] == ["mProfi could not be reached, so nothing has been sent to"]

    await run_jobs(ctx, now=utcnow() + timedelta(minutes=5))
    assert len(sent_to(sim)) == 1
    assert slack.ephemeral[-1]["text"].startswith("Sent to +48 600 100 200: mProfi accepted it")
    assert len(slack.ephemeral) == 2


async def test_a_scheduled_sms_is_handed_to_mprofi_with_its_time(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    await sms.start_sms(ctx, sms_request(NUMBER, send_at=at))
    await run_jobs(ctx)

    [sent] = sent_to(sim)
    assert sent.scheduled_for == at
    [told] = slack.ephemeral
    assert told["text"].startswith("Scheduled: mProfi will send it to +48 600 100 200 at")
    parent = thread_of(slack, ctx)
    assert parent is not None
    assert "scheduled for" in bot_replies(slack, parent)[0].text
