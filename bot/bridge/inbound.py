"""Phone → Slack: persist an inbound SMS/MMS first, post it to the number's thread later.

mProfi re-sends a webhook up to three times when it saw no 2xx, and the standard
format carries no id. A message whose fingerprint (sender, recipient, text, images;
for 3CX also its id and time) matches one received within the repeat window is
stored and shown as a repeat — never dropped, never a new conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import consent
from bot.bridge.card import queue_cards
from bot.bridge.context import Context
from bot.bridge.follow_ups import follow_ups
from bot.bridge.models import InboundSms, Received
from bot.bridge.posts import post_once, upload_once
from bot.bridge.routing import place_conversations
from bot.bridge.threads import ensure_thread
from bot.i18n import _
from bot.slack import blocks
from bot.sms.numbers import PhoneE164, display, is_phone
from storage import conversations as conversation_store
from storage import inbound as inbound_store
from storage import repository
from storage.kinds import JobKind, Lane, MessageStatus
from storage.models import Conversation, Job, Message, utcnow
from storage.queue import enqueue

__all__ = ["receive_many", "IngestBatcher", "post_inbound", "fingerprint"]

logger = logging.getLogger(__name__)

# Failures of the database itself, not of one message in the batch.
_UNREACHABLE = (OperationalError, InterfaceError, OSError, asyncio.TimeoutError)
CAUGHT_UP = ("getincoming", "mobileapp")  # how messages fetched by the catch-up arrive
# A webhook can come up to ~30 minutes after the message (mProfi's retries).
MATCH_BEFORE = timedelta(minutes=5)
MATCH_AFTER = timedelta(minutes=40)


def fingerprint(sms: InboundSms) -> str:
    digest = hashlib.sha256()
    parts = [sms.sender, sms.recipient.lstrip("+"), sms.text]
    if sms.via == "3cx":
        parts += [sms.external_id or "", sms.received_at.isoformat() if sms.received_at else ""]
    for image in sms.images:
        parts.append(hashlib.sha256(image.content).hexdigest())
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


async def _already_stored(
    session: AsyncSession, everything: list[InboundSms], conversations: dict[str, tuple[int, datetime | None]], now: datetime
) -> dict[int, int]:
    """Messages of the batch that the other inbound path already stored: index → message id.

    The webhook and the ``getincoming/`` catch-up can bring the same SMS. A listed
    message is already here under its listing key, or as a webhook's message with the
    same number and text from about that time (which then takes the key). A webhook
    message is already here as a caught-up one no webhook has claimed yet (it claims
    it; a further delivery of the webhook is then an ordinary repeat). Only numbers
    the catch-up stored something for lately are looked at, so the webhook's usual
    path costs no extra query.
    """
    found: dict[int, int] = {}
    listed = [i for i, sms in enumerate(everything) if sms.via in CAUGHT_UP]
    for index in listed:
        sms = everything[index]
        assert sms.external_id is not None
        when = sms.received_at or now
        twin = await repository.inbound_to_match(
            session, key=sms.external_id, phone=sms.sender, text=sms.text, earliest=when - MATCH_BEFORE, latest=when + MATCH_AFTER
        )
        if twin is not None:
            found[index] = twin
    recently = now - MATCH_AFTER
    webhooks = [
        i
        for i, sms in enumerate(everything)
        if sms.via not in CAUGHT_UP and (conversations[sms.sender][1] or recently) > recently and not sms.images
    ]  # an MMS is stored either way: getincoming/ lists only the text, not the images
    if webhooks:
        unclaimed = await repository.unclaimed_caught_up(
            session, conversation_ids={conversations[everything[i].sender][0] for i in webhooks}, since=recently
        )
        for index in webhooks:
            sms = everything[index]
            candidates = unclaimed.get((sms.sender, sms.text))
            if candidates:
                found[index] = candidates.pop(0)
                await inbound_store.set_received_via(session, found[index], sms.via)
    return found


async def receive_many(ctx: Context, everything: list[InboundSms]) -> list[Received]:
    """Store inbound messages in one transaction (the group commit behind the webhook).

    Each message gets its conversation (created once, even under races), its repeat
    check, its attachments and its ``post_inbound`` job. The caller acknowledges the
    webhooks only after this returns. The conversations' rows are locked first (on
    PostgreSQL; SQLite lets one writer in at a time anyway), so a webhook and the
    catch-up storing the same SMS at the same instant see each other.
    """
    now = utcnow()
    since = now - timedelta(seconds=ctx.config.repeat_window_seconds)
    async with ctx.sessions() as session, session.begin():
        found = await place_conversations(ctx.config, session, everything, now=now)
        known = await _already_stored(session, everything, found, now)
        conversations = {phone: conversation_id for phone, (conversation_id, _) in found.items()}
        fresh = [i for i in range(len(everything)) if i not in known]
        batch = [everything[i] for i in fresh]
        keys = [fingerprint(sms) for sms in batch]
        earlier = await repository.first_inbound_by_fingerprint(session, fingerprints=set(keys), since=since) if batch else {}
        # Core statements, one round trip each for the whole batch: the ORM's per-object
        # bookkeeping would cost more than SQLite itself.
        rows = [
            {
                "conversation_id": conversations[sms.sender],
                "direction": "in",
                "kind": "mms" if sms.images else "sms",
                "phone": sms.sender,
                "text": sms.text,
                "status": MessageStatus.RECEIVED,
                "fingerprint": key,
                "repeat_of_id": earlier.get(key),
                "received_via": sms.via,
                "origin_key": sms.external_id if sms.via in ("getincoming", "mobileapp") else None,
                "status_at": sms.received_at or now,
                "parts": 1,
                "polls": 0,
                "created_at": now,
            }
            for sms, key in zip(batch, keys, strict=True)
        ]
        ids = await inbound_store.add_messages(session, rows)
        repeat_of: list[int | None] = [earlier.get(key) for key in keys]
        first_in_batch: dict[str, int] = {}
        for index, key in enumerate(keys):
            first = first_in_batch.setdefault(key, ids[index])
            if repeat_of[index] is None and first != ids[index]:
                repeat_of[index] = first  # the same text twice in one batch
                await inbound_store.set_repeat_of(session, ids[index], first)
        attachments = [
            {
                "message_id": ids[index],
                "filename": image.filename,
                "content_type": image.content_type,
                "size": len(image.content),
                "content": image.content,
            }
            for index, sms in enumerate(batch)
            for image in sms.images
        ]
        await inbound_store.add_attachments(session, attachments)
        touched = {conversations[sms.sender] for sms in batch}
        # What moves a conversation on: not a re-sent repeat, not STOP/START, not a sender name.
        moves = [
            again is None and is_phone(sms.sender) and not consent.is_keyword(ctx, sms.text)
            for sms, again in zip(batch, repeat_of, strict=True)
        ]
        moving = {conversations[sms.sender] for sms, move in zip(batch, moves, strict=True) if move}
        before = await conversation_store.after_inbound(session, moving, at=now) if moving else {}
        announced = await follow_ups(ctx, session, batch, moves, conversations, before)
        jobs = [
            {
                "kind": JobKind.POST_INBOUND,
                "lane": Lane.SLACK,
                "conversation_id": conversations[sms.sender],
                "message_id": ids[index],
                "payload": follow_up,
                "run_after": now,
                "attempts": 0,
                "created_at": now,
            }
            for (index, sms), follow_up in zip(enumerate(batch), announced, strict=True)
        ]
        await inbound_store.add_jobs(session, jobs)
        caught_up = {conversations[sms.sender] for sms in batch if sms.via in CAUGHT_UP}
        # Those that moved on have their last_inbound_at already (after_inbound).
        unmoved = set(conversations.values()) - set(before)
        await inbound_store.touch_conversations(session, unmoved, inbound_at=now, caught_up=caught_up)
        for index, sms in enumerate(batch):
            if sms.left_out:  # said in the thread, right under the MMS it belonged to
                parts = "; ".join(sms.left_out)
                text = _("Part of this MMS from {phone} was left out — {parts}.").format(phone=display(sms.sender), parts=parts)
                enqueue(session, kind=JobKind.NOTICE, lane=Lane.SLACK, conversation_id=conversations[sms.sender], payload={"text": text})
            notice = await consent.on_inbound(ctx, session, sms, message_id=ids[index], now=now)
            if notice:
                enqueue(session, kind=JobKind.NOTICE, lane=Lane.SLACK, conversation_id=conversations[sms.sender], payload={"text": notice})
        # Lines already busy need no worker woken: whoever runs their work goes on to this.
        free_lines = await queue_cards(session, touched)
        stored = {
            fresh[index]: Received(message_id=ids[index], conversation_id=conversations[sms.sender], repeat_of=repeat_of[index])
            for index, sms in enumerate(batch)
        }
        for index, message_id in known.items():
            stored[index] = Received(
                message_id=message_id, conversation_id=conversations[everything[index].sender], repeat_of=None, new=False
            )
        received = [stored[index] for index in range(len(everything))]
    if batch and free_lines:
        ctx.wake_workers()
    for sms, item in zip(everything, received, strict=True):
        logger.info(
            "inbound %s %s message %s%s",
            sms.via,
            "stored as" if item.new else "was already here as",
            item.message_id,
            f" (repeat of {item.repeat_of})" if item.repeat_of else "",
        )
    return received


class IngestBatcher:
    """Webhooks that arrive together are stored together: one commit for many.

    Each webhook waits for the commit that holds its message (persist first,
    acknowledge second); under load one commit serves dozens of webhooks, which is
    what lets SQLite keep up. Alone, a webhook is committed at once.
    """

    def __init__(self, ctx: Context, *, max_batch: int = 200) -> None:
        self._ctx = ctx
        self._max = max_batch
        self._queue: asyncio.Queue[tuple[InboundSms, asyncio.Future[Received]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    async def receive_sms(self, sms: InboundSms) -> Received:
        future: asyncio.Future[Received] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((sms, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="ingest-writer")
        return await future

    async def _write(self) -> None:
        while not self._queue.empty():
            batch = [self._queue.get_nowait()]
            while not self._queue.empty() and len(batch) < self._max:
                batch.append(self._queue.get_nowait())
            try:
                stored = await receive_many(self._ctx, [sms for sms, _ in batch])
            except Exception as exc:  # noqa: BLE001 - any failure here is reported, never raised
                if len(batch) == 1 or isinstance(exc, _UNREACHABLE):
                    self._fail(batch, exc)  # the database is down: no one by one will do better
                    continue
                # One message the database refuses must not fail the others that shared
                # its commit: store them one by one, so only that one gets its error.
                logger.warning("a group commit of %s webhooks failed; storing them one by one", len(batch))
                for sms, future in batch:
                    try:
                        [item] = await receive_many(self._ctx, [sms])
                    except Exception as exc:  # noqa: BLE001 - any failure here is reported, never raised
                        self._fail([(sms, future)], exc)
                    else:
                        if not future.done():
                            future.set_result(item)
            else:
                for (_, future), item in zip(batch, stored, strict=True):
                    if not future.done():
                        future.set_result(item)

    @staticmethod
    def _fail(batch: list[tuple[InboundSms, asyncio.Future[Received]]], exc: BaseException | None) -> None:
        for _sms, future in batch:
            if not future.done():
                future.set_exception(exc or RuntimeError("not stored"))

    async def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


async def post_inbound(ctx: Context, job: Job) -> None:
    """Post one stored inbound message into its thread, opening the thread if needed.

    Each step commits what Slack answered, so a crash or a retry resumes where it
    stopped instead of posting twice.
    """
    async with ctx.sessions() as session:
        message = await session.get(Message, job.message_id)
        assert message is not None and message.conversation_id is not None
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        first = await session.get(Message, message.repeat_of_id) if message.repeat_of_id is not None else None
        attachments = await repository.attachments_of(session, message.id) if message.kind == "mms" else []  # only an MMS has files
        await session.commit()  # reads done: no transaction stays open across Slack calls
        phone = PhoneE164(conversation.phone)
        thread_ts = await ensure_thread(ctx, session, conversation, job)
        if message.slack_ts is None:
            if message.repeat_of_id is not None:
                # mProfi re-sends only a webhook it got no 2xx for: after one we answered, with the first
                # (same commit) or anything getincoming/ listed (each its own id), it is the customer's own.
                unanswered = first is not None and first.answered_at is None and first.created_at != message.created_at
                resent = first is None or (unanswered and {first.received_via, message.received_via}.isdisjoint(CAUGHT_UP))
                at, images, first_at = message.status_at, len(attachments), first.created_at if first else None
                payload = blocks.inbound_repeat(
                    phone, message.text, first_at, zone=ctx.config.zone, resent=resent, received_at=at, images=images
                )
            else:
                payload = blocks.inbound_message(phone, message.text, message.status_at, zone=ctx.config.zone, images=len(attachments))
            follow = job.payload or {}
            if follow.get("follow_up"):  # shown in the channel too, its owner mentioned
                payload = blocks.follow_up(payload, reason=str(follow["follow_up"]), owner=follow.get("owner"))
            ts = await post_once(
                ctx.slack, key=f"message:{message.id}", job=job, channel=conversation.channel_id, thread_ts=thread_ts, **payload
            )
            message.slack_channel = conversation.channel_id
            message.slack_ts = ts
            message.status = MessageStatus.POSTED
            await session.commit()
        for attachment in attachments:
            if attachment.slack_file_id:
                continue
            attachment.slack_file_id = await upload_once(
                ctx.slack,
                job=job,
                channel=conversation.channel_id,
                thread_ts=thread_ts,
                content=attachment.content,
                filename=f"mms{attachment.id}-{attachment.filename}",  # unique: how a retry finds it
                title=attachment.filename,
            )
            await session.commit()
