"""``/hlr`` and CSV files shared with the bot, called directly with fakes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest
from slack_bolt.async_app import AsyncAck

from bot.bridge.models import HlrRequest
from bot.slack.listeners import hlr
from bot.sms.numbers import PhoneE164
from tests.slack.listeners.fakes import FakeAck, FakeBridge, within_slack_time

if TYPE_CHECKING:
    from bot.bridge import Bridge


async def run_hlr(text: str, **extra: str) -> tuple[FakeAck, FakeBridge]:
    ack, bridge = FakeAck(), FakeBridge()
    command = {"text": text, "user_id": "U0ANNA", "channel_id": "C0GENERAL", "trigger_id": "T1", "response_url": "https://hooks/1"} | extra
    await within_slack_time(hlr.handle_hlr(cast(AsyncAck, ack), command, bridge=cast("Bridge", bridge)))
    return ack, bridge


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("", hlr.HLR_HELP),
        ("help", hlr.HLR_HELP),
        ("600100200 please", f"“please” is not a phone number; /hlr takes only numbers. {hlr.HLR_HELP}"),
        ("12345", "12345 is not a number that can be checked: it has 5 digits, at least 9 are needed."),
    ],
)
async def test_a_mistake_is_answered_in_one_sentence_and_nothing_is_queued(typed: str, sentence: str) -> None:
    ack, bridge = await run_hlr(typed)
    assert ack.text == sentence
    assert bridge.calls == []


async def test_one_number_is_handed_to_the_bridge_and_named_in_the_answer() -> None:
    ack, bridge = await run_hlr("+48 600 100 200")
    assert bridge.called("start_hlr") == [
        HlrRequest(
            trigger_id="command:T1",
            user_id="U0ANNA",
            channel_id="C0GENERAL",
            numbers=(PhoneE164("+48600100200"),),
            response_url="https://hooks/1",
        )
    ]
    assert ack.text == "Checking +48 600 100 200; the answer will be posted in this channel."


async def test_several_numbers_are_counted_and_the_skipped_ones_named() -> None:
    ack, bridge = await run_hlr("600100200 500100200 12345", trigger_id="")
    [request] = bridge.called("start_hlr")
    assert request.trigger_id == "command:https://hooks/1"
    assert request.numbers == ("+48600100200", "+48500100200")
    assert request.skipped == (("12345", "it has 5 digits, at least 9 are needed"),)
    assert ack.text == (
        "Checking 2 numbers; the answer will be posted in this channel. Not checked: 12345 (it has 5 digits, at least 9 are needed)."
    )


async def mention(event: dict[str, Any]) -> FakeBridge:
    bridge = FakeBridge()
    await within_slack_time(hlr.handle_mention(event, bridge=cast("Bridge", bridge)))
    return bridge


async def test_a_plain_mention_is_left_to_the_message_listener() -> None:
    bridge = await mention({"type": "app_mention", "user": "U0ANNA", "channel": "C0GENERAL", "ts": "1.1", "text": "<@U0BOT> hi"})
    assert bridge.calls == []


@pytest.mark.parametrize(("thread_ts", "answered_in"), [(None, "1.1"), ("0.5", "0.5")])
async def test_a_shared_csv_is_checked_in_the_thread_of_its_message(thread_ts: str | None, answered_in: str) -> None:
    file = {"id": "F1", "name": "numbers.csv"}
    event = {
        "user": "U0ANNA",
        "channel": "C0GENERAL",
        "ts": "1.1",
        "files": [file, {"id": "F2", "name": "more.txt"}, {"id": "F3", "name": "photo.png"}],
    } | ({"thread_ts": thread_ts} if thread_ts else {})
    bridge = await mention(event)
    assert bridge.calls == [
        (
            "check_numbers_in_file",
            {"trigger_id": "mention:C0GENERAL:1.1", "user_id": "U0ANNA", "channel_id": "C0GENERAL", "thread_ts": answered_in, "file": file},
        ),
        (  # every list of the message is checked, each once; the photo is not a list
            "check_numbers_in_file",
            {
                "trigger_id": "mention:C0GENERAL:1.1:1",
                "user_id": "U0ANNA",
                "channel_id": "C0GENERAL",
                "thread_ts": answered_in,
                "file": {"id": "F2", "name": "more.txt"},
            },
        ),
    ]


async def test_a_retried_command_is_not_checked_twice() -> None:
    ack, bridge = FakeAck(), FakeBridge()
    command = {"text": "600100200", "user_id": "U0ANNA", "channel_id": "C0GENERAL", "trigger_id": "T1", "response_url": "https://hooks/1"}
    await hlr.handle_hlr(cast(AsyncAck, ack), command, bridge=cast("Bridge", bridge))
    again = FakeAck()
    await within_slack_time(hlr.handle_hlr(cast(AsyncAck, again), command, bridge=cast("Bridge", bridge)))
    assert again.text == "This /hlr was already received; the numbers are not checked twice."


async def test_many_refused_numbers_are_counted_past_the_first_ten() -> None:
    ack, _ = await run_hlr("600100200, " + ", ".join(f"1234{n}" for n in range(12)))
    assert ack.text is not None and ack.text.endswith("; and 2 more.")


async def test_a_file_that_is_no_list_is_still_looked_at_so_its_author_hears_why() -> None:
    photo = {"id": "F9", "name": "photo.png"}
    bridge = await mention({"user": "U0ANNA", "channel": "C0GENERAL", "ts": "1.1", "files": [photo]})
    assert [call["file"] for name, call in bridge.calls] == [photo]
