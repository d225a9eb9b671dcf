"""A campaign's CSV read in a job: every line stored (in chunks, each its own commit),
each text rendered and counted, duplicates and opt-outs marked, then the dry run posted.

Nothing is sent here. A read that stopped half-way starts again from a clean slate.
``{date}`` is the day the text goes, not the day the file was read: the stored text holds
a mark in its place (:func:`with_date` fills it), and its parts are counted with today's
date, which is as long as any other. A dry run nobody acts on expires after
``DRY_RUN_DAYS`` (a redraw is queued for then), and retention then clears its lines.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from typing import Any

from bot.bridge.campaign_progress import DRY_RUN_DAYS, queue_campaign_render
from bot.bridge.context import Context
from bot.i18n import _, use_language
from bot.slack import files
from bot.sms.campaign_csv import CampaignFileError, CsvLine, open_campaign_csv
from bot.sms.templates import TemplateSyntaxError, first_name, key_of, render, variables
from bot.sms.text import SMS_MAX_CHARS, analyze, transliterate
from storage import campaigns, contacts
from storage.campaign_models import DATE_MARK, Campaign, CampaignState, RowKind
from storage.models import Job, utcnow
from storage.sending import opted_out_among
from storage.templates import template_by_name

__all__ = ["read_campaign", "MAX_FILE_BYTES", "CHUNK", "DATE_MARK", "with_date"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024  # 100,000 lines with a few columns are about 5 MB
CHUNK = 1000  # lines stored per insert (and per commit)


def with_date(text: str, day: str) -> str:
    """A stored text with ``{date}`` filled in (``day`` as ``dd.mm.yyyy``)."""
    return text.replace(DATE_MARK, day)


class _Refused(Exception):
    """The campaign cannot go on; the message is the sentence its message shows."""


async def _template(ctx: Context, campaign: Campaign) -> str:
    """The campaign's text: a saved template's (``#name``) or the one written in the mention."""
    if campaign.template_name is None:
        text = campaign.template
    else:
        async with ctx.sessions() as session:
            found = await template_by_name(session, campaign.template_name)
        if found is None:
            raise _Refused(
                _("there is no template #{name}; see /sms templates, or write the text after the word campaign.").format(
                    name=campaign.template_name
                )
            )
        text = found.text
    if not text.strip():
        raise _Refused(_("the text is missing: write it after the word campaign, e.g. “campaign Dzień dobry {first_name}”."))
    try:
        variables(text)
    except TemplateSyntaxError as exc:
        raise _Refused(_("the text has a brace that opens no variable ({where}); write variables as {{name}}.").format(where=exc)) from None
    return text


async def _download(ctx: Context, ref: dict[str, Any], name: str) -> bytes:
    content = None
    if ref.get("url"):  # Slack gives no address for a file the app may not read
        try:
            content = await files.download(ctx.http, str(ref["url"]), token=ctx.config.bot_token, limit=MAX_FILE_BYTES)
        except files.FileRefused:
            content = None
    if content is None:
        raise _Refused(_("Slack did not hand over {name} (the app needs the files:read scope).").format(name=name))
    if len(content) > MAX_FILE_BYTES:
        raise _Refused(_("{name} is larger than 20 MB; split it into smaller files.").format(name=name))
    if b"\x00" in content[:4096]:
        raise _Refused(_("{name} is not a text file; share a CSV with a phone column and the columns the text uses.").format(name=name))
    return content


async def read_campaign(ctx: Context, job: Job) -> None:
    campaign_id = int((job.payload or {})["campaign"])
    async with ctx.sessions() as session:
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None or campaign.state != CampaignState.READING:
            return
        await campaigns.delete_rows(session, campaign.id)  # an earlier run stopped half-way
        await session.commit()
    try:
        with use_language(ctx.config.language):
            template = await _template(ctx, campaign)
            content = await _download(ctx, (job.payload or {}).get("file") or {}, campaign.file_name)
            try:
                found = open_campaign_csv(content, name=campaign.file_name)
            except CampaignFileError as exc:
                raise _Refused(str(exc)) from None
            agent = await ctx.directory.profile_name(campaign.user_id) or await ctx.directory.user_name(campaign.user_id)
            today = utcnow().astimezone(ctx.config.zone).strftime("%d.%m.%Y")
            builtins = {"agent": agent, "date": DATE_MARK}
            await _store_lines(
                ctx, campaign.id, template, found.lines, builtins, needs_names=_needs_names(template, found.columns), today=today
            )
    except _Refused as exc:
        async with ctx.sessions() as session, session.begin():
            if await campaigns.move_state(
                session, campaign.id, from_states=(CampaignState.READING,), to=CampaignState.FAILED, detail=str(exc)
            ):
                await queue_campaign_render(session, campaign.id)
        ctx.wake_workers()
        return
    async with ctx.sessions() as session, session.begin():
        await campaigns.mark_duplicates(session, campaign.id)
        figures = {"columns": list(found.columns), "phone_column": found.phone_column, "date": today}
        if await campaigns.move_state(session, campaign.id, from_states=(CampaignState.READING,), to=CampaignState.READY, figures=figures):
            await queue_campaign_render(session, campaign.id)
            await queue_campaign_render(session, campaign.id, at=utcnow() + timedelta(days=DRY_RUN_DAYS, minutes=1))  # expires it
    ctx.wake_workers()
    logger.info("campaign %s: file read", campaign.id)


def _needs_names(template: str, columns: tuple[str, ...]) -> bool:
    """Whether ``{name}``/``{first_name}`` must come from the contacts (the file has neither)."""
    used = {key_of(v) for v in variables(template)}
    given = {key_of(c) for c in columns}
    return bool(used & {"name", "first_name"}) and not given & {"name", "first_name"}


async def _store_lines(
    ctx: Context, campaign_id: int, template: str, lines: Any, builtins: dict[str, str | None], *, needs_names: bool, today: str
) -> None:
    chunk: list[CsvLine] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK:
            await _store_chunk(ctx, campaign_id, template, chunk, builtins, needs_names=needs_names, today=today)
            chunk = []
    if chunk:
        await _store_chunk(ctx, campaign_id, template, chunk, builtins, needs_names=needs_names, today=today)


async def _store_chunk(
    ctx: Context, campaign_id: int, template: str, chunk: list[CsvLine], builtins: dict[str, str | None], *, needs_names: bool, today: str
) -> None:
    phones = [line.phone for line in chunk if line.phone is not None]
    async with ctx.sessions() as session, session.begin():
        opted = await opted_out_among(session, phones)
        names = await contacts.names_of(session, phones) if needs_names and phones else {}
        rows = [_row(campaign_id, template, line, builtins, names, opted, today) for line in chunk]
        await campaigns.add_rows(session, rows)


@functools.lru_cache(maxsize=256)
def _key(column: str) -> str:
    """A column's variable name, worked out once per file rather than once per line."""
    return key_of(column)


def _row(
    campaign_id: int, template: str, line: CsvLine, builtins: dict[str, str | None], names: dict[str, str], opted: set[str], today: str
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "campaign_id": campaign_id,
        "line": line.line,
        "phone": line.phone,
        "cells": line.cells,
        "text": "",
        "parts": 0,
        "plain_parts": 0,
        "unicode": False,
        "problem": line.problem,
        "message_id": None,
    }
    if line.phone is None:
        return {**row, "kind": RowKind.INVALID}
    values: dict[str, str | None] = {**builtins}
    contact = names.get(line.phone)
    if contact:
        values |= {"name": contact, "first_name": first_name(contact)}
    values |= {_key(column): value for column, value in line.cells.items()}
    if values.get("name") and not values.get("first_name"):
        values["first_name"] = first_name(values["name"])
    rendered = render(template, values)
    stored = rendered.text.strip()
    text = with_date(stored, today)  # counted as it would go today: any day's date is as long
    plain = transliterate(text)  # what the phone reads without utf-8: once per line, it is the slow part
    unicode = plain != text
    row |= {"text": stored, "parts": analyze(text, utf8=unicode).parts, "plain_parts": analyze(plain).parts, "unicode": unicode}
    if rendered.missing:
        return {**row, "kind": RowKind.MISSING, "problem": ", ".join(rendered.missing)}
    if not text:
        return {**row, "kind": RowKind.INVALID, "problem": _("the text is empty for this line")}
    if len(text) > SMS_MAX_CHARS:
        problem = _("the text is {n} characters, over the limit of {limit}").format(n=len(text), limit=SMS_MAX_CHARS)
        return {**row, "kind": RowKind.INVALID, "problem": problem}
    if line.phone in opted:
        return {**row, "kind": RowKind.OPTED_OUT, "problem": _("it opted out")}
    return {**row, "kind": RowKind.VALID}
