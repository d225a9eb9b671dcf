"""Contacts: a name for a number, imported from a CSV, listed, exported, and used to send.

An import is read in a job (never before Slack's answer), stored in one transaction,
and answered with a report in the file's thread; every card of a renamed number is
redrawn. Sending by name resolves only whole names: "Anna" alone, when several
contacts are called Anna, answers with the candidates instead of guessing.
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.bridge.card import queue_cards
from bot.bridge.context import Context
from bot.bridge.models import Recipient, RetryLater
from bot.bridge.posts import post_once, upload_once
from bot.i18n import _, figure, pgettext
from bot.slack import blocks, files
from bot.slack.blocks.contacts import EXPORT_REFUSED, contacts_report
from bot.slack.errors import PLACE_REFUSED, slack_error
from bot.slack.responses import post_response
from bot.sms.contact_lists import decode_csv, read_contacts
from bot.sms.numbers import PhoneE164
from storage import contacts, repository
from storage import conversations as conversation_store
from storage.audit import record
from storage.contacts import search_key
from storage.kinds import AuditKind, JobKind, Lane
from storage.models import Job
from storage.queue import enqueue

__all__ = [
    "start_contacts_import",
    "import_contacts",
    "list_contacts",
    "start_contacts_export",
    "export_contacts",
    "find_recipient",
    "contact_names",
]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024  # 20,000 contacts are far smaller


async def start_contacts_import(
    ctx: Context, *, trigger_id: str, user_id: str, channel_id: str, thread_ts: str, file: dict[str, Any]
) -> None:
    """A CSV shared with a mention of the app and the word contacts: read it in a job."""
    payload = {"trigger": trigger_id, "user": user_id, "channel": channel_id, "thread_ts": thread_ts, "file": files.file_ref(file)}
    async with ctx.sessions() as session, session.begin():
        if not await repository.remember_slack_event(session, f"contacts:{trigger_id}"[:64]):
            return  # Slack delivered the mention again: one import, one report
        enqueue(session, kind=JobKind.IMPORT_CONTACTS, lane=Lane.SLACK, payload=payload)
    ctx.wake_workers()


async def import_contacts(ctx: Context, job: Job) -> None:
    """Read the shared CSV and store it; the report is its own job, queued with the contacts.

    A run that stored the contacts and then failed to post would, run again, count
    everything as unchanged: so the report's figures are kept with the import itself.
    """
    payload = job.payload or {}
    if "report" in payload:
        where = {"channel": payload["channel"], "thread_ts": payload["thread_ts"]}
        await post_once(ctx.slack, key=f"job:{job.id}", job=job, **where, **payload["report"])
        return
    ref, user = payload["file"], str(payload["user"])
    name = str(ref.get("name") or _("file"))
    where = {"channel": payload["channel"], "thread_ts": payload["thread_ts"]}
    content = None
    if ref.get("url"):  # Slack gives no address for a file the app may not read
        try:
            content = await files.download(ctx.http, str(ref["url"]), token=ctx.config.bot_token, limit=MAX_FILE_BYTES)
        except files.FileRefused:
            content = None
    problem = None
    if content is None:
        problem = _("Slack did not hand over {name} (the app needs the files:read scope).").format(name=name)
    elif len(content) >= MAX_FILE_BYTES:
        problem = _("{name} is larger than 5 MB; split it into smaller files (at most 20,000 contacts each).").format(name=name)
    elif b"\x00" in content[:4096]:
        problem = _("{name} is not a text file; share a CSV with the columns phone, name and (optionally) tags.").format(name=name)
    if problem is not None or content is None:
        await post_once(ctx.slack, key=f"job:{job.id}", job=job, **where, **blocks.notice(problem or _("Nothing to import.")))
        return
    found = read_contacts(decode_csv(content))
    try:
        async with ctx.sessions() as session, session.begin():
            if not await repository.remember_slack_event(session, f"contacts-import:{job.id}"):
                return  # an earlier run stored them and queued the report
            rows = [(row.phone, row.name, row.tags) for row in found.rows]
            added, updated, unchanged = await contacts.upsert_many(session, rows, by=user)
            await queue_cards(session, await conversation_store.conversation_ids_of_phones(session, [*added, *updated]))
            report = contacts_report(
                file_name=name,
                added=len(added),
                updated=len(updated),
                unchanged=unchanged,
                refused=list(found.refused),
                too_many=found.too_many,
                user_id=user,
            )
            enqueue(session, kind=JobKind.IMPORT_CONTACTS, lane=Lane.SLACK, payload={**where, "report": report})
    except IntegrityError:  # a number added by someone else at the same moment: read it again
        raise RetryLater("a contact was added meanwhile", 1.0) from None  # untranslated: a retry reason for the jobs table
    ctx.wake_workers()
    logger.info("contacts import from job %s: %s added, %s updated, %s refused", job.id, len(added), len(updated), len(found.refused))


async def list_contacts(ctx: Context, query: str, *, limit: int = 20) -> tuple[list[tuple[str, str, list[str]]], int]:
    """Contacts matching ``query`` (name part or digits; all when empty): (phone, name, tags) and the total."""
    async with ctx.sessions() as session:
        found, total = await contacts.search(session, query, limit=limit)
        return [(c.phone, c.name, list(c.tags or [])) for c in found], total


async def start_contacts_export(ctx: Context, *, user_id: str, channel_id: str, response_url: str | None = None) -> None:
    """``/sms contacts export``: the CSV is made and shared in a job (``response_url``: where
    to say so if the app may not share files in that channel)."""
    payload = {"user": user_id, "channel": channel_id, "response_url": response_url}
    async with ctx.sessions() as session, session.begin():
        enqueue(session, kind=JobKind.EXPORT_CONTACTS, lane=Lane.SLACK, payload=payload)
        record(session, AuditKind.CONTACTS_EXPORTED, actor=user_id, channel_id=channel_id)
    ctx.wake_workers()


async def export_contacts(ctx: Context, job: Job) -> None:
    """Every contact as ``phone;name;tags`` (UTF-8 with a BOM, so Excel reads Polish letters), shared in the channel."""
    payload = job.payload or {}
    async with ctx.sessions() as session:
        everyone = await contacts.all_contacts(session)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")  # what Polish Excel splits on (the import reads both)
    # The header in the bridge's language; the import knows it in both (bot/sms/contact_lists.py).
    writer.writerow(
        [pgettext("contacts CSV header", "phone"), pgettext("contacts CSV header", "name"), pgettext("contacts CSV header", "tags")]
    )
    for contact in everyone:
        writer.writerow([contact.phone, _inert(contact.name), _inert(" ".join(contact.tags or []))])
    try:
        await upload_once(
            ctx.slack,
            job=job,
            channel=str(payload["channel"]),
            thread_ts=None,
            content=("\ufeff" + out.getvalue()).encode("utf-8"),
            filename=f"contacts-{job.id}.csv",
            title=_("Contacts ({count}), exported for {user}").format(count=figure(len(everyone)), user=payload.get("user")),
        )
    except SlackApiError as exc:
        # Typed in a channel the app is not a member of: Slack takes no file there, for good.
        if slack_error(exc) not in PLACE_REFUSED or not payload.get("response_url"):
            raise
        await post_response(ctx.http, str(payload["response_url"]), {"text": _(EXPORT_REFUSED)})


def _inert(cell: str) -> str:
    """A name or tag as text a spreadsheet will not run: one starting like a formula gets a ``'``.

    Names come from anyone who imports a file or types in the card's form; ``=HYPERLINK(…)``
    must stay words when a colleague opens the export.
    """
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


async def find_recipient(ctx: Context, names: list[tuple[str, int]]) -> Recipient | None:
    """The contact a /sms starts with: the longest of ``names`` (leading words, each with
    where it ends) that is one contact's whole name; the candidates when that is not
    enough to know who; None when no contact is meant.

    A whole name that another contact's name goes on from, with the next typed word
    looking like its continuation ("Jan Kowalsky …" with contacts Jan and Jan Kowalski),
    is not enough: the typo would text Jan.
    """
    runs = sorted(((search_key(name), end) for name, end in names), key=lambda run: len(run[0]))
    async with ctx.sessions() as session:
        exact = await contacts.named(session, {key for key, _ in runs})
        for index in range(len(runs) - 1, -1, -1):
            key, end = runs[index]
            found = exact.get(key) or []
            if len(found) > 1:
                return Recipient(phone=None, name=None, candidates=tuple((c.name, c.phone) for c in found[:10]))
            if len(found) == 1:
                longer = runs[index + 1][0] if index + 1 < len(runs) else ""
                following = longer[len(key) :].split()[:1]
                if following:
                    alike = [
                        c
                        for c in await contacts.starting_with(session, key)
                        if c.search_name[len(key) :].split()[:1][0][:3] == following[0][:3]
                    ]
                    if alike:
                        return Recipient(phone=None, name=None, candidates=tuple((c.name, c.phone) for c in [found[0], *alike][:10]))
                return Recipient(phone=PhoneE164(found[0].phone), name=found[0].name, end=end)
        for key, _end in reversed(runs):  # no whole name: the names the typed words begin, longest first
            starting = await contacts.starting_with(session, key, whole_words=False) if key else []
            if starting:
                return Recipient(phone=None, name=None, candidates=tuple((c.name, c.phone) for c in starting))
    return None


async def contact_names(ctx: Context, phones: list[str]) -> dict[str, str]:
    """Names of those of ``phones`` that are contacts."""
    async with ctx.sessions() as session:
        return await contacts.names_of(session, phones)
