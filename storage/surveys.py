"""What mProfi told us of surveys, and where in Slack it was shown."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SurveyNotification

__all__ = ["set_notification_ts"]


async def set_notification_ts(session: AsyncSession, notification_id: int, ts: str) -> None:
    """The notification is in Slack at ``ts``: a retry of its job finds it there."""
    await session.execute(update(SurveyNotification).where(SurveyNotification.id == notification_id).values(slack_ts=ts))
