"""mprofi-slack: the mProfi.pl SMS/MMS gateway inside Slack."""

__version__ = "0.1.0"
