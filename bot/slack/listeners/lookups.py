"""``/hlr`` and ``/survey``, and CSV files shared with the bot for a bulk HLR check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.bridge.models import HlrRequest, SurveyRequest
from bot.sms.command import HELP_WORDS, parse_recipients, split_numbers
from bot.sms.numbers import display, msisdn

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["register", "parse_survey_command", "SurveyUsage"]

HLR_HELP = (
    "Give the number(s) to check: /hlr 600100200, or several: /hlr 600100200 600100201. "
    "For a long list, share a CSV file (one number per line) in a channel and mention me in the message."
)
SURVEY_HELP = "Use /survey list, /survey show <id>, /survey start <id> <numbers…> or /survey report <id>."


class SurveyUsage(ValueError):
    """What is wrong with a ``/survey`` command, as one sentence."""


def parse_survey_command(text: str) -> tuple[str, int | None, tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(action, survey id, numbers as 48XXXXXXXXX, refused numbers) from ``/survey`` text."""
    words = text.split()
    if not words or words[0].lower() in HELP_WORDS:
        raise SurveyUsage(SURVEY_HELP)
    action = words[0].lower()
    if action not in ("list", "show", "start", "report"):
        raise SurveyUsage(f"“{words[0]}” is not something /survey does. {SURVEY_HELP}")
    if action == "list":
        return action, None, (), ()
    if len(words) < 2 or not words[1].isdigit():
        raise SurveyUsage(f"/survey {action} needs the survey's number, for example /survey {action} 3 (see /survey list).")
    survey_id = int(words[1])
    if action != "start":
        return action, survey_id, (), ()
    raw, leftover = split_numbers(" ".join(words[2:]))
    if leftover:
        raise SurveyUsage(f"“{leftover[:40]}” is not a phone number; /survey start {survey_id} takes only numbers.")
    if not raw:
        raise SurveyUsage(f"Give the number(s) to invite: /survey start {survey_id} 600100200 600100201.")
    recipients = parse_recipients(raw)
    if not recipients.valid:
        first, reason = recipients.refused[0]
        raise SurveyUsage(f"{first} is not a number that can take a survey: {reason}.")
    return action, survey_id, tuple(msisdn(n) for n in recipients.valid), recipients.refused


def register(app: AsyncApp, bridge: Bridge) -> None:
    @app.command("/hlr")
    async def on_hlr(ack: AsyncAck, command: dict[str, Any]) -> None:
        text = str(command.get("text") or "")
        if text.strip().lower() in HELP_WORDS:
            await ack(HLR_HELP)
            return
        raw, leftover = split_numbers(text)
        if leftover:
            await ack(f"“{leftover[:40]}” is not a phone number; /hlr takes only numbers. {HLR_HELP}")
            return
        numbers = parse_recipients(raw)
        if not numbers.valid:
            first, reason = numbers.refused[0]
            await ack(f"{first} is not a number that can be checked: {reason}.")
            return
        request = HlrRequest(
            trigger_id=f"command:{command.get('trigger_id') or command.get('response_url')}",
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            numbers=numbers.valid,
            skipped=numbers.refused,
            response_url=command.get("response_url"),
        )
        await bridge.start_hlr(request)
        what = display(numbers.valid[0]) if len(numbers.valid) == 1 else f"{len(numbers.valid):,} numbers"
        skipped = f" Not checked: {'; '.join(f'{r} ({why})' for r, why in numbers.refused[:10])}." if numbers.refused else ""
        await ack(f"Checking {what}; the answer will be posted in this channel.{skipped}")

    @app.command("/survey")
    async def on_survey(ack: AsyncAck, command: dict[str, Any]) -> None:
        try:
            action, survey_id, numbers, refused = parse_survey_command(str(command.get("text") or ""))
        except SurveyUsage as exc:
            await ack(str(exc))
            return
        await bridge.run_survey_command(
            SurveyRequest(
                action=action,
                survey_id=survey_id,
                numbers=numbers,
                user_id=str(command.get("user_id") or ""),
                channel_id=str(command.get("channel_id") or ""),
                response_url=command.get("response_url"),
            )
        )
        skipped = f" Not invited: {'; '.join(f'{r} ({why})' for r, why in refused[:10])}." if refused else ""
        doing = {
            "list": "Asking mProfi for the surveys…",
            "show": f"Asking mProfi about survey {survey_id}…",
            "start": f"Starting survey {survey_id} for {len(numbers)} number{'s' if len(numbers) != 1 else ''}…",
            "report": f"Fetching the report of survey {survey_id}; it will be posted in this channel.",
        }[action]
        await ack(doing + skipped)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any]) -> None:
        """A CSV file shared with a mention of the bot is a list of numbers to check."""
        files = event.get("files") or []
        if not files:
            return  # a plain mention; the same text also arrives as a message event
        await bridge.check_numbers_in_file(
            trigger_id=f"mention:{event.get('channel')}:{event.get('ts')}",
            user_id=str(event.get("user") or ""),
            channel_id=str(event.get("channel") or ""),
            thread_ts=str(event.get("thread_ts") or event.get("ts")),
            file=files[0],
        )
