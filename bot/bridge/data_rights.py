"""The data subject's rights: ``/sms export <number>`` (GDPR art. 15) and ``/sms forget
<number>`` (art. 17), for the people in ``ADMIN_USERS``.

Erasure happens in one transaction when the admin confirms (:func:`forget_number`):
every row of the number goes, an opt-out stays behind as the number's salted hash,
and the act is recorded. The bot's own posts in the number's threads are deleted
afterwards by a job that holds only the threads' addresses, never the number; the
people's own messages there, which no bot may delete, are listed for the admin.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.bridge.admins import not_admin, private_channel
from bot.bridge.context import Context
from bot.bridge.posts import post_once, upload_once
from bot.bridge.spreadsheets import csv_file
from bot.i18n import _, ngettext, use_language
from bot.slack.errors import slack_error
from bot.slack.responses import post_response
from bot.sms.numbers import PhoneE164, display
from storage import privacy
from storage.audit import record
from storage.kinds import AuditKind, JobKind, Lane
from storage.models import Job, utcnow
from storage.queue import enqueue

__all__ = ["erase_slack_posts", "export_number", "forget_number", "start_number_export"]

logger = logging.getLogger(__name__)

GONE = frozenset({"message_not_found", "thread_not_found", "channel_not_found"})


async def start_number_export(ctx: Context, *, user_id: str, phone: PhoneE164) -> str:
    refusal = not_admin(ctx.config, user_id)
    if refusal:
        return refusal
    async with ctx.sessions() as session, session.begin():
        enqueue(session, kind=JobKind.EXPORT_NUMBER, lane=Lane.SLACK, payload={"user": user_id, "phone": phone})
        record(session, AuditKind.NUMBER_EXPORTED, actor=user_id, phone=phone)
    ctx.wake_workers()
    said = _("Gathering everything held about {number}: a JSON and a CSV file will be in a direct message from the app in a moment.")
    return said.format(number=display(phone))


def _messages_csv(held: dict[str, Any]) -> bytes:
    header = [_("time"), _("direction"), _("kind"), _("text"), _("status"), _("SMS parts"), _("who wrote it")]
    directions = {"in": _("from the phone"), "out": _("to the phone")}
    return csv_file(
        header,
        (
            [
                m["created_at"],
                directions.get(m["direction"], m["direction"]),
                m["kind"],
                m["text"],
                m["status"],
                m["parts"],
                m["author"] or "",
            ]
            for m in held["messages"]
        ),
    )


async def export_number(ctx: Context, job: Job) -> None:
    payload = job.payload or {}
    phone = str(payload["phone"])
    async with ctx.sessions() as session:
        held = await privacy.held_about(session, phone)
    count = ngettext("{n} message", "{n} messages", len(held["messages"])).format(n=len(held["messages"]))
    text = _(
        "Everything held about {number}, for <@{user}>: {count}, its contact, opt-out, number checks, survey answers and audit records."
    ).format(number=display(phone), user=payload.get("user"), count=count)
    channel = await private_channel(ctx, str(payload.get("user") or ""))  # the admin alone: it is all of one person's data
    ts = await post_once(ctx.slack, key=f"export:{job.id}", job=job, channel=channel, text=text)
    digits = phone.lstrip("+")
    content = json.dumps(held, ensure_ascii=False, indent=2).encode("utf-8")
    await upload_once(
        ctx.slack, job=job, channel=channel, thread_ts=ts, content=content, filename=f"{digits}.json", title=_("All data (JSON)")
    )
    await upload_once(
        ctx.slack,
        job=job,
        channel=channel,
        thread_ts=ts,
        content=_messages_csv(held),
        filename=f"{digits}-messages.csv",
        title=_("Messages (CSV)"),
    )


async def forget_number(ctx: Context, *, user_id: str, phone: PhoneE164, response_url: str | None) -> str:
    """Erase the number now (the admin has confirmed); the private answer."""
    refusal = not_admin(ctx.config, user_id)
    if refusal:
        return refusal
    async with ctx.sessions() as session, session.begin():
        erased = await privacy.erase_number(session, phone, by=user_id, at=utcnow())
        threads = [{"channel": t.channel_id, "ts": t.thread_ts} for t in erased.threads]
        payload = {"user": user_id, "threads": threads, "files": erased.slack_files, "response_url": response_url, "removed": erased.counts}
        enqueue(session, kind=JobKind.ERASE_SLACK_POSTS, lane=Lane.SLACK, payload=payload)
    ctx.wake_workers()
    logger.info("a number was erased by %s (%s rows)", user_id, sum(erased.counts.values()))
    kept = " " + _("It had opted out: only a salted hash of it is kept, so it is still never texted.") if erased.kept_opt_out else ""
    rows = sum(erased.counts.values())
    said = ngettext("{number} is erased: {n} row removed.", "{number} is erased: {n} rows removed.", rows).format(
        number=display(phone), n=rows
    )
    return said + kept + " " + _("The bot's posts in its thread are being deleted; you will hear when that is done.")


async def erase_slack_posts(ctx: Context, job: Job) -> None:
    """Delete the bot's posts in the erased number's threads; list the people's own."""
    payload = job.payload or {}
    deleted, left = 0, []
    for thread in payload.get("threads") or []:
        channel, parent = str(thread["channel"]), str(thread["ts"])
        try:
            replies = await _thread(ctx, channel, parent)
        except SlackApiError as exc:
            if slack_error(exc) in GONE:
                continue
            raise
        for message in sorted(replies, key=lambda m: m.get("ts") != parent):  # replies first, the parent (the card) last
            if str(message.get("ts")) == parent:
                continue
            if await _delete(ctx, channel, message):
                deleted += 1
            else:
                left.append(await _link(ctx, channel, str(message["ts"])))
        parent_message = next((m for m in replies if str(m.get("ts")) == parent), {"ts": parent, "bot_id": "?"})
        if await _delete(ctx, channel, parent_message):
            deleted += 1
    for file_id in payload.get("files") or []:  # an uploaded image outlives the post that showed it
        try:
            await ctx.slack.files_delete(file=str(file_id))
        except SlackApiError as exc:
            if slack_error(exc) not in ("file_not_found", "file_deleted"):
                raise
    person = await ctx.timezones.user_language(str(payload.get("user") or ""))  # the admin's own Slack language
    with use_language(person or ctx.config.language):
        text = _finished(deleted, left)
    if payload.get("response_url"):
        await post_response(ctx.http, str(payload["response_url"]), {"text": text})
    else:
        enqueue_tell = {"channel": ctx.config.channel_id, "user": payload.get("user"), "text": text}
        async with ctx.sessions() as session, session.begin():
            enqueue(session, kind=JobKind.TELL, lane=Lane.SLACK, payload=enqueue_tell)


