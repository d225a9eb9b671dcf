"""What a real mProfi account would do that a lenient stand-in hid: scheduled and
Polish broadcasts, lost PUSH statuses, key errors, sender names, MMS parts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.bridge.refusals import KEY_REFUSED
from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from storage.models import Message
from tests.support import NUMBER, PNG, StackFactory, calls_to, jobs_left, open_thread, outgoing, status_lines

GENERAL = "C0GENERAL"
AUTH = {"Authorization": WEBHOOK_TOKEN}


async def sms(stack: SandboxStack, text: str) -> str:
    response, _ = await stack.slack.run_command("/sms", text, channel=GENERAL)
    assert response.status_code == 200
    return response.text


# ---- 1. sendbulk/'s broadcast form has no date and no encoding --------------------


async def test_a_scheduled_polish_sms_to_several_numbers_keeps_its_time_and_its_letters(stack: SandboxStack) -> None:
    await sms(stack, "at 2030-12-01 09:00 600100200 600100201 Zażółć gęślą jaźń")
    sent = await stack.until(lambda: len(stack.sim.messages) == 2 and list(stack.sim.messages.values()), what="two SMS")
    assert len(calls_to(stack, "/1.0/sendbulk/")) == 1
    for message in sent:
        assert message.scheduled_for == datetime(2030, 12, 1, 8, 0, tzinfo=UTC)
        assert message.encoding == "utf-8"
        assert message.delivered_text == "Zażółć gęślą jaźń"  # what the phones will read


async def test_a_plain_broadcast_still_uses_the_short_form(stack: SandboxStack) -> None:
    await sms(stack, "600100200 600100201 Promocja do piatku")
    sent = await stack.until(lambda: len(stack.sim.messages) == 2 and list(stack.sim.messages.values()))
    assert {m.delivered_text for m in sent} == {"Promocja do piatku"}
    assert all(m.scheduled_for is None for m in sent)


# ---- 2. PUSH is sent once: the safety net asks status/ ------------------------------


async def test_a_lost_push_is_caught_by_asking_status(make_stack: StackFactory) -> None:
    async with make_stack(settings={"mprofi_status_recheck_minutes": 0.005}) as stack:  # 0.3 s
        stack.sim.config.push_url = None  # every push is lost on the way
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Paczka jest w drodze")
        sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        await stack.until(lambda: status_lines(stack, parent), what="the status line")
        stack.sim.set_status(sent[0].id, "delivered")
        await stack.until(lambda: ": delivered" in status_lines(stack, parent)[0].text, what="delivered, learnt by asking")
        await stack.drain()
        [message] = await outgoing(stack)
        assert message.next_poll_at is None  # a final state ends the checks: none is due, ever
        assert len(calls_to(stack, "/1.0/status/")) == message.polls >= 1


async def test_while_pushes_arrive_status_is_not_asked(make_stack: StackFactory) -> None:
    """Each PUSH moves the safety net's check later; a final one ends it."""
    async with make_stack(settings={"mprofi_status_recheck_minutes": 0.05}) as stack:  # 3 s
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Dzień dobry")
        sent = await stack.until(lambda: stack.sent_to(NUMBER))
        await stack.until(lambda: [m for m in status_lines(stack, parent) if "accepted by mProfi" in m.text])
        [accepted] = await outgoing(stack)
        stack.sim.set_status(sent[0].id, "sent")  # pushed to /mprofi/status: the check moves on
        await stack.until(lambda: status_lines(stack, parent) and "sent to the network" in status_lines(stack, parent)[0].text)
        [pushed] = await outgoing(stack)
        assert accepted.next_poll_at is not None and pushed.next_poll_at is not None and pushed.next_poll_at > accepted.next_poll_at
        stack.sim.set_status(sent[0].id, "delivered")
        await stack.until(lambda: ": delivered" in status_lines(stack, parent)[0].text)
        await stack.drain()
        [delivered] = await outgoing(stack)
        assert delivered.next_poll_at is None  # no check will ever be due
        assert calls_to(stack, "/1.0/status/") == []


