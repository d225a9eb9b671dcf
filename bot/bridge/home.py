"""The App Home tab: each person's conversations, what waits for the team, today, their settings.

Published by a ``publish_home`` job per person, when the person opens the tab and when
what it shows changes: a card redraw (:func:`note_conversation`, called by
:func:`bot.bridge.threads.render_card`) that changed a conversation's owner, state or
wait republishes the old and new owner's tab, and a changed wait everyone's who opened the tab in the last ``RECENT_DAYS``. At most
one republish waits per person, not sooner than ``HOME_GAP_SECONDS`` after the last
(``EVERYONE_GAP_SECONDS`` for everyone's), and everyone's are spread one per
``EVERYONE_INTERVAL_SECONDS`` across all people by the jobs' ``run_after``: one new SMS
must not spend Slack's ``views.publish`` budget (about 100 a minute) that inbound posts
share workers with. A tab lists only the conversations of channels its person is a
member of, and nothing to someone outside ``SMS_ALLOWED_USERS``. Slack refusing a view
is logged, never retried; when the person is gone (``user_not_found``,
``account_inactive``) their tab is not published again until they open it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.bridge.home_access import channel_members
from bot.i18n import _, use_language
from bot.slack.blocks.home import HomeLine, HomeView, home_view
from bot.slack.errors import slack_error
from storage import people, stats
from storage.kinds import JobKind, Lane
from storage.models import Conversation, Job, utcnow
from storage.people import HomeConversation
from storage.queue import enqueue

__all__ = ["EVERYONE_GAP_SECONDS", "HOME_GAP_SECONDS", "Home", "note_conversation", "publish_home", "queue_everyone", "queue_homes"]

logger = logging.getLogger(__name__)

HOME_GAP_SECONDS = 3.0  # one person's tab is published at most this often for a change of theirs
EVERYONE_GAP_SECONDS = 60.0  # … and for a change of *Waiting for us*, everyone's list
EVERYONE_INTERVAL_SECONDS = 1.0  # everyone's republishes: at most one this often across all people
RECENT_DAYS = 7  # everyone's republish reaches only people who opened the tab this lately
GONE = frozenset({"user_not_found", "account_inactive"})  # Slack's words for a person who left
LIST_LIMIT = 20  # lines in each list; the rest is "and N more"


class Home:
    """What the Home tab's listeners call (``bridge.home``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def opened(self, user_id: str, *, tab: str | None) -> None:
        """The person opened the app's Home tab: store it and queue its drawing (the Messages tab: nothing)."""
        if tab not in (None, "home") or not user_id:
            return
        async with self.ctx.sessions() as session, session.begin():
            await people.home_opened(session, user_id, at=utcnow())
            await queue_homes(self.ctx, session, [user_id])
        self.ctx.wake_workers()

    async def set_mention(self, user_id: str, mention: bool) -> None:
        """The person ticked or cleared "mention me on follow-ups in my conversations"."""
        async with self.ctx.sessions() as session, session.begin():
            await people.set_mention(session, user_id, mention, at=utcnow())
            await queue_homes(self.ctx, session, [user_id])
        self.ctx.wake_workers()
        logger.info("home: %s set follow-up mentions %s", user_id, "on" if mention else "off")


def _enqueue(session: AsyncSession, claimed: list[tuple[str, datetime]]) -> None:
    for user_id, due in claimed:
        payload = {"user": user_id, "due": due.isoformat()}
        enqueue(session, kind=JobKind.PUBLISH_HOME, lane=Lane.SLACK, payload=payload, run_after=due)


async def queue_homes(ctx: Context, session: AsyncSession, users: Collection[str]) -> None:
    """Queue a republish of these people's tabs, debounced."""
    _enqueue(session, await people.queue_homes(session, users, now=utcnow(), gap=HOME_GAP_SECONDS))


async def queue_everyone(ctx: Context, session: AsyncSession) -> None:
    """Queue a republish of the tab of everyone who opened it lately, debounced and paced."""
    now = utcnow()
    claimed = await people.queue_everyone(
        session, now=now, gap=EVERYONE_GAP_SECONDS, opened_since=now - timedelta(days=RECENT_DAYS), interval=EVERYONE_INTERVAL_SECONDS
    )
    _enqueue(session, claimed)


