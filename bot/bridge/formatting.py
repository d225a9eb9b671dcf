"""Text crossing between Slack and SMS: Slack's markup out, plain text in."""

from __future__ import annotations

import html
import re

__all__ = ["slack_to_sms"]

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def _link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@") or target.startswith("#"):
        return label and ("@" + label if target.startswith("@") else "#" + label) or target
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^")[0])
    if target.startswith("mailto:"):
        return label or target[7:]
    if label and label not in target:
        return f"{label} ({target})"
    return label or target


def slack_to_sms(text: str) -> str:
    """What a Slack message's text should read as on a phone.

    Slack sends ``&amp;``/``&lt;``/``&gt;`` escaped and wraps links and mentions in
    angle brackets (``<https://x.pl|x.pl>``, ``<@U123>``); a phone should see plain
    text.
    """
    return html.unescape(_LINK.sub(_link, text)).strip()
