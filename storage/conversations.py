"""How a team runs a conversation: its state, owner and snooze, changed race-free.

Every change is one conditional ``UPDATE`` whose ``WHERE`` says what the person saw
(the owner on the card, a conversation not yet closed): when two people press at
once, or two replicas handle the presses, exactly one update matches and the other
person is told what happened instead.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.kinds import ConversationState, MessageStatus
from storage.models import Contact, Conversation, Message, OptOut
from storage.privacy import number_hash
from storage.privacy_models import ForgottenOptOut
from storage.sending import forgotten_opt_out, opt_out_of

__all__ = [
    "CardFacts",
    "Before",
    "after_inbound",
    "after_outbound",
    "assign",
    "close",
    "reopen",
    "snooze",
    "card_facts",
    "claim_ended_snoozes",
    "waiting_candidates",
    "claim_waiting_reminder",
    "set_last_hlr",
    "conversation_ids_of_phone",
    "conversation_ids_of_phones",
    "last_broadcast_to",
    "settle_unsent",
    "set_card_digest",
    "set_opt_out_hint",
]

_WAITING = (ConversationState.NEW, ConversationState.WAITING_US)


@dataclass(frozen=True)
class Before:
    """A conversation as it was before an SMS arrived: what decides a follow-up."""

    state: str
    owner: str | None
    snoozed_until: datetime | None


async def _changed(session: AsyncSession, conversation_id: int, *where: ColumnElement[bool], **values: Any) -> bool:
    result = await session.execute(
        update(Conversation).where(Conversation.id == conversation_id, *where).values(**values).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def after_inbound(session: AsyncSession, ids: Collection[int], *, at: datetime) -> dict[int, Before]:
    """The customer wrote: each conversation now waits for us (a closed one reopens, a
    snooze ends, a wait already running keeps its start). Returns the states before."""
    rows = await session.execute(
        select(Conversation.id, Conversation.state, Conversation.owner, Conversation.snoozed_until).where(Conversation.id.in_(set(ids)))
    )
    before = {int(row.id): Before(str(row.state), row.owner, row.snoozed_until) for row in rows.all()}
    already = [cid for cid, was in before.items() if was.state in _WAITING]
    fresh = [cid for cid, was in before.items() if was.state not in _WAITING]
    common = {"snoozed_until": None, "last_inbound_at": at}
    if already:
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_(already))
            .values(waiting_since=func.coalesce(Conversation.waiting_since, at), **common)
            .execution_options(synchronize_session=False)
        )
    if fresh:
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_(fresh))
            .values(state=ConversationState.WAITING_US, waiting_since=at, reminded_at=None, **common)
            .execution_options(synchronize_session=False)
        )
    return before


async def after_outbound(session: AsyncSession, conversation_id: int, *, author: str | None, at: datetime) -> None:
    """We answered: the conversation waits for the customer, and whoever answered
    first owns it if nobody did."""
    values: dict[str, Any] = {"waiting_since": None, "reminded_at": None, "last_outbound_at": at}
    await _changed(
        session, conversation_id, Conversation.state != ConversationState.CLOSED, state=ConversationState.WAITING_CUSTOMER, **values
    )
    if author:
        await _changed(session, conversation_id, Conversation.owner.is_(None), owner=author)


_NOT_GONE = (MessageStatus.FAILED, MessageStatus.CANCELLED, MessageStatus.HELD)


async def settle_unsent(session: AsyncSession, conversation_id: int) -> None:
    """A reply did not go (cancelled, refused, failed): if it was what made the conversation
    wait for the customer, it waits for whoever the last message that really went is owed
    to — since the first message of the customer's that is still unanswered."""
    real = (Message.conversation_id == conversation_id, Message.kind != "note", Message.status.notin_(_NOT_GONE))
    last_out = await session.scalar(select(func.max(Message.id)).where(*real, Message.direction == "out"))
    first_unanswered = await session.scalar(
        select(func.min(Message.created_at)).where(
            *real, Message.direction == "in", Message.id > (last_out or 0), Message.repeat_of_id.is_(None)
        )
    )
    if first_unanswered is None:
        return  # our last real message is the newest: the customer's turn indeed
    state = ConversationState.WAITING_US if last_out is not None else ConversationState.NEW
    await _changed(
        session,
        conversation_id,
        Conversation.state == ConversationState.WAITING_CUSTOMER,
        state=state,
        waiting_since=first_unanswered,
    )


async def assign(session: AsyncSession, conversation_id: int, *, owner: str | None, seen: str | None) -> bool:
    """Make ``owner`` the owner, if the owner is still the one the person saw (``seen``)."""
    still = Conversation.owner.is_(None) if seen is None else Conversation.owner == seen
    return await _changed(session, conversation_id, still, owner=owner)


