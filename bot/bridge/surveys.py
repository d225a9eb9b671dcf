"""``/survey`` and mProfi's survey notifications, posted where the team talks.

Commands run as jobs (mProfi may be slow): ``list`` and ``show`` answer the person
privately, ``start`` reports each number's result, ``report`` posts a summary with
answer bars to the channel and the raw report as a CSV file in its thread.

``POST /mprofi/surveys`` has no documented shape: every call is kept as it came,
what can be read is posted (answers into one thread per survey, end-of-survey reports
like ``/survey report``), and what cannot is posted as such, never dropped.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.bridge import policy, quiet_hours
from bot.bridge.context import Context
from bot.bridge.models import RetryLater, SurveyRequest
from bot.bridge.posts import post_once, upload_once
from bot.bridge.refusals import mprofi_sentence
from bot.bridge.spreadsheets import inert
from bot.i18n import _, ngettext
from bot.mprofi import MProfiError, RetryableError, UncertainError
from bot.mprofi.models import SurveyReportEntry, parse_timestamp
from bot.slack import blocks
from bot.slack.responses import post_response
from bot.sms.numbers import InvalidNumber, msisdn, normalize
from bot.sms.text import storable
from storage import surveys as survey_rows
from storage.audit import record
from storage.kinds import AuditKind, JobKind, Lane
from storage.models import Job, SurveyNotification, SurveyThread, utcnow
from storage.queue import HELD_UNTIL, enqueue, save_payload

__all__ = [
    "start_survey_command",
    "run_survey_command",
    "receive_survey_notification",
    "post_survey_notification",
    "read_notification",
    "post_report",
    "report_csv",
]

logger = logging.getLogger(__name__)


async def start_survey_command(ctx: Context, request: SurveyRequest) -> dict[str, Any] | None:
    """Queue the command; a ``/survey start`` inside ``QUIET_HOURS`` is held instead, and the
    private question to answer with is returned."""
    quiet = quiet_hours.inside(ctx.config, utcnow()) if request.action == "start" else None
    async with ctx.sessions() as session, session.begin():
        payload: dict[str, Any] = {
            "action": request.action,
            "survey_id": request.survey_id,
            "numbers": list(request.numbers),
            "user": request.user_id,
            "channel": request.channel_id,
            "response_url": request.response_url,
            "results": {},
        }
        job = enqueue(session, kind=JobKind.SURVEY_COMMAND, lane=Lane.MPROFI, payload=payload, run_after=HELD_UNTIL if quiet else None)
        await session.flush()
    ctx.wake_workers()
    if quiet is None:
        return None
    count = ngettext("{n} number", "{n} numbers", len(request.numbers)).format(n=len(request.numbers))
    what = _("survey {survey} for {count}").format(survey=request.survey_id, count=count)
    return quiet_hours.question(f"survey:{job.id}", what, quiet)


async def run_survey_command(ctx: Context, job: Job) -> None:
    payload = dict(job.payload or {})
    action, survey_id = payload["action"], int(payload.get("survey_id") or 0)  # 0: "list" names none
    reply_to = payload.get("response_url")
    try:
        if action == "list":
            surveys = await ctx.mprofi.list_surveys()
            await _answer(ctx, payload, blocks.survey_list(surveys, zone=ctx.config.zone))
        elif action == "show":
            detail = await ctx.mprofi.get_survey(survey_id)
            await _answer(ctx, payload, blocks.survey_detail(detail, zone=ctx.config.zone))
        elif action == "start":
            detail = await ctx.mprofi.get_survey(survey_id)
            results: dict[str, str] = dict(payload.get("results") or {})
            async with ctx.sessions() as session:
                # The payload holds mProfi's 48XXXXXXXXX form; opt-outs are kept as +48XXXXXXXXX.
                opted_out = {n.removeprefix("+") for n in await policy.opted_out_among(session, ["+" + n for n in payload["numbers"]])}
            for number in payload["numbers"]:
                if number in results:
                    continue  # started before a restart: never twice
                if number in opted_out:  # an invitation is an SMS: a number that texted STOP gets none
                    results[number] = _("not invited: it texted STOP")
                    continue
                try:
                    await ctx.mprofi.start_survey(survey_id, number)
                    results[number] = "ok"
                except RetryableError:
                    raise
                except UncertainError as exc:
                    results[number] = _("uncertain: {reason}").format(reason=exc.message)
                except MProfiError as exc:
                    results[number] = exc.message
                payload["results"] = results
                async with ctx.sessions() as session, session.begin():
                    await save_payload(session, job.id, payload)
                    # An invitation is an SMS the survey sends: on record like any other.
                    record(
                        session,
                        AuditKind.SMS_SENT,
                        actor=payload.get("user"),
                        channel_id=payload.get("channel"),
                        phone="+" + number,
                        detail=f"survey {survey_id} invitation: {results[number]}",
                    )
            await _answer(ctx, payload, blocks.survey_started(detail, results))
        elif action == "report":
            detail = await ctx.mprofi.get_survey(survey_id)
            entries = await ctx.mprofi.get_survey_report(survey_id)
            await post_report(ctx, channel=payload["channel"], survey=detail, entries=entries, user_id=payload.get("user"), job=job)
            if reply_to:
                said = _("The report of survey {survey_id} is posted in the channel.").format(survey_id=survey_id)
                await post_response(ctx.http, reply_to, {"text": said})
    except RetryableError as exc:
        raise RetryLater(exc.message, exc.retry_after) from None
    except MProfiError as exc:
        await _answer(ctx, payload, {"text": mprofi_sentence(exc, key="survey", survey_id=survey_id or None)})


async def _answer(ctx: Context, payload: Mapping[str, Any], message: dict[str, Any]) -> None:
    if payload.get("response_url"):
        await post_response(ctx.http, str(payload["response_url"]), message)
    else:
        await ctx.slack.chat_postEphemeral(channel=payload["channel"], user=payload["user"], **message)


def report_csv(entries: list[SurveyReportEntry]) -> bytes:
    questions = max((len(e.answers) for e in entries), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_("msisdn"), _("finished"), *[_("answer_{n}").format(n=i) for i in range(1, questions + 1)]])
    for entry in entries:
        finished = entry.finished.isoformat() if entry.finished else ""
        # Answers are what customers typed: one that starts like a formula stays words in a spreadsheet.
        writer.writerow([entry.msisdn, finished, *[inert(a) for a in entry.answers], *[""] * (questions - len(entry.answers))])
    return out.getvalue().encode("utf-8")


async def post_report(ctx: Context, *, channel: str, survey: Any, entries: list[SurveyReportEntry], user_id: str | None, job: Job) -> str:
    """The readable summary in the channel, the raw report as CSV in its thread (each once per job)."""
    payload = blocks.survey_report(survey, entries, user_id=user_id)
    ts = await post_once(ctx.slack, key=f"survey-report:{job.id}", job=job, channel=channel, **payload)
    await upload_once(
        ctx.slack,
        job=job,
        channel=channel,
        thread_ts=ts,
        content=report_csv(entries),
        filename=f"survey-{survey.id}-report.csv",
        # English has always said "participants" here, even for one: the singular is kept as it was.
        title=ngettext("Survey {id} report ({n} participants)", "Survey {id} report ({n} participants)", len(entries)).format(
            id=survey.id, n=len(entries)
        ),
    )
    return ts


# ---- notifications from mProfi ---------------------------------------------------------


def _pick(data: Mapping[str, Any], *names: str) -> Any:
    low = {str(k).strip().lower(): v for k, v in data.items()}
    return next((low[n] for n in names if low.get(n) not in (None, "")), None)


def _entries(items: Any) -> list[SurveyReportEntry] | None:
    if not isinstance(items, list) or not items or not all(isinstance(i, Mapping) for i in items):
        return None
    entries = []
    for item in items:
        number, answers = _pick(item, "msisdn", "phone", "number"), _pick(item, "answers")
        if number is None or not isinstance(answers, list):
            return None
        finished = _pick(item, "finished")
        entries.append(
            SurveyReportEntry(
                msisdn=str(number),
                answers=tuple(str(a) for a in answers),
                finished=parse_timestamp(finished) if isinstance(finished, (str, int, float)) else None,
            )
        )
    return entries


def read_notification(data: Any) -> tuple[str, int | None, str | None, str | None, list[SurveyReportEntry] | None]:
    """(kind, survey id, msisdn, answer, report entries) from whatever mProfi sent."""
    if isinstance(data, list):
        entries = _entries(data)
        return ("report", None, None, None, entries) if entries is not None else ("unreadable", None, None, None, None)
    if not isinstance(data, Mapping):
        return "unreadable", None, None, None, None
    raw_id = _pick(data, "survey_id", "survey", "id")
    digits = str(raw_id).strip() if isinstance(raw_id, (int, str)) and not isinstance(raw_id, bool) else ""
    survey_id = int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 18 else None
    report = _entries(_pick(data, "report", "results", "responses", "participants"))
    if report is not None:
        return "report", survey_id, None, None, report
    number, answer = _pick(data, "msisdn", "phone", "number", "sender"), _pick(data, "answer", "text", "message")
    if number is not None and answer is not None:
        try:
            phone = msisdn(normalize(str(number)))
        except InvalidNumber:
            phone = storable(str(number)[:32])
        return "answer", survey_id, phone, storable(str(answer)), None
    return "unreadable", survey_id, None, None, None


async def receive_survey_notification(ctx: Context, *, content_type: str, body: bytes, data: Any) -> tuple[int, str]:
    """Keep the call as it came, queue its post; (stored id, kind)."""
    kind, survey_id, number, answer, entries = read_notification(data)
    report = [
        {"msisdn": e.msisdn, "answers": list(e.answers), "finished": e.finished.isoformat() if e.finished else None} for e in entries or []
    ]
    async with ctx.sessions() as session, session.begin():
        notification = SurveyNotification(
            content_type=content_type[:200],
            body=body.decode("utf-8", "backslashreplace").replace("\x00", "\\x00"),  # PostgreSQL text holds no NUL
            kind=kind,
            survey_id=survey_id,
            msisdn=number,
            answer=answer,
            report=report or None,
            received_at=utcnow(),
        )
        session.add(notification)
        await session.flush()
        enqueue(session, kind=JobKind.POST_SURVEY_NOTIFICATION, lane=Lane.SLACK, payload={"notification": notification.id})
        stored = notification.id
    ctx.wake_workers()
    return stored, kind


async def _survey_thread(ctx: Context, survey_id: int, job: Job) -> str:
    """The thread of one survey's answers, opened once.

    The unique key on the survey decides which job posts the parent; another job
    that finds the parent still missing waits for it (and takes over when the first
    job evidently died).
    """
    channel = ctx.config.survey_channel
    async with ctx.sessions() as session:
        thread = await session.get(SurveyThread, survey_id)
        mine = False
        if thread is None:
            session.add(SurveyThread(survey_id=survey_id, channel_id=channel, thread_ts=None))
            try:
                await session.commit()
            except IntegrityError:
                raise RetryLater("another job is opening this survey's thread", 1.0) from None  # untranslated: for the log
            thread = await session.get(SurveyThread, survey_id)
            assert thread is not None
            mine = True
        if thread.thread_ts is None:
            if not mine and job.attempts < 5:
                raise RetryLater("waiting for the survey's thread to open", 1.0)  # untranslated: for the log
            await session.commit()  # no transaction stays open across mProfi or Slack calls
            name = None
            try:
                name = (await ctx.mprofi.get_survey(survey_id)).name
            except MProfiError as exc:
                logger.info("survey %s name unknown: %s", survey_id, exc.message)
            thread.thread_ts = await post_once(
                ctx.slack,
                key=f"survey-thread:{survey_id}",
                job=job,
                channel=thread.channel_id,
                **blocks.survey_thread_parent(survey_id, name),
            )
            await session.commit()
        return thread.thread_ts


async def post_survey_notification(ctx: Context, job: Job) -> None:
    async with ctx.sessions() as session:
        notification = await session.get(SurveyNotification, int((job.payload or {})["notification"]))
        assert notification is not None
        if notification.slack_ts is not None:
            return
        # Two workers may hold two answers at once; the later one waits its turn (a lost
        # earlier one holds it back for ten minutes at most).
        if notification.kind == "answer" and await survey_rows.earlier_answer_unposted(
            session, notification, since=utcnow() - timedelta(minutes=10)
        ):
            raise RetryLater("an earlier answer to this survey is not posted yet", delay=0.2)  # untranslated: for the log
    channel = ctx.config.survey_channel
    if notification.kind == "answer" and notification.survey_id is not None:
        thread_ts = await _survey_thread(ctx, notification.survey_id, job)
        ts = await post_once(
            ctx.slack,
            key=f"survey-notification:{notification.id}",
            job=job,
            channel=channel,
            thread_ts=thread_ts,
            **blocks.survey_answer(notification.msisdn or "", notification.answer or ""),
        )
    elif notification.kind == "report":
        entries = _entries(notification.report) or []
        survey: Any = None
        if notification.survey_id is not None:
            try:
                survey = await ctx.mprofi.get_survey(notification.survey_id)
            except MProfiError as exc:
                logger.info("survey %s details unknown: %s", notification.survey_id, exc.message)
        survey = survey or blocks.UnnamedSurvey(id=notification.survey_id or 0)
        ts = await post_report(ctx, channel=channel, survey=survey, entries=entries, user_id=None, job=job)
    else:
        ts = await post_once(
            ctx.slack,
            key=f"survey-notification:{notification.id}",
            job=job,
            channel=channel,
            **blocks.survey_unreadable(notification.id, notification.body),
        )
    async with ctx.sessions() as session, session.begin():
        await survey_rows.set_notification_ts(session, notification.id, ts)
