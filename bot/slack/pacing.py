"""Posting at Slack's pace: about one message per second per channel, short bursts.

Slack answers a faster poster with 429 and ``Retry-After``. Rather than run into
that wall and back off, the bridge keeps to the allowance itself: a token bucket per
channel that every message post waits on, in order. When Slack still says 429, the
whole channel pauses for ``Retry-After`` (all workers, not only the one that was
refused) and the post is tried again.

``ChannelPacer`` keeps the pace within one process. Replicas share one pace through
the database instead (:class:`SharedPacer`, its turns kept by :mod:`storage.pace`);
both fit :class:`Pacer`.

A queued job need not wait for its channel's turn where it stands: inside
:func:`defer_when_busy` a post whose turn is further off than the job's patience
raises :class:`ChannelBusy` instead. The turn stays kept for that job, the worker
puts the job back until then and takes other work meanwhile, so a flooded channel
never holds the workers that a quiet channel needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.pace import hold_until, take_turn

__all__ = ["CallObserver", "ChannelBusy", "ChannelPacer", "SharedPacer", "PacedWebClient", "Pacer", "defer_when_busy", "retry_after"]

logger = logging.getLogger(__name__)

# Methods that put a message into a channel: these are limited per channel.
PACED_METHODS = frozenset({"chat.postMessage", "files.completeUploadExternal"})
# Calls a job may be put off at. A file is put off at its last call: the bytes already
# sent are left uncompleted (Slack drops them) and sent again when the job comes back.
DEFERRABLE_METHODS = PACED_METHODS
# A kept turn come back to this many intervals after it passed is given up for a fresh
# one: posting on it so late could make a burst Slack refuses.
STALE_INTERVALS = 5


class ChannelBusy(Exception):
    """The channel's next turn is ``wait`` seconds off: do other work and come back then.

    Nothing was posted; the turn is kept for the job that asked (see :func:`defer_when_busy`).
    ``after_refusal``: Slack answered 429 first, so the job did try (and counts it).
    """

    def __init__(self, channel: str, wait: float, *, after_refusal: bool = False) -> None:
        super().__init__(f"channel {channel} has its next turn in {wait:.2f} s")  # untranslated: logs only
        self.channel = channel
        self.wait = wait
        self.after_refusal = after_refusal


@dataclass(frozen=True)
class _Patience:
    holder: int
    seconds: float


_PATIENCE: ContextVar[_Patience | None] = ContextVar("slack_pacing_patience", default=None)


@contextlib.contextmanager
def defer_when_busy(holder: int, patience: float) -> Iterator[None]:
    """Within this block a message post waits at most ``patience`` seconds for its turn;
    a later turn is kept for ``holder`` (a job's id) and :class:`ChannelBusy` is raised.

    Only for work that resumes where it stopped: everything before the post runs again.
    """
    token = _PATIENCE.set(_Patience(holder, patience))
    try:
        yield
    finally:
        _PATIENCE.reset(token)


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

    async def turn(self, channel: str, holder: int, patience: float) -> float:
        """Seconds until ``holder``'s turn at ``channel`` (the one kept for it, else the next).
        A turn further off than ``patience`` stays kept for ``holder`` until it asks again."""

    async def put_off(self, channel: str, holder: int, patience: float) -> float | None:
        """Before ``holder`` even starts: when ``channel``'s next turn is further off than
        ``patience``, take one and keep it for ``holder``, and say how far off it is; else None."""


class _KeptTurns:
    """Turns taken for jobs that went to do other work: each job's own when it comes back.

    A turn come back to long after it passed is dropped (posting on it now could
    burst), and so is the oldest when too many are kept (a job that never came back).
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._turns: dict[tuple[int, str], float] = {}
        self._limit = limit

    def take_back(self, holder: int, channel: str, *, now: float, stale: float) -> float | None:
        turn = self._turns.pop((holder, channel), None)
        return turn if turn is not None and turn >= now - stale else None

    def keep(self, holder: int, channel: str, turn: float) -> None:
        while len(self._turns) >= self._limit:
            del self._turns[next(iter(self._turns))]
        self._turns[(holder, channel)] = turn

    def has(self, holder: int, channel: str) -> bool:
        return (holder, channel) in self._turns

    def forget(self, channel: str) -> None:
        """Slack paused the channel: every turn kept there is void (each job takes one after the pause)."""
        for key in [key for key in self._turns if key[1] == channel]:
            del self._turns[key]


class ChannelPacer:
    """``rate`` posts a second per channel, up to ``burst`` at once; turns handed out in order.

    Kept as one moment per channel, the next free turn (the generic cell rate
    algorithm, as :mod:`storage.pace` keeps it for replicas).
    """

    def __init__(self, rate: float = 1.0, burst: int = 3, clock: Any = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._interval = 1.0 / rate
        self._clock = clock
        self._next: dict[str, float] = {}
        self._paused: dict[str, float] = {}
        self._kept = _KeptTurns()

    def _take(self, channel: str, now: float) -> float:
        floor = now - (self.burst - 1) * self._interval
        turn = max(self._next.get(channel, floor), floor, self._paused.get(channel, 0.0))
        self._next[channel] = turn + self._interval
        return turn

    async def acquire(self, channel: str) -> None:
        """Wait for this channel's turn; callers are served first come, first served."""
        while True:
            wait = self._take(channel, self._clock()) - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            if self._clock() >= self._paused.get(channel, 0.0):
                return

    async def pause(self, channel: str, seconds: float) -> None:
        """Slack said 429: nobody posts to this channel for ``seconds``."""
        self._paused[channel] = max(self._paused.get(channel, 0.0), self._clock() + seconds)
        self._kept.forget(channel)

    async def turn(self, channel: str, holder: int, patience: float) -> float:
        now: float = self._clock()
        turn = self._kept.take_back(holder, channel, now=now, stale=STALE_INTERVALS * self._interval)
        if turn is None or turn < self._paused.get(channel, 0.0):
            turn = self._take(channel, now)
        if turn - now > patience:
            self._kept.keep(holder, channel, turn)
        return turn - now

    async def put_off(self, channel: str, holder: int, patience: float) -> float | None:
        now: float = self._clock()
        floor = now - (self.burst - 1) * self._interval
        free = max(self._next.get(channel, floor), floor, self._paused.get(channel, 0.0))
        if self._kept.has(holder, channel) or free - now <= patience:
            return None
        turn = self._take(channel, now)
        self._kept.keep(holder, channel, turn)
        return turn - now


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
                await self._wait_for_turn(api_method, channel, after_refusal=attempt > 0)
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

    async def _wait_for_turn(self, api_method: str, channel: str, *, after_refusal: bool = False) -> None:
        """Wait for the channel's turn, or (in :func:`defer_when_busy`) raise :class:`ChannelBusy` when it is far."""
        patience = _PATIENCE.get()
        if patience is None or api_method not in DEFERRABLE_METHODS:
            await self.pacer.acquire(channel)
            return
        wait = await self.pacer.turn(channel, patience.holder, patience.seconds)
        if wait > patience.seconds:
            raise ChannelBusy(channel, wait, after_refusal=after_refusal)
        if wait > 0:
            await asyncio.sleep(wait)


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
        # Kept in this process: a job put off here and taken up by another replica takes a
        # new turn there (this one passes unused: the channel is a little slower, never faster).
        self._kept = _KeptTurns()
        # The next free turn of each channel as this process last saw it: other replicas may
        # have moved it on since, so it only ever says "busy" too seldom, never too often.
        self._seen: dict[str, float] = {}

    async def _take(self, channel: str, now: float) -> float:
        turn = await take_turn(self._sessions, channel, now=now, interval=self._interval, burst=self._burst)
        self._seen[channel] = turn + self._interval
        return turn

    async def acquire(self, channel: str) -> None:
        turn = await self._take(channel, time.time())
        wait = turn - time.time()
        if wait > 0:
            await asyncio.sleep(wait)

    async def pause(self, channel: str, seconds: float) -> None:
        self._kept.forget(channel)
        self._seen[channel] = max(self._seen.get(channel, 0.0), time.time() + seconds)
        await hold_until(self._sessions, channel, time.time() + seconds)

    async def turn(self, channel: str, holder: int, patience: float) -> float:
        now = time.time()
        turn = self._kept.take_back(holder, channel, now=now, stale=STALE_INTERVALS * self._interval)
        if turn is None:
            turn = await self._take(channel, now)
        if turn - now > patience:
            self._kept.keep(holder, channel, turn)
        return turn - now

    async def put_off(self, channel: str, holder: int, patience: float) -> float | None:
        now = time.time()
        if self._kept.has(holder, channel) or self._seen.get(channel, 0.0) - now <= patience:
            return None
        turn = await self._take(channel, now)
        self._kept.keep(holder, channel, turn)  # near after all (another replica posted less): the post takes it back
        return turn - now if turn - now > patience else None
