"""The bridge between mProfi and Slack: one module per feature, over storage.

:class:`Bridge` (``facade.py``) is what the rest of the app calls; the feature
modules (``inbound``, ``replies``, ``sms``, ``hlr``, ``surveys``, ``statuses``,
``catch_up``) take a :class:`~bot.bridge.context.Context` and know nothing of HTTP.
"""

from bot.bridge.context import BridgeConfig
from bot.bridge.facade import Bridge
from bot.bridge.models import InboundImage, InboundSms, Received, RetryLater, StatusUpdate
from bot.bridge.worker import Workers

__all__ = ["Bridge", "BridgeConfig", "InboundImage", "InboundSms", "Received", "RetryLater", "StatusUpdate", "Workers"]
