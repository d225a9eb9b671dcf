"""Files shared in Slack: what can go as MMS, and fetching them with the bot token.

Slack's file addresses are private: without the bot token (and the ``files:read``
scope) Slack answers 200 with an HTML login page, so the answer's type is checked
before its bytes are trusted.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.i18n import _
from bot.slack.errors import SlackUnavailable
from bot.sms.text import MMS_FILE_EXTENSIONS, MMS_MAX_FILE_BYTES

__all__ = ["FileRefused", "download", "file_problem", "file_ref"]


class FileRefused(Exception):
    """Slack did not hand the file over (no ``files:read`` scope, a deleted file)."""


def file_problem(files: list[dict[str, Any]]) -> str | None:
    """Why these shared files cannot go as one MMS (one plain sentence), or None."""
    if len(files) > 1:
        return _("An MMS carries one file; share the files one at a time.")
    file = files[0]
    name = str(file.get("name") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else str(file.get("filetype") or "").lower()
    if extension not in MMS_FILE_EXTENSIONS:
        if not name:
            return _("This file cannot go by MMS; mProfi takes txt, png, jpg, jpeg or gif files.")
        return _("{name} cannot go by MMS; mProfi takes txt, png, jpg, jpeg or gif files.").format(name=name)
    size = int(file.get("size") or 0)
    if size > MMS_MAX_FILE_BYTES:
        return _("{name} is {size} kB and an MMS file may be at most {limit} kB; shrink it and share it again.").format(
            name=name, size=-(-size // 1000), limit=MMS_MAX_FILE_BYTES // 1000
        )
    return None


def file_ref(file: dict[str, Any]) -> dict[str, Any]:
    """What a job needs to fetch the file later (kept in the job's payload)."""
    return {
        "id": file.get("id"),
        "name": file.get("name") or "file",
        "mimetype": file.get("mimetype") or "application/octet-stream",
        "url": file.get("url_private_download") or file.get("url_private"),
        "size": file.get("size"),
    }


async def download(http: httpx.AsyncClient, url: str, *, token: str, limit: int) -> bytes:
    """The file's bytes (at most ``limit`` + 1, so a caller can tell "too big").

    Raises :class:`SlackUnavailable` when Slack cannot be reached or fails (try later)
    and :class:`FileRefused` when it answers but does not hand the file over.
    """
    try:
        async with http.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response:
            if response.status_code >= 500 or response.status_code == 429:
                raise SlackUnavailable(f"Slack answered HTTP {response.status_code} for the file")  # untranslated: job error for operators
            if response.status_code != 200 or response.headers.get("content-type", "").startswith("text/html"):
                raise FileRefused(_("Slack did not hand over the file (the app needs the files:read scope)."))
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > limit:
                    break  # enough to tell "too big": the rest is never read into memory
            return bytes(content[: limit + 1])
    except httpx.HTTPError as exc:
        raise SlackUnavailable(
            f"could not download the file from Slack ({type(exc).__name__})"  # untranslated: job error for operators
        ) from None
