"""QUIET_HOURS on every send path: held, asked, scheduled, sent anyway (on record), cancelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.bridge import quiet_hours, replies, sms, surveys
from bot.bridge.context import Context
from bot.bridge.models import SurveyRequest
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackState
from storage.kinds import MessageStatus
from storage.models import Job, Message
from storage.privacy_models import AuditEntry

from .queue import run_jobs
from .steps import ANNA, NUMBER, PIOTR, deleted, open_thread, person_says, rows, sent_to, sms_request, text_in

WARSAW = ZoneInfo("Europe/Warsaw")
OTHER = "+48600100201"


def around_now(before: int = 60, after: int = 60) -> str:
    """Quiet hours that hold this very moment (the code reads the real clock)."""
    now = datetime.now(WARSAW)
    return f"{now - timedelta(minutes=before):%H:%M}-{now + timedelta(minutes=after):%H:%M}"


def end_of(hours: str) -> str:
    return hours.split("-")[1]


@pytest.fixture
def quiet(ctx: Context) -> str:
    hours = around_now()
    ctx.config = replace(ctx.config, quiet_hours=hours)
    return hours


def buttons(question: dict[str, object] | None) -> dict[str, str]:
    assert question is not None
    blocks = question["blocks"]
    assert isinstance(blocks, list)
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


async def overrides(ctx: Context) -> list[AuditEntry]:
    return [e for e in await rows(ctx, AuditEntry) if e.kind == "quiet_hours_override"]


async def test_a_sms_in_quiet_hours_waits_and_schedule_sends_it_when_they_end(ctx: Context, sim: SimulatorState, quiet: str) -> None:
    accepted = await sms.start_sms(ctx, sms_request(NUMBER, text="Dzień dobry"))
    assert accepted.sending == (NUMBER,) and not accepted.needs_confirmation
    assert buttons(accepted.quiet_question) == {
        "quiet_schedule": f"sms:{accepted.dispatch_id}",
        "quiet_send": f"sms:{accepted.dispatch_id}",
        "quiet_cancel": f"sms:{accepted.dispatch_id}",
    }
    assert f"Schedule for {end_of(quiet)}" in str(accepted.quiet_question)
    await run_jobs(ctx)
    assert sent_to(sim) == []
    [held] = await rows(ctx, Message)
    assert held.status == MessageStatus.HELD

    assert await quiet_hours.answer(ctx, "sms", accepted.dispatch_id, user_id=PIOTR, choice="send") == (
        "Only the person who typed this /sms can decide when it goes."
    )
    said = await quiet_hours.answer(ctx, "sms", accepted.dispatch_id, user_id=ANNA, choice="schedule")
    assert said == f"Scheduled: the SMS to 1 number goes at {end_of(quiet)}."
    await run_jobs(ctx)
    [sent] = sent_to(sim)
    assert sent.scheduled_for is not None and sent.scheduled_for.astimezone(WARSAW).strftime("%H:%M") == end_of(quiet)
    again = await quiet_hours.answer(ctx, "sms", accepted.dispatch_id, user_id=ANNA, choice="send")
    assert again == "You already chose what happens to this /sms; it is not sent twice."
    assert await overrides(ctx) == []


async def test_send_anyway_sends_now_and_is_on_record(ctx: Context, sim: SimulatorState, quiet: str) -> None:
    accepted = await sms.start_sms(ctx, sms_request(NUMBER, OTHER, text="Awaria sieci, pracujemy nad tym"))
    assert "this SMS to 2 numbers" in str(accepted.quiet_question)
    said = await quiet_hours.answer(ctx, "sms", accepted.dispatch_id, user_id=ANNA, choice="send")
    assert said == "Sending now to 2 numbers."
    await run_jobs(ctx)
    assert len(sent_to(sim)) == 1 and len(sent_to(sim, OTHER)) == 1 and sent_to(sim)[0].scheduled_for is None
    [record] = await overrides(ctx)
    assert (record.actor, record.detail) == (ANNA, "/sms to 2 number(s)")


async def test_cancel_sends_nothing(ctx: Context, sim: SimulatorState, quiet: str) -> None:
    accepted = await sms.start_sms(ctx, sms_request(NUMBER))
    assert await quiet_hours.answer(ctx, "sms", accepted.dispatch_id, user_id=ANNA, choice="cancel") == (
        "Cancelled: nothing was sent to 1 number."
    )
    await run_jobs(ctx)
    assert sent_to(sim) == [] and [m.status for m in await rows(ctx, Message)] == [MessageStatus.CANCELLED]


async def test_a_time_inside_the_quiet_hours_is_refused(ctx: Context, sim: SimulatorState) -> None:
    ctx.config = replace(ctx.config, quiet_hours="21:00-08:00")
    night = datetime.now(WARSAW).replace(hour=23, minute=30, second=0, microsecond=0) + timedelta(days=1)
    accepted = await sms.start_sms(ctx, sms_request(NUMBER, send_at=night))
    assert accepted.refusal is not None and accepted.refusal.startswith(f"{night:%d.%m.%Y} 23:30 is inside the quiet hours (21:00–08:00)")
    assert accepted.refusal.endswith("e.g. at 08:00. Nothing was sent.")
    morning = night + timedelta(hours=10)
    assert (await sms.start_sms(ctx, sms_request(NUMBER, send_at=morning, trigger="t2"))).refusal is None


async def test_a_reply_in_quiet_hours_is_held_and_its_author_asked(
    ctx: Context, slack: SlackState, sim: SimulatorState, quiet: str
) -> None:
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Oddzwonię rano"))
    await run_jobs(ctx)
    assert sent_to(sim) == []
    [reply] = [m for m in await rows(ctx, Message) if m.direction == "out"]
    assert reply.status == MessageStatus.HELD
    [asked] = [e for e in slack.ephemeral if e["user"] == ANNA]
    assert "It is quiet hours" in asked["text"] and "this SMS to +48 600 100 200" in asked["text"]
    assert buttons(asked)["quiet_send"] == f"reply:{reply.id}"

    said = await quiet_hours.answer(ctx, "reply", reply.id, user_id=ANNA, choice="schedule")
    assert said == f"Scheduled: the reply to +48 600 100 200 goes at {end_of(quiet)}; Cancel under it stops it until then."
    await run_jobs(ctx)
    assert sent_to(sim) == []  # not before the quiet hours end
    [reply] = [m for m in await rows(ctx, Message) if m.direction == "out"]
    assert reply.status == MessageStatus.QUEUED and reply.send_after is not None
    await run_jobs(ctx, now=reply.send_after + timedelta(seconds=1))
    assert [m.text for m in sent_to(sim)] == ["Oddzwonię rano"]


async def test_a_reply_sent_anyway_goes_now_and_a_cancelled_one_never(
    ctx: Context, slack: SlackState, sim: SimulatorState, quiet: str
) -> None:
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Pilne: kurier czeka"))
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Jednak nic"))
    first, second = [m for m in await rows(ctx, Message) if m.direction == "out"]
    assert await quiet_hours.answer(ctx, "reply", first.id, user_id=PIOTR, choice="send") == (
        "Only the person who wrote this reply can decide when it goes."
    )
    assert await quiet_hours.answer(ctx, "reply", first.id, user_id=ANNA, choice="send") == "Sending the reply to +48 600 100 200 now."
    assert await quiet_hours.answer(ctx, "reply", second.id, user_id=ANNA, choice="cancel") == (
        "Cancelled: nothing was sent to +48 600 100 200."
    )
    await run_jobs(ctx)
    assert [m.text for m in sent_to(sim)] == ["Pilne: kurier czeka"]
    [record] = await overrides(ctx)
    assert (record.actor, record.phone) == (ANNA, NUMBER)
    statuses = {m.text: m.status for m in await rows(ctx, Message) if m.direction == "out"}
    assert statuses["Jednak nic"] == MessageStatus.CANCELLED


async def test_a_survey_start_in_quiet_hours_waits_for_its_sender(ctx: Context, sim: SimulatorState, quiet: str) -> None:
    request = SurveyRequest(action="start", user_id=ANNA, channel_id="C1", survey_id=5, numbers=("48600100200",))
    question = await surveys.start_survey_command(ctx, request)
    [key] = {v for v in buttons(question).values()}
    job_id = int(key.split(":")[1])
    await run_jobs(ctx)
    [job] = await rows(ctx, Job)
    assert job.done_at is None and job.attempts == 0  # held, not run
    said = await quiet_hours.answer(ctx, "survey", job_id, user_id=ANNA, choice="schedule")
    assert said == f"Scheduled: survey 5 starts at {end_of(quiet)}."
    [job] = await rows(ctx, Job)
    assert job.run_after.astimezone(WARSAW).strftime("%H:%M") == end_of(quiet)
    assert await quiet_hours.answer(ctx, "survey", job_id, user_id=ANNA, choice="send") == (
        "You already chose what happens to this /survey; it is not started twice."
    )


async def test_outside_quiet_hours_nothing_is_asked(ctx: Context, sim: SimulatorState) -> None:
    now = datetime.now(WARSAW)
    ctx.config = replace(ctx.config, quiet_hours=f"{now + timedelta(hours=2):%H:%M}-{now + timedelta(hours=3):%H:%M}")
    accepted = await sms.start_sms(ctx, sms_request(NUMBER))
    assert accepted.quiet_question is None
    await run_jobs(ctx)
    assert len(sent_to(sim)) == 1


async def test_a_large_sms_confirmed_inside_quiet_hours_is_asked_about_first(ctx: Context, sim: SimulatorState) -> None:
    ctx.config = replace(ctx.config, confirm_above=1)
    accepted = await sms.start_sms(ctx, sms_request(NUMBER, OTHER))
    assert accepted.needs_confirmation and accepted.quiet_question is None
    ctx.config = replace(ctx.config, quiet_hours=around_now())  # the night came before Send was pressed
    asked = await sms.answer_confirmation(ctx, accepted.dispatch_id, user_id=ANNA, send=True)
    assert isinstance(asked, dict) and buttons(asked)["quiet_send"] == f"sms:{accepted.dispatch_id}"
    await run_jobs(ctx)
    assert sent_to(sim) == []
    assert await quiet_hours.answer(ctx, "sms", accepted.dispatch_id, user_id=ANNA, choice="send") == "Sending now to 2 numbers."
    await run_jobs(ctx)
    assert len(sent_to(sim)) == 1 and len(sent_to(sim, OTHER)) == 1


async def test_send_again_inside_quiet_hours_waits_for_the_same_choice(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    parent = await open_thread(ctx, slack)
    [conversation_row] = [m.conversation_id for m in await rows(ctx, Message)]
    async with ctx.sessions() as session, session.begin():
        uncertain = Message(
            conversation_id=conversation_row, direction="out", kind="sms", phone=NUMBER, text="Czy dotarło?", status=MessageStatus.UNCERTAIN
        )
        session.add(uncertain)
    ctx.config = replace(ctx.config, quiet_hours=around_now())
    await replies.resend(ctx, uncertain.id, ANNA)
    await run_jobs(ctx)
    assert sent_to(sim) == []
    again = next(m for m in await rows(ctx, Message) if m.origin_key == f"resend:{uncertain.id}")
    assert again.status == MessageStatus.HELD
    assert any(buttons(e).get("quiet_send") == f"reply:{again.id}" for e in slack.ephemeral if e.get("blocks"))
    assert parent is not None


async def test_deleting_a_held_reply_cancels_it(ctx: Context, slack: SlackState, sim: SimulatorState, quiet: str) -> None:
    parent = await open_thread(ctx, slack)
    event = person_says(slack, parent, "Jednak nie")
    await replies.handle_slack_message(ctx, event)
    original = next(m for m in slack.thread(parent.channel, parent.ts) if m.ts == event["ts"])
    deletion = deleted(slack, original)
    await replies.handle_slack_message(ctx, deletion, event_id="Ev-delete")
    await run_jobs(ctx)
    [reply] = [m for m in await rows(ctx, Message) if m.direction == "out"]
    assert reply.status == MessageStatus.CANCELLED and sent_to(sim) == []
    assert await quiet_hours.answer(ctx, "reply", reply.id, user_id=ANNA, choice="send") == (
        "You already chose what happens to this reply; it is not sent twice."
    )


async def test_a_number_that_opts_out_while_a_sms_is_held_is_left_out(ctx: Context, sim: SimulatorState, quiet: str) -> None:
    accepted = await sms.start_sms(ctx, sms_request(NUMBER, OTHER, text="Jutro przerwa w dostawach"))
    await text_in(ctx, "STOP", sender=OTHER)  # while the question waits
    await quiet_hours.answer(ctx, "sms", accepted.dispatch_id, user_id=ANNA, choice="send")
    await run_jobs(ctx)
    assert len(sent_to(sim)) == 1 and sent_to(sim, OTHER) == []
    left = next(m for m in await rows(ctx, Message) if m.phone == OTHER and m.direction == "out")
    assert left.status == MessageStatus.FAILED and left.status_detail == "It opted out before this SMS went; nothing was sent to it."
