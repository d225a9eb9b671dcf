"""What a person writes in Slack reaches the phone as they meant it (issue 13, points 5 and 6).

Slack sends a message escaped, with mentions, channels, links and dates as ``<…>`` and
the same again as rich text; ``/sms`` text escaped (and, with should_escape, wrapped);
modal inputs as typed. The phone gets names, labels with their addresses, emoji and
plain ``&``; the thread's status line says what the phone got when that differs. A reply
that mentions the app is not for the customer: it is not sent and its author is told.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import SandboxStack
from tests.support import NUMBER, open_thread, status_lines

# A reply that names teammates is kept as a note unless it starts with "sms:" (said on purpose).
RICH_REPLY: list[dict[str, Any]] = [
    {"type": "text", "text": "sms: Dzień dobry, "},
    {"type": "user", "user_id": "U0PIOTR"},
    {"type": "text", "text": " z "},
    {"type": "usergroup", "usergroup_id": "S0SUPPORT"},
    {"type": "text", "text": " oddzwoni (zob. "},
    {"type": "channel", "channel_id": "C0GENERAL"},
    {"type": "text", "text": "). Cennik: "},
    {"type": "link", "url": "https://x.pl/cennik", "text": "cennik"},
    {"type": "text", "text": ", regulamin: "},
    {"type": "link", "url": "https://x.pl/regulamin"},
    {"type": "text", "text": ". Termin: "},
    {"type": "date", "timestamp": 1767261600, "format": "{date_short}", "fallback": "1 stycznia"},
    {"type": "text", "text": " "},
    {"type": "emoji", "name": "smile"},
    {"type": "text", "text": " Tom & Jerry <3 &amp; "},
    {"type": "broadcast", "range": "here"},
]
RICH_ON_PHONE = (
    "Dzień dobry, Piotr Kowalski z @wsparcie oddzwoni (zob. #general). Cennik: cennik (https://x.pl/cennik), "
    "regulamin: https://x.pl/regulamin. Termin: 1 stycznia 😄 Tom & Jerry <3 &amp; @here"
)


def with_text(stack: SandboxStack, parent: SlackMessage, fragment: str) -> list[SlackMessage]:
    return [m for m in status_lines(stack, parent) if fragment in m.text + str(m.blocks)]


async def test_a_rich_reply_reaches_the_phone_with_names_labels_and_emoji_and_the_thread_says_so(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.slack.user_says(stack.channel, "U0ANNA", thread_ts=parent.ts, rich=RICH_REPLY)
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    assert [m.text for m in sent] == [RICH_ON_PHONE]
    assert sent[0].encoding == "utf-8"  # the emoji and ń go as Unicode
    line = await stack.until(lambda: with_text(stack, parent, "The phone receives"), what="what the phone got")
    shown = str(line[0].blocks)
    assert "The phone receives: “Dzień dobry, Piotr Kowalski z @wsparcie" in shown
    assert "Tom &amp; Jerry &lt;3 &amp;amp; @here”" in shown  # escaped for Slack: it reads as sent
    assert "3 parts, Unicode" in shown  # counted as sent: 187 UCS-2 units, 67 a part
    assert not [p for p in stack.slack.pings_anywhere() if p.what.kind in ("usergroup", "broadcast") or p.what.id == "U0PIOTR"]


async def test_a_plain_text_event_is_read_the_same_way_and_names_are_asked_once(stack: SandboxStack) -> None:
    """No rich_text (an older client, an integration): ``text`` says it, escaped once."""
    parent = await open_thread(stack)
    for n in (1, 2):
        event = {
            "type": "message",
            "channel": stack.channel,
            "user": "U0ANNA",
            "ts": stack.slack.next_ts(),
            "thread_ts": parent.ts,
            "text": f"SMS: {n}. <@U0PIOTR> &amp;amp; <!subteam^S0SUPPORT|@wsparcie> <http://x.pl|x.pl> :tada: &lt;b&gt;",
        }
        assert (await stack.slack.deliver(stack.slack.envelope(event))).status_code == 200
    sent = await stack.until(lambda: len(stack.sent_to(NUMBER)) == 2 and stack.sent_to(NUMBER), what="both SMS")
    assert sorted(m.text for m in sent) == [f"{n}. Piotr Kowalski &amp; @wsparcie x.pl 🎉 <b>" for n in (1, 2)]
    assert len([c for c in stack.slack.calls_to("users.info") if c.params.get("user") == "U0PIOTR"]) == 1  # cached


async def test_names_slack_will_not_give_never_stop_the_sms(stack: SandboxStack) -> None:
    """An install without usergroups:read (or a Slack hiccup): the ids' fallbacks go out."""
    stack.slack.refuse("missing_scope", method="usergroups.list", times=None, needed="usergroups:read")
    stack.slack.refuse("user_not_found", method="users.info", times=None)
    parent = await open_thread(stack)
    rich = [
        {"type": "text", "text": "sms: "},
        {"type": "user", "user_id": "U0PIOTR"},
        {"type": "text", "text": " i "},
        {"type": "usergroup", "usergroup_id": "S0SUPPORT"},
    ]
    await stack.slack.user_says(stack.channel, "U0ANNA", thread_ts=parent.ts, rich=rich)
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    assert sent[0].text == "@U0PIOTR i @group"


