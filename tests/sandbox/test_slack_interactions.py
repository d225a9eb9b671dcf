"""People using what the app shows, as Slack sends it: buttons, pickers and menus on a
message, modal submissions and the app's answers to them; and the Web API a live message
needs (broadcast replies, reactions, deletion).

Payload shapes from Slack's interaction payload reference (block_actions, view_submission);
the methods are called with slack_sdk's own client, never the app's.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.slack import SlackState

CHANNEL = "C0SMSBRIDGE"


class App:
    """Stands in for the app's /slack/events: keeps each interaction payload, answers what a test queued."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.answers: deque[dict[str, Any]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await Request(scope, receive).body()
        self.payloads.append(json.loads(parse_qs(body.decode())["payload"][0]))
        response = JSONResponse(self.answers.popleft()) if self.answers else Response(b"")
        await response(scope, receive, send)


@pytest.fixture
async def people(slack: SlackState) -> AsyncIterator[tuple[SlackState, App]]:
    app = App()
    async with LoopbackServer(app, lifespan="off") as target:
        slack.config.events_url = target.url + "/slack/events"
        yield slack, app


def web(state: SlackState) -> AsyncWebClient:
    return AsyncWebClient(token=state.config.bot_token, base_url=state.config.public_url + "/api/")


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": value}


def button(label: str, action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "text": text(label), "action_id": action_id, "value": value}


PICKER: dict[str, Any] = {"type": "users_select", "action_id": "assign", "placeholder": text("Assign…"), "initial_user": "U0ANNA"}
MENU: dict[str, Any] = {
    "type": "overflow",
    "action_id": "snooze",
    "options": [{"text": text("Snooze: 1 hour"), "value": "hour:7"}, {"text": text("Snooze: tomorrow"), "value": "tomorrow:7"}],
}
SELECT: dict[str, Any] = {
    "type": "static_select",
    "action_id": "state",
    "options": [{"text": text("Open"), "value": "open"}, {"text": text("Closed"), "value": "closed"}],
    "initial_option": {"text": text("Open"), "value": "open"},
}
CARD: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Open* · nobody's"}},
    {"type": "actions", "block_id": "people", "elements": [button("Assign to me", "assign_me", "7"), PICKER, MENU]},
    {"type": "actions", "elements": [button("Close", "close", "7")]},  # Slack makes its block_id up
    {"type": "section", "text": {"type": "mrkdwn", "text": "State"}, "accessory": SELECT},
]


async def card(slack: SlackState, *, thread_ts: str | None = None) -> str:
    posted = await web(slack).chat_postMessage(channel=CHANNEL, text="card", blocks=CARD, thread_ts=thread_ts)
    return str(posted["ts"])


# ---- buttons, pickers and menus on a message ------------------------------------------


async def test_a_press_on_a_message_carries_the_message_and_the_real_block_id(people: tuple[SlackState, App]) -> None:
    slack, app = people
    ts = await card(slack)
    response, hook = await slack.press_button(button("Assign to me", "assign_me", "7"), user="U0PIOTR", channel=CHANNEL, message_ts=ts)
    assert response.status_code == 200
    [payload] = app.payloads
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U0PIOTR"
    assert payload["container"] == {"type": "message", "message_ts": ts, "channel_id": CHANNEL, "is_ephemeral": False}
    assert payload["response_url"].endswith(f"/hooks/{hook}")
    [action] = payload["actions"]
    assert action["type"] == "button" and action["block_id"] == "people" and action["value"] == "7"
    assert action["text"] == text("Assign to me") and action["action_ts"]
    message = payload["message"]
    assert (
        message["ts"] == ts
        and message["bot_id"] == slack.config.bot_id
        and [b["type"] for b in message["blocks"]]
        == [
            "section",
            "actions",
            "actions",
            "section",
        ]
    )
    assert all(b["block_id"] for b in message["blocks"])
    assert payload["state"]["values"]["people"]["assign"] == {"type": "users_select", "selected_user": "U0ANNA"}

    await slack.press_button({"action_id": "close", "value": "7"}, user="U0ANNA", channel=CHANNEL, message_ts=ts)
    made_up = app.payloads[1]["actions"][0]["block_id"]
    assert made_up == app.payloads[1]["message"]["blocks"][2]["block_id"] == message["blocks"][2]["block_id"]


