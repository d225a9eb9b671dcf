"""A file shared in a thread, on its way out as MMS: fetched from Slack, checked by its bytes."""

from __future__ import annotations

from typing import Any

from bot.bridge.context import Context
from bot.i18n import _, figure, ngettext
from bot.mprofi import MmsFile
from bot.slack import files
from bot.sms.mms import content_problem
from bot.sms.text import MMS_MAX_FILE_BYTES

__all__ = ["FileUnavailable", "download_mms_file"]


class FileUnavailable(Exception):
    """A file shared in Slack that cannot go out as MMS; the text says why."""


async def download_mms_file(ctx: Context, ref: dict[str, Any] | None) -> MmsFile:
    """Fetch a file shared in Slack with the bot token and check its bytes.

    Slack failing raises :class:`bot.slack.errors.SlackUnavailable` (the send tries again).
    """
    if not ref or not ref.get("url"):
        raise FileUnavailable(_("Slack gave no download address for the file."))
    try:
        content = await files.download(ctx.http, str(ref["url"]), token=ctx.config.bot_token, limit=MMS_MAX_FILE_BYTES)
    except files.FileRefused as exc:
        raise FileUnavailable(str(exc)) from None
    name = str(ref.get("name") or _("file"))
    if len(content) > MMS_MAX_FILE_BYTES:
        raise FileUnavailable(
            ngettext(
                "{name} is over the MMS limit of {kilobytes} kB ({size} byte).",
                "{name} is over the MMS limit of {kilobytes} kB ({size} bytes).",
                MMS_MAX_FILE_BYTES,
            ).format(name=name, kilobytes=MMS_MAX_FILE_BYTES // 1000, size=figure(MMS_MAX_FILE_BYTES))
        )
    problem = content_problem(content, name)
    if problem:
        raise FileUnavailable(problem)
    return MmsFile(name=name, content=content, content_type=str(ref.get("mimetype")))
