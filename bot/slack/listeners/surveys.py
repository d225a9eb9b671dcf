"""``/survey``: list, show, start or report an mProfi SMS survey.

Reading the command is :func:`bot.sms.command.parse_survey_command`; the bridge asks
mProfi in a job and answers through the command's ``response_url``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.bridge.models import SurveyRequest
from bot.i18n import _, ngettext
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
    if action == "start":  # invitations are SMS: the same people and channels as /sms may spend on them
        refusal = bridge.may_send(user_id=str(command.get("user_id") or ""), channel_id=str(command.get("channel_id") or ""))
        if refusal:
            await ack(refusal)
            return
    held = await bridge.start_survey_command(
        SurveyRequest(
            action=action,
            survey_id=survey_id,
            numbers=numbers,
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            response_url=command.get("response_url"),
        )
    )
    if held is not None:  # a start inside QUIET_HOURS: its sender chooses when
        await ack(**held)
        return
    skipped = " " + _("Not invited: {numbers}.").format(numbers=describe_refused(refused)) if refused else ""
    if action == "list":
        doing = _("Asking mProfi for the surveys…")
    elif action == "show":
        doing = _("Asking mProfi about survey {survey}…").format(survey=survey_id)
    elif action == "start":
        doing = ngettext("Starting survey {survey} for {n} number…", "Starting survey {survey} for {n} numbers…", len(numbers))
        doing = doing.format(survey=survey_id, n=len(numbers))
    else:
        doing = _("Fetching the report of survey {survey}; it will be posted in this channel.").format(survey=survey_id)
    await ack(doing + skipped)
