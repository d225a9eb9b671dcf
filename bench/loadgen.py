"""A small HTTP/1.1 load generator: keep-alive connections, pre-built requests.

httpx spends more CPU per request than the servers being measured; these raw
connections cost little, so the figures are the server's, not the client's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LoadResult", "closed_loop", "open_loop", "build_request", "percentile"]


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _one(connection: _Connection, raw: bytes, result: LoadResult) -> None:
    started = time.perf_counter()
    try:
        status = await connection.request(raw)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        result.errors += 1
        connection.close()
        return
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if 200 <= status < 300:
        result.latencies.append(time.perf_counter() - started)


async def closed_loop(host: str, port: int, make: Callable[[int], bytes], *, connections: int, duration: float) -> LoadResult:
    """Saturation: each connection sends its next request as soon as the last is answered."""
    result = LoadResult()
    counter = iter(range(10**9))
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        connection = _Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                await _one(connection, make(next(counter)), result)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.elapsed = time.perf_counter() - started
    return result


async def open_loop(
    host: str, port: int, make: Callable[[int], bytes], *, rate: float, duration: float, connections: int = 64
) -> LoadResult:
    """A fixed offered load: requests start on schedule, whether or not earlier ones are done."""
    result = LoadResult()
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(_Connection(host, port))
    total = int(rate * duration)
    started = time.perf_counter()
    tasks = []

    async def send(index: int) -> None:
        connection = await pool.get()
        try:
            await _one(connection, make(index), result)
        finally:
            pool.put_nowait(connection)

    for index in range(total):
        due = started + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(index)))
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - started
    while not pool.empty():
        pool.get_nowait().close()
    return result
