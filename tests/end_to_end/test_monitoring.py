"""``/readyz`` gives its reasons and ``/metrics`` counts what the running bridge did.

The whole app between the Slack emulator and the mProfi simulator, on SQLite and on
PostgreSQL; Slack's refusals and mProfi's outage are the stand-ins' own.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import httpx

from bot.http.health import HealthConfig, readiness
from bot.monitoring import Monitor
from bot.preflight import StartupRefused
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.process import free_port
from storage.health import QueueFigures
from tests.support import NUMBER, StackFactory, open_thread

TOKEN = "metrics-token-for-the-tests"


def sample(text: str, name: str, **labels: str) -> float | None:
    """One sample's value out of Prometheus' text format (None when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(4))
    return None


async def metrics(stack: Any) -> str:
    response = await stack.http.get(stack.app_url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return str(response.text)


async def test_ready_when_all_is_well_and_healthz_stays_cheap(make_stack: StackFactory) -> None:
    async with make_stack(settings={"catchup_interval_seconds": 0}) as stack:  # nothing else calls mProfi meanwhile
        ready = await stack.http.get(stack.app_url + "/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["ok"] is True and body["database"] == "ok" and body["slack"] == "ok" and body["mprofi"] == "ok"
        assert body["jobs_due"] >= 0 and body["oldest_due_job_seconds"] >= 0
        calls_before = len(stack.slack.calls)
        sent_before = len(stack.sim.requests)
        health = await stack.http.get(stack.app_url + "/healthz")
        assert health.status_code == 200 and health.json()["ok"] is True
        assert len(stack.slack.calls) == calls_before  # neither probe asks Slack
        assert len(stack.sim.requests) == sent_before


async def test_slack_refusing_the_token_makes_the_bridge_unready_with_the_reason(make_stack: StackFactory) -> None:
    async with make_stack(settings={"ready_failed_calls": 3}) as stack:
        stack.slack.refuse("token_revoked", times=None)
        for n in range(3):
            await stack.phone_texts(f"4860010030{n}", "Dzień dobry")
        response = await stack.until(_unready(stack), what="/readyz to turn 503")
        body = response.json()
        assert body["ok"] is False and body["slack"] == "failing" and body["mprofi"] == "ok"
        [reason] = body["reasons"]
        assert re.fullmatch(r"the last \d+ calls to Slack failed, for \d+ s \(latest: [a-zA-Z.]+: token_revoked\)", reason), reason
        stack.slack.clear_refusals()
        await stack.phone_texts("48600100399", "Już działa?")
        await stack.until(_ready(stack), what="/readyz to be 200 again once Slack answers")


async def test_mprofi_out_of_reach_makes_the_bridge_unready(make_stack: StackFactory) -> None:
    async with make_stack(settings={"ready_failed_calls": 1}) as stack:
        parent = await open_thread(stack)
        await stack.mprofi_down()
        await stack.person_replies(parent, "Zaraz sprawdzę")
        response = await stack.until(_unready(stack), what="/readyz to turn 503")
        body = response.json()
        assert body["mprofi"] == "failing"
        assert any(
            re.fullmatch(r"the last 1 calls to mProfi failed, for \d+ s \(latest: send: unreachable\)", r) for r in body["reasons"]
        ), body
        await stack.mprofi_up()
        await stack.until(lambda: stack.sent_to(NUMBER), timeout=20, what="the reply, sent once mProfi is back")
        await stack.until(_ready(stack), what="/readyz to be 200 again")


def _unready(stack: Any) -> Any:
    async def check() -> httpx.Response | None:
        response = await stack.http.get(stack.app_url + "/readyz")
        return response if response.status_code == 503 else None

    return check


def _ready(stack: Any) -> Any:
    async def check() -> bool:
        return bool((await stack.http.get(stack.app_url + "/readyz")).status_code == 200)

    return check


async def test_metrics_count_messages_calls_and_latency(make_stack: StackFactory) -> None:
    async with make_stack(settings={"metrics_token": TOKEN}) as stack:
        stack.slack.fail("chat.postMessage", 429, times=1, retry_after=1)
        parent = await open_thread(stack)
        await stack.person_replies(parent, "Tak, wyszło dziś rano.")
        await stack.until(lambda: stack.sent_to(NUMBER), what="the reply at mProfi")
        await stack.drain()
        text = await metrics(stack)
        assert sample(text, "mprofi_slack_messages_last_24h", direction="in", kind="sms", status="posted") == 1
        assert (sample(text, "mprofi_slack_messages_last_24h", direction="out", kind="sms") or 0) == 1
        assert (sample(text, "mprofi_slack_slack_calls_total", method="chat.postMessage", outcome="ok") or 0) >= 2
        assert sample(text, "mprofi_slack_slack_calls_total", method="chat.postMessage", outcome="ratelimited") == 1
        assert sample(text, "mprofi_slack_mprofi_calls_total", endpoint="send", outcome="ok") == 1
        assert (sample(text, "mprofi_slack_slack_post_seconds_count", method="chat.postMessage") or 0) >= 2
        assert sample(text, "mprofi_slack_webhook_seconds_count", route="/mprofi/incoming") == 1
        assert sample(text, "mprofi_slack_webhook_answers_total", route="/mprofi/incoming", status="200") == 1
        assert (sample(text, "mprofi_slack_webhook_seconds_count", route="/slack/events") or 0) >= 1
        assert sample(text, "mprofi_slack_jobs_due") == 0
        assert sample(text, "mprofi_slack_oldest_due_job_seconds") == 0
        assert sample(text, "mprofi_slack_database_up") == 1
        # Nothing of a message or a number in the labels.
        assert NUMBER not in text and "Dzień" not in text and "wyszło" not in text

        await stack.mprofi_down()
        await stack.person_replies(parent, "Jeszcze jedno")
        await stack.until(
            lambda: _has_error(stack),
            what="an mProfi error counted",
        )


async def _has_error(stack: Any) -> bool:
    return (sample(await metrics(stack), "mprofi_slack_mprofi_errors_total", kind="unreachable") or 0) >= 1


async def test_metrics_are_guarded_by_their_token(make_stack: StackFactory) -> None:
    async with make_stack(settings={"metrics_token": TOKEN}) as stack:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = await stack.http.get(stack.app_url + "/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.json() == {"ok": False, "error": "send METRICS_TOKEN as Authorization: Bearer <token>"}


async def test_metrics_off_by_default_or_on_an_address_of_their_own(make_stack: StackFactory) -> None:
    port = free_port()
    async with make_stack(settings={"metrics_address": f"127.0.0.1:{port}"}) as stack:
        off = await stack.http.get(stack.app_url + "/metrics")
        assert off.status_code == 404
        assert off.json() == {"ok": False, "error": "metrics are served with METRICS_TOKEN set, or on METRICS_ADDRESS"}
        own = await stack.http.get(f"http://127.0.0.1:{port}/metrics")
        assert own.status_code == 200 and sample(own.text, "mprofi_slack_database_up") == 1
        assert (await stack.http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 404  # that listener serves /metrics only


async def test_a_taken_metrics_port_stops_the_start() -> None:
    from bot.http.metrics_listener import start_metrics_listener

    async with LoopbackServer(lambda scope, receive, send: None, lifespan="off") as taken:
        address = taken.url.removeprefix("http://")
        try:
            await start_metrics_listener(address, Monitor(), SimpleNamespace())
        except StartupRefused as exc:
            assert str(exc).startswith(f"METRICS_ADDRESS {address} cannot be listened on (")
        else:
            raise AssertionError("a taken port was listened on")


class _Bridge:
    def __init__(self, reachable: bool, oldest: float) -> None:
        self.reachable = reachable
        self.oldest = oldest

    async def database_reachable(self) -> bool:
        return self.reachable

    async def queue_figures(self) -> QueueFigures:
        return QueueFigures(pending=3, due=2, oldest_due_seconds=self.oldest, given_up_24h=0)


async def test_readiness_reasons_for_a_late_queue_and_an_unreachable_database() -> None:
    monitor, config = Monitor(), HealthConfig(max_job_age_seconds=300, failed_calls=5)
    reasons, figures = await readiness(_Bridge(True, 412.4), monitor, config)
    assert reasons == [
        "a job has been due for 412 s, longer than READY_MAX_JOB_AGE_SECONDS (300 s): the workers are not keeping up, or not running"
    ]
    assert figures == {
        "database": "ok",
        "jobs_due": 2,
        "oldest_due_job_seconds": 412.4,
        "jobs_given_up_24h": 0,
        "slack": "ok",
        "mprofi": "ok",
    }
    assert (await readiness(_Bridge(True, 299), monitor, config))[0] == []
    reasons, figures = await readiness(_Bridge(False, 0), monitor, config)
    assert reasons == ["the database cannot be reached"] and figures["database"] == "unreachable"


def test_only_failures_that_mean_broken_count_toward_readiness() -> None:
    monitor = Monitor()
    for _ in range(4):
        monitor.slack_call("chat.update", "message_not_found", 0.01)  # a working Slack saying no
        monitor.slack_call("chat.postMessage", "ratelimited", 0.01)  # Slack pacing us
        monitor.mprofi_call("status", "not_found")
        monitor.slack_call("chat.postEphemeral", "channel_not_found", 0.01)  # /sms typed where the app is not
    assert monitor.calls.failing("slack", 1) is None and monitor.calls.failing("mprofi", 1) is None
    for _ in range(2):
        monitor.slack_call("chat.postMessage", "unreachable", 1.0)
    assert monitor.calls.failing("slack", 2) is not None
    monitor.slack_call("chat.postMessage", "ok", 0.1)
    assert monitor.calls.failing("slack", 1) is None
