"""Conversations a team runs: the card, its buttons, follow-ups, reminders and reply context.

Each test drives the bridge's feature functions on a real Context (SQLite, the Slack
emulator on loopback, the mProfi simulator) and reads the card as Slack holds it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.bridge import conversations, reminders, sms
from bot.bridge.context import Context
from bot.bridge.replies import handle_slack_message
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackMessage, SlackState
from storage.kinds import ConversationState, MessageStatus
from storage.models import Contact, Conversation, Message, OptOut, utcnow

from .queue import run_jobs, waiting_jobs
from .steps import ANNA, NUMBER, OTHER, PIOTR, mprofi_calls, open_thread, person_says, rows, sent_to, sms_request, text_in, thread_of


def texts(blocks: Any) -> list[str]:
    """Every text in a message's blocks, in order (buttons' labels too)."""
    found: list[str] = []
    if isinstance(blocks, dict):
        for key, value in blocks.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(texts(value))
    elif isinstance(blocks, list):
        for item in blocks:
            found.extend(texts(item))
    return found


def card_of(slack: SlackState, parent: SlackMessage) -> str:
    return "\n".join(texts(slack.messages[(parent.channel, parent.ts)].blocks))


def actions(slack: SlackState, parent: SlackMessage) -> dict[str, dict[str, Any]]:
    """The card's interactive elements by action id."""
    blocks = slack.messages[(parent.channel, parent.ts)].blocks or []
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


async def conversation(ctx: Context) -> Conversation:
    [found] = await rows(ctx, Conversation)
    return found


