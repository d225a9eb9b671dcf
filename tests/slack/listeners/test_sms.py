"""``/sms``, its form and its Send/Cancel buttons, called directly with fakes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import pytest
from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.bridge.models import SmsAccepted, SmsRequest
from bot.slack import blocks, views
from bot.slack.listeners import sms
from bot.sms.clock import WARSAW
from bot.sms.numbers import PhoneE164
from tests.slack.listeners.fakes import FakeAck, FakeBridge, FakeClient, FakeDirectory, FakeRespond, within_slack_time

if TYPE_CHECKING:
    from bot.bridge import Bridge

NOT_ON_THE_LIST = "Sorry, you are not on the list of people who may send SMS from Slack; ask an admin to add you."


def command(text: str, **extra: str) -> dict[str, Any]:
    return {"text": text, "user_id": "U0ANNA", "channel_id": "C0GENERAL", "trigger_id": "T1", "response_url": "https://hooks/1"} | extra


async def run_sms(text: str, bridge: FakeBridge | None = None, **extra: str) -> tuple[FakeAck, FakeBridge, FakeClient]:
    bridge = bridge or FakeBridge()
    ack, client = FakeAck(), FakeClient()
    await within_slack_time(
        sms.handle_sms(cast(AsyncAck, ack), command(text, **extra), cast(AsyncWebClient, client), bridge=cast("Bridge", bridge))
    )
    return ack, bridge, client


# ---- /sms typed out --------------------------------------------------------------------


async def test_a_person_not_allowed_is_told_so_before_anything_is_read() -> None:
    ack, bridge, client = await run_sms("600100200 Hej", FakeBridge(refusal=NOT_ON_THE_LIST))
    assert ack.text == NOT_ON_THE_LIST
    assert bridge.calls == [("may_send", {"user_id": "U0ANNA", "channel_id": "C0GENERAL"})]
    assert not client.opened


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        (
            "Hej",
            "“Hej” is neither a number nor a contact's name. Start with the number (or a contact's whole name), "
            "then the message: /sms 600100200 Your parcel is on its way.",
        ),
        ("600100200", "Add the message after the number(s): /sms 600100200 Your parcel is on its way."),
        ("12345 Hej", "12345 is not a number that can be texted: it has 5 digits, at least 9 are needed."),
        ("at tomorrow 600100200 Hej", "Write the send time as at 2026-12-01 09:00 (or at 09:00 for today), then the numbers and the text."),
        ("at 2020-01-01 09:00 600100200 Hej", "2020-01-01 09:00 (Europe/Warsaw) has already passed; give a time in the future."),
    ],
)
async def test_a_mistake_is_answered_in_one_sentence_and_nothing_is_stored(typed: str, sentence: str) -> None:
    ack, bridge, _ = await run_sms(typed)
    assert ack.text == sentence
    assert bridge.started == []


async def test_a_text_too_long_for_an_sms_is_refused_with_its_length() -> None:
    ack, bridge, _ = await run_sms("600100200 " + "x" * 700)
    assert ack.text and "612" in ack.text and ack.text.endswith(".")
    assert bridge.started == []


async def test_the_length_counted_is_what_the_phone_reads_not_what_was_typed() -> None:
    bridge = FakeBridge(directory=FakeDirectory({"U0PIOTR": "P" * 100}))
    ack, bridge, _ = await run_sms("600100200 " + "<@U0PIOTR> " * 7, bridge)  # 77 characters typed, over 700 on the phone
    assert ack.text and "612" in ack.text
    assert bridge.started == []


@pytest.mark.parametrize("typed", ["", "help", "pomoc"])
async def test_no_arguments_opens_the_form_in_the_person_s_time_zone(typed: str) -> None:
    ack, bridge, client = await run_sms(typed)
    assert ack.only == {}
    assert bridge.started == []
    assert len(client.opened) == 1 and client.opened[0]["trigger_id"] == "T1"
    form = client.opened[0]["view"]
    assert form["callback_id"] == views.SMS_FORM
    assert json.loads(form["private_metadata"]) == {"channel": "C0GENERAL", "tz": "Europe/Warsaw"}


async def test_a_good_command_hands_the_bridge_what_the_phone_will_read() -> None:
    bridge = FakeBridge(directory=FakeDirectory({"U0PIOTR": "Piotr Nowak"}))
    ack, bridge, _ = await run_sms("600 100 200, 600100201 600100200 Dzwoni <@U0PIOTR|piotr> &amp; czeka", bridge)
    [request] = bridge.called("start_sms")
    assert request == SmsRequest(
        trigger_id="command:T1",
        user_id="U0ANNA",
        channel_id="C0GENERAL",
        text="Dzwoni Piotr Nowak & czeka",
        typed="Dzwoni @Piotr Nowak & czeka",
        recipients=(PhoneE164("+48600100200"), PhoneE164("+48600100201")),
        duplicates=1,
        encoding=None,
        response_url="https://hooks/1",
    )
    assert ack.text == (
        "Sending: 2 numbers (1 SMS part each, 2 SMS in all). Progress shows in this channel. 1 repeated number was sent once."
    )


async def test_polish_letters_go_as_unicode_and_one_number_is_pointed_at_its_thread() -> None:
    ack, bridge, _ = await run_sms("600100200 Dzień dobry")
    [request] = bridge.called("start_sms")
    assert request.text == "Dzień dobry" and request.encoding == "utf-8" and request.typed is None
    assert ack.text == (
        "Sending: +48 600 100 200 (1 SMS part). It shows in the number's conversation thread in <#C0BRIDGE> with its delivery status."
    )


async def test_a_send_time_is_read_in_the_person_s_zone() -> None:
    ack, bridge, _ = await run_sms("at 2099-12-01 09:00 600100200 Przypomnienie")
    [request] = bridge.called("start_sms")
    assert request.send_at == datetime(2099, 12, 1, 9, 0, tzinfo=WARSAW)
    assert ack.text and ack.text.startswith("Scheduling for ")


async def test_the_trigger_falls_back_to_the_response_url_so_a_retry_is_not_sent_twice() -> None:
    _, bridge, _ = await run_sms("600100200 Hej", trigger_id="")
    assert bridge.called("start_sms")[0].trigger_id == "command:https://hooks/1"


async def test_a_limit_the_bridge_reports_is_the_answer() -> None:
    refused = SmsAccepted(dispatch_id=0, sending=(), opted_out=(), refused=(), duplicates=0, refusal="You sent 100 SMS this hour; wait.")
    ack, _, _ = await run_sms("600100200 Hej", FakeBridge(accepted=refused))
    assert ack.text == "You sent 100 SMS this hour; wait."


async def test_the_same_command_again_is_answered_without_sending() -> None:
    again = SmsAccepted(dispatch_id=1, sending=(PhoneE164("+48600100200"),), opted_out=(), refused=(), duplicates=0, again=True)
    ack, _, _ = await run_sms("600100200 Hej", FakeBridge(accepted=again))
    assert ack.text == "This /sms was already received; it is not sent twice."


async def test_many_numbers_are_answered_with_a_question_and_two_buttons() -> None:
    many = SmsAccepted(
        dispatch_id=42, sending=(PhoneE164("+48600100200"),) * 150, opted_out=(), refused=(), duplicates=0, needs_confirmation=True
    )
    ack, _, _ = await run_sms("600100200 Hej", FakeBridge(accepted=many))
    answer = ack.only
    assert answer["text"] == "Send 150 SMS? Nothing goes out until you press Send."
    buttons = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {(b["action_id"], b["value"]) for b in buttons} == {(blocks.CONFIRM_ACTION, "42"), (blocks.CANCEL_ACTION, "42")}


# ---- Send / Cancel -------------------------------------------------------------------------


async def press(action_id: str, value: str, bridge: FakeBridge) -> tuple[FakeAck, FakeRespond]:
    ack, respond = FakeAck(), FakeRespond()
    body = {"user": {"id": "U0ANNA"}}
    action = {"action_id": action_id, "value": value}
    await within_slack_time(
        sms.handle_confirmation(cast(AsyncAck, ack), body, action, cast(AsyncRespond, respond), bridge=cast("Bridge", bridge))
    )
    return ack, respond


@pytest.mark.parametrize(("action_id", "send"), [(blocks.CONFIRM_ACTION, True), (blocks.CANCEL_ACTION, False)])
async def test_a_button_is_acknowledged_and_its_answer_replaces_the_question(action_id: str, send: bool) -> None:
    bridge = FakeBridge()
    ack, respond = await press(action_id, "42", bridge)
    assert ack.only == {}
    assert bridge.calls == [("answer_confirmation", {"dispatch_id": 42, "user_id": "U0ANNA", "send": send})]
    assert respond.calls == [{"text": "Sent to 150 numbers.", "replace_original": True}]


async def test_a_button_with_a_value_that_is_not_ours_is_only_acknowledged() -> None:
    bridge = FakeBridge()
    ack, respond = await press(blocks.CONFIRM_ACTION, "../1", bridge)
    assert ack.only == {}
    assert bridge.calls == [] and respond.calls == []


# ---- the form ------------------------------------------------------------------------------


def form_view(recipients: str, text: str, *, when: int | None = None, encoding: str = "auto", channel: str = "C0GENERAL") -> dict[str, Any]:
    meta = {"tz": "Europe/Warsaw"} | ({"channel": channel} if channel else {})
    return {
        "id": "V1",
        "hash": "h1",
        "private_metadata": json.dumps(meta),
        "state": {
            "values": {
                "recipients": {"value": {"value": recipients}},
                "text": {views.TEXT_ACTION: {"value": text}},
                "when": {"value": {"selected_date_time": when}},
                "encoding": {"value": {"selected_option": {"value": encoding}}},
            }
        },
    }


async def submit(view: dict[str, Any], bridge: FakeBridge | None = None) -> tuple[FakeAck, FakeBridge]:
    bridge = bridge or FakeBridge()
    ack = FakeAck()
    await within_slack_time(sms.handle_form(cast(AsyncAck, ack), {"user": {"id": "U0ANNA"}}, view, bridge=cast("Bridge", bridge)))
    return ack, bridge


async def test_a_good_form_is_stored_as_typed_and_answered_privately() -> None:
    ack, bridge = await submit(form_view("600 100 200, 600100201", "Tom &amp; Jerry", encoding="plain"))
    assert ack.only == {}
    [request] = bridge.called("start_sms")
    assert request == SmsRequest(
        trigger_id="view:V1",
        user_id="U0ANNA",
        channel_id="C0GENERAL",
        text="Tom &amp; Jerry",  # modal inputs are not escaped by Slack: nothing is undone
        recipients=(PhoneE164("+48600100200"), PhoneE164("+48600100201")),
        encoding=None,
    )
    [told] = bridge.called("tell_privately")
    assert told["channel_id"] == "C0GENERAL" and told["user_id"] == "U0ANNA"
    assert told["text"].startswith("Sending: 2 numbers")


async def test_a_form_without_a_channel_sends_from_the_bridge_channel_at_the_chosen_time() -> None:
    when = int(datetime(2099, 12, 1, 9, 0, tzinfo=WARSAW).timestamp())
    _, bridge = await submit(form_view("600100200", "Hej", when=when, channel=""))
    [request] = bridge.called("start_sms")
    assert request.channel_id == "C0BRIDGE"
    assert request.send_at == datetime(2099, 12, 1, 9, 0, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("recipients", "text", "when", "errors"),
    [
        ("600100200 please", "Hej", None, {"recipients": "“please” is not a phone number; put only numbers here."}),
        ("", "Hej", None, {"recipients": "Type at least one number."}),
        (
            "600100200 12345",
            "Hej",
            None,
            {"recipients": "12345 is not a number that can be texted: it has 5 digits, at least 9 are needed; correct or remove it."},
        ),
        ("600100200", " ", None, {"text": "The message is empty; type the text to send."}),
        ("600100200", "Hej", 1_000_000_000, {"when": "That time has already passed; pick a time in the future or leave it empty."}),
    ],
)
async def test_form_mistakes_go_back_beside_their_fields(recipients: str, text: str, when: int | None, errors: dict[str, str]) -> None:
    ack, bridge = await submit(form_view(recipients, text, when=when))
    assert ack.only == {"response_action": "errors", "errors": errors}
    assert bridge.started == []


async def test_a_form_from_someone_not_allowed_is_refused_beside_the_numbers() -> None:
    ack, bridge = await submit(form_view("600100200", "Hej"), FakeBridge(refusal=NOT_ON_THE_LIST))
    assert ack.only == {"response_action": "errors", "errors": {"recipients": NOT_ON_THE_LIST}}
    assert bridge.started == []


async def test_a_limit_the_bridge_reports_goes_back_beside_the_numbers() -> None:
    refused = SmsAccepted(dispatch_id=0, sending=(), opted_out=(), refused=(), duplicates=0, refusal="You sent 100 SMS this hour; wait.")
    ack, bridge = await submit(form_view("600100200", "Hej"), FakeBridge(accepted=refused))
    assert ack.only == {"response_action": "errors", "errors": {"recipients": "You sent 100 SMS this hour; wait."}}
    assert bridge.called("tell_privately") == []


async def test_a_large_form_closes_and_the_question_comes_privately() -> None:
    many = SmsAccepted(
        dispatch_id=7, sending=(PhoneE164("+48600100200"),) * 150, opted_out=(), refused=(), duplicates=0, needs_confirmation=True
    )
    ack, bridge = await submit(form_view("600100200", "Hej"), FakeBridge(accepted=many))
    assert ack.only == {}
    [told] = bridge.called("tell_privately")
    assert told["text"] == "Send 150 SMS? Nothing goes out until you press Send."
    assert any(b["type"] == "actions" for b in told["blocks"])


async def test_typing_in_the_form_updates_the_hint() -> None:
    ack, client = FakeAck(), FakeClient()
    body = {"view": form_view("600100200", "Zażółć")}
    await within_slack_time(
        sms.handle_text_typed(cast(AsyncAck, ack), body, cast(AsyncWebClient, client), bridge=cast("Bridge", FakeBridge()))
    )
    assert ack.only == {}
    [update] = client.updated
    assert update["view_id"] == "V1" and update["hash"] == "h1"
    hint = views.sms_form(channel_id="C0GENERAL", timezone="Europe/Warsaw", hint=views.text_hint("Zażółć", "auto"))
    assert update["view"] == hint
