"""The pace of posts per channel: turns in order, bursts, pauses, and turns kept for a job
that went to do other work meanwhile (on SQLite and PostgreSQL for the shared pace)."""

from __future__ import annotations

import pytest

from bot.sandbox.slack import SlackState
from bot.slack.app import build_web_client
from bot.slack.pacing import ChannelBusy, ChannelPacer, SharedPacer, defer_when_busy
from storage import make_engine, make_sessionmaker
from storage.migrate import upgrade


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_turns_come_in_order_one_a_second_after_the_burst() -> None:
    clock = Clock()
    pacer = ChannelPacer(rate=1.0, burst=2, clock=clock)
    waits = [await pacer.turn("C1", holder, patience=0.0) for holder in range(5)]
    assert waits == [pytest.approx(w) for w in (-1.0, 0.0, 1.0, 2.0, 3.0)]
    assert await pacer.turn("C2", 99, patience=0.0) <= 0  # another channel keeps its own pace


async def test_a_far_turn_is_kept_for_its_job_and_given_back_when_it_asks_again() -> None:
    clock = Clock()
    pacer = ChannelPacer(rate=1.0, burst=1, clock=clock)
    assert await pacer.turn("C1", 1, patience=0.25) <= 0
    assert await pacer.turn("C1", 2, patience=0.25) == pytest.approx(1.0)  # kept for job 2
    assert await pacer.turn("C1", 3, patience=0.25) == pytest.approx(2.0)  # kept for job 3
    clock.now += 0.95
    assert await pacer.turn("C1", 2, patience=0.25) == pytest.approx(0.05)  # job 2 is back: its own turn
    assert await pacer.turn("C1", 4, patience=0.25) == pytest.approx(2.05)  # after job 3's, not before it


async def test_a_job_come_back_a_little_late_still_has_its_place() -> None:
    clock = Clock()
    pacer = ChannelPacer(rate=1.0, burst=1, clock=clock)
    await pacer.turn("C1", 1, patience=0.25)
    assert await pacer.turn("C1", 2, patience=0.25) == pytest.approx(1.0)
    assert await pacer.turn("C1", 3, patience=0.25) == pytest.approx(2.0)
    clock.now += 3.0  # job 2 comes back two seconds after its turn (every worker was busy)
    assert await pacer.turn("C1", 2, patience=0.25) == pytest.approx(-2.0)  # it posts now, not behind job 3


async def test_a_turn_come_back_to_long_after_it_passed_is_not_used_for_a_burst() -> None:
    clock = Clock()
    pacer = ChannelPacer(rate=1.0, burst=1, clock=clock)
    await pacer.turn("C1", 1, patience=0.0)
    assert await pacer.turn("C1", 2, patience=0.0) == pytest.approx(1.0)
    clock.now += 30
    assert await pacer.turn("C1", 2, patience=0.0) <= 0  # a fresh turn, taken now
    assert await pacer.turn("C1", 3, patience=0.0) == pytest.approx(1.0)


async def test_a_pause_moves_every_turn_after_it_kept_ones_too() -> None:
    clock = Clock()
    pacer = ChannelPacer(rate=1.0, burst=1, clock=clock)
    await pacer.turn("C1", 1, patience=0.0)
    assert await pacer.turn("C1", 2, patience=0.0) == pytest.approx(1.0)
    await pacer.pause("C1", 10.0)
    assert await pacer.turn("C1", 2, patience=0.0) >= 10.0
    assert await pacer.turn("C1", 3, patience=0.0) >= 11.0


async def test_replicas_share_turns_through_the_database_and_keep_their_own(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        one, two = SharedPacer(sessions, rate=1.0, burst=1), SharedPacer(sessions, rate=1.0, burst=1)
        first = await one.turn("C1", 1, patience=0.25)
        second = await two.turn("C1", 2, patience=0.25)
        third = await one.turn("C1", 3, patience=0.25)
        assert first <= 0.05 and second == pytest.approx(first + 1.0, abs=0.1) and third == pytest.approx(first + 2.0, abs=0.1)
        again = await two.turn("C1", 2, patience=0.25)
        assert again == pytest.approx(second, abs=0.1)  # job 2's kept turn, not a fourth one
        assert await one.turn("C1", 4, patience=0.25) == pytest.approx(first + 3.0, abs=0.1)
        await one.turn("C1", 5, patience=0.25)  # kept for job 5, some seconds off
        await one.pause("C1", 30.0)  # Slack said 429 with Retry-After: 30
        assert await one.turn("C1", 5, patience=0.25) >= 29.0  # its kept turn fell inside the pause: void
    finally:
        await engine.dispose()


async def test_a_put_off_post_that_slack_refused_says_so(slack: SlackState) -> None:
    """A 429 inside a job that may be put off: the job learns it tried (and counts it)."""
    client = build_web_client(slack.config.bot_token, slack.config.public_url + "/api/")
    slack.fail("chat.postMessage", 429, retry_after=3)
    with defer_when_busy(7, patience=0.25), pytest.raises(ChannelBusy) as raised:
        await client.chat_postMessage(channel="C0SMSBRIDGE", text="Dzień dobry")
    assert raised.value.after_refusal and raised.value.wait >= 2.5
    assert [c.status for c in slack.calls if c.method == "chat.postMessage"] == [429]  # nothing posted, asked once


async def test_outside_a_job_a_post_waits_for_its_turn_and_posts(slack: SlackState) -> None:
    client = build_web_client(slack.config.bot_token, slack.config.public_url + "/api/", posts_per_second=5.0)
    for n in range(3):
        await client.chat_postMessage(channel="C0SMSBRIDGE", text=f"{n}")
    posted = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert [c.status for c in posted] == [200] * 3 and posted[-1].at - posted[0].at >= 0.35
