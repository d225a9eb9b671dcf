"""Scratch PostgreSQL databases for tests and benchmarks: made fresh, dropped after."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

__all__ = ["scratch_database"]


@contextlib.asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """Create a uniquely named database on the server, yield its URL, drop it after."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(server_url)
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