async def test_a_press_in_a_thread_names_the_thread_and_an_unknown_message_works_as_before(people: tuple[SlackState, App]) -> None:
    slack, app = people
    parent = await web(slack).chat_postMessage(channel=CHANNEL, text="parent")
    ts = await card(slack, thread_ts=str(parent["ts"]))
    await slack.press_button(button("Close", "close", "7"), user="U0ANNA", channel=CHANNEL, message_ts=ts)
    assert app.payloads[0]["container"]["thread_ts"] == parent["ts"]
    await slack.press_button(button("Send", "sms_send", "1"), user="U0ANNA", channel=CHANNEL)  # a private answer
    private = app.payloads[1]
    assert private["container"]["is_ephemeral"] is True and "message" not in private
    assert private["actions"][0]["block_id"] == "b" and private["actions"][0]["value"] == "1"


async def test_what_a_message_does_not_show_cannot_be_used(people: tuple[SlackState, App]) -> None:
    slack, app = people
    ts = await card(slack)
    with pytest.raises(ValueError, match="does not show"):
        await slack.press_button(button("Reopen", "reopen", "7"), user="U0ANNA", channel=CHANNEL, message_ts=ts)
    with pytest.raises(ValueError, match="does not show"):
        await slack.press_button(button("Close", "close", "8"), user="U0ANNA", channel=CHANNEL, message_ts=ts)  # another value
    await web(slack).chat_update(channel=CHANNEL, ts=ts, text="card", blocks=CARD[:2])
    with pytest.raises(ValueError, match="does not show"):
        await slack.press_button(button("Close", "close", "7"), user="U0ANNA", channel=CHANNEL, message_ts=ts)
    await web(slack).chat_delete(channel=CHANNEL, ts=ts)
    with pytest.raises(ValueError, match="deleted"):
        await slack.press_button(button("Assign to me", "assign_me", "7"), user="U0ANNA", channel=CHANNEL, message_ts=ts)
    with pytest.raises(ValueError, match="select_user"):
        await slack.press_button(PICKER, user="U0ANNA", channel=CHANNEL)
    assert app.payloads == []


async def test_picking_a_person_sends_selected_user(people: tuple[SlackState, App]) -> None:
    slack, app = people
    ts = await card(slack)
    response, _ = await slack.select_user(PICKER, user="U0ANNA", channel=CHANNEL, message_ts=ts, chosen="U0PIOTR")
    assert response.status_code == 200
    [action] = app.payloads[0]["actions"]
    assert action["type"] == "users_select" and action["action_id"] == "assign" and action["block_id"] == "people"
    assert action["selected_user"] == "U0PIOTR" and action["initial_user"] == "U0ANNA"
    assert app.payloads[0]["state"]["values"]["people"]["assign"] == {"type": "users_select", "selected_user": "U0PIOTR"}
    with pytest.raises(ValueError, match="not a member"):
        await slack.select_user(PICKER, user="U0ANNA", channel=CHANNEL, message_ts=ts, chosen="U0NOBODY")
    with pytest.raises(ValueError, match="not a users_select"):
        await slack.select_user(MENU, user="U0ANNA", channel=CHANNEL, message_ts=ts, chosen="U0PIOTR")