async def _thread(ctx: Context, channel: str, ts: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await ctx.slack.conversations_replies(channel=channel, ts=ts, limit=200, cursor=cursor)
        found += list(page.get("messages") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return found


async def _delete(ctx: Context, channel: str, message: dict[str, Any]) -> bool:
    """True when the message is gone (deleted now, or already); False when it is a person's."""
    if not message.get("bot_id"):
        return False
    try:
        await ctx.slack.chat_delete(channel=channel, ts=str(message["ts"]))
    except SlackApiError as exc:
        error = slack_error(exc)
        if error in GONE:
            return True
        if error == "cant_delete_message":
            return False
        raise
    return True


async def _link(ctx: Context, channel: str, ts: str) -> str:
    try:
        answer = await ctx.slack.chat_getPermalink(channel=channel, message_ts=ts)
        return f"<{answer['permalink']}>"
    except SlackApiError:
        return f"{channel}/{ts}"


def _finished(deleted: int, left: list[str]) -> str:
    text = ngettext(
        "Erasure finished: {n} post of the bot was deleted from Slack.",
        "Erasure finished: {n} posts of the bot were deleted from Slack.",
        deleted,
    ).format(n=deleted)
    if left:
        text += " " + ngettext(
            "One message written by a person stays in the thread, and only its author or a workspace admin can delete it: {links}",
            "{n} messages written by people stay in the thread, and only their authors or a workspace admin can delete them: {links}",
            len(left),
        ).format(n=len(left), links=" ".join(left))
    return text
