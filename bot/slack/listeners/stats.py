"""``/sms stats [7d|30d]`` (also ``statystyki``): the period read, the report queued, the person told.

The report itself is made and posted by a job (:mod:`bot.bridge.stats`); the command
answers inside Slack's 3 seconds, or says in one sentence what to type instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck

from bot.i18n import _

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["WORDS", "handle_stats_command", "parse_period"]

WORDS = frozenset({"stats", "statystyki"})
DEFAULT_DAYS = 7
MAX_DAYS = 90  # the chart's bars stay readable; a year's report is a database query, not a chat message
_PERIOD = re.compile(r"(\d{1,3})\s*(d|days?|dni|dzień|dzien)?")


def parse_period(typed: str) -> int | None:
    """Days from ``7d``, ``30d``, ``30``, ``30 dni`` (empty: 7); None when it is not a period of 1–90 days."""
    text = typed.strip().lower()
    if not text:
        return DEFAULT_DAYS
    found = _PERIOD.fullmatch(text)
    if found is None:
        return None
    days = int(found.group(1))
    return days if 1 <= days <= MAX_DAYS else None


async def handle_stats_command(ack: AsyncAck, rest: str, command: dict[str, Any], *, bridge: Bridge) -> None:
    days = parse_period(rest)
    if days is None:
        await ack(
            _("“{typed}” is not a period; type /sms stats 7d or /sms stats 30d (up to {most} days).").format(
                typed=rest.strip()[:20], most=MAX_DAYS
            )
        )
        return
    await bridge.stats.start(
        trigger_id=str(command.get("trigger_id") or command.get("response_url") or ""),
        user_id=str(command.get("user_id") or ""),
        channel_id=str(command.get("channel_id") or ""),
        days=days,
        response_url=command.get("response_url"),
    )
    await ack(_("Preparing the report…"))
