"""``/survey``: lists, details, start results, reports drawn as bars, and answers as they come.

Survey names, answers and numbers are mProfi's (or a respondent's) text: escaped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.blocks.hlr import digits_display
from bot.slack.blocks.markup import HEADER_LIMIT, WARSAW, clip, escape, fallback, plain_clip, sections

__all__ = [
    "UnnamedSurvey",
    "survey_list",
    "survey_detail",
    "survey_started",
    "survey_report",
    "survey_thread_parent",
    "survey_answer",
    "survey_unreadable",
]


@dataclass(frozen=True)
class UnnamedSurvey:
    """A survey known only by its id (mProfi did not say more)."""

    id: int
    name: str = ""
    active: bool = False
    start: datetime | None = None
    end: datetime | None = None


def _day(moment: datetime | None) -> str:
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y") if moment else "?"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def survey_list(surveys: list[Any]) -> dict[str, Any]:
    if not surveys:
        return {"text": "There are no surveys on this mProfi account."}
    lines = [
        f"*{s.id}* · {clip(escape(s.name), 100)} · {'active' if s.active else 'inactive'} · {_day(s.start)} → {_day(s.end)}"
        for s in surveys[:40]
    ]
    more = f"\n…and {len(surveys) - 40} more" if len(surveys) > 40 else ""
    body = "\n".join(lines) + more + "\n`/survey show &lt;id&gt;` for details, `/survey report &lt;id&gt;` to post the results."
    return {"text": f"{len(surveys)} surveys", "blocks": sections(body)}


def survey_detail(survey: Any) -> dict[str, Any]:
    number = digits_display(survey.msisdn) if getattr(survey, "msisdn", "") else "none"
    name = escape(survey.name)
    body = (
        f"*Survey {survey.id}: {name}*\n"
        f"{'Active' if survey.active else 'Not active'} · runs {_day(survey.start)} → {_day(survey.end)}\n"
        f"Answers come to {number} · {survey.participants} participant{'s' if survey.participants != 1 else ''} so far"
    )
    return {"text": fallback(f"Survey {survey.id}: {name}"), "blocks": [_section(body)]}


def survey_started(survey: Any, results: dict[str, str]) -> dict[str, Any]:
    started = [n for n, r in results.items() if r == "ok"]
    failed = [(n, r) for n, r in results.items() if r != "ok"]
    lines = [f"Survey {survey.id} ({escape(survey.name)}):"]
    if started:
        lines.append(
            f"started for {', '.join(digits_display(n) for n in started[:20])}"
            + (f" and {len(started) - 20} more" if len(started) > 20 else "")
        )
    for number, reason in failed[:20]:
        lines.append(f"not started for {digits_display(number)}: {escape(reason)}")
    return {"text": fallback("\n".join(lines))}


def _bar(count: int, total: int, width: int = 20) -> str:
    filled = round(width * count / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def survey_report(survey: Any, entries: list[Any], *, user_id: str | None) -> dict[str, Any]:
    """Participants, completion and, per question, the answers drawn as bars."""
    participants = len(entries)
    finished = sum(1 for e in entries if e.finished)
    share = f" ({round(100 * finished / participants)}%)" if participants else ""
    title = f"Survey {survey.id}" + (f": {survey.name}" if survey.name else "")
    who = f" · asked by <@{escape(user_id)}>" if user_id else ""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain_clip(f"📊 {title}", HEADER_LIMIT), "emoji": True}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"*{participants}* participants · *{finished}* completed{share}{who}"}],
        },
    ]
    questions = max((len(e.answers) for e in entries), default=0)
    for index in range(min(questions, 20)):
        answers = [e.answers[index].strip() for e in entries if len(e.answers) > index and e.answers[index].strip()]
        counts = Counter(a.lower() for a in answers)
        spelled = {a.lower(): a for a in answers}
        lines = [
            f"`{_bar(n, len(answers))}` {n} ({round(100 * n / len(answers))}%) {clip(escape(spelled[key]), 60)}"
            for key, n in counts.most_common(8)
        ]
        others = len(counts) - 8
        if others > 0:
            lines.append(f"…and {others} other answers")
        body = f"*Question {index + 1}* · {len(answers)} answered\n" + ("\n".join(lines) if lines else "_no answers yet_")
        blocks.append(_section(body))
    if not entries:
        blocks.append(_section("_Nobody has answered yet._"))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "The raw report is in the thread as a CSV file."}]})
    return {"text": fallback(f"{escape(title)}: {participants} participants, {finished} completed"), "blocks": blocks}


def survey_thread_parent(survey_id: int, name: str | None) -> dict[str, Any]:
    title = f"Survey {survey_id}" + (f": {name}" if name else "")
    return {
        "text": fallback(f"Answers to {escape(title)}"),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": plain_clip(f"📋 {title}", HEADER_LIMIT), "emoji": True}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Answers from mProfi appear in this thread as they come."}]},
        ],
    }


def survey_answer(msisdn_digits: str, answer: str) -> dict[str, Any]:
    number = digits_display(msisdn_digits)
    shown = clip(escape(answer), 2000)
    return {"text": fallback(f"{number} answered: {shown}"), "blocks": [_section(f"*{number}* answered: “{shown}”")]}


def survey_unreadable(notification_id: int, body: str) -> dict[str, Any]:
    shown = clip(escape(body[:300].replace("`", "'")), 2500)
    text = f":warning: mProfi sent a survey notification the bridge could not read; it is kept as #{notification_id}.\n```{shown or '(empty)'}```"
    return {"text": f"Unreadable survey notification #{notification_id}", "blocks": [_section(text)]}
