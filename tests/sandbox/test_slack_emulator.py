"""The Slack emulator answers the real slack_sdk client the way Slack does.

It is written from Slack's documentation and imports nothing of the app it checks;
these tests use slack_sdk's own client, never the app's.
"""

from __future__ import annotations

import ast
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

import bot.sandbox.slack as emulator
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.sink import RequestSink
from bot.sandbox.slack import SlackConfig, SlackState, create_slack_emulator
from bot.sandbox.slack.markup import render_text


@pytest.fixture
async def app() -> AsyncIterator[tuple[SlackState, RequestSink]]:
    """The emulator wired to a sink standing in for the app's /slack/events."""
    state, sink = SlackState(), RequestSink()
    async with LoopbackServer(create_slack_emulator(state), lifespan="off") as server, LoopbackServer(sink, lifespan="off") as target:
        state.config.public_url = server.url
        state.config.events_url = target.url + "/slack/events"
        yield state, sink
    await state.aclose()


def client(state: SlackState, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(
        token=token or state.config.bot_token,
        base_url=state.config.public_url + "/api/",
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )


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


# ---- what a message would do to people (Slack's formatting reference) --------------------


async def test_mentions_and_links_in_text_and_mrkdwn_are_recorded_but_plain_text_is_not(slack: SlackState) -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "<!channel> header is plain"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "hej <@U0ANNA>, zobacz <https://evil.example/x|Twój bank>"}},
        {"type": "section", "text": {"type": "plain_text", "text": "<@U0PIOTR> <https://plain.example|no>"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "<!subteam^S0SUPPORT> <#C0GENERAL>"}]},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "<!here>"}, "action_id": "a"}]},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [{"type": "broadcast", "range": "here"}]}]},
    ]
    posted = await client(slack).chat_postMessage(channel="C0SMSBRIDGE", text="<!channel> nowy SMS &amp; więcej", blocks=blocks)
    message = slack.messages[("C0SMSBRIDGE", posted["ts"])]
    assert message.pings == [("broadcast", "channel"), ("user", "U0ANNA"), ("usergroup", "S0SUPPORT"), ("broadcast", "here")]
    assert message.links == [("https://evil.example/x", "Twój bank")]
    assert message.channel_links == ["C0GENERAL"]
    assert message.shown == "@channel nowy SMS & więcej"
    assert [s.what for s in slack.pings_anywhere()] == message.pings
    assert slack.links_anywhere()[0] == (f"C0SMSBRIDGE/{posted['ts']}", ("https://evil.example/x", "Twój bank"))


async def test_escaped_text_pings_nobody_and_shows_the_characters(slack: SlackState) -> None:
    web = client(slack)
    posted = await web.chat_postMessage(channel="C0SMSBRIDGE", text="&lt;!channel&gt; &amp; &lt;@U0ANNA&gt; &lt;https://x.pl|x&gt;")
    message = slack.messages[("C0SMSBRIDGE", posted["ts"])]
    assert message.pings == [] and message.links == []
    assert message.shown == "<!channel> & <@U0ANNA> <https://x.pl|x>"
    bare = await web.chat_postMessage(channel="C0SMSBRIDGE", text="2 < 3 > 1 & <to nie link> <@nobody>")
    kept = slack.messages[("C0SMSBRIDGE", bare["ts"])]
    assert kept.pings == [] and kept.links == [] and kept.shown == "2 < 3 > 1 & <to nie link> <@nobody>"
    assert slack.pings_anywhere() == []


async def test_every_version_of_a_message_is_read_and_plain_names_ping_only_with_link_names(slack: SlackState) -> None:
    web = client(slack)
    posted = await web.chat_postMessage(channel="C0SMSBRIDGE", text="Klient pisze: @channel @wsparcie #general")
    message = slack.messages[("C0SMSBRIDGE", posted["ts"])]
    assert message.pings == [] and message.channel_links == []
    await web.chat_update(channel="C0SMSBRIDGE", ts=posted["ts"], text="edited <!here>")
    assert len(message.renders) == 2 and message.pings == [("broadcast", "here")]
    named = await web.chat_postMessage(channel="C0SMSBRIDGE", text="@channel @wsparcie", link_names=True)
    assert slack.messages[("C0SMSBRIDGE", named["ts"])].pings == [("broadcast", "channel"), ("usergroup", "S0SUPPORT")]


async def test_ephemeral_messages_and_response_url_posts_are_read_too(slack: SlackState) -> None:
    await client(slack).chat_postEphemeral(channel="C0GENERAL", user="U0ANNA", text="tylko dla <@U0PIOTR>")
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{slack.config.public_url}/hooks/H1", json={"text": "<!everyone> <mailto:a@b.pl|napisz>"})
    assert answer.text == "ok"
    assert slack.pings_anywhere() == [("ephemeral:U0ANNA", ("user", "U0PIOTR")), ("hook:H1", ("broadcast", "everyone"))]
    assert slack.links_anywhere() == [("hook:H1", ("mailto:a@b.pl", "napisz"))]


