"""uvicorn options for ``mprofi-slack serve``: deadlines and caps below the ASGI app.

What uvicorn offers by itself, and why it is not enough on its own:

- ``timeout_keep_alive`` closes a connection idle *between* requests; it is not armed
  while the first request's headers trickle in, so a client that sends one header
  line a minute keeps its socket for ever (slowloris).
- ``h11_max_incomplete_event_size`` bounds the headers, but only with the h11 parser;
  the default (httptools, when installed) accepts megabytes of headers.
- ``limit_concurrency`` answers ``503 Service Unavailable`` in plain text without
  ``Retry-After`` and counts idle keep-alive connections as load.

So ``serve`` runs uvicorn's own protocol with three additions: headers must be
complete within the request timeout (else 408), may not exceed
:data:`MAX_HEADER_BYTES` (else 431), and connections past the cap are answered 503
and closed at once, so sockets cannot run the process out of file descriptors.
Slow bodies and the per-request cap are ASGI middleware (:mod:`bot.http.limits`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from bot.http.errors import raw_error
from bot.http.limits import RETRY_AFTER_SECONDS

try:
    import resource
except ImportError:  # not on Windows; the warning below is then skipped
    resource = None  # type: ignore[assignment]  # None stands for "no such module"; descriptor_warning() checks it

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["MAX_HEADER_BYTES", "descriptor_warning", "guarded_protocol", "max_connections", "server_options"]

MAX_HEADER_BYTES = 64 * 1024  # h11's default is 16 KiB; room for proxies' added headers
KEEP_ALIVE_SECONDS = 5  # uvicorn's default; proxies in the README keep theirs shorter


def max_connections(max_requests: int) -> int:
    """Open connections allowed: room for every request plus as many idle keep-alives."""
    return 2 * max_requests


def guarded_protocol(*, header_seconds: float, max_open: int, max_header_bytes: int = MAX_HEADER_BYTES) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools or h11) with a header deadline, a header cap and a connection cap."""
    base: type[Any] = AutoHTTPProtocol

    class GuardedHTTPProtocol(base):  # type: ignore[misc]  # the base is httptools' or h11's protocol, chosen at import: typed as Any
        _timer: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_open:
                self._refuse(503, "the bridge has too many open connections; try again in a few seconds", RETRY_AFTER_SECONDS)
                return
            self._wait_for_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._timer is None or self.transport.is_closing():
                return
            if not self._between_requests():
                self._stop_waiting()  # headers complete: the body deadline is the middleware's
                return
            self._header_bytes += len(data)
            if self._header_bytes > max_header_bytes:
                self._refuse(431, f"the request headers are larger than {max_header_bytes} bytes")

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._wait_for_headers()  # a kept-alive connection: the next request is timed too

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            """No request in progress: whatever arrives now is (part of) the next request's headers."""
            return self.cycle is None or bool(self.cycle.response_complete)

        def _wait_for_headers(self) -> None:
            self._stop_waiting()
            self._header_bytes = 0
            self._timer = self.loop.call_later(header_seconds, self._headers_too_slow)

        def _stop_waiting(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _headers_too_slow(self) -> None:
            self._timer = None
            if self._between_requests() and not self.transport.is_closing():
                self._refuse(408, f"the request headers did not arrive within {header_seconds:g} seconds")

        def _refuse(self, status: int, message: str, retry_after: int | None = None) -> None:
            self._stop_waiting()
            self.transport.write(raw_error(status, message, retry_after=retry_after))
            self.transport.close()

    return GuardedHTTPProtocol


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` that ``serve`` uses."""
    return {
        "http": guarded_protocol(
            header_seconds=settings.http_request_timeout_seconds,
            max_open=max_connections(settings.http_max_concurrent_requests),
        ),
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,  # when uvicorn runs h11 itself
    }


def descriptor_warning(settings: Settings, spare: int = 128) -> str | None:
    """A sentence when the process may open fewer files than the connection cap needs."""
    if resource is None:
        return None
    wanted = max_connections(settings.http_max_concurrent_requests) + spare
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return None
    return (
        f"this process may open {soft} files but HTTP_MAX_CONCURRENT_REQUESTS allows "
        f"{max_connections(settings.http_max_concurrent_requests)} connections plus the database and API clients; "
        f"raise the limit (ulimit -n / LimitNOFILE={wanted}) or lower HTTP_MAX_CONCURRENT_REQUESTS"
    )
