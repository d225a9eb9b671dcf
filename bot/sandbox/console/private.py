"""What only one teammate sees: ephemeral messages, slash command answers, response_url posts.

Slack shows these to one person and keeps no record a channel history would show, so
the console keeps who asked what (``Private``) and reads the rest from the emulator.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.slack.state import SlackState

__all__ = ["Private", "private_posts"]


@dataclass
class Private:
    """An answer only its user sees: a slash command's reply and its response_url posts."""

    user: str
    channel: str
    typed: str
    hook: str
    answer: dict[str, Any] | None
    at: float = field(default_factory=time.time)
    source: str | None = None  # a click's: the key of the private answer clicked on


def private_posts(slack: SlackState, privates: Sequence[Private]) -> list[dict[str, Any]]:
    """Every private answer, oldest first, each with its ``key`` (what a click names),
    its ``user`` and ``channel``: ephemeral messages, and each command's or click's answer
    with its response_url posts (a post replacing or deleting the one before it; a click's,
    the answer clicked on)."""
    found: list[dict[str, Any]] = []
    for index, entry in enumerate(slack.ephemeral):
        found.append({"key": f"e{index}", "user": entry["user"], "channel": entry["channel"], "typed": "", **_post(entry)})
    for index, private in enumerate(privates):
        # Each post keeps the number it came with (the answer 0, the n-th response_url
        # post n), so a key stays what it was when one before it is deleted.
        posts: list[tuple[int, dict[str, Any]]] = [(0, _post(private.answer))] if private.answer else []
        clicked = next((post for post in found if post["key"] == private.source), None) if private.source else None
        for ordinal, payload in enumerate(slack.hook_posts(private.hook), start=1):
            replacing = str(payload.get("replace_original")).lower() == "true"
            if clicked is not None and (payload.get("delete_original") or replacing):
                # As in Slack: a click's response_url replaces or deletes the message clicked on.
                if payload.get("delete_original"):
                    found.remove(clicked)
                    clicked = None
                else:
                    clicked.update(_post(payload))
            elif payload.get("delete_original"):
                posts = posts[:-1]
            elif replacing and posts:
                posts[-1] = (posts[-1][0], _post(payload))  # the same message, redrawn: its key stays
            elif not replacing:
                posts.append((ordinal, _post(payload)))
        for ordinal, post in posts:
            typed = private.typed if ordinal == 0 or post is posts[0][1] else ""
            found.append({"key": f"p{index}.{ordinal}", "user": private.user, "channel": private.channel, "typed": typed, **post})
    return found


def _post(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "text": str(payload.get("text") or ""),
        "blocks": list(payload.get("blocks") or []),
        "in_channel": payload.get("response_type") == "in_channel",
    }
