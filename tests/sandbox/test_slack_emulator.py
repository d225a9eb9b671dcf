"""The Slack emulator answers the real slack_sdk client the way Slack does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.slack import SlackState, create_slack_emulator
from bot.slack.app import build_web_client


@pytest.fixture
async def slack() -> AsyncIterator[SlackState]:
    state = SlackState()
    async with LoopbackServer(create_slack_emulator(state), lifespan="off") as server:
        state.config.public_url = server.url
        yield state
    await state.aclose()


def client(state: SlackState, token: str | None = None) -> AsyncWebClient:
    return build_web_client(token or state.config.bot_token, state.config.public_url + "/api/")


async def test_auth_test_names_the_bot_so_bolt_can_ignore_its_own_messages(slack: SlackState) -> None:
    answer = await client(slack).auth_test()
    assert answer["user_id"] == slack.config.bot_user_id and answer["bot_id"] == slack.config.bot_id
    with pytest.raises(SlackApiError) as caught:
        await client(slack, "xoxb-wrong").auth_test()
    assert caught.value.response["error"] == "invalid_auth"


async def test_messages_threads_updates_and_reactions(slack: SlackState) -> None:
    web = client(slack)
    parent = await web.chat_postMessage(channel="C0SMSBRIDGE", text="parent")
    reply = await web.chat_postMessage(channel="C0SMSBRIDGE", text="reply", thread_ts=parent["ts"])
    await web.chat_update(channel="C0SMSBRIDGE", ts=reply["ts"], text="reply, edited")
    await web.reactions_add(channel="C0SMSBRIDGE", timestamp=reply["ts"], name="memo")
    with pytest.raises(SlackApiError) as twice:
        await web.reactions_add(channel="C0SMSBRIDGE", timestamp=reply["ts"], name="memo")
    assert twice.value.response["error"] == "already_reacted"
    replies = await web.conversations_replies(channel="C0SMSBRIDGE", ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["parent", "reply, edited"]
    with pytest.raises(SlackApiError) as missing:
        await web.chat_postMessage(channel="C0NOSUCH", text="x")
    assert missing.value.response["error"] == "channel_not_found"


async def test_files_upload_v2_lands_the_bytes_in_the_thread(slack: SlackState) -> None:
    web = client(slack)
    parent = await web.chat_postMessage(channel="C0SMSBRIDGE", text="parent")
    upload = await web.files_upload_v2(channel="C0SMSBRIDGE", thread_ts=parent["ts"], file=b"\x89PNG\r\n\x1a\nxx", filename="a.png")
    file_id = upload["file"]["id"]
    assert slack.files[file_id].content == b"\x89PNG\r\n\x1a\nxx"
    info = await web.files_info(file=file_id)
    assert info["file"]["shares"]["public"]["C0SMSBRIDGE"][0]["thread_ts"] == parent["ts"]


async def test_private_downloads_need_the_bot_token_or_get_a_login_page(slack: SlackState) -> None:
    shared = slack.share_file("U0ANNA", "photo.png", b"\x89PNG\r\n\x1a\n", "image/png")
    async with httpx.AsyncClient() as http:
        anonymous = await http.get(shared["url_private_download"])
        with_token = await http.get(shared["url_private_download"], headers={"Authorization": f"Bearer {slack.config.bot_token}"})
    assert anonymous.status_code == 200 and anonymous.headers["content-type"].startswith("text/html")
    assert with_token.content == b"\x89PNG\r\n\x1a\n"


async def test_faults_rate_limit_with_retry_after_and_fail_with_500(slack: SlackState) -> None:
    slack.fail("chat.postMessage", 429, times=1, retry_after=1)
    posted = await client(slack).chat_postMessage(channel="C0SMSBRIDGE", text="waits out a 429")
    assert posted["ok"]
    assert [c.status for c in slack.calls if c.method == "chat.postMessage"] == [429, 200]
    slack.fail("chat.postMessage", 429, times=4, retry_after=1)
    with pytest.raises(SlackApiError) as limited:
        await client(slack).chat_postMessage(channel="C0SMSBRIDGE", text="x")
    assert limited.value.response.status_code == 429
    slack.fail("chat.update", 500)
    with pytest.raises(SlackApiError) as broken:
        await client(slack).chat_update(channel="C0SMSBRIDGE", ts="1.1", text="x")
    assert broken.value.response.status_code == 500
