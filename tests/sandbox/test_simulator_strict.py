"""The simulator is as strict as the spec: raw HTTP requests built by hand from the
vendor's document (never through bot.mprofi's client) and the answers it must give."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.sandbox.mprofi import SimulatorState, create_simulator_app

WARSAW = ZoneInfo("Europe/Warsaw")
ROOT = "http://mprofi.test"


@pytest.fixture
async def raw(sim: SimulatorState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_simulator_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url=ROOT + "/1.0/") as client:
        yield client


def refused(response: httpx.Response, text: str, code: str = "ERR000") -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": text, "error_code": code, "error_message": text}


def multipart(*pairs: tuple[str, str], file: tuple[str, bytes] | None = None) -> list[Any]:
    """Form fields as multipart parts (httpx would send a file-less form urlencoded)."""
    parts: list[Any] = [(name, (None, value.encode())) for name, value in pairs]
    if file is not None:
        parts.append(("file", (file[0], file[1], "application/octet-stream")))
    return parts


def sms(sim: SimulatorState, **fields: Any) -> dict[str, Any]:
    return {"apikey": sim.config.keys["send"], "recipient": "600100200", "message": "Test", **fields}


# ---- 2. documented parameters only -----------------------------------------------------


@pytest.mark.parametrize("extra", ["date", "encoding", "reference", "sender", "apiKey"])
@pytest.mark.parametrize("form", ["messages", "default"])
async def test_sendbulk_refuses_top_level_fields(raw: httpx.AsyncClient, sim: SimulatorState, extra: str, form: str) -> None:
    body: dict[str, Any] = {"apikey": sim.config.keys["send"], extra: "2030-01-01T10:00:00+01:00"}
    if form == "messages":
        body["messages"] = [{"recipient": "600100200", "message": "a"}]
    else:
        body.update(default_message="a", recipients=["600100200"])
    refused(await raw.post("sendbulk/", json=body), f"Nieznany parametr: '{extra}'")
    assert not sim.messages


def unknown_field_calls(keys: Mapping[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """One request per endpoint, each with an undocumented ``sender`` parameter."""
    header = {"Authorization": f"Token {keys['send']}"}
    day = {"date_from": "2026-01-01", "date_to": "2026-01-02"}
    mms = [("apikey", keys["mms"]), ("recipient", "600100200"), ("message", ""), ("sender", "X")]
    bulkmms = [("apikey", keys["mms"]), ("default_message", "a"), ("recipients", "600100200"), ("sender", "X")]
    send = {"apikey": keys["send"], "recipient": "600100200", "message": "a"}
    return [
        ("POST", "send/", {"json": {**send, "sender": "X"}}),
        ("POST", "send/", {"data": {**send, "sender": "X"}}),
        ("POST", "send/", {"json": send, "params": {"sender": "X"}}),
        ("POST", "sendmms/", {"files": multipart(*mms)}),
        ("POST", "sendbulkmms/", {"files": multipart(*bulkmms)}),
        ("GET", "status/", {"params": {"apikey": keys["send"], "id": "1", "sender": "X"}}),
        ("POST", "getincoming/", {"json": {"apikey": keys["receive"], **day, "sender": "X"}}),
        ("POST", "getincoming_mobileapp/", {"json": {"apikey": keys["receive"], **day, "sender": "X"}}),
        ("GET", "surveys/", {"params": {"sender": "X"}, "headers": header}),
        ("GET", "surveys/1/", {"params": {"sender": "X"}, "headers": header}),
        ("GET", "surveys/1/report/", {"params": {"sender": "X"}, "headers": header}),
        ("POST", "surveys/1/start/", {"json": {"msisdn": "48600100200", "sender": "X"}, "headers": header}),
        ("POST", "hlr/single/", {"json": {"apikey": keys["hlr"], "msisdn": "48600100200", "sender": "X"}}),
        ("POST", "hlr/bulk/", {"files": multipart(("apikey", keys["hlr"]), ("sender", "X"), file=("n.csv", b"48600100200"))}),
        ("POST", "hlr/download/", {"files": multipart(("apikey", keys["hlr"]), ("upload_id", "x"), ("sender", "X"))}),
    ]


async def test_unknown_fields_on_every_endpoint(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    keys = sim.config.keys
    for method, path, kwargs in unknown_field_calls({str(name): value for name, value in keys.items()}):
        refused(await raw.request(method, path, **kwargs), "Nieznany parametr: 'sender'")
    entry = {"recipient": "600100200", "message": "a", "sender": "X"}
    refused(await raw.post("sendbulk/", json={"apikey": keys["send"], "messages": [entry]}), "Nieznany parametr: 'messages[0].sender'")
    mms_entries = '[{"recipient": "600100200", "message": "a"}, {"recipient": "600100200", "date": "2030-01-01"}]'
    refused(
        await raw.post("sendbulkmms/", files=multipart(("apikey", keys["mms"]), ("messages", mms_entries))),
        "Nieznany parametr: 'messages[1].date'",
    )
    mms = [("apikey", keys["mms"]), ("recipient", "600100200"), ("message", ""), ("date", "2030-01-01")]
    refused(await raw.post("sendmms/", files=multipart(*mms)), "Nieznany parametr: 'date'")
    twice = [("apikey", keys["mms"]), ("recipient", "600100200"), ("message", "a"), ("message", "b")]
    refused(await raw.post("sendmms/", files=multipart(*twice)), "Parametr 'message' podano więcej niż raz")
    assert not sim.messages


WRONG_BODIES = (
    "send/ send multipart, send/ send text, sendbulk/ send urlencoded, sendmms/ mms json, sendmms/ mms urlencoded, "
    "sendbulkmms/ mms json, getincoming/ receive urlencoded, hlr/single/ hlr urlencoded, hlr/bulk/ hlr json, "
    "hlr/download/ hlr json, hlr/download/ hlr urlencoded"
)


@pytest.mark.parametrize("case", WRONG_BODIES.split(", "))
async def test_bodies_of_the_wrong_kind_are_400(raw: httpx.AsyncClient, sim: SimulatorState, case: str) -> None:
    path, key, how = case.split()
    keys = {str(name): value for name, value in sim.config.keys.items()}
    fields = {"apikey": keys[key], "upload_id": "x"}
    choices: dict[str, dict[str, Any]] = {
        "json": {"json": fields},
        "urlencoded": {"data": fields},
        "multipart": {"files": multipart(*fields.items())},
        "text": {"content": b"apikey", "headers": {"Content-Type": "text/plain"}},
    }
    kwargs = choices[how]
    response = await raw.post(path, **kwargs)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Nieobsługiwany typ treści")


async def test_sendbulk_forms(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["send"]
    both = {"apikey": key, "messages": [{"recipient": "600100200", "message": "a"}], "default_message": "a", "recipients": ["600100201"]}
    refused(await raw.post("sendbulk/", json=both), "Podaj albo messages, albo default_message i recipients")
    err001 = "Nie znaleziono wymaganych parametrów: messages lub default_message i recipients"
    for body in ({}, {"default_message": "a"}, {"recipients": ["600100200"]}, {"default_message": "a", "recipients": []}):
        refused(await raw.post("sendbulk/", json={"apikey": key, **body}), err001, "ERR001")
    err002 = "Nie udało się wczytać danych z parametru messages"
    for messages in ("{nope", {"recipient": "600100200"}, ["600100200"]):
        refused(await raw.post("sendbulk/", json={"apikey": key, "messages": messages}), err002, "ERR002")
    refused(
        await raw.post("sendbulkmms/", files=multipart(("apikey", sim.config.keys["mms"]), ("messages", "{nope"))),
        err002,
        "ERR002",
    )


# ---- 3. ranges and values ---------------------------------------------------------------


@pytest.mark.parametrize("recipient", [600100200, "+48600100200", "600 100 200", "60010020", "1" * 23, "٦٠٠١٠٠٢٠٠", ""])
async def test_bad_recipients(raw: httpx.AsyncClient, sim: SimulatorState, recipient: Any) -> None:
    refused(await raw.post("send/", json=sms(sim, recipient=recipient)), "Nieprawidłowy odbiorca")


@pytest.mark.parametrize("recipient", ["600100200", "48600100200", "1" * 22])
async def test_good_recipients(raw: httpx.AsyncClient, sim: SimulatorState, recipient: str) -> None:
    response = await raw.post("send/", json=sms(sim, recipient=recipient))
    assert response.status_code == 200 and set(response.json()) == {"id"}
    assert sim.messages[response.json()["id"]].recipient == recipient


async def test_sms_message_limits(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    assert (await raw.post("send/", json=sms(sim, message="x" * 612))).status_code == 200
    for message in ("x" * 613, "", 5, None):
        refused(await raw.post("send/", json=sms(sim, message=message)), "Nieprawidłowa wiadomość")
    body = sms(sim)
    del body["message"]
    refused(await raw.post("send/", json=body), "Nieprawidłowa wiadomość")


async def test_bulk_entry_errors_in_input_order(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    messages = [
        {"message": "a"},
        {"recipient": "600100200"},
        {"recipient": "600100200", "message": "x" * 613},
        {"recipient": "+48600100200", "message": "a"},
        {"recipient": "600100200", "message": "a", "date": "jutro"},
        {"recipient": "600100200", "message": "a", "reference": "r1", "date": 1795000000, "encoding": "utf-8"},
    ]
    response = await raw.post("sendbulk/", json={"apikey": sim.config.keys["send"], "messages": messages})
    assert response.status_code == 200 and set(response.json()) == {"result"}
    result = response.json()["result"]
    texts = [
        "Brak parametru 'recipient'",
        "Brak parametru 'message'",
        "Wiadomość jest zbyt długa",
        "Nieprawidłowy odbiorca",
        "Nieprawidłowa data",
    ]
    assert result[:5] == [{"error_code": "ERR000", "error_message": t} for t in texts]
    assert list(result[5]) == ["id"] and sim.messages[result[5]["id"]].reference == "r1"
    default = await raw.post(
        "sendbulk/", json={"apikey": sim.config.keys["send"], "default_message": "Promocja", "recipients": ["600100200", 600100201, "abc"]}
    )
    assert [e.get("error_message", "id") for e in default.json()["result"]] == [
        "id",
        "Nieprawidłowy odbiorca",
        "Nieprawidłowy odbiorca",
    ]


async def test_mms_text_and_file_limits(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["mms"]

    def mms(message: str | None, file: tuple[str, bytes] | None = None) -> Any:
        pairs = [("apikey", key), ("recipient", "600100200")] + ([("message", message)] if message is not None else [])
        return raw.post("sendmms/", files=multipart(*pairs, file=file))

    assert (await mms("")).status_code == 200
    assert (await mms("x" * 918)).status_code == 200
    refused(await mms("x" * 919), "Nieprawidłowa wiadomość")
    refused(await mms(None), "Nieprawidłowa wiadomość")
    ok = await mms("foto", ("photo.PNG", b"\0" * 300_000))
    assert ok.status_code == 200 and sim.messages[ok.json()["id"]].file_size == 300_000
    refused(await mms("foto", ("photo.png", b"\0" * 300_001)), "Plik jest zbyt duży; maksymalny rozmiar to 300kB")
    for name in ("doc.pdf", "noextension"):
        refused(await mms("foto", (name, b"x")), "Nieprawidłowy format pliku; dozwolone: txt, png, jpg, jpeg, gif")
    bulk = await raw.post(
        "sendbulkmms/",
        files=multipart(
            ("apikey", key), ("default_message", ""), ("recipients", "600100200"), ("recipients", "600100201"), file=("a.gif", b"GIF89a")
        ),
    )
    assert [list(e) for e in bulk.json()["result"]] == [["id"], ["id"]]
    too_long = await raw.post(
        "sendbulkmms/", files=multipart(("apikey", key), ("messages", '[{"recipient": "600100200", "message": "' + "x" * 919 + '"}]'))
    )
    assert too_long.json()["result"] == [{"error_code": "ERR000", "error_message": "Wiadomość jest zbyt długa"}]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2030-05-26T13:38:47+02:00", datetime(2030, 5, 26, 13, 38, 47, tzinfo=WARSAW)),
        ("2030-05-26T11:38:47Z", datetime(2030, 5, 26, 13, 38, 47, tzinfo=WARSAW)),
        ("2030-05-26T11:38:47.250Z", datetime(2030, 5, 26, 13, 38, 47, 250000, tzinfo=WARSAW)),
        ("2030-05-26T13:38:47", datetime(2030, 5, 26, 13, 38, 47, tzinfo=WARSAW)),
        (1906027200, datetime(2030, 5, 26, 14, 0, tzinfo=WARSAW)),
        ("1906027200", datetime(2030, 5, 26, 14, 0, tzinfo=WARSAW)),
    ],
)
async def test_dates_accepted(raw: httpx.AsyncClient, sim: SimulatorState, date: Any, expected: datetime) -> None:
    response = await raw.post("send/", json=sms(sim, date=date))
    assert response.status_code == 200
    assert sim.messages[response.json()["id"]].scheduled_for == expected
    listed = (await raw.get(ROOT + "/_sim/messages")).json()[-1]
    assert listed["date"] == date and datetime.fromisoformat(listed["scheduled_for"]) == expected


@pytest.mark.parametrize("date", ["jutro", "2030-13-01T00:00:00", 1906027200.5, True, -5, "26.05.2030", ["2030-05-26"]])
async def test_dates_refused(raw: httpx.AsyncClient, sim: SimulatorState, date: Any) -> None:
    refused(await raw.post("send/", json=sms(sim, date=date)), "Nieprawidłowa data")


@pytest.mark.parametrize(
    ("text", "encoding", "delivered", "parts"),
    [
        ("Zażółć gęślą jaźń", None, "Zazolc gesla jazn", 1),
        ("Zażółć gęślą jaźń", "UTF-8", "Zażółć gęślą jaźń", 1),
        ("Zażółć gęślą jaźń", "iso-8859-2", "Zazolc gesla jazn", 1),
        ("Café 👍 „cytat”", "", 'Cafe ? "cytat"', 1),
        *[("x" * n, None, "x" * n, parts) for n, parts in ((160, 1), (161, 2), (306, 2), (307, 3))],
        *[("[" * n, None, "[" * n, parts) for n, parts in ((80, 1), (81, 2))],  # extension characters count 2
        *[("ą" * n, "utf-8", "ą" * n, parts) for n, parts in ((70, 1), (71, 2), (134, 2), (135, 3))],
    ],
)
async def test_what_the_phone_receives(
    raw: httpx.AsyncClient, sim: SimulatorState, text: str, encoding: str | None, delivered: str, parts: int
) -> None:
    fields = {"encoding": encoding} if encoding is not None else {}
    response = await raw.post("send/", json=sms(sim, message=text, **fields))
    stored = sim.messages[response.json()["id"]]
    assert (stored.text, stored.delivered_text, stored.parts) == (text, delivered, parts)
    listed = (await raw.get(ROOT + "/_sim/messages")).json()[-1]
    assert (listed["message"], listed["delivered"], listed["parts"], listed["scheduled_for"]) == (text, delivered, parts, None)


async def test_default_message_form_is_always_converted(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    response = await raw.post(
        "sendbulk/", json={"apikey": sim.config.keys["send"], "default_message": "Dzięki", "recipients": ["600100200"]}
    )
    assert sim.messages[response.json()["result"][0]["id"]].delivered_text == "Dzieki"


# ---- 4. keys --------------------------------------------------------------------------------


async def test_keys_on_sending_endpoints(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    keys = sim.config.keys
    for apikey in (None, "f" * 32):
        body = sms(sim, apikey=apikey) if apikey else {k: v for k, v in sms(sim).items() if k != "apikey"}
        response = await raw.post("send/", json=body)
        assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})
    refused(await raw.post("send/", json=sms(sim, apikey=keys["receive"])), "Nieprawidłowy typ tokenu")
    refused(
        await raw.post("sendbulk/", json={"apikey": keys["mms"], "default_message": "a", "recipients": ["600100200"]}),
        "Nieprawidłowy typ tokenu",
    )
    refused(
        await raw.post("sendmms/", files=multipart(("apikey", keys["send"]), ("recipient", "600100200"), ("message", ""))),
        "Nieprawidłowy typ tokenu",
    )
    sim.config.inactive_keys.add(keys["send"])
    refused(await raw.post("send/", json=sms(sim)), "Token jest nieaktywny")
    refused(
        await raw.post("sendbulk/", json={"apikey": keys["send"], "default_message": "a", "recipients": ["600100200"]}),
        "Token jest nieaktywny",
    )
    assert not sim.messages


async def test_keys_elsewhere_are_401(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    keys = sim.config.keys
    dates = {"date_from": "2026-01-01", "date_to": "2026-01-02"}
    calls = [
        raw.post("getincoming/", json={"apikey": keys["send"], **dates}),
        raw.get("status/", params={"apikey": keys["receive"], "id": "1"}),
        raw.post("hlr/single/", json={"apikey": keys["send"], "msisdn": "48600100200"}),
    ]
    for call in calls:
        response = await call
        assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})
    sim.config.inactive_keys.add(keys["receive"])
    assert (await raw.post("getincoming/", json={"apikey": keys["receive"], **dates})).status_code == 401


async def test_token_header_everywhere_and_only_header_on_surveys(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    keys = sim.config.keys
    header = {"Authorization": f"Token {keys['send']}"}
    sent = await raw.post("send/", json={"recipient": "600100200", "message": "a"}, headers=header)
    assert sent.status_code == 200
    for path in ("surveys/", "surveys/1/", "surveys/1/report/"):
        assert (await raw.get(path, params={"apikey": keys["send"]})).status_code == 401
        assert (await raw.get(path, params={"apikey": "ignored"}, headers=header)).status_code == 200
    without = await raw.post("surveys/1/start/", json={"apikey": keys["send"], "msisdn": "48600100299"})
    assert without.status_code == 401
    started = await raw.post("surveys/1/start/", data={"apikey": "x", "msisdn": "48600100299"}, headers=header)
    assert (started.status_code, started.content) == (200, b"")
    assert {style for path, style in sim.requests if "/surveys/" in path} == {"token-header"}
    assert sim.requests[0] == ("/1.0/send/", "token-header")
    hlr = await raw.post("hlr/single/", json={"msisdn": "48600100200"}, headers={"Authorization": f"Token {keys['hlr']}"})
    assert hlr.status_code == 200


# ---- 5. answers carry the spec's fields and no others ----------------------------------------


async def test_fault_400_is_polish(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    sim.queue_fault("send", "400")
    refused(await raw.post("send/", json=sms(sim)), "Nieprawidłowy odbiorca")


async def test_status_answer(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["send"]
    msg_id = (await raw.post("send/", json=sms(sim, reference="ref-1"))).json()["id"]
    first = (await raw.get("status/", params={"apikey": key, "id": str(msg_id)})).json()
    assert first == {"id": msg_id, "status": "processing", "reference": "ref-1", "ts": None}
    sim.set_status(msg_id, "delivered")
    later = (await raw.get("status/", params={"apikey": key, "id": str(msg_id)})).json()
    assert set(later) == {"id", "status", "reference", "ts"} and later["status"] == "delivered"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d", later["ts"])
    missing = await raw.get("status/", params={"apikey": key, "id": "999999"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})


async def test_getincoming_answer_and_date_forms(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["receive"]
    sim.inject_inbound("48600100200", "pierwsza", ts=datetime(2026, 3, 1, 10, 24, 40, tzinfo=WARSAW))
    sim.inject_inbound("ORANGE", "druga", ts=datetime(2026, 3, 1, 12, 0, 0, tzinfo=WARSAW))
    sim.inject_inbound("8080", "z aplikacji", ts=datetime(2026, 3, 1, 11, 0, tzinfo=WARSAW), mobileapp=True)

    async def fetch(path: str, date_from: str, date_to: str) -> httpx.Response:
        return await raw.post(path, json={"apikey": key, "date_from": date_from, "date_to": date_to})

    whole = (await fetch("getincoming/", "2026-03-01", "2026-03-02")).json()
    assert whole == [
        {"message": "pierwsza", "sender": "48600100200", "recipient": "48664400100", "ts": "2026-03-01 10:24:40"},
        {"message": "druga", "sender": "ORANGE", "recipient": "48664400100", "ts": "2026-03-01 12:00:00"},
    ]
    assert len((await fetch("getincoming/", "2026-03-01 10:24:40", "2026-03-01 11:59")).json()) == 1
    app = (await fetch("getincoming_mobileapp/", "2026-03-01", "2026-03-02")).json()
    assert app == [{"message": "z aplikacji", "sender": "8080", "recipient": "Aplikacja Mobilna", "ts": "2026-03-01 11:00:00"}]
    refused(await fetch("getincoming/", "2026-03-01T10:00:00", "2026-03-02"), "Nieprawidłowa wartość parametru 'date_from'")
    refused(await fetch("getincoming/", "2026-03-01", "02.03.2026"), "Nieprawidłowa wartość parametru 'date_to'")
    refused(await fetch("getincoming/", "2026-03-02", "2026-03-01"), "Parametr date_to nie może być wcześniejszy niż date_from")


async def test_survey_answers(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    header = {"Authorization": f"Token {sim.config.keys['send']}"}
    listed = (await raw.get("surveys/", headers=header)).json()
    assert all(set(s) == {"id", "name", "created_at", "active", "start", "end"} for s in listed)
    detail = (await raw.get("surveys/1/", headers=header)).json()
    assert set(detail) == {"id", "name", "created_at", "active", "start", "end", "msisdn", "participants"}
    report = (await raw.get("surveys/1/report/", headers=header)).json()
    assert report and all(set(r) == {"msisdn", "answers", "finished"} for r in report)
    bad = await raw.post("surveys/1/start/", json={"msisdn": "+48600100200"}, headers=header)
    assert bad.status_code == 400


async def test_hlr_answers(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["hlr"]
    single = (await raw.post("hlr/single/", json={"apikey": key, "msisdn": "48600100200"})).json()
    assert list(single) == ["msisdn", "hlr_status_code", "Hlr_message_id", "Hlr_mccmnc", "Hlr_check_data", "spn", "valid"]
    for msisdn in ("+48600100200", 48600100200, "600 100 200"):
        assert (await raw.post("hlr/single/", json={"apikey": key, "msisdn": msisdn})).status_code == 400
    sim.config.hlr_report_seconds = None
    upload = await raw.post("hlr/bulk/", files=multipart(("apikey", key), file=("n.csv", b"48600100200\n48700100200\n")))
    assert list(upload.json()) == ["Upload_id"]
    upload_id = upload.json()["Upload_id"]
    pending = await raw.post("hlr/download/", files=multipart(("apikey", key), ("upload_id", upload_id)))
    assert pending.status_code == 202 and list(pending.json()) == ["detail"]
    sim.finish_hlr(upload_id)
    ready = await raw.post("hlr/download/", files=multipart(("apikey", key), ("upload_id", upload_id)))
    assert ready.headers["content-type"].startswith("text/csv") and ready.text.count("\n") == 3
    too_big = await raw.post("hlr/bulk/", files=multipart(("apikey", key), file=("n.csv", b"48600100200\n" * 833_334)))
    refused(too_big, "Plik jest zbyt duży; maksymalny rozmiar to 10MB")
