"""SQLite for asyncio with one thread hop per statement.

SQLAlchemy's aiosqlite adapter makes three or four trips to the driver's thread for
every statement (open a cursor, execute, fetch, close), and each trip is a wake-up of
that thread and then of the event loop. Here the connection owns one thread and a
statement is a single trip: executed, fetched and closed in the thread, its rows
handed back at once. The shape is aiosqlite's, which SQLAlchemy's dialect drives
(``create_async_engine(..., async_creator=...)``), so nothing above the driver
changes. A transaction's ``BEGIN`` travels with its first statement, and ending a
transaction that is not open (the pool's rollback of every connection handed back)
costs nothing. Rows come back whole, a server-side cursor's too: nothing here streams,
so what a streamed query reads is held at once.
"""

from __future__ import annotations

import asyncio
import collections
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

__all__ = ["ThreadedConnection", "connect"]

T = TypeVar("T")
_Job = tuple["asyncio.Future[Any] | None", Callable[..., Any], tuple[Any, ...]]
_Outcome = tuple[Any, int, int | None, list[Any], bool]  # description, rowcount, lastrowid, rows, in a transaction


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # its caller was cancelled; the statement ran all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _serve(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while (job := jobs.get()) is not None:
        future, function, args = job
        try:
            result, error = function(*args), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            result, error = None, exc
        if future is not None:  # None: nobody waits for this one (closing on the way out)
            try:
                future.get_loop().call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop has closed: no one is waiting any more
                pass
        del job, future, result, error  # a big result set is not kept until the next job


def _execute(raw: sqlite3.Connection, sql: str, parameters: Sequence[Any] | None, begin: str | None = None) -> _Outcome:
    cursor = raw.cursor()
    try:
        if begin:
            cursor.execute(begin)
        cursor.execute(sql, parameters or ())
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows, raw.in_transaction
    finally:
        cursor.close()


def _execute_many(raw: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]], begin: str | None = None) -> _Outcome:
    cursor = raw.cursor()
    try:
        if begin:
            cursor.execute(begin)
        cursor.executemany(sql, rows)
        found = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, found, raw.in_transaction
    finally:
        cursor.close()


class _Cursor:
    """What SQLAlchemy's adapter asks of an aiosqlite cursor; the rows are already here."""

    def __init__(self, connection: ThreadedConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: collections.deque[Any] = collections.deque()

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def _keep(self, statement: Callable[..., _Outcome], sql: str, parameters: Any) -> _Cursor:
        connection = self._connection
        begin = connection.take_begin()
        connection.maybe_in_transaction = True  # until the thread says otherwise (a cancelled wait never hears)
        outcome = await connection.run(statement, connection.raw, sql, parameters, begin)
        self.description, self.rowcount, self.lastrowid, rows, connection.maybe_in_transaction = outcome
        self._rows = collections.deque(rows)
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> _Cursor:
        return await self._keep(_execute, sql, parameters)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Cursor:
        return await self._keep(_execute_many, sql, list(rows))

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    async def fetchall(self) -> list[Any]:
        taken, self._rows = list(self._rows), collections.deque()
        return taken

    async def close(self) -> None:
        self._rows.clear()


class _Tasks:
    """aiosqlite's ``_tx`` queue, which SQLAlchemy's adapter uses to set the isolation level
    (made when asked for, so the connection holds no cycle and is closed as soon as it is dropped)."""

    def __init__(self, connection: ThreadedConnection) -> None:
        self._connection = connection

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            self._connection.submit(future, function)
        except ValueError as exc:  # closed: answered as the adapter expects of a lost connection
            future.set_exception(sqlite3.OperationalError(str(exc)))


class ThreadedConnection:
    """One ``sqlite3`` connection and the one thread that uses it."""

    def __init__(self, raw: sqlite3.Connection, jobs: queue.SimpleQueue[_Job | None], thread: threading.Thread) -> None:
        self.raw = raw
        self._jobs = jobs
        self._thread = thread
        self._closed = False
        self._begin: str | None = None
        self.maybe_in_transaction = False

    @property
    def _tx(self) -> _Tasks:
        return _Tasks(self)

    @property
    def _conn(self) -> sqlite3.Connection:
        return self.raw

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return None if self._closed else self.raw

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    def submit(self, future: asyncio.Future[Any], function: Callable[..., Any], *args: Any) -> None:
        if self._closed:
            raise ValueError("Connection closed")
        self._jobs.put((future, function, args))

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.submit(future, function, *args)
        return await future

    def begin_with_next(self, statement: str = "BEGIN IMMEDIATE") -> None:
        """Open the transaction in the same trip as its first statement, not a trip of its own.

        A transaction that ends before any statement never began, so its end costs no trip either.
        """
        self._begin = statement

    def take_begin(self) -> str | None:
        begin, self._begin = self._begin, None
        return begin

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> _Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await self._end(self.raw.commit)

    async def rollback(self) -> None:
        await self._end(self.raw.rollback)

    async def _end(self, how: Callable[[], None]) -> None:
        """End the transaction; one that never sent a statement, or none at all (the pool's
        rollback when a connection comes back), costs no trip."""
        self.take_begin()  # never sent: nothing began
        if self.maybe_in_transaction:
            await self.run(how)
            self.maybe_in_transaction = False

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        await self.run(lambda: self.raw.create_function(*args, **kwargs))

    async def close(self) -> None:
        if self._closed:
            return
        try:
            await self.run(self.raw.close)
        finally:
            self.stop()

    def stop(self) -> None:
        """Close the connection and end the thread, without waiting (SQLAlchemy's terminate,
        e.g. of a connection whose task was cancelled mid-transaction). The close, after
        whatever is still queued, rolls back what is open: left to the garbage collector, a
        transaction would keep SQLite's write lock from every other connection meanwhile."""
        if not self._closed:
            self._closed = True
            self._jobs.put((None, self.raw.close, ()))
            self._jobs.put(None)

    def __del__(self) -> None:
        if hasattr(self, "_jobs"):
            self.stop()  # its thread ends with it


async def connect(database: str, *, timeout: float = 30.0) -> ThreadedConnection:
    """Open ``database`` in a thread of its own, which alone will ever touch it."""
    jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
    thread = threading.Thread(target=_serve, args=(jobs,), name="sqlite", daemon=True)
    thread.start()
    future: asyncio.Future[sqlite3.Connection] = asyncio.get_running_loop().create_future()

    # No transaction of sqlite3's own: the dialect sends BEGIN. Python 3.12 added
    # ``autocommit`` and said its default will change, so it is named where it exists.
    options: dict[str, Any] = {}
    if hasattr(sqlite3, "LEGACY_TRANSACTION_CONTROL"):
        options["autocommit"] = sqlite3.LEGACY_TRANSACTION_CONTROL

    def _open() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(
            database, timeout=timeout, isolation_level=None, check_same_thread=False, **options
        )
        return connection

    jobs.put((future, _open, ()))
    try:
        raw = await future
    except BaseException:
        jobs.put(None)
        raise
    return ThreadedConnection(raw, jobs, thread)
