"""Quiet hours end to end, through the emulator on the running app (SQLite and PostgreSQL):
the question under a /sms and under a thread reply, pressed as Slack posts it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.sandbox.stack import SandboxStack
from storage.models import Message
from storage.privacy_models import AuditEntry
from tests.support import StackFactory, open_thread, stored

WARSAW = ZoneInfo("Europe/Warsaw")


def around_now() -> str:
    now = datetime.now(WARSAW)
    return f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"


@pytest.fixture
def hours() -> str:
    return around_now()


@pytest.fixture
async def stack(make_stack: StackFactory, hours: str) -> AsyncIterator[SandboxStack]:
    async with make_stack(settings={"quiet_hours": hours}) as running:
        yield running


def button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id)


async def test_a_sms_at_night_waits_and_schedule_sends_it_when_the_quiet_hours_end(stack: SandboxStack, hours: str) -> None:
    answer, _hook = await stack.slack.run_command("/sms", "600100200 Dzień dobry, paczka czeka")
    question = json.loads(answer.text)
    assert question["text"].startswith("It is quiet hours (")
    await stack.drain()
    assert stack.sent_to("48600100200") == []

    pressed, hook = await stack.slack.press_button(button(question["blocks"], "quiet_schedule"), user="U0ANNA", channel="C0GENERAL")
    assert pressed.status_code == 200
    end = hours.split("-")[1]
    assert stack.slack.hook_posts(hook)[-1]["text"] == f"Scheduled: the SMS to 1 number goes at {end}."
    [sent] = await stack.until(lambda: stack.sent_to("48600100200"), what="the scheduled SMS")
    assert sent.scheduled_for is not None and sent.scheduled_for.astimezone(WARSAW).strftime("%H:%M") == end


async def test_a_reply_at_night_goes_only_when_its_author_sends_it_anyway_and_that_is_recorded(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "Oddzwonimy rano")
    await stack.drain()
    assert stack.sent_to("48600100200") == []
    [asked] = [e for e in stack.slack.ephemeral if e["user"] == "U0ANNA" and e.get("blocks")]
    assert "this SMS to +48 600 100 200 has not been sent" in asked["text"]

    pressed, _hook = await stack.slack.press_button(button(asked["blocks"], "quiet_send"), user="U0ANNA", channel=parent.channel)
    assert pressed.status_code == 200
    [sent] = await stack.until(lambda: stack.sent_to("48600100200"), what="the reply sent anyway")
    assert sent.text == "Oddzwonimy rano"
    [record] = [e for e in await stored(stack, select(AuditEntry)) if e.kind == "quiet_hours_override"]
    assert record.actor == "U0ANNA" and record.phone == "+48600100200"
    [reply] = [m for m in await stored(stack, select(Message)) if m.direction == "out"]
    assert reply.status != "held"
    again, _ = await stack.slack.press_button(button(asked["blocks"], "quiet_send"), user="U0ANNA", channel=parent.channel)
    await stack.drain()
    assert again.status_code == 200 and len(stack.sent_to("48600100200")) == 1  # a second press sends nothing
