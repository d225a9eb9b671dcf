"""A number's personal data: the salted hash that outlives it, everything held about it
(GDPR art. 15), its erasure (art. 17), and the removal of old texts (retention).

The salt is made once per installation and kept in ``install_keys``; a hash is an HMAC
of the E.164 number with it, so the same number always gives the same hash here and
a different one in any other installation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.campaign_models import DATE_MARK, Campaign, CampaignRow
from storage.kinds import AuditKind, MessageStatus
from storage.models import (
    Attachment,
    Contact,
    Conversation,
    Dispatch,
    HlrCheck,
    Job,
    Message,
    OptOut,
    StatusEvent,
    SurveyNotification,
)
from storage.privacy_models import AuditEntry, ForgottenOptOut, InstallKey

__all__ = ["Erased", "erase_number", "held_about", "number_hash", "remove_old_texts", "SlackThread"]

SALT_KEY = "number_salt"
_MAY_STILL_GO = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.HELD, MessageStatus.UNCERTAIN)
ERASED = "[erased]"


# Made once per installation and never changed: read once per database (engine), not per card.
_SALTS: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()


async def _salt(session: AsyncSession) -> bytes:
    engine = session.get_bind()
    known = _SALTS.get(engine)
    if known is not None:
        return known
    found = await session.get(InstallKey, SALT_KEY)
    if found is not None and not session.info.get(SALT_KEY):  # a salt this session made counts once committed
        _SALTS[engine] = bytes.fromhex(found.value)
        return _SALTS[engine]
    if found is None:
        session.info[SALT_KEY] = True
        try:
            async with session.begin_nested():
                session.add(InstallKey(name=SALT_KEY, value=secrets.token_hex(32)))
        except IntegrityError:  # another replica made it first: use theirs
            pass
        found = await session.get(InstallKey, SALT_KEY, populate_existing=True)
        assert found is not None
    return bytes.fromhex(found.value)


async def number_hash(session: AsyncSession, phone: str) -> str:
    """The installation's HMAC-SHA256 of an E.164 number, in hex."""
    return hmac.new(await _salt(session), phone.encode(), hashlib.sha256).hexdigest()


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode()
        out[column.key] = value
    return out


def _forms(phone: str) -> tuple[str, str]:
    """The number as mProfi writes it (no plus) and the digits people type (national part)."""
    digits = phone.lstrip("+")
    national = digits[2:] if digits.startswith("48") else digits
    return digits, national


