"""The measurements. Each starts what it needs on loopback and returns plain figures.

The app always runs as its own process (``mprofi-slack serve``), so its CPU and memory
are its own; the mProfi simulator, the Slack emulator and the load generator share
this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.loadgen import LoadResult, build_request, closed_loop, open_loop, percentile
from bot.sandbox.mprofi.state import SimMessage
from bot.sandbox.process import free_port
from bot.sandbox.slack import SlackConfig
from bot.sandbox.slack.records import SlackCall
from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from storage import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Message

__all__ = ["ingest", "bare_ingest", "latency", "loaded_latency", "slack_ceiling", "bulk_sms", "AS_DEPLOYED"]

MB = 1024 * 1024
# The workers as deployed: the sandbox's tests look at the queue ten times as often,
# and those extra claims would be measured as the bridge's own cost.
AS_DEPLOYED: dict[str, Any] = {"worker_idle_seconds": 0.5}


def _figures(result: LoadResult) -> dict[str, Any]:
    return {
        "requests_ok": result.ok,
        "errors": result.errors + sum(n for s, n in result.statuses.items() if not 200 <= s < 300),
        "rate": round(result.rate, 1),
        "p50_ms": round(percentile(result.latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(result.latencies, 0.99) * 1000, 2),
    }


SENDERS = 1_000  # numbers the ingest load comes from: new conversations are part of it


def _webhook(port: int, path: str = "/mprofi/incoming") -> Any:
    headers = {"Content-Type": "application/json", "Authorization": WEBHOOK_TOKEN}

    def make(index: int) -> bytes:
        body = json.dumps({"sender": f"48600{index % SENDERS:06d}", "recipient": "48664400100", "message": f"bench {index}"})
        return build_request("127.0.0.1", port, path, body.encode(), headers)

    return make


async def _stored(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(Message)) or 0)
    finally:
        await engine.dispose()


async def ingest(database_url: str, *, duration: float, offered: float, connections: int, saturate: bool = True) -> dict[str, Any]:
    """Authenticated standard webhooks into the bridge: fixed load, then (``saturate``) saturation.

    Slack is paced as in production (one post a second per channel), so the workers
    post in the background at Slack's speed while the webhooks are measured.
    The database may hold messages already (a pre-filled one): only the new ones count.
    It is migrated first, so the idle memory is a restarted replica's (a database at the
    newest revision: Alembic not loaded).
    """
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    async with SandboxStack(database_url, app_process=True, settings={**AS_DEPLOYED, "slack_posts_per_second": 1.0}) as stack:
        assert stack.process is not None
        port = stack.process.port
        already = await _stored(database_url)
        await asyncio.sleep(1.0)
        idle = stack.process.memory()
        make = _webhook(port)
        warm = await closed_loop("127.0.0.1", port, make, connections=4, duration=min(1.0, duration / 2))
        fixed = await open_loop("127.0.0.1", port, make, rate=offered, duration=duration)
        cpu_before = stack.process.cpu_seconds()
        saturated = await closed_loop("127.0.0.1", port, make, connections=connections, duration=duration) if saturate else None
        cpu = stack.process.cpu_seconds() - cpu_before
        loaded = stack.process.memory()
        durable = await _stored(database_url) - already
        answered = warm.ok + fixed.ok + (saturated.ok if saturated else 0)
        return {
            "fixed": {"offered_rate": offered, **_figures(fixed)},
            "saturation": {
                "connections": connections,
                **_figures(saturated),
                "cpu_us_per_webhook": round(cpu / saturated.ok * 1e6) if saturated.ok else None,
            }
            if saturated
            else None,
            "durable": durable == answered,
            "stored": durable,
            "answered_200": answered,
            "idle_rss_mb": round(idle.get("rss", 0) / MB, 1),
            "peak_rss_mb": round(loaded.get("peak_rss", 0) / MB, 1),
        }


@contextlib.asynccontextmanager
async def _bare_server() -> AsyncIterator[int]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.bare", "--port", str(port))
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        yield port
    finally:
        process.terminate()
        await process.wait()


async def bare_ingest(*, duration: float, offered: float, connections: int) -> dict[str, Any]:
    async with _bare_server() as port:
        make = _webhook(port)
        await closed_loop("127.0.0.1", port, make, connections=4, duration=min(1.0, duration / 2))
        fixed = await open_loop("127.0.0.1", port, make, rate=offered, duration=duration)
        saturated = await closed_loop("127.0.0.1", port, make, connections=connections, duration=duration)
    return {"fixed": {"offered_rate": offered, **_figures(fixed)}, "saturation": {"connections": connections, **_figures(saturated)}}


async def latency(database_url: str, *, samples: int) -> dict[str, Any]:
    """Webhook → Slack emulator, and signed Slack thread event → mProfi ``send/``."""
    async with SandboxStack(database_url, app_process=True, settings=AS_DEPLOYED) as stack:
        headers = {"Authorization": WEBHOOK_TOKEN}
        await stack.phone_texts("48600100200", "first")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=30)
        await stack.until(lambda: stack.replies(parent), timeout=30)
        inbound: list[float] = []
        for index in range(samples):
            text = f"latency probe {index}"
            started = time.monotonic()
            await stack.http.post(
                stack.app_url + "/mprofi/incoming", json={"sender": "48600100200", "recipient": "1", "message": text}, headers=headers
            )

            def posted(text: str = text) -> SlackCall | None:
                return next((c for c in stack.slack.calls if c.method == "chat.postMessage" and text in str(c.params.get("text"))), None)

            call = await stack.until(posted, timeout=30)
            inbound.append(call.at - started)
            await asyncio.sleep(0.02)
        outbound: list[float] = []
        for index in range(samples):
            text = f"reply probe {index}"
            said_at = datetime.now(UTC)
            await stack.slack.user_says(parent.channel, "U0ANNA", text, thread_ts=parent.ts)

            def sent_out(text: str = text) -> SimMessage | None:
                return next((m for m in stack.sim.messages.values() if m.text == text), None)

            sent = await stack.until(sent_out, timeout=30)
            outbound.append((sent.created_at - said_at).total_seconds())
            await asyncio.sleep(0.02)
        pushed = await _push_statuses(stack, [m for m in stack.sim.messages.values() if m.text.startswith("reply probe")])
    return {
        "webhook_to_slack": {
            "p50_ms": round(percentile(inbound, 0.5) * 1000, 1),
            "p99_ms": round(percentile(inbound, 0.99) * 1000, 1),
            "samples": samples,
        },
        "slack_to_mprofi": {
            "p50_ms": round(percentile(outbound, 0.5) * 1000, 1),
            "p99_ms": round(percentile(outbound, 0.99) * 1000, 1),
            "samples": samples,
        },
        "push_status": {
            "p50_ms": round(percentile(pushed, 0.5) * 1000, 1),
            "p99_ms": round(percentile(pushed, 0.99) * 1000, 1),
            "samples": len(pushed),
        },
    }


async def _push_statuses(stack: SandboxStack, sent: list[SimMessage]) -> list[float]:
    """mProfi's PUSH of *delivered* for each sent message, one at a time: its request until
    the answer, which comes once the status is stored (the Slack line is redrawn after)."""
    took: list[float] = []
    url = stack.app_url + "/mprofi/status"
    for message in sent:
        body = {"id": message.id, "status": "delivered", "ts": datetime.now(UTC).isoformat(), "reference": message.reference}
        started = time.monotonic()
        answer = await stack.http.post(url, json=body, headers={"Authorization": WEBHOOK_TOKEN})
        took.append(time.monotonic() - started)
        assert answer.status_code == 200 and answer.json()["applied"] == 1, answer.text
        await asyncio.sleep(0.02)
    return took


async def loaded_latency(database_url: str, *, rate: float, duration: float, senders: int = 50) -> dict[str, Any]:
    """Webhook → Slack post for every SMS of a steady ``rate`` a second from ``senders`` numbers
    whose threads are open: the tail a team sees on a busy day (Slack not pacing)."""
    async with SandboxStack(database_url, app_process=True, settings=AS_DEPLOYED) as stack:
        headers = {"Authorization": WEBHOOK_TOKEN}
        url = stack.app_url + "/mprofi/incoming"
        phones = [f"4860055{n:04d}" for n in range(senders)]
        await asyncio.gather(
            *(stack.http.post(url, json={"sender": p, "recipient": "1", "message": "open"}, headers=headers) for p in phones)
        )
        await stack.until(lambda: len([c for c in stack.slack.calls if c.method == "chat.postMessage"]) >= 2 * senders, timeout=60)
        await asyncio.sleep(1.0)
        sent_at: dict[str, float] = {}
        total = int(rate * duration)
        started = time.monotonic()

        async def one(index: int) -> None:
            text = f"load probe {index}"
            body = {"sender": phones[index % senders], "recipient": "1", "message": text}
            sent_at[text] = time.monotonic()
            await stack.http.post(url, json=body, headers=headers)

        tasks = []
        assert stack.process is not None
        cpu_before = stack.process.cpu_seconds()
        for index in range(total):
            await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(index)))
        await asyncio.gather(*tasks)

        def arrived() -> dict[str, float]:
            found: dict[str, float] = {}
            for call in stack.slack.calls:
                text = str(call.params.get("text")) if call.method == "chat.postMessage" else ""
                probe = text[text.find("load probe") :] if "load probe" in text else ""
                if probe in sent_at and call.status == 200:
                    found.setdefault(probe, call.at)
            return found

        await stack.until(lambda: len(arrived()) >= total, timeout=60)
        await stack.drain(timeout=60)  # the last cards drawn too
        cpu = stack.process.cpu_seconds() - cpu_before  # the app's, for each SMS from its webhook to its card
        seconds = [at - sent_at[text] for text, at in arrived().items()]
    return {
        "rate": rate,
        "messages": total,
        "p50_ms": round(percentile(seconds, 0.5) * 1000, 1),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "cpu_ms_per_sms": round(cpu / total * 1000, 2),
    }


async def slack_ceiling(database_url: str, *, rate: float, burst: int, messages: int) -> dict[str, Any]:
    """A long burst into one thread while the emulator enforces Slack's per-channel limit."""
    slack = SlackConfig(post_rate=rate, post_burst=burst)
    settings = {**AS_DEPLOYED, "slack_posts_per_second": rate, "slack_post_burst": 1}
    async with SandboxStack(database_url, app_process=True, slack=slack, settings=settings) as stack:
        headers = {"Authorization": WEBHOOK_TOKEN}
        await stack.phone_texts("48600100200", "first")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=30)
        await stack.until(lambda: stack.replies(parent), timeout=30)
        await asyncio.sleep(burst / rate)  # the allowance refills before the burst
        mark = len(stack.slack.calls)
        for index in range(messages):
            body = {"sender": "48600100200", "recipient": "1", "message": f"burst {index}"}
            await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers=headers)

        def posted() -> list[Any]:
            return [c for c in stack.slack.calls[mark:] if c.method == "chat.postMessage" and c.status == 200]

        await stack.until(lambda: len(posted()) >= messages, timeout=messages / rate * 3 + 30)
        posts = posted()
        window = posts[-1].at - posts[0].at
        allowed = burst + rate * window
        limited = [c for c in stack.slack.calls[mark:] if c.status == 429]
        in_order = [str(c.params.get("text")).rsplit(" ", 1)[-1] for c in posts] == [str(i) for i in range(messages)]
    return {
        "rate_limit": f"{rate:g}/s, burst {burst}",
        "messages": messages,
        "window_s": round(window, 1),
        "share_of_allowed": round(len(posts) / allowed, 3),
        "responses_429": len(limited),
        "429_per_minute": round(len(limited) / max(window / 60, 1 / 60), 2),
        "in_order": in_order,
    }


