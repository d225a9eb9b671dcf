"""Survey answers reach their thread in the order mProfi sent them, whichever worker takes which."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import SurveyNotification, utcnow
from storage.surveys import earlier_answer_unposted, set_notification_ts


def answer(survey_id: int, msisdn: str, **fields: object) -> SurveyNotification:
    return SurveyNotification(
        content_type="application/json", body="{}", kind="answer", survey_id=survey_id, msisdn=msisdn, answer="tak", **fields
    )


async def test_a_later_answer_waits_for_an_earlier_one_of_its_survey(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        first, second, other_survey = answer(1, "48600100200"), answer(1, "48600100201"), answer(2, "48600100202")
        lost = answer(3, "48600100203", received_at=now - timedelta(hours=1))
        late = answer(3, "48600100204")
        session.add_all([first, second, other_survey, lost, late])
    since = now - timedelta(minutes=10)
    async with sessions() as session:
        assert await earlier_answer_unposted(session, second, since=since)
        assert not await earlier_answer_unposted(session, first, since=since)
        assert not await earlier_answer_unposted(session, other_survey, since=since)  # another survey's thread
        assert not await earlier_answer_unposted(session, late, since=since)  # one that never got posted holds nothing back for ever
    async with sessions() as session, session.begin():
        await set_notification_ts(session, first.id, "1700000000.000100")
    async with sessions() as session:
        assert not await earlier_answer_unposted(session, second, since=since)
