"""Faults only a real socket shows (refused connections, read timeouts), and secrets.

Whether a request left decides the error: never (a URL httpx cannot use) is a
definite ``NotSentError``; not at all or not in full (no connection, no address, a
body cut off) is a ``RetryableError``; written whole and unanswered is uncertain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from bot.mprofi import MProfiClient, MProfiKeys, NotSentError, ProtocolError, RetryableError, UncertainError
from bot.mprofi.transport import Transport
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorState, create_simulator_app

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
BIG = 32 * 1024 * 1024  # a body well beyond what loopback's socket buffers hold (Linux: 4 MiB + 4 MiB at most by default)


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


@contextlib.asynccontextmanager
async def raw_server(handle: Handler) -> AsyncIterator[str]:
    """A bare TCP server on 127.0.0.1 that does to each connection what ``handle`` says
    (then closes it); its mProfi base URL. Handlers still running at the end are
    cancelled, so none outlives the test."""
    running: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            await handle(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/1.0/"
    finally:
        server.close()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await server.wait_closed()


async def read_head(reader: asyncio.StreamReader) -> int:
    """Read a request's head; its Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lengths = [line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    return int(lengths[0]) if lengths else 0


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://127.0.0.1/1.0/",  # a scheme httpx does not speak
        "api.mprofi.pl/1.0/",  # no scheme at all
        "http://[::1/1.0/",  # does not parse
    ],
)
async def test_an_unusable_address_is_a_definite_failure(keys: MProfiKeys, base_url: str) -> None:
    async with httpx.AsyncClient(timeout=2.0) as http:
        client = MProfiClient(http, keys, base_url)
        with pytest.raises(NotSentError) as caught:
            await client.send_sms("600100200", "hello")
    assert "so nothing was sent; an admin must check MPROFI_API_URL" in caught.value.message
    assert not isinstance(caught.value, (RetryableError, UncertainError))


async def test_a_key_that_cannot_travel_in_a_header_is_a_definite_failure_that_does_not_show_it(keys: MProfiKeys) -> None:
    secret = "klucz-zażółć-" + "f" * 20  # survey calls carry the key in Authorization: Token <key>, which must be ASCII
    async with httpx.AsyncClient(timeout=2.0) as http:
        client = MProfiClient(http, MProfiKeys.single(secret), f"http://127.0.0.1:{closed_port()}/1.0/")
        with pytest.raises(NotSentError) as caught:
            await client.list_surveys()
    assert "could not be made (UnicodeEncodeError), so nothing was sent" in caught.value.message
    assert secret not in str(caught.value) and secret not in repr(caught.value)


async def test_an_unresolvable_host_is_retryable(keys: MProfiKeys) -> None:
    # .invalid never resolves (RFC 6761): the resolver says so without asking anyone; a
    # resolver that does not answer at all ends in a ConnectTimeout, retryable alike.
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=3.0)) as http:
        client = MProfiClient(http, keys, "http://mprofi.invalid/1.0/")
        with pytest.raises(RetryableError) as caught:
            await client.send_sms("600100200", "hello")
    assert "Could not connect to mProfi" in caught.value.message
    assert "nothing was sent" in caught.value.message


async def test_a_server_that_hangs_up_after_the_whole_request_leaves_it_uncertain(keys: MProfiKeys) -> None:
    async def read_all_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(await read_head(reader))  # it has everything it needs to send the SMS

    async with raw_server(read_all_then_hang_up) as url, httpx.AsyncClient(timeout=5.0) as http:
        with pytest.raises(UncertainError) as caught:
            await MProfiClient(http, keys, url).send_sms("600100200", "hello")
    assert caught.value.message == (
        "The connection to mProfi broke (RemoteProtocolError); the request may have been carried out."
    )  # "Server disconnected without sending a response"


async def test_a_body_cut_off_by_the_server_is_retryable(keys: MProfiKeys) -> None:
    """httpx hides the failed write (it tries to read an early answer instead) and reports a
    read error; the trace of the request tells that its body never went out whole."""

    async def reset_after_the_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    async with raw_server(reset_after_the_head) as url, httpx.AsyncClient(timeout=5.0) as http:
        transport = Transport(http, keys, url)
        with pytest.raises(RetryableError) as caught:
            await transport.request("POST", "send/", purpose="send", json_body={"message": "x" * BIG}, sends=True)
    assert caught.value.message.startswith("The request to mProfi could not be written in full (")
    assert caught.value.message.endswith("); nothing was sent.")


async def test_a_body_the_server_stops_reading_is_retryable(keys: MProfiKeys) -> None:
    release = asyncio.Event()

    async def stop_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        await release.wait()

    async with raw_server(stop_reading) as url, httpx.AsyncClient(timeout=httpx.Timeout(5.0, write=0.3)) as http:
        transport = Transport(http, keys, url)
        with pytest.raises(RetryableError) as caught:
            await transport.request("POST", "send/", purpose="send", json_body={"message": "x" * BIG}, sends=True)
        release.set()
    assert caught.value.message == "The request to mProfi could not be written in full (WriteTimeout); nothing was sent."


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
