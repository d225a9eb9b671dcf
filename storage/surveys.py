"""What mProfi told us of surveys, and where in Slack it was shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SurveyNotification

__all__ = ["earlier_answer_unposted", "set_notification_ts"]


async def earlier_answer_unposted(session: AsyncSession, notification: SurveyNotification, *, since: datetime) -> bool:
    """An answer to the same survey that came earlier (after ``since``) is not in Slack yet:
    answers are posted in the order mProfi sent them."""
    earlier = select(SurveyNotification.id).where(
        SurveyNotification.kind == "answer",
        SurveyNotification.survey_id == notification.survey_id,
        SurveyNotification.id < notification.id,
        SurveyNotification.slack_ts.is_(None),
        SurveyNotification.received_at >= since,
    )
    return (await session.scalar(earlier.limit(1))) is not None


async def set_notification_ts(session: AsyncSession, notification_id: int, ts: str) -> None:
    """The notification is in Slack at ``ts``: a retry of its job finds it there."""
    await session.execute(update(SurveyNotification).where(SurveyNotification.id == notification_id).values(slack_ts=ts))
