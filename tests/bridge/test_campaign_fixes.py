"""Campaigns that must not go wrong: a scheduled one kept here (opt-outs checked when it
goes, cancellable, ``{date}`` its day), a retried batch checked again, the quiet hours,
the hourly limits, a job given up, mProfi refusing the key, duplicates, an expired dry
run, and presses on a message that no longer shows the texts as they are."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.bridge import campaign_sending
from bot.bridge.campaigns import Campaigns
from bot.bridge.context import Context
from bot.bridge.giving_up import end_job
from bot.mprofi import AuthenticationError, RetryableError
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackState
from storage.campaign_models import Campaign, CampaignState
from storage.models import utcnow
from storage.opt_outs import opt_out

from .queue import claim_next, run_jobs
from .steps import ANNA, GENERAL, person_posts
from .test_campaigns import CSV, TEMPLATE, shown, started


def _clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """The sending job's clock (quiet hours, ``{date}``) set to ``moment``."""
    at: Callable[[], datetime] = lambda: moment  # noqa: E731 - a fixed clock
    monkeypatch.setattr(campaign_sending, "utcnow", at)


def _results(slack: SlackState, campaign_id: int) -> str:
    [results] = [f for f in slack.files.values() if f.name.startswith(f"campaign-{campaign_id}-results")]
    return results.content.decode("utf-8-sig")


