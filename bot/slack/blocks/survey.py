"""``/survey``: lists, details, start results, reports drawn as bars, and answers as they come.

Survey names, answers and numbers are mProfi's (or a respondent's) text: escaped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.i18n import _, ngettext, pgettext
from bot.slack.blocks.hlr import digits_display
from bot.slack.blocks.markup import HEADER_LIMIT, clip, escape, fallback, plain_clip, sections

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


def _day(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m.%Y") if moment else "?"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def survey_list(surveys: list[Any], *, zone: tzinfo) -> dict[str, Any]:
    """The account's surveys, each with the days it runs (in ``zone``)."""
    if not surveys:
        return {"text": _("There are no surveys on this mProfi account.")}
    active, inactive = pgettext("survey", "active"), pgettext("survey", "inactive")
    lines = [
        f"*{s.id}* · {clip(escape(s.name), 100)} · {active if s.active else inactive} · {_day(s.start, zone)} → {_day(s.end, zone)}"
        for s in surveys[:40]
    ]
    more = "\n" + _("…and {n} more").format(n=len(surveys) - 40) if len(surveys) > 40 else ""
    how = _("{show} for details, {report} to post the results.").format(
        show="`/survey show &lt;id&gt;`", report="`/survey report &lt;id&gt;`"
    )
    body = "\n".join(lines) + more + "\n" + how
    # English has always said "surveys" here, even for one: the singular is kept as it was.
    count = ngettext("{n} surveys", "{n} surveys", len(surveys)).format(n=len(surveys))
    return {"text": count, "blocks": sections(body)}


def survey_detail(survey: Any, *, zone: tzinfo) -> dict[str, Any]:
    number = digits_display(survey.msisdn) if getattr(survey, "msisdn", "") else pgettext("survey number", "none")
    name = escape(survey.name)
    runs = _("Active · runs {start} → {end}") if survey.active else _("Not active · runs {start} → {end}")
    answers = ngettext(
        "Answers come to {number} · {n} participant so far", "Answers come to {number} · {n} participants so far", survey.participants
    )
    body = (
        "*"
        + _("Survey {id}: {name}").format(id=survey.id, name=name)
        + "*\n"
        + runs.format(start=_day(survey.start, zone), end=_day(survey.end, zone))
        + "\n"
        + answers.format(number=number, n=survey.participants)
    )
    return {"text": fallback(_("Survey {id}: {name}").format(id=survey.id, name=name)), "blocks": [_section(body)]}


def survey_started(survey: Any, results: dict[str, str]) -> dict[str, Any]:
    started = [n for n, r in results.items() if r == "ok"]
    failed = [(n, r) for n, r in results.items() if r != "ok"]
    lines = [_("Survey {id} ({name}):").format(id=survey.id, name=escape(survey.name))]
    if started:
        numbers = ", ".join(digits_display(n) for n in started[:20])
        if len(started) > 20:
            lines.append(_("started for {numbers} and {n} more").format(numbers=numbers, n=len(started) - 20))
        else:
            lines.append(_("started for {numbers}").format(numbers=numbers))
    for number, reason in failed[:20]:
        lines.append(_("not started for {number}: {reason}").format(number=digits_display(number), reason=escape(reason)))
    return {"text": fallback("\n".join(lines))}


def _bar(count: int, total: int, width: int = 20) -> str:
    filled = round(width * count / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def survey_report(survey: Any, entries: list[Any], *, user_id: str | None) -> dict[str, Any]:
    """Participants, completion and, per question, the answers drawn as bars."""
    participants = len(entries)
    finished = sum(1 for e in entries if e.finished)
    title = _title(survey.id, survey.name)
    who = " · " + _("asked by {user}").format(user=f"<@{escape(user_id)}>") if user_id else ""
    # English has always said "participants" here, even for one: the singular is kept as it was.
    if participants:
        summary = ngettext(
            "*{n}* participants · *{finished}* completed ({percent}%)",
            "*{n}* participants · *{finished}* completed ({percent}%)",
            participants,
        ).format(n=participants, finished=finished, percent=round(100 * finished / participants))
    else:
        summary = ngettext("*{n}* participants · *{finished}* completed", "*{n}* participants · *{finished}* completed", 0).format(
            n=0, finished=finished
        )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain_clip(f"📊 {title}", HEADER_LIMIT), "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": summary + who}]},
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
            # English has always said "answers" here, even for one: the singular is kept as it was.
            lines.append(ngettext("…and {n} other answers", "…and {n} other answers", others).format(n=others))
        head = _("*Question {number}* · {n} answered").format(number=index + 1, n=len(answers))
        blocks.append(_section(head + "\n" + ("\n".join(lines) if lines else _("_no answers yet_"))))
    if not entries:
        blocks.append(_section(_("_Nobody has answered yet._")))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _("The raw report is in the thread as a CSV file.")}]})
    plain = ngettext("{title}: {n} participants, {finished} completed", "{title}: {n} participants, {finished} completed", participants)
    return {"text": fallback(plain.format(title=escape(title), n=participants, finished=finished)), "blocks": blocks}


def _title(survey_id: int, name: str | None) -> str:
    """``Survey 7: name`` (not escaped: a header's plain_text shows it as typed)."""
    return _("Survey {id}: {name}").format(id=survey_id, name=name) if name else _("Survey {id}").format(id=survey_id)


def survey_thread_parent(survey_id: int, name: str | None) -> dict[str, Any]:
    title = _title(survey_id, name)
    return {
        "text": fallback(_("Answers to {title}").format(title=escape(title))),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": plain_clip(f"📋 {title}", HEADER_LIMIT), "emoji": True}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _("Answers from mProfi appear in this thread as they come.")}]},
        ],
    }


def survey_answer(msisdn_digits: str, answer: str) -> dict[str, Any]:
    number = digits_display(msisdn_digits)
    shown = clip(escape(answer), 2000)
    return {
        "text": fallback(_("{number} answered: {answer}").format(number=number, answer=shown)),
        "blocks": [_section(_("*{number}* answered: “{answer}”").format(number=number, answer=shown))],
    }


def survey_unreadable(notification_id: int, body: str) -> dict[str, Any]:
    shown = clip(escape(body[:300].replace("`", "'")), 2500)
    said = _("mProfi sent a survey notification the bridge could not read; it is kept as #{id}.").format(id=notification_id)
    text = f":warning: {said}\n```" + (shown or _("(empty)")) + "```"
    return {"text": _("Unreadable survey notification #{id}").format(id=notification_id), "blocks": [_section(text)]}
