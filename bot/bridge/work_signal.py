"""Telling idle workers that work was committed: one at a time, not the whole crowd.

Waking every worker for one new job sends them all to claim it: one wins, the rest
each run an empty claim, and on SQLite those queue for the write lock in front of the
winner's own commits. A signal wakes one idle worker; a worker whose claim saw another
job ready passes the signal on, so a backlog still brings every worker out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

__all__ = ["WorkSignal"]


class WorkSignal:
    def __init__(self) -> None:
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._missed = False  # told while no one was waiting: the next to wait goes at once

    def notify(self) -> None:
        """Wake one idle worker (or, if none is idle, the next that would wait)."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._missed = True

    def notify_all(self) -> None:
        """Wake every idle worker (they are stopping)."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, timeout: float) -> None:
        """Until notified, or ``timeout`` seconds (a worker looks at the queue then anyway)."""
        if self._missed:
            self._missed = False
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(waiter, timeout)
        finally:
            with contextlib.suppress(ValueError):
                self._waiting.remove(waiter)
