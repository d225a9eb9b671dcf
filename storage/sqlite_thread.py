"""SQLite for asyncio with one thread hop per statement.

SQLAlchemy's aiosqlite adapter makes three or four trips to the driver's thread for
every statement (open a cursor, execute, fetch, close), and each trip is a wake-up of
that thread and then of the event loop. Here the connection owns one thread and a
statement is a single trip: executed, fetched and closed in the thread, its rows
handed back with it. The shape is aiosqlite's, which SQLAlchemy's dialect drives
(``create_async_engine(..., async_creator=...)``), so nothing above the driver
changes. A transaction's ``BEGIN`` travels with its first statement, and ending a
transaction that is not open (the pool's rollback of every connection handed back)
costs nothing. A read longer than a page stays open in the thread and hands over a
page a trip, so a streamed query holds a page, not its result; the end of its
transaction, or of the connection, closes it (an open read would keep its snapshot,
and a connection closed under one would keep SQLite's write lock).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

__all__ = ["ThreadedConnection", "connect"]

T = TypeVar("T")
_Job = tuple["asyncio.Future[Any] | None", Callable[..., Any], tuple[Any, ...]]


PAGE = 1000  # rows a trip hands over; a longer read keeps its statement open in the thread


class _Raw(sqlite3.Connection):
    """sqlite3's connection, knowing its reads still open; only its thread touches either."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_reads: set[sqlite3.Cursor] = set()


def _close_read(cursor: sqlite3.Cursor) -> None:
    cursor.close()
    raw = cursor.connection
    if isinstance(raw, _Raw):
        raw.open_reads.discard(cursor)


def _close_reads(raw: sqlite3.Connection) -> None:
    """Close every read still open: ending a transaction or the connection under one
    would leave its snapshot, or the write lock, held."""
    if isinstance(raw, _Raw):
        for cursor in list(raw.open_reads):
            _close_read(cursor)


def _finish(raw: sqlite3.Connection, how: Callable[[], None]) -> None:
    """End the transaction (``how``: commit or rollback), its reads first."""
    _close_reads(raw)
    how()


def _shut(raw: sqlite3.Connection) -> None:
    _close_reads(raw)
    raw.close()


class _Outcome(NamedTuple):
    description: Any
    rowcount: int
    lastrowid: int | None
    rows: list[Any]
    in_transaction: bool
    more: sqlite3.Cursor | None  # a read with rows still to come, open in the thread


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None, jobs: queue.SimpleQueue[_Job | None]) -> None:
    if future.done():  # its caller was cancelled; the statement ran all the same
        if isinstance(result, _Outcome) and result.more is not None:
            jobs.put((None, _close_read, (result.more,)))  # closed where it was opened (or by the connection's close)
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
                future.get_loop().call_soon_threadsafe(_settle, future, result, error, jobs)
            except RuntimeError:  # the loop has closed: no one is waiting any more
                pass
        del job, future, result, error  # a big result set is not kept until the next job


def _execute(raw: sqlite3.Connection, sql: str, parameters: Any, begin: str | None, many: bool) -> _Outcome:
    """Run one statement (or one per row of ``parameters``, ``many``) and take its first rows.

    A plain ``SELECT`` hands over at most :data:`PAGE` rows and stays open for the rest, so
    a streamed read (``session.stream``) holds a page at a time, not the whole result."""
    cursor = raw.cursor()
    try:
        if begin:
            cursor.execute(begin)
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters or ())
        paged = not many and sql.lstrip()[:6].upper() == "SELECT"
        rows = (cursor.fetchmany(PAGE) if paged else cursor.fetchall()) if cursor.description else []
        outcome = _Outcome(cursor.description, cursor.rowcount, cursor.lastrowid, rows, raw.in_transaction, None)
    except BaseException:
        cursor.close()
        raise
    if paged and len(rows) == PAGE:
        if isinstance(raw, _Raw):
            raw.open_reads.add(cursor)
        return outcome._replace(more=cursor)
    cursor.close()
    return outcome


def _rest(cursor: sqlite3.Cursor, size: int | None) -> tuple[list[Any], bool]:
    """The next ``size`` rows of an open read (None: all of them), and whether it is done."""
    rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
    done = size is None or len(rows) < size
    if done:
        _close_read(cursor)
    return rows, done


