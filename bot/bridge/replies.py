"""Slack → phone: a person's reply in a conversation thread goes out as SMS (or MMS).

Only human replies inside a bridged thread are sent. Each outgoing message is keyed by
its Slack origin (channel + ts) under a unique constraint, so Slack's retries, a second
delivery under another event id, or two replicas racing all produce one row and one
SMS. A send that may or may not have reached mProfi is never retried by itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot.bridge import formatting, policy, quiet_hours, undo
from bot.bridge.card import queue_card
from bot.bridge.context import Context
from bot.bridge.notices import tell_privately
from bot.bridge.signature import sign
from bot.bridge.statuses import queue_send
from bot.i18n import N_, _, use_language
from bot.slack.blocks.markup import escape
from bot.slack.files import file_problem, file_ref
from bot.sms.numbers import PhoneE164, display, is_phone
from bot.sms.text import TextTooLong, analyze, check_mms_text, check_sms_text, wire_encoding
from storage import conversations, repository
from storage.kinds import JobKind, Lane, MessageStatus
from storage.models import Conversation, Message, utcnow
from storage.queue import HELD_UNTIL, enqueue

__all__ = ["handle_slack_message", "resend"]

logger = logging.getLogger(__name__)

_SENDABLE_SUBTYPES = (None, "file_share", "thread_broadcast")

# What editing (True) or deleting (False) a reply already handed over, or still in its undo window, tells its author.
_ALREADY_SENT = {
    True: N_(
        "Editing this reply does not change the {kind} to {phone}: it was already handed to "
        "mProfi and a text message cannot be changed or recalled. Write a new reply to correct it."
    ),
    False: N_(
        "Deleting this reply does not change the {kind} to {phone}: it was already handed to "
        "mProfi and a text message cannot be changed or recalled. Write a new reply to correct it."
    ),
}
_STILL_IN_UNDO_WINDOW = {
    True: N_("Editing this reply does not change the {kind} to {phone}: press Cancel under it to stop it, then write it again."),
    False: N_("Deleting this reply does not change the {kind} to {phone}: press Cancel under it to stop it, then write it again."),
}


async def handle_slack_message(ctx: Context, event: dict[str, Any], *, event_id: str = "", bot_user_id: str | None = None) -> None:
    """Decide what a Slack ``message`` event means for the phone, and store it.

    Runs before Slack gets its answer: when this raises, Slack delivers the event
    again, and the unique keys make the second delivery a no-op if the first stored.
    """
    subtype = event.get("subtype")
    if subtype == "message_changed":
        await _edited(ctx, event, event_id)
        return
    if subtype == "message_deleted":
        await _deleted(ctx, event, event_id)
        return
    if subtype not in _SENDABLE_SUBTYPES:
        logger.debug("ignoring message subtype %s", subtype)
        return
    if event.get("bot_id") or not event.get("user"):
        logger.debug("ignoring a message from a bot")  # other bots and integrations never text
        return
    channel, ts, thread_ts = event.get("channel"), event.get("ts"), event.get("thread_ts")
    if not channel or not ts or not thread_ts or thread_ts == ts:
        logger.debug("ignoring a message outside a thread")
        return
    async with ctx.sessions() as session:
        conversation = await repository.conversation_by_thread(session, channel_id=channel, thread_ts=thread_ts)
    if conversation is None:
        logger.debug("ignoring a reply in a thread that is not a conversation")
        return
    pieces = formatting.pieces_of_event(event)
    files = event.get("files") or []
    if formatting.is_note(pieces, ctx.config.note_prefixes):
        plain = formatting.render(pieces).typed  # no names needed for a note
        await _store(ctx, conversation, event, kind="note", text=plain, status=MessageStatus.NOTE)
        return
    if bot_user_id and formatting.mentions(pieces, bot_user_id):
        if not files:  # a file with the mention is a /hlr check (the app_mention listener's)
            await _tell_addressed_to_bot(ctx, conversation, event, bot_user_id)
        return
    forced = formatting.forced_sms(pieces)  # ``sms:`` sends it whoever it mentions
    if forced is None and (team := formatting.addressees(pieces, bot_user_id)):
        await _keep_as_note(ctx, conversation, event, pieces, team)
        return
    said = await formatting.for_phone(pieces if forced is None else forced, ctx.directory, zone=ZoneInfo(ctx.config.default_timezone))
    text, typed = said.sent, (said.typed if said.differs else None)
    kind = "mms" if files else "sms"
    if not files and not text:
        return  # nothing to send, nothing to complain about
    signed = await sign(ctx, text, str(event.get("user")))  # counted and checked with the rest
    if signed != text:
        text, typed = signed, said.typed
    with use_language(ctx.config.language):  # the reason shows on the reply's line, in the channel's thread
        problem = _not_textable(conversation.phone) or policy.may_send(ctx.config, user_id=str(event.get("user")), channel_id=channel)
        problem = problem or await policy.opted_out(ctx, conversation.phone)
        problem = problem or _check_outgoing(text, files)
        problem = problem or await policy.over_limit(ctx, user_id=str(event.get("user")), channel_id=channel, adding=1)
    if problem:
        # Kept, and shown as not sent with the reason, so nobody thinks it went out.
        await _store(ctx, conversation, event, kind=kind, text=text, typed=typed, status=MessageStatus.FAILED, detail=problem)
        return
    quiet = quiet_hours.inside(ctx.config, utcnow())
    status = MessageStatus.HELD if quiet is not None else MessageStatus.QUEUED
    message_id = await _store(ctx, conversation, event, kind=kind, text=text, typed=typed, status=status, files=files)
    if quiet is not None and message_id is not None:
        await quiet_hours.ask_about_reply(ctx, conversation, event, message_id=message_id, kind=kind, quiet=quiet)


async def _tell_addressed_to_bot(ctx: Context, conversation: Conversation, event: dict[str, Any], bot_user_id: str) -> None:
    """A reply that mentions the app is not for the customer: say so to its author, once."""
    name = await ctx.directory.user_name(bot_user_id)
    to = display(PhoneE164(conversation.phone)) if is_phone(conversation.phone) else escape(conversation.phone)
    if name:
        text = _("This reply mentions @{app}, so it was not sent to {phone}; write it without the mention to text the customer.")
    else:
        text = _("This reply mentions the app, so it was not sent to {phone}; write it without the mention to text the customer.")
    text = text.format(app=escape(name or ""), phone=to)
    channel, user = str(event["channel"]), str(event["user"])
    once = f"mention:{channel}:{event['ts']}"  # Slack's retries of this message tell nothing more
    await tell_privately(ctx, channel_id=channel, user_id=user, text=text, thread_ts=event.get("thread_ts"), once=once)


async def _keep_as_note(
    ctx: Context, conversation: Conversation, event: dict[str, Any], pieces: list[formatting.Piece], team: list[formatting.Piece]
) -> None:
    """A reply that @mentions a teammate speaks to the team: a note, never sent, and its author told why, once."""
    names = await formatting.look_up(pieces, ctx.directory)
    said = formatting.render(pieces, names, zone=ZoneInfo(ctx.config.default_timezone))
    await _store(ctx, conversation, event, kind="note", text=said.typed, status=MessageStatus.NOTE)
    who = ", ".join(dict.fromkeys(formatting.render([piece], names).typed for piece in team))
    text = _("Kept as a note because it mentions {names}; start with `sms:` to text it to the customer.").format(names=escape(who))
    channel = str(event["channel"])
    once = f"kept-as-note:{channel}:{event['ts']}"
    await tell_privately(ctx, channel_id=channel, user_id=str(event["user"]), text=text, thread_ts=event.get("thread_ts"), once=once)


def _not_textable(sender: str) -> str | None:
    """A thread opened by a sender name (``ORANGE``) or short code (``8080``) has nobody to text back."""
    if is_phone(sender):
        return None
    return _(
        "{sender} is a sender name or short code, not a phone number: mProfi texts only numbers of "
        "9 to 22 digits, so this reply was not sent."
    ).format(sender=sender)


def _check_outgoing(text: str, files: list[dict[str, Any]]) -> str | None:
    """One plain sentence saying why this reply cannot go out, or None (the text as sent is counted)."""
    if not files:
        try:
            check_sms_text(text)
        except TextTooLong as exc:
            return str(exc)
        return None
    problem = file_problem(files)
    if problem:
        return problem
    try:
        check_mms_text(text)
    except TextTooLong as exc:
        return str(exc)
    return None


async def _store(
    ctx: Context,
    conversation: Conversation,
    event: dict[str, Any],
    *,
    kind: str,
    text: str,
    status: str,
    typed: str | None = None,
    detail: str | None = None,
    files: list[dict[str, Any]] | None = None,
) -> int | None:
    """Keep the reply (``text`` as the phone reads it, ``typed`` as Slack showed it when that
    differs); its id, or None when Slack delivered it before."""
    channel, ts = event["channel"], event["ts"]
    encoding = wire_encoding(text) if kind != "note" else None
    info = analyze(text, utf8=encoding == "utf-8")
    delay = ctx.config.send_delay_seconds  # the undo window: Cancel until then
    send_after = utcnow() + timedelta(seconds=delay) if status == MessageStatus.QUEUED and delay > 0 else None
    try:
        async with ctx.sessions() as session, session.begin():
            message = Message(
                conversation_id=conversation.id,
                direction="out",
                kind=kind,
                phone=conversation.phone,
                text=text,
                typed_text=typed,
                encoding=encoding,
                parts=info.parts if kind == "sms" else 1,
                status=status,
                status_detail=detail,
                status_at=utcnow(),
                origin_key=f"slack:{channel}:{ts}",
                slack_channel=channel,
                slack_ts=ts,
                author=event.get("user"),
                send_after=send_after,
                polls=0,
                created_at=utcnow(),
            )
            session.add(message)
            await session.flush()
            if kind == "note":
                enqueue(session, kind=JobKind.REACT_NOTE, lane=Lane.SLACK, conversation_id=conversation.id, message_id=message.id)
            elif status == MessageStatus.HELD:  # QUIET_HOURS: its author chooses when it goes
                file = {"file": file_ref(files[0])} if files else None
                repository.add_status_event(session, message_id=message.id, status=status, source="bridge")
                enqueue(session, kind=JobKind.SEND_REPLY, lane=Lane.MPROFI, message_id=message.id, payload=file, run_after=HELD_UNTIL)
                enqueue(session, kind=JobKind.RENDER_STATUS, lane=Lane.SLACK, conversation_id=conversation.id, message_id=message.id)
            elif status == MessageStatus.QUEUED:
                queue_send(session, message, payload={"file": file_ref(files[0])} if files else None)
                await conversations.after_outbound(session, conversation.id, author=message.author, at=message.created_at)
                await queue_card(session, conversation.id)
            else:  # refused before sending: only its status line, saying why
                repository.add_status_event(session, message_id=message.id, status=status, source="bridge")
                enqueue(session, kind=JobKind.RENDER_STATUS, lane=Lane.SLACK, conversation_id=conversation.id, message_id=message.id)
                await queue_card(session, conversation.id)  # the card shows the last reply, not sent
    except IntegrityError:
        logger.info("Slack message %s:%s was already taken; not sending it again", channel, ts)
        return None
    ctx.wake_workers()
    return message.id


async def _edited(ctx: Context, event: dict[str, Any], event_id: str) -> None:
    new, old = event.get("message") or {}, event.get("previous_message") or {}
    if new.get("bot_id") or not new.get("user") or new.get("text") == old.get("text"):
        return
    await _warn_if_sent(ctx, event, new.get("ts", ""), new.get("user", ""), new.get("thread_ts"), "edit", event_id)


async def _deleted(ctx: Context, event: dict[str, Any], event_id: str) -> None:
    old = event.get("previous_message") or {}
    if old.get("bot_id") or not old.get("user"):
        return
    ts = event.get("deleted_ts") or old.get("ts", "")
    async with ctx.sessions() as session:
        message = await repository.outbound_by_slack_message(session, channel_id=str(event.get("channel") or ""), ts=ts)
    if message is not None and message.status == MessageStatus.QUEUED and message.send_after is not None:
        await undo.cancel_send(ctx, message.id, user_id=str(old["user"]))  # deleting it in its undo window is the undo
        return
    if message is not None and message.status == MessageStatus.HELD:  # held by the quiet hours: deleting it is Cancel
        await quiet_hours.answer(ctx, "reply", message.id, user_id=str(old["user"]), choice=quiet_hours.CANCEL)
        return
    await _warn_if_sent(ctx, event, ts, old["user"], old.get("thread_ts"), "delete", event_id)


async def _warn_if_sent(ctx: Context, event: dict[str, Any], ts: str, user: str, thread_ts: str | None, action: str, event_id: str) -> None:
    """Tell the person, privately, that an SMS already sent cannot be changed."""
    channel = str(event.get("channel") or "")
    async with ctx.sessions() as session, session.begin():
        message = await repository.outbound_by_slack_message(session, channel_id=channel, ts=ts)
        if message is None or message.kind == "note" or message.status in (MessageStatus.FAILED, MessageStatus.CANCELLED):
            return  # nothing went, nothing will
        if event_id and not await repository.remember_slack_event(session, event_id):
            return  # Slack delivered this event before; the person was told then
        kind, editing = ("MMS" if message.kind == "mms" else "SMS"), action == "edit"
        if (message.status == MessageStatus.QUEUED and message.send_after is not None) or message.status == MessageStatus.HELD:
            text = _(_STILL_IN_UNDO_WINDOW[editing])  # not gone yet: it can still be cancelled
        else:
            text = _(_ALREADY_SENT[editing])
        text = text.format(kind=kind, phone=display(message.phone))
        payload = {"channel": channel, "user": user, "thread_ts": thread_ts, "text": text}
        enqueue(session, kind=JobKind.TELL, lane=Lane.SLACK, payload=payload)
    ctx.wake_workers()


async def resend(ctx: Context, message_id: int, user_id: str) -> None:
    """A person chose "Send again" on an uncertain message: one new attempt, once."""
    async with ctx.sessions() as session:
        original = await session.get(Message, message_id)
        conversation = await session.get(Conversation, original.conversation_id) if original and original.conversation_id else None
    if original is None or original.status != MessageStatus.UNCERTAIN or conversation is None:
        return
    # Sending again spends money like any reply: the same rule decides.
    channel = conversation.channel_id
    problem = (
        policy.may_send(ctx.config, user_id=user_id, channel_id=channel)
        or await policy.opted_out(ctx, original.phone)
        or await policy.over_limit(ctx, user_id=user_id, channel_id=channel, adding=1)
    )
    if problem:
        await tell_privately(ctx, channel_id=channel, user_id=user_id, text=problem, thread_ts=conversation.thread_ts)
        return
    quiet = quiet_hours.inside(ctx.config, utcnow())
    try:
        async with ctx.sessions() as session, session.begin():
            again = Message(
                conversation_id=original.conversation_id,
                direction="out",
                kind=original.kind,
                phone=original.phone,
                text=original.text,
                typed_text=original.typed_text,
                encoding=original.encoding,
                parts=original.parts,
                status=MessageStatus.HELD if quiet else MessageStatus.QUEUED,
                status_at=utcnow(),
                origin_key=f"resend:{original.id}",  # a double click makes one resend
                author=user_id,
                polls=0,
                created_at=utcnow(),
            )
            session.add(again)
            await session.flush()
            if quiet:  # QUIET_HOURS: sending again waits for the same choice as any reply
                repository.add_status_event(session, message_id=again.id, status=again.status, source="bridge")
                enqueue(session, kind=JobKind.SEND_REPLY, lane=Lane.MPROFI, message_id=again.id, run_after=HELD_UNTIL)
                enqueue(session, kind=JobKind.RENDER_STATUS, lane=Lane.SLACK, conversation_id=conversation.id, message_id=again.id)
            else:
                queue_send(session, again)
    except IntegrityError:
        return
    ctx.wake_workers()
    if quiet:
        event = {"channel": channel, "user": user_id}
        await quiet_hours.ask_about_reply(ctx, conversation, event, message_id=again.id, kind=again.kind, quiet=quiet)
