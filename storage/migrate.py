"""Schema migrations (Alembic), applied at start-up and by ``mprofi-slack migrate``.

Alembic is imported only when there is something to migrate: a bridge restarting on a
database already at :data:`HEAD_REVISION` (every start but the first after an upgrade)
reads one row and never loads Alembic, its script directory or Mako, which would stay in
the process's memory for as long as it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD_REVISION", "alembic_config", "upgrade", "current_revision", "head_revision"]

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's ``revision``; a test compares it with Alembic's own reading of
# the versions folder, so a new migration cannot be added without moving it.
HEAD_REVISION = "0016"
# Any fixed number: replicas starting together take turns migrating.
_ADVISORY_LOCK = 0x6D70_736C


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Any, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def _stamped(engine: AsyncEngine) -> str | None:
    """The revision the database says it is at (None: no schema yet), read without Alembic."""
    try:
        async with engine.connect() as connection:
            stamped = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except (exc.ProgrammingError, exc.OperationalError):
        return None  # no alembic_version table: a fresh database
    return None if stamped is None else str(stamped)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database at ``engine`` up to ``revision`` (idempotent)."""
    if revision == "head" and await _stamped(engine) == HEAD_REVISION:
        return
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


def head_revision() -> str:
    """The newest revision as Alembic reads the versions folder (imports Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as connection:
        return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
