"""Delivery statuses: from PUSH, from ``status/`` polls, shown in one line that only moves forward,
or (STATUS_STYLE=reactions) on the reply itself; names and the signature on status lines."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.bridge import replies, sms, statuses, undo
from bot.bridge.context import Context
from bot.bridge.models import StatusUpdate
from bot.config import SettingsError, load_settings
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.mprofi.state import SimMessage
from bot.sandbox.slack import SlackMessage, SlackState
from storage import contacts
from storage.kinds import MessageStatus
from storage.models import Message, StatusEvent, utcnow

from .queue import run_jobs, waiting_jobs
from .steps import ANNA, NUMBER, PIOTR, bot_replies, mprofi_calls, open_thread, person_says, rows, sent_to, sms_request


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


# ---- STATUS_STYLE=reactions: the reply wears its state; a line only while it offers something


def reactions_on(slack: SlackState, event: dict[str, Any]) -> set[str]:
    """The reactions on the person's own reply."""
    return set(slack.messages[(event["channel"], event["ts"])].reactions)


def lines_in(slack: SlackState, parent: SlackMessage) -> list[SlackMessage]:
    return [m for m in bot_replies(slack, parent) if m.text.startswith(("SMS to ", "MMS to "))]


async def a_reply_with_reactions(
    ctx: Context, slack: SlackState, text: str = "Dotrze jutro", *, window: float = 0.0
) -> tuple[SlackMessage, dict[str, Any]]:
    ctx.config = replace(ctx.config, status_style="reactions", send_delay_seconds=window)
    parent = await open_thread(ctx, slack)
    event = person_says(slack, parent, text)
    await replies.handle_slack_message(ctx, event)
    await run_jobs(ctx)
    return parent, event