async def test_a_new_number_opens_its_thread_under_a_card_that_follows_the_conversation(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    card = card_of(slack, parent)
    assert "📱 +48 600 100 200" in card and "*New*" in card and "_nobody yet_" in card and "1 message" in card
    assert "Last in" in card and "Dzień dobry" in card and "May be texted" in card
    assert {"card_assign_me", "card_assign", "card_close", "card_snooze", "card_name", "card_check_number", "card_opt_out"} <= set(
        actions(slack, parent)
    )

    await handle_slack_message(ctx, person_says(slack, parent, "Zaraz sprawdzę", user=PIOTR))
    await run_jobs(ctx)
    card = card_of(slack, parent)
    assert "*Waiting for the customer*" in card and f"<@{PIOTR}>" in card and "2 messages" in card
    assert "Last out" in card and "Zaraz sprawdzę" in card
    assert (await conversation(ctx)).owner == PIOTR  # whoever answers first owns it
    assert slack.messages[(parent.channel, parent.ts)].edits >= 1


async def test_an_answer_to_us_is_shown_in_the_channel_and_mentions_the_owner(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    await handle_slack_message(ctx, person_says(slack, parent, "Paczka wyszła", user=PIOTR))
    await run_jobs(ctx)

    await text_in(ctx, "Dziękuję!")
    await run_jobs(ctx)
    [posted] = [m for m in slack.thread(parent.channel, parent.ts) if m.bot_id and "Dziękuję!" in m.text]
    assert [c.params.get("reply_broadcast") for c in slack.calls_to("chat.postMessage") if "Dziękuję!" in str(c.params.get("text"))] == [
        True
    ]
    assert "The customer answered" in "\n".join(texts(posted.blocks)) and any(p.id == PIOTR for p in posted.pings)
    assert (await conversation(ctx)).state == ConversationState.WAITING_US

    await text_in(ctx, "A jeszcze jedno")  # still waiting for us: an ordinary message in the thread
    await run_jobs(ctx)
    assert [c.params.get("reply_broadcast") for c in slack.calls_to("chat.postMessage") if "jeszcze" in str(c.params.get("text"))] == [None]


async def test_a_closed_conversation_reopens_on_a_new_sms(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    [row] = await rows(ctx, Conversation)
    await conversations.close_conversation(ctx, row.id, user_id=ANNA)
    await run_jobs(ctx)
    card = card_of(slack, parent)
    assert "*Closed*" in card and f"by <@{ANNA}>" in card and "card_reopen" in actions(slack, parent)

    await conversations.close_conversation(ctx, row.id, user_id=PIOTR)  # a second Close: told, nothing changes
    await run_jobs(ctx)
    assert [e["text"] for e in slack.ephemeral if e["user"] == PIOTR] == [f"<@{ANNA}> closed this conversation a moment ago."]

    await text_in(ctx, "Jednak mam pytanie")
    await run_jobs(ctx)
    assert (await conversation(ctx)).state == ConversationState.WAITING_US
    assert "*Waiting for us*" in card_of(slack, parent)
    [call] = [c for c in slack.calls_to("chat.postMessage") if "Jednak" in str(c.params.get("text"))]
    assert call.params.get("reply_broadcast") is True and "closed conversation" in str(call.params.get("blocks"))


async def test_reopen_puts_it_back_to_whoever_is_owed_an_answer(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    row = await conversation(ctx)
    await conversations.close_conversation(ctx, row.id, user_id=ANNA)
    await conversations.reopen_conversation(ctx, row.id, user_id=ANNA)
    await run_jobs(ctx)
    assert (await conversation(ctx)).state == ConversationState.WAITING_US
    assert "*Waiting for us*" in card_of(slack, parent)


async def test_two_people_assigning_at_once_give_one_owner_and_the_other_is_told(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    row = await conversation(ctx)
    # Both pressed "Assign to me" on a card showing nobody.
    await conversations.assign_conversation(ctx, row.id, user_id=ANNA, owner=ANNA, seen=None)
    await conversations.assign_conversation(ctx, row.id, user_id=PIOTR, owner=PIOTR, seen=None)
    await run_jobs(ctx)
    assert (await conversation(ctx)).owner == ANNA
    assert f"<@{ANNA}>" in card_of(slack, parent)
    [told] = [e["text"] for e in slack.ephemeral if e["user"] == PIOTR]
    assert f"it is <@{ANNA}> now" in told

    # Anna hands it to Piotr with the picker: Piotr is mentioned in the thread, nobody else.
    await conversations.assign_conversation(ctx, row.id, user_id=ANNA, owner=PIOTR, seen=ANNA)
    await run_jobs(ctx)
    assert (await conversation(ctx)).owner == PIOTR
    [handover] = [m for m in slack.thread(parent.channel, parent.ts) if "now handled by" in m.text]
    assert {p.id for p in handover.pings} == {PIOTR}


async def test_a_snooze_ends_with_a_reminder_that_mentions_the_owner_once(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    row = await conversation(ctx)
    await conversations.assign_conversation(ctx, row.id, user_id=ANNA, owner=ANNA, seen=None)
    until = utcnow() + timedelta(hours=2)
    await conversations.snooze_conversation(ctx, row.id, user_id=ANNA, until=until)
    await run_jobs(ctx)
    assert "Snoozed until" in card_of(slack, parent) and "Wake it now" in str(actions(slack, parent)["card_snooze"])

    assert await reminders.remind_due(ctx, now=until - timedelta(minutes=1)) == 0
    assert await reminders.remind_due(ctx, now=until + timedelta(seconds=1)) == 1
    assert await reminders.remind_due(ctx, now=until + timedelta(seconds=2)) == 0  # once
    await run_jobs(ctx)
    [reminder] = [m for m in slack.thread(parent.channel, parent.ts) if "Snooze ended" in m.text]
    assert {p.id for p in reminder.pings} == {ANNA}
    assert "Snoozed" not in card_of(slack, parent)


async def test_a_snooze_in_the_past_is_refused_with_a_sentence(ctx: Context, slack: SlackState) -> None:
    await open_thread(ctx, slack)
    row = await conversation(ctx)
    await conversations.snooze_conversation(ctx, row.id, user_id=ANNA, until=utcnow() - timedelta(minutes=1))
    await run_jobs(ctx)
    assert (await conversation(ctx)).snoozed_until is None
    assert [e["text"] for e in slack.ephemeral] == ["That time has passed already; pick a time in the future to snooze."]


async def test_an_sms_ends_a_snooze_early_and_is_shown_in_the_channel(ctx: Context, slack: SlackState) -> None:
    await open_thread(ctx, slack)
    row = await conversation(ctx)
    await conversations.snooze_conversation(ctx, row.id, user_id=ANNA, until=utcnow() + timedelta(days=1))
    await text_in(ctx, "Halo?")
    await run_jobs(ctx)
    assert (await conversation(ctx)).snoozed_until is None
    [call] = [c for c in slack.calls_to("chat.postMessage") if "Halo?" in str(c.params.get("text"))]
    assert call.params.get("reply_broadcast") is True and "snooze has ended" in str(call.params.get("blocks"))


async def test_a_customer_waiting_too_long_gets_one_reminder_counted_in_working_hours(ctx: Context, slack: SlackState) -> None:
    ctx.config = dataclasses.replace(ctx.config, waiting_reminder_minutes=30, working_hours="always")
    parent = await open_thread(ctx, slack)
    since = (await conversation(ctx)).waiting_since
    assert since is not None
    assert await reminders.remind_due(ctx, now=since + timedelta(minutes=29)) == 0
    assert await reminders.remind_due(ctx, now=since + timedelta(minutes=31)) == 1
    assert await reminders.remind_due(ctx, now=since + timedelta(minutes=90)) == 0
    await run_jobs(ctx)
    [reminder] = [m for m in slack.thread(parent.channel, parent.ts) if "waiting for an answer" in m.text]
    assert "Nobody owns it yet" in reminder.text
    [call] = [c for c in slack.calls_to("chat.postMessage") if "waiting for an answer" in str(c.params.get("text"))]
    assert call.params.get("reply_broadcast") is True  # nobody to mention: the channel sees it

    # Outside working hours the clock stops: a wait that began at night is not yet due.
    ctx.config = dataclasses.replace(ctx.config, working_hours="Mon-Fri 08:00-17:00")
    await text_in(ctx, "Jeszcze raz", sender=OTHER)
    async with ctx.sessions() as session, session.begin():  # it wrote on Saturday 23:00 Warsaw time
        saturday = utcnow().replace(year=2026, month=11, day=28, hour=22, minute=0, second=0, microsecond=0)
        await session.execute(update(Conversation).where(Conversation.phone == OTHER).values(waiting_since=saturday))
    assert await reminders.remind_due(ctx, now=saturday + timedelta(hours=33)) == 0  # Monday 08:00
    assert await reminders.remind_due(ctx, now=saturday + timedelta(hours=33, minutes=31)) == 1


async def test_the_card_the_thread_and_the_reminder_tell_times_in_default_timezone(ctx: Context, slack: SlackState) -> None:
    ctx.config = dataclasses.replace(ctx.config, default_timezone="America/New_York", waiting_reminder_minutes=30, working_hours="always")
    parent = await open_thread(ctx, slack)
    since = (await conversation(ctx)).waiting_since
    [inbound] = await rows(ctx, Message)
    assert since is not None and inbound.status_at is not None
    new_york, warsaw = ZoneInfo("America/New_York"), ZoneInfo("Europe/Warsaw")

    card = card_of(slack, parent)
    assert f"<!date^{int(since.timestamp())}^{{time}}|{since.astimezone(new_york):%d.%m.%Y %H:%M}>" in card
    assert f"{since.astimezone(warsaw):%d.%m.%Y %H:%M}" not in card
    [shown] = [m for m in slack.thread(parent.channel, parent.ts) if m.ts != parent.ts and "Dzień dobry" in m.text]
    assert f"· {inbound.status_at.astimezone(new_york):%H:%M}" in str(shown.blocks)

    assert await reminders.remind_due(ctx, now=since + timedelta(minutes=31)) == 1
    await run_jobs(ctx)
    [reminder] = [m for m in slack.thread(parent.channel, parent.ts) if "waiting for an answer" in m.text]
    assert f"since {since.astimezone(new_york):%H:%M}." in reminder.text


async def test_a_name_given_on_the_card_shows_on_it_and_is_the_numbers_contact(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    row = await conversation(ctx)
    await conversations.name_contact(ctx, row.id, user_id=ANNA, name="Anna Kowalska <!channel>")
    await run_jobs(ctx)
    assert "📱 Anna Kowalska <!channel> · +48 600 100 200" in card_of(slack, parent)  # a plain-text header: nothing pings
    [contact] = await rows(ctx, Contact)
    assert (contact.phone, contact.name, contact.updated_by) == (NUMBER, "Anna Kowalska <!channel>", ANNA)
    assert not slack.pings_anywhere()


async def test_opting_out_from_the_card_is_recorded_with_who_and_stops_replies(
    ctx: Context, slack: SlackState, sim: SimulatorState
) -> None:
    parent = await open_thread(ctx, slack)
    row = await conversation(ctx)
    await conversations.set_opt_out(ctx, row.id, user_id=ANNA, out=True)
    await run_jobs(ctx)
    [opt_out] = await rows(ctx, OptOut)
    assert (opt_out.phone, opt_out.by) == (NUMBER, ANNA)
    card = card_of(slack, parent)
    assert "*Opted out*" in card and f"by <@{ANNA}>" in card and "card_opt_in" in actions(slack, parent)

    await handle_slack_message(ctx, person_says(slack, parent, "Czy jest Pan?"))
    await run_jobs(ctx)
    assert sent_to(sim, NUMBER) == []
    [reply] = [m for m in await rows(ctx, Message) if m.direction == "out"]
    assert reply.status == MessageStatus.FAILED

    await conversations.set_opt_out(ctx, row.id, user_id=PIOTR, out=False)  # no reason: nothing changes
    await run_jobs(ctx)
    assert len(await rows(ctx, OptOut)) == 1
    assert slack.ephemeral[-1]["text"].startswith("Say why +48 600 100 200 may be texted again")

    await conversations.set_opt_out(ctx, row.id, user_id=PIOTR, out=False, reason="poprosiła telefonicznie")
    await run_jobs(ctx)
    assert await rows(ctx, OptOut) == [] and "May be texted" in card_of(slack, parent)
    assert any("opted back in (“poprosiła telefonicznie”)" in m.text for m in slack.thread(parent.channel, parent.ts))


async def test_check_number_puts_the_network_on_the_card(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    parent = await open_thread(ctx, slack)
    row = await conversation(ctx)
    await conversations.check_number(ctx, row.id, user_id=ANNA)
    await conversations.check_number(ctx, row.id, user_id=PIOTR)  # a double click, or two people at once: one paid look-up
    await run_jobs(ctx)
    assert mprofi_calls(sim, "hlr/single") == 1
    card = card_of(slack, parent)
    assert "Number check:" in card and ", active" in card
    assert any("HLR" in m.text or "valid" in m.text for m in slack.thread(parent.channel, parent.ts) if m.ts != parent.ts)


async def test_a_thread_opened_by_an_answer_to_a_broadcast_starts_with_what_it_answers(ctx: Context, slack: SlackState) -> None:
    await sms.start_sms(ctx, sms_request(NUMBER, OTHER, text="Zapraszamy w sobotę!", trigger="t-broadcast"))
    await run_jobs(ctx)
    await text_in(ctx, "Będę", sender=OTHER)
    await run_jobs(ctx)
    parent = thread_of(slack, ctx, OTHER)
    assert parent is not None
    first = next(m for m in slack.thread(parent.channel, parent.ts) if m.ts != parent.ts)
    assert "In reply to: “Zapraszamy w sobotę!”, sent with /sms on" in first.text and first.text.endswith(" by @anna.")
    assert not first.pings  # named, not mentioned: a broadcast's answers would ping its sender once each


async def test_an_old_thread_parent_becomes_a_card_the_first_time_its_conversation_changes(ctx: Context, slack: SlackState) -> None:
    old = await ctx.slack.chat_postMessage(channel=ctx.config.channel_id, text="SMS conversation with +48 600 100 200")
    async with ctx.sessions() as session, session.begin():
        session.add(
            Conversation(channel_id=ctx.config.channel_id, phone=NUMBER, thread_ts=str(old["ts"]), state="new", created_at=utcnow())
        )
    await text_in(ctx, "Wróciłem")
    await run_jobs(ctx)
    upgraded = slack.messages[(ctx.config.channel_id, str(old["ts"]))]
    assert upgraded.blocks and "card_close" in str(upgraded.blocks)


async def test_a_card_someone_deleted_is_not_drawn_again(ctx: Context, slack: SlackState, caplog: pytest.LogCaptureFixture) -> None:
    parent = await open_thread(ctx, slack)
    await ctx.slack.chat_delete(channel=parent.channel, ts=parent.ts)
    row = await conversation(ctx)
    await conversations.close_conversation(ctx, row.id, user_id=ANNA)
    await run_jobs(ctx)
    assert (await conversation(ctx)).state == ConversationState.CLOSED  # the change is kept; Slack has no card to update
    assert "is gone from Slack (message_not_found)" in caplog.text  # it was tried, and Slack said the card is gone
    assert await waiting_jobs(ctx) == []  # and the redraw did not stay behind, retrying for ever


def test_snooze_choices_end_at_nine_in_the_persons_own_time_zone() -> None:
    warsaw, new_york = ZoneInfo("Europe/Warsaw"), ZoneInfo("America/New_York")
    sunday_night = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # 23:30 on Sunday in Warsaw
    assert conversations.snooze_time("tomorrow", sunday_night, warsaw) == datetime(2026, 11, 30, 9, 0, tzinfo=warsaw)
    assert conversations.snooze_time("monday", sunday_night, warsaw) == datetime(2026, 11, 30, 9, 0, tzinfo=warsaw)
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert conversations.snooze_time("monday", monday, warsaw) == datetime(2026, 12, 7, 9, 0, tzinfo=warsaw)  # next week's
    assert conversations.snooze_time("tomorrow", sunday_night, new_york) == datetime(2026, 11, 30, 9, 0, tzinfo=new_york)
    assert conversations.snooze_time("pick", monday, warsaw) is None


async def test_a_reply_mprofi_refused_leaves_the_conversation_waiting_for_us(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    ctx.config = dataclasses.replace(ctx.config, waiting_reminder_minutes=30, working_hours="always")
    parent = await open_thread(ctx, slack)
    since = (await conversation(ctx)).waiting_since
    sim.queue_fault("send", "400")
    await handle_slack_message(ctx, person_says(slack, parent, "Odpowiedź, która nie wyjdzie"))
    await run_jobs(ctx)
    row = await conversation(ctx)
    assert (row.state, row.waiting_since) == (ConversationState.NEW, since)  # nothing went: still owed a first answer
    assert "*New*" in card_of(slack, parent) and "(not sent)" in card_of(slack, parent)
    assert since is not None and await reminders.remind_due(ctx, now=since + timedelta(minutes=31)) == 1


async def test_stop_and_sender_names_neither_wait_for_us_nor_follow_up(ctx: Context, slack: SlackState) -> None:
    ctx.config = dataclasses.replace(ctx.config, waiting_reminder_minutes=30, working_hours="always")
    parent = await open_thread(ctx, slack)
    await handle_slack_message(ctx, person_says(slack, parent, "Zapraszamy!"))
    await run_jobs(ctx)
    await text_in(ctx, "STOP")
    await text_in(ctx, "Twój kod: 1234", sender="ORANGE")
    await run_jobs(ctx)
    assert {c.phone: c.state for c in await rows(ctx, Conversation)} == {NUMBER: ConversationState.WAITING_CUSTOMER, "ORANGE": "new"}
    assert not [c for c in slack.calls_to("chat.postMessage") if c.params.get("reply_broadcast")]
    assert await reminders.remind_due(ctx, now=utcnow() + timedelta(hours=5)) == 0


async def test_a_snooze_that_ends_on_a_waiting_conversation_reminds_once_not_twice(ctx: Context, slack: SlackState) -> None:
    ctx.config = dataclasses.replace(ctx.config, waiting_reminder_minutes=30, working_hours="always")
    await open_thread(ctx, slack)
    row = await conversation(ctx)
    until = utcnow() + timedelta(hours=3)  # longer than the 30 minutes a wait may last unreminded
    await conversations.snooze_conversation(ctx, row.id, user_id=ANNA, until=until)
    assert await reminders.remind_due(ctx, now=until + timedelta(seconds=1)) == 1
    assert await reminders.remind_due(ctx, now=until + timedelta(minutes=5)) == 0
