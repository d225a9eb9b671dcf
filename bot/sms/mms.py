"""What an MMS file is, by its bytes: one check for files coming in and going out.

A name says nothing: a phone, mProfi or Slack can send anything called ``x.png``.
"""

from __future__ import annotations

from bot.i18n import _

__all__ = ["image_kind", "content_problem"]

# The first bytes of each image type mProfi carries, and its file extension and media type.
_IMAGE_MAGIC: dict[bytes, tuple[str, str]] = {
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"GIF87a": ("gif", "image/gif"),
    b"GIF89a": ("gif", "image/gif"),
}


def image_kind(content: bytes) -> tuple[str, str] | None:
    """(extension, media type) of an image by its first bytes, or None when it is none we know."""
    return next((kind for magic, kind in _IMAGE_MAGIC.items() if content.startswith(magic)), None)


def content_problem(content: bytes, name: str) -> str | None:
    """Do the bytes match the file's name (UTF-8 text for ``.txt``)? A sentence saying why not, or None."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "txt":
        if b"\x00" in content:
            return _("{name} is not a text file.").format(name=name)
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return _("{name} is not UTF-8 text.").format(name=name)
        return None
    found = image_kind(content)
    expected = "jpg" if extension == "jpeg" else extension
    if found is None or found[0] != expected:
        return _("{name} is not really a {kind} image.").format(name=name, kind=extension.upper())
    return None
