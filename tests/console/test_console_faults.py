"""The console's fault switches, its timeline and its live stream, over real loopback.

A switch steers only the stand-ins; each test watches the bridge meet the fault (the
timeline shows the refused calls) and recover once it is off, as it would in production.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx

from bot.sandbox.console.run import console_running
from bot.sandbox.console.switches import SLOW_SECONDS
from bot.sandbox.console.timeline import MASK
from bot.sandbox.stack import WEBHOOK_TOKEN
from tests.console.api_client import CHANNEL, PHONE, PIOTR, ConsoleApi, console_api

RECOVERY = 30.0  # seconds the bridge may take to retry once a fault is switched off


async def _switch(api: ConsoleApi, name: str, on: bool) -> None:
    await api.ok("switches", name=name, on=on)
    shown = {s["name"]: s["on"] for s in (await api.state())["switches"]}
    assert shown[name] is on


async def _refuses_connections(url: str) -> bool:
    async with httpx.AsyncClient(timeout=5.0) as http:
        try:
            await http.get(url + "/1.0/status/")
        except httpx.ConnectError:
            return True
    return False


async def test_each_switch_turns_its_fault_on_and_off_in_the_stand_ins() -> None:
    async with console_api() as api:
        sim, slack = api.stack.sim, api.stack.slack
        push = sim.config.push_url
        await _switch(api, "mprofi_5xx", True)
        assert sim.standing_fault == "503"
        await _switch(api, "mprofi_slow", True)
        assert sim.config.answer_delay_seconds == SLOW_SECONDS
        await _switch(api, "mprofi_push_off", True)
        assert sim.config.push_url is None
        await _switch(api, "mprofi_refuse", True)
        assert await _refuses_connections(api.stack.mprofi_url)
        await _switch(api, "slack_429", True)
        assert slack.standing_fault is not None and slack.standing_fault.status == 429 and slack.standing_fault.retry_after
        await _switch(api, "slack_5xx", True)  # one answer from Slack at a time: 503 replaces 429
        assert slack.standing_fault is not None and slack.standing_fault.status == 503
        assert {s["name"] for s in (await api.state())["switches"] if s["on"]} == {
            "mprofi_5xx",
            "mprofi_slow",
            "mprofi_push_off",
            "mprofi_refuse",
            "slack_5xx",
        }
        for name in ("mprofi_5xx", "mprofi_slow", "mprofi_push_off", "mprofi_refuse", "slack_5xx", "slack_429"):
            await _switch(api, name, False)
        assert sim.standing_fault is None and sim.config.answer_delay_seconds == 0.0 and sim.config.push_url == push
        assert slack.standing_fault is None and not await _refuses_connections(api.stack.mprofi_url)
        assert "no switch" in await api.refused("switches", {"name": "mprofi_fire", "on": True})


async def test_with_mprofi_answering_503_a_reply_waits_and_goes_once_it_is_off() -> None:
    async with console_api() as api:
        thread = await api.text_in("Czy paczka dotarła?")
        await _switch(api, "mprofi_5xx", True)
        await api.ok("say", user=PIOTR, channel=CHANNEL, text="Sprawdzam.", thread=thread)
        await api.stack.until(lambda: api.seen("app", "/1.0/send", 503), what="mProfi's 503 in the timeline")
        assert api.stack.sent_to(PHONE) == []
        await _switch(api, "mprofi_5xx", False)
        await api.stack.until(lambda: api.stack.sent_to(PHONE), timeout=RECOVERY, what="the reply once mProfi answers again")
        assert [m.text for m in api.stack.sent_to(PHONE)] == ["Sprawdzam."]


async def test_with_mprofi_down_a_reply_waits_and_goes_once_it_is_back() -> None:
    async with console_api() as api:
        thread = await api.text_in("Halo?")
        await _switch(api, "mprofi_refuse", True)
        await api.ok("say", user=PIOTR, channel=CHANNEL, text="Jesteśmy.", thread=thread)
        await asyncio.sleep(1.0)  # the app's first try meets the closed port
        assert api.stack.sent_to(PHONE) == []
        await _switch(api, "mprofi_refuse", False)
        await api.stack.until(lambda: api.stack.sent_to(PHONE), timeout=RECOVERY, what="the reply once mProfi is back")
        assert [m.text for m in api.stack.sent_to(PHONE)] == ["Jesteśmy."]


async def test_with_slack_rate_limiting_an_inbound_thread_appears_once_it_is_off() -> None:
    async with console_api() as api:
        await _switch(api, "slack_429", True)
        await api.ok("phones/text", digits=PHONE, text="Dzień dobry")
        await api.stack.until(lambda: api.seen("app", "/api/chat.postMessage", 429), what="Slack's 429 in the timeline")
        assert api.stack.thread_of("600 100 200") is None
        await _switch(api, "slack_429", False)
        await api.stack.until(lambda: api.stack.thread_of("600 100 200"), timeout=RECOVERY, what="the thread once Slack answers")


async def test_the_timeline_lists_every_request_and_shows_no_secret_in_any_detail() -> None:
    async with console_api() as api:
        thread = await api.text_in("Dzień dobry")
        await api.ok("say", user=PIOTR, channel=CHANNEL, text="Dzień dobry, w czym pomóc?", thread=thread)
        await api.ok("say", user=PIOTR, channel=CHANNEL, text="/hlr 600100201")
        await api.stack.drain()
        await api.stack.until(lambda: api.stack.sent_to(PHONE)[0].status == "delivered", what="the PUSH of the delivery")
        entries = await api.timeline()
        for entry in entries:
            assert {"source", "target", "method", "path", "status"} <= set(entry)
        routes = {(e["source"], e["target"], e["method"], e["path"].partition("?")[0]) for e in entries}
        assert ("mProfi", "app", "POST", "/mprofi/incoming") in routes and ("mProfi", "app", "POST", "/mprofi/status") in routes
        assert ("app", "mProfi", "POST", "/1.0/send/") in routes and ("app", "Slack", "POST", "/api/chat.postMessage") in routes
        assert ("Slack", "app", "POST", "/slack/events") in routes
        settings = api.stack.settings()
        secrets = {WEBHOOK_TOKEN, *api.stack.sim.config.keys.values()}
        for secret in (settings.slack_bot_token, settings.slack_signing_secret, settings.mprofi_api_key):
            assert secret is not None
            secrets.add(secret.get_secret_value())
        details = [json.dumps((await api.http.get(f"/api/timeline/{e['id']}")).json(), ensure_ascii=False) for e in entries]
        for entry, shown in zip(entries, details, strict=True):
            assert not [s for s in secrets if s in shown], entry
        assert f"/mprofi/status?token={MASK}" in {e["path"] for e in entries}
        assert sum(MASK in shown for shown in details) > len(entries) // 2  # the keys were there, masked
        missing = await api.http.get("/api/timeline/999999")
        assert missing.status_code == 404 and missing.json()["error"]


async def _next_change(lines: AsyncIterator[str]) -> None:
    while await asyncio.wait_for(anext(lines), 10) != "event: change":
        pass


async def test_events_come_at_once_and_on_change_and_the_console_stops_with_a_stream_open() -> None:
    async with asyncio.timeout(120), httpx.AsyncClient(timeout=30.0) as http:
        running = console_running(language="en", settings={"send_delay_seconds": 0.0}, status_step_seconds=0.2)
        console = await running.__aenter__()
        stopped = False
        try:
            async with http.stream("GET", console.url + "api/events") as events:
                assert events.headers["content-type"].startswith("text/event-stream")
                lines = events.aiter_lines()
                await _next_change(lines)  # at once: the page draws what is there
                await http.post(console.url + "api/phones/text", headers={"X-Console": "1"}, json={"digits": PHONE, "text": "Halo"})
                await _next_change(lines)
                loop = asyncio.get_running_loop()
                started = loop.time()
                stopped = True
                await running.__aexit__(None, None, None)
                assert loop.time() - started < 10
                async for _line in lines:  # the stream ends with the console, cleanly
                    pass
        finally:
            if not stopped:
                await running.__aexit__(None, None, None)
