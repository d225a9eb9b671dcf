"""Reading form bodies (multipart and urlencoded) the way an SMS must be read.

Starlette's form parser decodes a text field that is not valid UTF-8 as Latin-1, and
urlencoded bodies always so: a Polish SMS with one broken byte would reach Slack as
mojibake. Here every text field is UTF-8, with U+FFFD where a byte is broken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

import python_multipart
from python_multipart.exceptions import FormParserError

__all__ = ["FormBody", "BadForm", "read_form"]


class BadForm(ValueError):
    """A form body that cannot be read; the text says why."""


@dataclass
class FormBody:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # (field name, file name, bytes)
    files_over_limit: int = 0  # files past ``max_files``: counted, not kept


_IMAGE_FIELD = re.compile(r"^image[0-9]+$", re.IGNORECASE)


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", errors="replace")


def read_form(content_type: str, body: bytes, *, max_files: int, max_fields: int) -> FormBody:
    """Parse ``body`` (already size-limited) as multipart/form-data or urlencoded."""
    out = FormBody()
    counts = {"files": 0, "fields": 0}

    def add_file(name: str, file_name: str, content: bytes) -> None:
        if len(out.files) >= max_files:
            out.files_over_limit += 1
        else:
            out.files.append((name, file_name, content))

    def on_field(item: python_multipart.multipart.Field) -> None:
        name = _text(item.field_name)
        if _IMAGE_FIELD.match(name):  # a part without a file name is still an image part
            add_file(name, "", item.value or b"")
            return
        counts["fields"] += 1
        if counts["fields"] > max_fields:
            raise BadForm(f"more than {max_fields} form fields")
        out.fields.setdefault(name, _text(item.value))

    def on_file(item: python_multipart.multipart.File) -> None:
        handle = item.file_object
        handle.seek(0)
        add_file(_text(item.field_name), _text(item.file_name), handle.read())

    mime, _, params = content_type.partition(";")
    if mime.strip().lower() == "application/x-www-form-urlencoded":
        return _urlencoded(body, max_fields)
    boundary = None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip().strip('"')
    if mime.strip().lower() == "multipart/form-data" and not boundary:
        raise BadForm("the multipart body has no boundary")
    try:
        parser = python_multipart.FormParser(
            mime.strip().lower(),
            on_field,
            on_file,
            boundary=boundary,
            config={"MAX_MEMORY_FILE_SIZE": len(body) + 1, "UPLOAD_KEEP_FILENAME": False},
        )
        parser.write(body)
        parser.finalize()
    except BadForm:
        raise
    except (FormParserError, ValueError) as exc:
        raise BadForm(f"the form body could not be read ({type(exc).__name__})") from None
    return out


def _urlencoded(body: bytes, max_fields: int) -> FormBody:
    out = FormBody()
    pairs = [pair for pair in body.split(b"&") if pair]
    if len(pairs) > max_fields:
        raise BadForm(f"more than {max_fields} form fields")
    for pair in pairs:
        name, _, value = pair.partition(b"=")
        out.fields.setdefault(_text(unquote_to_bytes(name.replace(b"+", b" "))), _text(unquote_to_bytes(value.replace(b"+", b" "))))
    return out
