"""Campaigns through the bridge: the dry run's figures, batches of sendbulk/ with
``messages``, opt-outs that came after the dry run, a crash in the middle of a batch,
the HLR pre-check, and quiet hours."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.bridge.campaigns import Campaigns
from bot.bridge.context import Context
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackMessage, SlackState
from storage.campaign_models import Campaign, CampaignState
from storage.models import Message, utcnow
from storage.opt_outs import opt_out
from storage.templates import add_template

from .queue import run_jobs
from .steps import ANNA, GENERAL, person_posts

TEMPLATE = "Dzień dobry {imię}! Przypominamy o wizycie {data_wizyty} o 10:00. Do zobaczenia w przychodni."
CSV = (
    "telefon;imię;data wizyty\n"
    "600100200;Łucja;12.12\n"
    "600100201;Jan;13.12\n"
    "600 100 200;Łucja;12.12\n"
    "abc;X;1\n"
    "600100202;Ewa;\n"
    "600100203;Olga;14.12\n"
    "600100204;Zoe;15.12\n"
).encode("cp1250")


async def started(ctx: Context, slack: SlackState, content: bytes = CSV, typed: str = TEMPLATE) -> tuple[Campaign, SlackMessage]:
    file = slack.share_file(ANNA, "wizyty.csv", content, "text/csv")
    message = person_posts(slack, GENERAL, "@mProfi kampania " + typed, files=[file])
    await Campaigns(ctx).start(
        trigger_id=f"mention:{GENERAL}:{message.ts}", user_id=ANNA, channel_id=GENERAL, thread_ts=message.ts, file=file, typed=typed
    )
    await run_jobs(ctx)
    async with ctx.sessions() as session:
        campaign = await session.scalar(select(Campaign).order_by(Campaign.id.desc()).limit(1))
    assert campaign is not None
    return campaign, message


def shown(slack: SlackState, message: SlackMessage) -> str:
    [posted] = [m for m in slack.thread(GENERAL, message.ts) if m.bot_id and "📣" in str(m.blocks)]
    return str(posted.blocks)


async def test_the_dry_run_counts_every_kind_of_line_and_sends_nothing(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    async with ctx.sessions() as session, session.begin():
        await opt_out(session, "+48600100203", word="STOP", by=None, at=utcnow())
    campaign, message = await started(ctx, slack)
    text = shown(slack, message)
    assert "*3* texts to send · *1* invalid · *1* duplicate · *1* opted out · *1* with a variable that has no value ({data_wizyty})" in text
    assert "Dzień dobry Łucja! Przypominamy o wizycie 12.12" in text and "line 5: “abc” is not a phone number" in text
    assert "3 texts need Unicode because of Polish letters: 2 parts each." in text and "In all: *6* SMS parts." in text
    assert campaign.state == CampaignState.READY and sim.messages == {}

    assert await Campaigns(ctx).toggle_plain(campaign.id, user_id=ANNA) is None
    await run_jobs(ctx)
    assert "Polish letters removed: *3* SMS parts in all, 3 fewer than with them." in shown(slack, message)


async def test_sending_goes_in_batches_once_and_skips_a_late_opt_out(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    ctx.config = dataclasses.replace(ctx.config, bulk_batch_size=2)
    campaign, message = await started(ctx, slack)
    async with ctx.sessions() as session, session.begin():  # after the dry run, before Send
        await opt_out(session, "+48600100204", word="STOP", by=None, at=utcnow())
    answers = [await Campaigns(ctx).send(campaign.id, user_id=ANNA) for _ in range(2)]
    assert answers[0] == "Sending 4 SMS. Progress shows in the thread." and "already being sent" in answers[1]
    await run_jobs(ctx)
    recipients = sorted(m.recipient for m in sim.messages.values())
    assert recipients == ["48600100200", "48600100201", "48600100203"]
    assert len([r for r in sim.requests if r[0] == "/1.0/sendbulk/"]) == 2  # 4 lines, 2 a call; the opted-out one never went
    assert all(m.encoding == "utf-8" and m.reference and m.reference.startswith("mps-") for m in sim.messages.values())
    text = shown(slack, message)
    assert "*3* of *4* accepted by mProfi" in text and "*1* failed" in text and "Results CSV" in text
    [results] = [f for f in slack.files.values() if f.name.startswith(f"campaign-{campaign.id}-results")]
    csv_text = results.content.decode("utf-8-sig")
    assert "600100204;Zoe;15.12;+48600100204;" in csv_text and "It opted out before this SMS went" in csv_text
    assert "abc;X;1;;" in csv_text and "not sent: invalid" in csv_text


async def test_a_crash_in_the_middle_of_a_batch_never_sends_it_again(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    ctx.config = dataclasses.replace(ctx.config, bulk_batch_size=2)
    campaign, _message = await started(ctx, slack, CSV.replace(b"600100202;Ewa;\n", b"600100202;Ewa;1.1\n"))
    real = ctx.mprofi.send_bulk
    calls = 0

    async def crashing(entries: Any) -> Any:
        nonlocal calls
        calls += 1
        result = await real(entries)
        if calls == 1:
            raise RuntimeError("the process died after mProfi took the batch")
        return result

    ctx.mprofi.send_bulk = crashing  # type: ignore[method-assign, assignment]  # a crash between mProfi's answer and our commit
    await Campaigns(ctx).send(campaign.id, user_id=ANNA)
    await run_jobs(ctx)
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=10))  # the restarted worker takes the job again
    recipients = [m.recipient for m in sim.messages.values()]
    assert sorted(recipients) == sorted(set(recipients)) and len(recipients) == 5  # each number once
    async with ctx.sessions() as session:
        statuses = sorted((await session.scalars(select(Message.status).where(Message.dispatch_id.is_not(None)))).all())
    assert statuses.count("uncertain") == 2 and statuses.count("accepted") == 3


async def test_the_hlr_check_drops_inactive_numbers_and_says_what_it_saved(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    sim.hlr_overrides["48600100201"] = {"valid": False}
    sim.config.hlr_report_seconds = 0
    campaign, message = await started(ctx, slack)
    assert await Campaigns(ctx).check_numbers(campaign.id, user_id=ANNA) is None
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=1))
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=2))
    text = shown(slack, message)
    assert "HLR check: 4 numbers checked (paid), 1 inactive left out, 2 SMS parts saved." in text
    assert "*3* texts to send" in text and "*1* inactive (HLR)" in text
    assert len([r for r in sim.requests if r[0] == "/1.0/hlr/bulk/"]) == 1


async def test_inside_quiet_hours_send_is_refused_and_schedule_outside_them_waits_in_the_bridge(
    ctx: Context, slack: SlackState, sim: SimulatorState
) -> None:
    now = utcnow().astimezone(ctx.config.zone)
    ctx.config = dataclasses.replace(ctx.config, quiet_hours=f"{now:%H:00}-{(now + timedelta(hours=2)):%H:00}")
    campaign, message = await started(ctx, slack)
    assert "Sending now would fall inside the quiet hours" in shown(slack, message)
    assert "It is quiet hours" in await Campaigns(ctx).send(campaign.id, user_id=ANNA)
    inside = now + timedelta(minutes=30)
    assert "inside the quiet hours" in (Campaigns(ctx).schedule_refusal(inside) or "")
    later = now + timedelta(hours=3)
    assert (await Campaigns(ctx).send(campaign.id, user_id=ANNA, send_at=later)).startswith("Scheduled: 4 SMS go at")
    await run_jobs(ctx)
    assert sim.messages == {} and "scheduled for" in shown(slack, message)  # nothing handed to mProfi before its time


async def test_a_saved_template_by_name_and_an_unknown_one(ctx: Context, slack: SlackState) -> None:
    async with ctx.sessions() as session, session.begin():
        await add_template(session, name="Wizyta", text="Dzień dobry {imię}, wizyta {data_wizyty}.", by=ANNA)
    campaign, message = await started(ctx, slack, typed="#wizyta")
    assert campaign.template_name == "wizyta" and "(template #wizyta)" in shown(slack, message)
    assert "Dzień dobry Jan, wizyta 13.12." in shown(slack, message)
    campaign, message = await started(ctx, slack, typed="#nieznany")
    assert campaign.state == CampaignState.FAILED and "there is no template #nieznany" in shown(slack, message)


async def test_a_file_that_cannot_be_a_campaign_says_what_to_fix(ctx: Context, slack: SlackState) -> None:
    campaign, message = await started(ctx, slack, content=b"600100200;Anna\n")
    assert campaign.state == CampaignState.FAILED
    assert "wizyty.csv has no phone column: its first line must name the columns, one of them phone (or telefon)." in shown(slack, message)


async def test_cancel_sends_nothing_and_results_can_be_asked_for_again(ctx: Context, slack: SlackState, sim: SimulatorState) -> None:
    campaign, message = await started(ctx, slack)
    assert await Campaigns(ctx).cancel(campaign.id, user_id=ANNA) == "Cancelled: nothing was sent."
    assert await Campaigns(ctx).send(campaign.id, user_id=ANNA) == "This campaign was cancelled; share the file again to start over."
    await run_jobs(ctx)
    assert sim.messages == {} and "cancelled; nothing was sent." in shown(slack, message)

    campaign, message = await started(ctx, slack)
    await Campaigns(ctx).send(campaign.id, user_id=ANNA)
    await run_jobs(ctx)
    assert await Campaigns(ctx).results(campaign.id, user_id=ANNA) == "The results CSV will be in the thread in a moment."
    await run_jobs(ctx)
    assert len([f for f in slack.files.values() if f.name.startswith(f"campaign-{campaign.id}-results")]) == 2
