"""Posting to Slack at most once, even when an earlier attempt never heard back.

A job posts a message, then records the ``ts`` Slack answered. If the process dies
(or Slack's answer is lost) between the two, the job runs again and would post the
message a second time. So every post carries Slack message metadata naming what it
is (``key``), and a job whose earlier attempt may have posted looks for that key in
the channel or thread before posting again.

Looking costs a ``conversations.history``/``conversations.replies`` call, so it is
done only when it can matter: on a retry whose earlier attempt did not end with Slack
plainly refusing (a 429 or an ``ok: false`` answer means nothing was posted).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from storage.models import Job

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["EVENT_TYPE", "SLACK_REFUSED", "earlier_attempt_unsure", "find_posted", "post_once", "refused", "tag", "upload_once"]

EVENT_TYPE = "mprofi_bridge_post"
SLACK_REFUSED = "Slack refused"  # how the worker marks a failure that posted nothing
CLOCK_SKEW_SECONDS = 600.0  # our clock and Slack's may differ; look this much further back
PAGE_SIZE = 200


def refused(exc: SlackApiError) -> bool:
    """True when Slack answered and did nothing: rate-limited, or ``ok: false``."""
    status = exc.response.status_code
    return status == 429 or (status == 200 and isinstance(exc.response.data, dict) and exc.response.data.get("ok") is False)


def earlier_attempt_unsure(job: Job | None) -> bool:
    """Could an earlier run of ``job`` have posted something it did not record?"""
    if job is None or job.attempts <= 1:
        return False
    return not (job.last_error or "").startswith(SLACK_REFUSED)


def tag(key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def _is_ours(message: dict[str, Any], key: str | None, file_name: str | None) -> bool:
    if key is not None:
        metadata = message.get("metadata") or {}
        return metadata.get("event_type") == EVENT_TYPE and (metadata.get("event_payload") or {}).get("key") == key
    return any(f.get("name") == file_name for f in message.get("files") or [])


async def find_posted(
    slack: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str | None,
    since: datetime,
    key: str | None = None,
    file_name: str | None = None,
) -> dict[str, Any] | None:
    """A message posted since ``since`` that carries ``key`` (or shares a file named ``file_name``)."""
    aware = since if since.tzinfo else since.replace(tzinfo=UTC)
    oldest = f"{aware.timestamp() - CLOCK_SKEW_SECONDS:.6f}"
    cursor: str | None = None
    while True:
        args: dict[str, Any] = {"channel": channel, "oldest": oldest, "limit": PAGE_SIZE, "include_all_metadata": True}
        if cursor:
            args["cursor"] = cursor
        if thread_ts is not None:
            page = await slack.conversations_replies(ts=thread_ts, **args)
        else:
            page = await slack.conversations_history(**args)
        for message in page.get("messages") or []:
            if message.get("ts") != thread_ts and _is_ours(message, key, file_name):
                return dict(message)
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            return None


async def post_once(
    slack: AsyncWebClient,
    *,
    key: str,
    job: Job | None,
    channel: str,
    thread_ts: str | None = None,
    refresh: bool = False,
    **payload: Any,
) -> str:
    """Post ``payload`` tagged with ``key``; the ts of an earlier copy instead, if one landed.

    With ``refresh`` an earlier copy is brought up to date with ``payload``: a live
    message (a status line, a progress count) may have moved on since it was posted.
    """
    if job is not None and earlier_attempt_unsure(job):
        found = await find_posted(slack, channel=channel, thread_ts=thread_ts, since=job.created_at, key=key)
        if found is not None:
            if refresh:
                await slack.chat_update(channel=channel, ts=str(found["ts"]), metadata=tag(key), **payload)
            return str(found["ts"])
    if thread_ts is not None:
        payload["thread_ts"] = thread_ts
    posted = await slack.chat_postMessage(channel=channel, metadata=tag(key), **payload)
    return str(posted["ts"])


async def upload_once(
    slack: AsyncWebClient,
    *,
    job: Job | None,
    channel: str,
    thread_ts: str | None,
    content: bytes,
    filename: str,
    title: str,
) -> str:
    """Share a file (``filename`` unique in its thread); the id of an earlier copy instead, if one landed.

    Files carry no message metadata, so an earlier copy is found by its file name.
    """
    if job is not None and earlier_attempt_unsure(job):
        found = await find_posted(slack, channel=channel, thread_ts=thread_ts, since=job.created_at, file_name=filename)
        if found is not None:
            return str(next(f["id"] for f in found["files"] if f.get("name") == filename))
    upload = await slack.files_upload_v2(channel=channel, thread_ts=thread_ts, file=content, filename=filename, title=title)
    return str(upload["file"]["id"])
