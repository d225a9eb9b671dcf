"""A local Slack Web API for tests and the demo: the real ``slack_sdk`` talks to it."""

from bot.sandbox.slack.app import create_slack_emulator
from bot.sandbox.slack.markup import Link, Ping, Rendered
from bot.sandbox.slack.state import (
    HANG,
    HANG_AFTER,
    PERMANENT_ERRORS,
    Refusal,
    Seen,
    SlackConfig,
    SlackMessage,
    SlackState,
)

__all__ = [
    "HANG",
    "HANG_AFTER",
    "PERMANENT_ERRORS",
    "Link",
    "Ping",
    "Refusal",
    "Rendered",
    "Seen",
    "SlackConfig",
    "SlackMessage",
    "SlackState",
    "create_slack_emulator",
]
