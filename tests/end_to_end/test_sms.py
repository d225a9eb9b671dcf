"""``/sms`` end to end: signed slash commands and form submissions → app → mProfi simulator."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import SandboxStack
from tests.support import NUMBER, StackFactory, open_thread

GENERAL = "C0GENERAL"


def confirm_button(answer: str, action: str = "sms_confirm") -> dict[str, Any]:
    """The Send (or Cancel) button of a large /sms's "are you sure?" answer."""
    blocks = json.loads(answer)["blocks"]
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action)


def sendbulk_calls(stack: SandboxStack) -> list[tuple[str, str]]:
    return [r for r in stack.sim.requests if r[0] == "/1.0/sendbulk/"]


def status_line_with_text(stack: SandboxStack, parent: SlackMessage) -> list[SlackMessage]:
    return [m for m in stack.replies(parent) if m.user == stack.slack.config.bot_user_id and "with /sms" in str(m.blocks)]


async def sms(stack: SandboxStack, text: str, **kwargs: Any) -> tuple[str, str]:
    response, hook = await stack.slack.run_command("/sms", text, **kwargs)
    assert response.status_code == 200
    return response.text, hook


async def test_one_number_is_sent_once_shown_in_its_thread_and_the_person_gets_a_link(stack: SandboxStack) -> None:
    answer, hook = await sms(stack, "600 100 200 Kurier będzie jutro")
    assert answer.startswith("Sending: +48 600 100 200 (1 SMS part).")
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
    assert len(sent) == 1 and sent[0].text == "Kurier będzie jutro" and sent[0].encoding == "utf-8"
    parent = await stack.until(lambda: stack.thread_of("600 100 200"), what="a thread opened for the number")
    line = await stack.until(lambda: status_line_with_text(stack, parent), what="the message in the thread")
    assert "Kurier będzie jutro" in line[0].text and "<@U0ANNA> with /sms" in str(line[0].blocks)
    reply = await stack.until(lambda: stack.slack.hook_posts(hook), what="the follow-up")
    assert reply[0]["text"].startswith("Sent to +48 600 100 200: mProfi accepted it")
    assert f"archives/{stack.channel}/p" in reply[0]["text"]
    stack.sim.set_status(sent[0].id, "delivered")
    await stack.until(lambda: ": delivered" in status_line_with_text(stack, parent)[0].text, what="delivered")
    await stack.drain()
    assert len(stack.sent_to(NUMBER)) == 1


