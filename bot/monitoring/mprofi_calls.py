"""Every call to mProfi, seen at the HTTP layer: the one place all of them pass.

Wrapping the HTTP transport rather than the client's methods counts each request once,
whichever endpoint and whatever the client makes of the answer, and leaves the mProfi
client free of any notion of metrics. Requests to other hosts (files shared in Slack,
``response_url`` answers) go through untouched.
"""

from __future__ import annotations

import re

import httpx

from bot.monitoring.metrics import Monitor, mprofi_failure_kind

__all__ = ["ObservedTransport"]

_NUMBER = re.compile(r"\d+")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port as the connection sees them: ``API.mprofi.pl`` and
    ``api.mprofi.pl:443`` are the same place as ``api.mprofi.pl``."""
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


class ObservedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, monitor: Monitor, base_url: str) -> None:
        self._inner = inner
        self._monitor = monitor
        base = httpx.URL(base_url)
        self._origin = _origin(base)
        self._prefix = base.path.rstrip("/") + "/"

    def _endpoint(self, request: httpx.Request) -> str | None:
        url = request.url
        path = url.path if url.path.endswith("/") else url.path + "/"
        if _origin(url) != self._origin or not path.startswith(self._prefix):
            return None
        # "send/", "hlr/upload/123/" → "send", "hlr/upload/:id": a few labels, never a value.
        rest = path[len(self._prefix) :].strip("/")
        return "/".join(_NUMBER.sub(":id", part) for part in rest.split("/")[:3]) or "/"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = self._endpoint(request)
        if endpoint is None:
            return await self._inner.handle_async_request(request)
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError as exc:
            self._monitor.mprofi_call(endpoint, mprofi_failure_kind(None, exc))
            raise
        self._monitor.mprofi_call(endpoint, mprofi_failure_kind(response.status_code))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
