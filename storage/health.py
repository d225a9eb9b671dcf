"""Is the database there? Asked by ``/healthz``."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

__all__ = ["database_reachable"]

logger = logging.getLogger(__name__)


async def database_reachable(sessions: async_sessionmaker[AsyncSession]) -> bool:
    try:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
        logger.warning("database check failed: %s", type(exc).__name__)
        return False
    return True