async def test_what_a_person_typed_literally_is_unescaped_exactly_once_and_needs_no_note(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "a &amp; b &lt;3 & <b> :-)")
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    assert sent[0].text == "a &amp; b &lt;3 & <b> :-)"
    await stack.until(lambda: with_text(stack, parent, ": accepted by mProfi"), what="the status line")
    assert not with_text(stack, parent, "The phone receives")  # it reads as typed


async def test_the_limit_and_the_parts_count_what_the_phone_gets(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    mention = {"type": "user", "user_id": "U0PIOTR"}  # <@U0PIOTR> is 10 characters, "Piotr Kowalski" 14
    await stack.slack.user_says(
        stack.channel, "U0ANNA", thread_ts=parent.ts, rich=[{"type": "text", "text": "sms: " + "x" * 150 + " "}, mention]
    )
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    assert sent[0].text == "x" * 150 + " Piotr Kowalski"  # 165 characters: two parts
    await stack.until(lambda: with_text(stack, parent, "2 parts"), what="two parts")
    await stack.slack.user_says(
        stack.channel, "U0ANNA", thread_ts=parent.ts, rich=[{"type": "text", "text": "sms: " + "y" * 600 + " "}, mention]
    )
    refused = await stack.until(lambda: with_text(stack, parent, "not sent"), what="the refusal")
    assert "615 characters" in refused[0].text and "612" in refused[0].text
    assert "The phone receives" not in str(refused[0].blocks)  # it receives nothing
    await stack.drain()
    assert len(stack.sent_to(NUMBER)) == 1


@pytest.mark.parametrize(
    ("escape", "on_phone", "typed"),
    [
        (True, "Piotr Kowalski zobacz https://x.pl/a?b=1 & #general @wsparcie <b> 😄", "@Piotr Kowalski zobacz"),
        (False, "@piotr zobacz https://x.pl/a?b=1 & #general @wsparcie <b> 😄", None),
    ],
    ids=["should_escape", "no_escape"],
)
async def test_sms_command_text_reaches_the_phone_as_meant_with_and_without_escaping(
    stack: SandboxStack, escape: bool, on_phone: str, typed: str | None
) -> None:
    response, _ = await stack.slack.run_command(
        "/sms", "600100200 @piotr zobacz https://x.pl/a?b=1 & #general @wsparcie <b> :smile:", escape=escape
    )
    assert response.status_code == 200 and response.text.startswith("Sending: +48 600 100 200 (1 SMS part).")
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    assert sent[0].text == on_phone
    parent = await stack.until(lambda: stack.thread_of("600 100 200"), what="the thread")
    line = await stack.until(lambda: with_text(stack, parent, "with /sms"), what="the status line")
    shown = str(line[0].blocks)
    if typed is None:  # it reads as typed: no second copy
        assert "The phone receives" not in shown
    else:
        assert typed in shown and "The phone receives: “Piotr Kowalski zobacz https://x.pl/a?b=1 &amp; #general" in shown


async def test_form_text_goes_out_exactly_as_typed(stack: SandboxStack) -> None:
    """Modal inputs are not escaped by Slack: undoing ``&amp;`` would change the message."""
    await stack.slack.run_command("/sms", "")
    view_id = await stack.until(lambda: next(iter(stack.slack.views), None), what="the form")
    values: dict[str, dict[str, Any]] = {
        "recipients": {"value": {"type": "plain_text_input", "value": "600100200"}},
        "text": {"sms_text": {"type": "plain_text_input", "value": "a &amp; b <@U0PIOTR> &lt;3"}},
        "encoding": {"value": {"type": "static_select", "selected_option": {"value": "auto"}}},
    }
    assert (await stack.slack.submit_view(view_id, "U0ANNA", values)).status_code == 200
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS from the form")
    assert sent[0].text == "a &amp; b <@U0PIOTR> &lt;3"


async def test_a_reply_mentioning_the_app_is_not_sent_and_its_author_is_told_once(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    bot = stack.slack.config.bot_user_id
    rich = [{"type": "user", "user_id": bot}, {"type": "text", "text": " czy ten klient ma zamówienie?"}]
    _, envelope, _ = await stack.slack.user_says(stack.channel, "U0ANNA", thread_ts=parent.ts, rich=rich)
    told = await stack.until(lambda: stack.slack.ephemeral, what="the private notice")
    assert told[0]["user"] == "U0ANNA" and told[0]["thread_ts"] == parent.ts
    assert told[0]["text"] == (
        "This reply mentions @mProfi SMS, so it was not sent to +48 600 100 200; write it without the mention to text the customer."
    )
    await stack.slack.deliver(envelope, retry_num=1)  # Slack retries: the person is told once
    await stack.drain()
    assert len(stack.slack.ephemeral) == 1
    assert stack.sent_to(NUMBER) == [] and status_lines(stack, parent) == []
    assert not [p for p in stack.slack.pings_anywhere() if p.where.startswith("ephemeral")]


async def test_a_csv_shared_with_the_app_in_a_conversation_is_a_check_not_an_sms(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    file = stack.slack.share_file("U0ANNA", "numery.csv", b"600100201\n600100202\n", "text/csv")
    await stack.slack.user_mentions_bot(stack.channel, "U0ANNA", "sprawdź te numery", files=[file], thread_ts=parent.ts)
    await stack.until(lambda: [m for m in stack.replies(parent) if "HLR check of" in m.text + str(m.blocks)], timeout=15, what="the check")
    await stack.drain()
    assert stack.sent_to(NUMBER) == []
    assert not [e for e in stack.slack.ephemeral if "mentions" in e["text"]]
