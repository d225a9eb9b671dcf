"""Slack → phone over real HTTP: signed events → app → mProfi simulator, and live statuses."""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from storage.models import StatusEvent, utcnow
from tests.support import NUMBER, PNG, StackFactory, calls_to, click, open_thread, outgoing, status_lines, stored


async def test_a_reply_in_the_thread_goes_out_once_and_its_status_turns_delivered(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "Paczka wyszła wczoraj & dotrze jutro")  # Slack sends it as &amp;
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    assert len(sent) == 1
    assert sent[0].text == "Paczka wyszła wczoraj & dotrze jutro"
    assert sent[0].encoding == "utf-8"  # ł needs Unicode to arrive as written
    assert sent[0].reference and sent[0].reference.startswith("mps-")

    line = await stack.until(lambda: status_lines(stack, parent), what="the status line")
    stack.sim.set_status(sent[0].id, "sent")
    await stack.until(lambda: "sent to the network" in status_lines(stack, parent)[0].text, what="sent")
    stack.sim.set_status(sent[0].id, "delivered")
    await stack.until(lambda: ": delivered" in status_lines(stack, parent)[0].text, what="delivered")
    assert len(status_lines(stack, parent)) == 1  # one line, updated in place
    assert stack.slack.messages[(line[0].channel, line[0].ts)].edits >= 2
    assert len(stack.sent_to(NUMBER)) == 1


