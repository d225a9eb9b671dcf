"""Posting at Slack's pace: about one message per second per channel, short bursts.

Slack answers a faster poster with 429 and ``Retry-After``. Rather than run into
that wall and back off, the bridge keeps to the allowance itself: a token bucket per
channel that every message post waits on, in order. When Slack still says 429, the
whole channel pauses for ``Retry-After`` (all workers, not only the one that was
refused) and the post is tried again.

``ChannelPacer`` keeps the pace within one process. Replicas share one pace through
the database instead (:class:`SharedPacer`, its turns kept by :mod:`storage.pace`);
both fit :class:`Pacer`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.pace import hold_until, take_turn

__all__ = ["CallObserver", "ChannelPacer", "SharedPacer", "PacedWebClient", "Pacer", "retry_after"]

logger = logging.getLogger(__name__)

# Methods that put a message into a channel: these are limited per channel.
PACED_METHODS = frozenset({"chat.postMessage", "files.completeUploadExternal"})


def retry_after(exc: SlackApiError, default: float = 1.0) -> float:
    headers = exc.response.headers or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), default)
    try:
        return max(0.0, float(value[0] if isinstance(value, list) else value))
    except (TypeError, ValueError):
        return default


def _status_of(exc: SlackApiError) -> int:
    """The HTTP status of a refused call; slack_sdk hands an unreadable answer over as aiohttp's own response."""
    response = exc.response
    return int(getattr(response, "status_code", None) or getattr(response, "status", 0) or 0)


class Pacer(Protocol):
    async def acquire(self, channel: str) -> None:
        """Wait until a message may be posted to ``channel``."""

    async def pause(self, channel: str, seconds: float) -> None:
        """Slack said 429: nobody posts to ``channel`` for ``seconds``."""


@dataclass
class _Bucket:
    tokens: float
    updated: float
    paused_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ChannelPacer:
    """A token bucket per channel: ``rate`` posts a second, up to ``burst`` at once."""

    def __init__(self, rate: float = 1.0, burst: int = 3, clock: Any = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, channel: str) -> _Bucket:
        bucket = self._buckets.get(channel)
        if bucket is None:
            bucket = self._buckets[channel] = _Bucket(tokens=float(self.burst), updated=self._clock())
        return bucket

    async def acquire(self, channel: str) -> None:
        """Wait for this channel's turn; callers are served first come, first served."""
        bucket = self._bucket(channel)
        async with bucket.lock:
            while True:
                now = self._clock()
                if now < bucket.paused_until:
                    await asyncio.sleep(bucket.paused_until - now)
                    continue
                bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
                bucket.updated = now
                if bucket.tokens >= 1.0:
                    bucket.tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - bucket.tokens) / self.rate)

    async def pause(self, channel: str, seconds: float) -> None:
        """Slack said 429: nobody posts to this channel for ``seconds``."""
        bucket = self._bucket(channel)
        bucket.paused_until = max(bucket.paused_until, self._clock() + seconds)
        bucket.tokens = 1.0  # one post may go the moment the pause ends
        bucket.updated = bucket.paused_until


class CallObserver(Protocol):
    def slack_call(self, method: str, outcome: str, seconds: float) -> None:
        """One call ended: ``ok``, ``ratelimited``, ``unreachable`` or Slack's error code."""


class PacedWebClient(AsyncWebClient):
    """``AsyncWebClient`` whose message posts keep to each channel's pace."""

    def __init__(self, *args: Any, pacer: Pacer, rate_limit_retries: int = 3, observer: CallObserver | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.rate_limit_retries = rate_limit_retries
        self.rate_limited = 0  # 429s seen, for logs and benchmarks
        self.observer = observer

    async def _observed_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        """One call, told to the observer with its outcome and how long it took."""
        if self.observer is None:
            return await super().api_call(api_method, **kwargs)
        started = time.monotonic()
        outcome = "unreachable"
        try:
            response = await super().api_call(api_method, **kwargs)
            outcome = "ok"
            return response
        except SlackApiError as exc:
            status = _status_of(exc)
            data = getattr(exc.response, "data", None)
            error = data.get("error") if isinstance(data, dict) else None
            outcome = "ratelimited" if status == 429 else str(error) if error else "internal_error" if status >= 500 else f"http_{status}"
            raise
        except asyncio.CancelledError:
            outcome = ""  # the caller gave up waiting: says nothing about Slack
            raise
        finally:
            if outcome:
                self.observer.slack_call(api_method, outcome, time.monotonic() - started)

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        channel = _channel_of(kwargs) if api_method in PACED_METHODS else None
        for attempt in range(self.rate_limit_retries + 1):
            if channel:
                await self.pacer.acquire(channel)
            try:
                return await self._observed_call(api_method, **kwargs)
            except SlackApiError as exc:
                if _status_of(exc) != 429 or attempt == self.rate_limit_retries:
                    raise
                self.rate_limited += 1
                wait = retry_after(exc)
                logger.info("Slack rate-limited %s; waiting %.1f s", api_method, wait)
                if channel:
                    await self.pacer.pause(channel, wait)
                else:
                    await asyncio.sleep(wait)
        raise AssertionError("unreachable")


def _channel_of(kwargs: dict[str, Any]) -> str | None:
    for part in ("json", "data", "params"):
        values = kwargs.get(part) or {}
        if isinstance(values, dict):
            channel = values.get("channel") or values.get("channel_id") or values.get("channels")
            if channel:
                return str(channel)
    return None


class SharedPacer:
    """A :class:`Pacer` whose turns come from the database: every replica keeps one pace.

    Slack limits a channel whichever process posts; replicas each keeping their own
    pace would post twice as fast and run into 429s. A 429 one of them meets holds
    the channel for all.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, rate: float = 1.0, burst: int = 1) -> None:
        self._sessions = sessions
        self._interval = 1.0 / rate
        self._burst = max(1, burst)

    async def acquire(self, channel: str) -> None:
        turn = await take_turn(self._sessions, channel, now=time.time(), interval=self._interval, burst=self._burst)
        wait = turn - time.time()
        if wait > 0:
            await asyncio.sleep(wait)

    async def pause(self, channel: str, seconds: float) -> None:
        await hold_until(self._sessions, channel, time.time() + seconds)
