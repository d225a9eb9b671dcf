"""Recording that a webhook was answered, once the answer has gone out.

mProfi sends a webhook again only when it saw no 2xx, so a message whose 200 went out is
never re-sent, and a later one with the same text is the customer's own ("Tak" twice).
The mark is written after the response is sent (a Starlette background task), so it
can neither fail nor delay the answer; the marks of webhooks answered together are
written in one statement, as their messages were stored in one commit.
"""

from __future__ import annotations

import asyncio
import logging

from bot.bridge import Bridge

__all__ = ["AnsweredMarks"]

logger = logging.getLogger(__name__)


class AnsweredMarks:
    """Collects the ids of messages whose webhook was answered and writes them in batches."""

    def __init__(self) -> None:
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, bridge: Bridge, message_id: int) -> None:
        """Record the answer to ``message_id``'s webhook; returns once it is written (or given up)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((message_id, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(bridge), name="answered-marks")
        await done

    async def _write(self, bridge: Bridge) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await bridge.mark_answered([message_id for message_id, _ in batch])
            except Exception as exc:  # noqa: BLE001 - the answer is out; without the mark a repeat only looks like a re-send
                logger.warning("could not record that %s webhook(s) were answered: %s", len(batch), type(exc).__name__)
            finally:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
