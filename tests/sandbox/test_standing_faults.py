"""Faults switched on and off by hand, as the sandbox console does: an outage, a rate
limit or slow answers that last until cleared, not for the next N calls only.

Everything goes over real HTTP on loopback; Slack's side is checked with slack_sdk's own
client, never the app's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorState, create_simulator_app
from bot.sandbox.mprofi.state import FaultKind, SimMessage, now
from bot.sandbox.sink import RequestSink
from bot.sandbox.slack import SlackState
from bot.sandbox.slack.state import Fault
from bot.sandbox.stack import SandboxStack

# ---- mProfi ---------------------------------------------------------------------------


@pytest.fixture
async def mprofi(sim: SimulatorState) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """The simulator on a real loopback socket: (its root URL, a client)."""
    async with LoopbackServer(create_simulator_app(sim), lifespan="off") as server, httpx.AsyncClient(timeout=5.0) as http:
        yield server.url, http


async def send(sim: SimulatorState, mprofi: tuple[str, httpx.AsyncClient], text: str = "a", timeout: float = 5.0) -> httpx.Response:
    url, http = mprofi
    body = {"apikey": sim.config.keys["send"], "recipient": "600100200", "message": text}
    return await http.post(url + "/1.0/send/", json=body, timeout=timeout)


async def test_standing_503_answers_every_api_call_until_cleared(sim: SimulatorState, mprofi: tuple[str, httpx.AsyncClient]) -> None:
    url, http = mprofi
    sim.standing_fault = "503"
    for _ in range(3):
        assert (await send(sim, mprofi)).status_code == 503
    status = await http.get(url + "/1.0/status/", params={"apikey": sim.config.keys["send"], "id": 1})
    incoming = await http.post(url + "/1.0/getincoming/", json={"apikey": sim.config.keys["receive"]})
    assert (status.status_code, incoming.status_code) == (503, 503)
    assert sim.messages == {}  # refused, not carried out
    sim.standing_fault = None
    answer = await send(sim, mprofi, "after")
    assert answer.status_code == 200
    assert [m.text for m in sim.messages.values()] == ["after"]


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("429", 429)])
async def test_standing_fault_answers_its_status(
    sim: SimulatorState, mprofi: tuple[str, httpx.AsyncClient], kind: FaultKind, status: int
) -> None:
    sim.standing_fault = kind
    answer = await send(sim, mprofi)
    assert answer.status_code == status
    if status == 429:
        assert answer.headers["Retry-After"] == "1"


async def test_a_queued_fault_comes_before_the_standing_one(sim: SimulatorState, mprofi: tuple[str, httpx.AsyncClient]) -> None:
    sim.standing_fault = "503"
    sim.queue_fault("send", "400")
    assert [(await send(sim, mprofi)).status_code for _ in range(3)] == [400, 503, 503]


async def test_slow_answers_delay_every_call_which_is_still_carried_out(sim: SimulatorState, mprofi: tuple[str, httpx.AsyncClient]) -> None:
    sim.config.answer_delay_seconds = 0.3
    started = time.monotonic()
    answer = await send(sim, mprofi, "slow")
    assert time.monotonic() - started >= 0.3
    assert answer.status_code == 200
    assert sim.messages[answer.json()["id"]].text == "slow"


async def test_slow_answers_carry_out_a_call_the_caller_gave_up_on(sim: SimulatorState, mprofi: tuple[str, httpx.AsyncClient]) -> None:
    """As a slow server: the SMS goes although the client timed out (so it may send twice)."""
    sim.config.answer_delay_seconds = 0.5
    with pytest.raises(httpx.ReadTimeout):
        await send(sim, mprofi, "gave up", timeout=0.1)
    deadline = time.monotonic() + 5
    while not sim.messages and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert [m.text for m in sim.messages.values()] == ["gave up"]


async def test_control_routes_are_never_delayed_or_faulted(sim: SimulatorState, mprofi: tuple[str, httpx.AsyncClient]) -> None:
    url, http = mprofi
    sim.standing_fault = "503"
    sim.config.answer_delay_seconds = 1.0
    started = time.monotonic()
    inbound = await http.post(url + "/_sim/inbound", json={"sender": "48600100200", "message": "hi", "format": "standard"})
    queued = await http.post(url + "/_sim/faults", json={"endpoint": "send", "kind": "400"})
    listed = await http.get(url + "/_sim/messages")
    assert time.monotonic() - started < 0.9
    assert (inbound.status_code, queued.status_code, listed.status_code) == (200, 200, 200)
    assert [m.message for m in sim.incoming] == ["hi"]


async def test_a_status_changed_while_push_is_off_is_never_pushed(sim: SimulatorState, sink: tuple[RequestSink, str]) -> None:
    """mProfi sends a PUSH when the status changes, or never: switching it back on sends
    only the changes from then on."""
    recorder, url = sink
    sim.config.push_url = url + "/status"
    sim.add_message(sim_message(sim))
    saved, sim.config.push_url = sim.config.push_url, None
    sim.set_status(1000, "sent")
    sim.config.push_url = saved
    await sim.idle()
    assert sim.push_attempts == []
    sim.set_status(1000, "delivered")
    await sim.idle()
    assert [body["status"] for body, _ in sim.push_attempts] == ["delivered"]
    assert len(recorder.requests) == 1


def sim_message(sim: SimulatorState) -> SimMessage:
    return SimMessage(sim.next_ids(1)[0], "sms", "48600100200", "x", None, None, None, now())


# ---- Slack ----------------------------------------------------------------------------


def web(slack: SlackState, *, ride_out_rate_limits: bool = False) -> AsyncWebClient:
    """slack_sdk's client; without retry handlers unless asked, so every answer shows."""
    handlers: list[AsyncRetryHandler] = [AsyncRateLimitErrorRetryHandler(max_retry_count=5)] if ride_out_rate_limits else []
    return AsyncWebClient(token=slack.config.bot_token, base_url=slack.config.public_url + "/api/", retry_handlers=handlers)


