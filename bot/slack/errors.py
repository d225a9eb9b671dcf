"""Reading Slack's errors: ``ok: false`` bodies carry a code, failed HTTP calls may not."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

__all__ = ["slack_error", "is_permanent", "SlackUnavailable", "PERMANENT", "PAYLOAD_REFUSED", "PLACE_REFUSED"]


class SlackUnavailable(Exception):
    """Slack did not answer, or answered 5xx, outside the Web API client (a file
    download, a ``response_url``): nothing was done, so the work may try again later."""


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code (``not_in_channel``…), or ``HTTP 500`` when the body had none."""
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {exc.response.status_code}"


# Slack's answers that no retry can change: the payload itself is refused, or the app
# cannot post there (any more) until a person fixes something.
PAYLOAD_REFUSED = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_attachments", "too_many_attachments"}
)
PLACE_REFUSED = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "restricted_action",
        "thread_not_found",
        "message_not_found",
        "cant_update_message",
    }
)
PERMANENT = PAYLOAD_REFUSED | PLACE_REFUSED


def is_permanent(exc: SlackApiError) -> bool:
    """Would trying again never help? (an ``ok: false`` answer with one of the codes above)."""
    data = exc.response.data
    return isinstance(data, dict) and data.get("ok") is False and str(data.get("error")) in PERMANENT