async def held_about(session: AsyncSession, phone: str) -> dict[str, Any]:
    """Every row that holds ``phone`` (GDPR art. 15), as plain JSON-ready values."""
    mprofi, national = _forms(phone)
    conversations = (await session.scalars(select(Conversation).where(Conversation.phone == phone).order_by(Conversation.id))).all()
    messages = (await session.scalars(select(Message).where(Message.phone == phone).order_by(Message.created_at, Message.id))).all()
    ids = [m.id for m in messages]
    events = (
        (await session.scalars(select(StatusEvent).where(StatusEvent.message_id.in_(ids)).order_by(StatusEvent.id))).all() if ids else []
    )
    files = (await session.scalars(select(Attachment).where(Attachment.message_id.in_(ids)).order_by(Attachment.id))).all() if ids else []
    contact = await session.get(Contact, phone)
    opt_out = await session.get(OptOut, phone)
    surveys = (await session.scalars(select(SurveyNotification).where(SurveyNotification.msisdn == mprofi))).all()
    audit = (await session.scalars(select(AuditEntry).where(AuditEntry.phone == phone).order_by(AuditEntry.at, AuditEntry.id))).all()
    checks = (await session.scalars(select(HlrCheck).order_by(HlrCheck.id))).all()
    pattern = _pattern(phone)
    mentioned: list[dict[str, Any]] = []  # the number inside other records: refusals, skipped lines, survey reports
    for dispatch in (await session.scalars(select(Dispatch).where(Dispatch.refused.is_not(None)).order_by(Dispatch.id))).all():
        entries = [entry for entry in dispatch.refused or [] if pattern.search(json.dumps(entry, ensure_ascii=False))]
        if entries:
            mentioned.append(
                {"sms_command": dispatch.id, "by": dispatch.user_id, "at": dispatch.created_at.isoformat(), "refused": entries}
            )
    for check in checks:
        skipped = [entry for entry in check.skipped or [] if pattern.search(json.dumps(entry, ensure_ascii=False))]
        if skipped:
            mentioned.append({"number_check": check.id, "by": check.user_id, "at": check.created_at.isoformat(), "skipped": skipped})
    for note in (await session.scalars(select(SurveyNotification).where(SurveyNotification.report.is_not(None)))).all():
        answers = [entry for entry in note.report or [] if pattern.search(json.dumps(entry, ensure_ascii=False))]
        if answers:
            mentioned.append({"survey_report": note.survey_id, "at": note.received_at.isoformat(), "answers": answers})
    return {
        "phone": phone,
        "contact": _row(contact) if contact else None,
        "opt_out": _row(opt_out) if opt_out else None,
        "conversations": [_row(c) for c in conversations],
        "messages": [_row(m) for m in messages],
        "status_events": [_row(e) for e in events],
        "attachments": [_row(a) for a in files],
        "number_checks": [
            {"id": c.id, "by": c.user_id, "channel_id": c.channel_id, "at": c.created_at.isoformat()}
            for c in checks
            if mprofi in (c.numbers or [])
        ],
        "survey_notifications": [_row(s) for s in surveys],
        "audit_log": [_row(a) for a in audit],
        "campaign_lines": [
            {**_row(line), "text": (line.text or "").replace(DATE_MARK, "{date}")}
            for line in (await session.scalars(select(CampaignRow).where(CampaignRow.phone == phone).order_by(CampaignRow.id))).all()
        ],
        "mentioned_in": mentioned,
        "national_number": national,
    }


@dataclass
class SlackThread:
    channel_id: str
    thread_ts: str


@dataclass
class Erased:
    """What an erasure removed, and the Slack threads whose posts are still to delete."""

    counts: dict[str, int] = field(default_factory=dict)
    threads: list[SlackThread] = field(default_factory=list)
    slack_files: list[str] = field(default_factory=list)  # the MMS images the bot uploaded: deleting a post keeps its file
    kept_opt_out: bool = False


def _scrub(value: Any, pattern: re.Pattern[str]) -> tuple[Any, bool]:
    """``value`` without any list entry, and any string, that holds the number."""
    if isinstance(value, str):
        return (pattern.sub(ERASED, value), True) if pattern.search(value) else (value, False)
    if isinstance(value, list):
        kept = [item for item in value if not pattern.search(json.dumps(item, ensure_ascii=False))]
        return kept, len(kept) != len(value)
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[key], was = _scrub(item, pattern)
            changed = changed or was
        return out, changed
    return value, False


def _pattern(phone: str) -> re.Pattern[str]:
    """The number in any of its written forms, spaces and dashes allowed between digits."""
    _, national = _forms(phone)
    spaced = r"[\s\-.]?".join(re.escape(d) for d in national)
    return re.compile(rf"(?<!\d){spaced}(?!\d)|(?<!\d)(?:\+|00)?48[\s\-.]?{spaced}(?!\d)")


