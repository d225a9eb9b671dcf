"""Shared fixtures: the mProfi simulator, served in-process and over a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.mprofi import MProfiClient, MProfiKeys
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorConfig, SimulatorState, create_simulator_app
from bot.sandbox.sink import RequestSink


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
    async with LoopbackServer(app) as server:
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0)) as http:
            yield server.url + "/1.0/", http


@pytest.fixture
def mprofi(sim_url: tuple[str, httpx.AsyncClient], keys: MProfiKeys) -> MProfiClient:
    base_url, http = sim_url
    return MProfiClient(http, keys, base_url)


@pytest.fixture
async def sink() -> AsyncIterator[tuple[RequestSink, str]]:
    """A recording webhook receiver on loopback: (sink, its URL)."""
    recorder = RequestSink()
    async with LoopbackServer(recorder, lifespan="off") as server:
        yield recorder, server.url
