"""Answers through a slash command's ``response_url``: private to the person who typed it."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.slack.errors import SlackUnavailable

__all__ = ["post_response"]

logger = logging.getLogger(__name__)


async def post_response(http: httpx.AsyncClient, url: str, payload: dict[str, Any]) -> None:
    """Post an ephemeral answer; :class:`SlackUnavailable` when Slack fails (try later).

    A 4xx means the address expired (30 minutes) or was used up: nothing to retry.
    """
    body = {"response_type": "ephemeral", "replace_original": False, **payload}
    try:
        response = await http.post(url, json=body, timeout=10.0)
    except httpx.HTTPError as exc:
        raise SlackUnavailable(
            f"could not reach the response_url ({type(exc).__name__})"  # untranslated: job error for operators
        ) from None
    if response.status_code >= 500:
        raise SlackUnavailable(f"Slack answered HTTP {response.status_code} to the response_url")  # untranslated: job error for operators
    if response.status_code >= 400:
        logger.info("the response_url refused the answer (HTTP %s); it may have expired", response.status_code)
