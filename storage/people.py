"""Each person's settings and what their Home tab lists, and the debounce of its republishing.

A Home tab is republished by a job per person. :func:`queue_homes` and
:func:`queue_everyone` let at most one such job wait per person (``home_due_at``), not
sooner than a gap after the last publish, and only for people who opened the tab: a
burst of changes costs each person one publish. Everyone's republishes are also spread
over time, one every so often across all people, by the jobs' ``run_after``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.kinds import ConversationState
from storage.models import HOME_WAITING_WHERE, Contact, Conversation
from storage.people_models import HomeMark, PersonSettings

__all__ = [
    "HomeConversation",
    "MarkChange",
    "home_forgotten",
    "home_opened",
    "home_published",
    "mark_conversation",
    "mention_choices",
    "my_conversations",
    "open_channels",
    "queue_everyone",
    "queue_homes",
    "set_mention",
    "take_due",
    "waiting_for_us",
]

_WAITING = (ConversationState.NEW, ConversationState.WAITING_US)
STALE_DUE = timedelta(minutes=30)  # a queued republish not started by then was lost (its job given up)
EVERYONE_LIMIT = 500  # the Home tabs one change may republish: the people who opened it most lately


@dataclass(frozen=True)
class HomeConversation:
    """One line of a Home tab's list."""

    conversation_id: int
    phone: str
    name: str | None
    state: str
    channel_id: str
    thread_ts: str | None
    last_at: datetime | None
    waiting_since: datetime | None
    owner: str | None


@dataclass(frozen=True)
class MarkChange:
    """How a conversation changed for the Home tabs since they were last brought up to date."""

    owners: frozenset[str]  # the owner before and the owner now: their *My conversations*
    waiting: bool  # whether it waits for us, or since when, changed: everyone's *Waiting for us*


async def _ensure(session: AsyncSession, user_id: str, at: datetime) -> None:
    """The person's row, made if missing (two first opens at once make one)."""
    if await session.get(PersonSettings, user_id) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(PersonSettings(user_id=user_id, updated_at=at))
    except IntegrityError:
        pass  # made a moment ago by the other one


async def home_opened(session: AsyncSession, user_id: str, *, at: datetime) -> None:
    """The person opened the Home tab: from now on it is kept up to date."""
    await _ensure(session, user_id, at)
    await session.execute(update(PersonSettings).where(PersonSettings.user_id == user_id).values(home_opened_at=at))


async def set_mention(session: AsyncSession, user_id: str, mention: bool | None, *, at: datetime) -> None:
    """Mention the person on follow-ups in their conversations (None: the installation's default)."""
    await _ensure(session, user_id, at)
    await session.execute(
        update(PersonSettings).where(PersonSettings.user_id == user_id).values(mention_on_follow_up=mention, updated_at=at)
    )


async def mention_choices(session: AsyncSession, users: Collection[str]) -> dict[str, bool | None]:
    """Each of ``users``' follow-up mention choice (None, or absent: the default)."""
    if not users:
        return {}
    rows = await session.execute(
        select(PersonSettings.user_id, PersonSettings.mention_on_follow_up).where(PersonSettings.user_id.in_(set(users)))
    )
    return {str(user): choice for user, choice in rows.all()}


def _free(now: datetime) -> ColumnElement[bool]:
    """No republish waits, or the one that did was given up long ago (it must not block the tab for ever)."""
    return or_(PersonSettings.home_due_at.is_(None), PersonSettings.home_due_at < now - STALE_DUE)


