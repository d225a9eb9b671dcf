"""A send that never left is a failure that says "not sent"; only one that may have
reached mProfi is uncertain, with Send again.

mProfi is reached over real sockets here (a refused port, a URL httpx cannot use, the
simulator on loopback), since only they show these faults.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

import httpx
from sqlalchemy import update

from bot.bridge import replies, sms
from bot.bridge.context import Context
from bot.bridge.facade import Bridge
from bot.bridge.worker import Workers
from bot.mprofi import MProfiClient, MProfiKeys
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorState, create_simulator_app
from bot.sandbox.slack import SlackMessage, SlackState
from bot.slack.blocks.conversation import RESEND_ACTION
from storage.kinds import MessageStatus
from storage.models import Dispatch, Job, Message, utcnow

from .queue import run_jobs, waiting_jobs
from .steps import NUMBER, bot_replies, open_thread, person_says, rows, sent_to, sms_request

UNUSABLE = "The mProfi address cannot be used (UnsupportedProtocol), so nothing was sent; an admin must check MPROFI_API_URL."


def refused_url() -> str:
    """A port on 127.0.0.1 nothing listens on: bound, then let go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/1.0/"


@asynccontextmanager
async def mprofi_at(ctx: Context, keys: MProfiKeys, base_url: str, *, timeout: httpx.Timeout | None = None) -> AsyncIterator[list[str]]:
    """The bridge talks to mProfi at ``base_url`` for a while; the endpoints of the requests it made."""
    made: list[str] = []

    async def count(request: httpx.Request) -> None:
        made.append(request.url.path)

    before = ctx.mprofi
    async with httpx.AsyncClient(timeout=timeout or httpx.Timeout(5.0), event_hooks={"request": [count]}) as http:
        ctx.mprofi = MProfiClient(http, keys, base_url)
        try:
            yield made
        finally:
            ctx.mprofi = before


def status_line(slack: SlackState, parent: SlackMessage) -> SlackMessage:
    [line] = [m for m in bot_replies(slack, parent) if " to +48 600 100 200" in m.text]
    return line


async def the_reply(ctx: Context) -> Message:
    [message] = [m for m in await rows(ctx, Message) if m.direction == "out"]
    return message


async def test_a_reply_mprofi_cannot_be_connected_to_is_retried_then_shown_as_not_sent(
    ctx: Context, sim: SimulatorState, slack: SlackState, keys: MProfiKeys
) -> None:
    parent = await open_thread(ctx, slack)
    async with mprofi_at(ctx, keys, refused_url()):
        await replies.handle_slack_message(ctx, person_says(slack, parent, "Halo"))
        await run_jobs(ctx)
        assert (await the_reply(ctx)).status == MessageStatus.QUEUED  # tried again later: nothing left
        [retry] = await waiting_jobs(ctx)
        assert retry.last_error == "Could not connect to mProfi (ConnectError); nothing was sent."

        # The workers' last try: it fails too, and they give up.
        async with ctx.sessions() as session, session.begin():
            await session.execute(update(Job).where(Job.id == retry.id).values(run_after=utcnow() - timedelta(seconds=1)))
        bridge = Bridge(config=ctx.config, sessions=ctx.sessions, mprofi=ctx.mprofi, slack=ctx.slack, http=ctx.http)
        assert await Workers(bridge, max_attempts=2).run_once()
    await run_jobs(ctx)

    assert sent_to(sim) == []
    message = await the_reply(ctx)
    assert message.status == MessageStatus.FAILED
    detail = message.status_detail or ""
    # One plain sentence in the bridge's language; the English last error stays in the jobs table.
    assert re.fullmatch(r"It could not be sent in time \(2 tries over 0 min \d+ s failed\)\. Nothing was sent\.", detail), detail
    assert detail.count("othing was sent") == 1
    line = status_line(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: not sent")
    assert RESEND_ACTION not in str(line.blocks)
    assert await waiting_jobs(ctx) == []


async def test_a_reply_to_an_unusable_mprofi_address_fails_at_once_and_says_why(ctx: Context, slack: SlackState, keys: MProfiKeys) -> None:
    parent = await open_thread(ctx, slack)
    async with mprofi_at(ctx, keys, "ftp://127.0.0.1/1.0/") as made:
        await replies.handle_slack_message(ctx, person_says(slack, parent, "Halo"))
        await run_jobs(ctx, now=utcnow() + timedelta(hours=6))  # nothing is tried again, however long one waits

    assert made == ["/1.0/send/"]
    message = await the_reply(ctx)
    assert (message.status, message.status_detail) == (MessageStatus.FAILED, UNUSABLE)
    line = status_line(slack, parent)
    assert line.text.startswith("SMS to +48 600 100 200: not sent")
    assert UNUSABLE in line.text
    assert RESEND_ACTION not in str(line.blocks)
    assert await waiting_jobs(ctx) == []


async def test_the_author_of_a_one_number_sms_hears_it_was_not_sent(ctx: Context, slack: SlackState, keys: MProfiKeys) -> None:
    async with mprofi_at(ctx, keys, "ftp://127.0.0.1/1.0/"):
        await sms.start_sms(ctx, sms_request(NUMBER))
        await run_jobs(ctx)

    [told] = slack.ephemeral
    assert told["text"].startswith(f"Not sent to +48 600 100 200: {UNUSABLE}")


async def test_a_many_number_sms_to_an_unusable_address_stops_at_the_first_batch(ctx: Context, slack: SlackState, keys: MProfiKeys) -> None:
    ctx.config = replace(ctx.config, bulk_batch_size=1)
    async with mprofi_at(ctx, keys, "ftp://127.0.0.1/1.0/") as made:
        await sms.start_sms(ctx, sms_request("+48600100300", "+48600100301", "+48600100302"))
        await run_jobs(ctx, now=utcnow() + timedelta(hours=6))

    assert made == ["/1.0/sendbulk/"]  # one try: every other batch would fail alike
    assert {(m.status, m.status_detail) for m in await rows(ctx, Message)} == {(MessageStatus.FAILED, UNUSABLE)}
    [dispatch] = await rows(ctx, Dispatch)
    assert (dispatch.state, dispatch.failed) == ("done", 3)
    assert [m.text for m in slack.top_level(ctx.config.channel_id)] == ["SMS to 3 numbers: 0 accepted, 3 not sent, 0 waiting"]


async def test_a_reply_whose_answer_did_not_come_in_time_is_still_uncertain(
    ctx: Context, sim: SimulatorState, slack: SlackState, keys: MProfiKeys
) -> None:
    parent = await open_thread(ctx, slack)
    sim.config.hang_seconds = 1.0
    sim.queue_fault("send", "hang_after_accept")
    short = httpx.Timeout(0.2, connect=2.0)  # mProfi hangs for a second after taking the SMS
    async with LoopbackServer(create_simulator_app(sim)) as server, mprofi_at(ctx, keys, server.url + "/1.0/", timeout=short):
        await replies.handle_slack_message(ctx, person_says(slack, parent, "Czy dotarło?"))
        await run_jobs(ctx, now=utcnow() + timedelta(hours=1))

    assert len(sent_to(sim)) == 1  # it did leave; the bridge cannot know
    message = await the_reply(ctx)
    assert message.status == MessageStatus.UNCERTAIN
    assert (message.status_detail or "").startswith("mProfi did not answer in time (ReadTimeout); the request may have been carried out.")
    line = status_line(slack, parent)
    assert "may or may not have been sent" in line.text
    assert RESEND_ACTION in str(line.blocks)