async def test_pull_follows_messages_sent_to_several_numbers(make_stack: StackFactory) -> None:
    async with make_stack(status_mode="pull") as stack:
        await sms(stack, "600100200 600100201 Przypomnienie o wizycie")
        sent = await stack.until(lambda: len(stack.sim.messages) == 2 and list(stack.sim.messages.values()))
        for message in sent:
            stack.sim.set_status(message.id, "delivered")

        async def all_delivered() -> bool:
            return [m.status for m in await outgoing(stack)] == ["delivered", "delivered"]

        await stack.until(all_delivered, what="both statuses, by asking")


async def test_the_push_route_keeps_good_entries_and_names_the_bad_ones(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "Hej")
    [sent] = await stack.until(lambda: stack.sent_to(NUMBER))
    await stack.until(lambda: status_lines(stack, parent))
    body = {
        "result": [
            {"id": 2**70, "status": "delivered", "ts": None, "reference": None},
            {"id": sent.id, "status": "delivered", "ts": "2026-11-30T10:00:00+01:00", "reference": sent.reference},
            {"id": "siedem", "status": "delivered"},
        ]
    }
    response = await stack.http.post(stack.app_url + "/mprofi/status", json=body, headers=AUTH)
    assert response.status_code == 200
    answer = response.json()
    assert answer["applied"] == 1 and [r["index"] for r in answer["refused"]] == [1, 3]
    await stack.until(lambda: ": delivered" in status_lines(stack, parent)[0].text)
    lone = await stack.http.post(stack.app_url + "/mprofi/status", json={"id": 2**64, "status": "sent"}, headers=AUTH)
    assert lone.status_code == 400 and "whole number" in lone.json()["error"]


# ---- 3. a refused key stops a broadcast ------------------------------------------


async def test_an_inactive_key_stops_a_broadcast_after_one_call(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_bulk_batch_size": 1}) as stack:
        stack.sim.config.inactive_keys.add(stack.sim.config.keys["send"])
        await sms(stack, "600100200 600100201 600100202 Promocja")

        async def all_failed() -> list[Message] | None:
            rows = await outgoing(stack)
            return rows if len(rows) == 3 and all(m.status == "failed" for m in rows) else None

        rows = await stack.until(all_failed, what="every number failed")
        # One sentence for an admin on every number: the first refusal stopped the
        # broadcast (batch after batch would each have said mProfi's own words).
        assert rows and {m.status_detail for m in rows} == {KEY_REFUSED}
        assert stack.sim.messages == {}


# ---- 5. senders that are not phone numbers ---------------------------------------


async def test_a_sender_name_gets_its_thread_and_a_reply_there_says_why_it_is_not_sent(stack: SandboxStack) -> None:
    await stack.phone_texts("ORANGE", "Twoja faktura jest gotowa")
    await stack.phone_texts("mBank", "Kod: 1234")
    parent = await stack.until(lambda: stack.thread_of("with ORANGE"), what="the ORANGE thread")
    await stack.until(lambda: stack.thread_of("with mBank"), what="the mBank thread")
    [message] = await stack.until(lambda: stack.replies(parent))
    assert message.text == "SMS from ORANGE: Twoja faktura jest gotowa"
    await stack.person_replies(parent, "Dziękujemy")
    line = await stack.until(lambda: [m for m in stack.replies(parent) if "not sent" in m.text], what="the refusal")
    assert "ORANGE is a sender name or short code, not a phone number" in line[0].text
    await stack.drain()
    assert stack.sim.messages == {}


async def test_a_short_code_arrives_through_the_catch_up_too(make_stack: StackFactory) -> None:
    async with make_stack(settings={"catchup_interval_seconds": 0.3}) as stack:
        stack.sim.config.webhook_url = None
        stack.sim.inject_inbound("8080", "Saldo: 12,50 zł")
        parent = await stack.until(lambda: stack.thread_of("with 8080"), timeout=10, what="the short-code thread")
        replies = await stack.until(lambda: stack.replies(parent))
        assert replies[0].text == "SMS from 8080: Saldo: 12,50 zł"


# ---- 6. the MMS webhook keeps what it can ----------------------------------------


async def test_an_mms_part_that_is_not_an_image_is_left_out_and_named(stack: SandboxStack) -> None:
    files = {"image1": ("zdjecie.png", PNG, "image/png"), "image2": ("umowa.pdf", b"%PDF-1.4 ...", "application/pdf")}
    data = {"sender": NUMBER, "recipient": "48664400100", "message": "Zdjęcie i umowa"}
    response = await stack.http.post(stack.app_url + "/mprofi/incoming", data=data, files=files, headers=AUTH)
    assert response.status_code == 200, response.text
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: len(stack.replies(parent)) == 3 and stack.replies(parent), what="text, image, note")
    assert replies[0].text.endswith("Zdjęcie i umowa")
    assert [r.files[0]["title"] for r in replies if r.files] == ["zdjecie.png"]
    assert "umowa.pdf (image2): it is not a JPEG or PNG image" in replies[2].text


