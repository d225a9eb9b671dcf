"""Names behind Slack's ids (people, user groups, channels), asked once and kept a while.

A reply that mentions someone reaches the phone with that person's name, so the bridge
asks Slack who ``U…`` is. Asking on every message would spend rate limits and time
before Slack gets its answer, so answers are cached per process for ``ttl`` seconds;
a failed look-up (a missing scope, Slack slow or away) is remembered for ``miss_ttl``
seconds and answered with None, and the caller falls back to what the text carried:
a name look-up never stops a message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.errors import slack_error

__all__ = ["SlackDirectory"]

logger = logging.getLogger(__name__)

Fetch = Callable[[], Awaitable[dict[str, str]]]


class SlackDirectory:
    """Cached ``users.info`` / ``usergroups.list`` / ``conversations.info`` answers."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = 3600.0,
        miss_ttl: float = 60.0,
        timeout: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.miss_ttl = miss_ttl
        self.timeout = timeout  # asked before Slack gets its answer: never wait long
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._asking: dict[str, asyncio.Future[dict[str, str] | None]] = {}

    async def user_name(self, user_id: str) -> str | None:
        """What Slack shows for a mention of the person: the display name, else the full name."""

        async def fetch() -> dict[str, str]:
            answer = await self.client.users_info(user=user_id)
            user: dict[str, Any] = answer.get("user") or {}
            profile: dict[str, Any] = user.get("profile") or {}
            name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or ""
            return {user_id: str(name)} if name else {}

        return await self._lookup("user", user_id, f"user:{user_id}", fetch)

    async def profile_name(self, user_id: str, *, first: bool = False) -> str | None:
        """The person's full name from their profile (a signature's ``{name}``), or with
        ``first`` their first name (``{first_name}``: the profile's, else the full name's
        first word). One ``users.info`` call answers both."""

        async def fetch() -> dict[str, str]:
            answer = await self.client.users_info(user=user_id)
            user: dict[str, Any] = answer.get("user") or {}
            profile: dict[str, Any] = user.get("profile") or {}
            full = str(profile.get("real_name") or user.get("real_name") or profile.get("display_name") or "").strip()
            given = str(profile.get("first_name") or "").strip() or (full.split()[0] if full else "")
            names = {user_id: full, f"{user_id}/first": given}
            return {key: value for key, value in names.items() if value}

        key = f"{user_id}/first" if first else user_id
        return await self._lookup("profile", key, f"profile:{user_id}", fetch)

    async def user_by_handle(self, handle: str) -> str | None:
        """The member someone means by ``@handle`` typed as plain text (a slash command's text
        is not escaped): matched on the username, the display name or the full name, in any
        case; None when it names nobody, or more than one person."""

        async def fetch() -> dict[str, str]:
            found: dict[str, str] = {}
            clash: set[str] = set()
            cursor: str | None = None
            while True:
                page = await self.client.users_list(limit=200, cursor=cursor)
                for user in page.get("members") or []:
                    if user.get("deleted") or user.get("is_bot"):
                        continue
                    profile = user.get("profile") or {}
                    names = {str(n).casefold() for n in (user.get("name"), profile.get("display_name"), profile.get("real_name")) if n}
                    for name in names:
                        clash.update({name} if name in found and found[name] != user["id"] else set())
                        found.setdefault(name, str(user["id"]))
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return {name: user_id for name, user_id in found.items() if name not in clash}

        return await self._lookup("handle", handle.lstrip("@").casefold(), "users:list", fetch)

    async def usergroup_handle(self, group_id: str) -> str | None:
        """The handle people type after ``@`` for a user group (``wsparcie``); one list call serves all groups."""

        async def fetch() -> dict[str, str]:
            answer = await self.client.usergroups_list()
            groups: list[dict[str, Any]] = answer.get("usergroups") or []
            return {str(g["id"]): str(g["handle"]) for g in groups if g.get("id") and g.get("handle")}

        return await self._lookup("usergroup", group_id, "usergroups", fetch)

    async def channel_name(self, channel_id: str) -> str | None:
        """The channel's name without the ``#``."""

        async def fetch() -> dict[str, str]:
            answer = await self.client.conversations_info(channel=channel_id)
            name = (answer.get("channel") or {}).get("name")
            return {channel_id: str(name)} if name else {}

        return await self._lookup("channel", channel_id, f"channel:{channel_id}", fetch)

    async def _lookup(self, kind: str, id_: str, call: str, fetch: Fetch) -> str | None:
        now = self._clock()
        cached = self._known.get((kind, id_))
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await self._ask(call, fetch)
        if found is None:  # the call failed: remember that briefly
            self._known[(kind, id_)] = (now + self.miss_ttl, None)
            return None
        for key, value in found.items():
            self._known[(kind, key)] = (now + self.ttl, value)
        if id_ not in found:
            self._known[(kind, id_)] = (now + self.ttl, None)
        return found.get(id_)

    async def _ask(self, call: str, fetch: Fetch) -> dict[str, str] | None:
        """One call in flight per question: concurrent look-ups of the same id share it."""
        pending = self._asking.get(call)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(call, fetch))
            self._asking[call] = pending
            pending.add_done_callback(lambda _: self._asking.pop(call, None))
        return await asyncio.shield(pending)

    async def _fetch(self, call: str, fetch: Fetch) -> dict[str, str] | None:
        try:
            return await asyncio.wait_for(fetch(), timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - any failure: the caller uses what the text carried
            detail = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            logger.info("Slack look-up %s failed (%s); using what the message carried", call, detail)
            return None