async def test_choosing_from_a_menu_sends_the_option_with_its_text(people: tuple[SlackState, App]) -> None:
    slack, app = people
    ts = await card(slack)
    await slack.choose_option(MENU, "tomorrow:7", user="U0KASIA", channel=CHANNEL, message_ts=ts)
    [action] = app.payloads[0]["actions"]
    assert action["type"] == "overflow" and action["block_id"] == "people"
    assert action["selected_option"] == {"text": text("Snooze: tomorrow"), "value": "tomorrow:7"}
    await slack.choose_option(SELECT, "closed", user="U0KASIA", channel=CHANNEL, message_ts=ts)
    chosen = app.payloads[1]["actions"][0]
    assert chosen["type"] == "static_select" and chosen["selected_option"] == {"text": text("Closed"), "value": "closed"}
    assert chosen["block_id"] == app.payloads[1]["message"]["blocks"][3]["block_id"]
    state = app.payloads[1]["state"]["values"][chosen["block_id"]]["state"]
    assert state == {"type": "static_select", "selected_option": {"text": text("Closed"), "value": "closed"}}
    with pytest.raises(ValueError, match="offers no option 'week:7'"):
        await slack.choose_option(MENU, "week:7", user="U0KASIA", channel=CHANNEL, message_ts=ts)
    with pytest.raises(ValueError, match="not an overflow or static_select"):
        await slack.choose_option(PICKER, "U0PIOTR", user="U0KASIA", channel=CHANNEL, message_ts=ts)
    assert len(app.payloads) == 2


async def test_the_response_url_of_a_message_action_replaces_or_deletes_it(people: tuple[SlackState, App]) -> None:
    slack, _ = people
    ts = await card(slack)
    _, hook = await slack.press_button(button("Close", "close", "7"), user="U0ANNA", channel=CHANNEL, message_ts=ts)
    async with httpx.AsyncClient() as http:
        replaced = await http.post(
            f"{slack.config.public_url}/hooks/{hook}", json={"replace_original": True, "text": "Closed by <@U0ANNA>"}
        )
        assert replaced.text == "ok"
        message = slack.messages[(CHANNEL, ts)]
        assert message.text == "Closed by <@U0ANNA>" and message.blocks is None and message.edits == 1
        assert [s.where for s in slack.pings_anywhere()] == [f"{CHANNEL}/{ts}"]
        _, hook = await slack.press_button(button("x", "x", "x"), user="U0ANNA", channel=CHANNEL, message_ts="1.000001")
        await http.post(f"{slack.config.public_url}/hooks/{hook}", json={"delete_original": True})  # a message it never knew
        await http.post(f"{slack.config.public_url}/hooks/{hook}", json={"text": "just for you"})
        assert not message.deleted and slack.hook_posts(hook)[-1] == {"text": "just for you"}
        ts = await card(slack)
        _, hook = await slack.press_button(button("Close", "close", "7"), user="U0ANNA", channel=CHANNEL, message_ts=ts)
        await http.post(f"{slack.config.public_url}/hooks/{hook}", json={"delete_original": True})
    assert slack.messages[(CHANNEL, ts)].deleted


# ---- modals ----------------------------------------------------------------------------

FORM: dict[str, Any] = {
    "type": "modal",
    "callback_id": "form",
    "private_metadata": json.dumps({"c": 7}),
    "title": text("Contact"),
    "submit": text("Save"),
    "blocks": [
        {
            "type": "input",
            "block_id": "name",
            "label": text("Name"),
            "element": {"type": "plain_text_input", "action_id": "name", "max_length": 20},
        },
        {
            "type": "input",
            "block_id": "until",
            "label": text("Until"),
            "optional": True,
            "element": {"type": "datetimepicker", "action_id": "until"},
        },
        {"type": "input", "block_id": "owner", "label": text("Owner"), "optional": True, "element": {**PICKER, "action_id": "owner"}},
        {"type": "input", "block_id": "state", "label": text("State"), "element": SELECT},
        {
            "type": "input",
            "block_id": "note",
            "label": text("Note"),
            "optional": True,
            "dispatch_action": True,
            "element": {"type": "plain_text_input", "action_id": "note", "initial_value": "pierwsza"},
        },
        {"type": "actions", "elements": [button("Clear", "clear", "1")]},
    ],
}


