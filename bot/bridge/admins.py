"""Who may read the audit log and export or erase a number's data (``ADMIN_USERS``), and
where what they asked for is delivered."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.bridge.context import BridgeConfig, Context
from bot.i18n import _
from bot.slack.errors import slack_error

__all__ = ["not_admin", "private_channel"]

logger = logging.getLogger(__name__)


def not_admin(config: BridgeConfig, user_id: str) -> str | None:
    """Why ``user_id`` may not do an admin's act (one sentence), or None when they may."""
    if user_id in config.admin_users:
        return None
    if not config.admin_users:
        return _("Only the people named in ADMIN_USERS may do this, and none are set; ask whoever runs the bridge to add you.")
    return _("Only the people named in ADMIN_USERS may do this; ask one of them or whoever runs the bridge.")


async def private_channel(ctx: Context, user_id: str) -> str:
    """Where an admin's files go: a direct message with them, so only they read what the
    audit log or a number's export holds. An install from an older manifest (no
    ``im:write``) falls back to the bridge channel and says so in the log."""
    try:
        answer = await ctx.slack.conversations_open(users=user_id)
        return str(answer["channel"]["id"])
    except SlackApiError as exc:
        if slack_error(exc) not in ("missing_scope", "not_allowed_token_type"):
            raise
        logger.warning("cannot open a direct message (%s): reinstall the app from manifest.yml; using the bridge channel", slack_error(exc))
        return ctx.config.channel_id
