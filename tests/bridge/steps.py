"""Small steps the bridge tests share: a phone texts in, a person replies, a /sms is typed,
and ways to read what the database, the simulator and the emulator hold."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select

from bot.bridge.context import Context
from bot.bridge.inbound import receive_many
from bot.bridge.models import InboundSms, Received, SmsRequest
from bot.sandbox.mprofi.state import SimMessage, SimulatorState
from bot.sandbox.slack import SlackMessage, SlackState
from bot.sms.numbers import PhoneE164, display, normalize, recipient_digits, sender_id
from storage.models import Base

from .queue import run_jobs

__all__ = [
    "ANNA",
    "BRIDGE",
    "GENERAL",
    "NUMBER",
    "OTHER",
    "PIOTR",
    "bot_replies",
    "mprofi_calls",
    "open_thread",
    "person_posts",
    "person_says",
    "rows",
    "sent_to",
    "sms_request",
    "text_in",
    "thread_of",
]

NUMBER = normalize("+48600100200")
OTHER = normalize("+48600100201")
ANNA, PIOTR = "U0ANNA", "U0PIOTR"  # people of the emulated workspace
BRIDGE, GENERAL = "C0SMSBRIDGE", "C0GENERAL"  # its channels: the bridge's, and another

Row = TypeVar("Row", bound=Base)


async def text_in(ctx: Context, text: str = "Dzień dobry", *, sender: str = NUMBER, via: str = "standard") -> Received:
    """A phone texts the account and the webhook stores it (as ``receive_sms`` does, without its batching)."""
    sms = InboundSms(sender=sender_id(sender), recipient="48664400100", text=text, via=via)
    [received] = await receive_many(ctx, [sms])
    return received


def thread_of(slack: SlackState, ctx: Context, phone: str = NUMBER) -> SlackMessage | None:
    """The parent message of the thread whose header names ``phone``."""
    shown = display(phone)
    return next((m for m in slack.top_level(ctx.config.channel_id) if shown in m.text), None)


def bot_replies(slack: SlackState, parent: SlackMessage) -> list[SlackMessage]:
    """What the bridge posted under ``parent``, oldest first."""
    return [m for m in slack.thread(parent.channel, parent.ts) if m.ts != parent.ts and m.bot_id]


async def open_thread(ctx: Context, slack: SlackState, phone: str = NUMBER) -> SlackMessage:
    """A phone texts in and its thread opens; the thread's parent."""
    await text_in(ctx, sender=phone)
    await run_jobs(ctx)
    parent = thread_of(slack, ctx, phone)
    assert parent is not None, "the thread did not open"
    return parent


def person_posts(
    slack: SlackState,
    channel: str,
    text: str | None = None,
    *,
    rich: Sequence[dict[str, Any]] | None = None,
    user: str = ANNA,
    files: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> SlackMessage:
    """A person posts in Slack (``text`` typed literally, or ``rich`` elements such as a
    mention); the message as Slack keeps it. No app listens here: a test hands its
    event (``message.as_event()``) to the bridge itself."""
    sent, blocks = slack.composed(text, rich)
    message = SlackMessage(
        channel=channel,
        ts=slack.next_ts(),
        text=sent,
        user=user,
        thread_ts=thread_ts,
        blocks=blocks,
        files=files or [],
        client_msg_id=str(uuid.uuid4()),
        team=slack.config.team_id,
    )
    slack.messages[(message.channel, message.ts)] = message
    return message


def person_says(
    slack: SlackState,
    parent: SlackMessage,
    text: str | None = None,
    *,
    rich: Sequence[dict[str, Any]] | None = None,
    user: str = ANNA,
    files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A person replies in ``parent``'s thread: the ``message`` event Slack delivers for it."""
    return person_posts(slack, parent.channel, text, rich=rich, user=user, files=files, thread_ts=parent.ts).as_event()


def deleted(slack: SlackState, original: SlackMessage) -> dict[str, Any]:
    """The ``message_deleted`` event Slack delivers when a person deletes ``original``."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "channel": original.channel,
        "hidden": True,
        "ts": slack.next_ts(),
        "deleted_ts": original.ts,
        "previous_message": original.as_event(),
    }


def sms_request(
    *numbers: str,
    text: str = "Promocja -20% do niedzieli",
    trigger: str = "trigger-1",
    user: str = ANNA,
    channel: str = BRIDGE,
    **extra: Any,
) -> SmsRequest:
    """A checked ``/sms`` (typed in the bridge's channel unless ``channel`` says otherwise)."""
    return SmsRequest(
        trigger_id=trigger,
        user_id=user,
        channel_id=channel,
        text=text,
        recipients=tuple(normalize(n) for n in numbers),
        **extra,
    )


def mprofi_calls(sim: SimulatorState, endpoint: str) -> int:
    """How many calls to ``endpoint`` (``send``, ``hlr/single``…) mProfi took (a refused key is not counted)."""
    return sum(1 for path, _ in sim.requests if path == f"/1.0/{endpoint}/")


def sent_to(sim: SimulatorState, phone: str = NUMBER) -> list[SimMessage]:
    """What mProfi accepted for this number."""
    digits = recipient_digits(PhoneE164(phone))
    return [m for m in sim.messages.values() if m.recipient == digits]


async def rows(ctx: Context, model: type[Row], *where: ColumnElement[bool]) -> Sequence[Row]:
    """Rows of ``model`` (matching ``where``), oldest first."""
    async with ctx.sessions() as session:
        query = select(model).where(*where)
        for key in model.__table__.primary_key:
            query = query.order_by(key)
        return (await session.scalars(query)).all()
