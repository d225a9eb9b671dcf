"""Shared fixtures: the mProfi simulator (in-process and over a real socket) and databases."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.mprofi import MProfiClient, MProfiKeys
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorConfig, SimulatorState, create_simulator_app
from bot.sandbox.postgres import PrivatePostgres, postgres_bin, scratch_database
from bot.sandbox.sink import RequestSink
from bot.sandbox.slack import SlackConfig, SlackState, create_slack_emulator
from bot.sandbox.stack import SandboxStack
from tests.support import StackFactory


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig()


@pytest.fixture
async def sim(sim_config: SimulatorConfig) -> AsyncIterator[SimulatorState]:
    state = SimulatorState(sim_config)
    yield state
    await state.aclose()


@pytest.fixture
def keys(sim: SimulatorState) -> MProfiKeys:
    return MProfiKeys(**sim.config.keys)


@pytest.fixture(params=["asgi", "loopback"])
async def sim_url(request: pytest.FixtureRequest, sim: SimulatorState) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """The simulator's API root and an HTTP client that reaches it.

    ``asgi`` calls the app in-process; ``loopback`` runs it under uvicorn on a real
    127.0.0.1 socket, so the whole suite runs over both.
    """
    app = create_simulator_app(sim)
    if request.param == "asgi":
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mprofi.test") as http:
            yield "http://mprofi.test/1.0/", http
        return
    async with LoopbackServer(app) as server, httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0)) as http:
        yield server.url + "/1.0/", http


@pytest.fixture
def mprofi(sim_url: tuple[str, httpx.AsyncClient], keys: MProfiKeys) -> MProfiClient:
    base_url, http = sim_url
    return MProfiClient(http, keys, base_url)


@pytest.fixture
async def slack() -> AsyncIterator[SlackState]:
    """The Slack emulator on loopback; tests read what it shows (``messages``, ``ephemeral``, ``hooks``)."""
    state = SlackState(SlackConfig())
    async with LoopbackServer(create_slack_emulator(state), lifespan="off") as server:
        state.config.public_url = server.url
        yield state
        await state.aclose()  # its own clients first: an open keep-alive connection holds the server's shutdown


@pytest.fixture
async def sink() -> AsyncIterator[tuple[RequestSink, str]]:
    """A recording webhook receiver on loopback: (sink, its URL)."""
    recorder = RequestSink()
    async with LoopbackServer(recorder, lifespan="off") as server:
        yield recorder, server.url


# ---- databases: every storage test runs on SQLite and on a real PostgreSQL --------


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL
    server named by ``TEST_DATABASE_URL`` (``.ci/run`` starts one). Without that
    server the PostgreSQL half is skipped locally, and fails under ``CI=true``.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bridge.db'}"
        return
    async with scratch_database(postgres_server()) as url:
        yield url


def postgres_server() -> str:
    """``TEST_DATABASE_URL``; without it the test is skipped locally and fails under ``CI=true``."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("TEST_DATABASE_URL is not set (bash .ci/run starts PostgreSQL)")
    return server


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh database on the PostgreSQL server only, for what only PostgreSQL has (roles, schema rights)."""
    async with scratch_database(postgres_server()) as url:
        yield url


@pytest.fixture
async def private_postgres() -> AsyncIterator[PrivatePostgres]:
    """A PostgreSQL server of this test's own, which the test may stop and start."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL's server binaries are missing: bash .ci/run installs them")
        pytest.skip("PostgreSQL's server binaries are not installed (bash .ci/run installs them)")
    async with PrivatePostgres(bin_dir) as server:
        yield server


# ---- the whole bridge on loopback ---------------------------------------------------


@pytest.fixture
def make_stack(database_url: str) -> StackFactory:
    """``async with make_stack(status_mode="pull") as stack`` on this test's database."""

    def factory(**kwargs: Any) -> SandboxStack:
        return SandboxStack(database_url, **kwargs)

    return factory


@pytest.fixture
async def stack(make_stack: StackFactory) -> AsyncIterator[SandboxStack]:
    """The real app between the mProfi simulator and the Slack emulator, all on loopback."""
    async with make_stack() as running:
        yield running