async def note_conversation(ctx: Context, session: AsyncSession, conversation: Conversation) -> bool:
    """At a card redraw: queue a republish of the tabs this conversation's change touches.
    True when there was a change (the caller commits it)."""
    change = await people.mark_conversation(
        session, conversation.id, owner=conversation.owner, state=conversation.state, waiting_since=conversation.waiting_since
    )
    if change is None:
        return False
    if change.waiting:
        await queue_everyone(ctx, session)  # *Waiting for us* is everyone's list
    if change.owners:  # and the owners' own lists, without waiting for everyone's turn
        await queue_homes(ctx, session, change.owners)
    return True


async def _workspace_url(ctx: Context) -> str | None:
    """The workspace's address (``https://team.slack.com/``), from which thread links are made."""
    try:
        found = await ctx.slack.auth_test()
    except SlackApiError:
        return None
    url = str(found.get("url") or "")
    return url if url.startswith("https://") or url.startswith("http://") else None


def _link(base: str | None, channel: str, ts: str | None) -> str | None:
    """A thread's permalink, written as Slack writes them: ``…/archives/C…/p<ts without the dot>``."""
    if base is None or ts is None:
        return None
    return f"{base.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def _lines(found: list[HomeConversation], base: str | None) -> list[HomeLine]:
    return [
        HomeLine(
            phone=c.phone,
            name=c.name,
            state=c.state,
            link=_link(base, c.channel_id, c.thread_ts),
            last_at=c.last_at,
            waiting_since=c.waiting_since,
            owner=c.owner,
        )
        for c in found
    ]


async def _today(ctx: Context, session: AsyncSession, now: datetime) -> stats.DayFigures:
    local = now.astimezone(ctx.config.zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)  # wall-clock arithmetic: tomorrow's midnight, on a DST day too
    days = await stats.daily_figures(session, [start, end])
    return days[0] if days else stats.DayFigures()


def _due(payload: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(payload["due"]))
    except (KeyError, ValueError):
        return None  # a job queued before the due was written down: it runs


async def publish_home(ctx: Context, job: Job) -> None:
    """Draw one person's Home tab from the database and publish it."""
    payload = job.payload or {}
    user_id = str(payload.get("user") or "")
    if not user_id:
        return
    now = utcnow()
    allowed = not ctx.config.allowed_users or user_id in ctx.config.allowed_users  # as policy.may_send decides
    async with ctx.sessions() as session, session.begin():
        if not await people.take_due(session, user_id, _due(payload)):
            return  # an earlier republish replaced this one
        channels = await people.open_channels(session) if allowed else set()
    visible = await channel_members(ctx.slack).visible(user_id, channels)
    async with ctx.sessions() as session, session.begin():
        mine, mine_total = await people.my_conversations(session, user_id, limit=LIST_LIMIT, channels=visible)
        waiting, waiting_total = await people.waiting_for_us(session, limit=LIST_LIMIT, channels=visible)
        today = await _today(ctx, session, now)
        chosen = (await people.mention_choices(session, [user_id])).get(user_id)
    base = await _workspace_url(ctx)
    language = await ctx.timezones.user_language(user_id) or ctx.config.language
    with use_language(language):
        view = HomeView(
            user_id=user_id,
            zone=ctx.config.zone,
            now=now,
            mine=_lines(mine, base),
            mine_total=mine_total,
            waiting=_lines(waiting, base),
            waiting_total=waiting_total,
            today_in=today.inbound,
            today_out=today.outbound,
            today_parts=today.parts,
            mention=chosen if chosen is not None else ctx.config.followup_mention_owner,
            mention_chosen=chosen is not None,
            refused=None
            if allowed
            else _("The SMS conversations are shown only to people who may send SMS from Slack; ask an admin to add you."),
        )
        payload_view = home_view(view)
    try:
        await ctx.slack.views_publish(user_id=user_id, view=payload_view)
    except SlackApiError as exc:
        status = exc.response.status_code
        if status == 429 or status >= 500:
            raise  # Slack is busy or down: the queue tries again later (429: after Slack's Retry-After)
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        # The person left, the Home tab is off, the view refused: trying again changes nothing.
        logger.warning("home: the Home tab of %s was not published: %s", user_id, slack_error(exc))
        if error in GONE:
            async with ctx.sessions() as session, session.begin():
                await people.home_forgotten(session, user_id)  # not again until they open the tab
        return
    async with ctx.sessions() as session, session.begin():
        await people.home_published(session, user_id, at=utcnow())