async def close(session: AsyncSession, conversation_id: int, *, by: str) -> bool:
    """Close it, unless it is closed already; False then."""
    return await _changed(
        session,
        conversation_id,
        Conversation.state != ConversationState.CLOSED,
        state=ConversationState.CLOSED,
        state_by=by,
        snoozed_until=None,
        waiting_since=None,
        reminded_at=None,
    )


async def reopen(session: AsyncSession, conversation_id: int, *, by: str, at: datetime) -> bool:
    """Open a closed conversation again: it waits for whoever the last message is owed to."""
    last = await session.scalar(
        select(Message.direction)
        .where(Message.conversation_id == conversation_id, Message.kind != "note", Message.status != MessageStatus.FAILED)
        .order_by(Message.id.desc())
        .limit(1)
    )
    if last == "in":
        state, waiting = ConversationState.WAITING_US, at
    else:
        state, waiting = (ConversationState.WAITING_CUSTOMER if last == "out" else ConversationState.NEW), None
    return await _changed(
        session, conversation_id, Conversation.state == ConversationState.CLOSED, state=state, state_by=by, waiting_since=waiting
    )


async def snooze(session: AsyncSession, conversation_id: int, *, until: datetime | None, by: str) -> bool:
    """Snooze until ``until`` (None: wake it now); a closed conversation is not snoozed."""
    return await _changed(session, conversation_id, Conversation.state != ConversationState.CLOSED, snoozed_until=until, state_by=by)


async def claim_ended_snoozes(session: AsyncSession, *, now: datetime, limit: int = 50) -> list[tuple[int, str | None]]:
    """Conversations whose snooze ended (id, owner), each taken by exactly one caller (replicas race here)."""
    due = await session.execute(
        select(Conversation.id, Conversation.snoozed_until, Conversation.owner)
        .where(Conversation.snoozed_until <= now)
        .order_by(Conversation.snoozed_until)
        .limit(limit)
    )
    taken = []
    for conversation_id, until, owner in due.all():
        # The snooze's reminder is also this wait's one: no second ping a moment later.
        if await _changed(session, int(conversation_id), Conversation.snoozed_until == until, snoozed_until=None, reminded_at=now):
            taken.append((int(conversation_id), owner))
    return taken


async def waiting_candidates(
    session: AsyncSession, *, waiting_before: datetime, limit: int = 200
) -> list[tuple[int, datetime, str | None]]:
    """Conversations waiting for us since before ``waiting_before`` (id, since, owner), longest
    waiting first; not reminded yet, not snoozed."""
    rows = await session.execute(
        select(Conversation.id, Conversation.waiting_since, Conversation.owner)
        .where(
            Conversation.waiting_since <= waiting_before,
            Conversation.reminded_at.is_(None),
            Conversation.snoozed_until.is_(None),
            Conversation.state.in_(_WAITING),
            Conversation.phone.startswith("+"),  # a sender name or short code cannot be answered
            ~exists().where(OptOut.phone == Conversation.phone),  # nor can a number that said STOP
        )
        .order_by(Conversation.waiting_since)
        .limit(limit)
    )
    return [(int(cid), since, owner) for cid, since, owner in rows.all() if since is not None]


async def claim_waiting_reminder(session: AsyncSession, conversation_id: int, *, since: datetime, now: datetime) -> bool:
    """Take the one reminder of this wait (the wait that began at ``since``)."""
    return await _changed(
        session, conversation_id, Conversation.waiting_since == since, Conversation.reminded_at.is_(None), reminded_at=now
    )


async def set_last_hlr(session: AsyncSession, results: dict[str, dict[str, Any]]) -> list[int]:
    """Keep number checks' results (by E.164 number) on the conversations of those
    numbers; the ids of the conversations that changed."""
    changed: list[int] = []
    phones = list(results)
    for start in range(0, len(phones), 5000):
        rows = await session.execute(
            select(Conversation.id, Conversation.phone).where(Conversation.phone.in_(phones[start : start + 5000]))
        )
        for conversation_id, phone in rows.all():
            await session.execute(update(Conversation).where(Conversation.id == conversation_id).values(last_hlr=results[phone]))
            changed.append(int(conversation_id))
    return changed


async def set_card_digest(session: AsyncSession, conversation_id: int, digest: str) -> None:
    """Remember what the card shows now (see :func:`bot.bridge.threads.card_digest`)."""
    await session.execute(_SET_CARD_DIGEST, {"conversation_id": conversation_id, "digest": digest})


_SET_CARD_DIGEST = (
    update(Conversation)
    .where(Conversation.id == bindparam("conversation_id"))
    .values(card_hash=bindparam("digest"))
    .execution_options(synchronize_session=False)  # nothing reads the loaded row's digest after
)


