"""The SQLite driver: one thread per connection, one trip to it per statement, and
everything SQLAlchemy relies on (errors, rollbacks, savepoints, streaming, closing)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_thread
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Conversation


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    made = make_engine(f"sqlite:///{tmp_path / 'driver.db'}")
    await upgrade(made)
    yield made
    await made.dispose()


def _count_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    trips: list[str] = []
    submit = sqlite_thread.ThreadedConnection.submit

    def counted(self: sqlite_thread.ThreadedConnection, future: Any, function: Callable[..., Any], *args: Any) -> None:
        name = getattr(function, "__name__", "?")
        trips.append(args[1].__name__ if name == "_finish" else name)  # a transaction's end: commit or rollback
        submit(self, future, function, *args)

    monkeypatch.setattr(sqlite_thread.ThreadedConnection, "submit", counted)
    return trips


async def test_a_statement_is_one_trip_to_the_thread(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the connection is open: only statements count from here
        trips = _count_trips(monkeypatch)
        rows = (await connection.execute(text("SELECT value FROM json_each('[1,2,3]')"))).all()
        assert [row[0] for row in rows] == [1, 2, 3]
        assert trips == ["_execute"]  # executed, fetched and closed in one go (aiosqlite: cursor, execute, fetch, close)
        await connection.rollback()


async def test_writes_commit_and_a_refused_row_leaves_the_connection_usable(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        session.add(Conversation(phone="+48600100200", channel_id="C1"))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Conversation(phone="+48600100200", channel_id="C1"))  # the same number twice
    async with sessions() as session, session.begin():
        session.add(Conversation(phone="+48600100201", channel_id="C1"))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 2


async def test_a_rolled_back_savepoint_keeps_the_rest(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        session.add(Conversation(phone="+48600100200", channel_id="C1"))
        await session.flush()
        nested = await session.begin_nested()
        session.add(Conversation(phone="+48600100201", channel_id="C1"))
        await session.flush()
        await nested.rollback()
    async with sessions() as session:
        phones = (await session.scalars(select(Conversation.phone))).all()
    assert phones == ["+48600100200"]


async def test_streamed_rows_and_many_rows_at_once(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        session.add_all([Conversation(phone=f"+4860010{n:04d}", channel_id="C1") for n in range(250)])
    async with sessions() as session:
        streamed = [row.phone async for row in await session.stream(select(Conversation.phone).order_by(Conversation.id))]
    assert len(streamed) == 250 and streamed[0] == "+48600100000"


async def test_a_long_read_comes_a_page_a_trip(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A streamed read holds a page at a time, not its whole result; a plain read gets the
    rest in one more trip; a stream left half-read is closed and the connection goes on."""
    monkeypatch.setattr(sqlite_thread, "PAGE", 100)
    many = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1050) SELECT x FROM n"
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        trips = _count_trips(monkeypatch)
        result = await session.stream(text("SELECT x FROM (" + many + ")"))
        pages = [len(partition) async for partition in result.partitions(100)]
        assert pages == [100] * 10 + [50]
        assert trips == ["_execute"] + ["_rest"] * 10  # a page a trip, as they were read

        trips.clear()
        rows = (await session.execute(text("SELECT x FROM (" + many + ")"))).all()
        assert len(rows) == 1050 and trips == ["_execute", "_rest"]

        trips.clear()
        half = await session.stream(text("SELECT x FROM (" + many + ")"))
        assert len(await half.fetchmany(150)) == 150
        await half.close()
        assert trips == ["_execute", "_rest", "_close_read"]
    async with sessions() as session, session.begin():
        session.add(Conversation(phone="+48600100200", channel_id="C1"))  # nothing left open holds the writer back
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 1


# A plain SELECT (a statement that starts WITH is read whole), longer than a page.
LONG_READ = "SELECT x FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000) SELECT x FROM n)"


async def _write_from_elsewhere(path: Path) -> None:
    """A write from another connection that gives up at once if the lock is still held."""
    other = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO conversations (phone, channel_id, state, created_at) VALUES ('+48600999999', 'C1', 'new', '2026-01-01')")
        other.execute("COMMIT")
    finally:
        other.close()


def _slow_page_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each further page takes 0.3 s to fetch, so a cancellation can land during one."""
    rest = sqlite_thread._rest

    def slow_rest(cursor: sqlite3.Cursor, size: int | None) -> tuple[list[Any], bool]:
        time.sleep(0.3)
        return rest(cursor, size)

    monkeypatch.setattr(sqlite_thread, "_rest", slow_rest)


async def test_a_stream_cut_short_by_cancellation_gives_up_the_write_lock(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled while fetching a page, a stream's connection is thrown away with its read
    still open. sqlite3 does not close a connection a read still holds, so it kept
    SQLite's write lock for as long as anything referred to that read: here, as in a
    worker handing its cut-short job back, the cancellation being handled."""
    _slow_page_fetches(monkeypatch)
    monkeypatch.setattr(sqlite_thread, "PAGE", 100)  # every partition after the first is a fetch
    sessions = make_sessionmaker(engine)
    reading = asyncio.Event()
    wrote: list[bool] = []

    async def write_soon() -> bool:
        for _ in range(20):  # the close is queued behind the read's own work: a moment for the thread
            try:
                await _write_from_elsewhere(tmp_path / "driver.db")
                return True
            except sqlite3.OperationalError:
                await asyncio.sleep(0.1)
        return False

    async def stream() -> None:
        try:
            async with sessions() as session:
                result = await session.stream(text(LONG_READ))
                async for _partition in result.partitions(100):
                    reading.set()  # and on to the next page's fetch, where the cancellation lands
        except asyncio.CancelledError:
            wrote.append(await write_soon())
            raise

    task = asyncio.create_task(stream())
    await asyncio.wait_for(reading.wait(), 10)
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert wrote == [True], "the cancelled stream's connection still held the write lock"