async def opened(slack: SlackState, view: dict[str, Any] = FORM) -> str:
    answer = await web(slack).views_open(trigger_id="trig.1", view=view)
    return str(answer["view"]["id"])


async def test_a_submission_carries_every_input_as_slack_shapes_it(people: tuple[SlackState, App]) -> None:
    slack, app = people
    view_id = await opened(slack)
    values: dict[str, dict[str, Any]] = {
        "name": {"name": {"type": "plain_text_input", "value": "Jan & <Ola>"}},
        "until": {"until": {"type": "datetimepicker", "selected_date_time": 1_900_000_000}},
        "state": {"state": {"selected_option": {"value": "closed"}}},
    }
    response = await slack.submit_view(view_id, "U0ANNA", values)
    assert response.status_code == 200 and response.text == ""
    [payload] = app.payloads
    assert payload["type"] == "view_submission" and payload["user"]["id"] == "U0ANNA"
    view = payload["view"]
    assert view["id"] == view_id and view["callback_id"] == "form" and json.loads(view["private_metadata"]) == {"c": 7}
    assert view["state"]["values"] == {
        "name": {"name": {"type": "plain_text_input", "value": "Jan & <Ola>"}},
        "until": {"until": {"type": "datetimepicker", "selected_date_time": 1_900_000_000}},
        "owner": {"owner": {"type": "users_select", "selected_user": "U0ANNA"}},  # untouched: as it was shown
        "state": {"state": {"type": "static_select", "selected_option": {"text": text("Closed"), "value": "closed"}}},
        "note": {"note": {"type": "plain_text_input", "value": "pierwsza"}},
    }
    assert slack.view_answers == [(view_id, {})]  # nothing answered: the modal closes
    cleared: dict[str, dict[str, Any]] = {
        "name": {"name": {"type": "plain_text_input", "value": "Jan"}},
        "note": {"note": {"type": "plain_text_input", "value": ""}},
    }
    await slack.submit_view(view_id, "U0PIOTR", {**cleared, "owner": {"owner": {"type": "users_select", "selected_user": None}}})
    state = app.payloads[1]["view"]["state"]["values"]
    assert (
        state["note"]["note"]["value"] is None
        and state["owner"]["owner"]["selected_user"] is None
        and state["until"]["until"]
        == {
            "type": "datetimepicker",
            "selected_date_time": None,
        }
    )


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"nmae": {"name": {"type": "plain_text_input", "value": "x"}}}, "no input block 'nmae'"),
        ({"name": {"nmae": {"type": "plain_text_input", "value": "x"}}}, "holds 'name', not"),
        ({"name": {"name": {"type": "datetimepicker", "selected_date_time": 1}}}, "is a plain_text_input, not a datetimepicker"),
        ({"until": {"until": {"type": "datetimepicker", "value": "jutro"}}}, "sends 'selected_date_time'"),
        ({"until": {"until": {"type": "datetimepicker", "selected_date_time": "1900000000"}}}, "unix seconds"),
        ({"owner": {"owner": {"type": "users_select", "selected_user": "U0NOBODY"}}}, "not a member"),
        ({"state": {"state": {"type": "static_select", "selected_option": {"value": "lost"}}}}, "offers no option 'lost'"),
        ({"name": {"name": {"type": "plain_text_input", "value": ""}}}, "required and empty"),
        ({"name": {"name": {"type": "plain_text_input", "value": "x" * 21}}}, "at most 20 characters"),
        ({"clear": {"clear": {"type": "button"}}}, "no input block 'clear'"),
    ],
)
async def test_a_submission_slack_would_never_send_fails_the_test(
    people: tuple[SlackState, App], values: dict[str, dict[str, Any]], complaint: str
) -> None:
    slack, app = people
    view_id = await opened(slack)
    named = {"name": {"name": {"type": "plain_text_input", "value": "Jan"}}}
    with pytest.raises(ValueError, match=complaint):
        await slack.submit_view(view_id, "U0ANNA", {**named, **values})
    assert app.payloads == []