async def test_a_number_with_a_thread_gets_the_message_in_that_thread(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await sms(stack, "+48600100200 Odpowiedź z /sms")
    await stack.until(lambda: status_line_with_text(stack, parent), what="the message in the existing thread")
    assert len(stack.slack.top_level(stack.channel)) == 1


async def test_many_numbers_go_in_one_sendbulk_with_duplicates_once_and_bad_ones_reported(stack: SandboxStack) -> None:
    answer, _ = await sms(stack, "600100200,600100201 +48600100202 600100200 12345, 600 100 20 Promocja do piątku")
    assert "Sending: 3 numbers (1 SMS part each, 3 SMS in all)." in answer
    assert "12345 (it has 5 digits, at least 9 are needed)" in answer
    assert "600 100 20 (it has 8 digits, at least 9 are needed)" in answer
    assert "1 repeated number was sent once." in answer
    await stack.until(lambda: len(stack.sim.messages) == 3, what="three SMS")
    assert len(sendbulk_calls(stack)) == 1
    assert sorted(m.recipient for m in stack.sim.messages.values()) == ["48600100200", "48600100201", "48600100202"]
    progress = await stack.until(
        lambda: [m for m in stack.slack.top_level(GENERAL) if "3* accepted by mProfi" in str(m.blocks)], what="the summary"
    )
    assert "Skipped before sending: 12345" in str(progress[0].blocks)
    assert stack.slack.top_level(stack.channel) == []  # no threads opened for a campaign


async def test_no_arguments_open_the_form_with_a_live_hint_and_errors_on_the_right_field(stack: SandboxStack) -> None:
    answer, _ = await sms(stack, "")
    assert answer == ""
    opened = await stack.until(lambda: stack.slack.calls_to("views.open"), what="the form")
    view_id = next(iter(stack.slack.views))
    assert stack.slack.views[view_id]["callback_id"] == "sms_form" and opened

    typed = {"text": {"sms_text": {"type": "plain_text_input", "value": "Zażółć gęślą jaźń"}}}
    response = await stack.slack.type_in_view(view_id, "U0ANNA", typed, block_id="text", action_id="sms_text")
    assert response.status_code == 200
    await stack.until(lambda: stack.slack.calls_to("views.update"), what="the hint")
    hint = next(b for b in stack.slack.views[view_id]["blocks"] if b.get("block_id") == "hint")
    assert "17 of 612 characters · 1 SMS part (UCS-2)" in hint["elements"][0]["text"]
    assert "Zazolc gesla jazn" in hint["elements"][0]["text"]

    values: dict[str, dict[str, Any]] = {
        "recipients": {"value": {"type": "plain_text_input", "value": "600100200\n123"}},
        "text": {"sms_text": {"type": "plain_text_input", "value": "x" * 700}},
        "encoding": {"value": {"type": "static_select", "selected_option": {"value": "auto"}}},
        "when": {"value": {"type": "datetimepicker", "selected_date_time": int(time.time()) - 60}},
    }
    refused = await stack.slack.submit_view(view_id, "U0ANNA", values)
    body = refused.json()
    assert body["response_action"] == "errors"
    assert body["errors"]["text"].startswith("The SMS text is 700 characters, 88 over the limit of 612")
    assert body["errors"]["when"].startswith("That time has already passed")
    assert (
        body["errors"]["recipients"]
        == "123 is not a number that can be texted: it has 3 digits, at least 9 are needed; correct or remove it."
    )

    values["recipients"] = {"value": {"type": "plain_text_input", "value": "600 100 200"}}
    values["text"] = {"sms_text": {"type": "plain_text_input", "value": "Dzień dobry"}}
    values["when"] = {"value": {"type": "datetimepicker", "selected_date_time": None}}
    values["encoding"] = {"value": {"type": "static_select", "selected_option": {"value": "plain"}}}
    accepted = await stack.slack.submit_view(view_id, "U0ANNA", values)
    assert accepted.status_code == 200 and accepted.text == ""
    sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS from the form")
    assert sent[0].encoding is None  # "plain letters" chosen: no utf-8
    told = await stack.until(lambda: stack.slack.ephemeral, what="the private confirmation")
    assert told[0]["user"] == "U0ANNA" and told[0]["text"].startswith("Sending: +48 600 100 200 (1 SMS part).")


async def test_bad_numbers_in_the_form_show_on_the_numbers_field(stack: SandboxStack) -> None:
    await sms(stack, "help")
    view_id = await stack.until(lambda: next(iter(stack.slack.views), None), what="the form")
    values: dict[str, dict[str, Any]] = {
        "recipients": {"value": {"type": "plain_text_input", "value": "12345 hello"}},
        "text": {"sms_text": {"type": "plain_text_input", "value": "Hej"}},
        "encoding": {"value": {"type": "static_select", "selected_option": {"value": "auto"}}},
    }
    body = (await stack.slack.submit_view(view_id, "U0ANNA", values)).json()
    assert body["errors"] == {"recipients": "“hello” is not a phone number; put only numbers here."}
    values["recipients"] = {"value": {"type": "plain_text_input", "value": "12345"}}
    body = (await stack.slack.submit_view(view_id, "U0ANNA", values)).json()
    assert body["errors"]["recipients"].startswith("12345 is not a number that can be texted: it has 5 digits")


async def test_a_scheduled_send_carries_mprofis_date_and_shows_as_scheduled(make_stack: StackFactory) -> None:
    async with make_stack(status_step_seconds=0.1) as stack:
        stack.slack.config.timezones["U0ANNA"] = "Asia/Tokyo"
        answer, hook = await sms(stack, "at 2030-12-01 09:00 600100200 Przypomnienie o wizycie")
        assert answer.startswith("Scheduling for 01.12.2030 01:00: +48 600 100 200")  # 09:00 Tokyo is 01:00 in Warsaw
        sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the scheduled SMS")
        assert sent[0].scheduled_for == datetime(2030, 12, 1, 0, 0, tzinfo=UTC)
        parent = await stack.until(lambda: stack.thread_of("600 100 200"))
        line = await stack.until(lambda: status_line_with_text(stack, parent))
        await stack.until(lambda: "scheduled for 01.12.2030 01:00, accepted by mProfi" in status_line_with_text(stack, parent)[0].text)
        assert line
        reply = await stack.until(lambda: stack.slack.hook_posts(hook))
        assert reply[0]["text"].startswith("Scheduled: mProfi will send it to +48 600 100 200 at 01.12.2030 01:00.")
        await stack.drain()
        # Waiting for time, not work: two status steps (0.2 s) would have moved a message
        # that mProfi does not hold; drain() does not wait for the simulator's steps.
        await asyncio.sleep(0.3)
        assert sent[0].status == "processing"  # mProfi holds it until then


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("12345 Hej", "12345 is not a number that can be texted: it has 5 digits, at least 9 are needed."),
        ("600100200 " + "x" * 700, "The SMS text is 700 characters, 88 over the limit of 612 (5 SMS parts); shorten it by 88 characters."),
        ("600100200", "Add the message after the number(s): /sms 600100200 Your parcel is on its way."),
        ("at 2001-01-01 10:00 600100200 x", "2001-01-01 10:00 (Europe/Warsaw) has already passed; give a time in the future."),
    ],
)
async def test_typing_mistakes_get_one_sentence_and_send_nothing(stack: SandboxStack, typed: str, sentence: str) -> None:
    answer, _ = await sms(stack, typed)
    assert answer == sentence
    await stack.drain()
    assert stack.sim.messages == {}


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("400", "Not sent to +48 600 100 200: mProfi refused the request: ERR000 Nieprawidłowy odbiorca. Nothing was sent."),
        ("500_after_accept", "It is not certain whether the SMS to +48 600 100 200 was sent"),
    ],
)
async def test_mprofi_refusals_and_uncertain_sends_are_explained(stack: SandboxStack, fault: str, expected: str) -> None:
    stack.sim.queue_fault("send", fault)  # type: ignore[arg-type]  # each parameter is one of FaultKind's spellings
    _, hook = await sms(stack, "600100200 Hej")
    reply = await stack.until(lambda: stack.slack.hook_posts(hook), what="the explanation")
    assert reply[0]["text"].startswith(expected)


