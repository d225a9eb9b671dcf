"""Faults only a real socket shows (refused connections, read timeouts), and secrets."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.mprofi import MProfiClient, MProfiKeys, ProtocolError, RetryableError, UncertainError
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorState, create_simulator_app


@pytest.fixture
async def served(sim: SimulatorState) -> AsyncIterator[str]:
    async with LoopbackServer(create_simulator_app(sim)) as server:
        yield server.url + "/1.0/"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_connection_refused_is_retryable(keys: MProfiKeys) -> None:
    async with httpx.AsyncClient(timeout=2.0) as http:
        client = MProfiClient(http, keys, f"http://127.0.0.1:{closed_port()}/1.0/")
        with pytest.raises(RetryableError) as caught:
            await client.send_sms("600100200", "hello")
    assert "nothing was sent" in str(caught.value)


async def test_read_timeout_after_accept_is_uncertain(sim: SimulatorState, served: str, keys: MProfiKeys) -> None:
    sim.config.hang_seconds = 1.0
    sim.queue_fault("send", "hang_after_accept")
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2, connect=2.0)) as http:
        client = MProfiClient(http, keys, served)
        with pytest.raises(UncertainError) as caught:
            await client.send_sms("600100200", "hello")
    assert "may have been carried out" in str(caught.value)
    assert len(sim.messages) == 1


async def test_read_timeout_on_status_is_uncertain(sim: SimulatorState, served: str, keys: MProfiKeys) -> None:
    sim.config.hang_seconds = 1.0
    sim.queue_fault("status", "hang")
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2, connect=2.0)) as http:
        with pytest.raises(UncertainError):
            await MProfiClient(http, keys, served).get_status(1000)


async def test_keys_never_reach_logs_reprs_or_errors(
    sim: SimulatorState, served: str, keys: MProfiKeys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(timeout=2.0) as http:
        client = MProfiClient(http, keys, served)
        sent = await client.send_sms("600100200", "hello")
        await client.get_status(sent.id)  # apikey travels in the query string here
        await client.list_surveys()
        bad = MProfiClient(http, MProfiKeys.single("f" * 32), served)
        with pytest.raises(Exception) as caught:
            await bad.get_status(sent.id)
    texts = [caplog.text, repr(client), str(keys), repr(keys), str(caught.value), repr(caught.value)]
    for key in {*sim.config.keys.values(), "f" * 32}:
        assert all(key not in text for text in texts), key
    assert "apikey=***" in caplog.text  # httpx did log the URL, masked


async def test_unreadable_send_answer_is_uncertain(keys: MProfiKeys) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>oops</html>"))
    async with httpx.AsyncClient(transport=transport) as http:
        client = MProfiClient(http, keys, "http://mprofi.test/1.0/")
        with pytest.raises(UncertainError):
            await client.send_sms("600100200", "hello")
        with pytest.raises(ProtocolError):
            await client.list_surveys()
