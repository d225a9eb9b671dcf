"""Each person's own time zone, from their Slack profile: a /sms "at 9:00" means their 9:00."""

from __future__ import annotations

import asyncio
import logging
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["UserTimezones"]

logger = logging.getLogger(__name__)


class UserTimezones:
    """``users.info``'s ``tz``, cached per person; the configured default when Slack is slow."""

    def __init__(self, slack: AsyncWebClient, *, default: str, timeout: float = 1.0) -> None:
        self._slack = slack
        self._default = default
        self._timeout = timeout  # asked before a command is answered, so it waits briefly
        self._known: dict[str, ZoneInfo] = {}

    async def user_timezone(self, user_id: str) -> ZoneInfo:
        cached = self._known.get(user_id)
        if cached is not None:
            return cached
        zone = ZoneInfo(self._default)
        try:
            answer = await asyncio.wait_for(self._slack.users_info(user=user_id), timeout=self._timeout)
            name = (answer.get("user") or {}).get("tz")
            if name:
                zone = ZoneInfo(str(name))
                self._known[user_id] = zone
        except (TimeoutError, SlackApiError, ValueError, KeyError, OSError) as exc:
            logger.info("time zone of %s unknown (%s); using %s", user_id, type(exc).__name__, zone.key)
        return zone
