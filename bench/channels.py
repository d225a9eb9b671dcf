"""Many channels at once: Slack's pace is per channel, so one busy channel must not slow another.

Both measurements run the app as its own process with its default four workers, at
Slack's real pace: the app keeps to one post a second per channel, and the emulator
enforces Slack's own limit (one a second, short bursts of three) with 429s.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from bench.loadgen import percentile
from bench.scenarios import AS_DEPLOYED
from bot.sandbox.slack import SlackConfig
from bot.sandbox.slack.records import SlackCall
from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack

__all__ = ["many_channels", "flooded_channel"]

RATE = 1.0  # posts a second per channel: Slack's limit, and the app's pace
SLACK_BURST = 3
QUIET = "C0SMSBRIDGE"


def _channel(index: int) -> str:
    return f"C0ROUTE{index:03d}"


def _number(index: int) -> str:
    return f"48500{index:06d}"


def _stack(database_url: str, routed: int) -> SandboxStack:
    channels = {QUIET: "sms-bridge", "C0GENERAL": "general"} | {_channel(i): f"team-{i}" for i in range(routed)}
    routes = ",".join(f"{_number(i)}={_channel(i)}" for i in range(routed))
    slack = SlackConfig(channels=channels, post_rate=RATE, post_burst=SLACK_BURST)
    settings = {**AS_DEPLOYED, "routes": routes, "slack_posts_per_second": RATE, "slack_post_burst": 1}
    return SandboxStack(database_url, app_process=True, slack=slack, settings=settings)


async def _text(stack: SandboxStack, sender: str, recipient: str, message: str) -> None:
    body = {"sender": sender, "recipient": recipient, "message": message}
    response = await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers={"Authorization": WEBHOOK_TOKEN})
    response.raise_for_status()


def _posts(stack: SandboxStack, mark: int, channels: set[str]) -> list[SlackCall]:
    return [
        c for c in stack.slack.calls[mark:] if c.method == "chat.postMessage" and c.status == 200 and c.params.get("channel") in channels
    ]


async def many_channels(database_url: str, *, channels: int, per_channel: int) -> dict[str, Any]:
    """``per_channel`` SMS into each of ``channels`` open threads, all at once: the aggregate rate.

    Slack allows each channel one post a second, so the channels together may post
    ``channels`` a second: the figure is the sum of the rates each channel kept from its
    first post of the burst to its last. ``share_with_start`` also counts the time the
    app took to start every channel (all the webhooks arrive in the same second):
    ``channels × (1 + w)`` posts are allowed in a window of ``w`` seconds.
    """
    async with _stack(database_url, channels) as stack:
        routed = {_channel(i) for i in range(channels)}
        # One thread per channel first, and the allowance refilled before the burst.
        await asyncio.gather(*(_text(stack, f"4860{i:07d}", _number(i), "start") for i in range(channels)))
        await stack.until(lambda: len(_posts(stack, 0, routed)) >= 2 * channels, timeout=60, what="a thread in every channel")
        await asyncio.sleep(SLACK_BURST / RATE)
        mark = len(stack.slack.calls)
        for round_ in range(per_channel):
            await asyncio.gather(*(_text(stack, f"4860{i:07d}", _number(i), f"burst {round_}") for i in range(channels)))
        total = channels * per_channel
        await stack.until(lambda: len(_posts(stack, mark, routed)) >= total, timeout=per_channel / RATE * 3 + 60, what="every post")
        posts = _posts(stack, mark, routed)
        window = posts[-1].at - posts[0].at
        limited = [c for c in stack.slack.calls[mark:] if c.status == 429]
        each = {channel: [c for c in posts if c.params.get("channel") == channel] for channel in routed}
        in_order = all(
            [str(c.params.get("text")).rsplit(" ", 1)[-1] for c in each[ch]] == [str(n) for n in range(per_channel)] for ch in each
        )
        # Each channel's own rate from its first post to its last: the pace it kept once going.
        sustained = sum((len(mine) - 1) / (mine[-1].at - mine[0].at) for mine in each.values() if len(mine) > 1)
        starts = sorted(mine[0].at - posts[0].at for mine in each.values())
    return {
        "channels": channels,
        "posts": len(posts),
        "window_s": round(window, 2),
        "aggregate_rate": round(sustained, 1),
        "allowed_rate": round(channels * RATE, 1),
        "share_of_allowed": round(sustained / (channels * RATE), 3),
        "share_with_start": round(len(posts) / (channels * (1 + RATE * window)), 3),
        "last_first_post_s": round(starts[-1], 2),
        "responses_429": len(limited),
        "in_order": in_order,
    }


async def _probe_quiet(stack: SandboxStack, samples: int, sender: str, phase: str) -> list[float]:
    """Webhook → post in the quiet channel, one probe every 1.1 s (never waiting for its own pace)."""
    seconds: list[float] = []
    for index in range(samples):
        text = f"quiet probe {phase} {index}"
        started = time.monotonic()
        await _text(stack, sender, "48664400100", text)

        def posted(text: str = text) -> SlackCall | None:
            return next(
                (c for c in reversed(stack.slack.calls) if c.method == "chat.postMessage" and text in str(c.params.get("text"))), None
            )

        call = await stack.until(posted, timeout=60, what="the quiet channel's post")
        seconds.append(call.at - started)
        await asyncio.sleep(max(0.0, 1.1 / RATE - (time.monotonic() - started)))
    return seconds


async def flooded_channel(database_url: str, *, samples: int, flood_rate: float) -> dict[str, Any]:
    """A quiet channel's webhook → Slack latency, idle and while another channel is flooded.

    The flood is new numbers texting one routed channel at ``flood_rate`` a second on
    average, at random moments as independent customers do: two
    posts each (a thread and the SMS), far beyond the one a second that channel may
    post, so its backlog grows the whole time the quiet channel is probed.
    """
    async with _stack(database_url, 1) as stack:
        await _text(stack, "48600999000", "48664400100", "first")
        await stack.until(lambda: len(_posts(stack, 0, {QUIET})) >= 2, timeout=30, what="the quiet thread")
        await asyncio.sleep(1.1 / RATE)
        idle = await _probe_quiet(stack, samples, "48600999000", "idle")
        stop = asyncio.Event()

        async def flood() -> int:
            # Independent customers: random gaps (Poisson arrivals, the same each run). On a
            # fixed beat, every probe (1.1 s apart) fell on a flood webhook's instant, and the
            # figure was that collision's rather than what a quiet channel usually sees.
            arrivals = random.Random(2026)
            sent = 0
            due = time.monotonic()
            while not stop.is_set():
                await _text(stack, f"4870{sent:07d}", _number(0), f"flood {sent}")
                sent += 1
                due += arrivals.expovariate(flood_rate)
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            return sent

        flooding = asyncio.create_task(flood())
        await asyncio.sleep(2.0)  # the backlog is there before the first probe
        busy = await _probe_quiet(stack, samples, "48600999000", "flooded")
        stop.set()
        flood_sent = await flooding
        flood_posts = len(_posts(stack, 0, {_channel(0)}))
        limited = [c for c in stack.slack.calls if c.status == 429]
    idle_p50, busy_p50 = percentile(idle, 0.5), percentile(busy, 0.5)
    return {
        "samples": samples,
        "idle_p50_ms": round(idle_p50 * 1000, 1),
        "flooded_p50_ms": round(busy_p50 * 1000, 1),
        "flooded_p99_ms": round(percentile(busy, 0.99) * 1000, 1),
        "ratio": round(busy_p50 / idle_p50, 2) if idle_p50 else None,
        "flood_sms": flood_sent,
        "flood_posts_done": flood_posts,
        "responses_429": len(limited),
    }
