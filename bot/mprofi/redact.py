"""Keep API keys out of logs.

``status/`` and the survey GETs carry ``apikey`` in the query string, and httpx logs
every request URL at INFO. A filter on the ``httpx`` logger masks the key before any
handler sees the record.
"""

from __future__ import annotations

import logging
import re

__all__ = ["redact", "install_httpx_redaction"]

_KEY_IN_TEXT = re.compile(
    r"(apikey=|[?&]token=|\"apikey\"\s*:\s*\"|Authorization:\s*Token\s+)[^&\s\"']+", re.IGNORECASE
)


def redact(text: str) -> str:
    """Mask every ``apikey=…`` / ``?token=…`` / ``"apikey": "…"`` / ``Token …`` in ``text``."""
    return _KEY_IN_TEXT.sub(r"\1***", text)


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