async def test_a_scheduled_campaign_waits_here_checks_opt_outs_then_and_fills_the_date_of_that_day(
    ctx: Context, slack: SlackState, sim: SimulatorState, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, message = await started(ctx, slack, CSV.replace(b"600100202;Ewa;\n", b""), typed=TEMPLATE + " Dziś {date}.")
    later = utcnow() + timedelta(days=2)
    assert (await Campaigns(ctx).send(campaign.id, user_id=ANNA, send_at=later)).startswith("Scheduled: 4 SMS go at")
    await run_jobs(ctx)
    assert sim.messages == {} and "scheduled for" in shown(slack, message) and "'action_id': 'campaign_cancel'" in shown(slack, message)
    async with ctx.sessions() as session, session.begin():  # after Schedule, before the time
        await opt_out(session, "+48600100201", word="STOP", by=None, at=utcnow())
    _clock(monkeypatch, later)
    await run_jobs(ctx, now=later + timedelta(minutes=1))
    day = later.astimezone(ctx.config.zone).strftime("%d.%m.%Y")
    assert sorted(m.recipient for m in sim.messages.values()) == ["48600100200", "48600100203", "48600100204"]
    assert all(m.date is None and m.text.endswith(f"Dziś {day}.") for m in sim.messages.values())


async def test_a_scheduled_campaign_can_be_cancelled_until_its_time(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    campaign, message = await started(ctx, slack)
    later = utcnow() + timedelta(hours=5)
    await Campaigns(ctx).send(campaign.id, user_id=ANNA, send_at=later)
    assert await Campaigns(ctx).cancel(campaign.id, user_id=ANNA) == "Cancelled: nothing was sent."
    await run_jobs(ctx, now=later + timedelta(minutes=1))
    assert sim.messages == {} and "cancelled; nothing was sent." in shown(slack, message)


async def test_a_retried_batch_is_checked_for_opt_outs_again(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    campaign, _message = await started(ctx, slack)
    real = ctx.mprofi.send_bulk
    calls = 0

    async def refused_once(entries: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RetryableError("busy", retry_after=60)
        return await real(entries)

    ctx.mprofi.send_bulk = refused_once  # type: ignore[method-assign, assignment]  # mProfi busy on the first call
    await Campaigns(ctx).send(campaign.id, user_id=ANNA)
    await run_jobs(ctx)
    async with ctx.sessions() as session, session.begin():  # between the refused call and its retry
        await opt_out(session, "+48600100200", word="STOP", by=None, at=utcnow())
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=5))
    assert sorted(m.recipient for m in sim.messages.values()) == ["48600100201", "48600100203", "48600100204"]


async def test_a_send_running_into_the_quiet_hours_waits_for_their_end_and_says_so(
    ctx: Context, slack: SlackState, sim: SimulatorState, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx.config = dataclasses.replace(ctx.config, bulk_batch_size=2)
    campaign, message = await started(ctx, slack)
    now = utcnow().astimezone(ctx.config.zone)
    real = ctx.mprofi.send_bulk

    async def then_quiet(entries: Any) -> Any:  # the first batch goes; then the quiet hours begin
        ctx.config = dataclasses.replace(ctx.config, quiet_hours=f"{now:%H:00}-{(now + timedelta(hours=2)):%H:00}")
        return await real(entries)

    ctx.mprofi.send_bulk = then_quiet  # type: ignore[method-assign, assignment]  # the real call, with the clock moved into the quiet hours after it
    await Campaigns(ctx).send(campaign.id, user_id=ANNA)
    await run_jobs(ctx)
    assert len(sim.messages) == 2 and "held for the quiet hours; the rest goes at" in shown(slack, message)
    after = now + timedelta(hours=3)
    _clock(monkeypatch, after)
    await run_jobs(ctx, now=after)
    assert len(sim.messages) == 4 and "all handed over" in shown(slack, message)


async def test_campaigns_pressed_close_together_count_against_the_hourly_limit(ctx: Context, slack: SlackState) -> None:
    ctx.config = dataclasses.replace(ctx.config, user_limit_per_hour=6)
    first, _m1 = await started(ctx, slack)
    second, _m2 = await started(ctx, slack)
    assert (await Campaigns(ctx).send(first.id, user_id=ANNA)).startswith("Sending 4 SMS")
    refused = await Campaigns(ctx).send(second.id, user_id=ANNA)  # the first one's messages are not made yet
    assert "this would make 8 SMS from you in an hour, and the limit is 6" in refused


async def test_a_given_up_batch_stops_the_campaign_and_says_why(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    campaign, message = await started(ctx, slack)
    await Campaigns(ctx).send(campaign.id, user_id=ANNA)
    job = await claim_next(ctx, "mprofi")
    await end_job(ctx, job, "mProfi unreachable for 24 h")
    await run_jobs(ctx)
    assert sim.messages == {} and "sending stopped: mProfi could not be reached in time" in shown(slack, message)
    assert "not sent: sending stopped (mProfi could not be reached in time (mProfi unreachable for 24 h))" in _results(slack, campaign.id)


async def test_a_given_up_read_says_so_in_the_files_thread(ctx: Context, slack: SlackState) -> None:
    file = slack.share_file(ANNA, "wizyty.csv", CSV, "text/csv")
    message = person_posts(slack, GENERAL, "@mProfi kampania " + TEMPLATE, files=[file])
    await Campaigns(ctx).start(trigger_id="mention:x", user_id=ANNA, channel_id=GENERAL, thread_ts=message.ts, file=file, typed=TEMPLATE)
    job = await claim_next(ctx, "slack")
    assert job.kind == "campaign_read"
    await end_job(ctx, job, "ratelimited")
    await run_jobs(ctx)
    [posted] = [m for m in slack.thread(GENERAL, message.ts) if m.bot_id]
    assert "the file could not be read (ratelimited); nothing was sent" in str(posted.blocks)


async def test_a_refused_key_stops_the_campaign_and_the_csv_says_which_lines_did_not_go(
    ctx: Context, slack: SlackState, sim: SimulatorState
) -> None:
    ctx.config = dataclasses.replace(ctx.config, bulk_batch_size=2)
    campaign, message = await started(ctx, slack)

    async def refused(entries: Any) -> Any:
        raise AuthenticationError("bad key")

    ctx.mprofi.send_bulk = refused  # type: ignore[method-assign, assignment]  # mProfi refusing the key on this call only
    await Campaigns(ctx).send(campaign.id, user_id=ANNA)
    await run_jobs(ctx)
    text = shown(slack, message)
    assert "sending stopped:" in text and "all handed over" not in text
    assert _results(slack, campaign.id).count("not sent: sending stopped (") == 2  # the batch after the refused one


async def test_the_first_line_that_can_be_sent_wins_among_duplicates(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    content = "telefon;imię;data wizyty\n600100200;Łucja;\n600100200;Łucja;12.12\n".encode("cp1250")
    campaign, message = await started(ctx, slack, content)
    assert "*1* text to send" in shown(slack, message) and "*1* duplicate" in shown(slack, message)
    await Campaigns(ctx).send(campaign.id, user_id=ANNA)
    await run_jobs(ctx)
    assert [m.text for m in sim.messages.values()] == [TEMPLATE.replace("{imię}", "Łucja").replace("{data_wizyty}", "12.12")]


async def test_a_dry_run_expires_after_a_week(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    campaign, message = await started(ctx, slack)
    async with ctx.sessions() as session, session.begin():
        await session.execute(update(Campaign).where(Campaign.id == campaign.id).values(created_at=utcnow() - timedelta(days=8)))
    assert await Campaigns(ctx).send(campaign.id, user_id=ANNA) == "This dry run expired after 7 days; share the file again to send it."
    await run_jobs(ctx)
    assert sim.messages == {} and "this dry run expired after 7 days" in shown(slack, message)
    async with ctx.sessions() as session:
        again = await session.get(Campaign, campaign.id)
    assert again is not None and again.state == CampaignState.CANCELLED  # retention clears it like any finished campaign


async def test_a_press_on_a_message_that_no_longer_shows_the_texts_is_refused(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    campaign, _message = await started(ctx, slack)
    assert await Campaigns(ctx).toggle_plain(campaign.id, user_id=ANNA, shown_plain=False) is None
    changed = "The campaign's message changed after you saw it; look at it again and press once more."
    assert await Campaigns(ctx).toggle_plain(campaign.id, user_id=ANNA, shown_plain=False) == changed  # a quick second press
    assert await Campaigns(ctx).send(campaign.id, user_id=ANNA, shown_plain=False) == changed
    assert (await Campaigns(ctx).send(campaign.id, user_id=ANNA, shown_plain=True)).startswith("Sending 4 SMS")
    await run_jobs(ctx)
    assert all(m.encoding is None and "ł" not in m.text.lower() for m in sim.messages.values())


async def test_the_dry_run_counts_numbers_outside_poland(ctx: Context, slack: SlackState) -> None:
    content = "telefon;imię;data wizyty\n600100200;Łucja;12.12\n+4915112345678;Hans;13.12\n".encode()
    _campaign, message = await started(ctx, slack, content)
    assert "1 number is outside Poland: it costs more." in shown(slack, message)


async def test_a_given_up_hlr_check_gives_the_dry_run_its_buttons_back(ctx: Context, slack: SlackState) -> None:
    campaign, message = await started(ctx, slack)
    assert await Campaigns(ctx).check_numbers(campaign.id, user_id=ANNA) is None
    job = await claim_next(ctx, "mprofi")
    assert job.kind == "campaign_hlr"
    await end_job(ctx, job, "mProfi unreachable for 24 h")
    await run_jobs(ctx)
    text = shown(slack, message)
    assert "The HLR check could not be finished (mProfi unreachable for 24 h); no number was left out." in text
    assert "'action_id': 'campaign_send'" in text


async def test_a_given_up_redraw_is_told_to_the_person_privately(ctx: Context, slack: SlackState) -> None:
    campaign, _message = await started(ctx, slack)
    assert await Campaigns(ctx).toggle_plain(campaign.id, user_id=ANNA) is None
    job = await claim_next(ctx, "slack")
    assert job.kind == "campaign_render"
    await end_job(ctx, job, "invalid_blocks")
    await run_jobs(ctx)
    assert [e["text"] for e in slack.ephemeral] == [
        "The campaign's message for wizyty.csv could not be shown in the thread (invalid_blocks)."
    ]
