"""Messages in conversation threads and the Resend button, called directly with fakes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import pytest
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.listeners import conversations
from tests.slack.listeners.fakes import FakeAck, FakeBridge, within_slack_time

if TYPE_CHECKING:
    from bot.bridge import Bridge


async def test_every_message_goes_to_the_bridge_with_its_event_id_and_the_bot_s_user() -> None:
    bridge = FakeBridge()
    event = {"type": "message", "channel": "C0BRIDGE", "thread_ts": "1.1", "ts": "2.2", "user": "U0ANNA", "text": "Tak"}
    context = AsyncBoltContext({"bot_user_id": "U0BOT"})
    await within_slack_time(conversations.handle_message(event, {"event_id": "Ev1"}, context, bridge=cast("Bridge", bridge)))
    assert bridge.calls == [("handle_slack_message", {"event": event, "event_id": "Ev1", "bot_user_id": "U0BOT"})]


async def test_a_message_without_an_event_id_still_reaches_the_bridge() -> None:
    bridge = FakeBridge()
    event = {"type": "message", "subtype": "message_changed", "channel": "C0BRIDGE"}
    await within_slack_time(conversations.handle_message(event, {}, AsyncBoltContext(), bridge=cast("Bridge", bridge)))
    assert bridge.calls == [("handle_slack_message", {"event": event, "event_id": "", "bot_user_id": None})]


@pytest.mark.parametrize(("value", "resent"), [("17", [{"message_id": 17, "user_id": "U0ANNA"}]), ("", []), ("x17", [])])
async def test_resend_is_acknowledged_and_only_a_message_id_is_resent(value: str, resent: list[dict[str, object]]) -> None:
    ack, bridge = FakeAck(), FakeBridge()
    body = {"user": {"id": "U0ANNA"}}
    await within_slack_time(conversations.handle_resend(cast(AsyncAck, ack), body, {"value": value}, bridge=cast("Bridge", bridge)))
    assert ack.only == {}
    assert bridge.called("resend") == resent


@pytest.mark.parametrize(("value", "cancelled"), [("17", [{"message_id": 17, "user_id": "U0PIOTR"}]), ("", []), ("17; drop", [])])
async def test_cancel_is_acknowledged_and_only_a_message_id_is_cancelled(value: str, cancelled: list[dict[str, object]]) -> None:
    ack, bridge = FakeAck(), FakeBridge()
    body = {"user": {"id": "U0PIOTR"}}
    await within_slack_time(conversations.handle_cancel_send(cast(AsyncAck, ack), body, {"value": value}, bridge=cast("Bridge", bridge)))
    assert ack.only == {}
    assert bridge.called("cancel_send") == cancelled


@pytest.mark.parametrize(("headers", "logged"), [({}, False), ({"x-slack-retry-num": "2", "x-slack-retry-reason": "http_timeout"}, True)])
async def test_a_retry_from_slack_is_noted_and_passed_on(
    headers: dict[str, str | Sequence[str]], logged: bool, caplog: pytest.LogCaptureFixture
) -> None:
    passed: list[bool] = []

    async def next_() -> None:
        passed.append(True)

    request = AsyncBoltRequest(body="{}", headers=headers)
    with caplog.at_level(logging.INFO, logger=conversations.__name__):
        await within_slack_time(conversations.note_retries(request, BoltResponse(status=200), next_))
    assert passed == [True]
    assert ("Slack retry 2 (http_timeout)" in caplog.text) is logged
