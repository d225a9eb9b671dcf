"""Counting mProfi calls at the HTTP layer: which requests are mProfi's whatever way
MPROFI_API_URL is spelled, the endpoint labels, and failures counted then re-raised."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bot.monitoring import Monitor
from bot.monitoring.mprofi_calls import ObservedTransport

BASE = "https://api.mprofi.pl/1.0/"


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/status/"):
        return httpx.Response(503, json={"detail": "busy"})
    return httpx.Response(200, json={"ok": True})


def client(monitor: Monitor, base_url: str = BASE, handler: Callable[[httpx.Request], httpx.Response] = answer) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=ObservedTransport(httpx.MockTransport(handler), monitor, base_url))


def calls(monitor: Monitor, endpoint: str, outcome: str = "ok") -> float:
    value = monitor.registry.get_sample_value("mprofi_slack_mprofi_calls_total", {"endpoint": endpoint, "outcome": outcome})
    return value or 0.0


def counted(monitor: Monitor) -> float:
    return sum(
        sample.value
        for metric in monitor.registry.collect()
        if metric.name == "mprofi_slack_mprofi_calls"
        for sample in metric.samples
        if sample.name == "mprofi_slack_mprofi_calls_total"
    )


async def test_each_call_is_counted_under_its_endpoint_never_an_id_or_a_query() -> None:
    monitor = Monitor()
    async with client(monitor) as http:
        await http.post(BASE + "send/")
        await http.post(BASE + "send/")
        await http.get(BASE + "hlr/upload/12345/")
        await http.get(BASE + "getstatus/?id=987")
        response = await http.get(BASE + "status/")
    assert response.status_code == 503
    assert calls(monitor, "send") == 2
    assert calls(monitor, "hlr/upload/:id") == 1
    assert calls(monitor, "getstatus") == 1
    assert calls(monitor, "status", "busy") == 1
    assert counted(monitor) == 5


@pytest.mark.parametrize(
    "base_url",
    [
        "https://API.mprofi.pl/1.0/",
        "https://api.mprofi.pl:443/1.0/",
        "HTTPS://Api.Mprofi.PL:443/1.0",
    ],
)
async def test_the_same_host_spelled_otherwise_is_still_counted(base_url: str) -> None:
    """httpx lowercases the host and drops the default port of the URL it sends to;
    the base URL as the operator wrote it must still recognise it."""
    monitor = Monitor()
    async with client(monitor, base_url) as http:
        await http.post(base_url.rstrip("/") + "/send/")
        await http.post(BASE + "send/")
    assert calls(monitor, "send") == 2


@pytest.mark.parametrize(
    "url",
    [
        "https://files.slack.com/files-pri/T1-F1/photo.jpg",
        "https://api.mprofi.pl:8443/1.0/send/",  # another port
        "http://api.mprofi.pl/1.0/send/",  # another scheme (and port)
        "https://api.mprofi.pl/2.0/send/",  # another path
        "https://api.mprofi.pl/1.0x/send/",  # a path that only starts with the same letters
    ],
)
async def test_requests_elsewhere_go_through_uncounted(url: str) -> None:
    monitor = Monitor()
    async with client(monitor) as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert counted(monitor) == 0


async def test_an_api_url_on_a_non_default_port_counts_only_that_port() -> None:
    monitor = Monitor()
    base = "http://127.0.0.1:8080/1.0/"
    async with client(monitor, base) as http:
        await http.post("http://127.0.0.1:8080/1.0/send/")
        await http.post("http://127.0.0.1/1.0/send/")
    assert calls(monitor, "send") == 1


@pytest.mark.parametrize(
    ("error", "kind"),
    [(httpx.ConnectError("connection refused"), "unreachable"), (httpx.ReadTimeout("timed out"), "timeout")],
)
async def test_a_transport_error_is_counted_as_its_kind_and_raised_again(error: httpx.TransportError, kind: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    monitor = Monitor()
    async with client(monitor, handler=fail) as http:
        with pytest.raises(type(error)):
            await http.post(BASE + "send/")
    assert calls(monitor, "send", kind) == 1
    assert monitor.registry.get_sample_value("mprofi_slack_mprofi_errors_total", {"kind": kind}) == 1
