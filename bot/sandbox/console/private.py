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


def private_posts(slack: SlackState, privates: Sequence[Private]) -> list[dict[str, Any]]:
    """Every private answer, oldest first, each with its ``key`` (what a click names),
    its ``user`` and ``channel``: ephemeral messages, and each command's or click's answer
    with its response_url posts (a post replacing or deleting the one before it)."""
    found: list[dict[str, Any]] = []
    for index, entry in enumerate(slack.ephemeral):
        found.append({"key": f"e{index}", "user": entry["user"], "channel": entry["channel"], "typed": "", **_post(entry)})
    for index, private in enumerate(privates):
        posts: list[dict[str, Any]] = [_post(private.answer)] if private.answer else []
        for payload in slack.hook_posts(private.hook):
            if payload.get("delete_original"):
                posts = posts[:-1]
            elif str(payload.get("replace_original")).lower() == "true" and posts:
                posts[-1] = _post(payload)
            elif str(payload.get("replace_original")).lower() != "true":
                posts.append(_post(payload))
        for number, post in enumerate(posts):
            typed = private.typed if number == 0 else ""
            found.append({"key": f"p{index}.{number}", "user": private.user, "channel": private.channel, "typed": typed, **post})
    return found


def _post(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "text": str(payload.get("text") or ""),
        "blocks": list(payload.get("blocks") or []),
        "in_channel": payload.get("response_type") == "in_channel",
    }
