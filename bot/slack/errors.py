"""Reading Slack's errors: ``ok: false`` bodies carry a code, failed HTTP calls may not."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

__all__ = ["slack_error"]


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code (``not_in_channel``…), or ``HTTP 500`` when the body had none."""
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {exc.response.status_code}"
