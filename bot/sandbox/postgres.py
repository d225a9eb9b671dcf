"""PostgreSQL for tests and benchmarks: scratch databases, and private servers to restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

__all__ = ["PrivatePostgres", "postgres_bin", "scratch_database"]


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


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries Debian installed, if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0
    )
    return found[-1].parent if found else None


class PrivatePostgres:
    """A PostgreSQL server of one test's own, on a loopback port, that it may stop and start.

    Restarting the shared test server would disturb other tests; this one lives in a
    temporary folder and goes away with it. As root it runs as the ``postgres`` user,
    since PostgreSQL refuses to run as root.
    """

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        # Not under pytest's tmp_path: the postgres user must be able to reach it.
        self.folder = Path(tempfile.mkdtemp(prefix="mprofi-slack-pg-"))
        self.data = self.folder / "data"
        self.port = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _command(self, *args: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    async def _run(self, *args: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *self._command(*args), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {err.decode(errors='replace').strip()}")

    async def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, user="postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        await self._run(str(self.bin / "initdb"), "-D", str(self.data), "--auth=trust", "--username=postgres", "--encoding=UTF8")
        await self.start()

    async def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        await self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-o", options, "start")

    async def stop(self) -> None:
        """Stop at once (``-m fast``): open connections are cut, as in a real restart."""
        await self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    async def __aenter__(self) -> PrivatePostgres:
        try:
            await self.init()
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(RuntimeError):
            await self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    async def restart(self, down_seconds: float) -> None:
        await self.stop()
        await asyncio.sleep(down_seconds)
        await self.start()
