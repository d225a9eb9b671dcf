"""``mprofi-slack serve`` as a child process on loopback, configured by environment.

Benchmarks (and fault tests) need the app in a process of its own: its own CPU, its
own memory figures, and a process that can be stopped or killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from typing import Any

import httpx
from pydantic import SecretStr

from bot.config import Settings

__all__ = ["AppProcess", "settings_environment", "free_port"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that make ``serve`` read exactly these settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            shown = value.get_secret_value()
        elif isinstance(value, list):
            shown = ",".join(str(v) for v in value)
        else:
            shown = str(value)
        env[name.upper()] = shown
    return env


class AppProcess:
    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
            **settings_environment(settings),
            "PORT": str(self.port),
        }
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 30.0) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
        )
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=2.0) as http:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"serve exited with {self.process.returncode} during start-up")
                try:
                    if (await http.get(self.url + "/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError("serve did not become healthy")
                await asyncio.sleep(0.05)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    def memory(self) -> dict[str, int]:
        """Resident memory now and at its peak, in bytes (Linux ``/proc``)."""
        figures: dict[str, int] = {}
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    key, _, rest = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        figures["rss" if key == "VmRSS" else "peak_rss"] = int(rest.split()[0]) * 1024
        except OSError:
            pass
        return figures

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far, user and system (Linux ``/proc``; 0 elsewhere)."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def __aenter__(self) -> AppProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
