"""``/survey``: list, show, start or report an mProfi SMS survey.

Reading the command is :func:`bot.sms.command.parse_survey_command`; the bridge asks
mProfi in a job and answers through the command's ``response_url``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.bridge.models import SurveyRequest
from bot.sms.command import SurveyUsage, describe_refused, parse_survey_command

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["register", "handle_survey"]


def register(app: AsyncApp, bridge: Bridge) -> None:
    app.command("/survey")(partial(handle_survey, bridge=bridge))


async def handle_survey(ack: AsyncAck, command: dict[str, Any], *, bridge: Bridge) -> None:
    """``/survey`` typed out: a usage sentence, or the work queued and what it will do said."""
    try:
        action, survey_id, numbers, refused = parse_survey_command(str(command.get("text") or ""))
    except SurveyUsage as exc:
        await ack(str(exc))
        return
    await bridge.start_survey_command(
        SurveyRequest(
            action=action,
            survey_id=survey_id,
            numbers=numbers,
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            response_url=command.get("response_url"),
        )
    )
    skipped = f" Not invited: {describe_refused(refused)}." if refused else ""
    doing = {
        "list": "Asking mProfi for the surveys…",
        "show": f"Asking mProfi about survey {survey_id}…",
        "start": f"Starting survey {survey_id} for {len(numbers)} number{'s' if len(numbers) != 1 else ''}…",
        "report": f"Fetching the report of survey {survey_id}; it will be posted in this channel.",
    }[action]
    await ack(doing + skipped)
