"""The simulator itself: raw HTTP against it, its statuses, webhooks and PUSH calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Literal

import httpx
import pytest

from bot.sandbox.mprofi import SimulatorConfig, SimulatorState, create_simulator_app
from bot.sandbox.mprofi.state import SimMessage, WebhookFormat, now
from bot.sandbox.sink import RequestSink


@pytest.fixture
async def raw(sim: SimulatorState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_simulator_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://mprofi.test/1.0/") as client:
        yield client


async def test_both_authentication_styles(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["send"]
    by_field = await raw.post("send/", json={"apikey": key, "recipient": "600100200", "message": "a"})
    by_header = await raw.post("send/", data={"recipient": "600100200", "message": "b"}, headers={"Authorization": f"Token {key}"})
    by_query = await raw.get("status/", params={"apikey": key, "id": by_field.json()["id"]})
    assert by_field.status_code == by_header.status_code == by_query.status_code == 200
    assert [style for _, style in sim.requests] == ["json", "token-header", "query"]


async def test_missing_token_is_401_with_detail(raw: httpx.AsyncClient) -> None:
    response = await raw.post("send/", json={"recipient": "600100200", "message": "a"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


async def test_sendbulk_request_level_errors(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["send"]
    neither = await raw.post("sendbulk/", json={"apikey": key})
    unreadable = await raw.post("sendbulk/", json={"apikey": key, "messages": "not a list"})
    assert (neither.status_code, neither.json()["error_code"]) == (400, "ERR001")
    assert (unreadable.status_code, unreadable.json()["error_code"]) == (400, "ERR002")
    partial = await raw.post("sendbulk/", json={"apikey": key, "messages": [{"message": "no number"}, {"recipient": "600100200"}]})
    assert partial.status_code == 200
    assert partial.json()["result"] == [
        {"error_code": "ERR000", "error_message": "Brak parametru 'recipient'"},
        {"error_code": "ERR000", "error_message": "Brak parametru 'message'"},
    ]


async def test_malformed_json_is_400(raw: httpx.AsyncClient) -> None:
    response = await raw.post("send/", content=b"{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "detail" in response.json()


async def test_unix_time_date_is_accepted(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["send"]
    response = await raw.post("send/", json={"apikey": key, "recipient": "600100200", "message": "a", "date": 1795000000})
    assert response.status_code == 200
    assert sim.messages[response.json()["id"]].scheduled_for is not None


@pytest.mark.parametrize("sim_config", [SimulatorConfig(status_step_seconds=0.01)])
async def test_statuses_progress_by_themselves(sim: SimulatorState) -> None:
    sim.set_outcome("48600100201", "not delivered")
    for msg_id, recipient in ((1, "48600100200"), (2, "48600100201")):
        sim.add_message(SimMessage(msg_id, "sms", recipient, "x", None, None, None, now()))
    await sim.idle()
    assert [s for s, _ in sim.messages[1].history] == ["processing", "sent", "delivered"]
    assert [s for s, _ in sim.messages[2].history] == ["processing", "sent", "not delivered"]


@pytest.mark.parametrize("sim_config", [SimulatorConfig(status_step_seconds=0.01)])
async def test_scheduled_message_waits_for_its_time(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["send"]
    when = (now() + timedelta(seconds=0.3)).isoformat()
    response = await raw.post("send/", json={"apikey": key, "recipient": "600100200", "message": "later", "date": when})
    message = sim.messages[response.json()["id"]]
    await sim.idle()
    assert [status for status, _ in message.history] == ["processing", "sent", "delivered"]
    # Judged by the statuses' own times, not a stopwatch: none moved before the time asked for.
    assert message.scheduled_for is not None and all(at >= message.scheduled_for for _, at in message.history[1:])


async def test_push_statuses_reach_the_configured_url(sim: SimulatorState, sink: tuple[RequestSink, str]) -> None:
    recorder, url = sink
    sim.config.push_url = url + "/mprofi/status?token=s3cret"
    sim.add_message(SimMessage(1000, "sms", "48600100200", "x", "our-1", None, None, now()))
    sim.set_status(1000, "sent")
    sim.set_status(1000, "delivered")
    requests = await recorder.wait_for(2)
    bodies = sorted((json.loads(r.body) for r in requests), key=lambda b: b["status"])
    assert [b["status"] for b in bodies] == ["delivered", "sent"]
    assert all(b["id"] == 1000 and b["reference"] == "our-1" and b["ts"] for b in bodies)
    assert all(set(b) == {"id", "status", "ts", "reference"} for b in bodies)
    assert requests[0].headers["user-agent"] == "Mozilla/5.0"
    assert requests[0].headers["content-type"] == "application/json"
    assert requests[0].query == {"token": "s3cret"}


@pytest.mark.parametrize("fmt", ["standard", "3cx"])
async def test_inbound_json_formats(sim: SimulatorState, sink: tuple[RequestSink, str], fmt: Literal["standard", "3cx"]) -> None:
    recorder, url = sink
    sim.config.webhook_url = url + "/mprofi/incoming"
    sim.config.webhook_token = "hook-token"
    sim.config.webhook_format = fmt
    record = sim.inject_inbound("48600100200", "Dzień dobry")
    [request] = await recorder.wait_for(1)
    await asyncio.wait_for(record.delivered.wait(), 2)
    body = json.loads(request.body)
    assert request.headers["authorization"] == "hook-token"
    if fmt == "standard":
        assert body == {"sender": "48600100200", "recipient": "48664400100", "message": "Dzień dobry"}
    else:
        assert body["event_type"] == "message . Received"
        assert body["payload"]["from"]["phone_number"] == "+48600100200"
        assert body["payload"]["text"] == "Dzień dobry"
        assert body["payload"]["received_at"]


@pytest.mark.parametrize("fmt", ["standard", "3cx", "mms"])
async def test_alphanumeric_and_short_code_senders(sim: SimulatorState, sink: tuple[RequestSink, str], fmt: WebhookFormat) -> None:
    """Sender ids that are not numbers reach the webhook and getincoming exactly as given."""
    recorder, url = sink
    sim.config.webhook_url = url + "/mprofi/incoming"
    images = [("a.jpg", b"\xff\xd8", "image/jpeg")] if fmt == "mms" else None
    for sender in ("ORANGE", "mBank", "8080"):
        sim.inject_inbound(sender, "kod 1234", images=images, webhook_format=fmt)
    requests = await recorder.wait_for(3)
    if fmt == "mms":
        got = [r.form["sender"] for r in requests]
    else:
        bodies = [json.loads(r.body) for r in requests]
        got = [b["payload"]["from"]["phone_number"] if fmt == "3cx" else b["sender"] for b in bodies]
    assert sorted(got) == sorted(["ORANGE", "mBank", "8080"])


async def test_control_inbound_takes_any_sender(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    response = await raw.post("http://mprofi.test/_sim/inbound", json={"sender": "mBank", "message": "Twój kod"})
    assert response.status_code == 200 and sim.incoming[-1].sender == "mBank"
    incoming = await raw.post(
        "getincoming/",
        json={"apikey": sim.config.keys["receive"], "date_from": "2000-01-01", "date_to": "2100-01-01"},
    )
    assert [m["sender"] for m in incoming.json()] == ["mBank"]


async def test_push_is_one_attempt_with_the_spec_body(sim: SimulatorState, sink: tuple[RequestSink, str]) -> None:
    """The spec documents no retry for PUSH: a failed push is logged and not repeated."""
    recorder, url = sink
    sim.config.push_url = url + "/mprofi/status"
    sim.config.webhook_retry_seconds = 0.0
    recorder.fail_next(1, 500)
    sim.add_message(SimMessage(7, "sms", "48600100200", "x", None, None, None, now()))
    sim.set_status(7, "delivered")
    await sim.idle()
    [request] = recorder.requests
    assert request.method == "POST" and request.headers["user-agent"] == "Mozilla/5.0"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert list(body) == ["id", "status", "ts", "reference"] and body["reference"] is None
    assert [(b, a.status_code) for b, a in sim.push_attempts] == [(body, 500)]


async def test_inbound_mms_is_multipart_with_images(sim: SimulatorState, sink: tuple[RequestSink, str]) -> None:
    recorder, url = sink
    sim.config.webhook_url = url + "/mprofi/incoming"
    sim.config.webhook_header = "X-Custom-Header"
    sim.config.webhook_token = "hook-token"
    images = [("photo.jpg", b"\xff\xd8\xff", "image/jpeg"), ("diagram.png", b"\x89PNG", "image/png")]
    sim.inject_inbound("+48600100200", "Zdjęcia", images=images)
    [request] = await recorder.wait_for(1)
    assert request.headers["x-custom-header"] == "hook-token"
    assert request.form == {"sender": "+48600100200", "recipient": "48664400100", "message": "Zdjęcia"}
    assert request.files["image1"] == ("photo.jpg", b"\xff\xd8\xff", "image/jpeg")
    assert request.files["image2"][0] == "diagram.png"


async def test_inbound_is_retried_three_times_until_2xx(sim: SimulatorState, sink: tuple[RequestSink, str]) -> None:
    recorder, url = sink
    sim.config.webhook_url = url + "/mprofi/incoming"
    sim.config.webhook_retry_seconds = 0.01
    recorder.fail_next(2, 503)
    record = sim.inject_inbound("48600100200", "ponawiam")
    await asyncio.wait_for(record.delivered.wait(), 2)
    assert [a.status_code for a in record.attempts] == [503, 503, 200]
    # A receiver that never answers 2xx gets exactly three attempts, then nothing more.
    recorder.fail_next(5, 500)
    lost = sim.inject_inbound("48600100200", "nikt nie słucha")
    await sim.idle()
    assert [a.status_code for a in lost.attempts] == [500, 500, 500]
    assert not lost.delivered.is_set()
    assert len(recorder.requests) == 6


async def test_unreachable_receiver_is_recorded(sim: SimulatorState) -> None:
    sim.config.webhook_url = "http://127.0.0.1:9/mprofi/incoming"
    sim.config.webhook_retry_seconds = 0.0
    record = sim.inject_inbound("48600100200", "halo")
    await sim.idle()
    assert [a.status_code for a in record.attempts] == [None, None, None]
    assert all(a.error for a in record.attempts)


async def test_survey_answers_are_notified(sim: SimulatorState, sink: tuple[RequestSink, str]) -> None:
    recorder, url = sink
    sim.config.survey_webhook_url = url + "/mprofi/surveys"
    sim.answer_survey(1, "48600100299", "tak")
    [request] = await recorder.wait_for(1)
    assert json.loads(request.body) == {"survey_id": 1, "msisdn": "48600100299", "answer": "tak"}


async def test_hlr_bulk_file_rules(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["hlr"]
    missing = await raw.post("hlr/bulk/", files=[("apikey", (None, key.encode()))])
    too_big = await raw.post("hlr/bulk/", data={"apikey": key}, files={"file": ("n.csv", b"48600100200\n" * 900_000)})
    header = await raw.post("hlr/bulk/", data={"apikey": key}, files={"file": ("n.csv", b"msisdn\n48600100200\n")})
    assert missing.status_code == too_big.status_code == header.status_code == 400
    assert missing.json()["detail"] == "Brak pliku w parametrze 'file'"
    assert "10MB" in too_big.json()["detail"]
    assert "wiersz 1" in header.json()["detail"]


async def test_control_routes(raw: httpx.AsyncClient, sim: SimulatorState) -> None:
    key = sim.config.keys["send"]
    sent = (await raw.post("send/", json={"apikey": key, "recipient": "600100200", "message": "a"})).json()["id"]
    await raw.post(f"http://mprofi.test/_sim/messages/{sent}/status", json={"status": "delivered"})
    listed = (await raw.get("http://mprofi.test/_sim/messages")).json()
    assert listed[0]["status"] == "delivered"
    await raw.post("http://mprofi.test/_sim/faults", json={"endpoint": "send", "kind": "503"})
    assert (await raw.post("send/", json={"apikey": key, "recipient": "600100200", "message": "a"})).status_code == 503
    injected = await raw.post("http://mprofi.test/_sim/inbound", json={"sender": "48600100200", "message": "hej"})
    assert injected.status_code == 200 and sim.incoming[-1].message == "hej"
