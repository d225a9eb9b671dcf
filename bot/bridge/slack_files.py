"""Files shared in Slack on their way out: checked for MMS, fetched with the bot token.

Slack's file addresses are private: without the bot token (and the ``files:read``
scope) Slack answers 200 with an HTML login page, so the type is checked before the
bytes are trusted, and an image's bytes must match its name before mProfi gets them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from bot.bridge.models import RetryLater
from bot.mprofi import MmsFile
from bot.sms.text import MMS_FILE_EXTENSIONS, MMS_MAX_FILE_BYTES

if TYPE_CHECKING:
    from bot.bridge.core import Bridge

__all__ = ["FileUnavailable", "file_problem", "file_ref", "download_mms_file", "download_text_file"]

_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}


class FileUnavailable(Exception):
    """A file shared in Slack that cannot go out as MMS; the text says why."""


def file_problem(files: list[dict[str, Any]]) -> str | None:
    """Why these shared files cannot go as one MMS (one plain sentence), or None."""
    if len(files) > 1:
        return "An MMS carries one file; share the files one at a time."
    file = files[0]
    name = str(file.get("name") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else str(file.get("filetype") or "").lower()
    if extension not in MMS_FILE_EXTENSIONS:
        return f"{name or 'This file'} cannot go by MMS; mProfi takes txt, png, jpg, jpeg or gif files."
    size = int(file.get("size") or 0)
    if size > MMS_MAX_FILE_BYTES:
        return (
            f"{name} is {-(-size // 1000)} kB and an MMS file may be at most {MMS_MAX_FILE_BYTES // 1000} kB; shrink it and share it again."
        )
    return None


def file_ref(file: dict[str, Any]) -> dict[str, Any]:
    """What the send job needs to fetch the file later (kept in the job's payload)."""
    return {
        "id": file.get("id"),
        "name": file.get("name") or "file",
        "mimetype": file.get("mimetype") or "application/octet-stream",
        "url": file.get("url_private_download") or file.get("url_private"),
        "size": file.get("size"),
    }


def _sniff(content: bytes, name: str) -> str | None:
    """Check the bytes, not the name: a problem sentence, or None when they match."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "txt":
        if b"\x00" in content:
            return f"{name} is not a text file."
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return f"{name} is not UTF-8 text."
        return None
    found = next((kind for magic, kind in _IMAGE_MAGIC.items() if content.startswith(magic)), None)
    expected = "jpg" if extension == "jpeg" else extension
    if found != expected:
        return f"{name} is not really a {extension.upper()} image."
    return None


async def download_mms_file(ref: dict[str, Any] | None, bridge: Bridge) -> MmsFile:
    """Fetch a file shared in Slack with the bot token and check its bytes."""
    if not ref or not ref.get("url"):
        raise FileUnavailable("Slack gave no download address for the file.")
    try:
        response = await bridge.http.get(ref["url"], headers={"Authorization": f"Bearer {bridge.config.bot_token}"})
    except httpx.HTTPError as exc:
        raise RetryLater(f"could not download the file from Slack ({type(exc).__name__})") from None
    if response.status_code >= 500:
        raise RetryLater(f"Slack answered HTTP {response.status_code} for the file")
    if response.status_code != 200 or response.headers.get("content-type", "").startswith("text/html"):
        raise FileUnavailable("Slack did not hand over the file (the app needs the files:read scope).")
    content = response.content
    name = str(ref.get("name") or "file")
    if len(content) > MMS_MAX_FILE_BYTES:
        raise FileUnavailable(f"{name} is over the MMS limit of {MMS_MAX_FILE_BYTES // 1000} kB ({MMS_MAX_FILE_BYTES:,} bytes).")
    problem = _sniff(content, name)
    if problem:
        raise FileUnavailable(problem)
    return MmsFile(name=name, content=content, content_type=str(ref.get("mimetype")))


async def download_text_file(bridge: Bridge, url: str, limit: int = 10 * 1024 * 1024) -> bytes | None:
    """A (CSV/text) file shared in Slack, fetched with the bot token; None if refused."""
    response = await bridge.http.get(url, headers={"Authorization": f"Bearer {bridge.config.bot_token}"})
    if response.status_code != 200 or response.headers.get("content-type", "").startswith("text/html"):
        return None
    return response.content[:limit]
