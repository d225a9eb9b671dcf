"""``/survey``, called directly with fakes."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import pytest
from slack_bolt.async_app import AsyncAck

from bot.bridge.models import SurveyRequest
from bot.slack.listeners import surveys
from bot.sms.command import SURVEY_HELP
from tests.slack.listeners.fakes import FakeAck, FakeBridge, within_slack_time

if TYPE_CHECKING:
    from bot.bridge import Bridge


async def run_survey(text: str) -> tuple[FakeAck, FakeBridge]:
    ack, bridge = FakeAck(), FakeBridge()
    command = {"text": text, "user_id": "U0ANNA", "channel_id": "C0GENERAL", "trigger_id": "T1", "response_url": "https://hooks/1"}
    await within_slack_time(surveys.handle_survey(cast(AsyncAck, ack), command, bridge=cast("Bridge", bridge)))
    return ack, bridge


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("", SURVEY_HELP),
        ("help", SURVEY_HELP),
        ("delete 1", f"“delete” is not something /survey does. {SURVEY_HELP}"),
        ("show", "/survey show needs the survey's number, for example /survey show 3 (see /survey list)."),
        ("start 1", "Give the number(s) to invite: /survey start 1 600100200 600100201."),
        ("start 1 600100200 soon", "“soon” is not a phone number; /survey start 1 takes only numbers."),
        ("start 1 12345", "12345 is not a number that can take a survey: it has 5 digits, at least 9 are needed."),
    ],
)
async def test_a_mistake_is_answered_in_one_sentence_and_nothing_is_queued(typed: str, sentence: str) -> None:
    ack, bridge = await run_survey(typed)
    assert ack.text == sentence
    assert bridge.calls == []


@pytest.mark.parametrize(
    ("typed", "action", "survey_id", "answer"),
    [
        ("list", "list", None, "Asking mProfi for the surveys…"),
        ("LIST", "list", None, "Asking mProfi for the surveys…"),
        ("show 3", "show", 3, "Asking mProfi about survey 3…"),
        ("report 3", "report", 3, "Fetching the report of survey 3; it will be posted in this channel."),
    ],
)
async def test_a_question_about_surveys_is_handed_to_the_bridge(typed: str, action: str, survey_id: int | None, answer: str) -> None:
    ack, bridge = await run_survey(typed)
    assert bridge.called("start_survey_command") == [
        SurveyRequest(action=action, survey_id=survey_id, user_id="U0ANNA", channel_id="C0GENERAL", response_url="https://hooks/1")
    ]
    assert ack.text == answer


async def test_starting_a_survey_invites_the_good_numbers_and_names_the_others() -> None:
    ack, bridge = await run_survey("start 1 600100300, 600 100 301 123")
    [request] = bridge.called("start_survey_command")
    assert request.action == "start" and request.survey_id == 1
    assert request.numbers == ("48600100300", "48600100301")
    assert ack.text == "Starting survey 1 for 2 numbers… Not invited: 123 (it has 3 digits, at least 9 are needed)."


async def test_one_number_is_one_number() -> None:
    ack, _ = await run_survey("start 2 600100300")
    assert ack.text == "Starting survey 2 for 1 number…"


async def test_starting_a_survey_takes_the_permission_to_send() -> None:
    ack, bridge = FakeAck(), FakeBridge()
    bridge.refusal = "Sorry, you are not on the list of people who may send SMS from Slack; ask an admin to add you."
    command = {"text": "start 1 600100200", "user_id": "U0ANNA", "channel_id": "C0GENERAL", "response_url": "https://hooks/1"}
    await within_slack_time(surveys.handle_survey(cast(AsyncAck, ack), command, bridge=cast("Bridge", bridge)))
    assert ack.text == bridge.refusal and bridge.started == []
    listing = {**command, "text": "list"}
    await surveys.handle_survey(cast(AsyncAck, FakeAck()), listing, bridge=cast("Bridge", bridge))
    assert bridge.started == ["start_survey_command"]  # reading is for everyone