async def test_reactions_a_reply_wears_its_state_and_the_thread_gets_no_line(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent, event = await a_reply_with_reactions(ctx, slack)
    [sent] = sent_to(sim)
    assert reactions_on(slack, event) == {"incoming_envelope"}  # accepted by mProfi
    assert lines_in(slack, parent) == []

    for raw, reaction in (("sent", "outbox_tray"), ("delivered", "white_check_mark")):
        assert await statuses.apply_status(ctx, StatusUpdate(mprofi_id=sent.id, raw_status=raw), source="push")
        await run_jobs(ctx)
        assert reactions_on(slack, event) == {reaction}  # one reaction, swapped
    assert (await the_reply(ctx)).reaction == "white_check_mark"
    assert lines_in(slack, parent) == []


async def test_reactions_the_undo_window_shows_a_line_with_cancel_that_goes_once_sent(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    parent, event = await a_reply_with_reactions(ctx, slack, window=5.0)
    assert reactions_on(slack, event) == {"hourglass_flowing_sand"}
    [line] = lines_in(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: sending in ")
    assert "cancel_send_sms" in str(line.blocks)

    await run_jobs(ctx, now=utcnow() + timedelta(minutes=5))
    assert len(sent_to(sim)) == 1
    assert lines_in(slack, parent) == []  # nothing left to offer
    assert reactions_on(slack, event) == {"incoming_envelope"}


async def test_reactions_a_cancelled_reply_loses_its_line_and_shows_it_was_stopped(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    parent, event = await a_reply_with_reactions(ctx, slack, window=5.0)
    await undo.cancel_send(ctx, (await the_reply(ctx)).id, user_id=ANNA)
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=5))

    assert sent_to(sim) == []
    assert lines_in(slack, parent) == []
    assert reactions_on(slack, event) == {"no_entry_sign"}


async def test_reactions_a_refused_reply_keeps_a_line_with_the_reason(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent, event = await a_reply_with_reactions(ctx, slack, "x" * 700, window=5.0)
    assert sent_to(sim) == []
    [line] = lines_in(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: not sent")
    assert "612" in line.text  # the limit it broke
    assert reactions_on(slack, event) == {"x"}


async def test_reactions_an_uncertain_send_keeps_a_line_with_send_again_until_a_status_settles_it(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    sim.queue_fault("send", "500_after_accept")
    parent, event = await a_reply_with_reactions(ctx, slack, "Czy dotarło?")
    [line] = lines_in(slack, parent)
    assert "may or may not have been sent" in line.text and "resend_sms" in str(line.blocks)
    assert reactions_on(slack, event) == {"grey_question"}

    message = await the_reply(ctx)
    [sent] = sent_to(sim)
    assert await statuses.apply_status(
        ctx, StatusUpdate(mprofi_id=sent.id, raw_status="delivered", reference=message.reference), source="push"
    )
    await run_jobs(ctx)
    assert lines_in(slack, parent) == []
    assert reactions_on(slack, event) == {"white_check_mark"}


async def test_reactions_a_message_without_a_slack_message_of_its_own_keeps_its_line(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    """Send again makes a new message nobody typed: its state can only show in a line."""
    sim.queue_fault("send", "500_after_accept")
    parent, _event = await a_reply_with_reactions(ctx, slack, "Czy dotarło?")
    await replies.resend(ctx, (await the_reply(ctx)).id, ANNA)
    await run_jobs(ctx)

    assert len(sent_to(sim)) == 2
    first, again = lines_in(slack, parent)
    assert "may or may not have been sent" in first.text
    assert again.text.startswith("SMS to +48 600 100 200: accepted by mProfi")


async def test_reactions_a_reply_deleted_from_slack_shows_its_state_in_a_line(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, status_style="reactions")
    parent = await open_thread(ctx, slack)
    event = person_says(slack, parent, "Jednak usunę")
    await replies.handle_slack_message(ctx, event)
    slack.messages[(event["channel"], event["ts"])].deleted = True  # its author deleted it at once
    await run_jobs(ctx)

    assert len(sent_to(sim)) == 1  # a text message cannot be recalled
    [line] = lines_in(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: accepted by mProfi")


# ---- names on status lines, and the signature ----------------------------------------


async def test_a_status_line_names_the_contact_of_the_number(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    async with ctx.sessions() as session, session.begin():
        await contacts.set_name(session, NUMBER, "Anna <Kowalska>", by=ANNA)
    parent, _ = await a_sent_reply(ctx, sim, slack)

    line = status_line_named(slack, parent)
    assert line.text.startswith("SMS to Anna &lt;Kowalska&gt; (+48 600 100 200): accepted by mProfi")


def status_line_named(slack: SlackState, parent: SlackMessage) -> SlackMessage:
    [line] = lines_in(slack, parent)
    return line


async def test_the_signature_is_sent_counted_and_shown(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, sms_signature="— {first_name}, Sklep Kwiatek")
    parent, sent = await a_sent_reply(ctx, sim, slack)

    assert sent.text == "Dotrze jutro\n— Anna, Sklep Kwiatek"  # the emulated Anna Nowak's first name
    message = await the_reply(ctx)
    assert (message.text, message.typed_text) == (sent.text, "Dotrze jutro")
    line = status_line_named(slack, parent)
    context = str(line.blocks)
    assert f"{len(sent.text)} characters, 1 part, Unicode" in context  # the dash needs Unicode
    assert "The phone receives" in context and "Sklep Kwiatek" in context


async def test_the_signature_takes_the_full_name_and_counts_against_the_limit(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, sms_signature="{name}")
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "a" * 605))  # fits alone (612), not signed
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Krótko", user=PIOTR))
    await replies.handle_slack_message(ctx, person_says(slack, parent, "note: bez podpisu"))
    await run_jobs(ctx)

    assert [m.text for m in sent_to(sim)] == ["Krótko\nPiotr Kowalski"]
    too_long, signed, note = [m for m in await rows(ctx, Message) if m.direction == "out"]
    assert too_long.status == MessageStatus.FAILED and too_long.text.endswith("\nAnna Nowak")
    assert "612" in (too_long.status_detail or "")
    assert signed.status == MessageStatus.ACCEPTED
    assert note.text == "note: bez podpisu"


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("— {first_name}, {shop}", "SMS_SIGNATURE: it may use only {first_name} and {name}, not {shop}."),
        ("{name!r}", "SMS_SIGNATURE: it may use only {first_name} and {name}, not {name!r}."),
        ("— {name", "SMS_SIGNATURE: it has a { or } without its pair; write {{ or }} for the character itself."),
    ],
)
def test_a_signature_with_an_unknown_placeholder_is_refused_at_start(template: str, problem: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, sms_signature=template)
    assert str(refused.value) == problem
    assert load_settings(_env_file=None, sms_signature="— {first_name} ({name}), {{Kwiatek}}").sms_signature