async def test_standing_429_rate_limits_every_web_api_call_until_cleared(slack: SlackState) -> None:
    slack.standing_fault = Fault(status=429, retry_after=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as limited:
            await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="x")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "2"
        assert limited.value.response["error"] == "ratelimited"
    with pytest.raises(SlackApiError) as auth:
        await web(slack).auth_test()
    assert auth.value.response.status_code == 429
    assert slack.messages == {}
    slack.standing_fault = None
    posted = await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="now")
    assert posted["ok"] and [m.text for m in slack.messages.values()] == ["now"]


async def test_standing_503_fails_every_web_api_call_until_cleared(slack: SlackState) -> None:
    slack.standing_fault = Fault(status=503)
    with pytest.raises(SlackApiError) as down:
        await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="x")
    assert down.value.response.status_code == 503
    assert slack.messages == {}
    slack.standing_fault = None
    assert (await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="y"))["ok"]


async def test_a_queued_slack_fault_comes_before_the_standing_one(slack: SlackState) -> None:
    slack.standing_fault = Fault(status=429, retry_after=3)
    slack.fail("chat.postMessage", 500)
    statuses = []
    for _ in range(2):
        with pytest.raises(SlackApiError) as failed:
            await web(slack).chat_postMessage(channel="C0SMSBRIDGE", text="x")
        statuses.append(failed.value.response.status_code)
    assert statuses == [500, 429]


async def test_response_urls_and_file_downloads_are_not_faulted(slack: SlackState) -> None:
    upload = await web(slack).files_upload_v2(channel="C0SMSBRIDGE", file=b"\x89PNG\r\n\x1a\nxx", filename="a.png")
    private_url = upload["file"]["url_private"]
    slack.standing_fault = Fault(status=503)
    async with httpx.AsyncClient(timeout=5.0) as http:
        hook = await http.post(slack.config.public_url + "/hooks/H0TEST", json={"text": "still answered"})
        download = await http.get(private_url, headers={"Authorization": f"Bearer {slack.config.bot_token}"})
    assert (hook.status_code, hook.text) == (200, "ok")
    assert (download.status_code, download.content) == (200, b"\x89PNG\r\n\x1a\nxx")


async def test_the_sdk_rides_out_a_rate_limit_cleared_while_it_waits(slack: SlackState) -> None:
    slack.standing_fault = Fault(status=429, retry_after=1)

    async def clear_soon() -> None:
        await asyncio.sleep(0.5)
        slack.standing_fault = None

    clearing = asyncio.create_task(clear_soon())
    posted = await web(slack, ride_out_rate_limits=True).chat_postMessage(channel="C0SMSBRIDGE", text="patient")
    await clearing
    assert posted["ok"]
    assert [c.status for c in slack.calls if c.method == "chat.postMessage"] == [429, 200]


# ---- the whole bridge -------------------------------------------------------------------


async def test_the_app_rides_out_a_slack_rate_limit(stack: SandboxStack) -> None:
    stack.slack.standing_fault = Fault(status=429, retry_after=1)
    await stack.phone_texts("48600100200", "Dzień dobry")
    await asyncio.sleep(1.5)
    assert stack.thread_of("600 100 200") is None
    assert any(c.status == 429 for c in stack.slack.calls)
    stack.slack.standing_fault = None
    parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=20, what="the thread")
    await stack.until(lambda: any("Dzień dobry" in m.text for m in stack.replies(parent)), timeout=20, what="the message")