async def bulk_sms(database_url: str, *, numbers: int) -> dict[str, Any]:
    """``/sms`` to many numbers: mProfi calls, wall time, the app's peak memory.

    The "are you sure?" step is switched off: this measures the bridge, not a person.
    """
    async with SandboxStack(database_url, app_process=True, settings={**AS_DEPLOYED, "sms_confirm_above": 10**9}) as stack:
        assert stack.process is not None
        typed = " ".join(str(500_000_000 + i) for i in range(numbers)) + " Benchmark"
        started = time.perf_counter()
        response, _ = await stack.slack.run_command("/sms", typed, channel="C0GENERAL")
        acked = time.perf_counter() - started
        await stack.until(lambda: len(stack.sim.messages) >= numbers, timeout=300)
        await stack.until(
            lambda: [
                m
                for m in stack.slack.top_level("C0GENERAL")
                if f"{numbers:,}* accepted" in str(m.blocks) and "still to send" not in str(m.blocks)
            ],
            timeout=120,
        )
        elapsed = time.perf_counter() - started
        calls = len([r for r in stack.sim.requests if r[0] == "/1.0/sendbulk/"])
        memory = stack.process.memory()
    return {
        "numbers": numbers,
        "ack_ms": round(acked * 1000, 1),
        "ack_status": response.status_code,
        "mprofi_calls": calls,
        "wall_s": round(elapsed, 2),
        "peak_rss_mb": round(memory.get("peak_rss", 0) / MB, 1),
    }
