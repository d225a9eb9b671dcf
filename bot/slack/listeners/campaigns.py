"""Campaigns from a spreadsheet: the mention that starts one, the dry run's buttons and
the form that schedules it. Each acks at once and hands the rest to the bridge; only
people who may send SMS from the channel may start or press anything."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.bridge.formatting import command_for_phone
from bot.i18n import _
from bot.slack.blocks.campaigns import (
    CAMPAIGN_CANCEL,
    CAMPAIGN_HLR,
    CAMPAIGN_PLAIN,
    CAMPAIGN_RESULTS,
    CAMPAIGN_SCHEDULE,
    CAMPAIGN_SCHEDULE_FORM,
    CAMPAIGN_SEND,
    schedule_form,
)

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = [
    "register",
    "is_campaign",
    "asks_for_campaign",
    "handle_campaign_mention",
    "handle_campaign_without_file",
    "handle_campaign_button",
    "handle_schedule_button",
    "handle_schedule_form",
]

_WORD = re.compile(r"\b(campaign|kampania)\b[\s:;,.!\-–—]*", re.IGNORECASE)  # the word, and the punctuation after it
_FIRST_WORD = re.compile(r"^(?:\s*<@[^>]+>)*\s*(campaign|kampania)\b", re.IGNORECASE)  # "@app kampania…"


def register(app: AsyncApp, bridge: Bridge) -> None:
    button = partial(handle_campaign_button, bridge=bridge)
    for action_id in (CAMPAIGN_SEND, CAMPAIGN_PLAIN, CAMPAIGN_HLR, CAMPAIGN_CANCEL, CAMPAIGN_RESULTS):
        app.action(action_id)(button)
    app.action(CAMPAIGN_SCHEDULE)(partial(handle_schedule_button, bridge=bridge))
    app.view(CAMPAIGN_SCHEDULE_FORM)(partial(handle_schedule_form, bridge=bridge))


def is_campaign(text: str) -> bool:
    """A mention with the word campaign (or kampania): a CSV beside it is a campaign."""
    return _WORD.search(text) is not None


def asks_for_campaign(text: str) -> bool:
    """A mention that starts with the word campaign: with no file, it needs an answer."""
    return _FIRST_WORD.match(text) is not None


async def handle_campaign_without_file(event: dict[str, Any], *, bridge: Bridge) -> None:
    """``@mProfi kampania …`` with no file: one sentence, privately, saying how."""
    text = _("Share the CSV in the same message as the mention: “@mProfi campaign Dzień dobry {first_name}…” with the file attached.")
    await bridge.tell_privately(channel_id=str(event.get("channel") or ""), user_id=str(event.get("user") or ""), text=text)


async def handle_campaign_mention(event: dict[str, Any], file: dict[str, Any], *, bridge: Bridge) -> None:
    """``@mProfi kampania Dzień dobry {imię}…`` with a CSV: a dry run in the file's thread."""
    user, channel = str(event.get("user") or ""), str(event.get("channel") or "")
    refusal = bridge.may_send(user_id=user, channel_id=channel)
    if refusal:
        await bridge.tell_privately(channel_id=channel, user_id=user, text=refusal)
        return
    text = str(event.get("text") or "")
    found = _WORD.search(text)
    # What was typed after the word, as the phone should read it: Slack's escapes and markup
    # (a mention, a link, *bold*) turned into the plain words meant, as for /sms.
    typed = (await command_for_phone(text[found.end() :], bridge.directory)).sent.lstrip(":;,.!-–— ") if found else ""
    await bridge.campaigns.start(
        trigger_id=f"mention:{channel}:{event.get('ts')}",
        user_id=user,
        channel_id=channel,
        thread_ts=str(event.get("thread_ts") or event.get("ts")),
        file=file,
        typed=typed,
    )


def _value(action: dict[str, Any]) -> tuple[str, bool | None]:
    """A button's campaign id, and how the message showed its texts (``id:plain``/``id:utf``;
    None for a message drawn before buttons carried it)."""
    campaign, _sep, shown = str(action.get("value") or "").partition(":")
    return campaign, _shown(shown)


def _shown(version: str) -> bool | None:
    return {"plain": True, "utf": False}.get(version)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    return str((body.get("user") or {}).get("id") or ""), str((body.get("channel") or {}).get("id") or "")


async def handle_campaign_button(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, *, bridge: Bridge
) -> None:
    """Send, Remove Polish letters, Check numbers first, Cancel, Results CSV."""
    await ack()
    value, shown_plain = _value(action)
    if not value.isdigit():
        return
    user, channel = _who(body)
    answer = bridge.may_send(user_id=user, channel_id=channel)
    if answer is None:
        campaigns = bridge.campaigns
        action_id = action.get("action_id")
        if action_id == CAMPAIGN_SEND:
            answer = await campaigns.send(int(value), user_id=user, shown_plain=shown_plain)
        elif action_id == CAMPAIGN_PLAIN:
            answer = await campaigns.toggle_plain(int(value), user_id=user, shown_plain=shown_plain)
        elif action_id == CAMPAIGN_HLR:
            answer = await campaigns.check_numbers(int(value), user_id=user)
        elif action_id == CAMPAIGN_CANCEL:
            answer = await campaigns.cancel(int(value), user_id=user)
        else:
            answer = await campaigns.results(int(value), user_id=user)
    if answer:
        await respond(text=answer, response_type="ephemeral", replace_original=False)


async def handle_schedule_button(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, *, bridge: Bridge
) -> None:
    """*Schedule…*: the form that asks when (opened first: ``trigger_id`` lasts 3 seconds)."""
    await ack()
    value, _shown_plain = _value(action)
    shown = str(action.get("value") or "").partition(":")[2]
    user, channel = _who(body)
    refusal = bridge.may_send(user_id=user, channel_id=channel)
    if refusal or not value.isdigit():
        if refusal:
            await respond(text=refusal, response_type="ephemeral", replace_original=False)
        return
    await client.views_open(trigger_id=body["trigger_id"], view=schedule_form(campaign_id=int(value), channel_id=channel, shown=shown))


async def handle_schedule_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], *, bridge: Bridge) -> None:
    """The time chosen: refused beside the field (past, quiet hours, over the hourly limit,
    already sent), or the campaign goes then."""
    user = str((body.get("user") or {}).get("id") or "")
    campaign, _sep, rest = str(view.get("private_metadata") or "").partition("|")
    channel, _sep, shown = rest.partition("|")
    picked = (((view.get("state") or {}).get("values") or {}).get("when") or {}).get("value") or {}
    stamp = picked.get("selected_date_time")
    if not campaign.isdigit() or stamp is None:
        await ack(response_action="errors", errors={"when": _("Pick the day and time the campaign goes.")})
        return
    send_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    refusal = bridge.may_send(user_id=user, channel_id=channel) or bridge.campaigns.schedule_refusal(send_at)
    if refusal:
        await ack(response_action="errors", errors={"when": refusal})
        return
    went, answer = await bridge.campaigns.schedule(int(campaign), user_id=user, send_at=send_at, shown_plain=_shown(shown))
    if not went:
        await ack(response_action="errors", errors={"when": answer})
        return
    await ack()
    await bridge.tell_privately(channel_id=channel, user_id=user, text=answer)