def test_reading_entities_as_the_formatting_reference_describes() -> None:
    read = render_text("<!date^1700000000^{date_short}^https://d.pl|14 lis> <!subteam^S1|@kadry> <@U0X1|ania> <!here|tu> <!group>")
    assert read.pings == [("usergroup", "S1"), ("user", "U0X1"), ("broadcast", "here"), ("broadcast", "channel")]
    assert read.links == [("https://d.pl", "14 lis")]
    assert read.shown == "14 lis @kadry @ania tu @channel"
    assert render_text("<https://x.pl?a=1&amp;b=2|A &amp; B>").links == [("https://x.pl?a=1&b=2", "A & B")]


# ---- Slack → app events, as a Slack client composes them --------------------------------


def events(sink: RequestSink) -> list[dict[str, Any]]:
    return [json.loads(r.body)["event"] for r in sink.requests]


async def test_what_a_person_types_arrives_escaped_with_a_rich_text_block(app: tuple[SlackState, RequestSink]) -> None:
    slack, sink = app
    message, _, response = await slack.user_says("C0SMSBRIDGE", "U0ANNA", "Tom & Jerry <3 > 2 <@U0PIOTR>")
    assert response.status_code == 200
    event = events(sink)[0]
    assert event["text"] == "Tom &amp; Jerry &lt;3 &gt; 2 &lt;@U0PIOTR&gt;" == message.text
    assert event["blocks"][0]["type"] == "rich_text"
    assert event["blocks"][0]["elements"] == [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "Tom & Jerry <3 > 2 <@U0PIOTR>"}]}
    ]
    assert event["client_msg_id"] and event["team"] == slack.config.team_id and event["user"] == "U0ANNA"
    assert message.pings == [] and message.shown == "Tom & Jerry <3 > 2 <@U0PIOTR>"
    request = sink.requests[0]
    verifier = SignatureVerifier(slack.config.signing_secret)
    assert verifier.is_valid(request.body, request.headers["x-slack-request-timestamp"], request.headers["x-slack-signature"])


async def test_rich_entities_arrive_as_slack_writes_them(app: tuple[SlackState, RequestSink]) -> None:
    slack, sink = app
    rich: list[dict[str, Any]] = [
        {"type": "user", "user_id": "U0PIOTR"},
        {"type": "text", "text": " sprawdź "},
        {"type": "channel", "channel_id": "C0GENERAL"},
        {"type": "text", "text": " i "},
        {"type": "link", "url": "https://mprofi.pl/a?x=1&y=2", "text": "panel & raporty"},
        {"type": "link", "url": "https://x.pl"},
        {"type": "emoji", "name": "smile"},
        {"type": "date", "timestamp": 1700000000, "format": "{date_short}", "fallback": "Nov 14"},
        {"type": "broadcast", "range": "here"},
        {"type": "usergroup", "usergroup_id": "S0SUPPORT"},
    ]
    message, _, _ = await slack.user_says("C0SMSBRIDGE", "U0ANNA", rich=rich, thread_ts=None)
    event = events(sink)[0]
    assert event["text"] == (
        "<@U0PIOTR> sprawdź <#C0GENERAL|general> i <https://mprofi.pl/a?x=1&y=2|panel &amp; raporty><https://x.pl>"
        ":smile:<!date^1700000000^{date_short}|Nov 14><!here><!subteam^S0SUPPORT>"
    )
    elements = event["blocks"][0]["elements"][0]["elements"]
    assert elements[6] == {"type": "emoji", "name": "smile", "unicode": "1f604"}
    assert [e["type"] for e in elements] == [e["type"] for e in rich]
    assert message.pings == [("user", "U0PIOTR"), ("broadcast", "here"), ("usergroup", "S0SUPPORT")]
    with pytest.raises(ValueError):
        await slack.user_says("C0SMSBRIDGE", "U0ANNA", rich=[{"type": "user"}])


async def test_a_mention_of_the_bot_and_an_edit_carry_entities_and_blocks(app: tuple[SlackState, RequestSink]) -> None:
    slack, sink = app
    message, _ = await slack.user_mentions_bot("C0GENERAL", "U0ANNA", "check <these> & those")
    said, mention = events(sink)
    assert said["text"] == mention["text"] == "<@U0BRIDGEBOT> check &lt;these&gt; &amp; those"
    assert mention["type"] == "app_mention"
    assert mention["blocks"][0]["elements"][0]["elements"][0] == {"type": "user", "user_id": "U0BRIDGEBOT"}
    await slack.user_edits(message, "now a & b")
    edited = events(sink)[2]["message"]
    assert edited["text"] == "now a &amp; b" and edited["blocks"][0]["elements"][0]["elements"] == [{"type": "text", "text": "now a & b"}]


# ---- the directory and slash commands ---------------------------------------------------


