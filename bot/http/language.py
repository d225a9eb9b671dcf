"""Every request is answered in ``BOT_LANGUAGE`` unless a layer inside knows better.

The language is a context variable (:mod:`bot.i18n`); an ASGI middleware sets it for
the whole request, so a webhook that stores an opt-out notice stores it in the
configured language, and Bolt's own middleware narrows it to the person's locale.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.i18n import use_language

__all__ = ["LanguageMiddleware"]


class LanguageMiddleware:
    def __init__(self, app: ASGIApp, *, language: str) -> None:
        self.app = app
        self.language = language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with use_language(self.language):
            await self.app(scope, receive, send)
