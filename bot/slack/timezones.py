"""Each person's own time zone and language, from their Slack profile: a /sms "at 9:00"
means their 9:00, and a private answer comes in the language their Slack speaks."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import language_of_locale

__all__ = ["UserTimezones"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Person:
    zone: ZoneInfo
    language: str | None  # None: a locale we have no words for


class UserTimezones:
    """``users.info``'s ``tz`` and ``locale``, cached per person; the configured defaults when Slack is slow."""

    def __init__(self, slack: AsyncWebClient, *, default: str, timeout: float = 1.0) -> None:
        self._slack = slack
        self._default = default
        self._timeout = timeout  # asked before a command is answered, so it waits briefly
        self._known: dict[str, _Person] = {}

    async def user_timezone(self, user_id: str) -> ZoneInfo:
        person = await self._person(user_id)
        return person.zone if person else ZoneInfo(self._default)

    async def user_language(self, user_id: str) -> str | None:
        """``pl`` or ``en`` from the person's Slack locale; None when it is neither or unknown."""
        person = await self._person(user_id)
        return person.language if person else None

    async def _person(self, user_id: str) -> _Person | None:
        cached = self._known.get(user_id)
        if cached is not None:
            return cached
        try:
            answer = await asyncio.wait_for(self._slack.users_info(user=user_id, include_locale=True), timeout=self._timeout)
            user = answer.get("user") or {}
            name = user.get("tz")
            person = _Person(ZoneInfo(str(name)) if name else ZoneInfo(self._default), language_of_locale(user.get("locale")))
        except (TimeoutError, SlackApiError, ValueError, KeyError, OSError) as exc:
            logger.info("profile of %s unknown (%s); using the defaults", user_id, type(exc).__name__)
            return None
        self._known[user_id] = person
        return person
