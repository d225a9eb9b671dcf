"""The bridge between mProfi and Slack: inbound, outbound and statuses, over storage."""

from bot.bridge.core import Bridge, BridgeConfig
from bot.bridge.models import InboundImage, InboundSms, Received, RetryLater, StatusUpdate
from bot.bridge.worker import Workers

__all__ = ["Bridge", "BridgeConfig", "InboundImage", "InboundSms", "Received", "RetryLater", "StatusUpdate", "Workers"]
