"""Keep API keys out of logs.

``status/`` and the survey GETs carry ``apikey`` in the query string, and httpx logs
every request URL at INFO. A filter on the ``httpx`` logger masks the key before any
handler sees the record.
"""

from __future__ import annotations

import logging
import re

__all__ = ["redact", "install_httpx_redaction"]

_KEY_IN_TEXT = re.compile(r"(apikey=|\"apikey\"\s*:\s*\"|Authorization:\s*Token\s+)[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    """Mask every ``apikey=…`` / ``"apikey": "…"`` / ``Token …`` in ``text``."""
    return _KEY_IN_TEXT.sub(r"\1***", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = _RedactingFilter(name="")


def install_httpx_redaction() -> None:
    """Attach the filter to httpx's and httpcore's loggers (once)."""
    for name in ("httpx", "httpcore"):
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
