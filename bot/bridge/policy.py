"""Who may spend money: the checks every SMS passes before it is queued.

A person and a channel must be allowed, the hourly limits must hold, and a number
that texted STOP is never texted again. ``/sms`` and thread replies ask the same
questions here, so the rule is written once.
"""

from __future__ import annotations

from datetime import timedelta

from bot.bridge.context import BridgeConfig, Context
from bot.i18n import _, figure, ngettext
from bot.sms.numbers import PhoneE164, display
from storage import sending
from storage.models import OptOut, utcnow

__all__ = ["may_send", "over_limit", "opted_out", "opted_out_among", "opt_out_sentence"]

opted_out_among = sending.opted_out_among


def may_send(config: BridgeConfig, *, user_id: str, channel_id: str) -> str | None:
    """Why this person may not send SMS from this channel, or None when they may."""
    if config.allowed_users and user_id not in config.allowed_users:
        return _("Sorry, you are not on the list of people who may send SMS from Slack; ask an admin to add you.")
    if config.allowed_channels and channel_id not in config.allowed_channels | config.conversation_channels:
        return _("Sorry, SMS cannot be sent from this channel; use one of the channels your admin allowed.")
    return None


async def over_limit(ctx: Context, *, user_id: str, channel_id: str, adding: int) -> str | None:
    """Why sending ``adding`` more SMS now would break a per-hour limit (0 = no limit), or None."""
    config = ctx.config
    if not config.user_limit_per_hour and not config.channel_limit_per_hour:
        return None
    since = utcnow() - timedelta(hours=1)
    async with ctx.sessions() as session:
        if config.user_limit_per_hour:
            sent = await sending.sent_by_user_since(session, user_id, since)
            if sent + adding > config.user_limit_per_hour:
                return ngettext(
                    "Not sent: this would make {count} SMS from you in an hour, and the limit is {limit} "
                    "(SMS_USER_LIMIT_PER_HOUR). Nothing was sent.",
                    "Not sent: this would make {count} SMS from you in an hour, and the limit is {limit} "
                    "(SMS_USER_LIMIT_PER_HOUR). Nothing was sent.",
                    sent + adding,
                ).format(count=figure(sent + adding), limit=figure(config.user_limit_per_hour))
        if config.channel_limit_per_hour:
            sent = await sending.sent_by_channel_since(session, channel_id, since)
            if sent + adding > config.channel_limit_per_hour:
                return ngettext(
                    "Not sent: this would make {count} SMS from this channel in an hour, and the limit is {limit} "
                    "(SMS_CHANNEL_LIMIT_PER_HOUR). Nothing was sent.",
                    "Not sent: this would make {count} SMS from this channel in an hour, and the limit is {limit} "
                    "(SMS_CHANNEL_LIMIT_PER_HOUR). Nothing was sent.",
                    sent + adding,
                ).format(count=figure(sent + adding), limit=figure(config.channel_limit_per_hour))
    return None


async def opted_out(ctx: Context, phone: str) -> str | None:
    """Why this number may not be texted (it texted STOP, or someone opted it out), or None."""
    async with ctx.sessions() as session:
        found = await sending.opt_out_of(session, phone)
    return opt_out_sentence(found) if found is not None else None


def opt_out_sentence(found: OptOut) -> str:
    """The one sentence a refused reply shows for an opt-out."""
    who = display(PhoneE164(found.phone))
    if found.by:
        return _("{number} was opted out by <@{user}> and is not sent to any more (until someone opts it back in).").format(
            number=who, user=found.by
        )
    return _("{number} texted {word} and is not sent to any more (until it texts START).").format(number=who, word=found.word)
