"""Slack's markup rules in one place: escaping, and the sizes Slack accepts.

Slack reads ``&``, ``<`` and ``>`` as markup in a message's ``text`` and in every
``mrkdwn`` text object: ``<!channel>`` pings a channel, ``<https://x|click>`` hides a
link behind a word. Whatever a customer, mProfi or a typed argument put into a
message goes through :func:`escape` first — in the blocks *and* in the ``text``
fallback that notifications and screen readers show.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

from bot.i18n import _

__all__ = [
    "escape",
    "clip",
    "sections",
    "plain_clip",
    "fallback",
    "clock",
    "when",
    "SECTION_LIMIT",
    "HEADER_LIMIT",
    "TEXT_LIMIT",
    "MAX_BLOCKS",
    "CONTEXT_ELEMENTS",
]


# Slack's documented limits (Block Kit reference; chat.postMessage).
SECTION_LIMIT = 3000  # a section's text object
HEADER_LIMIT = 150  # a header's plain_text
MAX_BLOCKS = 50  # blocks in one message
CONTEXT_ELEMENTS = 10  # elements in one context block
TEXT_LIMIT = 40_000  # a message's top-level text (Slack truncates at 40,000 and refuses far beyond)
FALLBACK_LIMIT = 4000  # what a notification needs of it; the blocks carry the whole message

_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Text as Slack shows it literally: nothing in it can ping, link or format a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(escaped: str, limit: int) -> str:
    """Cut already-escaped text to ``limit`` characters without breaking an ``&amp;``."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    cut = _ENTITY_TAIL.sub("", cut)
    return cut + "…"


def plain_clip(text: str, limit: int) -> str:
    """Cut unescaped (plain_text) text to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sections(escaped: str, *, limit: int = SECTION_LIMIT, max_sections: int = 20) -> list[dict[str, Any]]:
    """Already-escaped mrkdwn as one or more section blocks of at most ``limit``
    characters each: a long SMS is split (at a line break or a space where it can be),
    never refused by Slack."""
    chunks: list[str] = []
    rest = escaped
    while rest:
        if len(rest) <= limit:
            chunks.append(rest)
            break
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        if cut < limit // 2:
            cut = limit
        piece = rest[:cut]
        tail = _ENTITY_TAIL.search(piece)
        if tail and cut == limit:  # do not split an entity in two
            cut -= len(tail.group(0))
            piece = rest[:cut]
        chunks.append(piece)
        rest = rest[cut:].lstrip(" ") if cut < len(rest) else ""
    chunks = [chunk for chunk in chunks if chunk.strip()] or [_("_(only blank space)_")]  # Slack refuses a blank section
    if len(chunks) > max_sections:
        chunks = [*chunks[: max_sections - 1], clip(chunks[max_sections - 1], limit)]
    # verbatim: Slack would otherwise turn bare channel names and URLs in them into links.
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk, "verbatim": True}} for chunk in chunks]


def fallback(escaped: str) -> str:
    """The top-level ``text``: escaped already, short enough for any notification."""
    return clip(escaped, FALLBACK_LIMIT)


def clock(moment: datetime | None, zone: tzinfo) -> str:
    """``23:05`` in ``zone`` (the bridge's ``DEFAULT_TIMEZONE``); empty without a moment."""
    return moment.astimezone(zone).strftime("%H:%M") if moment else ""


def when(moment: datetime, zone: tzinfo) -> str:
    """``30.11.2026 23:05`` in ``zone`` (the bridge's ``DEFAULT_TIMEZONE``)."""
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M")
