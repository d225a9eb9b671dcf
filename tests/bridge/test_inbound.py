"""Phone → Slack: stored first, then posted to the number's one thread."""

from __future__ import annotations

import base64

from bot.bridge import inbound
from bot.bridge.context import Context
from bot.bridge.models import InboundImage, InboundSms
from bot.sandbox.slack import HANG_AFTER, SlackState
from bot.sms.numbers import sender_id
from storage.inbound import mark_answered
from storage.kinds import MessageStatus
from storage.models import Attachment, Conversation, Message, OptOut, utcnow

from .queue import run_jobs, waiting_jobs
from .steps import NUMBER, OTHER, bot_replies, rows, text_in, thread_of

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def texts_under(slack: SlackState, ctx: Context, phone: str = NUMBER) -> list[str]:
    """What the bridge posted in the number's thread, oldest first."""
    parent = thread_of(slack, ctx, phone)
    assert parent is not None
    return [m.text for m in bot_replies(slack, parent)]


async def test_an_sms_is_stored_before_slack_hears_of_it(ctx: Context, slack: SlackState) -> None:
    received = await text_in(ctx, "Czy zamówienie wyszło?")

    assert received.new and received.repeat_of is None
    [message] = await rows(ctx, Message)
    assert (message.id, message.status, message.text, message.direction) == (
        received.message_id,
        MessageStatus.RECEIVED,
        "Czy zamówienie wyszło?",
        "in",
    )
    job, card = await waiting_jobs(ctx)
    assert (job.kind, job.message_id) == ("post_inbound", message.id)
    assert (card.kind, card.conversation_id) == ("render_card", message.conversation_id)
    assert slack.messages == {}


async def test_the_first_sms_opens_a_thread_and_later_ones_join_it(ctx: Context, slack: SlackState) -> None:
    await text_in(ctx, "Dzień dobry")
    await run_jobs(ctx)
    await text_in(ctx, "Czy zamówienie 4471 już wyszło?")
    await run_jobs(ctx)

    assert [m.text for m in slack.top_level(ctx.config.channel_id)] == ["SMS conversation with +48 600 100 200"]
    assert texts_under(slack, ctx) == ["SMS from +48 600 100 200: Dzień dobry", "SMS from +48 600 100 200: Czy zamówienie 4471 już wyszło?"]
    [conversation] = await rows(ctx, Conversation)
    parent = thread_of(slack, ctx)
    assert parent is not None and conversation.thread_ts == parent.ts
    assert {m.status for m in await rows(ctx, Message)} == {MessageStatus.POSTED}


async def test_each_number_has_its_own_thread(ctx: Context, slack: SlackState) -> None:
    await text_in(ctx, "Od pierwszego")
    await text_in(ctx, "Od drugiego", sender=OTHER)
    await run_jobs(ctx)

    assert texts_under(slack, ctx, NUMBER) == ["SMS from +48 600 100 200: Od pierwszego"]
    assert texts_under(slack, ctx, OTHER) == ["SMS from +48 600 100 201: Od drugiego"]


async def test_the_same_text_again_is_kept_and_shown_as_a_repeat(ctx: Context, slack: SlackState) -> None:
    first = await text_in(ctx, "Halo?")
    again = await text_in(ctx, "Halo?")
    await run_jobs(ctx)

    assert again.repeat_of == first.message_id
    assert len(await rows(ctx, Message)) == 2  # never dropped
    assert texts_under(slack, ctx) == ["SMS from +48 600 100 200: Halo?", "Repeated SMS from +48 600 100 200: Halo?"]


async def test_the_same_text_after_an_answered_webhook_is_the_customers_own_and_shown_as_any_message(
    ctx: Context, slack: SlackState
) -> None:
    first = await text_in(ctx, "Tak")
    await mark_answered(ctx.sessions, [first.message_id], at=utcnow())  # the route does this once its 200 is out
    again = await text_in(ctx, "Tak")
    await run_jobs(ctx)

    assert again.repeat_of == first.message_id  # still known as the same text, and kept
    assert texts_under(slack, ctx) == ["SMS from +48 600 100 200: Tak", "SMS from +48 600 100 200: Tak"]
    parent = thread_of(slack, ctx)
    assert parent is not None
    shown = bot_replies(slack, parent)[1]
    assert "same text as" in str(shown.blocks) and "probably a repeat" not in str(shown.blocks)


