"""The card's buttons, picker, menu and forms, called directly with fakes: each acks once,
hands the press to the bridge, and ignores (but acks) what no card of ours could send."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import pytest
from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import card
from bot.slack.listeners import cards
from bot.sms.numbers import PhoneE164
from tests.slack.listeners.fakes import FakeAck, FakeClient, within_slack_time

if TYPE_CHECKING:
    from bot.bridge import Bridge

ANNA, PIOTR = "U0ANNA", "U0PIOTR"
BODY = {"user": {"id": ANNA}, "trigger_id": "trig.1"}
TOMORROW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@dataclass
class CardBridge:
    """The façade's conversation methods, recording each call."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def assign_conversation(self, conversation_id: int, **kwargs: Any) -> None:
        self.calls.append(("assign_conversation", {"id": conversation_id, **kwargs}))

    async def close_conversation(self, conversation_id: int, **kwargs: Any) -> None:
        self.calls.append(("close_conversation", {"id": conversation_id, **kwargs}))

    async def reopen_conversation(self, conversation_id: int, **kwargs: Any) -> None:
        self.calls.append(("reopen_conversation", {"id": conversation_id, **kwargs}))

    async def snooze_conversation(self, conversation_id: int, **kwargs: Any) -> None:
        self.calls.append(("snooze_conversation", {"id": conversation_id, **kwargs}))

    async def snooze_time(self, choice: str, *, user_id: str) -> datetime | None:
        return TOMORROW if choice == "tomorrow" else TOMORROW + timedelta(days=6)

    async def contact_of_conversation(self, conversation_id: int) -> tuple[PhoneE164, str | None] | None:
        return (PhoneE164("+48600100200"), "Anna Kowalska") if conversation_id == 7 else None

    async def name_contact(self, conversation_id: int, **kwargs: Any) -> None:
        self.calls.append(("name_contact", {"id": conversation_id, **kwargs}))

    async def check_number(self, conversation_id: int, **kwargs: Any) -> None:
        self.calls.append(("check_number", {"id": conversation_id, **kwargs}))

    async def set_opt_out(self, conversation_id: int, **kwargs: Any) -> None:
        self.calls.append(("set_opt_out", {"id": conversation_id, **kwargs}))


def bridged(bridge: CardBridge) -> Bridge:
    return cast("Bridge", bridge)


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (cards.handle_assign_me, ("assign_conversation", {"id": 7, "user_id": ANNA, "owner": ANNA, "seen": PIOTR})),
        (cards.handle_close, ("close_conversation", {"id": 7, "user_id": ANNA})),
        (cards.handle_reopen, ("reopen_conversation", {"id": 7, "user_id": ANNA})),
        (cards.handle_check_number, ("check_number", {"id": 7, "user_id": ANNA})),
        (cards.handle_opt_out, ("set_opt_out", {"id": 7, "user_id": ANNA, "out": True})),
    ],
)
async def test_each_button_acks_and_hands_its_conversation_to_the_bridge(handler: Any, expected: tuple[str, dict[str, Any]]) -> None:
    ack, bridge = FakeAck(), CardBridge()
    action = {"action_id": "x", "value": card.card_value(7, PIOTR)}
    await within_slack_time(handler(cast(AsyncAck, ack), BODY, action, bridge=bridged(bridge)))
    assert ack.only == {} and bridge.calls == [expected]


@pytest.mark.parametrize("value", ["", "7", "{}", '{"c": "x"}', "null", '{"c": 7'])
async def test_a_value_no_card_of_ours_could_hold_is_acked_and_ignored(value: str) -> None:
    ack, bridge = FakeAck(), CardBridge()
    await within_slack_time(cards.handle_close(cast(AsyncAck, ack), BODY, {"value": value}, bridge=bridged(bridge)))
    assert ack.only == {} and bridge.calls == []


async def test_the_picker_names_its_card_by_its_block() -> None:
    ack, bridge = FakeAck(), CardBridge()
    action = {"action_id": card.ASSIGN_ACTION, "block_id": "card-people-7-none", "selected_user": PIOTR}
    await within_slack_time(cards.handle_assign(cast(AsyncAck, ack), BODY, action, bridge=bridged(bridge)))
    assert bridge.calls == [("assign_conversation", {"id": 7, "user_id": ANNA, "owner": PIOTR, "seen": None})]
    for block in ("card-number-7-none", "card-people-x-none", "other"):
        await cards.handle_assign(cast(AsyncAck, FakeAck()), BODY, {**action, "block_id": block}, bridge=bridged(bridge))
    assert len(bridge.calls) == 1