async def test_mprofi_unreachable_says_nothing_was_sent_yet_and_sends_once_when_back(stack: SandboxStack) -> None:
    stack.sim.queue_fault("send", "503", count=2)
    _, hook = await sms(stack, "600100200 Hej")
    reply = await stack.until(lambda: stack.slack.hook_posts(hook), what="the explanation")
    assert reply[0]["text"].startswith("mProfi could not be reached, so nothing has been sent to +48 600 100 200 yet")
    await stack.until(lambda: stack.sent_to(NUMBER), timeout=15, what="the SMS once mProfi is back")
    final = await stack.until(lambda: len(stack.slack.hook_posts(hook)) >= 2 and stack.slack.hook_posts(hook), timeout=15)
    assert final[1]["text"].startswith("Sent to +48 600 100 200")
    assert len(stack.sent_to(NUMBER)) == 1


async def test_only_allowed_people_and_channels_may_send(make_stack: StackFactory) -> None:
    settings = {"sms_allowed_users": ["U0PIOTR"], "sms_allowed_channels": [GENERAL]}
    async with make_stack(settings=settings) as stack:
        answer, _ = await sms(stack, "600100200 Hej", user="U0ANNA")
        assert answer == "Sorry, you are not on the list of people who may send SMS from Slack; ask an admin to add you."
        stack.slack.config.channels["C0OTHER"] = "other"
        answer, _ = await sms(stack, "600100200 Hej", user="U0PIOTR", channel="C0OTHER")
        assert answer == "Sorry, SMS cannot be sent from this channel; use one of the channels your admin allowed."
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Anna tries in the thread", user="U0ANNA")
        await stack.drain()
        assert stack.sim.messages == {}
        answer, _ = await sms(stack, "600100200 Hej", user="U0PIOTR", channel=GENERAL)
        assert answer.startswith("Sending:")
        await stack.until(lambda: stack.sent_to(NUMBER))


async def test_a_number_that_texted_stop_is_not_sent_to_until_it_texts_start(stack: SandboxStack) -> None:
    await stack.phone_texts(NUMBER, "Stop!")
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    await stack.until(lambda: any("texted STOP" in m.text for m in stack.replies(parent)), what="the opt-out notice")
    answer, _ = await sms(stack, "600100200,600100201 Promocja")
    assert "Not sent to +48 600 100 200: it is opted out." in answer and "Sending: 1 numbers" not in answer
    answer, _ = await sms(stack, "600100200 Hej")
    assert answer == "Nothing was sent. Not sent to +48 600 100 200: it is opted out."
    await stack.person_replies(parent, "Czy na pewno?")
    await stack.until(lambda: any("texted STOP and is not sent to" in m.text for m in stack.replies(parent)), what="refused reply")
    await stack.drain()
    assert stack.sent_to(NUMBER) == []
    await stack.phone_texts(NUMBER, "START")
    await stack.until(lambda: any("can be texted again" in m.text for m in stack.replies(parent)))
    answer, _ = await sms(stack, "600100200 Witamy ponownie")
    assert answer.startswith("Sending:")
    await stack.until(lambda: stack.sent_to(NUMBER))


