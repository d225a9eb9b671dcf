"""Poland's clock: mProfi reads and writes its times in it.

Not the clock people are shown: times in Slack messages and in logs are in
``DEFAULT_TIMEZONE`` (its default is this zone, but an operator may choose another).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

__all__ = ["WARSAW"]

WARSAW = ZoneInfo("Europe/Warsaw")
