"""``/hlr``: one number at once, many through mProfi's bulk report; a look-up is never paid twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.bridge import hlr
from bot.bridge.context import Context
from bot.bridge.models import HlrRequest
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackState
from bot.sms.numbers import normalize
from storage.models import HlrCheck, utcnow

from .queue import run_jobs, waiting_jobs
from .steps import ANNA, BRIDGE, mprofi_calls, person_posts, rows

PLUS, ORANGE, NOWHERE = "+48600100200", "+48500100200", "+48400100200"  # the simulator's networks by prefix; 4xx has none


def hlr_request(*numbers: str, trigger: str = "hlr-1", skipped: tuple[tuple[str, str], ...] = ()) -> HlrRequest:
    """A checked ``/hlr`` typed in the bridge's channel."""
    return HlrRequest(trigger_id=trigger, user_id=ANNA, channel_id=BRIDGE, numbers=tuple(normalize(n) for n in numbers), skipped=skipped)


def posted(slack: SlackState) -> list[str]:
    """Everything the bridge posted, oldest first (an uploaded file's share has no text)."""
    return [m.text for m in sorted(slack.messages.values(), key=lambda m: m.ts) if m.bot_id]


async def test_one_number_is_checked_at_once_and_posted(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    assert await hlr.start_hlr(ctx, hlr_request(PLUS))
    await run_jobs(ctx)

    assert posted(slack) == ["HLR +48 600 100 200: valid, Plus"]
    [check] = await rows(ctx, HlrCheck)
    assert (check.state, check.numbers) == ("done", ["48600100200"])


async def test_the_same_trigger_twice_is_checked_once(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    assert await hlr.start_hlr(ctx, hlr_request(PLUS))
    assert not await hlr.start_hlr(ctx, hlr_request(PLUS))
    await run_jobs(ctx)

    assert mprofi_calls(sim, "hlr/single") == 1
    assert len(posted(slack)) == 1


async def test_many_numbers_go_through_the_bulk_report_into_a_thread(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await hlr.start_hlr(ctx, hlr_request(PLUS, ORANGE, NOWHERE, skipped=(("12", "too short"),)))
    await run_jobs(ctx)  # uploads; the first look at the report waits HLR_POLL_FIRST_SECONDS
    assert mprofi_calls(sim, "hlr/download") == 0
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=1))  # the simulator has it ready

    [summary, file_share] = posted(slack)
    assert summary == "HLR check of 3 numbers: 2 valid, 1 not valid"  # the progress message, updated
    assert file_share == ""
    assert mprofi_calls(sim, "hlr/bulk") == 1
    [parent] = [m for m in slack.messages.values() if m.text == summary]
    assert "Not checked: 12 (too short)" in str(parent.blocks)
    [csv] = [f for f in slack.files.values() if f.thread_ts == parent.ts]
    assert csv.name == "hlr-report-1.csv"
    header, *lines = csv.content.decode().splitlines()
    assert header.startswith("msisdn,")
    assert [line.split(",")[0] for line in lines] == ["48600100200", "48500100200", "48400100200"]
    [check] = await rows(ctx, HlrCheck)
    assert check.state == "done"


async def test_a_report_not_ready_in_time_is_given_up_with_its_upload_id(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    sim.config.hlr_report_seconds = None  # never ready
    ctx.config = replace(ctx.config, hlr_report_timeout_seconds=0)
    await hlr.start_hlr(ctx, hlr_request(PLUS, ORANGE))
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=1))

    [check] = await rows(ctx, HlrCheck)
    assert check.state == "failed"
    assert posted(slack) == [f"HLR check of 2 numbers failed: {check.detail}"]
    assert check.detail is not None and f"upload id {check.upload_id}" in check.detail
    assert mprofi_calls(sim, "hlr/bulk") == 1


