"""Keep request bodies out of Bolt's log lines.

Bolt writes the whole body into some INFO and WARNING lines: "Invalid request
signature detected (…, body: …)", "request body: …", "…without providing a response
for the request (…)". One such line per 50 MB request filled memory and disk. The
filter masks those parts and shortens any other over-long line from Bolt; DEBUG
lines are left alone for whoever turns DEBUG on.
"""

from __future__ import annotations

import logging
import re

__all__ = ["MAX_LINE", "BoltBodyFilter", "install_bolt_body_filter", "mask_bodies"]

MAX_LINE = 2000  # characters; Bolt's longest ordinary line (an unhandled-request hint) is shorter

_SIGNATURE_LINE = "Invalid request signature detected"
_BODY_PARTS = (
    re.compile(r"(request body: ).*\Z", re.DOTALL),
    re.compile(r"(without providing a response for the request \().*\Z", re.DOTALL),
)


def mask_bodies(message: str) -> str:
    """``message`` with any request body Bolt put in it replaced by its length."""
    if message.startswith(_SIGNATURE_LINE):
        # The signature and timestamp are header values a stranger chose; drop them too.
        return f"{_SIGNATURE_LINE} (signature, timestamp and body withheld; the line held {len(message)} characters)"
    for pattern in _BODY_PARTS:
        match = pattern.search(message)
        if match:
            message = message[: match.end(1)] + f"<withheld: {len(message) - match.end(1)} characters>"
    if len(message) > MAX_LINE:
        message = message[: MAX_LINE // 2] + f"… <{len(message) - MAX_LINE // 2} more characters withheld>"
    return message


class BoltBodyFilter(logging.Filter):
    """Masks request bodies in Bolt's records above DEBUG; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: let logging report it as it would
            return True
        cleaned = mask_bodies(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = BoltBodyFilter()


def install_bolt_body_filter(base_logger: logging.Logger) -> None:
    """Attach the filter to Bolt's base logger and to every ``slack_bolt`` logger there is.

    A logger's filters do not apply to records of its children, so each logger needs
    its own. Bolt copies the base logger's filters to the loggers it creates for its
    middleware and listeners (when they have none yet); calling this again after the
    app is built catches the ones that already existed.
    """
    names = [name for name in list(logging.root.manager.loggerDict) if name == "slack_bolt" or name.startswith("slack_bolt.")]
    for target in [base_logger, *(logging.getLogger(name) for name in names)]:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
