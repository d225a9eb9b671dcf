"""``conversations.members``: who is in a channel, a page at a time, as Slack's Web API answers.

From Slack's method reference (conversations.members): the arguments are ``channel``,
``cursor`` (a page's ``response_metadata.next_cursor``) and ``limit`` (default 100; at
most 999, fewer may come back); the answer is ``members``, a list of user ids, and
``response_metadata.next_cursor`` ("" on the last page). Scopes: ``channels:read``,
``groups:read``, ``im:read``, ``mpim:read`` by the kind of channel. Errors:
``channel_not_found`` (a private channel the app is not in is invisible to it),
``invalid_cursor``, ``invalid_limit``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.slack.content import SlackError
from bot.sandbox.slack.records import SlackConfig

__all__ = ["channel_members", "members_of"]


def members_of(config: SlackConfig, channel: str) -> list[str]:
    """The channel's members: as ``config.members`` says, else the whole workspace (and the app, if invited)."""
    if channel in config.members:
        return list(config.members[channel])
    app = [] if channel in config.not_joined else [config.bot_user_id]
    return [*app, *config.users]


def channel_members(config: SlackConfig) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    async def members(params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if channel not in config.channels or (channel.startswith("G") and channel in config.not_joined):
            raise SlackError("channel_not_found")
        try:
            limit = int(params.get("limit") or 100)
        except (TypeError, ValueError):
            raise SlackError("invalid_limit") from None
        if not 1 <= limit <= 999:
            raise SlackError("invalid_limit")
        cursor = str(params.get("cursor") or "")
        if cursor and not cursor.isdigit():
            raise SlackError("invalid_cursor")
        start = int(cursor or 0)
        everyone = members_of(config, channel)
        more = start + limit < len(everyone)
        return {"members": everyone[start : start + limit], "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    return members