async def test_a_stream_left_open_ends_with_its_session(engine: AsyncEngine, tmp_path: Path) -> None:
    """Ending the transaction ends its reads (as PostgreSQL's server-side cursors end), so
    a stream nobody closed neither keeps its snapshot nor holds the connection's lock."""
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        result = await session.stream(text(LONG_READ))
        assert len(await result.fetchmany(10)) == 10
    await _write_from_elsewhere(tmp_path / "driver.db")
    async with sessions() as session:  # the pool's one connection goes on working
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 1


async def test_a_cancelled_fetch_does_not_skip_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page whose fetch was cancelled is lost; the read says so rather than go on past it."""
    _slow_page_fetches(monkeypatch)
    connection = await sqlite_thread.connect(str(tmp_path / "raw.db"))
    try:
        cursor = await connection.execute(LONG_READ)
        assert len(await cursor.fetchmany(sqlite_thread.PAGE)) == sqlite_thread.PAGE
        fetching = asyncio.create_task(cursor.fetchmany(10))
        await asyncio.sleep(0.05)
        fetching.cancel()
        with pytest.raises(asyncio.CancelledError):
            await fetching
        with pytest.raises(sqlite3.ProgrammingError):
            await cursor.fetchone()
    finally:
        await connection.close()


async def test_a_cancelled_statement_does_not_break_the_connection(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)

    async def slow() -> None:
        async with sessions() as session:
            await session.execute(
                text("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000000) SELECT count(*) FROM n")
            )

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with sessions() as session:
        assert await session.scalar(text("SELECT 41 + 1")) == 42


async def test_an_error_comes_back_as_sqlite_s_own(tmp_path: Path) -> None:
    connection = await sqlite_thread.connect(str(tmp_path / "raw.db"))
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await connection.execute("SELECT * FROM nowhere")
        cursor = await connection.execute("SELECT 7")
        assert await cursor.fetchall() == [(7,)]
    finally:
        await connection.close()
    with pytest.raises(ValueError, match="closed"):
        await connection.execute("SELECT 1")


async def test_disposing_of_the_engine_ends_its_threads(tmp_path: Path) -> None:
    before = {t.ident for t in threading.enumerate() if t.name == "sqlite"}
    made = make_engine(f"sqlite:///{tmp_path / 'ends.db'}")
    async with made.connect() as connection:
        await connection.execute(text("SELECT 1"))
    assert {t.ident for t in threading.enumerate() if t.name == "sqlite"} - before
    await made.dispose()
    for _ in range(100):
        if not {t.ident for t in threading.enumerate() if t.name == "sqlite"} - before:
            break
        await asyncio.sleep(0.01)
    assert not {t.ident for t in threading.enumerate() if t.name == "sqlite"} - before


async def test_a_transaction_begins_with_its_first_statement_and_ends_only_when_open(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        await connection.commit()
        trips = _count_trips(monkeypatch)
        async with connection.begin():
            pass  # began and ended without a statement: nothing to send
        assert trips == []
        async with connection.begin():
            await connection.execute(text("SELECT count(*) FROM conversations"))
            assert trips == ["_execute"]  # BEGIN IMMEDIATE went with it
            other = sqlite3.connect(tmp_path / "driver.db", timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")  # the write lock is held from the first statement on
            finally:
                other.close()
        assert trips == ["_execute", "commit"]
    assert trips == ["_execute", "commit"]  # the pool's rollback of the connection handed back: nothing open, no trip
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        await connection.execute(text("SELECT 2"))
    assert trips[2:] == ["_execute", "_execute", "rollback"]  # an open transaction handed back is rolled back


async def test_a_terminated_connection_gives_up_the_write_lock_at_once(tmp_path: Path) -> None:
    """SQLAlchemy terminates a connection whose task was cancelled mid-transaction: its
    transaction must end then, not when the garbage collector gets to it."""
    path = tmp_path / "terminated.db"
    connection = await sqlite_thread.connect(str(path))
    await connection.execute("CREATE TABLE t (n INTEGER)")
    connection.begin_with_next("BEGIN IMMEDIATE")
    await connection.execute("INSERT INTO t VALUES (1)")  # the write lock is held from here
    connection.stop()
    connection._thread.join(timeout=5)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # no "database is locked": the lock went with the connection
        assert other.execute("SELECT count(*) FROM t").fetchone() == (0,)  # and what was open was rolled back
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert not connection._thread.is_alive()


async def test_the_file_is_the_one_named_when_the_engine_was_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    made = make_engine("sqlite:///relative.db")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # a later change of directory must not move the database
    try:
        async with made.connect() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
            await connection.commit()
    finally:
        await made.dispose()
    assert (tmp_path / "relative.db").exists() and not (tmp_path / "elsewhere" / "relative.db").exists()
