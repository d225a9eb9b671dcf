"""Catch-up: what ``getincoming/`` lists and no webhook brought is stored, once."""

from __future__ import annotations

from datetime import timedelta

from bot.bridge import catch_up
from bot.bridge.context import Context
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.mprofi.state import now as sim_now
from bot.sandbox.slack import SlackState
from storage import cursors
from storage.kinds import MessageStatus
from storage.models import Cursor, Message, utcnow

from .queue import run_jobs
from .steps import NUMBER, OTHER, bot_replies, rows, text_in, thread_of


def listed(sim: SimulatorState, text: str, *, sender: str = "48600100200", mobileapp: bool = False) -> None:
    """A message mProfi received a minute ago that reached no webhook (it lists only whole seconds)."""
    sim.inject_inbound(sender, text, ts=sim_now() - timedelta(minutes=1), mobileapp=mobileapp, deliver=False)


async def inbound_texts(ctx: Context) -> list[str]:
    """The texts of stored inbound messages, oldest first."""
    return [m.text for m in await rows(ctx, Message, Message.direction == "in")]


async def test_listed_messages_the_webhook_missed_are_stored_once(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    listed(sim, "Pierwsza")
    listed(sim, "Druga", sender="48600100201")

    assert await catch_up.catch_up(ctx) == 2
    assert await catch_up.catch_up(ctx) == 0  # listed again (the passes overlap), stored once
    await run_jobs(ctx)

    assert await inbound_texts(ctx) == ["Pierwsza", "Druga"]
    assert {m.received_via for m in await rows(ctx, Message)} == {"getincoming"}
    for phone, shown in ((NUMBER, "SMS from +48 600 100 200: Pierwsza"), (OTHER, "SMS from +48 600 100 201: Druga")):
        parent = thread_of(slack, ctx, phone)
        assert parent is not None
        assert [m.text for m in bot_replies(slack, parent)] == [shown]


async def test_a_message_the_webhook_brought_is_not_stored_again(ctx: Context, sim: SimulatorState) -> None:
    await text_in(ctx, "Dzień dobry")
    listed(sim, "Dzień dobry")

    assert await catch_up.catch_up(ctx) == 0
    [message] = await rows(ctx, Message)
    assert message.received_via == "standard"
    assert message.origin_key is not None and message.origin_key.startswith("mprofi:incoming:")  # the listing finds it at once next time


async def test_a_webhook_after_the_catch_up_finds_its_message_already_there(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    listed(sim, "Spóźniony webhook")
    await catch_up.catch_up(ctx)
    received = await text_in(ctx, "Spóźniony webhook")

    assert not received.new
    [message] = await rows(ctx, Message)
    assert (message.id, message.received_via) == (received.message_id, "standard")
    await run_jobs(ctx)
    parent = thread_of(slack, ctx)
    assert parent is not None
    assert len(bot_replies(slack, parent)) == 1


async def test_a_second_webhook_delivery_after_that_is_an_ordinary_repeat(ctx: Context, sim: SimulatorState) -> None:
    listed(sim, "Halo")
    await catch_up.catch_up(ctx)
    first = await text_in(ctx, "Halo")
    again = await text_in(ctx, "Halo")

    assert again.new
    assert again.repeat_of == first.message_id


async def test_messages_from_the_mobile_app_are_read_too(ctx: Context, sim: SimulatorState) -> None:
    listed(sim, "Z aplikacji", mobileapp=True)

    assert await catch_up.catch_up(ctx) == 1
    [message] = await rows(ctx, Message)
    assert (message.text, message.received_via, message.status) == ("Z aplikacji", "mobileapp", MessageStatus.RECEIVED)


async def test_when_mprofi_does_not_list_the_next_pass_reads_the_same_time_again(ctx: Context, sim: SimulatorState) -> None:
    listed(sim, "Cierpliwości")
    sim.queue_fault("getincoming", "503")

    assert await catch_up.catch_up(ctx) == 0
    [cursor] = await rows(ctx, Cursor)
    assert (cursor.position, cursor.locked_until) == (None, None)  # not moved on, and free for the next pass
    assert await catch_up.catch_up(ctx) == 1


async def test_one_replica_reads_at_a_time(ctx: Context, sim: SimulatorState) -> None:
    listed(sim, "Tylko raz")
    now = utcnow()
    assert await cursors.take(ctx.sessions, catch_up.CURSOR, now=now, until=now + timedelta(minutes=1)) is not None  # another replica

    assert await catch_up.catch_up(ctx) == 0
    assert await inbound_texts(ctx) == []