async def test_the_snooze_menu_snoozes_wakes_or_opens_the_form() -> None:
    bridge, client = CardBridge(), FakeClient()
    for value in ("tomorrow:7", "wake:7", "pick:7", "forever:7", "tomorrow:x"):
        action = {"selected_option": {"value": value}}
        await cards.handle_snooze(cast(AsyncAck, FakeAck()), BODY, action, cast(AsyncWebClient, client), bridge=bridged(bridge))
    assert bridge.calls == [
        ("snooze_conversation", {"id": 7, "user_id": ANNA, "until": TOMORROW}),
        ("snooze_conversation", {"id": 7, "user_id": ANNA, "until": None}),
    ]
    [opened] = client.opened
    assert opened["view"]["callback_id"] == card.SNOOZE_FORM and opened["trigger_id"] == "trig.1"


async def test_name_opens_the_form_with_the_name_filled_in() -> None:
    client = FakeClient()
    action = {"value": card.card_value(7)}
    await cards.handle_name(cast(AsyncAck, FakeAck()), BODY, action, cast(AsyncWebClient, client), bridge=bridged(CardBridge()))
    [opened] = client.opened
    assert opened["view"]["blocks"][0]["element"]["initial_value"] == "Anna Kowalska"


async def test_opt_back_in_asks_why_first() -> None:
    client, bridge = FakeClient(), CardBridge()
    action = {"value": card.card_value(7)}
    await within_slack_time(
        cards.handle_opt_in(cast(AsyncAck, FakeAck()), BODY, action, cast(AsyncWebClient, client), bridge=bridged(bridge))
    )
    [opened] = client.opened
    assert opened["view"]["callback_id"] == card.OPT_IN_FORM and bridge.calls == []
    assert opened["view"]["blocks"][0]["element"]["min_length"] == 5


async def test_the_reason_form_refuses_a_bare_word_and_hands_a_reason_to_the_bridge() -> None:
    ack, bridge = FakeAck(), CardBridge()
    await cards.handle_opt_in_form(
        cast(AsyncAck, ack), BODY, submitted(card.OPT_IN_FORM, "reason", {"value": " ok "}), bridge=bridged(bridge)
    )
    assert ack.only == {"response_action": "errors", "errors": {"reason": "Say when and how the customer asked to be texted again."}}
    ack = FakeAck()
    view = submitted(card.OPT_IN_FORM, "reason", {"value": "prosiła  telefonicznie 30.11"})
    await cards.handle_opt_in_form(cast(AsyncAck, ack), BODY, view, bridge=bridged(bridge))
    assert ack.only == {}
    assert bridge.calls == [("set_opt_out", {"id": 7, "user_id": ANNA, "out": False, "reason": "prosiła telefonicznie 30.11"})]


def submitted(callback: str, block: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"callback_id": callback, "private_metadata": json.dumps({"c": 7}), "state": {"values": {block: {block: value}}}}


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("   ", "Write a name, or press Cancel to keep the card as it is."),
        ("x" * 201, "A name can be at most 200 characters long."),
    ],
)
async def test_a_name_form_that_cannot_be_saved_says_what_to_fix(typed: str, error: str) -> None:
    ack, bridge = FakeAck(), CardBridge()
    view = submitted(card.NAME_FORM, "name", {"type": "plain_text_input", "value": typed})
    await within_slack_time(cards.handle_name_form(cast(AsyncAck, ack), BODY, view, bridge=bridged(bridge)))
    assert ack.only == {"response_action": "errors", "errors": {"name": error}} and bridge.calls == []


async def test_a_name_is_saved_with_its_spaces_tidied() -> None:
    ack, bridge = FakeAck(), CardBridge()
    view = submitted(card.NAME_FORM, "name", {"type": "plain_text_input", "value": "  Anna   Kowalska "})
    await cards.handle_name_form(cast(AsyncAck, ack), BODY, view, bridge=bridged(bridge))
    assert ack.only == {} and bridge.calls == [("name_contact", {"id": 7, "user_id": ANNA, "name": "Anna Kowalska"})]


@pytest.mark.parametrize("stamp", [None, "soon", 1, True, 10**12])
async def test_a_snooze_time_in_the_past_or_unreadable_is_refused_in_the_form(stamp: Any) -> None:
    ack, bridge = FakeAck(), CardBridge()
    view = submitted(card.SNOOZE_FORM, "until", {"type": "datetimepicker", "selected_date_time": stamp})
    await cards.handle_snooze_form(cast(AsyncAck, ack), BODY, view, bridge=bridged(bridge))
    assert ack.only == {"response_action": "errors", "errors": {"until": "Pick a date and time in the future."}}
    assert bridge.calls == []


async def test_a_snooze_time_in_the_future_snoozes() -> None:
    ack, bridge = FakeAck(), CardBridge()
    later = int(datetime.now(UTC).timestamp()) + 3600
    view = submitted(card.SNOOZE_FORM, "until", {"type": "datetimepicker", "selected_date_time": later})
    await cards.handle_snooze_form(cast(AsyncAck, ack), BODY, view, bridge=bridged(bridge))
    assert ack.only == {} and bridge.calls == [
        ("snooze_conversation", {"id": 7, "user_id": ANNA, "until": datetime.fromtimestamp(later, UTC)})
    ]
