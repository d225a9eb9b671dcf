"""Who may read the audit log and export or erase a number's data: ``ADMIN_USERS``."""

from __future__ import annotations

from bot.bridge.context import BridgeConfig
from bot.i18n import _

__all__ = ["not_admin"]


def not_admin(config: BridgeConfig, user_id: str) -> str | None:
    """Why ``user_id`` may not do an admin's act (one sentence), or None when they may."""
    if user_id in config.admin_users:
        return None
    if not config.admin_users:
        return _("Only the people named in ADMIN_USERS may do this, and none are set; ask whoever runs the bridge to add you.")
    return _("Only the people named in ADMIN_USERS may do this; ask one of them or whoever runs the bridge.")