async def test_ten_thousand_numbers_go_in_ten_calls_with_progress(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_bulk_batch_size": 1000}) as stack:
        numbers = [f"{500_000_000 + i}" for i in range(10_000)]
        started = time.perf_counter()
        answer, _ = await sms(stack, " ".join(numbers) + " Wielka promocja")
        send = confirm_button(answer)
        assert send["text"]["text"] == "Send 10,000 SMS"
        pressed, hook = await stack.slack.press_button(send, user="U0ANNA", channel=GENERAL)
        assert pressed.status_code == 200
        told = await stack.until(lambda: stack.slack.hook_posts(hook))
        assert told[0]["text"] == "Sending to 10,000 numbers. Progress shows in this channel."
        await stack.until(lambda: len(stack.sim.messages) == 10_000, timeout=120, what="10,000 SMS")
        progress = await stack.until(
            lambda: [m for m in stack.slack.top_level(GENERAL) if "10,000* accepted by mProfi" in str(m.blocks)],
            timeout=30,
            what="the final summary",
        )
        elapsed = time.perf_counter() - started
        calls = len(sendbulk_calls(stack))
        assert calls == 10, f"{calls} sendbulk calls"
        updates = [c for c in stack.slack.calls_to("chat.update") if c.params.get("ts") == progress[0].ts]
        assert updates, "the progress message was updated as batches completed"
        print(f"\n10,000 numbers: {calls} sendbulk calls, {len(updates)} progress updates, {elapsed:.1f} s")


async def test_a_large_list_waits_for_send_and_cancel_sends_nothing(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_confirm_above": 3}) as stack:
        answer, _ = await sms(stack, "600100200 600100201 600100202 600100203 Promocja")
        body = json.loads(answer)
        assert body["text"] == "Send 4 SMS? Nothing goes out until you press Send."
        await stack.drain()
        assert stack.sim.messages == {}
        cancel = confirm_button(answer, "sms_cancel")
        _, hook = await stack.slack.press_button(cancel, user="U0PIOTR", channel=GENERAL)
        told = await stack.until(lambda: stack.slack.hook_posts(hook))
        assert told[0]["text"] == "Only the person who typed this /sms can send or cancel it."
        _, hook = await stack.slack.press_button(cancel, user="U0ANNA", channel=GENERAL)
        told = await stack.until(lambda: stack.slack.hook_posts(hook))
        assert told[0]["text"] == "Cancelled: nothing was sent to the 4 numbers." and told[0]["replace_original"] is True
        _, hook = await stack.slack.press_button(confirm_button(answer), user="U0ANNA", channel=GENERAL)
        told = await stack.until(lambda: stack.slack.hook_posts(hook))
        assert told[0]["text"] == "This /sms was already cancelled."
        await stack.drain()
        assert stack.sim.messages == {}


async def test_a_double_click_on_send_sends_once(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_confirm_above": 2}) as stack:
        answer, _ = await sms(stack, "600100200 600100201 600100202 Hej")
        send = confirm_button(answer)
        await stack.slack.press_button(send, user="U0ANNA", channel=GENERAL)
        _, hook = await stack.slack.press_button(send, user="U0ANNA", channel=GENERAL)
        told = await stack.until(lambda: stack.slack.hook_posts(hook))
        assert told[0]["text"] == "This /sms was already confirmed; it is not sent twice."
        await stack.until(lambda: len(stack.sim.messages) == 3)
        await stack.drain()
        assert len(stack.sim.messages) == 3 and len(sendbulk_calls(stack)) == 1


async def test_hourly_limits_stop_a_person_and_a_channel(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_user_limit_per_hour": 3, "sms_channel_limit_per_hour": 4}) as stack:
        answer, _ = await sms(stack, "600100200 600100201 Hej")
        assert answer.startswith("Sending: 2 numbers")
        await stack.until(lambda: len(stack.sim.messages) == 2)
        answer, _ = await sms(stack, "600100202 600100203 Hej")
        assert answer == (
            "Not sent: this would make 4 SMS from you in an hour, and the limit is 3 (SMS_USER_LIMIT_PER_HOUR). Nothing was sent."
        )
        answer, _ = await sms(stack, "600100202 600100203 600100204 Hej", user="U0PIOTR")
        assert answer == (
            "Not sent: this would make 5 SMS from this channel in an hour, and the limit is 4 (SMS_CHANNEL_LIMIT_PER_HOUR). Nothing was sent."
        )
        await stack.drain()
        assert len(stack.sim.messages) == 2
