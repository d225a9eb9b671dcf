"""``/hlr`` and ``/survey`` end to end, and mProfi's survey notifications."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from tests.support import StackFactory

GENERAL = "C0GENERAL"


async def command(stack: SandboxStack, name: str, text: str, **kwargs: Any) -> tuple[str, str]:
    response, hook = await stack.slack.run_command(name, text, **kwargs)
    assert response.status_code == 200
    return response.text, hook


def posted(stack: SandboxStack, channel: str, fragment: str) -> list[object]:
    return [m for m in stack.slack.messages.values() if m.channel == channel and fragment in (m.text + str(m.blocks))]


async def test_hlr_of_one_number_is_answered_in_the_channel_in_plain_words(stack: SandboxStack) -> None:
    answer, _ = await command(stack, "/hlr", "600 100 200")
    assert answer == "Checking +48 600 100 200; the answer will be posted in this channel."
    result = await stack.until(lambda: posted(stack, GENERAL, "HLR +48 600 100 200"), what="the HLR answer")
    text = str(result[0].blocks)
    for fragment in (":large_green_circle: valid", "network *Plus*", "Poland", "MCC 260 / MNC 01", "asked by <@U0ANNA>"):
        assert fragment in text
    assert "{" not in result[0].text  # not raw JSON
    assert [r for r in stack.sim.requests if r[0] == "/1.0/hlr/single/"]


async def test_hlr_of_several_numbers_runs_a_bulk_check_with_progress_summary_and_csv(make_stack: StackFactory) -> None:
    async with make_stack(settings={"hlr_poll_first_seconds": 0.1, "hlr_poll_max_seconds": 0.2}) as stack:
        stack.sim.config.hlr_report_seconds = 0.5
        answer, _ = await command(stack, "/hlr", "600100200 500100200 700100200 12345")
        assert (
            answer
            == "Checking 3 numbers; the answer will be posted in this channel. Not checked: 12345 (it has 5 digits, at least 9 are needed)."
        )
        summary = await stack.until(lambda: posted(stack, GENERAL, "3* numbers for <@U0ANNA>: *3* valid"), timeout=15, what="the summary")
        text = str(summary[0].blocks)
        assert "By network:" in text and "Plus 1" in text and "Orange Polska 1" in text and "Play 1" in text
        assert summary[0].edits >= 2  # uploading → waiting → summary, in place
        report = (await stack.until(lambda: [f for f in stack.slack.files.values() if f.name.startswith("hlr-report") and f.share_ts]))[0]
        assert report.thread_ts == summary[0].ts
        assert report.content.decode().splitlines()[0].startswith("msisdn,")
        assert len(report.content.decode().splitlines()) == 4
        assert len([r for r in stack.sim.requests if r[0] == "/1.0/hlr/bulk/"]) == 1


async def test_a_csv_shared_with_the_bot_is_cleaned_checked_and_reported_in_its_thread(stack: SandboxStack) -> None:
    content = b"msisdn\n+48 600 100 200\n\n600100201\n48600100202\n600100200\nnot a number\n"
    file = stack.slack.share_file("U0ANNA", "numbers.csv", content, "text/csv")
    message, response = await stack.slack.user_mentions_bot(GENERAL, "U0ANNA", "check these please", files=[file])
    assert response.status_code == 200
    summary = await stack.until(lambda: posted(stack, GENERAL, "HLR check of *3* numbers"), timeout=15, what="the summary")
    assert summary[0].thread_ts == message.ts
    text = str(summary[0].blocks)
    assert "line 1: msisdn (it contains letters)" in text and "line 7: not a number (it contains letters)" in text
    upload = (await stack.until(lambda: [f for f in stack.slack.files.values() if f.name.startswith("hlr-report") and f.share_ts]))[0]
    assert upload.thread_ts == message.ts
    assert stack.slack.downloads == [(file["id"], True)]


async def test_hlr_problems_are_one_sentence(make_stack: StackFactory) -> None:
    async with make_stack(
        settings={"hlr_poll_first_seconds": 0.05, "hlr_poll_max_seconds": 0.1, "hlr_report_timeout_seconds": 0.5}
    ) as stack:
        answer, _ = await command(stack, "/hlr", "")
        assert answer.startswith("Give the number(s) to check: /hlr 600100200")
        answer, _ = await command(stack, "/hlr", "12345")
        assert answer == "12345 is not a number that can be checked: it has 5 digits, at least 9 are needed."
        answer, _ = await command(stack, "/hlr", "600100200 please")
        assert answer.startswith("“please” is not a phone number; /hlr takes only numbers.")

        stack.sim.config.hlr_report_seconds = None  # the report never becomes ready
        await command(stack, "/hlr", "600100200 600100201")
        late = await stack.until(lambda: posted(stack, GENERAL, "was not ready after"), timeout=15, what="the time limit")
        assert "did not finish" in str(late[0].blocks)

        stack.sim.config.keys["hlr"] = "9" * 32  # the configured key is now refused
        await command(stack, "/hlr", "600100300")
        refused = await stack.until(lambda: posted(stack, GENERAL, "MPROFI_HLR_KEY"), what="the key refusal")
        assert "mProfi refused the HLR key" in refused[0].text


async def test_survey_list_and_show_answer_privately(stack: SandboxStack) -> None:
    answer, hook = await command(stack, "/survey", "list")
    assert answer == "Asking mProfi for the surveys…"
    listed = await stack.until(lambda: stack.slack.hook_posts(hook), what="the list")
    text = str(listed[0]["blocks"])
    assert "*1* · Zadowolenie klienta · active" in text and "*2* · Ankieta archiwalna · inactive" in text
    _, hook = await command(stack, "/survey", "show 1")
    shown = await stack.until(lambda: stack.slack.hook_posts(hook), what="the details")
    text = str(shown[0]["blocks"])
    assert "Survey 1: Zadowolenie klienta" in text and "Active" in text and "4 participants" in text and "+48 664 400 100" in text


async def test_survey_start_reports_each_number(stack: SandboxStack) -> None:
    answer, hook = await command(stack, "/survey", "start 1 600100300, 600 100 301 123")
    assert answer.startswith("Starting survey 1 for 2 numbers…") and "Not invited: 123" in answer
    result = await stack.until(lambda: stack.slack.hook_posts(hook), what="the result")
    assert "started for +48 600 100 300, +48 600 100 301" in result[0]["text"]
    assert {"48600100300", "48600100301"} <= set(stack.sim.surveys[1].responses)
    _, hook = await command(stack, "/survey", "start 2 600100300")
    refused = await stack.until(lambda: stack.slack.hook_posts(hook))
    assert (
        "not started for +48 600 100 300: mProfi refused the request" in refused[0]["text"]
        and "Ankieta jest nieaktywna" in refused[0]["text"]
    )


async def test_survey_report_is_posted_to_the_channel_with_bars_and_a_csv(stack: SandboxStack) -> None:
    answer, hook = await command(stack, "/survey", "report 1")
    assert answer == "Fetching the report of survey 1; it will be posted in this channel."
    report = await stack.until(lambda: posted(stack, GENERAL, "📊 Survey 1: Zadowolenie klienta"), what="the report")
    text = str(report[0].blocks)
    assert "*4* participants · *3* completed (75%)" in text
    assert "*Question 1* · 4 answered" in text and "███████████████░░░░░` 3 (75%) tak" in text
    assert "*Question 2* · 3 answered" in text
    csv_file = await stack.until(lambda: [f for f in stack.slack.files.values() if f.name == "survey-1-report.csv" and f.share_ts])
    assert csv_file[0].thread_ts == report[0].ts
    assert csv_file[0].content.decode().splitlines()[0] == "msisdn,finished,answer_1,answer_2,answer_3"
    told = await stack.until(lambda: stack.slack.hook_posts(hook))
    assert told[0]["text"] == "The report of survey 1 is posted in the channel."


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("", "Use /survey list, /survey show <id>"),
        ("delete 1", "“delete” is not something /survey does."),
        ("show", "/survey show needs the survey's number, for example /survey show 3"),
        ("start 1", "Give the number(s) to invite: /survey start 1 600100200 600100201."),
        ("start 1 12345", "12345 is not a number that can take a survey: it has 5 digits"),
    ],
)
async def test_survey_usage_mistakes_get_one_sentence(stack: SandboxStack, text: str, sentence: str) -> None:
    answer, _ = await command(stack, "/survey", text)
    assert answer.startswith(sentence)


async def test_an_unknown_survey_is_named(stack: SandboxStack) -> None:
    _, hook = await command(stack, "/survey", "report 99")
    reply = await stack.until(lambda: stack.slack.hook_posts(hook))
    assert reply[0]["text"] == "There is no survey 99; /survey list shows the surveys there are."


async def post_survey(stack: SandboxStack, **kwargs: Any) -> dict[str, Any]:
    response = await stack.http.post(stack.app_url + f"/mprofi/surveys?token={WEBHOOK_TOKEN}", **kwargs)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_survey_answers_go_into_one_thread_per_survey_json_or_form(stack: SandboxStack) -> None:
    first = await post_survey(stack, json={"survey_id": 1, "msisdn": "48600100200", "answer": "tak"})
    second = await post_survey(stack, data={"survey_id": "1", "msisdn": "48600100201", "answer": "nie"})
    assert first["kind"] == second["kind"] == "answer"
    parent = await stack.until(lambda: posted(stack, stack.channel, "📋 Survey 1: Zadowolenie klienta"), what="the survey thread")
    replies = await stack.until(
        lambda: len(stack.slack.thread(stack.channel, parent[0].ts)) == 3 and stack.slack.thread(stack.channel, parent[0].ts)
    )
    assert [m.text for m in replies[1:]] == ["+48 600 100 200 answered: tak", "+48 600 100 201 answered: nie"]
    await post_survey(stack, json={"survey_id": 1, "msisdn": "48600100202", "answer": "5"})
    await stack.until(lambda: len(stack.slack.thread(stack.channel, parent[0].ts)) == 4)
    assert len(posted(stack, stack.channel, "📋 Survey 1")) == 1


async def test_an_end_of_survey_report_is_posted_like_survey_report(stack: SandboxStack) -> None:
    body = {
        "survey_id": 1,
        "report": [
            {"msisdn": "48600100200", "answers": ["tak", "5"], "finished": "2026-11-20T10:00:00"},
            {"msisdn": "48600100201", "answers": ["nie"], "finished": None},
        ],
    }
    assert (await post_survey(stack, json=body))["kind"] == "report"
    report = await stack.until(lambda: posted(stack, stack.channel, "📊 Survey 1"), what="the report")
    assert "*2* participants · *1* completed (50%)" in str(report[0].blocks)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": b"\x00\xffgarbage{", "headers": {"Content-Type": "application/octet-stream"}},
        {"content": b"{broken json", "headers": {"Content-Type": "application/json"}},
        {"content": b"[1, 2, 3]", "headers": {"Content-Type": "application/json"}},
        {"content": b"", "headers": {"Content-Type": "text/plain"}},
        {"data": {"unexpected": "field"}},
    ],
)
async def test_unreadable_survey_notifications_are_kept_and_shown_never_500(stack: SandboxStack, kwargs: dict[str, object]) -> None:
    answer = await post_survey(stack, **kwargs)
    assert answer["kind"] == "unreadable" and isinstance(answer["id"], int)
    shown = await stack.until(lambda: posted(stack, stack.channel, f"kept as #{answer['id']}"), what="the notice")
    assert shown


async def test_the_survey_webhook_needs_the_token(stack: SandboxStack) -> None:
    response = await stack.http.post(stack.app_url + "/mprofi/surveys", json={"survey_id": 1})
    assert response.status_code == 401
    await stack.drain()
    assert posted(stack, stack.channel, "Survey") == []