async def test_slack_retries_and_second_deliveries_never_send_twice(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    _message, envelope, first = await stack.slack.user_says(stack.channel, "U0ANNA", "Jedna wiadomość", thread_ts=parent.ts)
    retry = await stack.slack.deliver(envelope, retry_num=1)
    other_id = await stack.slack.deliver({**envelope, "event_id": "Ev-another-delivery"})
    assert first.status_code == retry.status_code == other_id.status_code == 200
    await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    await stack.drain()
    assert len(stack.sent_to(NUMBER)) == 1


async def test_a_note_stays_in_the_team_and_is_marked(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    note = await stack.person_replies(parent, "Note: to ten klient od reklamacji")
    await stack.until(lambda: "memo" in note.reactions, what="the note marker")
    await stack.drain()
    assert stack.sent_to(NUMBER) == []
    assert status_lines(stack, parent) == []


async def test_bot_messages_top_level_messages_and_foreign_threads_send_nothing(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    bot_event = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0OTHER",
        "channel": stack.channel,
        "text": "automated",
        "ts": stack.slack.next_ts(),
        "thread_ts": parent.ts,
    }
    own_echo = {
        "type": "message",
        "user": stack.slack.config.bot_user_id,
        "bot_id": stack.slack.config.bot_id,
        "channel": stack.channel,
        "text": "echo",
        "ts": stack.slack.next_ts(),
        "thread_ts": parent.ts,
    }
    other_bot_user = {
        "type": "message",
        "user": "U0ANNA",
        "bot_id": "B0OTHER",
        "channel": stack.channel,
        "text": "integration",
        "ts": stack.slack.next_ts(),
        "thread_ts": parent.ts,
    }
    joined = {
        "type": "message",
        "subtype": "channel_join",
        "user": "U0PIOTR",
        "channel": stack.channel,
        "text": "joined",
        "ts": stack.slack.next_ts(),
    }
    for event in (bot_event, own_echo, other_bot_user, joined):
        response = await stack.slack.deliver(stack.slack.envelope(event))
        assert response.status_code == 200  # never 404: Slack would retry it
    await stack.slack.user_says(stack.channel, "U0ANNA", "top-level chatter")
    other_thread = await stack.slack.user_says(stack.channel, "U0ANNA", "a team discussion")
    await stack.slack.user_says(stack.channel, "U0PIOTR", "reply there", thread_ts=other_thread[0].ts)
    await stack.drain()
    assert stack.sim.messages == {}


async def test_editing_or_deleting_a_sent_reply_sends_nothing_and_tells_the_person(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    reply = await stack.person_replies(parent, "Wysyłka w piątek")
    await stack.until(lambda: stack.sent_to(NUMBER))
    edit = await stack.slack.user_edits(reply, "Wysyłka w sobotę")
    assert edit.status_code == 200
    warning = await stack.until(lambda: stack.slack.ephemeral, what="the private warning")
    assert warning[0]["user"] == "U0ANNA" and "cannot be changed" in warning[0]["text"]
    await stack.slack.user_deletes(reply)
    await stack.until(lambda: len(stack.slack.ephemeral) == 2, what="the second warning")
    assert "Deleting this reply" in stack.slack.ephemeral[1]["text"]
    await stack.drain()
    assert [m.text for m in stack.sent_to(NUMBER)] == ["Wysyłka w piątek"]


async def test_an_image_shared_in_the_thread_goes_as_mms_with_its_bytes(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    file = stack.slack.share_file("U0ANNA", "etykieta.png", PNG, "image/png")
    await stack.person_replies(parent, "Etykieta zwrotna", files=[file])
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the MMS")
    assert sent[0].kind == "mms" and sent[0].file_name == "etykieta.png" and sent[0].file_size == len(PNG)
    assert sent[0].text == "Etykieta zwrotna"
    assert stack.slack.downloads == [(file["id"], True)]  # fetched with the bot token
    line = await stack.until(lambda: status_lines(stack, parent))
    assert line[0].text.startswith("MMS to +48 600 100 200")


@pytest.mark.parametrize(
    ("name", "content", "mimetype", "reason"),
    [
        ("umowa.pdf", b"%PDF-1.4", "application/pdf", "cannot go by MMS"),
        ("zdjecie.png", b"<html>not an image</html>", "image/png", "is not really a PNG image"),
        ("duze.jpg", b"\xff\xd8\xff" + b"\x00" * (301 * 1024), "image/jpeg", "may be at most 300 kB"),
        # The spec's "300kB" is 300,000 bytes: one byte more is refused before mProfi sees it.
        ("o-bajt-za-duze.jpg", b"\xff\xd8\xff" + b"\x00" * (300_000 - 2), "image/jpeg", "may be at most 300 kB"),
    ],
)
async def test_a_file_that_cannot_go_as_mms_is_not_sent_and_the_thread_says_why(
    stack: SandboxStack, name: str, content: bytes, mimetype: str, reason: str
) -> None:
    parent = await open_thread(stack)
    file = stack.slack.share_file("U0ANNA", name, content, mimetype)
    await stack.person_replies(parent, "", files=[file])
    line = await stack.until(lambda: [m for m in status_lines(stack, parent) if "not sent" in m.text], what="the refusal")
    assert reason in line[0].text
    await stack.drain()
    assert stack.sent_to(NUMBER) == []


async def test_an_overlong_reply_is_refused_in_one_sentence(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "x" * 700)
    line = await stack.until(lambda: [m for m in status_lines(stack, parent) if "not sent" in m.text], what="the refusal")
    assert "612" in line[0].text
    assert stack.sent_to(NUMBER) == []


async def test_pull_mode_polls_status_until_final(make_stack: StackFactory) -> None:
    async with make_stack(status_mode="pull") as stack:
        assert stack.sim.config.push_url is None
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Sprawdzamy status")
        sent = await stack.until(lambda: stack.sent_to(NUMBER))
        stack.sim.set_status(sent[0].id, "delivered")
        await stack.until(lambda: [m for m in status_lines(stack, parent) if ": delivered" in m.text], what="polled status")
        await stack.drain()
        [message] = await outgoing(stack)
        assert message.status == "delivered" and message.next_poll_at is None  # polling stopped: no check is due, ever
        assert message.polls == len(calls_to(stack, "/1.0/status/")) >= 1


async def test_an_uncertain_send_offers_a_resend_that_sends_exactly_once(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    stack.sim.queue_fault("send", "500_after_accept")
    await stack.person_replies(parent, "Może doszło, może nie")
    line = await stack.until(lambda: [m for m in status_lines(stack, parent) if "may or may not" in m.text], what="uncertain")
    button = line[0].blocks[-1]["elements"][0]
    assert button["action_id"] == "resend_sms"
    assert len(stack.sent_to(NUMBER)) == 1  # mProfi took it; the bridge cannot know
    for _ in range(2):  # a double click
        response = await click(stack, line[0], button)
        assert response.status_code == 200
    await stack.until(lambda: len(stack.sent_to(NUMBER)) == 2, what="the resend")
    await stack.drain()
    assert len(stack.sent_to(NUMBER)) == 2


async def test_requests_with_a_bad_or_stale_signature_are_refused(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    event = {
        "type": "message",
        "user": "U0ANNA",
        "channel": stack.channel,
        "text": "forged",
        "ts": stack.slack.next_ts(),
        "thread_ts": parent.ts,
    }
    body = json.dumps(stack.slack.envelope(event)).encode()
    client = await stack.slack.http()
    forged = stack.slack.signed_headers(body)
    forged["X-Slack-Signature"] = "v0=" + "0" * 64
    stale = stack.slack.signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    for headers in (forged, stale, {"Content-Type": "application/json"}):
        response = await client.post(stack.slack.config.events_url or "", content=body, headers=headers)
        assert response.status_code == 401
    await stack.drain()
    assert stack.sim.messages == {}


async def test_push_statuses_for_unknown_messages_are_accepted_and_ignored(stack: SandboxStack) -> None:
    response = await stack.http.post(
        stack.app_url + f"/mprofi/status?token={WEBHOOK_TOKEN}",
        json={"id": 999999, "status": "delivered", "ts": None, "reference": None},
    )
    assert response.status_code == 200 and response.json() == {"ok": True, "applied": 0, "unknown": 1, "refused": []}


@pytest.mark.parametrize(("raw", "shown"), [("not delivered", "not delivered"), ("ERROR", "delivery error")])
async def test_a_failed_delivery_is_shown_and_a_late_status_cannot_undo_it(stack: SandboxStack, raw: str, shown: str) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "To nie dotrze")
    sent = await stack.until(lambda: stack.sent_to(NUMBER))
    stack.sim.set_status(sent[0].id, raw)
    await stack.until(lambda: [m for m in status_lines(stack, parent) if shown in m.text], what=shown)
    late = await stack.http.post(
        stack.app_url + f"/mprofi/status?token={WEBHOOK_TOKEN}",
        json={"id": sent[0].id, "status": "sent", "ts": None, "reference": sent[0].reference},
    )
    assert late.json()["applied"] == 1
    await stack.drain()
    assert shown in status_lines(stack, parent)[0].text  # statuses only move forward


async def test_pull_checks_back_off_as_a_message_ages(make_stack: StackFactory) -> None:
    """Checks go on while no final status comes, each waiting twice as long as the last, up
    to ``status_poll_max_seconds``. Read from the checks' own records, not a stopwatch: a
    check runs only once it is due, so the gaps are at least the schedule's, on any machine."""
    settings = {"status_poll_first_seconds": 0.05, "status_poll_max_seconds": 0.4}
    async with make_stack(status_mode="pull", settings=settings) as stack:
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Bez raportu doręczenia")
        await stack.until(lambda: stack.sent_to(NUMBER))

        async def five_checks() -> list[datetime] | None:
            found = await stored(stack, select(StatusEvent.recorded_at).where(StatusEvent.source == "pull").order_by(StatusEvent.id))
            return found[:5] if len(found) >= 5 else None

        checks: list[datetime] = await stack.until(five_checks, what="five status checks")
        gaps = [later - earlier for earlier, later in itertools.pairwise(checks)]
        # 0.05 s to the first, then 0.1, 0.2, 0.4, 0.4 … s apart: never every poller tick (0.05 s).
        assert [gap >= timedelta(seconds=least) for gap, least in zip(gaps, (0.1, 0.2, 0.4, 0.4), strict=True)] == [True] * 4, gaps
        [message] = await outgoing(stack)
        assert message.next_poll_at is not None and message.next_poll_at - utcnow() <= timedelta(seconds=0.4)  # the cap
