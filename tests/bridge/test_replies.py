"""Slack → phone: a person's reply in a conversation thread goes out as SMS, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.bridge import replies
from bot.bridge.context import Context
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackMessage, SlackState
from bot.slack.blocks.conversation import RESEND_ACTION
from storage.kinds import MessageStatus
from storage.models import Message, OptOut, utcnow

from .queue import run_jobs, waiting_jobs
from .steps import ANNA, PIOTR, bot_replies, open_thread, person_says, rows, sent_to, text_in

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # a PNG's signature and header


def status_lines(slack: SlackState, parent: SlackMessage) -> list[SlackMessage]:
    """The status lines of replies to the number, in its thread."""
    return [m for m in bot_replies(slack, parent) if " to +48 600 100 200" in m.text]


async def outgoing(ctx: Context) -> list[Message]:
    """Outgoing rows: replies, notes, refusals."""
    return [m for m in await rows(ctx, Message) if m.direction == "out"]


async def test_a_reply_goes_out_once_however_often_slack_delivers_it(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    event = person_says(slack, parent, "Paczka wyszła wczoraj & dotrze jutro")  # Slack sends & as &amp;
    await replies.handle_slack_message(ctx, event, event_id="Ev1")
    await replies.handle_slack_message(ctx, event, event_id="Ev1")  # Slack's retry
    await replies.handle_slack_message(ctx, event, event_id="Ev2")  # the same message under another event id
    await run_jobs(ctx)

    [sent] = sent_to(sim)
    assert (sent.text, sent.encoding) == ("Paczka wyszła wczoraj & dotrze jutro", "utf-8")
    [message] = await outgoing(ctx)
    assert (message.status, message.mprofi_id, message.author) == (MessageStatus.ACCEPTED, sent.id, ANNA)
    assert sent.reference == message.reference
    [line] = status_lines(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: accepted by mProfi")


async def test_a_note_stays_in_the_team_and_is_marked(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    event = person_says(slack, parent, "Note: to ten klient od reklamacji")
    await replies.handle_slack_message(ctx, event)
    await run_jobs(ctx)

    assert sim.messages == {}
    assert slack.messages[(event["channel"], event["ts"])].reactions == {"memo"}
    assert status_lines(slack, parent) == []
    [note] = await outgoing(ctx)
    assert (note.kind, note.status) == ("note", MessageStatus.NOTE)


async def test_an_opted_out_number_is_refused_and_the_thread_says_why(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    await text_in(ctx, "STOP")
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Ale mamy promocję!"))
    await run_jobs(ctx)

    assert sim.messages == {}
    [line] = status_lines(slack, parent)
    assert line.text == (
        "SMS to +48 600 100 200: not sent — +48 600 100 200 texted STOP and is not sent to any more (until it texts START)."
    )
    [message] = await outgoing(ctx)
    assert message.status == MessageStatus.FAILED


async def test_a_person_not_allowed_to_send_is_refused_in_the_thread(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, allowed_users=frozenset({ANNA}))
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Dzień dobry", user=PIOTR))
    await run_jobs(ctx)

    assert sim.messages == {}
    [line] = status_lines(slack, parent)
    assert "you are not on the list of people who may send SMS" in line.text


async def test_a_text_too_long_for_an_sms_is_refused(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "a" * 1000))
    await run_jobs(ctx)

    assert sim.messages == {}
    [message] = await outgoing(ctx)
    assert message.status == MessageStatus.FAILED
    assert message.status_detail and "612" in message.status_detail


async def test_a_thread_of_a_sender_name_cannot_be_answered(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack, "ORANGE")
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Dziękujemy"))
    await run_jobs(ctx)

    assert sim.messages == {}
    [message] = await outgoing(ctx)
    assert message.status_detail == (
        "ORANGE is a sender name or short code, not a phone number: mProfi texts only numbers of 9 to 22 digits, so this reply was not sent."
    )


async def test_what_is_not_a_person_replying_in_a_conversation_is_ignored(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    reply = person_says(slack, parent, "Tekst")
    top_level = {**reply, "ts": slack.next_ts(), "thread_ts": None}
    from_a_bot = {**reply, "ts": slack.next_ts(), "bot_id": "B0OTHER"}
    foreign_thread = {**reply, "ts": slack.next_ts(), "thread_ts": "1700000000.000001"}
    joined = {**reply, "ts": slack.next_ts(), "subtype": "channel_join"}
    for event in (top_level, from_a_bot, foreign_thread, joined):
        await replies.handle_slack_message(ctx, event)
    await run_jobs(ctx)

    assert await outgoing(ctx) == []
    assert sim.messages == {}


@pytest.mark.parametrize(
    ("text", "rich"),
    [
        ("note: zadzwonię jutro", None),
        ("NOTATKA: klient od reklamacji", None),
        ("  Notatka:   wyślij kuriera", None),
        ("*Note:* bold as Slack's text keeps it", None),
        ("_*notatka*_: italic and bold", None),
        (None, [{"type": "text", "text": "Note:", "style": {"bold": True}}, {"type": "text", "text": " bold in rich text"}]),
    ],
)
async def test_a_note_is_recognised_in_any_case_in_polish_or_english_and_under_formatting(
    ctx: Context, sim: SimulatorState, slack: SlackState, text: str | None, rich: list[dict[str, Any]] | None
) -> None:
    parent = await open_thread(ctx, slack)
    event = person_says(slack, parent, text, rich=rich)
    await replies.handle_slack_message(ctx, event)
    await run_jobs(ctx)

    assert sim.messages == {}
    assert slack.messages[(event["channel"], event["ts"])].reactions == {"memo"}
    [note] = await outgoing(ctx)
    assert (note.kind, note.status) == ("note", MessageStatus.NOTE)


async def test_configured_note_prefixes_replace_the_default_and_an_empty_list_falls_back_to_note(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    parent = await open_thread(ctx, slack)
    ctx.config = replace(ctx.config, note_prefixes=("//", "wewn:"))
    for text in ("// do sprawdzenia", "WEWN: tylko dla nas"):
        await replies.handle_slack_message(ctx, person_says(slack, parent, text))
    ctx.config = replace(ctx.config, note_prefixes=())
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Note: still a note"))
    await run_jobs(ctx)

    assert sim.messages == {}
    assert [(m.kind, m.text) for m in await outgoing(ctx)] == [
        ("note", "// do sprawdzenia"),
        ("note", "WEWN: tylko dla nas"),
        ("note", "Note: still a note"),
    ]


@pytest.mark.parametrize(
    ("rich", "named"),
    [
        ([{"type": "user", "user_id": PIOTR}, {"type": "text", "text": " możesz oddzwonić?"}], "@Piotr Kowalski"),
        ([{"type": "text", "text": "kto przejmie? "}, {"type": "usergroup", "usergroup_id": "S0SUPPORT"}], "@wsparcie"),
        ([{"type": "broadcast", "range": "here"}, {"type": "text", "text": " pilne"}], "@here"),
    ],
)
async def test_a_reply_that_mentions_a_teammate_is_kept_as_a_note_and_its_author_hears_why_once(
    ctx: Context, sim: SimulatorState, slack: SlackState, rich: list[dict[str, Any]], named: str
) -> None:
    parent = await open_thread(ctx, slack)
    bot = slack.config.bot_user_id
    event = person_says(slack, parent, rich=rich)
    await replies.handle_slack_message(ctx, event, bot_user_id=bot)
    await replies.handle_slack_message(ctx, event, bot_user_id=bot)  # Slack's retry
    await run_jobs(ctx)

    assert sim.messages == {}
    assert slack.messages[(event["channel"], event["ts"])].reactions == {"memo"}
    assert status_lines(slack, parent) == []
    [note] = await outgoing(ctx)
    assert (note.kind, note.status, note.author) == ("note", MessageStatus.NOTE, ANNA)
    assert named in note.text
    [told] = slack.ephemeral
    assert told["user"] == ANNA and told["thread_ts"] == parent.ts
    assert told["text"] == f"Kept as a note because it mentions {named}; start with `sms:` to text it to the customer."


async def test_sms_prefix_sends_a_reply_that_mentions_a_teammate_without_the_prefix(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    parent = await open_thread(ctx, slack)
    bot = slack.config.bot_user_id
    rich = [{"type": "text", "text": "SMS: "}, {"type": "user", "user_id": PIOTR}, {"type": "text", "text": " oddzwoni do Pani jutro"}]
    await replies.handle_slack_message(ctx, person_says(slack, parent, rich=rich), bot_user_id=bot)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "*sms:* Dziękujemy"), bot_user_id=bot)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "sms:   "), bot_user_id=bot)  # nothing left to send
    await run_jobs(ctx)

    assert [m.text for m in sent_to(sim)] == ["Piotr Kowalski oddzwoni do Pani jutro", "Dziękujemy"]
    assert [(m.kind, m.status) for m in await outgoing(ctx)] == [("sms", MessageStatus.ACCEPTED)] * 2
    assert slack.ephemeral == []


async def test_a_mention_of_the_app_is_still_not_sent_even_with_the_sms_prefix(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    parent = await open_thread(ctx, slack)
    bot = slack.config.bot_user_id
    event = person_says(
        slack, parent, rich=[{"type": "text", "text": "sms: "}, {"type": "user", "user_id": bot}, {"type": "text", "text": " hej"}]
    )
    await replies.handle_slack_message(ctx, event, bot_user_id=bot)
    await run_jobs(ctx)

    assert sim.messages == {} and await outgoing(ctx) == []
    [told] = slack.ephemeral
    assert told["text"].startswith("This reply mentions @")


async def test_a_reply_that_mentions_the_app_is_not_sent_and_its_author_hears_why_once(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    parent = await open_thread(ctx, slack)
    bot = slack.config.bot_user_id
    event = person_says(slack, parent, rich=[{"type": "user", "user_id": bot}, {"type": "text", "text": " sprawdź ten numer"}])
    await replies.handle_slack_message(ctx, event, bot_user_id=bot)
    await replies.handle_slack_message(ctx, event, bot_user_id=bot)
    await run_jobs(ctx)

    assert sim.messages == {}
    [told] = slack.ephemeral
    assert told["user"] == ANNA
    assert told["text"].startswith("This reply mentions @")
    assert "so it was not sent to +48 600 100 200" in told["text"]


async def test_editing_a_sent_reply_tells_its_author_the_sms_cannot_change(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    original = person_says(slack, parent, "Do jutra")
    await replies.handle_slack_message(ctx, original)
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": original["channel"],
        "ts": slack.next_ts(),
        "message": {**original, "text": "Do pojutrza"},
        "previous_message": original,
    }
    await replies.handle_slack_message(ctx, edited, event_id="Ev-edit")
    await replies.handle_slack_message(ctx, edited, event_id="Ev-edit")  # Slack's retry tells nothing more
    await run_jobs(ctx)

    assert [m.text for m in sent_to(sim)] == ["Do jutra"]
    [told] = slack.ephemeral
    assert told["text"].startswith("Editing this reply does not change the SMS to +48 600 100 200")


async def test_a_shared_image_goes_out_as_mms(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    file = slack.share_file(ANNA, "paczka.png", PNG, "image/png")
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Zdjęcie paczki", files=[file]))
    await run_jobs(ctx)

    [sent] = sent_to(sim)
    assert (sent.kind, sent.text, sent.file_name, sent.file_size) == ("mms", "Zdjęcie paczki", "paczka.png", len(PNG))
    [line] = status_lines(slack, parent)
    assert line.text.startswith("MMS to +48 600 100 200: accepted by mProfi")


async def test_a_send_whose_answer_was_lost_is_not_sent_again_by_itself_but_once_on_request(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    parent = await open_thread(ctx, slack)
    sim.queue_fault("send", "500_after_accept")
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Czy dotarło?"))
    await run_jobs(ctx, now=utcnow() + timedelta(hours=1))

    assert len(sent_to(sim)) == 1  # it did leave; the bridge cannot know
    [message] = await outgoing(ctx)
    assert message.status == MessageStatus.UNCERTAIN
    [line] = status_lines(slack, parent)
    assert "may or may not have been sent" in line.text
    assert RESEND_ACTION in str(line.blocks)

    await replies.resend(ctx, message.id, ANNA)
    await replies.resend(ctx, message.id, ANNA)  # a double click
    await run_jobs(ctx)
    assert len(sent_to(sim)) == 2
    assert [m.status for m in await outgoing(ctx)] == [MessageStatus.UNCERTAIN, MessageStatus.ACCEPTED]


async def test_an_unreachable_mprofi_keeps_the_reply_queued_until_it_is_back(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    sim.queue_fault("send", "503")
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Halo"))
    await run_jobs(ctx)

    assert sent_to(sim) == []
    [message] = await outgoing(ctx)
    assert message.status == MessageStatus.QUEUED
    [retry] = await waiting_jobs(ctx)
    assert retry.kind == "send_outbound"

    await run_jobs(ctx, now=retry.run_after)
    assert [m.text for m in sent_to(sim)] == ["Halo"]
    [line] = status_lines(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: accepted by mProfi")


async def test_send_again_asks_the_same_questions_as_any_reply(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    """Sending again spends money: a number that texted STOP since, or a person not allowed, gets nothing."""
    parent = await open_thread(ctx, slack)
    sim.queue_fault("send", "500_after_accept")
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Czy dotarło?"))
    await run_jobs(ctx, now=utcnow() + timedelta(hours=1))
    [message] = await outgoing(ctx)

    ctx.config = replace(ctx.config, allowed_users=frozenset({PIOTR}))
    await replies.resend(ctx, message.id, ANNA)
    await run_jobs(ctx)
    assert len(sent_to(sim)) == 1
    assert "not on the list of people who may send SMS" in slack.ephemeral[-1]["text"]

    ctx.config = replace(ctx.config, allowed_users=frozenset())
    async with ctx.sessions() as session, session.begin():
        session.add(OptOut(phone=message.phone, word="STOP"))
    await replies.resend(ctx, message.id, ANNA)
    await run_jobs(ctx)
    assert len(sent_to(sim)) == 1
    assert slack.ephemeral[-1]["text"] == "+48 600 100 200 texted STOP and is not sent to any more (until it texts START)."
