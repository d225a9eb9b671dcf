"""What Slack refuses: Block Kit limits, over-long text, and its permanent errors.

Limits from Slack's Block Kit reference; the answer's shape (``errors`` and
``response_metadata.messages`` with JSON pointers) as Slack returns it; text over
40,000 characters cut with a ``message_truncated`` warning (Slack changelog
"Truncating really long messages"); permanent errors as HTTP 200 ``ok: false``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import PERMANENT_ERRORS, SlackState


def web(state: SlackState) -> AsyncWebClient:
    return AsyncWebClient(token=state.config.bot_token, base_url=state.config.public_url + "/api/")


def section(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": "section", "text": {"type": kind, "text": text}}


def button(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": "go", **extra}


async def refused(state: SlackState, **message: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await web(state).chat_postMessage(channel="C0SMSBRIDGE", **message)
    assert caught.value.response.status_code == 200
    return dict(caught.value.response.data)


def errors(answer: dict[str, Any]) -> list[str]:
    assert answer["error"] == "invalid_blocks"
    found: list[str] = answer["errors"]
    assert answer["response_metadata"]["messages"] == [f"[ERROR] {e}" for e in found]
    return found


LIMITS = [
    ([section("x")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
    ([section("x" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
    ([section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    (
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    ([{"type": "header", "text": {"type": "mrkdwn", "text": "*x*"}}], "failed to match all allowed schemas [json-pointer:/blocks/0/text]"),
    (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ),
    (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ),
    (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ),
    (
        [{"type": "actions", "elements": [button("x" * 76)]}],
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ),
    (
        [{"type": "actions", "elements": [button("ok", value="v" * 2001)]}],
        "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ),
    ([{"type": "actions", "elements": [button("ok")] * 26}], "no more than 25 items allowed [json-pointer:/blocks/0/elements]"),
    (
        [{"type": "actions", "elements": [button("ok", style="green")]}],
        "must be one of primary, danger [json-pointer:/blocks/0/elements/0/style]",
    ),
    ([{**section("x"), "block_id": "b" * 256}], "must be less than 256 characters [json-pointer:/blocks/0/block_id]"),
    (
        [{"type": "image", "image_url": "https://x.pl/a.png", "alt_text": "a" * 2001}],
        "must be less than 2001 characters [json-pointer:/blocks/0/alt_text]",
    ),
    ([{"type": "no_such_block"}], "failed to match all allowed schemas [json-pointer:/blocks/0]"),
]


@pytest.mark.parametrize(("blocks", "problem"), LIMITS, ids=[problem.split(" [")[0] + f" #{i}" for i, (_, problem) in enumerate(LIMITS)])
async def test_block_kit_limits_are_refused_with_slacks_pointers(slack: SlackState, blocks: list[dict[str, Any]], problem: str) -> None:
    assert problem in errors(await refused(slack, text="fallback", blocks=blocks))
    assert not slack.messages and not slack.calls_to("chat.postMessage")


async def test_a_section_over_3000_names_the_text_object_too_and_the_limits_themselves_pass(slack: SlackState) -> None:
    assert errors(await refused(slack, text="x", blocks=[section("x" * 3001)])) == [
        "failed to match all allowed schemas [json-pointer:/blocks/0/text]",
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ]
    at_limits = [
        section("x" * 3000),
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        {"type": "context", "elements": [{"type": "plain_text", "text": "c"}] * 10},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10},
        {"type": "actions", "elements": [button("b" * 75, value="v" * 2000)] * 25},
    ]
    posted = await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="x", blocks=at_limits + [section("y")] * 45)
    assert len(slack.messages[("C0SMSBRIDGE", posted["ts"])].blocks or []) == 50


async def test_updates_and_ephemeral_messages_keep_the_same_limits(slack: SlackState) -> None:
    client = web(slack)
    posted = await client.chat_postMessage(channel="C0SMSBRIDGE", text="ok", blocks=[section("ok")])
    with pytest.raises(SlackApiError) as update:
        await client.chat_update(channel="C0SMSBRIDGE", ts=posted["ts"], text="ok", blocks=[section("x" * 3001)])
    assert "must be less than 3001 characters [json-pointer:/blocks/0/text/text]" in errors(dict(update.value.response.data))
    assert slack.messages[("C0SMSBRIDGE", posted["ts"])].blocks == [section("ok")]
    with pytest.raises(SlackApiError) as ephemeral:
        await client.chat_postEphemeral(channel="C0SMSBRIDGE", user="U0ANNA", text="x", blocks=[section("x")] * 51)
    assert errors(dict(ephemeral.value.response.data)) == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert not slack.ephemeral


async def test_no_text_and_blocks_that_are_not_an_array(slack: SlackState) -> None:
    client = web(slack)  # api_call: slack_sdk's chat_* helpers would warn before sending these

    async def answer(method: str, **body: Any) -> dict[str, Any]:
        with pytest.raises(SlackApiError) as caught:
            await client.api_call(method, json={"channel": "C0SMSBRIDGE", **body})
        return dict(caught.value.response.data)

    assert (await answer("chat.postMessage"))["error"] == "no_text"
    assert (await answer("chat.postMessage", text="", blocks=[]))["error"] == "no_text"
    assert (await answer("chat.postMessage", blocks='{"type": "section"}'))["error"] == "invalid_blocks_format"
    assert (await answer("chat.postEphemeral", user="U0ANNA", text=""))["error"] == "no_text"


async def test_text_over_40000_characters_is_cut_and_warned_or_refused_when_asked(slack: SlackState) -> None:
    posted = await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="a" * 40_001)
    message = slack.messages[("C0SMSBRIDGE", posted["ts"])]
    assert len(message.text) == 40_000 and message.truncated and slack.truncated() == [message]
    assert posted["warning"] == "message_truncated"
    assert posted["response_metadata"]["warnings"] == ["message_truncated"]
    exactly = await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="b" * 40_000)
    assert not slack.messages[("C0SMSBRIDGE", exactly["ts"])].truncated and "warning" not in exactly.data
    slack.config.long_text = "refuse"
    assert (await refused(slack, text="a" * 40_001))["error"] == "msg_too_long"


async def test_response_urls_answer_like_slacks_webhooks(slack: SlackState) -> None:
    url = f"{slack.config.public_url}/hooks/H9"
    async with httpx.AsyncClient() as http:
        bad = await http.post(url, json={"text": "x", "blocks": [section("x" * 3001)]})
        empty = await http.post(url, json={"response_type": "ephemeral"})
        good = await http.post(url, json={"text": "ok", "blocks": [section("ok")]})
        gone = await http.post(url, json={"delete_original": True})
    assert (bad.status_code, bad.text) == (400, "invalid_blocks")
    assert (empty.status_code, empty.text) == (400, "no_text")
    assert (good.status_code, good.text) == (200, "ok") and gone.status_code == 200
    assert slack.hook_posts("H9") == [{"text": "ok", "blocks": [section("ok")]}, {"delete_original": True}]
    assert [error for _, _, error in slack.hook_refusals] == ["invalid_blocks", "no_text"]


async def test_modals_keep_their_limits(slack: SlackState) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": [section("x")] * 101}
    with pytest.raises(SlackApiError) as caught:
        await web(slack).views_open(trigger_id="t", view=view)
    answer = caught.value.response.data
    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]",
    ]


# ---- permanent refusals on demand ---------------------------------------------------------


async def test_the_next_calls_of_a_method_are_refused_for_good(slack: SlackState) -> None:
    slack.refuse("channel_not_found", method="chat.postMessage", times=2)
    for _ in range(2):
        assert (await refused(slack, text="x"))["error"] == "channel_not_found"
    assert (await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="third"))["ok"]
    assert [c.error for c in slack.calls] == ["channel_not_found", "channel_not_found", None]


async def test_a_channel_can_be_archived_until_cleared(slack: SlackState) -> None:
    client = web(slack)
    parent = await client.chat_postMessage(channel="C0SMSBRIDGE", text="before")
    slack.refuse("is_archived", channel="C0SMSBRIDGE", times=None)
    for attempt in (
        client.chat_postMessage(channel="C0SMSBRIDGE", text="x"),
        client.chat_update(channel="C0SMSBRIDGE", ts=parent["ts"], text="y"),
    ):
        with pytest.raises(SlackApiError) as caught:
            await attempt
        assert caught.value.response["error"] == "is_archived"
    assert (await client.chat_postMessage(channel="C0GENERAL", text="elsewhere"))["ok"]
    slack.clear_refusals()
    assert (await client.chat_postMessage(channel="C0SMSBRIDGE", text="after"))["ok"]


@pytest.mark.parametrize("error", ["invalid_auth", "account_inactive"])
async def test_a_dead_token_is_refused_by_every_method(slack: SlackState, error: str) -> None:
    slack.refuse(error, times=None)
    for call in (web(slack).auth_test(), web(slack).users_info(user="U0ANNA"), web(slack).chat_postMessage(channel="C0GENERAL", text="x")):
        with pytest.raises(SlackApiError) as caught:
            await call
        assert caught.value.response.status_code == 200 and caught.value.response.data == {"ok": False, "error": error}


async def test_missing_scope_names_what_is_needed_and_what_the_token_has(slack: SlackState) -> None:
    slack.refuse("missing_scope", method="chat.postMessage")
    answer = await refused(slack, text="x")
    assert answer["needed"] == "chat:write" and set(answer["provided"].split(",")) == slack.granted_scopes()
    slack.fail("reactions.add", error="missing_scope")
    with pytest.raises(SlackApiError) as caught:
        await web(slack).reactions_add(channel="C0SMSBRIDGE", timestamp="1.1", name="x")
    assert caught.value.response["needed"] == "reactions:write"


@pytest.mark.parametrize("error", PERMANENT_ERRORS)
async def test_fail_queues_any_permanent_error_as_slack_answers_it(slack: SlackState, error: str) -> None:
    slack.fail("chat.postMessage", error=error)
    answer = await refused(slack, text="x")
    assert answer["ok"] is False and answer["error"] == error
    assert (await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="then fine"))["ok"]