async def _claim(session: AsyncSession, user_id: str, due: datetime, now: datetime, *, replacing: datetime | None = None) -> bool:
    """Set the person's queued republish to ``due``: if none waits, or (``replacing``) in place of that later one."""
    waits = PersonSettings.home_due_at == replacing if replacing is not None else _free(now)
    result = await session.execute(
        update(PersonSettings)
        .where(PersonSettings.user_id == user_id, waits)
        .values(home_due_at=due)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def queue_homes(session: AsyncSession, users: Collection[str], *, now: datetime, gap: float) -> list[tuple[str, datetime]]:
    """Claim a republish of these people's tabs, each not sooner than ``gap`` seconds after
    its last publish: (person, when it may run). People who never opened the tab are left
    out; one whose republish is queued for later has it brought forward (its job, when it
    comes, finds another due and does nothing: :func:`take_due`)."""
    if not users:
        return []
    rows = await session.execute(
        select(PersonSettings.user_id, PersonSettings.home_published_at, PersonSettings.home_due_at).where(
            PersonSettings.home_opened_at.is_not(None), PersonSettings.user_id.in_(set(users))
        )
    )
    claimed = []
    for user_id, published, queued in rows.all():
        due = max(now, published + timedelta(seconds=gap)) if published is not None else now
        waiting = queued if queued is not None and queued >= now - STALE_DUE else None  # a republish queued, not lost
        if (waiting is None or waiting > due) and await _claim(session, user_id, due, now, replacing=waiting):
            claimed.append((str(user_id), due))
    return claimed


async def queue_everyone(
    session: AsyncSession, *, now: datetime, gap: float, opened_since: datetime, interval: float
) -> list[tuple[str, datetime]]:
    """Claim a republish of the tab of everyone who opened it since ``opened_since`` (the
    latest ``EVERYONE_LIMIT``) and has none queued: each not sooner than ``gap`` seconds
    after its last publish, and all of them ``interval`` seconds apart, after the latest
    republish already queued (the queue keeps the pace: nobody sleeps)."""
    query = (
        select(PersonSettings.user_id, PersonSettings.home_published_at)
        .where(PersonSettings.home_opened_at >= opened_since, _free(now))
        .order_by(PersonSettings.home_opened_at.desc())
        .limit(EVERYONE_LIMIT)
    )
    wanted = sorted(
        (
            (max(now, published + timedelta(seconds=gap)) if published is not None else now, str(user_id))
            for user_id, published in (await session.execute(query)).all()
        ),
    )
    if not wanted:
        return []
    latest = await session.scalar(select(func.max(PersonSettings.home_due_at)).where(PersonSettings.home_due_at >= now - STALE_DUE))
    step = timedelta(seconds=interval)
    previous = latest if latest is not None else now - step
    claimed = []
    for earliest, user_id in wanted:
        due = max(earliest, previous + step)
        if await _claim(session, user_id, due, now):
            claimed.append((user_id, due))
            previous = due
    return claimed


async def take_due(session: AsyncSession, user_id: str, due: datetime | None = None) -> bool:
    """The republish job queued for ``due`` starts: a change from now on queues another one.
    False when another republish, queued for another time, replaced it (that one does the
    work); none queued (this job's own earlier try failed, or the replacing one ran): it runs."""
    if due is not None:
        queued = await session.scalar(select(PersonSettings.home_due_at).where(PersonSettings.user_id == user_id))
        if queued is not None and abs((queued - due).total_seconds()) > 0.001:
            return False
    await session.execute(update(PersonSettings).where(PersonSettings.user_id == user_id).values(home_due_at=None))
    return True


async def home_forgotten(session: AsyncSession, user_id: str) -> None:
    """Slack says the person is gone: their tab is not published again until they open it."""
    await session.execute(update(PersonSettings).where(PersonSettings.user_id == user_id).values(home_opened_at=None, home_due_at=None))


async def open_channels(session: AsyncSession) -> set[str]:
    """The channels that have an open conversation (the Home tabs list nothing else)."""
    rows = await session.scalars(select(Conversation.channel_id).where(Conversation.state != ConversationState.CLOSED).distinct())
    return {str(c) for c in rows.all()}


async def home_published(session: AsyncSession, user_id: str, *, at: datetime) -> None:
    await session.execute(update(PersonSettings).where(PersonSettings.user_id == user_id).values(home_published_at=at))


async def mark_conversation(
    session: AsyncSession, conversation_id: int, *, owner: str | None, state: str, waiting_since: datetime | None
) -> MarkChange | None:
    """Compare the conversation with its mark and bring the mark up to date; None when
    nothing the Home tabs show of it changed."""
    mark = await session.get(HomeMark, conversation_id)
    if mark is None:
        mark = HomeMark(conversation_id=conversation_id, owner=None, state=ConversationState.NEW, waiting_since=None)
        session.add(mark)
        was_waiting, was_since, was_owner, was_state = False, None, None, None
    else:
        was_waiting, was_since = mark.waiting_since is not None, mark.waiting_since
        was_owner, was_state = mark.owner, mark.state
    if (was_owner, was_state, was_since) == (owner, state, waiting_since):
        return None
    mark.owner, mark.state, mark.waiting_since = owner, state, waiting_since
    owners = frozenset(o for o in (was_owner, owner) if o)
    return MarkChange(owners=owners, waiting=was_waiting != (waiting_since is not None) or was_since != waiting_since)


def _last_at() -> ColumnElement[Any]:
    """The later of a conversation's last message in and out (NULLs left out, on every database)."""
    later = Conversation.last_outbound_at > Conversation.last_inbound_at
    return case((later, Conversation.last_outbound_at), else_=func.coalesce(Conversation.last_inbound_at, Conversation.last_outbound_at))


async def _listed(
    session: AsyncSession, where: tuple[ColumnElement[bool] | Any, ...], order: tuple[Any, ...], limit: int
) -> tuple[list[HomeConversation], int]:
    last_at = _last_at().label("last_at")
    listed = select(Conversation, Contact.name, last_at).outerjoin(Contact, Contact.phone == Conversation.phone)
    counted = select(func.count()).select_from(Conversation)
    rows = await session.execute(listed.where(*where).order_by(*order).limit(limit))
    found = [
        HomeConversation(
            conversation_id=c.id,
            phone=c.phone,
            name=name,
            state=c.state,
            channel_id=c.channel_id,
            thread_ts=c.thread_ts,
            last_at=at,
            waiting_since=c.waiting_since,
            owner=c.owner,
        )
        for c, name, at in rows.all()
    ]
    total = await session.scalar(counted.where(*where))
    return found, int(total or 0)


async def my_conversations(
    session: AsyncSession, user_id: str, *, limit: int, channels: Collection[str]
) -> tuple[list[HomeConversation], int]:
    """The person's open conversations in ``channels``, the latest message first (at most ``limit``), and how many there are."""
    where = (Conversation.owner == user_id, Conversation.state != ConversationState.CLOSED, Conversation.channel_id.in_(set(channels)))
    return await _listed(session, where, (_last_at().desc(), Conversation.id.desc()), limit)


async def waiting_for_us(session: AsyncSession, *, limit: int, channels: Collection[str]) -> tuple[list[HomeConversation], int]:
    """Conversations in ``channels`` whose customer waits for an answer, the longest waiting first, and how many."""
    where = (
        sql_text(HOME_WAITING_WHERE),  # spelled as the partial index is, so both databases use it
        Conversation.state.in_(_WAITING),
        Conversation.snoozed_until.is_(None),
        Conversation.channel_id.in_(set(channels)),
    )
    return await _listed(session, where, (Conversation.waiting_since, Conversation.id), limit)
