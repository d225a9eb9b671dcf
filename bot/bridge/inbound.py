"""Phone → Slack: persist an inbound SMS/MMS first, post it to the number's thread later.

mProfi re-sends a webhook up to three times when it saw no 2xx, and the standard
format carries no id. A message whose fingerprint (sender, recipient, text, images;
for 3CX also its id and time) matches one received within the repeat window is
stored and shown as a repeat — never dropped, never a new conversation.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.bridge.models import InboundSms, Received
from bot.slack import blocks
from bot.sms.numbers import PhoneE164
from storage import repository
from storage.models import Attachment, Conversation, Job, Message, utcnow
from storage.queue import enqueue

if TYPE_CHECKING:
    from bot.bridge.core import Bridge

__all__ = ["receive_sms", "post_inbound", "fingerprint"]

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
        received = Received(message_id=message.id, conversation_id=conversation.id, repeat_of=message.repeat_of_id)
    bridge.wake_workers()
    logger.info(
        "inbound %s stored as message %s%s",
        sms.via,
        received.message_id,
        f" (repeat of {received.repeat_of})" if received.repeat_of else "",
    )
    return received


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
        if conversation.thread_ts is None:
            parent = await bridge.slack.chat_postMessage(
                channel=conversation.channel_id, **blocks.thread_parent(phone, conversation.contact_name, note_prefix=bridge.config.note_prefix)
            )
            conversation.thread_ts = str(parent["ts"])
            await session.commit()
        if message.slack_ts is None:
            if message.repeat_of_id is not None:
                first = await session.get(Message, message.repeat_of_id)
                payload = blocks.inbound_repeat(phone, message.text, first.created_at if first else None)
            else:
                attachments = await repository.attachments_of(session, message.id)
                payload = blocks.inbound_message(phone, message.text, message.status_at, images=len(attachments))
            posted = await bridge.slack.chat_postMessage(
                channel=conversation.channel_id, thread_ts=conversation.thread_ts, **payload
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
                thread_ts=conversation.thread_ts,
                file=attachment.content,
                filename=attachment.filename,
                title=attachment.filename,
            )
            attachment.slack_file_id = str(upload["file"]["id"])
            await session.commit()