async def test_users_info_answers_real_looking_profiles(slack: SlackState) -> None:
    web = client(slack)
    anna = (await web.users_info(user="U0ANNA"))["user"]
    assert anna["real_name"] == "Anna Nowak" and anna["profile"]["real_name"] == "Anna Nowak"
    assert anna["profile"]["display_name"] == "anna" and anna["name"] == "anna" and anna["tz"] == "Europe/Warsaw"
    piotr = (await web.users_info(user="U0PIOTR"))["user"]
    assert piotr["profile"]["display_name"] == "" and piotr["real_name"] == "Piotr Kowalski"
    kasia = (await web.users_info(user="U0KASIA"))["user"]
    assert kasia["profile"]["real_name_normalized"] == "Katarzyna Wisniewska"
    assert (await web.users_info(user=slack.config.bot_user_id))["user"]["is_bot"] is True
    with pytest.raises(SlackApiError) as unknown:
        await web.users_info(user="U0NOBODY")
    assert unknown.value.response["error"] == "user_not_found"


async def test_usergroups_need_their_scope_and_channels_have_names(slack: SlackState) -> None:
    web = client(slack)
    slack.config.scopes = [s for s in slack.granted_scopes() or () if s != "usergroups:read"]  # an install without it
    with pytest.raises(SlackApiError) as refused:
        await web.usergroups_list()
    assert refused.value.response["error"] == "missing_scope" and refused.value.response["needed"] == "usergroups:read"
    assert "chat:write" in refused.value.response["provided"].split(",")
    slack.config.scopes = [*(slack.granted_scopes() or ()), "usergroups:read"]
    groups = (await web.usergroups_list(include_users=True))["usergroups"]
    assert {g["id"]: g["handle"] for g in groups} == {"S0SUPPORT": "wsparcie", "S0SALES": "sprzedaz"}
    assert groups[0]["users"] == ["U0ANNA", "U0PIOTR"]
    channel = (await web.conversations_info(channel="C0GENERAL"))["channel"]
    assert channel["name"] == "general" and channel["is_private"] is False and channel["is_member"] is True


async def test_slash_command_text_follows_the_commands_should_escape(app: tuple[SlackState, RequestSink]) -> None:
    slack, sink = app
    typed = "@piotr zobacz https://x.pl/a?b=1 & #general @wsparcie <b> @here"
    assert slack.should_escape("/sms") is False  # manifest.yml: should_escape: false
    await slack.run_command("/sms", typed)
    await slack.run_command("/sms", typed, escape=True)
    plain, escaped = (parse_qs(r.body.decode())["text"][0] for r in sink.requests)
    assert plain == "@piotr zobacz https://x.pl/a?b=1 &amp; #general @wsparcie &lt;b&gt; @here"
    assert escaped == (
        "<@U0PIOTR|piotr> zobacz <https://x.pl/a?b=1> &amp; <#C0GENERAL|general> <!subteam^S0SUPPORT|@wsparcie> &lt;b&gt; <!here>"
    )
    slack.config.command_escape = {"/sms": True}
    await slack.run_command("/sms", "@anna")
    assert parse_qs(sink.requests[2].body.decode())["text"][0] == "<@U0ANNA|anna>"


async def test_modal_inputs_arrive_as_typed(app: tuple[SlackState, RequestSink]) -> None:
    slack, sink = app
    field = {"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": "Text"}}
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "SMS"},
        "blocks": [{**field, "element": {"type": "plain_text_input", "action_id": "sms_text"}}],
    }
    opened = await client(slack).views_open(trigger_id="t", view=view)
    values = {"text": {"sms_text": {"type": "plain_text_input", "value": "A & B <@U0ANNA> <https://x.pl>"}}}
    await slack.submit_view(opened["view"]["id"], "U0ANNA", values)
    payload = json.loads(parse_qs(sink.requests[0].body.decode())["payload"][0])
    assert payload["view"]["state"]["values"]["text"]["sms_text"]["value"] == "A & B <@U0ANNA> <https://x.pl>"


# ---- the emulator is Slack's, not the app's ----------------------------------------------

MODULES = sorted(Path(emulator.__file__).parent.glob("*.py"))


def _imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = "bot.sandbox.slack" + (f".{module}" if module else "")
            found += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_the_emulator_imports_nothing_of_the_app_and_stays_small(path: Path) -> None:
    allowed = ("bot.sandbox.slack", "bot.sandbox.loopback")
    bad = [m for m in _imports(path) if (m in ("bot", "storage") or m.startswith(("bot.", "storage."))) and not m.startswith(allowed)]
    assert not bad, f"{path.name} imports {bad}"
    assert len(path.read_text(encoding="utf-8").splitlines()) < 400


def test_the_config_keeps_its_defaults() -> None:
    config = SlackConfig()
    assert config.users["U0ANNA"] == "Anna Nowak" and config.display_names["U0ANNA"] == "anna"
    assert config.usergroups["S0SUPPORT"]["handle"] == "wsparcie"
