"""The real mProfi client against the simulator, in-process and over a loopback socket."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from bot.mprofi import (
    AuthenticationError,
    BulkEntry,
    DeliveryStatus,
    MmsFile,
    MProfiClient,
    MProfiKeys,
    MProfiMessageId,
    NotFoundError,
    OutgoingSms,
    RetryableError,
    UncertainError,
    ValidationError,
)
from bot.mprofi.models import WARSAW
from bot.sandbox.mprofi import SimulatorState
from bot.sms.text import MMS_MAX_FILE_BYTES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sent_id(entry: BulkEntry) -> MProfiMessageId:
    """The mProfi id of a bulk entry that was accepted (a refused one has none)."""
    assert entry.id is not None, f"entry {entry.index} was refused: {entry.error_text}"
    return entry.id


# ---- send/ ------------------------------------------------------------------------


async def test_send_sms_returns_id_and_sends_wire_form(mprofi: MProfiClient, sim: SimulatorState) -> None:
    result = await mprofi.send_sms("+48600100200", "Zażółć gęślą jaźń", reference="ref-1", encoding="utf-8")
    stored = sim.messages[result.id]
    assert stored.recipient == "48600100200"
    assert stored.text == "Zażółć gęślą jaźń"
    assert stored.reference == "ref-1"
    assert stored.encoding == "utf-8"
    assert stored.status == "processing"


async def test_send_sms_with_scheduled_date(mprofi: MProfiClient, sim: SimulatorState) -> None:
    when = datetime(2026, 12, 1, 9, 0, tzinfo=WARSAW)
    result = await mprofi.send_sms("600100200", "Przypomnienie", date=when)
    assert sim.messages[result.id].scheduled_for == when


@pytest.mark.parametrize(
    ("recipient", "message", "date", "text"),
    [
        ("12345", "hello", None, "Nieprawidłowy odbiorca"),
        ("600100200", "x" * 613, None, "Nieprawidłowa wiadomość"),
        ("600100200", "", None, "Nieprawidłowa wiadomość"),
        ("600100200", "hello", "next tuesday", "Nieprawidłowa data"),
    ],
)
async def test_send_sms_validation_errors(
    mprofi: MProfiClient, sim: SimulatorState, recipient: str, message: str, date: str | None, text: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await mprofi.send_sms(recipient, message, date=date)
    assert caught.value.code == "ERR000"
    assert caught.value.text == text
    assert caught.value.status_code == 400
    assert not sim.messages


@pytest.mark.parametrize("case", ["wrong", "inactive", "wrong-type"])
async def test_authentication_errors(sim: SimulatorState, sim_url: tuple[str, httpx.AsyncClient], case: str) -> None:
    base_url, http = sim_url
    keys = dict(sim.config.keys)
    if case == "wrong":
        keys["send"] = "ffffffffffffffffffffffffffffffff"
    elif case == "inactive":
        sim.config.inactive_keys.add(keys["send"])
    else:
        keys["send"] = keys["receive"]  # a receiving key cannot send
    client = MProfiClient(http, MProfiKeys(**keys), base_url)
    with pytest.raises(AuthenticationError) as caught:
        await client.send_sms("600100200", "hello")
    # The spec answers an inactive key or one of the wrong type with 400 ERR000 on send/.
    assert caught.value.status_code == (401 if case == "wrong" else 400)
    assert keys["send"] not in str(caught.value)
    assert not sim.messages


# ---- sendbulk/ ----------------------------------------------------------------------


async def test_send_bulk_messages_form_keeps_per_message_errors(mprofi: MProfiClient, sim: SimulatorState) -> None:
    result = await mprofi.send_bulk(
        [
            OutgoingSms("600100200", "one", reference="a"),
            OutgoingSms("123", "two", reference="b"),
            OutgoingSms("600100202", "x" * 700),
            OutgoingSms("600100203", "four", encoding="utf-8", date="2026-12-01 09:00:00"),
        ]
    )
    assert [e.ok for e in result.entries] == [True, False, False, True]
    ids = [sent_id(e) for e in result.accepted]
    assert ids[1] == ids[0] + 1  # consecutive, in input order
    assert result.failed[0].recipient == "123"
    assert result.failed[0].error_code == "ERR000"
    assert result.failed[0].error_text == "Nieprawidłowy odbiorca"
    assert result.failed[1].error_text == "Wiadomość jest zbyt długa"
    assert sim.messages[ids[0]].reference == "a"
    assert sim.messages[ids[1]].encoding == "utf-8"


async def test_send_bulk_default_message_form(mprofi: MProfiClient, sim: SimulatorState) -> None:
    result = await mprofi.send_bulk_default("Promocja", ["600100200", "+48600100201", "abc"])
    assert [e.ok for e in result.entries] == [True, True, False]
    assert {sim.messages[sent_id(e)].recipient for e in result.accepted} == {"600100200", "48600100201"}
    assert all(sim.messages[sent_id(e)].text == "Promocja" for e in result.accepted)


async def test_send_bulk_without_recipients_is_err001(mprofi: MProfiClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await mprofi.send_bulk_default("Promocja", [])
    assert caught.value.code == "ERR001"


# ---- sendmms/ and sendbulkmms/ ----------------------------------------------------------


async def test_send_mms_with_file(mprofi: MProfiClient, sim: SimulatorState) -> None:
    result = await mprofi.send_mms("600100200", "Zdjęcie", file=MmsFile("photo.png", PNG, "image/png"), encoding="utf-8")
    stored = sim.messages[result.id]
    assert (stored.kind, stored.file_name, stored.file_size, stored.text) == ("mms", "photo.png", len(PNG), "Zdjęcie")
    assert sim.requests[-1][1] == "form"


async def test_send_mms_without_file_or_text(mprofi: MProfiClient, sim: SimulatorState) -> None:
    result = await mprofi.send_mms("600100200")
    assert sim.messages[result.id].text == ""


@pytest.mark.parametrize(
    ("file", "text"),
    [
        (MmsFile("doc.pdf", b"%PDF", "application/pdf"), "Nieprawidłowy format pliku; dozwolone: txt, png, jpg, jpeg, gif"),
        (MmsFile("big.jpg", b"\xff" * (MMS_MAX_FILE_BYTES + 1), "image/jpeg"), "Plik jest zbyt duży; maksymalny rozmiar to 300kB"),
    ],
)
async def test_send_mms_file_rules(mprofi: MProfiClient, sim: SimulatorState, file: MmsFile, text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await mprofi.send_mms("600100200", "x", file=file)
    assert caught.value.text == text
    assert not sim.messages


async def test_send_mms_at_exact_size_limit(mprofi: MProfiClient, sim: SimulatorState) -> None:
    result = await mprofi.send_mms("600100200", file=MmsFile("edge.jpg", b"\xff" * MMS_MAX_FILE_BYTES, "image/jpeg"))
    assert sim.messages[result.id].file_size == MMS_MAX_FILE_BYTES


async def test_send_mms_text_limit(mprofi: MProfiClient) -> None:
    with pytest.raises(ValidationError):
        await mprofi.send_mms("600100200", "x" * 919)


async def test_send_bulk_mms_both_forms(mprofi: MProfiClient, sim: SimulatorState) -> None:
    broadcast = await mprofi.send_bulk_mms(
        recipients=["600100200", "600100201"], default_message="Plakat", file=MmsFile("a.gif", b"GIF89a", "image/gif")
    )
    assert len(broadcast.accepted) == 2
    assert all(sim.messages[sent_id(e)].file_name == "a.gif" for e in broadcast.accepted)
    per_message = await mprofi.send_bulk_mms(messages=[OutgoingSms("600100202", "A", reference="r1"), OutgoingSms("1", "B")])
    assert [e.ok for e in per_message.entries] == [True, False]
    assert sim.messages[sent_id(per_message.entries[0])].reference == "r1"


# ---- status/ ------------------------------------------------------------------------


async def test_status_progresses_and_reads_any_spelling(mprofi: MProfiClient, sim: SimulatorState) -> None:
    sent = await mprofi.send_sms("600100200", "hello", reference="our-7")
    first = await mprofi.get_status(sent.id)
    assert (first.status, first.reference, first.ts) == (DeliveryStatus.PROCESSING, "our-7", None)
    sim.set_status(sent.id, "sent")
    assert (await mprofi.get_status(sent.id)).status is DeliveryStatus.SENT
    sim.set_status(sent.id, "DELIVERED")
    final = await mprofi.get_status(sent.id)
    assert final.status is DeliveryStatus.DELIVERED and final.status.is_final
    assert final.ts is not None and final.raw_status == "DELIVERED"
    for spelling, expected in [
        ("WAITING_TO_PROCESS", DeliveryStatus.PROCESSING),
        ("Not Delivered", DeliveryStatus.NOT_DELIVERED),
        ("ERROR", DeliveryStatus.ERROR),
        ("EXPIRED_SOMEHOW", DeliveryStatus.UNKNOWN),
    ]:
        sim.set_status(sent.id, spelling)
        assert (await mprofi.get_status(sent.id)).status is expected


async def test_status_of_unknown_id_is_not_found(mprofi: MProfiClient) -> None:
    with pytest.raises(NotFoundError):
        await mprofi.get_status(999999)


# ---- getincoming/ -------------------------------------------------------------------------


async def test_get_incoming_in_range(mprofi: MProfiClient, sim: SimulatorState) -> None:
    base = datetime(2026, 11, 20, 10, 0, tzinfo=WARSAW)
    sim.inject_inbound("48600100200", "early", ts=base, deliver=False)
    sim.inject_inbound("+48600100201", "inside", ts=base + timedelta(hours=2), deliver=False)
    sim.inject_inbound("48600100202", "late", ts=base + timedelta(days=2), deliver=False)
    sim.inject_inbound("48600100203", "from the app", ts=base + timedelta(hours=2), mobileapp=True)
    found = await mprofi.get_incoming("2026-11-20 11:00", base + timedelta(hours=3))
    assert [m.message for m in found] == ["inside"]
    assert found[0].sender == "+48600100201"
    assert found[0].ts == base + timedelta(hours=2)
    app = await mprofi.get_incoming_mobileapp("2026-11-20", "2026-11-21")
    assert [(m.message, m.recipient) for m in app] == [("from the app", "Aplikacja Mobilna")]


async def test_get_incoming_rejects_reversed_range(mprofi: MProfiClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await mprofi.get_incoming("2026-11-21", "2026-11-20")
    assert "wcześniejszy" in caught.value.text


async def test_get_incoming_needs_the_receiving_key(sim: SimulatorState, sim_url: tuple[str, httpx.AsyncClient]) -> None:
    base_url, http = sim_url
    keys = MProfiKeys(**{**sim.config.keys, "receive": sim.config.keys["send"]})
    with pytest.raises(AuthenticationError):
        await MProfiClient(http, keys, base_url).get_incoming("2026-11-20", "2026-11-21")


# ---- surveys --------------------------------------------------------------------------


async def test_surveys_list_detail_start_report(mprofi: MProfiClient) -> None:
    surveys = await mprofi.list_surveys()
    assert [(s.id, s.active) for s in surveys] == [(1, True), (2, False)]
    detail = await mprofi.get_survey(1)
    assert (detail.name, detail.msisdn, detail.participants) == ("Zadowolenie klienta", "48664400100", 4)
    await mprofi.start_survey(1, "+48600100299")
    assert (await mprofi.get_survey(1)).participants == 5
    report = await mprofi.get_survey_report(1)
    first = report[0]
    assert (first.msisdn, first.answers) == ("48600100200", ("tak", "5", "Dziękuję"))
    assert first.finished is not None
    assert report[-1].msisdn == "48600100299" and report[-1].finished is None


async def test_survey_errors(mprofi: MProfiClient) -> None:
    with pytest.raises(NotFoundError):
        await mprofi.get_survey(77)
    with pytest.raises(NotFoundError):
        await mprofi.get_survey_report(77)
    with pytest.raises(ValidationError) as invalid:
        await mprofi.start_survey(1, "600100200")  # not the 48XXXXXXXXX form
    assert "msisdn" in invalid.value.text
    with pytest.raises(ValidationError) as inactive:
        await mprofi.start_survey(2, "48600100200")
    assert "nieaktywna" in inactive.value.text


# ---- HLR --------------------------------------------------------------------------------


async def test_hlr_single(mprofi: MProfiClient) -> None:
    result = await mprofi.hlr_single("+48600100200")
    assert result.valid and result.provider == "Plus"
    assert (result.mcc, result.mnc) == ("260", "01")
    assert result.checked_at is not None
    dead = await mprofi.hlr_single("48100100200")
    assert not dead.valid


async def test_hlr_single_rejects_national_form(mprofi: MProfiClient) -> None:
    with pytest.raises(ValidationError):
        await mprofi.hlr_single("600100200")


async def test_hlr_wrong_key(sim: SimulatorState, sim_url: tuple[str, httpx.AsyncClient]) -> None:
    base_url, http = sim_url
    keys = MProfiKeys(**{**sim.config.keys, "hlr": sim.config.keys["send"]})
    with pytest.raises(AuthenticationError):
        await MProfiClient(http, keys, base_url).hlr_single("48600100200")


async def test_hlr_bulk_and_download(mprofi: MProfiClient, sim: SimulatorState) -> None:
    sim.config.hlr_report_seconds = None  # the report waits until the test says so
    upload = await mprofi.hlr_bulk(["48600100200", "48700100200", "48100100200"])
    pending = await mprofi.hlr_download(upload.upload_id)
    assert not pending.ready and pending.rows == ()
    sim.finish_hlr(upload.upload_id)
    report = await mprofi.hlr_download(upload.upload_id)
    assert report.ready
    assert [(r.msisdn, r.valid, r.provider) for r in report.rows] == [
        ("48600100200", True, "Plus"),
        ("48700100200", True, "Play"),
        ("48100100200", False, ""),
    ]
    assert report.raw.startswith(b"msisdn,")


async def test_hlr_bulk_errors(mprofi: MProfiClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await mprofi.hlr_bulk(b"48600100200\nphone\n")
    assert "wiersz 2" in caught.value.text
    with pytest.raises(NotFoundError):
        await mprofi.hlr_download("nope")


# ---- faults -----------------------------------------------------------------------------


async def test_429_is_retryable_with_retry_after(mprofi: MProfiClient, sim: SimulatorState) -> None:
    sim.queue_fault("send", "429")
    with pytest.raises(RetryableError) as caught:
        await mprofi.send_sms("600100200", "hello")
    assert (caught.value.status_code, caught.value.retry_after) == (429, 1.0)
    assert not sim.messages
    assert (await mprofi.send_sms("600100200", "hello")).id  # the next call goes through


async def test_503_is_retryable(mprofi: MProfiClient, sim: SimulatorState) -> None:
    sim.queue_fault("sendbulk", "503")
    with pytest.raises(RetryableError):
        await mprofi.send_bulk_default("x", ["600100200"])
    assert not sim.messages


async def test_500_after_accept_is_uncertain(mprofi: MProfiClient, sim: SimulatorState) -> None:
    sim.queue_fault("send", "500_after_accept")
    with pytest.raises(UncertainError):
        await mprofi.send_sms("600100200", "hello")
    assert len(sim.messages) == 1  # the SMS did leave: exactly why callers must not retry


async def test_500_on_a_read_is_uncertain_not_retryable(mprofi: MProfiClient, sim: SimulatorState) -> None:
    sim.queue_fault("surveys", "500")
    with pytest.raises(UncertainError):
        await mprofi.list_surveys()


# ---- what the real service does with what we send ----------------------------------


async def test_the_mms_file_limit_is_the_specs_300_000_bytes(mprofi: MProfiClient, sim: SimulatorState) -> None:
    assert MMS_MAX_FILE_BYTES == 300_000
    ok = await mprofi.send_mms("600100200", file=MmsFile("edge.jpg", b"\xff" * 300_000, "image/jpeg"))
    assert sim.messages[ok.id].file_size == 300_000
    with pytest.raises(ValidationError):
        await mprofi.send_mms("600100200", file=MmsFile("over.jpg", b"\xff" * 300_001, "image/jpeg"))


async def test_a_scheduled_polish_broadcast_goes_as_messages_entries(mprofi: MProfiClient, sim: SimulatorState) -> None:
    """The broadcast form has no date or encoding: sent there, the SMS would leave at
    once and without its Polish letters."""
    when = datetime.now(WARSAW).replace(microsecond=0) + timedelta(days=1)
    result = await mprofi.send_bulk_default("Zażółć gęślą jaźń", ["600100200", "600100201"], encoding="utf-8", date=when)
    assert len(result.accepted) == 2
    for entry in result.accepted:
        stored = sim.messages[sent_id(entry)]
        assert stored.scheduled_for == when
        assert stored.delivered_text == "Zażółć gęślą jaźń"


async def test_without_utf8_the_phone_reads_no_polish_letters(mprofi: MProfiClient, sim: SimulatorState) -> None:
    result = await mprofi.send_bulk_default("Zażółć gęślą jaźń", ["600100200"])
    assert sim.messages[sent_id(result.accepted[0])].delivered_text == "Zazolc gesla jazn"


async def test_survey_calls_authenticate_with_the_token_header(mprofi: MProfiClient, sim: SimulatorState) -> None:
    await mprofi.list_surveys()
    await mprofi.get_survey_report(1)
    styles = {style for path, style in sim.requests if path.startswith("/1.0/surveys/")}
    assert styles == {"token-header"}