async def test_a_report_not_ready_yet_is_asked_for_again_later(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    sim.config.hlr_report_seconds = None  # ready only when the test says so
    await hlr.start_hlr(ctx, hlr_request(PLUS, ORANGE))
    await run_jobs(ctx)
    await run_jobs(ctx, now=utcnow() + timedelta(seconds=ctx.config.hlr_poll_first_seconds + 1))  # the first look: not ready

    [check] = await rows(ctx, HlrCheck)
    assert (check.state, check.polls) == ("waiting", 1)
    assert posted(slack)[0].startswith("HLR check of 2 numbers: waiting for mProfi's report")
    assert await run_jobs(ctx) == 0  # the next look is scheduled, not due yet

    assert check.upload_id is not None
    sim.finish_hlr(check.upload_id)
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=5))
    assert posted(slack)[0] == "HLR check of 2 numbers: 2 valid, 0 not valid"
    assert mprofi_calls(sim, "hlr/bulk") == 1


async def test_a_bulk_check_waits_for_its_report_in_one_line_of_looks(ctx: Context, sim: SimulatorState) -> None:
    sim.config.hlr_report_seconds = None
    await hlr.start_hlr(ctx, hlr_request(PLUS, ORANGE))
    await run_jobs(ctx)

    assert [job.kind for job in await waiting_jobs(ctx)] == ["hlr_run"]


async def test_a_refused_hlr_key_names_the_setting_to_check(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    sim.config.inactive_keys.add(sim.config.keys["hlr"])
    await hlr.start_hlr(ctx, hlr_request(PLUS))
    await run_jobs(ctx)

    assert posted(slack) == [
        "HLR check of +48 600 100 200 failed: mProfi refused the HLR key; an admin must check MPROFI_HLR_KEY (or MPROFI_API_KEY)."
    ]


async def test_an_unreachable_mprofi_is_asked_again_later_without_a_second_look_up(
    ctx: Context, sim: SimulatorState, slack: SlackState
) -> None:
    sim.queue_fault("hlr/single", "503")
    await hlr.start_hlr(ctx, hlr_request(PLUS))
    await run_jobs(ctx)
    assert posted(slack) == []

    await run_jobs(ctx, now=utcnow() + timedelta(minutes=5))
    assert posted(slack) == ["HLR +48 600 100 200: valid, Plus"]
    assert mprofi_calls(sim, "hlr/single") == 1  # the refused call was never counted


async def test_the_numbers_of_a_shared_csv_are_checked_in_its_thread(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    file = slack.share_file(ANNA, "numery.csv", b"600100200\n500100200\nnie numer\n", "text/csv")
    shared = person_posts(slack, BRIDGE, "sprawdź te numery", files=[file])
    await hlr.check_numbers_in_file(ctx, trigger_id="Ev-file", user_id=ANNA, channel_id=BRIDGE, thread_ts=shared.ts, file=file)
    await run_jobs(ctx, now=utcnow() + timedelta(minutes=1))

    [check] = await rows(ctx, HlrCheck)
    assert check.numbers == ["48600100200", "48500100200"]
    assert check.skipped == [["line 3: nie numer", "it contains letters"]]
    assert [m.text for m in slack.thread(BRIDGE, shared.ts)][1:] == ["HLR check of 2 numbers: 2 valid, 0 not valid", ""]


async def test_a_shared_file_with_no_numbers_is_answered_in_its_thread(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    file = slack.share_file(ANNA, "obrazek.png", bytes(range(256)), "image/png")
    shared = person_posts(slack, BRIDGE, files=[file])
    await hlr.check_numbers_in_file(ctx, trigger_id="Ev-file", user_id=ANNA, channel_id=BRIDGE, thread_ts=shared.ts, file=file)
    await run_jobs(ctx)

    assert await rows(ctx, HlrCheck) == []
    [answer] = slack.thread(BRIDGE, shared.ts)[1:]
    assert answer.text == "obrazek.png is not a text file; share a CSV with one number per line."
