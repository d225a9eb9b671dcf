"""Slack's posting pace shared by every replica, kept in the database.

Slack limits how fast messages go into one channel, whichever process sends them.
Each replica keeping its own pace would let two replicas post twice as fast and run
into 429s; here they take turns through one row per channel
(:mod:`storage.pace`), and a 429 one of them meets holds the channel for all.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.pace import hold_until, take_turn

__all__ = ["SharedPacer"]


class SharedPacer:
    """A :class:`bot.slack.pacing.Pacer` whose turns come from the database."""

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
