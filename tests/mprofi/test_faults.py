"""Which error a failed exchange becomes, for the cases a local socket cannot stage
(a proxy, HTTP/2, an answer that does not decode); test_transport_faults.py stages the rest."""

from __future__ import annotations

import httpx
import pytest

from bot.mprofi import MProfiError, NotSentError, ProtocolError, RetryableError, UncertainError
from bot.mprofi.faults import WriteWatch, failure

Case = tuple[BaseException, bool | None, type[MProfiError]]

CASES: list[Case] = [
    # Never left, never will.
    (httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."), None, NotSentError),
    (httpx.InvalidURL("Invalid port: ':1'"), None, NotSentError),
    (httpx.LocalProtocolError("Illegal header value"), False, NotSentError),
    (httpx.LocalProtocolError("Illegal header value"), None, NotSentError),
    # Never left (or only in part): safe to repeat.
    (httpx.ConnectError("[Errno 111] Connection refused"), None, RetryableError),
    (httpx.ConnectError("[Errno -2] Name or service not known"), None, RetryableError),
    (httpx.ConnectTimeout("timed out"), None, RetryableError),
    (httpx.PoolTimeout("timed out"), None, RetryableError),
    (httpx.ProxyError("407 Proxy Authentication Required"), None, RetryableError),
    (httpx.ConnectError("through a proxy, after its CONNECT went out whole"), True, RetryableError),
    (httpx.WriteError("[Errno 32] Broken pipe"), None, RetryableError),
    (httpx.WriteTimeout("timed out"), None, RetryableError),
    (httpx.ReadError("[Errno 104] Connection reset by peer"), False, RetryableError),  # the hidden write error
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), False, RetryableError),
    # Written in full: mProfi may have acted on it.
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), True, UncertainError),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), None, UncertainError),
    (httpx.ReadError("[Errno 104] Connection reset by peer"), True, UncertainError),
    (httpx.ReadError("[Errno 104] Connection reset by peer"), None, UncertainError),
    (httpx.ReadTimeout("timed out"), True, UncertainError),
    (httpx.ReadTimeout("timed out"), None, UncertainError),
    (httpx.WriteError("HTTP/2: a window update while the answer was read"), True, UncertainError),
    (httpx.LocalProtocolError("HTTP/2: a frame after the request went out"), True, UncertainError),
    (httpx.CloseError("closing"), True, UncertainError),
]


@pytest.mark.parametrize(("exc", "written", "expected"), CASES, ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None)
def test_each_httpx_failure_becomes_what_the_caller_may_do(exc: BaseException, written: bool | None, expected: type[MProfiError]) -> None:
    error = failure(exc, written=written, endpoint="send/", sends=True)
    assert type(error) is expected
    assert error.endpoint == "send/"
    assert type(exc).__name__ in error.message
    said_nothing_went = "nothing was sent" in error.message
    assert said_nothing_went == (expected is not UncertainError), error.message


def test_an_answer_that_does_not_decode_is_uncertain_only_for_a_send() -> None:
    exc = httpx.DecodingError("Error -3 while decompressing data")
    assert type(failure(exc, written=True, endpoint="send/", sends=True)) is UncertainError
    assert type(failure(exc, written=True, endpoint="status/", sends=False)) is ProtocolError


def test_a_non_ascii_header_is_a_request_that_could_not_be_made() -> None:
    exc = UnicodeEncodeError("ascii", "Token zażółć", 8, 9, "ordinal not in range(128)")
    error = failure(exc, written=None, endpoint="surveys/", sends=False)
    assert type(error) is NotSentError
    assert "zażółć" not in error.message


async def test_the_watch_follows_the_last_request_on_the_trace() -> None:
    watch = WriteWatch()
    assert watch.written is None
    await watch("connection.connect_tcp.complete", {})
    assert watch.written is None  # connected; nothing written yet
    for event, written in [
        ("http11.send_request_headers.started", False),  # a proxy's CONNECT
        ("http11.send_request_body.complete", True),
        ("http11.send_request_headers.started", False),  # then the request itself
        ("http11.send_request_headers.complete", False),
        ("http11.send_request_body.started", False),
        ("http11.send_request_body.failed", False),
        ("http11.receive_response_headers.failed", False),
    ]:
        await watch(event, {})
        assert watch.written is written, event
    http2 = WriteWatch()
    await http2("http2.send_request_headers.started", {})
    await http2("http2.send_request_body.complete", {})
    assert http2.written is True
