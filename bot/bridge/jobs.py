"""Which function runs each kind of queued job.

The table is the one place a new kind of work is added: a :class:`JobKind` and the
feature function that does it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.bridge import (
    audit,
    bulk_send,
    campaign_hlr,
    campaign_messages,
    campaign_reading,
    campaign_sending,
    contacts,
    data_rights,
    dispatch_progress,
    hlr,
    home,
    inbound,
    notices,
    opt_out_list,
    outgoing,
    sms,
    stats,
    statuses,
    surveys,
    threads,
)
from bot.bridge.context import Context
from storage.kinds import JobKind
from storage.models import Job

__all__ = ["JOBS", "run_job"]

logger = logging.getLogger(__name__)

JOBS: dict[JobKind, Callable[[Context, Job], Awaitable[None]]] = {
    JobKind.POST_INBOUND: inbound.post_inbound,
    JobKind.SEND_REPLY: outgoing.send_reply,
    JobKind.RENDER_STATUS: statuses.render_status,
    JobKind.REACT_NOTE: notices.react_note,
    JobKind.NOTICE: notices.post_notice,
    JobKind.TELL: notices.tell,
    JobKind.SEND_BULK: bulk_send.send_bulk,
    JobKind.RENDER_DISPATCH: dispatch_progress.render_dispatch,
    JobKind.RESPOND: sms.respond,
    JobKind.HLR_RUN: hlr.run_hlr,
    JobKind.HLR_FROM_FILE: hlr.run_file_check,
    JobKind.SURVEY_COMMAND: surveys.run_survey_command,
    JobKind.POST_SURVEY_NOTIFICATION: surveys.post_survey_notification,
    JobKind.RENDER_CARD: threads.render_card,
    JobKind.IMPORT_CONTACTS: contacts.import_contacts,
    JobKind.EXPORT_CONTACTS: contacts.export_contacts,
    JobKind.EXPORT_OPT_OUTS: opt_out_list.export_opt_outs,
    JobKind.EXPORT_AUDIT: audit.export_audit,
    JobKind.EXPORT_NUMBER: data_rights.export_number,
    JobKind.ERASE_SLACK_POSTS: data_rights.erase_slack_posts,
    JobKind.CAMPAIGN_READ: campaign_reading.read_campaign,
    JobKind.CAMPAIGN_HLR: campaign_hlr.check_campaign_numbers,
    JobKind.CAMPAIGN_SEND: campaign_sending.send_campaign_batch,
    JobKind.CAMPAIGN_RENDER: campaign_messages.render_campaign,
    JobKind.CAMPAIGN_RESULTS: campaign_messages.campaign_results,
    JobKind.PUBLISH_HOME: home.publish_home,
    JobKind.STATS_REPORT: stats.run_stats_report,
}


async def run_job(ctx: Context, job: Job) -> None:
    """Run one claimed job; a kind this code does not know (a newer replica's?) is logged and left done."""
    try:
        kind = JobKind(job.kind)
    except ValueError:
        logger.error("job %s has unknown kind %r; dropping it", job.id, job.kind)
        return
    await JOBS[kind](ctx, job)
