"""``/hlr``: number checks, one at once or many through mProfi's bulk report.

A check is stored first (``hlr_checks``) and then moved on by one job at a time:
single → ``hlr/single/`` and post; many → upload (``hlr/bulk/``), then ask
``hlr/download/`` with growing gaps until the report is ready or the time limit
passes, then a summary and the whole report as a CSV file in the thread. A check
never uploads twice: look-ups are paid.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.card import queue_cards
from bot.bridge.context import Context
from bot.bridge.models import HlrRequest, RetryLater
from bot.bridge.posts import post_once, upload_once
from bot.bridge.refusals import mprofi_sentence
from bot.i18n import _, ngettext
from bot.mprofi import MProfiError, ProtocolError, RetryableError, UncertainError
from bot.mprofi.models import HlrReport, HlrResult
from bot.slack import blocks, files
from bot.slack.errors import slack_error
from bot.slack.responses import post_response
from bot.sms.lists import read_number_lines
from bot.sms.numbers import msisdn
from storage import conversations
from storage.kinds import JobKind, Lane
from storage.models import HlrCheck, Job, utcnow
from storage.queue import enqueue

__all__ = ["start_hlr", "run_hlr", "check_numbers_in_file", "run_file_check"]

logger = logging.getLogger(__name__)

_MAX_FILE_BYTES = 10 * 1024 * 1024  # a CSV of numbers is far smaller

_VIA_RESPONSE_URL = "response_url"


async def start_hlr(ctx: Context, request: HlrRequest) -> bool:
    """Store the check and queue it; False when this trigger was stored before."""
    try:
        async with ctx.sessions() as session, session.begin():
            check = HlrCheck(
                trigger_id=request.trigger_id,
                user_id=request.user_id,
                channel_id=request.channel_id,
                thread_ts=request.thread_ts,
                response_url=request.response_url,
                numbers=[msisdn(n) for n in request.numbers],
                skipped=[list(s) for s in request.skipped],
                state="queued",
                polls=0,
                created_at=utcnow(),
            )
            session.add(check)
            await session.flush()
            enqueue(session, kind=JobKind.HLR_RUN, lane=Lane.MPROFI, payload={"check": check.id})
    except IntegrityError:
        return False
    ctx.wake_workers()
    return True


async def check_numbers_in_file(
    ctx: Context, *, trigger_id: str, user_id: str, channel_id: str, thread_ts: str, file: dict[str, Any]
) -> None:
    """A CSV shared with the bot: fetch and read it in a job (never before Slack's answer)."""
    ref = {"url": file.get("url_private_download") or file.get("url_private"), "name": file.get("name")}
    payload = {"trigger": trigger_id, "user": user_id, "channel": channel_id, "thread_ts": thread_ts, "file": ref}
    async with ctx.sessions() as session, session.begin():
        enqueue(session, kind=JobKind.HLR_FROM_FILE, lane=Lane.SLACK, payload=payload)
    ctx.wake_workers()


async def run_file_check(ctx: Context, job: Job) -> None:
    payload = job.payload or {}
    ref = payload["file"]
    name = str(ref.get("name") or _("file"))
    where = {"channel": payload["channel"], "thread_ts": payload["thread_ts"]}
    problem = None
    content = await _download(ctx, str(ref["url"])) if ref.get("url") else None
    if content is None:
        problem = _("Slack did not hand over {name} (the app needs the files:read scope).").format(name=name)
    elif b"\x00" in content[:4096]:
        problem = _("{name} is not a text file; share a CSV with one number per line.").format(name=name)
    numbers = read_number_lines(content.decode("utf-8-sig", "replace")) if content is not None and problem is None else None
    if numbers is not None and not numbers.numbers:
        lines = "; ".join(
            _("line {number}: “{line}” ({why})").format(number=n, line=line, why=why) for n, line, why in numbers.unusable[:5]
        )
        problem = (
            _("{name} holds no numbers that can be checked. {lines}").format(name=name, lines=lines)
            if lines
            else _("{name} holds no numbers that can be checked.").format(name=name)
        )
    if problem or numbers is None:
        await post_once(ctx.slack, key=f"job:{job.id}", job=job, **where, **blocks.notice(problem or _("Nothing to check.")))
        return
    skipped = tuple((_("line {number}: {line}").format(number=n, line=line), why) for n, line, why in numbers.unusable)
    await start_hlr(
        ctx,
        HlrRequest(
            trigger_id=str(payload["trigger"]),
            user_id=str(payload["user"]),
            channel_id=str(payload["channel"]),
            thread_ts=str(payload["thread_ts"]),
            numbers=numbers.numbers,
            skipped=skipped,
        ),
    )


async def _download(ctx: Context, url: str) -> bytes | None:
    """The shared file (at most 10 MB are read), or None when Slack does not hand it over."""
    try:
        return (await files.download(ctx.http, url, token=ctx.config.bot_token, limit=_MAX_FILE_BYTES))[:_MAX_FILE_BYTES]
    except files.FileRefused:
        return None


async def run_hlr(ctx: Context, job: Job) -> None:
    check_id = int((job.payload or {})["check"])
    async with ctx.sessions() as session:
        check = await session.get(HlrCheck, check_id)
        assert check is not None
        if check.state in ("done", "failed"):
            return
        await session.commit()  # no transaction stays open across mProfi or Slack calls
        if len(check.numbers) == 1:
            await _single(ctx, session, check, job)
        else:
            await _bulk(ctx, session, check, job)


async def _post(ctx: Context, check: HlrCheck, payload: dict[str, Any], job: Job) -> None:
    """Post a new message for the check (in its thread when it has one), or update it.

    Where the bot may not post (a private channel it is not in), the command's
    response_url still can, visibly for the channel.
    """
    if check.progress_ts == _VIA_RESPONSE_URL:
        assert check.response_url is not None
        await post_response(ctx.http, check.response_url, {**payload, "response_type": "in_channel", "replace_original": True})
        return
    try:
        if check.progress_ts is None:
            check.progress_ts = await post_once(
                ctx.slack,
                key=f"hlr:{check.id}",
                job=job,
                channel=check.channel_id,
                thread_ts=check.thread_ts,
                refresh=True,
                **payload,
            )
        else:
            await ctx.slack.chat_update(channel=check.channel_id, ts=check.progress_ts, **payload)
    except SlackApiError as exc:
        if slack_error(exc) not in ("not_in_channel", "channel_not_found") or not check.response_url:
            raise
        check.progress_ts = _VIA_RESPONSE_URL
        await post_response(ctx.http, check.response_url, {**payload, "response_type": "in_channel"})


async def _single(ctx: Context, session: Any, check: HlrCheck, job: Job) -> None:
    if check.state == "queued":
        try:
            result = await ctx.mprofi.hlr_single(check.numbers[0])
        except RetryableError as exc:
            raise RetryLater(exc.message, exc.retry_after) from None
        except MProfiError as exc:
            check.state, check.detail = "failed", mprofi_sentence(exc, key="hlr")
        else:
            check.state, check.detail = "checked", json.dumps(_result_json(result))
            await _onto_cards(session, [result])
        await session.commit()  # the answer is kept before Slack hears of it: no second look-up
    if check.state == "failed":
        await _post(ctx, check, blocks.hlr_failed(check.numbers, check.detail or "", user_id=check.user_id), job)
    else:
        checked = _result_from_json(json.loads(check.detail or "{}"))
        await _post(ctx, check, blocks.hlr_single(checked, user_id=check.user_id, zone=ctx.config.zone), job)
        check.state = "done"
    await session.commit()


async def _bulk(ctx: Context, session: Any, check: HlrCheck, job: Job) -> None:
    config = ctx.config
    if check.state == "uploading":
        check.state = "failed"
        check.detail = _(
            "The bridge stopped while uploading the numbers to mProfi, so it is not known whether the check "
            "started; it was not uploaded again to avoid paying twice. Run /hlr again if no report comes."
        )
    if check.state == "queued":
        await _post(ctx, check, blocks.hlr_progress(len(check.numbers), check.skipped or [], user_id=check.user_id), job)
        check.state = "uploading"
        await session.commit()
        try:
            upload = await ctx.mprofi.hlr_bulk(check.numbers)
        except RetryableError as exc:
            check.state = "queued"
            await session.commit()
            raise RetryLater(exc.message, exc.retry_after) from None
        except UncertainError as exc:
            check.state = "failed"
            check.detail = _("{reason} The check may have started; it is not uploaded again.").format(reason=exc.message)
        except MProfiError as exc:
            check.state, check.detail = "failed", mprofi_sentence(exc, key="hlr")
        else:
            check.upload_id, check.state = upload.upload_id, "waiting"
            enqueue(
                session,
                kind=JobKind.HLR_RUN,
                lane=Lane.MPROFI,
                payload={"check": check.id},
                run_after=utcnow() + timedelta(seconds=config.hlr_poll_first_seconds),
            )
        await session.commit()
        if check.state == "waiting":
            return  # the first look at the report is queued: looking now too would start a second line of looks
    if check.state == "waiting":
        assert check.upload_id is not None
        try:
            report = await ctx.mprofi.hlr_download(check.upload_id)
        except RetryableError as exc:
            report = HlrReport(upload_id=check.upload_id, ready=False)
            logger.info("HLR report %s: %s", check.upload_id, exc.message)
        except ProtocolError:
            # Not "not ready yet": waiting would only reach the time limit with the same answer.
            check.state = "failed"
            check.detail = _(
                "mProfi answered something unexpected when asked for the report, so it cannot be shown here; "
                "it can be downloaded in mProfi's panel (upload id {upload_id})."
            ).format(upload_id=check.upload_id)
            report = None
        except MProfiError as exc:
            check.state, check.detail = "failed", mprofi_sentence(exc, key="hlr")
            report = None
        if report is not None and report.ready:
            await _finish(ctx, session, check, report, job)
            check.state = "done"
        elif report is not None:
            check.polls += 1
            waited = (utcnow() - check.created_at).total_seconds()
            if waited > config.hlr_report_timeout_seconds:
                check.state = "failed"
                check.detail = _(
                    "mProfi's report was not ready after {waited}; the check may still finish at mProfi "
                    "(upload id {upload_id}). Try /hlr again later."
                ).format(waited=_duration(waited), upload_id=check.upload_id)
            else:
                gap = min(config.hlr_poll_max_seconds, config.hlr_poll_first_seconds * 2**check.polls)
                await _post(
                    ctx,
                    check,
                    blocks.hlr_progress(
                        len(check.numbers), check.skipped or [], user_id=check.user_id, waited=_duration(waited), polls=check.polls
                    ),
                    job,
                )
                enqueue(
                    session,
                    kind=JobKind.HLR_RUN,
                    lane=Lane.MPROFI,
                    payload={"check": check.id},
                    run_after=utcnow() + timedelta(seconds=gap),
                )
        await session.commit()
    if check.state == "failed":
        await _post(ctx, check, blocks.hlr_failed(check.numbers, check.detail or "", user_id=check.user_id), job)
        await session.commit()


async def _onto_cards(session: AsyncSession, results: list[HlrResult]) -> None:
    """A checked number that has a conversation shows the check on its card."""
    now = utcnow()
    found = {
        "+" + row.msisdn: {"network": row.provider, "active": row.valid, "at": (row.checked_at or now).isoformat()}
        for row in results
        if row.msisdn.isdigit()
    }
    await queue_cards(session, set(await conversations.set_last_hlr(session, found)))


async def _finish(ctx: Context, session: AsyncSession, check: HlrCheck, report: HlrReport, job: Job) -> None:
    await _onto_cards(session, list(report.rows))
    await session.commit()
    valid = sum(1 for row in report.rows if row.valid)
    unknown = _("unknown network")
    networks = Counter(row.provider or unknown for row in report.rows if row.valid)
    await _post(
        ctx,
        check,
        blocks.hlr_summary(
            total=len(report.rows), valid=valid, networks=networks.most_common(), skipped=check.skipped or [], user_id=check.user_id
        ),
        job,
    )
    thread = check.thread_ts or (check.progress_ts if check.progress_ts != _VIA_RESPONSE_URL else None)
    content = report.raw or "\n".join(row.msisdn for row in report.rows).encode()
    await upload_once(
        ctx.slack,
        job=job,
        channel=check.channel_id,
        thread_ts=thread,
        content=content,
        filename=f"hlr-report-{check.id}.csv",
        title=ngettext("HLR report: {n} number", "HLR report: {n} numbers", len(report.rows)).format(n=len(report.rows)),
    )


def _duration(seconds: float) -> str:
    whole = max(1, round(seconds))
    if whole < 120:
        return _("{seconds} s").format(seconds=whole)
    return _("{minutes} min").format(minutes=whole // 60)


def _result_json(result: HlrResult) -> dict[str, Any]:
    data = asdict(result)
    data["checked_at"] = result.checked_at.isoformat() if result.checked_at else None
    return data


def _result_from_json(data: dict[str, Any]) -> HlrResult:
    checked = data.get("checked_at")
    return HlrResult(
        msisdn=str(data.get("msisdn") or ""),
        valid=bool(data.get("valid")),
        status_code=str(data.get("status_code") or ""),
        message_id=str(data.get("message_id") or ""),
        mccmnc=str(data.get("mccmnc") or ""),
        provider=str(data.get("provider") or ""),
        checked_at=datetime.fromisoformat(checked) if checked else None,
    )
