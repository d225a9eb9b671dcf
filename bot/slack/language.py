"""Answer each person in their own language: Bolt middleware around every listener.

What a listener says privately (an ephemeral answer, a modal, a form's errors) follows
the person's Slack locale when it is Polish or English; anything else, and everything
the workers post for the whole channel, is in ``BOT_LANGUAGE``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.i18n import set_language

__all__ = ["PersonLanguage", "language_middleware"]


class PersonLanguage(Protocol):
    async def language_of(self, user_id: str | None) -> str:
        """The person's language when it is one we speak, else ``BOT_LANGUAGE``."""
        ...


Middleware = Callable[[AsyncBoltContext, Callable[[], Awaitable[BoltResponse]]], Awaitable[BoltResponse]]


def language_middleware(people: PersonLanguage) -> Middleware:
    async def in_their_language(context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        # Bolt runs the listeners after the middleware has returned (``next()`` only says
        # "go on"), so the language is set for the rest of the request, not for a block.
        set_language(await people.language_of(context.user_id))
        return await next()

    return in_their_language