async def test_the_apps_answer_to_a_submission_is_kept_and_acted_on(people: tuple[SlackState, App]) -> None:
    slack, app = people
    view_id = await opened(slack)
    named = {"name": {"name": {"type": "plain_text_input", "value": "Jan"}}}
    app.answers.append({"response_action": "errors", "errors": {"name": "Write a shorter name."}})
    answer = await slack.submit_view(view_id, "U0ANNA", named)
    assert answer.json()["response_action"] == "errors"
    assert slack.view_errors(view_id) == {"name": "Write a shorter name."} and slack.view_refusals == []

    app.answers.append({"response_action": "errors", "errors": {"clear": "Not an input."}})
    await slack.submit_view(view_id, "U0ANNA", named)
    assert slack.view_refusals[-1][0] == view_id and "clear" in slack.view_refusals[-1][2]

    done = {
        "type": "modal",
        "title": text("Saved"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Saved <@U0PIOTR>"}}],
    }
    app.answers.append({"response_action": "update", "view": done})
    await slack.submit_view(view_id, "U0ANNA", named)
    assert slack.views[view_id]["title"] == text("Saved") and slack.view_errors(view_id) == {}
    assert ("view:" + view_id, ("user", "U0PIOTR")) in slack.pings_anywhere()
    with pytest.raises(ValueError, match="no input block 'name'"):
        await slack.submit_view(view_id, "U0ANNA", named)
    with pytest.raises(ValueError, match="never opened"):
        await slack.submit_view("V0NOSUCH", "U0ANNA", {})


async def test_typing_and_pressing_inside_a_modal(people: tuple[SlackState, App]) -> None:
    slack, app = people
    view_id = await opened(slack)
    typed = {"note": {"note": {"type": "plain_text_input", "value": "druga"}}}
    await slack.type_in_view(view_id, "U0ANNA", typed, block_id="note", action_id="note")
    [payload] = app.payloads
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["actions"][0]["value"] == "druga" and payload["actions"][0]["type"] == "plain_text_input"
    assert payload["view"]["state"]["values"]["name"]["name"]["value"] is None  # nothing typed there yet
    with pytest.raises(ValueError, match="dispatches"):
        await slack.type_in_view(
            view_id, "U0ANNA", {"name": {"name": {"type": "plain_text_input", "value": "J"}}}, block_id="name", action_id="name"
        )
    await slack.press_button_in_view(view_id, {"action_id": "clear", "value": "1"}, user="U0ANNA")
    pressed = app.payloads[1]
    assert (
        pressed["actions"][0]["action_id"] == "clear" and pressed["actions"][0]["block_id"] == slack.views[view_id]["blocks"][5]["block_id"]
    )
    with pytest.raises(ValueError, match="does not show"):
        await slack.press_button_in_view(view_id, {"action_id": "nothing"}, user="U0ANNA")


# ---- what a live message needs from the Web API ------------------------------------------


async def test_a_broadcast_reply_is_in_the_thread_and_in_the_channel(slack: SlackState) -> None:
    client = web(slack)
    parent = await client.chat_postMessage(channel=CHANNEL, text="parent")
    quiet = await client.chat_postMessage(channel=CHANNEL, text="only in the thread", thread_ts=parent["ts"])
    loud = await client.chat_postMessage(channel=CHANNEL, text="also in the channel", thread_ts=parent["ts"], reply_broadcast=True)
    assert loud["message"]["subtype"] == "thread_broadcast" and loud["message"]["thread_ts"] == parent["ts"]
    replies = await client.conversations_replies(channel=CHANNEL, ts=parent["ts"])
    assert [m["ts"] for m in replies["messages"]] == [parent["ts"], quiet["ts"], loud["ts"]]
    history = await client.conversations_history(channel=CHANNEL)
    assert [(m["text"], m.get("subtype")) for m in history["messages"]] == [("also in the channel", "thread_broadcast"), ("parent", None)]
    assert [m.ts for m in slack.top_level(CHANNEL)] == [parent["ts"]]  # thread parents only
    assert [m.ts for m in slack.in_channel(CHANNEL)] == [parent["ts"], loud["ts"]]
    top = await client.chat_postMessage(channel=CHANNEL, text="not a reply", reply_broadcast=True)
    assert "subtype" not in top["message"] and len(slack.top_level(CHANNEL)) == 2


async def test_reactions_are_listed_and_their_names_checked(slack: SlackState) -> None:
    # reactions.get is the emulator's, checked here; the app itself does not ask for reactions:read.
    slack.config.scopes = [*(slack.granted_scopes() or ()), "reactions:read"]
    client = web(slack)
    posted = await client.chat_postMessage(channel=CHANNEL, text="reply")
    ts = str(posted["ts"])
    none = await client.reactions_get(channel=CHANNEL, timestamp=ts)
    assert none["type"] == "message" and none["channel"] == CHANNEL and "reactions" not in none["message"]
    for name in ("hourglass_flowing_sand", "+1", "white_check_mark"):
        await client.reactions_add(channel=CHANNEL, timestamp=ts, name=name)
    await client.reactions_remove(channel=CHANNEL, timestamp=ts, name="hourglass_flowing_sand")
    got = await client.reactions_get(channel=CHANNEL, timestamp=ts)
    bot = slack.config.bot_user_id
    assert got["message"]["ts"] == ts and got["message"]["reactions"] == [
        {"name": "+1", "users": [bot], "count": 1},
        {"name": "white_check_mark", "users": [bot], "count": 1},
    ]
    for bad in ("", ":memo:", "white check mark", "Memo"):
        with pytest.raises(SlackApiError) as refused:
            await client.reactions_add(channel=CHANNEL, timestamp=ts, name=bad)
        assert refused.value.response["error"] == "invalid_name", bad
    for call, error in ((client.reactions_add, "already_reacted"), (client.reactions_remove, "no_reaction")):
        with pytest.raises(SlackApiError) as refused:
            await call(channel=CHANNEL, timestamp=ts, name="+1" if error == "already_reacted" else "memo")
        assert refused.value.response["error"] == error
    slack.config.scopes = [s for s in slack.granted_scopes() or () if s != "reactions:read"]
    with pytest.raises(SlackApiError) as unscoped:
        await client.reactions_get(channel=CHANNEL, timestamp=ts)
    assert unscoped.value.response["error"] == "missing_scope" and unscoped.value.response["needed"] == "reactions:read"


async def test_a_deleted_message_is_gone_for_every_method(slack: SlackState) -> None:
    # reactions.get is the emulator's, checked here; the app itself does not ask for reactions:read.
    slack.config.scopes = [*(slack.granted_scopes() or ()), "reactions:read"]
    client = web(slack)
    parent = await client.chat_postMessage(channel=CHANNEL, text="parent")
    status = await client.chat_postMessage(channel=CHANNEL, text="Sending…", thread_ts=parent["ts"])
    kept = await client.chat_postMessage(channel=CHANNEL, text="kept", thread_ts=parent["ts"])
    await client.chat_delete(channel=CHANNEL, ts=status["ts"])
    replies = await client.conversations_replies(channel=CHANNEL, ts=parent["ts"])
    assert [m["ts"] for m in replies["messages"]] == [parent["ts"], kept["ts"]]
    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: client.chat_update(channel=CHANNEL, ts=status["ts"], text="Sent"),
        lambda: client.chat_delete(channel=CHANNEL, ts=status["ts"]),
        lambda: client.reactions_add(channel=CHANNEL, timestamp=status["ts"], name="memo"),
        lambda: client.reactions_get(channel=CHANNEL, timestamp=status["ts"]),
    ]
    for call in calls:
        with pytest.raises(SlackApiError) as gone:
            await call()
        assert gone.value.response["error"] == "message_not_found"
    await client.chat_delete(channel=CHANNEL, ts=parent["ts"])
    history = await client.conversations_history(channel=CHANNEL)
    assert history["messages"] == []
