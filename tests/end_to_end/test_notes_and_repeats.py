"""Safe replying and honest repeats, over real HTTP.

A reply that speaks to the team (a note prefix, a teammate's mention) never reaches the
phone, and its author learns why; ``sms:`` sends it anyway. An inbound text equal to one
we already answered with a 2xx is the customer's own and shown as any message; only one
whose earlier copy never got its answer is called a probable repeat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from storage import make_engine, make_sessionmaker
from storage.models import Message
from tests.support import NUMBER, StackFactory, open_thread, outgoing, stored

TAK = {"sender": NUMBER, "recipient": "48664400100", "message": "Tak"}


@pytest.fixture
async def stack(make_stack: StackFactory) -> AsyncIterator[SandboxStack]:
    async with make_stack(settings={"send_delay_seconds": 0}) as running:  # a reply goes at once: no undo window to wait out
        yield running


# ---- notes and mentions ----------------------------------------------------------------


async def says(stack: SandboxStack, parent: SlackMessage, rich: list[dict[str, Any]]) -> SlackMessage:
    """A person composes a reply with mentions in the thread (Slack delivers its event to the app)."""
    message, _, response = await stack.slack.user_says(parent.channel, "U0ANNA", thread_ts=parent.ts, rich=rich)
    response.raise_for_status()
    return message


async def test_a_reply_mentioning_a_teammate_stays_in_the_team_and_its_author_hears_why(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    reply = await says(stack, parent, [{"type": "user", "user_id": "U0PIOTR"}, {"type": "text", "text": " oddzwonisz do klienta?"}])
    await stack.until(lambda: "memo" in reply.reactions, what="the note marker")
    told = await stack.until(lambda: stack.slack.ephemeral, what="the private word")
    await stack.drain()

    assert stack.sent_to(NUMBER) == []
    [note] = await outgoing(stack)
    assert note.kind == "note"
    assert [t["text"] for t in told] == [
        "Kept as a note because it mentions @Piotr Kowalski; start with `sms:` to text it to the customer."
    ]
    assert told[0]["user"] == "U0ANNA"


async def test_the_sms_prefix_sends_it_anyway_without_the_prefix(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await says(
        stack,
        parent,
        [{"type": "text", "text": "sms: "}, {"type": "user", "user_id": "U0PIOTR"}, {"type": "text", "text": " zadzwoni jutro"}],
    )
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    await stack.drain()

    assert [m.text for m in sent] == ["Piotr Kowalski zadzwoni jutro"]
    assert stack.slack.ephemeral == []


async def test_a_polish_note_prefix_in_capitals_stays_in_the_team(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    note = await stack.person_replies(parent, "  NOTATKA: klient prosi o fakturę")
    await stack.until(lambda: "memo" in note.reactions, what="the note marker")
    await stack.drain()
    assert stack.sent_to(NUMBER) == []


async def test_an_empty_note_prefixes_setting_still_keeps_note_as_a_note(make_stack: StackFactory) -> None:
    async with make_stack(settings={"note_prefixes": "", "send_delay_seconds": 0}) as stack:
        parent = await open_thread(stack)
        note = await stack.person_replies(parent, "Note: nic nie wysyłaj")
        await stack.until(lambda: "memo" in note.reactions, what="the note marker")
        await stack.drain()
        assert stack.sent_to(NUMBER) == []


# ---- honest repeats ----------------------------------------------------------------------


async def webhook(stack: SandboxStack, body: dict[str, str]) -> dict[str, Any]:
    """mProfi calls the Message Webhook; its JSON answer."""
    response = await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers={"Authorization": WEBHOOK_TOKEN})
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


async def answered(stack: SandboxStack, message_id: int) -> bool:
    """The app recorded that its 2xx for this message's webhook went out."""
    return bool(await stored(stack, select(Message.id).where(Message.id == message_id, Message.answered_at.is_not(None))))


async def two_messages(stack: SandboxStack) -> list[SlackMessage]:
    parent = await stack.until(lambda: stack.thread_of("600 100 200"), what="the thread")
    shown: list[SlackMessage] = await stack.until(lambda: len(stack.replies(parent)) == 2 and stack.replies(parent), what="both")
    await stack.drain()
    assert len(stack.slack.top_level(stack.channel)) == 1
    return shown


async def test_the_same_text_after_a_webhook_we_answered_is_an_ordinary_message_with_a_quiet_note(stack: SandboxStack) -> None:
    first = await webhook(stack, TAK)
    await stack.until(lambda: answered(stack, first["message_id"]), what="the answer recorded")
    again = await webhook(stack, TAK)  # the customer texted "Tak" twice

    assert (first["repeat"], again["repeat"]) == (False, True)
    _, second = await two_messages(stack)
    assert second.text == "SMS from +48 600 100 200: Tak"
    assert "same text as" in str(second.blocks)
    assert "probably a repeat" not in str(second.blocks)
    assert await answered(stack, again["message_id"])


async def test_a_webhook_whose_answer_never_reached_mprofi_comes_again_as_a_probable_repeat(stack: SandboxStack) -> None:
    first = await webhook(stack, TAK)
    await stack.until(lambda: answered(stack, first["message_id"]), what="the answer recorded")
    # As when the bridge stopped between storing the message and answering: stored, never answered.
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(update(Message).where(Message.id == first["message_id"]).values(answered_at=None))
    finally:
        await engine.dispose()
    again = await webhook(stack, TAK)  # mProfi delivers it again

    assert again["repeat"] is True
    _, second = await two_messages(stack)
    assert second.text.startswith("Repeated SMS from +48 600 100 200")
    assert "probably a repeat" in str(second.blocks)
    assert len(await stored(stack, select(Message.id).where(Message.direction == "in"))) == 2  # kept, never dropped
