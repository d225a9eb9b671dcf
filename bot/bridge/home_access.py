"""Whose conversations a Home tab may show: those of the channels the person is in.

A conversation lives in a channel (``SLACK_CHANNEL``, a routed one, perhaps private);
its customer's name and number are for that channel's members, so a Home tab lists
only the conversations of channels its person belongs to. Membership comes from
``conversations.members`` (every page), kept a few minutes per channel: one change
republishes many tabs, and each must not ask Slack again.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.errors import slack_error

__all__ = ["MEMBERS_TTL_SECONDS", "ChannelMembers", "channel_members"]

logger = logging.getLogger(__name__)

MEMBERS_TTL_SECONDS = 300.0  # how long a channel's member list is trusted
PAGE = 500  # conversations.members' limit (Slack allows up to 999)


class ChannelMembers:
    """Each channel's members, asked of Slack at most once in ``ttl`` seconds."""

    def __init__(self, slack: AsyncWebClient, *, ttl: float = MEMBERS_TTL_SECONDS) -> None:
        self._slack = slack
        self._ttl = ttl
        self._known: dict[str, tuple[float, frozenset[str]]] = {}

    async def members(self, channel: str) -> frozenset[str]:
        """The channel's members; nobody when Slack will not say (a private channel the app is not in).
        A 429 or Slack being down is raised: the publish is tried again later."""
        kept = self._known.get(channel)
        if kept is not None and time.monotonic() - kept[0] < self._ttl:
            return kept[1]
        found: set[str] = set()
        cursor = ""
        try:
            while True:
                page = await self._slack.conversations_members(channel=channel, limit=PAGE, cursor=cursor or None)
                found.update(str(m) for m in page.get("members") or [])
                cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
                if not cursor:
                    break
        except SlackApiError as exc:
            if exc.response.status_code == 429 or exc.response.status_code >= 500:
                raise
            logger.warning("home: the members of %s are unknown, its conversations are shown to nobody: %s", channel, slack_error(exc))
        members = frozenset(found)
        self._known[channel] = (time.monotonic(), members)
        return members

    async def visible(self, user_id: str, channels: Iterable[str]) -> set[str]:
        """Those of ``channels`` the person is a member of."""
        return {channel for channel in set(channels) if user_id in await self.members(channel)}


_CACHES: weakref.WeakKeyDictionary[AsyncWebClient, ChannelMembers] = weakref.WeakKeyDictionary()


def channel_members(slack: AsyncWebClient) -> ChannelMembers:
    """The member cache of this Slack client (one per running bridge)."""
    found = _CACHES.get(slack)
    if found is None:
        found = _CACHES[slack] = ChannelMembers(slack)
    return found