class _Cursor:
    """What SQLAlchemy's adapter asks of an aiosqlite cursor; the first rows are already here."""

    def __init__(self, connection: ThreadedConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: collections.deque[Any] = collections.deque()
        self._more: sqlite3.Cursor | None = None
        self._cut_short = False

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def _keep(self, sql: str, parameters: Any, many: bool) -> _Cursor:
        self._drop_more()
        connection = self._connection
        begin = connection.take_begin()
        connection.maybe_in_transaction = True  # until the thread says otherwise (a cancelled wait never hears)
        outcome = await connection.run(_execute, connection.raw, sql, parameters, begin, many)
        self.description, self.rowcount, self.lastrowid, rows, connection.maybe_in_transaction, self._more = outcome
        self._rows = collections.deque(rows)
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> _Cursor:
        return await self._keep(sql, parameters, many=False)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Cursor:
        return await self._keep(sql, list(rows), many=True)

    async def _fill(self, wanted: int | None) -> None:
        """Fetch from the open read until ``wanted`` rows are here (None: every row)."""
        more = self._more
        if more is None or (wanted is not None and len(self._rows) >= wanted):
            return
        size = None if wanted is None else max(PAGE, wanted - len(self._rows))
        try:
            rows, done = await self._connection.run(_rest, more, size)
        except asyncio.CancelledError:
            self._drop_more()  # the page it was fetching is lost: the read cannot go on
            self._cut_short = True
            raise
        self._rows.extend(rows)
        if done:
            self._more = None

    def _whole(self) -> None:
        if self._cut_short:
            raise sqlite3.ProgrammingError("a fetch of this read was cancelled: the rest of its rows are not here")

    async def fetchone(self) -> Any:
        self._whole()
        await self._fill(1)
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        self._whole()
        size = size or self.arraysize
        await self._fill(size)
        rows = self._rows
        return [rows.popleft() for _ in range(min(size, len(rows)))]

    async def fetchall(self) -> list[Any]:
        self._whole()
        await self._fill(None)
        taken, self._rows = list(self._rows), collections.deque()
        return taken

    def _drop_more(self) -> None:
        """Close a read left unfinished, in its thread, without waiting."""
        more, self._more = self._more, None
        if more is not None:
            with contextlib.suppress(ValueError):  # the connection is closed: its close took the read too
                self._connection.submit(None, _close_read, more)

    async def close(self) -> None:
        self._rows.clear()
        self._drop_more()

    def __del__(self) -> None:
        if getattr(self, "_more", None) is not None:
            self._drop_more()


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

    def submit(self, future: asyncio.Future[Any] | None, function: Callable[..., Any], *args: Any) -> None:
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
        """End the transaction, and any read still open in it (as PostgreSQL ends a
        server-side cursor); one that never sent a statement, or none at all (the pool's
        rollback when a connection comes back), costs no trip."""
        self.take_begin()  # never sent: nothing began
        if self.maybe_in_transaction:
            await self.run(_finish, self.raw, how)
            self.maybe_in_transaction = False

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        await self.run(lambda: self.raw.create_function(*args, **kwargs))

    async def close(self) -> None:
        if self._closed:
            return
        try:
            await self.run(_shut, self.raw)
        finally:
            self.stop()

    def stop(self) -> None:
        """Close the connection and end the thread, without waiting (SQLAlchemy's terminate,
        e.g. of a connection whose task was cancelled mid-transaction). The close, after
        whatever is still queued, closes the reads still open and rolls back what is open:
        left to the garbage collector, a transaction would keep SQLite's write lock from
        every other connection meanwhile (and sqlite3 does not close a connection that a
        read still holds open)."""
        if not self._closed:
            self._closed = True
            self._jobs.put((None, _shut, (self.raw,)))
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
            database, timeout=timeout, isolation_level=None, check_same_thread=False, factory=_Raw, **options
        )
        return connection

    jobs.put((future, _open, ()))
    try:
        raw = await future
    except BaseException:
        jobs.put(None)
        raise
    return ThreadedConnection(raw, jobs, thread)
