"""Every query the hot paths run on ``messages`` and ``jobs`` can be answered from an index.

The whole bridge runs one conversation through its busiest paths (an SMS in, a reply
out, PUSH statuses, a status poll, the catch-up, the card and the Home tab) while every
statement it sends the database is recorded. Each one that reads, changes or deletes
rows of ``messages`` or ``jobs`` is then explained by the database itself — PostgreSQL's
``EXPLAIN`` with sequential scans priced out, SQLite's ``EXPLAIN QUERY PLAN`` — and none
may read the whole table: on a year of messages that is what makes a webhook slow.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from tests.support import StackFactory

HOT_TABLES = ("messages", "jobs")
_READS = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
_TOUCHES = re.compile(r"\b(FROM|JOIN|UPDATE)\s+(messages|jobs)\b", re.IGNORECASE)


@contextmanager
def recorded() -> Iterator[dict[str, tuple[str, Any]]]:
    """Every distinct statement any engine runs meanwhile that reads a hot table, with its parameters."""
    seen: dict[str, tuple[str, Any]] = {}

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not executemany and _READS.match(statement) and _TOUCHES.search(statement):
            seen.setdefault(statement, (statement, parameters))

    event.listen(Engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", keep)


def _seq_scans(plan: Any) -> list[str]:
    found: list[str] = []
    if isinstance(plan, dict):
        if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in HOT_TABLES:
            found.append(str(plan["Relation Name"]))
        for child in plan.get("Plans", []):
            found += _seq_scans(child)
    return found


async def _full_scans_postgres(url: str, statements: list[tuple[str, Any]]) -> list[str]:
    target = make_url(url)
    connection = await asyncpg.connect(
        host=target.host, port=target.port, user=target.username, password=target.password, database=target.database
    )
    try:
        await connection.execute("SET enable_seqscan = off")  # on tiny tables a scan is cheaper; this asks "could an index do it?"
        problems = []
        for statement, parameters in statements:
            answer = await connection.fetchval("EXPLAIN (FORMAT JSON) " + statement, *(parameters or ()))
            plan = json.loads(answer)[0]["Plan"]
            if scanned := _seq_scans(plan):
                problems.append(f"{', '.join(scanned)} scanned by: {' '.join(statement.split())[:400]}")
        return problems
    finally:
        await connection.close()


def _full_scans_sqlite(path: str, statements: list[tuple[str, Any]]) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        problems = []
        for statement, parameters in statements:
            rows = connection.execute("EXPLAIN QUERY PLAN " + statement, parameters or ()).fetchall()
            scanned = [row[3] for row in rows if re.match(rf"SCAN ({'|'.join(HOT_TABLES)})\b(?! USING (COVERING )?INDEX)", row[3])]
            if scanned:
                problems.append(f"{', '.join(scanned)} by: {' '.join(statement.split())[:400]}")
        return problems
    finally:
        connection.close()


async def test_the_hot_paths_read_messages_and_jobs_through_indexes(make_stack: StackFactory, database_url: str) -> None:
    with recorded() as seen:
        async with make_stack(status_mode="pull", settings={"catchup_interval_seconds": 0.1}) as stack:
            await stack.phone_texts("48600100200", "Dzień dobry, gdzie paczka?")
            parent = await stack.until(lambda: stack.thread_of("600 100 200"), what="the thread")
            await stack.person_replies(parent, "Jutro rano.")
            await stack.until(lambda: stack.sent_to("48600100200"), what="the reply at mProfi")
            sent = stack.sent_to("48600100200")[0]
            stack.sim.set_status(sent.id, "delivered")
            await stack.drain()
            await stack.slack.open_home("U0ANNA")
            await stack.phone_texts("48600100201", "Drugi klient")
            await stack.drain()
    assert len(seen) >= 10, f"only {len(seen)} statements were recorded: the paths did not run"
    statements = list(seen.values())
    print(f"{len(statements)} statements on messages or jobs explained")
    if database_url.startswith("sqlite"):
        problems = _full_scans_sqlite(make_url(database_url).database or "", statements)
    else:
        problems = await _full_scans_postgres(database_url, statements)
    assert problems == [], "\n".join(problems)


async def test_the_check_sees_a_full_scan(make_stack: StackFactory, database_url: str) -> None:
    """A query no index serves is caught (a check that never fails proves nothing)."""
    async with make_stack():
        pass  # the schema, migrated
    if database_url.startswith("sqlite"):
        bad = [("SELECT id FROM messages WHERE text = ?", ("x",)), ("SELECT id FROM jobs WHERE last_error = ?", ("x",))]
        problems = _full_scans_sqlite(make_url(database_url).database or "", bad)
    else:
        bad = [("SELECT id FROM messages WHERE text = $1", ("x",)), ("SELECT id FROM jobs WHERE last_error = $1", ("x",))]
        problems = await _full_scans_postgres(database_url, bad)
    assert len(problems) == 2, problems