async def conversation_ids_of_phones(session: AsyncSession, phones: Collection[str]) -> set[int]:
    """The conversations of many numbers (asked in chunks: databases cap IN lists)."""
    numbers = list(set(phones))
    found: set[int] = set()
    for start in range(0, len(numbers), 5000):
        rows = await session.scalars(select(Conversation.id).where(Conversation.phone.in_(numbers[start : start + 5000])))
        found.update(int(cid) for cid in rows.all())
    return found


async def conversation_ids_of_phone(session: AsyncSession, phone: str) -> list[int]:
    """The conversations of one number (one per bridge channel)."""
    return [int(cid) for cid in (await session.scalars(select(Conversation.id).where(Conversation.phone == phone))).all()]


@dataclass(frozen=True)
class CardFacts:
    """Everything a conversation's card shows, read in one go."""

    conversation: Conversation
    name: str | None
    opt_out: OptOut | None
    last_in: Message | None
    last_out: Message | None
    count: int


def _card_facts() -> tuple[Select[Any], Select[Any]]:
    """The card's two statements, built once: a card is drawn after every SMS in or out."""

    def latest(direction: str) -> Any:
        mine = (Message.conversation_id == Conversation.id) & (Message.direction == direction) & (Message.kind != "note")
        return select(Message.id).where(mine).order_by(Message.id.desc()).limit(1).scalar_subquery()

    count = select(func.count()).select_from(Message).where(Message.conversation_id == Conversation.id, Message.kind != "note")
    facts = (
        select(Conversation, Contact.name, OptOut, count.scalar_subquery(), latest("in"), latest("out"), ForgottenOptOut)
        .outerjoin(Contact, Contact.phone == Conversation.phone)
        .outerjoin(OptOut, OptOut.phone == Conversation.phone)
        .outerjoin(ForgottenOptOut, ForgottenOptOut.phone_hash == bindparam("phone_hash"))
        .where(Conversation.id == bindparam("conversation_id"))
        .execution_options(populate_existing=True)
    )
    return facts, select(Message).where(Message.id.in_(bindparam("ids", expanding=True)))


_CARD_FACTS, _MESSAGES = _card_facts()


async def card_facts(session: AsyncSession, conversation_id: int, *, phone: str | None = None) -> CardFacts | None:
    """Two statements: the conversation with its name, opt-out and counts, then its last
    messages. ``phone`` (the conversation's, when the caller has it) lets the first also
    find the opt-out of a number erased while opted out; without it that takes a third."""
    hashed = await number_hash(session, phone) if phone is not None else None
    row = (await session.execute(_CARD_FACTS, {"conversation_id": conversation_id, "phone_hash": hashed or ""})).one_or_none()
    if row is None:
        return None
    conversation, name, opt_out, messages, last_in, last_out, forgotten = row
    if opt_out is None:
        if hashed is None or phone != conversation.phone:  # the erased number's record not looked for yet
            opt_out = await opt_out_of(session, conversation.phone)
        elif forgotten is not None:
            opt_out = forgotten_opt_out(conversation.phone, forgotten)
    wanted = [i for i in (last_in, last_out) if i is not None]
    found = {m.id: m for m in (await session.scalars(_MESSAGES, {"ids": wanted})).all()} if wanted else {}
    return CardFacts(
        conversation=conversation,
        name=name,
        opt_out=opt_out,
        last_in=found.get(last_in) if last_in is not None else None,
        last_out=found.get(last_out) if last_out is not None else None,
        count=int(messages or 0),
    )


async def last_broadcast_to(session: AsyncSession, phone: str, *, since: datetime) -> Message | None:
    """The latest ``/sms`` to many numbers that went to ``phone`` since ``since``.

    A ``/sms`` to one number lives in the number's thread already; one to many has no
    thread, so an answer to it needs this to be understood.
    """
    return await session.scalar(
        select(Message)
        .where(
            Message.phone == phone,
            Message.direction == "out",
            Message.dispatch_id.is_not(None),
            Message.conversation_id.is_(None),
            Message.created_at >= since,
            Message.status.notin_((MessageStatus.FAILED, MessageStatus.HELD, MessageStatus.CANCELLED)),
        )
        .order_by(Message.id.desc())
        .limit(1)
    )


async def set_opt_out_hint(session: AsyncSession, phone: str, at: datetime | None) -> None:
    """Mark (or, with None, unmark) every conversation of ``phone`` as maybe wanting to opt out."""
    await session.execute(
        update(Conversation).where(Conversation.phone == phone).values(opt_out_hint_at=at).execution_options(synchronize_session=False)
    )
