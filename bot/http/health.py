"""``/healthz``, ``/readyz`` and ``/metrics``: what an operator's probes and scraper ask.

``/healthz`` is liveness: the process answers and its database does, nothing that
waits on Slack or mProfi. ``/readyz`` says whether the bridge is doing its work, with
every reason it is not. ``/metrics`` is Prometheus' text format, behind a bearer
token, or on a listener of its own (``METRICS_ADDRESS``) that only it serves.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.monitoring import Monitor
from bot.monitoring.metrics import CONTENT_TYPE

__all__ = ["HealthConfig", "TimingMiddleware", "health_routes", "metrics_route"]

logger = logging.getLogger(__name__)

_DATABASE_TIMEOUT = 5.0  # a probe answers in seconds, database or not


@dataclass(frozen=True)
class HealthConfig:
    max_job_age_seconds: float = 300.0  # READY_MAX_JOB_AGE_SECONDS
    failed_calls: int = 5  # READY_FAILED_CALLS
    metrics_token: str | None = None  # METRICS_TOKEN; None: /metrics only on METRICS_ADDRESS


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


async def _reachable(request: Request) -> bool:
    try:
        return bool(await asyncio.wait_for(request.state.bridge.database_reachable(), _DATABASE_TIMEOUT))
    except TimeoutError:
        logger.warning("database check took longer than %.0f s", _DATABASE_TIMEOUT)
        return False


async def readiness(bridge: Any, monitor: Monitor, config: HealthConfig) -> tuple[list[str], dict[str, Any]]:
    """Every reason the bridge is not doing its work (none: ready), and the figures behind them."""
    reasons: list[str] = []
    figures: dict[str, Any] = {}
    try:
        reachable = bool(await asyncio.wait_for(bridge.database_reachable(), _DATABASE_TIMEOUT))
    except TimeoutError:
        reachable = False
    figures["database"] = "ok" if reachable else "unreachable"
    if not reachable:
        reasons.append("the database cannot be reached")
    else:
        queue = await asyncio.wait_for(bridge.queue_figures(), _DATABASE_TIMEOUT)
        figures |= {
            "jobs_due": queue.due,
            "oldest_due_job_seconds": round(queue.oldest_due_seconds, 1),
            "jobs_given_up_24h": queue.given_up_24h,
        }
        if queue.oldest_due_seconds > config.max_job_age_seconds:
            reasons.append(
                f"a job has been due for {queue.oldest_due_seconds:.0f} s, longer than READY_MAX_JOB_AGE_SECONDS "
                f"({config.max_job_age_seconds:g} s): the workers are not keeping up, or not running"
            )
    for service, name in (("slack", "Slack"), ("mprofi", "mProfi")):
        failing = monitor.calls.failing(service, config.failed_calls)  # type: ignore[arg-type]  # the two Service values
        figures[service] = "ok" if failing is None else "failing"
        if failing is not None:
            count, last, seconds = failing
            reasons.append(f"the last {count} calls to {name} failed, for {seconds:.0f} s (latest: {last})")
    return reasons, figures


def health_routes(monitor: Monitor, config: HealthConfig) -> list[Route]:
    async def healthz(request: Request) -> Response:
        if not await _reachable(request):
            return _error(503, "the database cannot be reached")
        try:
            given_up = await asyncio.wait_for(request.state.bridge.jobs_given_up(hours=24), _DATABASE_TIMEOUT)
        except (TimeoutError, OSError, SQLAlchemyError):
            return _error(503, "the database stopped answering")
        # Alive either way; jobs given up are for an operator to look into (the log says which).
        return JSONResponse({"ok": True, "database": "ok", "jobs_given_up_24h": given_up})

    async def readyz(request: Request) -> Response:
        try:
            reasons, figures = await readiness(request.state.bridge, monitor, config)
        except (TimeoutError, OSError, SQLAlchemyError) as exc:  # the database went away between two questions
            reasons, figures = [f"the database stopped answering ({type(exc).__name__})"], {"database": "unreachable"}
        if reasons:
            return JSONResponse({"ok": False, "reasons": reasons, **figures}, status_code=503)
        return JSONResponse({"ok": True, **figures})

    routes = [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
    token = config.metrics_token
    if token:
        expected = f"Bearer {token}".encode()

        async def guarded(request: Request) -> Response:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return _error(401, "send METRICS_TOKEN as Authorization: Bearer <token>")
            return await _metrics(request, monitor)

        routes.append(Route("/metrics", guarded, methods=["GET"]))
    else:

        async def off(request: Request) -> Response:
            return _error(404, "metrics are served with METRICS_TOKEN set, or on METRICS_ADDRESS")

        routes.append(Route("/metrics", off, methods=["GET"]))
    return routes


def metrics_route(monitor: Monitor) -> Route:
    """``/metrics`` with no token: for the listener of its own at ``METRICS_ADDRESS``."""

    async def metrics(request: Request) -> Response:
        return await _metrics(request, monitor)

    return Route("/metrics", metrics, methods=["GET"])


async def _metrics(request: Request, monitor: Monitor) -> Response:
    """Fresh database figures, then the whole registry."""
    bridge = request.app.state.bridge
    try:
        queue = await asyncio.wait_for(bridge.queue_figures(), _DATABASE_TIMEOUT)
        monitor.set_queue(
            pending=queue.pending, due=queue.due, oldest_due_seconds=queue.oldest_due_seconds, given_up_24h=queue.given_up_24h
        )
        monitor.set_messages(await asyncio.wait_for(bridge.message_figures(), _DATABASE_TIMEOUT))
        monitor.database_up.set(1)
    except Exception as exc:  # noqa: BLE001 - a scrape still answers, with the database marked down
        logger.warning("metrics: the database did not answer (%s)", type(exc).__name__)
        monitor.database_up.set(0)
    return Response(monitor.render(), media_type=CONTENT_TYPE)


class TimingMiddleware:
    """How long each webhook and Slack request took, and how it was answered."""

    def __init__(self, app: ASGIApp, monitor: Monitor, routes: frozenset[str]) -> None:
        self.app = app
        self.monitor = monitor
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path not in self.routes:
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def send_seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_seen)
        finally:
            self.monitor.webhook(path, status, time.monotonic() - started)