async def erase_number(session: AsyncSession, phone: str, *, by: str, at: datetime) -> Erased:
    """Remove ``phone`` from every table (GDPR art. 17). An opt-out survives as the
    number's salted hash, and then the audit log keeps its records under that hash (so
    the opt-out's history stays whole); otherwise they keep no number at all. Their
    texts go either way. The act is recorded. The caller commits."""
    erased = Erased()
    pattern = _pattern(phone)
    digest = await number_hash(session, phone)
    conversations = (await session.scalars(select(Conversation).where(Conversation.phone == phone))).all()
    erased.threads = [SlackThread(c.channel_id, c.thread_ts) for c in conversations if c.thread_ts]
    conversation_ids = [c.id for c in conversations]
    message_ids = list((await session.scalars(select(Message.id).where(Message.phone == phone))).all())
    dispatch_ids = set(
        (await session.scalars(select(Message.dispatch_id).where(Message.phone == phone, Message.dispatch_id.is_not(None)))).all()
    )
    if message_ids:
        uploaded = select(Attachment.slack_file_id).where(Attachment.message_id.in_(message_ids), Attachment.slack_file_id.is_not(None))
        erased.slack_files = [str(f) for f in (await session.scalars(uploaded)).all()]
    opt_out = await session.get(OptOut, phone)
    kept_hash = opt_out is not None or await session.get(ForgottenOptOut, digest) is not None
    if opt_out is not None:
        erased.kept_opt_out = True
        if await session.get(ForgottenOptOut, digest) is None:
            session.add(ForgottenOptOut(phone_hash=digest, word=opt_out.word, at=opt_out.at))
    pseudonym = "#" + digest if kept_hash else None
    jobs = or_(Job.message_id.in_(message_ids), Job.conversation_id.in_(conversation_ids)) if message_ids or conversation_ids else None
    steps: list[tuple[str, Any]] = [
        ("jobs", delete(Job).where(jobs) if jobs is not None else None),
        # A campaign's lines of this number (its columns, its text) go; they also point at its messages.
        ("campaign_rows", delete(CampaignRow).where(CampaignRow.phone == phone)),
        ("status_events", delete(StatusEvent).where(StatusEvent.message_id.in_(message_ids)) if message_ids else None),
        ("attachments", delete(Attachment).where(Attachment.message_id.in_(message_ids)) if message_ids else None),
        ("messages", update(Message).where(Message.repeat_of_id.in_(message_ids)).values(repeat_of_id=None) if message_ids else None),
        ("messages", delete(Message).where(Message.phone == phone)),
        ("conversations", delete(Conversation).where(Conversation.phone == phone)),
        ("contacts", delete(Contact).where(Contact.phone == phone)),
        ("opt_outs", delete(OptOut).where(OptOut.phone == phone)),
        ("survey_notifications", delete(SurveyNotification).where(SurveyNotification.msisdn == _forms(phone)[0])),
    ]
    for name, statement in steps:
        if statement is None:
            continue
        result = await session.execute(statement.execution_options(synchronize_session=False))
        if statement.is_delete:
            erased.counts[name] = erased.counts.get(name, 0) + int(result.rowcount or 0)  # type: ignore[attr-defined]  # a CursorResult
    await _erase_sms_commands(session, dispatch_ids)
    await _scrub_json_rows(session, pattern)
    await _scrub_texts(session, pattern, _forms(phone)[1])
    erased.counts["audit_log"] = int(
        (
            await session.execute(
                update(AuditEntry)
                .where(AuditEntry.phone == phone)
                .values(phone=pseudonym, text=None)
                .execution_options(synchronize_session=False)
            )
        ).rowcount  # type: ignore[attr-defined]  # a CursorResult
        or 0
    )
    session.add(
        AuditEntry(
            at=at,
            kind=str(AuditKind.NUMBER_FORGOTTEN),
            actor=by,
            phone=pseudonym,
            detail=json.dumps({"removed": erased.counts, "opt_out_kept_as_hash": erased.kept_opt_out}, sort_keys=True),
        )
    )
    return erased


async def _erase_sms_commands(session: AsyncSession, dispatch_ids: set[int | None]) -> None:
    """A ``/sms`` whose only recipients were this number: its text and answer address go too."""
    for dispatch_id in dispatch_ids:
        left = await session.scalar(select(Message.id).where(Message.dispatch_id == dispatch_id).limit(1))
        if left is None:
            await session.execute(
                update(Dispatch)
                .where(Dispatch.id == dispatch_id)
                .values(text=ERASED, response_url=None)
                .execution_options(synchronize_session=False)
            )


