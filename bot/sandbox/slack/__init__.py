"""A local Slack Web API for tests and the demo: the real ``slack_sdk`` talks to it."""

from bot.sandbox.slack.app import create_slack_emulator
from bot.sandbox.slack.state import HANG, HANG_AFTER, SlackConfig, SlackMessage, SlackState

__all__ = ["HANG", "HANG_AFTER", "SlackConfig", "SlackMessage", "SlackState", "create_slack_emulator"]
