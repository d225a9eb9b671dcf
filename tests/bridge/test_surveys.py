"""``/survey`` and mProfi's survey notifications, posted where the team talks."""

from __future__ import annotations

import json
from typing import Any

from bot.bridge import surveys
from bot.bridge.context import Context
from bot.bridge.models import SurveyRequest
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackState
from storage.models import OptOut, SurveyNotification, SurveyThread

from .queue import run_jobs
from .steps import ANNA, BRIDGE, mprofi_calls, rows

# The simulator's account holds survey 1 (active, four participants) and survey 2 (archived).


def survey(action: str, survey_id: int | None = None, *numbers: str, response_url: str | None = None) -> SurveyRequest:
    """A checked ``/survey`` typed by Anna in the bridge's channel."""
    return SurveyRequest(action=action, user_id=ANNA, channel_id=BRIDGE, survey_id=survey_id, numbers=numbers, response_url=response_url)


def top_level(slack: SlackState) -> list[str]:
    """Messages in the channel itself (not in threads)."""
    return [m.text for m in slack.top_level(BRIDGE)]


async def notify(ctx: Context, data: Any) -> tuple[int, str]:
    """mProfi calls /mprofi/surveys with a JSON body."""
    return await surveys.receive_survey_notification(ctx, content_type="application/json", body=json.dumps(data).encode(), data=data)


async def test_list_answers_the_person_privately(ctx: Context, slack: SlackState) -> None:
    await surveys.start_survey_command(ctx, survey("list"))
    await run_jobs(ctx)

    [told] = slack.ephemeral
    assert (told["user"], told["text"]) == (ANNA, "2 surveys")
    assert "Zadowolenie klienta" in str(told["blocks"])
    assert top_level(slack) == []


async def test_show_answers_through_the_response_url_when_there_is_one(ctx: Context, slack: SlackState) -> None:
    await surveys.start_survey_command(ctx, survey("show", 1, response_url=slack.config.public_url + "/hooks/survey"))
    await run_jobs(ctx)

    [(_, answer)] = slack.hooks
    assert answer["text"] == "Survey 1: Zadowolenie klienta"
    assert slack.ephemeral == []


async def test_a_survey_that_does_not_exist_is_said_so(ctx: Context, slack: SlackState) -> None:
    await surveys.start_survey_command(ctx, survey("show", 99))
    await run_jobs(ctx)

    [told] = slack.ephemeral
    assert told["text"] == "There is no survey 99; /survey list shows the surveys there are."


async def test_start_reports_each_number_and_starts_none_twice(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await surveys.start_survey_command(ctx, survey("start", 1, "48600100290", "48600100291"))
    await run_jobs(ctx)

    assert mprofi_calls(sim, "surveys/1/start") == 2
    assert {"48600100290", "48600100291"} <= set(sim.surveys[1].responses)
    [told] = slack.ephemeral
    assert told["text"] == "Survey 1 (Zadowolenie klienta):\nstarted for +48 600 100 290, +48 600 100 291"


async def test_a_survey_that_is_not_active_is_not_started(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    await surveys.start_survey_command(ctx, survey("start", 2, "48600100290"))
    await run_jobs(ctx)

    [told] = slack.ephemeral
    assert told["text"] == (
        "Survey 2 (Ankieta archiwalna):\nnot started for +48 600 100 290: mProfi refused the request: ERR000 Ankieta jest nieaktywna."
    )


async def test_report_posts_a_summary_and_the_raw_csv_in_its_thread(ctx: Context, slack: SlackState) -> None:
    await surveys.start_survey_command(ctx, survey("report", 1, response_url=slack.config.public_url + "/hooks/report"))
    await run_jobs(ctx)

    assert top_level(slack) == ["Survey 1: Zadowolenie klienta: 4 participants, 3 completed"]
    [summary] = slack.top_level(BRIDGE)
    [csv] = [f for f in slack.files.values() if f.thread_ts == summary.ts]
    header, *lines = csv.content.decode().splitlines()
    assert header == "msisdn,finished,answer_1,answer_2,answer_3"
    assert len(lines) == 4
    [(_, answer)] = slack.hooks
    assert answer["text"] == "The report of survey 1 is posted in the channel."


async def test_answers_go_into_one_thread_per_survey(ctx: Context, slack: SlackState) -> None:
    assert (await notify(ctx, {"survey_id": 1, "msisdn": "48600100200", "answer": "tak"}))[1] == "answer"
    await notify(ctx, {"survey_id": 1, "msisdn": "48600100201", "answer": "nie"})
    await run_jobs(ctx)

    assert top_level(slack) == ["Answers to Survey 1: Zadowolenie klienta"]
    [parent] = slack.top_level(BRIDGE)
    assert [m.text for m in slack.thread(BRIDGE, parent.ts)][1:] == [
        "+48 600 100 200 answered: tak",
        "+48 600 100 201 answered: nie",
    ]
    [thread] = await rows(ctx, SurveyThread)
    assert (thread.survey_id, thread.thread_ts) == (1, parent.ts)


async def test_an_end_of_survey_report_is_posted_like_a_report(ctx: Context, slack: SlackState) -> None:
    data = {"survey_id": 1, "report": [{"msisdn": "48600100200", "answers": ["tak", "5"], "finished": "2026-11-02T11:00:00"}]}
    assert (await notify(ctx, data))[1] == "report"
    await run_jobs(ctx)

    assert top_level(slack) == ["Survey 1: Zadowolenie klienta: 1 participants, 1 completed"]


async def test_a_notification_that_cannot_be_read_is_kept_and_posted_as_it_came(ctx: Context, slack: SlackState) -> None:
    stored, kind = await notify(ctx, {"hello": "world"})
    assert kind == "unreadable"
    await run_jobs(ctx)

    assert top_level(slack) == [f"Unreadable survey notification #{stored}"]
    [notification] = await rows(ctx, SurveyNotification)
    assert (notification.body, notification.slack_ts) == ('{"hello": "world"}', slack.top_level(BRIDGE)[0].ts)


def test_what_a_notification_is_read_as() -> None:
    assert surveys.read_notification({"Survey": "7", "Phone": "+48 600 100 200", "Text": "tak"}) == (
        "answer",
        7,
        "48600100200",
        "tak",
        None,
    )
    assert surveys.read_notification([1, 2]) == ("unreadable", None, None, None, None)
    assert surveys.read_notification("plain") == ("unreadable", None, None, None, None)


async def test_a_number_that_texted_stop_is_not_invited(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    """An invitation is an SMS: the opt-out rule holds for surveys too."""
    async with ctx.sessions() as session, session.begin():
        session.add(OptOut(phone="+48600100290", word="STOP"))
    await surveys.start_survey_command(ctx, survey("start", 1, "48600100290", "48600100291"))
    await run_jobs(ctx)

    assert mprofi_calls(sim, "surveys/1/start") == 1
    assert "48600100290" not in sim.surveys[1].responses
    [told] = slack.ephemeral
    assert "not invited: it texted STOP" in str(told)


def test_a_report_keeps_formula_like_answers_as_words() -> None:
    from bot.mprofi.models import SurveyReportEntry

    content = surveys.report_csv([SurveyReportEntry(msisdn="48600100200", answers=('=HYPERLINK("x")', "5"), finished=None)])
    assert content.decode().splitlines()[1] == '48600100200,,"\'=HYPERLINK(""x"")",5'