async def test_an_mms_without_files_may_come_urlencoded(stack: SandboxStack) -> None:
    data = {"sender": NUMBER, "recipient": "48664400100", "message": "Bez załącznika"}
    response = await stack.http.post(stack.app_url + "/mprofi/incoming", data=data, headers=AUTH)
    assert response.status_code == 200, response.text
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: stack.replies(parent))
    assert replies[0].text.endswith("Bez załącznika")


async def test_text_that_is_not_utf8_is_read_as_utf8_with_replacements(stack: SandboxStack) -> None:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="sender"\r\n\r\n{NUMBER}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n'
        ).encode()
        + "Zażółć ".encode()
        + b"\xff\xfe"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await stack.http.post(stack.app_url + "/mprofi/incoming", content=body, headers=headers)
    assert response.status_code == 200, response.text
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: stack.replies(parent))
    assert replies[0].text.endswith("Zażółć \ufffd\ufffd")  # never guessed as Latin-1 ("ZaÅ¼Ã³...")


async def test_a_webhook_with_only_bad_parts_still_keeps_the_text(stack: SandboxStack) -> None:
    files = {"attachment": ("virus.exe", b"MZ\x90\x00", "application/octet-stream")}
    data = {"sender": NUMBER, "message": "Tylko tekst przeszedł"}
    response = await stack.http.post(stack.app_url + "/mprofi/incoming", data=data, files=files, headers=AUTH)
    assert response.status_code == 200
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: len(stack.replies(parent)) == 2 and stack.replies(parent))
    assert "virus.exe (attachment): MMS images come as image1, image2" in replies[1].text


# ---- 4 and 9. answers of an unknown shape are reported, never waited out or fatal ----


async def test_an_hlr_report_of_an_unknown_shape_is_reported_at_once(make_stack: StackFactory) -> None:
    settings = {"hlr_poll_first_seconds": 0.05, "hlr_poll_max_seconds": 0.1, "hlr_report_timeout_seconds": 600}
    async with make_stack(settings=settings) as stack:
        stack.sim.queue_fault("hlr/download", "garbled")
        response, _ = await stack.slack.run_command("/hlr", "600100200 600100201", channel=GENERAL)
        assert response.status_code == 200
        failed = await stack.until(
            lambda: [m for m in stack.slack.top_level(GENERAL) if "answered something unexpected" in str(m.blocks)],
            what="the report of the odd answer",
        )
        assert "upload id" in str(failed[0].blocks)
        await stack.drain()
        assert await jobs_left(stack) == 0  # no check is waiting to ask again
        assert calls_to(stack, "/1.0/hlr/download/") == []  # only the one odd answer, never asked again


