"""The undo window, reactions as status and the signature, over real HTTP: signed events
and clicks → app → mProfi simulator, and what the Slack emulator shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import SandboxStack
from storage import make_engine, make_sessionmaker
from storage.kinds import JobKind, MessageStatus
from storage.models import Job, utcnow
from tests.support import NUMBER, StackFactory, click, open_thread, outgoing

WINDOW = 300.0  # long enough that only the test ends it (see window_ends): no race with the clock
REACTIONS = {"send_delay_seconds": WINDOW, "status_style": "reactions"}


async def window_ends(stack: SandboxStack) -> None:
    """The clock reaches the end of every open undo window: the sends fall due now."""
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(update(Job).where(Job.kind == JobKind.SEND_REPLY, Job.done_at.is_(None)).values(run_after=utcnow()))
    finally:
        await engine.dispose()


def line_with_cancel(stack: SandboxStack, parent: SlackMessage) -> tuple[SlackMessage, dict[str, Any]] | None:
    """The bot's line under ``parent`` that offers Cancel, and that button."""
    for message in stack.replies(parent):
        if not message.bot_id:
            continue
        for block in message.blocks or []:
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("action_id") == "cancel_send_sms":
                    return message, element
    return None


def bot_lines(stack: SandboxStack, parent: SlackMessage) -> list[SlackMessage]:
    return [m for m in stack.replies(parent) if m.bot_id and m.text.startswith("SMS to ")]


def reactions(stack: SandboxStack, reply: SlackMessage) -> set[str]:
    return set(stack.slack.messages[(reply.channel, reply.ts)].reactions)


async def test_cancel_in_the_undo_window_sends_nothing_and_the_reply_shows_it(make_stack: StackFactory) -> None:
    async with make_stack(settings=REACTIONS) as stack:
        parent = await open_thread(stack)
        reply = await stack.person_replies(parent, "Pomyłka, nie wysyłać")
        line, cancel = await stack.until(lambda: line_with_cancel(stack, parent), what="the line with Cancel")
        assert line.text.startswith("SMS to +48 600 100 200: sending in ")
        assert reactions(stack, reply) == {"hourglass_flowing_sand"}

        response = await click(stack, line, cancel)
        assert response.status_code == 200
        await stack.until(lambda: reactions(stack, reply) == {"no_entry_sign"}, what="the cancelled reaction")
        await stack.until(lambda: not bot_lines(stack, parent), what="the line gone")

        await window_ends(stack)
        await stack.drain()
        assert stack.sent_to(NUMBER) == []
        assert [m.status for m in await outgoing(stack)] == [MessageStatus.CANCELLED]
        assert stack.slack.ephemeral == []


async def test_a_reply_that_goes_wears_its_state_and_its_line_goes(make_stack: StackFactory) -> None:
    async with make_stack(settings=REACTIONS) as stack:
        parent = await open_thread(stack)
        reply = await stack.person_replies(parent, "Paczka wyszła")
        await stack.until(lambda: line_with_cancel(stack, parent), what="the line with Cancel")

        await window_ends(stack)
        [sent] = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        await stack.until(lambda: reactions(stack, reply) == {"incoming_envelope"}, what="accepted")
        await stack.until(lambda: not bot_lines(stack, parent), what="the line gone")
        stack.sim.set_status(sent.id, "delivered")
        await stack.until(lambda: reactions(stack, reply) == {"white_check_mark"}, what="delivered")
        await stack.drain()
        assert bot_lines(stack, parent) == []
        assert len(stack.sent_to(NUMBER)) == 1


async def test_cancel_pressed_after_the_sms_went_is_told_privately(make_stack: StackFactory) -> None:
    async with make_stack(settings={"send_delay_seconds": WINDOW, "status_style": "lines"}) as stack:
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Już poszło")
        line, cancel = await stack.until(lambda: line_with_cancel(stack, parent), what="the line with Cancel")

        await window_ends(stack)
        await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        await stack.until(lambda: "accepted by mProfi" in stack.slack.messages[(line.channel, line.ts)].text, what="accepted")
        assert line_with_cancel(stack, parent) is None  # the button is gone with the window
        await click(stack, line, cancel)  # a click on the button as it was still shown
        told = await stack.until(lambda: stack.slack.ephemeral, what="the private answer")
        assert [t["text"] for t in told] == ["Too late to cancel: this SMS to +48 600 100 200 had already gone to mProfi."]
        await stack.drain()
        assert len(stack.sent_to(NUMBER)) == 1
        assert [m.status for m in await outgoing(stack)] == [MessageStatus.ACCEPTED]


async def test_the_signature_reaches_the_phone_with_the_author_s_first_name(make_stack: StackFactory) -> None:
    settings = {"send_delay_seconds": 0.0, "status_style": "reactions", "sms_signature": "— {first_name}, Sklep Kwiatek"}
    async with make_stack(settings=settings) as stack:
        parent = await open_thread(stack)
        reply = await stack.person_replies(parent, "Zapraszamy jutro", user="U0PIOTR")
        [sent] = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        assert sent.text == "Zapraszamy jutro\n— Piotr, Sklep Kwiatek"
        await stack.until(lambda: reactions(stack, reply) == {"incoming_envelope"}, what="accepted")
        await stack.drain()
        assert bot_lines(stack, parent) == []