async def test_texts_the_catch_up_fetched_each_have_their_own_id_and_are_never_called_a_re_send(ctx: Context, slack: SlackState) -> None:
    listed = [
        InboundSms(sender=sender_id(NUMBER), recipient="48664400100", text="Tak", via="getincoming", external_id=str(i)) for i in (1, 2)
    ]
    [first] = await inbound.receive_many(ctx, listed[:1])
    [again] = await inbound.receive_many(ctx, listed[1:])
    await run_jobs(ctx)

    assert again.repeat_of == first.message_id
    assert texts_under(slack, ctx) == ["SMS from +48 600 100 200: Tak", "SMS from +48 600 100 200: Tak"]
    assert len(await rows(ctx, Message)) == 2


async def test_a_batch_of_webhooks_is_stored_together(ctx: Context, slack: SlackState) -> None:
    batch = [
        InboundSms(sender=sender_id(NUMBER), recipient="48664400100", text="Raz", via="standard"),
        InboundSms(sender=sender_id(NUMBER), recipient="48664400100", text="Raz", via="standard"),
        InboundSms(sender=sender_id(OTHER), recipient="48664400100", text="Dwa", via="standard"),
    ]
    first, repeat, other = await inbound.receive_many(ctx, batch)

    assert first.conversation_id == repeat.conversation_id != other.conversation_id
    assert repeat.repeat_of == first.message_id  # the same text twice in one commit
    assert len(await rows(ctx, Conversation)) == 2
    await run_jobs(ctx)
    assert len(slack.top_level(ctx.config.channel_id)) == 2
    # Both came while neither had its answer: no re-send of mProfi's, the customer's own.
    assert texts_under(slack, ctx) == ["SMS from +48 600 100 200: Raz", "SMS from +48 600 100 200: Raz"]


async def test_stop_opts_the_number_out_and_says_so_in_the_thread(ctx: Context, slack: SlackState) -> None:
    await text_in(ctx, "stop!")
    await run_jobs(ctx)

    [opt_out] = await rows(ctx, OptOut)
    assert (opt_out.phone, opt_out.word) == (NUMBER, "STOP")
    assert texts_under(slack, ctx) == [
        "SMS from +48 600 100 200: stop!",
        "+48 600 100 200 texted STOP: no SMS will be sent to this number until it texts START.",
    ]


async def test_start_opts_it_back_in_and_a_second_start_says_nothing(ctx: Context, slack: SlackState) -> None:
    await text_in(ctx, "STOP")
    await text_in(ctx, "START")
    await text_in(ctx, "Start")
    await run_jobs(ctx)

    assert await rows(ctx, OptOut) == []
    notices = [t for t in texts_under(slack, ctx) if "texted" in t]
    assert notices[-1] == "+48 600 100 200 texted START: this number can be texted again."
    assert len(notices) == 2


async def test_an_mms_brings_its_images_into_the_thread(ctx: Context, slack: SlackState) -> None:
    mms = InboundSms(
        sender=sender_id(NUMBER),
        recipient="48664400100",
        text="Zdjęcie paczki",
        via="mms",
        images=(InboundImage("image1.png", "image/png", PNG),),
        left_out=("notes.txt is not a JPEG or PNG image",),
    )
    await inbound.receive_many(ctx, [mms])
    await run_jobs(ctx)

    assert texts_under(slack, ctx) == [
        "MMS from +48 600 100 200: Zdjęcie paczki",
        "",  # the image, shared as a file
        "Part of this MMS from +48 600 100 200 was left out — notes.txt is not a JPEG or PNG image.",
    ]
    [shared] = [f for f in slack.files.values() if f.channel == ctx.config.channel_id]
    assert shared.content == PNG
    [attachment] = await rows(ctx, Attachment)
    assert attachment.slack_file_id == shared.id


async def test_a_sender_name_gets_a_thread_that_says_nobody_can_answer(ctx: Context, slack: SlackState) -> None:
    await text_in(ctx, "Twoja faktura jest gotowa", sender="ORANGE")
    await run_jobs(ctx)

    parent = thread_of(slack, ctx, "ORANGE")
    assert parent is not None
    assert "nobody can text it back" in str(parent.blocks)
    assert texts_under(slack, ctx, "ORANGE") == ["SMS from ORANGE: Twoja faktura jest gotowa"]


async def test_a_post_whose_answer_was_lost_is_found_not_made_twice(ctx: Context, slack: SlackState) -> None:
    slack.fail("chat.postMessage", HANG_AFTER, retry_after=0)  # the thread's parent is posted; the answer is a 500
    await text_in(ctx)
    await run_jobs(ctx)
    job, card = await waiting_jobs(ctx)  # the card's redraw waits behind the post
    assert job.last_error and "500" in job.last_error and card.kind == "render_card"

    await run_jobs(ctx, now=job.run_after)
    assert len(slack.top_level(ctx.config.channel_id)) == 1
    assert texts_under(slack, ctx) == ["SMS from +48 600 100 200: Dzień dobry"]
