"""The Bolt ``AsyncApp`` and the Slack Web API client it and the workers share."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.listeners import register_listeners

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["build_bolt_app", "build_web_client"]

logger = logging.getLogger(__name__)


def build_web_client(token: str, base_url: str) -> AsyncWebClient:
    """A Web API client that waits out one rate limit (``Retry-After``) by itself.

    Longer rate limits surface as errors; the job queue then reschedules the work
    after ``Retry-After`` instead of holding a worker.
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )


def build_bolt_app(*, bridge: Bridge, client: AsyncWebClient, signing_secret: str) -> AsyncApp:
    """Bolt in single-workspace token mode.

    ``process_before_response`` holds Slack's HTTP answer until a listener has stored
    what it needs: a failure answers 500 and Slack delivers the event again, so a
    reply is never acknowledged and then lost. Listeners only write to the database,
    which keeps them far inside Slack's 3 seconds.
    """
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        ignoring_self_events_enabled=True,
        url_verification_enabled=True,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    register_listeners(app, bridge)
    return app
