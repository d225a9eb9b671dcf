"""The app factory: ``create_app(settings)`` builds the whole bridge as one Starlette app.

Nothing starts at import time. The lifespan opens the database (migrating it first),
the mProfi and Slack clients, the Bolt app and the background workers, and closes
them again in reverse order, so tests can build as many apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import configure_mappers
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.bridge import Bridge, BridgeConfig, Workers
from bot.config import Settings
from bot.http.health import HealthConfig, TimingMiddleware, health_routes
from bot.http.language import LanguageMiddleware
from bot.http.limits import limit_middleware
from bot.http.metrics_listener import start_metrics_listener
from bot.http.slack_guard import SlackGuard, dispatch_to_bolt
from bot.i18n import use_language
from bot.logs import one_line
from bot.monitoring import Monitor
from bot.monitoring.mprofi_calls import ObservedTransport
from bot.mprofi import MProfiClient
from bot.mprofi.redact import install_httpx_redaction
from bot.preflight import StartupRefused
from bot.slack.app import build_bolt_app, build_web_client, share_connections
from bot.slack.errors import slack_error
from bot.slack.pacing import ChannelPacer, SharedPacer
from bot.webhooks.routes import WebhookConfig, webhook_routes
from storage import make_engine, make_sessionmaker
from storage.db import is_postgres
from storage.migrate import upgrade

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

__all__ = ["build_bridge", "create_app"]

logger = logging.getLogger(__name__)

_SOCKET_MODE_CONNECT_SECONDS = 30.0

# Requests whose latency and answers are counted (/metrics): the ones others send us.
TIMED_ROUTES = frozenset({"/slack/events", "/mprofi/incoming", "/mprofi/status", "/mprofi/surveys"})


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


def build_bridge(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    monitor: Monitor | None = None,
) -> Bridge:
    """The bridge (its configuration, the mProfi and Slack clients) over an open database.

    Apart from the app so that tests can stand several bridges on one database, as
    replicas do.
    """
    bot_token = _secret(settings.slack_bot_token)
    rate, burst = settings.slack_posts_per_second, settings.slack_post_burst
    # On PostgreSQL there may be replicas: they keep one pace per channel together.
    pacer = SharedPacer(sessions, rate=rate, burst=burst) if is_postgres(engine) else ChannelPacer(rate=rate, burst=burst)
    slack = build_web_client(bot_token, settings.slack_api_url, pacer=pacer, observer=monitor)
    routes, route_keys, problems = settings.routing()
    if problems:  # serve refused them already, one line each; a test's settings may not have been checked
        raise ValueError(" ".join(problems))
    keys = settings.mprofi_keys()
    return Bridge(
        config=BridgeConfig(
            channel_id=settings.slack_channel or "",
            bot_token=bot_token,
            language=settings.bot_language,
            admin_users=frozenset(settings.admin_users),
            retention_days=settings.retention_days,
            quiet_hours=settings.quiet_hours,
            note_prefixes=settings.all_note_prefixes(),
            send_delay_seconds=settings.send_delay_seconds,
            sms_signature=settings.sms_signature,
            status_style=settings.status_style,
            followup_mention_owner=settings.followup_mention_owner,
            waiting_reminder_minutes=settings.waiting_reminder_minutes,
            working_hours=settings.working_hours,
            reply_context_days=settings.reply_context_days,
            status_mode=settings.mprofi_status_mode,
            poll_first_seconds=settings.status_poll_first_seconds,
            status_recheck_seconds=settings.mprofi_status_recheck_minutes * 60,
            poll_max_seconds=settings.status_poll_max_seconds,
            poll_give_up_hours=settings.status_poll_give_up_hours,
            repeat_window_seconds=settings.inbound_repeat_window_seconds,
            allowed_channels=frozenset(settings.sms_allowed_channels),
            allowed_users=frozenset(settings.sms_allowed_users),
            opt_out_words=frozenset(w.upper() for w in settings.opt_out_words),
            opt_in_words=frozenset(w.upper() for w in settings.opt_in_words),
            bulk_batch_size=settings.sms_bulk_batch_size,
            user_limit_per_hour=settings.sms_user_limit_per_hour,
            channel_limit_per_hour=settings.sms_channel_limit_per_hour,
            confirm_above=settings.sms_confirm_above,
            default_timezone=settings.default_timezone,
            catchup_interval_seconds=settings.catchup_interval_seconds,
            catchup_lookback_minutes=settings.catchup_lookback_minutes,
            hlr_poll_first_seconds=settings.hlr_poll_first_seconds,
            hlr_poll_max_seconds=settings.hlr_poll_max_seconds,
            hlr_report_timeout_seconds=settings.hlr_report_timeout_seconds,
            survey_channel=settings.survey_channel or settings.slack_channel or "",
            routes=routes,
            key_channels=frozenset(route_keys),
        ),
        sessions=sessions,
        mprofi=MProfiClient(http, keys, settings.mprofi_api_url),
        slack=slack,
        http=http,
        route_clients={
            channel: MProfiClient(http, dataclasses.replace(keys, send=key), settings.mprofi_api_url) for channel, key in route_keys.items()
        },
    )


def freeze_what_exists() -> None:
    """Keep the garbage collector away from what start-up made and will never free.

    Modules, classes, the ORM's mappers, Bolt's listeners: most of a running bridge's
    objects. Each full collection walked them all again (60–80 ms, every webhook and
    post waiting meanwhile); frozen, a full collection walks only what came after."""
    configure_mappers()  # now, rather than at the first query, so they are frozen too
    gc.collect()
    gc.freeze()


def create_app(settings: Settings, *, freeze_start_up: bool = False) -> Starlette:
    """The bridge as an ASGI app; ``settings`` must already be complete for serving.

    ``freeze_start_up``: once started, exempt everything made so far from garbage
    collection (``serve``; a test process that builds many apps leaves it off, or each
    app's leftovers would stay for good)."""
    signing_secret = _secret(settings.slack_signing_secret)
    monitor = Monitor()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        install_httpx_redaction()
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)  # serve did it in its checks already; a test's app does it here
        except Exception as exc:  # noqa: BLE001 - one line for the operator (bot.logs), not Starlette's traceback
            await engine.dispose()
            raise StartupRefused(f"the database migration failed ({type(exc).__name__}: {one_line(str(exc))[:300]})") from None
        # Whatever was made is undone, last made first, whether start-up got through or not.
        async with contextlib.AsyncExitStack() as made:
            made.push_async_callback(engine.dispose)
            sessions = make_sessionmaker(engine)
            http = httpx.AsyncClient(
                timeout=httpx.Timeout(settings.mprofi_timeout, connect=10.0),
                transport=ObservedTransport(httpx.AsyncHTTPTransport(), monitor, settings.mprofi_api_url),
            )
            made.push_async_callback(http.aclose)
            bridge = build_bridge(settings, engine, sessions, http, monitor)
            slack = bridge.slack
            made.push_async_callback(share_connections(slack).close)
            made.push_async_callback(bridge.close)
            # Without a signing secret (Socket Mode only) /slack/events refuses everything;
            # Bolt still gets a secret nobody knows rather than an empty one.
            bolt = build_bolt_app(bridge=bridge, client=slack, signing_secret=signing_secret or secrets.token_hex(32))
            workers = Workers(
                bridge,
                count=settings.worker_count,
                idle_seconds=settings.worker_idle_seconds,
                lease_seconds=settings.worker_lease_seconds,
                poll_statuses=True,  # PULL: the only way; PUSH: the safety net for lost pushes
                catch_up_every=settings.catchup_interval_seconds,
                remind_every=min(15.0, max(settings.worker_idle_seconds, 1.0)),  # snoozes end on the minute, give or take
                retention_every=600.0,  # how often to ask: texts go daily (RETENTION_DAYS), finished jobs hourly
                max_attempts=settings.job_max_attempts,
                give_up_hours=settings.job_give_up_hours,
            )
            with use_language(settings.bot_language):  # the workers' tasks and Socket Mode's inherit it
                await workers.start()
            made.push_async_callback(workers.stop)
            app.state.bridge = bridge
            app.state.workers = workers
            if settings.metrics_address:
                made.push_async_callback((await start_metrics_listener(settings.metrics_address, monitor, bridge)).stop)
            if settings.slack_app_token is not None:
                with use_language(settings.bot_language):
                    made.push_async_callback((await _connect_socket_mode(bolt, _secret(settings.slack_app_token))).close_async)
            if freeze_start_up:
                freeze_what_exists()
            yield {"bridge": bridge, "slack_handler": AsyncSlackRequestHandler(bolt)}

    guard = SlackGuard(signing_secret, settings.slack_max_body_bytes)

    async def slack_events(request: Request) -> Response:
        if not signing_secret:
            error = "this bridge takes Slack's events over Socket Mode; set SLACK_SIGNING_SECRET to accept them here"  # untranslated: operator console
            return JSONResponse({"ok": False, "error": error}, status_code=404)
        # Size, signature and shape are checked before Bolt parses (or logs) anything.
        body = await guard.read(request)
        if isinstance(body, Response):
            return body
        handler: AsyncSlackRequestHandler = request.state.slack_handler
        return await dispatch_to_bolt(handler, request, body)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        message = "no such route" if status == 404 else "method not allowed"  # untranslated: operator console (JSON to HTTP callers)
        return JSONResponse({"ok": False, "error": message}, status_code=status)

    health = HealthConfig(
        max_job_age_seconds=settings.ready_max_job_age_seconds,
        failed_calls=settings.ready_failed_calls,
        metrics_token=_secret(settings.metrics_token) or None,
    )
    routes = [
        *health_routes(monitor, health),
        Route("/slack/events", slack_events, methods=["POST"]),
        *webhook_routes(
            WebhookConfig(
                token=_secret(settings.mprofi_webhook_token) or None,
                header=settings.mprofi_webhook_header,
                max_body_bytes=settings.max_webhook_bytes,
            )
        ),
    ]
    middleware = [
        Middleware(TimingMiddleware, monitor=monitor, routes=TIMED_ROUTES),
        Middleware(LanguageMiddleware, language=settings.bot_language),
        *limit_middleware(max_requests=settings.http_max_concurrent_requests, body_seconds=settings.http_request_timeout_seconds),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware, exception_handlers={404: not_found, 405: not_found})
    app.state.monitor = monitor
    return app


async def _connect_socket_mode(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Dial Slack over Socket Mode; a token Slack refuses stops the start-up with one plain line.

    slack_sdk's ``connect`` retries for ever, even a token Slack refuses, so the first
    WebSocket URL is asked for here, where a refusal can still be told. Once connected,
    slack_sdk reconnects by itself when Slack asks for a refresh or the line drops.
    """
    # Imported here: an app served over HTTP never needs the WebSocket client.
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bolt, app_token)
    try:
        handler.client.wss_uri = await handler.client.issue_new_wss_url()
    except SlackApiError as exc:
        await handler.close_async()
        raise StartupRefused(f"Slack refused SLACK_APP_TOKEN for Socket Mode ({slack_error(exc)}); check the app-level token.") from None
    try:
        async with asyncio.timeout(_SOCKET_MODE_CONNECT_SECONDS):  # slack_sdk would retry for ever
            await handler.connect_async()
    except TimeoutError:
        await handler.close_async()
        raise StartupRefused(
            f"Slack's Socket Mode connection did not come up within {_SOCKET_MODE_CONNECT_SECONDS:.0f} s; "
            "check that this host may open WebSocket (wss://) connections to Slack."
        ) from None
    logger.info("connected to Slack in Socket Mode")
    return handler
