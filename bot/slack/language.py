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

from bot.i18n import use_language

__all__ = ["PersonLanguage", "language_middleware"]


class PersonLanguage(Protocol):
    async def user_language(self, user_id: str) -> str | None: ...


Middleware = Callable[[AsyncBoltContext, Callable[[], Awaitable[BoltResponse]]], Awaitable[BoltResponse]]


def language_middleware(*, default: str, people: PersonLanguage) -> Middleware:
    async def in_their_language(context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        user_id = context.user_id
        language = (await people.user_language(user_id) if user_id else None) or default
        with use_language(language):
            return await next()

    return in_their_language
