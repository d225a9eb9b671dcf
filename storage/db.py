"""Engines and sessions: plain ``sqlite:///`` and ``postgresql://`` URLs in, async drivers out.

No module-level engine: the app (or a test) makes one per database and disposes of it.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_thread

__all__ = ["async_url", "make_engine", "make_sessionmaker", "DEFAULT_DATABASE_URL", "is_sqlite", "is_postgres"]

DEFAULT_DATABASE_URL = "sqlite:///mprofi-slack.db"


def async_url(url: str) -> URL:
    """Pick the async driver for a plain URL: aiosqlite's dialect for SQLite, asyncpg for PostgreSQL.

    A URL that cannot be read is refused without repeating it: it may hold a password.
    """
    authority = url.split("://", 1)[1].split("/", 1)[0] if "://" in url else ""
    if authority.count("@") > 1:
        raise ValueError("DATABASE_URL has more than one @ before the host; write an @ in the password as %40")
    try:
        parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    except (ArgumentError, ValueError):
        raise ValueError(
            "DATABASE_URL cannot be read as a URL such as postgresql://user:password@host:5432/name or sqlite:///file.db "
            "(special characters in the password must be percent-encoded)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.query:
            raise ValueError("DATABASE_URL for SQLite takes no options after ?: write sqlite:///path/to/file.db")
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        query = dict(parsed.query)
        sslmode = query.pop("sslmode", None)
        if sslmode and sslmode != "disable":
            query["ssl"] = sslmode
        return parsed.set(drivername="postgresql+asyncpg", query=query)
    raise ValueError(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {backend}://")


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def make_engine(url: str, *, schema: str | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``.

    SQLite gets WAL and a busy timeout so the web handlers and the workers can write
    side by side; PostgreSQL may be pinned to ``schema`` (tests use one per test).
    """
    target = async_url(url)
    connect_args: dict[str, Any] = {}
    if target.get_backend_name() == "sqlite":
        # Our own thread per connection: one trip to it per statement (aiosqlite makes three or
        # four), a long read a page a trip.
        # The path is made absolute now, as SQLAlchemy's own driver does: a later chdir changes nothing.
        path = os.path.abspath(target.database) if target.database and target.database != ":memory:" else ":memory:"
        kwargs.setdefault("async_creator", functools.partial(sqlite_thread.connect, path, timeout=30))
        # One connection, handed out first come, first served: SQLite takes one writer
        # at a time anyway, and queueing here is far cheaper than SQLite's busy-wait
        # sleeps. Nothing holds a transaction across a network call, so turns are short.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
    elif schema:
        connect_args["server_settings"] = {"search_path": schema}
    # A file needs no liveness ping; a server connection may have been dropped.
    kwargs.setdefault("pool_pre_ping", target.get_backend_name() != "sqlite")
    engine = create_async_engine(target, connect_args=connect_args, **kwargs)
    if target.get_backend_name() == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, open transactions (savepoints need it).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # Take the write lock up front: a read that later writes cannot deadlock.
            driver = connection.connection.driver_connection
            if isinstance(driver, sqlite_thread.ThreadedConnection):
                driver.begin_with_next("BEGIN IMMEDIATE")  # sent with the first statement
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
