"""The emulator's App Home, as Slack documents it: ``views.publish`` with the Home tab's
rules and errors (through slack_sdk's own client), ``app_home_opened`` delivered signed,
with the published view once there is one, and a checkbox used in the tab."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.sink import RequestSink
from bot.sandbox.slack import SlackState, create_slack_emulator

BOX = {"type": "checkboxes", "action_id": "box", "options": [{"text": {"type": "mrkdwn", "text": "Ping me"}, "value": "ping"}]}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}, {"type": "actions", "elements": [BOX]}]}


@pytest.fixture
async def app() -> AsyncIterator[tuple[SlackState, RequestSink]]:
    state, sink = SlackState(), RequestSink()
    async with LoopbackServer(create_slack_emulator(state), lifespan="off") as server, LoopbackServer(sink, lifespan="off") as target:
        state.config.public_url = server.url
        state.config.events_url = target.url + "/slack/events"
        yield state, sink
    await state.aclose()


def web(state: SlackState) -> AsyncWebClient:
    return AsyncWebClient(token=state.config.bot_token, base_url=state.config.public_url + "/api/")


async def refused(state: SlackState, **arguments: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await web(state).views_publish(**arguments)
    return dict(caught.value.response.data)


async def test_a_home_view_is_published_for_one_person_and_kept_under_one_id(app: tuple[SlackState, RequestSink]) -> None:
    state, _ = app
    first = await web(state).views_publish(user_id="U0ANNA", view=HOME)
    assert first["view"]["type"] == "home" and first["view"]["id"].startswith("V")
    again = await web(state).views_publish(user_id="U0ANNA", view=HOME, hash=first["view"]["hash"])
    assert again["view"]["id"] == first["view"]["id"] and state.home_of("U0ANNA") is not None
    assert state.home_of("U0PIOTR") is None and state.home_publishes == [("U0ANNA", first["view"]["id"])] * 2
    assert (await refused(state, user_id="U0ANNA", view=HOME, hash=first["view"]["hash"]))["error"] == "hash_conflict"


async def test_views_publish_refuses_what_slack_refuses(app: tuple[SlackState, RequestSink]) -> None:
    state, _ = app
    assert (await refused(state, user_id="U0GONE", view=HOME))["error"] == "user_not_found"
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Form"}, "blocks": []}
    answer = await refused(state, user_id="U0ANNA", view=modal)
    assert answer["error"] == "invalid_arguments" and "/view/type" in answer["response_metadata"]["messages"][0]
    many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    answer = await refused(state, user_id="U0ANNA", view=many)
    assert answer["response_metadata"]["messages"] == ["[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"]
    assert (await web(state).views_publish(user_id="U0ANNA", view={**many, "blocks": many["blocks"][:100]}))["ok"]
    huge = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}] * 90}
    assert (await refused(state, user_id="U0ANNA", view=huge))["error"] == "view_too_large"
    state.config.home_tab = False
    assert (await refused(state, user_id="U0ANNA", view=HOME))["error"] == "not_enabled"


async def test_the_manifest_enables_the_home_tab(app: tuple[SlackState, RequestSink]) -> None:
    state, _ = app
    assert state.config.home_tab is None and state.home_tab_enabled()


async def test_opening_the_home_tab_is_a_signed_event_with_the_view_once_published(app: tuple[SlackState, RequestSink]) -> None:
    state, sink = app
    await state.open_home("U0ANNA")
    published = await web(state).views_publish(user_id="U0ANNA", view=HOME)
    await state.open_home("U0ANNA")
    await state.open_home("U0ANNA", tab="messages")
    events = [json.loads(r.body) for r in sink.requests]
    assert [e["event"]["type"] for e in events] == ["app_home_opened"] * 3 and events[0]["type"] == "event_callback"
    first, second, messages = (e["event"] for e in events)
    assert first["user"] == "U0ANNA" and first["tab"] == "home" and first["channel"].startswith("D") and "view" not in first
    assert second["view"]["id"] == published["view"]["id"] and "view" not in messages
    request = sink.requests[0]
    verifier = SignatureVerifier(state.config.signing_secret)
    assert verifier.is_valid_request(request.body, request.headers)
    with pytest.raises(ValueError):
        await state.open_home("U0GONE")


async def test_a_checkbox_in_the_home_tab_sends_block_actions_from_the_view(app: tuple[SlackState, RequestSink]) -> None:
    state, sink = app
    with pytest.raises(ValueError):
        await state.tick_in_home("U0ANNA", "box", ["ping"])  # nothing published yet
    published = await web(state).views_publish(user_id="U0ANNA", view=HOME)
    await state.tick_in_home("U0ANNA", "box", ["ping"])
    with pytest.raises(ValueError):
        await state.tick_in_home("U0ANNA", "box", ["other"])
    payload = json.loads(parse_qs(sink.requests[0].body.decode())["payload"][0])
    assert payload["type"] == "block_actions" and payload["container"] == {"type": "view", "view_id": published["view"]["id"]}
    [action] = payload["actions"]
    assert action["action_id"] == "box" and [o["value"] for o in action["selected_options"]] == ["ping"]
    [values] = payload["view"]["state"]["values"].values()
    assert [o["value"] for o in values["box"]["selected_options"]] == ["ping"]
