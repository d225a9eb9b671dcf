"""Who may spend money: allowed people and channels, hourly limits, numbers that texted STOP."""

from __future__ import annotations

from dataclasses import replace

from bot.bridge import policy, replies, sms
from bot.bridge.context import Context
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackState
from bot.sms.routes import read_routes
from storage.models import Dispatch

from .queue import run_jobs
from .steps import ANNA, BRIDGE, GENERAL, NUMBER, OTHER, PIOTR, open_thread, person_says, rows, sent_to, sms_request, text_in


def test_everyone_may_send_from_everywhere_by_default(ctx: Context) -> None:
    assert policy.may_send(ctx.config, user_id=PIOTR, channel_id=GENERAL) is None


def test_only_listed_people_may_send(ctx: Context) -> None:
    config = replace(ctx.config, allowed_users=frozenset({ANNA}))
    assert policy.may_send(config, user_id=ANNA, channel_id=GENERAL) is None
    refusal = policy.may_send(config, user_id=PIOTR, channel_id=GENERAL)
    assert refusal == "Sorry, you are not on the list of people who may send SMS from Slack; ask an admin to add you."


def test_only_listed_channels_and_the_bridge_channel_may_send(ctx: Context) -> None:
    config = replace(ctx.config, allowed_channels=frozenset({"C0MARKETING"}))
    assert policy.may_send(config, user_id=ANNA, channel_id="C0MARKETING") is None
    assert policy.may_send(config, user_id=ANNA, channel_id=BRIDGE) is None  # its threads are where replies go out
    routed = replace(config, routes=read_routes("SERWIS=C0SERVICE")[0])
    assert policy.may_send(routed, user_id=ANNA, channel_id="C0SERVICE") is None  # a routed channel's threads too
    refusal = policy.may_send(config, user_id=ANNA, channel_id=GENERAL)
    assert refusal == "Sorry, SMS cannot be sent from this channel; use one of the channels your admin allowed."


async def test_no_limit_is_kept_when_none_is_set(ctx: Context) -> None:
    assert await policy.over_limit(ctx, user_id=ANNA, channel_id=BRIDGE, adding=1_000_000) is None


async def test_a_person_may_send_up_to_the_hourly_limit_and_no_more(ctx: Context, sim: SimulatorState) -> None:
    ctx.config = replace(ctx.config, user_limit_per_hour=3)
    first = await sms.start_sms(ctx, sms_request(NUMBER, OTHER, trigger="t1"))
    assert first.refusal is None

    over = await sms.start_sms(ctx, sms_request("+48600100202", "+48600100203", trigger="t2"))
    assert over.refusal == (
        "Not sent: this would make 4 SMS from you in an hour, and the limit is 3 (SMS_USER_LIMIT_PER_HOUR). Nothing was sent."
    )
    assert over.dispatch_id == 0
    assert len(await rows(ctx, Dispatch)) == 1  # nothing stored for the refused one
    assert (await sms.start_sms(ctx, sms_request("+48600100202", trigger="t3", user=PIOTR))).refusal is None  # another person's own hour
    await run_jobs(ctx)
    assert len(sim.messages) == 3


async def test_a_channel_has_its_own_hourly_limit(ctx: Context) -> None:
    ctx.config = replace(ctx.config, channel_limit_per_hour=2)
    await sms.start_sms(ctx, sms_request(NUMBER, OTHER, trigger="t1", user=ANNA))

    over = await sms.start_sms(ctx, sms_request("+48600100202", trigger="t2", user=PIOTR))
    assert over.refusal == (
        "Not sent: this would make 3 SMS from this channel in an hour, and the limit is 2 (SMS_CHANNEL_LIMIT_PER_HOUR). Nothing was sent."
    )
    assert (await sms.start_sms(ctx, sms_request("+48600100202", trigger="t3", channel=GENERAL))).refusal is None


async def test_thread_replies_count_towards_the_same_limit(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    ctx.config = replace(ctx.config, user_limit_per_hour=1)
    parent = await open_thread(ctx, slack)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Pierwsza"))

    over = await sms.start_sms(ctx, sms_request(OTHER))
    assert over.refusal is not None
    assert "2 SMS from you in an hour" in over.refusal
    await run_jobs(ctx)
    assert len(sim.messages) == 1


async def test_a_number_that_texted_stop_may_not_be_texted_until_it_texts_start(ctx: Context) -> None:
    assert await policy.opted_out(ctx, NUMBER) is None
    await text_in(ctx, "Stop")
    assert await policy.opted_out(ctx, NUMBER) == "+48 600 100 200 texted STOP and is not sent to any more (until it texts START)."
    async with ctx.sessions() as session:
        assert await policy.opted_out_among(session, [NUMBER, OTHER]) == {NUMBER}

    await text_in(ctx, "START")
    assert await policy.opted_out(ctx, NUMBER) is None


async def test_refused_and_held_messages_do_not_count(ctx: Context, sim: SimulatorState) -> None:
    ctx.config = replace(ctx.config, user_limit_per_hour=3, confirm_above=2)
    await text_in(ctx, "STOP", sender=OTHER)
    held = await sms.start_sms(ctx, sms_request(NUMBER, "+48600100202", "+48600100203", trigger="t1"))
    assert held.needs_confirmation
    await sms.start_sms(ctx, sms_request(OTHER, trigger="t2"))  # opted out: nothing to send

    assert await policy.over_limit(ctx, user_id=ANNA, channel_id=BRIDGE, adding=3) is None
    assert sent_to(sim, OTHER) == []
