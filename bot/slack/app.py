"""The Bolt ``AsyncApp`` and the Slack Web API client it and the workers share."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.http.bolt_logs import install_bolt_body_filter
from bot.slack.language import language_middleware
from bot.slack.listeners import register_listeners
from bot.slack.pacing import CallObserver, ChannelPacer, PacedWebClient, Pacer
from bot.slack.retries import SafeConnectionErrorRetryHandler

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["build_bolt_app", "build_web_client", "share_connections"]

logger = logging.getLogger(__name__)


class _SkipTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when a client is given; that is the plan."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_TOKEN_NOTICE = _SkipTokenNotice()


def build_web_client(
    token: str,
    base_url: str,
    *,
    posts_per_second: float = 1.0,
    burst: int = 1,
    pacer: Pacer | None = None,
    observer: CallObserver | None = None,
) -> AsyncWebClient:
    """A Web API client that keeps to Slack's per-channel posting pace.

    Message posts wait their turn per channel (:mod:`bot.slack.pacing`); a 429 is
    waited out (``Retry-After``) a few times inside the call, pausing the whole
    channel. Longer rate limits surface as errors and the job queue reschedules the
    work after ``Retry-After``.
    """
    return PacedWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        pacer=pacer or ChannelPacer(rate=posts_per_second, burst=burst),
        retry_handlers=[SafeConnectionErrorRetryHandler()],
        observer=observer,
    )


def share_connections(client: AsyncWebClient, *, keepalive: float = 4.0) -> aiohttp.ClientSession:
    """Give ``client`` one pool of connections for all its calls; call it in the running loop
    and close what it returns when the loop is done with it.

    Without one, slack_sdk opens a session of its own for every call: a new TCP (and in
    production TLS) connection per post. An idle connection is let go after ``keepalive``
    seconds, before a server's usual five, so a post does not go out on a connection the
    far side is closing (a post is not retried once sent: it might have arrived)."""
    session = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=client.timeout), connector=aiohttp.TCPConnector(keepalive_timeout=keepalive)
    )
    client.session = session
    return session


def build_bolt_app(*, bridge: Bridge, client: AsyncWebClient, signing_secret: str) -> AsyncApp:
    """Bolt in single-workspace token mode.

    ``process_before_response`` holds Slack's HTTP answer until a listener has stored
    what it needs: a failure answers 500 and Slack delivers the event again, so a
    reply is never acknowledged and then lost. Listeners only write to the database,
    which keeps them far inside Slack's 3 seconds.
    """
    bolt_logger = logging.getLogger("bot.slack.bolt")
    if _TOKEN_NOTICE not in bolt_logger.filters:
        bolt_logger.addFilter(_TOKEN_NOTICE)
    install_bolt_body_filter(bolt_logger)  # before Bolt copies the base logger's filters
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        ignoring_self_events_enabled=True,
        url_verification_enabled=True,
        raise_error_for_unhandled_request=False,
        logger=bolt_logger,
    )
    # First, so every listener and the middleware after it speak the person's language.
    app.middleware(language_middleware(bridge))
    register_listeners(app, bridge)
    install_bolt_body_filter(bolt_logger)  # and on any slack_bolt logger that existed already
    return app