async def test_a_status_answer_that_does_not_parse_does_not_stop_the_poller(
    make_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_stack(status_mode="pull") as stack:
        stack.sim.queue_fault("status", "garbled", count=2)
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Dzień dobry")
        [sent] = await stack.until(lambda: stack.sent_to(NUMBER))
        stack.sim.set_status(sent.id, "delivered")
        await stack.until(
            lambda: status_lines(stack, parent) and ": delivered" in status_lines(stack, parent)[0].text,
            timeout=15,
            what="delivered, after two unreadable answers",
        )
    assert "status check of message" in caplog.text  # reported as mProfi's error, message by message
    assert "status polling failed" not in caplog.text  # never an exception out of the poller


async def test_a_foreign_number_without_plus_is_read_as_international(stack: SandboxStack) -> None:
    """mProfi writes senders as 47…, 45…: ten digits from Norway or Denmark are numbers, not typos."""
    await stack.phone_texts("4791234567", "Hei fra Oslo")
    parent = await stack.until(lambda: stack.thread_of("+47"), what="the Norwegian thread")
    assert "+47 91 23 45 67" in parent.text


async def test_push_entries_with_absurd_ids_or_times_are_refused_alone(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "Hej")
    [sent] = await stack.until(lambda: stack.sent_to(NUMBER))
    await stack.until(lambda: status_lines(stack, parent))
    body = [
        {"id": "9" * 5000, "status": "delivered", "ts": None, "reference": None},
        {"id": sent.id, "status": "sent", "ts": "9999-12-31T23:59:59-05:00", "reference": None},
        {"id": sent.id, "status": "delivered", "ts": "2026-11-30 10:00:00", "reference": sent.reference},
    ]
    response = await stack.http.post(stack.app_url + "/mprofi/status", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    assert [(r["index"], r["error"]) for r in response.json()["refused"]] == [
        (1, "id must be a positive whole number mProfi could have given"),
        (2, "ts is out of range"),
    ]
    await stack.until(lambda: ": delivered" in status_lines(stack, parent)[0].text)


async def test_mms_parts_past_ten_and_nameless_image_parts_are_accounted_for(stack: SandboxStack) -> None:
    files = [(f"image{n}", (f"p{n}.png", PNG, "image/png")) for n in range(1, 13)]
    boundary = "b0undary"
    nameless = (
        (  # image13 sent as a plain field: no file name
            f'--{boundary}\r\nContent-Disposition: form-data; name="sender"\r\n\r\n{NUMBER}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image1"\r\n\r\n'
        ).encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = await stack.http.post(
        stack.app_url + "/mprofi/incoming",
        content=nameless,
        headers={**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    response = await stack.http.post(
        stack.app_url + "/mprofi/incoming", data={"sender": "48600100300", "message": "Dwanaście zdjęć"}, files=files, headers=AUTH
    )
    assert response.status_code == 200, response.text
    first = await stack.until(lambda: stack.thread_of("600 100 200"))
    await stack.until(lambda: [r for r in stack.replies(first) if r.files], what="the nameless image")
    second = await stack.until(lambda: stack.thread_of("600 100 300"))
    replies = await stack.until(
        lambda: len(stack.replies(second)) == 12 and stack.replies(second), timeout=20, what="text, 10 images, note"
    )
    assert len([r for r in replies if r.files]) == 10
    assert "2 more file(s): the bridge keeps at most 10 per MMS" in replies[-1].text


async def test_urlencoded_text_that_is_not_utf8_gets_replacements(stack: SandboxStack) -> None:
    body = b"sender=" + NUMBER.encode() + b"&message=Za%C5%BC%C3%B3%C5%82%C4%87+%FF%FE"
    headers = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    response = await stack.http.post(stack.app_url + "/mprofi/incoming", content=body, headers=headers)
    assert response.status_code == 200, response.text
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: stack.replies(parent))
    assert replies[0].text.endswith("Zażółć \ufffd\ufffd")
