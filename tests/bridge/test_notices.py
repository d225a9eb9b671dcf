"""The bridge's own lines: a private word to one person, a notice in a thread, the 📝 on a note."""

from __future__ import annotations

from bot.bridge import notices, replies
from bot.bridge.context import Context
from bot.sandbox.slack import SlackState
from storage.kinds import JobKind, Lane
from storage.models import Message
from storage.queue import enqueue

from .queue import run_jobs, waiting_jobs
from .steps import ANNA, BRIDGE, bot_replies, open_thread, person_says, rows


async def test_a_private_word_reaches_only_its_person(ctx: Context, slack: SlackState) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Tylko dla Ciebie"}}]
    await notices.tell_privately(ctx, channel_id=BRIDGE, user_id=ANNA, text="Tylko dla Ciebie", blocks=blocks)
    await run_jobs(ctx)

    [told] = slack.ephemeral
    assert (told["channel"], told["user"], told["text"], told["blocks"]) == (BRIDGE, ANNA, "Tylko dla Ciebie", blocks)
    assert slack.messages == {}


async def test_the_same_key_twice_tells_once(ctx: Context, slack: SlackState) -> None:
    for _ in range(2):  # Slack delivering the same event again
        await notices.tell_privately(ctx, channel_id=BRIDGE, user_id=ANNA, text="Raz", once="Ev-1")
    await run_jobs(ctx)

    assert [t["text"] for t in slack.ephemeral] == ["Raz"]


async def test_someone_slack_cannot_show_it_to_is_skipped_not_retried(ctx: Context, slack: SlackState) -> None:
    await notices.tell_privately(ctx, channel_id=BRIDGE, user_id="U0GONE", text="Halo")
    assert await run_jobs(ctx) == 1

    assert slack.ephemeral == []
    assert await waiting_jobs(ctx) == []  # done: nothing to keep trying


async def test_a_notice_goes_into_the_conversation_thread_and_pings_nobody(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    [conversation_id] = {m.conversation_id for m in await rows(ctx, Message)}
    async with ctx.sessions() as session, session.begin():
        enqueue(
            session,
            kind=JobKind.NOTICE,
            lane=Lane.SLACK,
            conversation_id=conversation_id,
            payload={"text": "<!channel> plik *a.exe* odrzucony"},
        )
    await run_jobs(ctx)

    notice = bot_replies(slack, parent)[-1]
    assert notice.text == "&lt;!channel&gt; plik *a.exe* odrzucony"
    assert slack.pings_anywhere() == []


async def test_a_note_is_marked_once_however_often_the_marker_is_asked_for(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    event = person_says(slack, parent, "note: oddzwonić jutro")
    await replies.handle_slack_message(ctx, event)
    [note] = [m for m in await rows(ctx, Message) if m.kind == "note"]
    async with ctx.sessions() as session, session.begin():
        enqueue(session, kind=JobKind.REACT_NOTE, lane=Lane.SLACK, conversation_id=note.conversation_id, message_id=note.id)
    assert await run_jobs(ctx) == 2

    assert slack.messages[(event["channel"], event["ts"])].reactions == {"memo"}
    assert await waiting_jobs(ctx) == []  # Slack's already_reacted is not a failure
