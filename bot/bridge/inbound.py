"""Phone → Slack: persist an inbound SMS/MMS first, post it to the number's thread later.

mProfi re-sends a webhook up to three times when it saw no 2xx, and the standard
format carries no id. A message whose fingerprint (sender, recipient, text, images;
for 3CX also its id and time) matches one received within the repeat window is
stored and shown as a repeat — never dropped, never a new conversation.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.models import InboundSms, Received
from bot.bridge.threads import ensure_thread
from bot.slack import blocks
from bot.sms.numbers import PhoneE164, display
from storage import repository
from storage.models import Attachment, Conversation, Job, Message, OptOut, utcnow
from storage.queue import enqueue

if TYPE_CHECKING:
    from bot.bridge.core import Bridge

__all__ = ["receive_sms", "post_inbound", "fingerprint", "opt_word"]

logger = logging.getLogger(__name__)


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


async def receive_sms(bridge: Bridge, sms: InboundSms) -> Received:
    key = fingerprint(sms)
    now = utcnow()
    async with bridge.sessions() as session, session.begin():
        conversation = await repository.get_or_create_conversation(
            session, channel_id=bridge.config.channel_id, phone=sms.sender
        )
        earlier = await repository.recent_inbound_with_fingerprint(
            session, fingerprint=key, since=now - timedelta(seconds=bridge.config.repeat_window_seconds)
        )
        message = Message(
            conversation_id=conversation.id,
            direction="in",
            kind="mms" if sms.images else "sms",
            phone=sms.sender,
            text=sms.text,
            status="received",
            fingerprint=key,
            repeat_of_id=earlier.id if earlier else None,
            received_via=sms.via,
            status_at=sms.received_at or now,
            parts=1,
            polls=0,
            created_at=now,
        )
        session.add(message)
        await session.flush()
        for image in sms.images:
            session.add(
                Attachment(
                    message_id=message.id,
                    filename=image.filename,
                    content_type=image.content_type,
                    size=len(image.content),
                    content=image.content,
                )
            )
        conversation.last_inbound_at = now
        enqueue(session, kind="post_inbound", lane="slack", conversation_id=conversation.id, message_id=message.id)
        notice = await _opt_out_or_in(bridge, session, sms, now)
        if notice:
            enqueue(session, kind="notice", lane="slack", conversation_id=conversation.id, payload={"text": notice})
        received = Received(message_id=message.id, conversation_id=conversation.id, repeat_of=message.repeat_of_id)
    bridge.wake_workers()
    logger.info(
        "inbound %s stored as message %s%s",
        sms.via,
        received.message_id,
        f" (repeat of {received.repeat_of})" if received.repeat_of else "",
    )
    return received


def opt_word(text: str) -> str:
    """``Stop.`` / `` stop sms! `` → ``STOP`` / ``STOP SMS``: what the message says, if it is a keyword."""
    return " ".join(re.sub(r"[^\w\s]", " ", text).upper().split())


async def _opt_out_or_in(bridge: Bridge, session: AsyncSession, sms: InboundSms, now: datetime) -> str | None:
    """Record an opt-out (STOP) or opt-in (START); the sentence to show in the thread."""
    word = opt_word(sms.text)
    if word in bridge.config.opt_out_words:
        existing = await session.get(OptOut, sms.sender)
        if existing is None:
            session.add(OptOut(phone=sms.sender, word=word, at=now))
        start = sorted(bridge.config.opt_in_words)[0] if bridge.config.opt_in_words else None
        back = f" until it texts {start}" if start else ""
        return f"{display(sms.sender)} texted {word}: no SMS will be sent to this number{back}."
    if word in bridge.config.opt_in_words:
        existing = await session.get(OptOut, sms.sender)
        if existing is not None:
            await session.delete(existing)
            return f"{display(sms.sender)} texted {word}: this number can be texted again."
    return None


async def post_inbound(bridge: Bridge, job: Job) -> None:
    """Post one stored inbound message into its thread, opening the thread if needed.

    Each step commits what Slack answered, so a crash or a retry resumes where it
    stopped instead of posting twice.
    """
    async with bridge.sessions() as session:
        message = await session.get(Message, job.message_id)
        assert message is not None and message.conversation_id is not None
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        phone = PhoneE164(conversation.phone)
        thread_ts = await ensure_thread(bridge, session, conversation)
        if message.slack_ts is None:
            if message.repeat_of_id is not None:
                first = await session.get(Message, message.repeat_of_id)
                payload = blocks.inbound_repeat(phone, message.text, first.created_at if first else None)
            else:
                attachments = await repository.attachments_of(session, message.id)
                payload = blocks.inbound_message(phone, message.text, message.status_at, images=len(attachments))
            posted = await bridge.slack.chat_postMessage(
                channel=conversation.channel_id, thread_ts=thread_ts, **payload
            )
            message.slack_channel = conversation.channel_id
            message.slack_ts = str(posted["ts"])
            message.status = "posted"
            await session.commit()
        for attachment in await repository.attachments_of(session, message.id):
            if attachment.slack_file_id:
                continue
            upload = await bridge.slack.files_upload_v2(
                channel=conversation.channel_id,
                thread_ts=thread_ts,
                file=attachment.content,
                filename=attachment.filename,
                title=attachment.filename,
            )
            attachment.slack_file_id = str(upload["file"]["id"])
            await session.commit()
