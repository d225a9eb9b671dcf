"""What an operator watches: readiness reasons and Prometheus metrics.

Knows nothing of Slack listeners, mProfi's API or SQL: the clients report their
calls to a :class:`Monitor`, and the HTTP routes (:mod:`bot.http.health`) ask it.
"""

from bot.monitoring.calls import CallHealth, Service
from bot.monitoring.metrics import Monitor

__all__ = ["CallHealth", "Monitor", "Service"]
