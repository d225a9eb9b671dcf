"""The progress message of a ``/sms`` to many numbers: queued redraws, and the redraw itself."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.bridge.posts import post_once
from bot.slack import blocks
from bot.slack.errors import slack_error
from bot.slack.responses import post_response
from bot.sms.numbers import PhoneE164
from storage import dispatches
from storage.kinds import JobKind, Lane
from storage.models import Dispatch, Job
from storage.queue import enqueue, has_waiting_job

__all__ = ["queue_progress", "render_dispatch"]


async def queue_progress(session: AsyncSession, dispatch: Dispatch) -> None:
    """A redraw of the progress message, unless one is already waiting (redraws coalesce)."""
    if not await has_waiting_job(session, JobKind.RENDER_DISPATCH, dispatch_id=dispatch.id):
        enqueue(session, kind=JobKind.RENDER_DISPATCH, lane=Lane.SLACK, dispatch_id=dispatch.id)


async def render_dispatch(ctx: Context, job: Job) -> None:
    """Post or update the progress message of a many-number ``/sms`` in its channel."""
    async with ctx.sessions() as session:
        dispatch = await session.get(Dispatch, job.dispatch_id)
        assert dispatch is not None
        counts = await dispatches.status_counts(session, dispatch.id)
        failures = await dispatches.failures(session, dispatch.id)
        payload = blocks.dispatch_progress(
            user_id=dispatch.user_id,
            text=dispatch.text,
            total=dispatch.total,
            counts=counts,
            failures=[(PhoneE164(f.phone), f.status, f.status_detail or "") for f in failures],
            refused=[(str(r[0]), str(r[1])) for r in (dispatch.refused or [])],
            send_at=dispatch.send_at,
            done=dispatch.state == "done",
            zone=ctx.config.zone,
        )
        await session.commit()  # reads done: no transaction stays open across Slack calls
        try:
            if dispatch.progress_ts is not None:
                try:
                    await ctx.slack.chat_update(channel=dispatch.channel_id, ts=dispatch.progress_ts, **payload)
                except SlackApiError as exc:
                    if slack_error(exc) != "message_not_found":
                        raise
                    dispatch.progress_ts = None  # someone deleted the progress message: post it again
            if dispatch.progress_ts is None:
                dispatch.progress_ts = await post_once(
                    ctx.slack, key=f"dispatch:{dispatch.id}", job=job, channel=dispatch.channel_id, refresh=True, **payload
                )
                await session.commit()
        except SlackApiError as exc:
            if slack_error(exc) not in ("not_in_channel", "channel_not_found", "is_archived"):
                raise
            # The bot cannot post there (a private channel it was not invited to): tell
            # the person privately when the dispatch is finished.
            if dispatch.state == "done" and dispatch.response_url:
                await post_response(ctx.http, dispatch.response_url, payload)
