"""Keep API keys and the webhook token out of logs.

``status/`` and the survey GETs carry ``apikey`` in the query string, and httpx logs
every request URL at INFO; the PUSH status URL carries the webhook token as
``?token=``, and uvicorn's access log prints it as the client sent it, escapes and
all. A filter on those loggers masks the values before any handler sees the record.
A parameter's name is compared after undoing percent-escapes and ignoring case, as
a server reading the query would (``?%74oken=``, ``?TOKEN=``, ``&tok%65n=``).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

__all__ = ["install_httpx_redaction", "redact"]

_SECRET_NAMES = frozenset({"apikey", "token"})
_KEY_IN_TEXT = re.compile(r"(apikey=|[?&]token=|\"apikey\"\s*:\s*\"|Authorization:\s*Token\s+)[^&\s\"']+", re.IGNORECASE)
# One query parameter (or form field): a name, then "=" and a value. The name stops
# at anything that ends a parameter; the "=" may itself be percent-encoded.
_PARAM = re.compile(r"(?P<lead>^|[?&;,(\s\"'])(?P<name>[^&?#=\s\"']+)(?P<rest>=[^&\s\"']*)?")


def _decoded(text: str) -> str:
    """Percent-escapes (and ``+``) undone, a few times over so that double encoding hides nothing."""
    for _ in range(3):
        plain = unquote_plus(text)
        if plain == text:
            break
        text = plain
    return text


def _mask_param(match: re.Match[str]) -> str:
    lead, name, rest = match.group("lead"), match.group("name"), match.group("rest") or ""
    plain_name = _decoded(name)
    if rest and plain_name.strip().lower() in _SECRET_NAMES:
        return f"{lead}{name}=***" if len(rest) > 1 else match.group(0)
    # The "=" may hide in the name as %3D: ?token%3Dsecret
    key, sep, value = _decoded(name + rest).partition("=")
    if sep and value and key.strip().lower() in _SECRET_NAMES:
        return f"{lead}{key.strip()}=***"
    return match.group(0)


def redact(text: str) -> str:
    """Mask every ``apikey=…`` / ``token=…`` (name in any case or encoding), ``"apikey": "…"`` and ``Token …``."""
    return _KEY_IN_TEXT.sub(r"\1***", _PARAM.sub(_mask_param, text))


def _clean(value: object) -> object:
    """A log argument with secrets masked; numbers stay numbers for ``%d``."""
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    cleaned = redact(text)
    return cleaned if cleaned != text else value


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            # Keep the arguments' shape: formatters such as uvicorn's unpack them.
            record.args = tuple(_clean(a) for a in record.args)
            record.msg = redact(str(record.msg))
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = _RedactingFilter(name="")


def install_httpx_redaction() -> None:
    """Attach the filter to the loggers that print URLs: httpx, httpcore, uvicorn's access log.

    The PUSH status URL carries the webhook token as ``?token=`` (mProfi cannot send
    headers there), so the access log must not print it either.
    """
    for name in ("httpx", "httpcore", "uvicorn.access"):
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