async def _scrub_texts(session: AsyncSession, pattern: re.Pattern[str], national: str) -> None:
    """The number out of free-text columns that may quote it: audit details (an export's
    filters, a reason, mProfi's error), job errors, number-check details."""
    for model, column in ((AuditEntry, AuditEntry.detail), (Job, Job.last_error), (HlrCheck, HlrCheck.detail)):
        rows = (await session.scalars(select(model).where(column.like(f"%{national[:3]}%")))).all()
        for row in rows:
            value = getattr(row, column.key)
            if value and pattern.search(value):
                setattr(row, column.key, pattern.sub(ERASED, value))


async def _scrub_json_rows(session: AsyncSession, pattern: re.Pattern[str]) -> None:
    """The number out of the places that keep it inside JSON or raw text: other jobs'
    payloads (a ``/survey start`` to many numbers, say: the others stay), number checks,
    ``/sms`` refusals, survey reports."""
    for job in (await session.scalars(select(Job).where(Job.payload.is_not(None)))).all():
        if pattern.search(json.dumps(job.payload, ensure_ascii=False)):
            job.payload, _ = _scrub(dict(job.payload or {}), pattern)
    for check in (await session.scalars(select(HlrCheck))).all():
        check.numbers, _ = _scrub(list(check.numbers or []), pattern)
        if check.skipped:
            check.skipped, _ = _scrub(list(check.skipped), pattern)
    for dispatch in (await session.scalars(select(Dispatch).where(Dispatch.refused.is_not(None)))).all():
        dispatch.refused, _ = _scrub(list(dispatch.refused or []), pattern)
    for note in (await session.scalars(select(SurveyNotification))).all():
        note.body, _ = _scrub(note.body, pattern)
        if note.report:
            note.report, _ = _scrub(list(note.report), pattern)
        if note.answer:
            note.answer, _ = _scrub(note.answer, pattern)


_CAMPAIGN_OVER = ("sent", "cancelled", "failed")  # a CampaignState whose lines will not be sent any more


async def remove_old_texts(session: AsyncSession, *, before: datetime, marker: str, at: datetime) -> dict[str, int]:
    """Replace texts and attachments older than ``before`` with ``marker`` (retention).
    Idempotent: rows already replaced are not counted again. The caller commits."""

    async def run(statement: Any) -> int:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE's or DELETE's result is a CursorResult

    old_messages = select(Message.id).where(Message.created_at < before)
    counts = {
        # Not a message that may still go out (or be sent again): the marker would reach the phone.
        "messages": await run(
            update(Message)
            .where(Message.created_at < before, Message.text != marker, Message.status.notin_(_MAY_STILL_GO))
            .values(text=marker, typed_text=None)
        ),
        "attachments": await run(
            update(Attachment)
            .where(Attachment.message_id.in_(old_messages), Attachment.filename != marker)
            .values(content=b"", size=0, filename=marker)
        ),
        "sms_commands": await run(
            update(Dispatch)
            .where(Dispatch.created_at < before, Dispatch.text != marker, Dispatch.state.in_(("done", "cancelled")))
            .values(text=marker)
        ),
        "audit_texts": await run(
            update(AuditEntry).where(AuditEntry.at < before, AuditEntry.text.is_not(None), AuditEntry.text != marker).values(text=marker)
        ),
        "survey_answers": await run(
            update(SurveyNotification)
            .where(SurveyNotification.received_at < before, SurveyNotification.body != marker)
            .values(body=marker, answer=None)
        ),
        "finished_jobs": await run(delete(Job).where(Job.done_at.is_not(None), Job.done_at < before)),
        # A campaign's lines: their texts and the file's columns, once the campaign is over.
        "campaign_lines": await run(
            update(CampaignRow)
            .where(
                CampaignRow.campaign_id.in_(select(Campaign.id).where(Campaign.created_at < before, Campaign.state.in_(_CAMPAIGN_OVER))),
                CampaignRow.text != marker,
            )
            .values(text=marker, cells=None)
        ),
    }
    if any(counts.values()):
        session.add(
            AuditEntry(at=at, kind=str(AuditKind.RETENTION), detail=json.dumps({"before": before.isoformat(), **counts}, sort_keys=True))
        )
    return counts
