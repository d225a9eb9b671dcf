"""Poland's clock: mProfi reads and writes its times in it, and so do the people we serve."""

from __future__ import annotations

from zoneinfo import ZoneInfo

__all__ = ["WARSAW"]

WARSAW = ZoneInfo("Europe/Warsaw")
