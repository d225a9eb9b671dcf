"""Slack's emoji, as characters a phone shows: ``:smile:`` and rich text's code points alike."""

from __future__ import annotations

import re

__all__ = ["emoji", "emoji_names"]

_EMOJI = {  # Slack's names for common emoji → code points (others stay as :name:)
    "smile": "1f604",
    "smiley": "1f603",
    "grinning": "1f600",
    "slightly_smiling_face": "1f642",
    "wink": "1f609",
    "blush": "1f60a",
    "joy": "1f602",
    "laughing": "1f606",
    "sweat_smile": "1f605",
    "heart_eyes": "1f60d",
    "sunglasses": "1f60e",
    "upside_down_face": "1f643",
    "thinking_face": "1f914",
    "neutral_face": "1f610",
    "confused": "1f615",
    "disappointed": "1f61e",
    "cry": "1f622",
    "sob": "1f62d",
    "wave": "1f44b",
    "+1": "1f44d",
    "thumbsup": "1f44d",
    "-1": "1f44e",
    "thumbsdown": "1f44e",
    "ok_hand": "1f44c",
    "clap": "1f44f",
    "pray": "1f64f",
    "muscle": "1f4aa",
    "raised_hands": "1f64c",
    "point_right": "1f449",
    "heart": "2764-fe0f",
    "tada": "1f389",
    "white_check_mark": "2705",
    "heavy_check_mark": "2714-fe0f",
    "x": "274c",
    "warning": "26a0-fe0f",
    "exclamation": "2757",
    "question": "2753",
    "eyes": "1f440",
    "fire": "1f525",
    "star": "2b50",
    "sparkles": "2728",
    "rocket": "1f680",
    "package": "1f4e6",
    "truck": "1f69a",
    "calendar": "1f4c6",
    "phone": "260e-fe0f",
    "email": "2709-fe0f",
}
_SKIN_TONES = {str(n): f"{0x1F3F9 + n:x}" for n in range(2, 7)}  # skin-tone-2 … 6 → U+1F3FB … U+1F3FF
_EMOJI_NAME = re.compile(r"(?<!\w):([a-z0-9_+\-]+):(?::skin-tone-([2-6]):)?(?!\w)")


def _chars(code: str) -> str | None:
    """Code points such as ``1f604`` or ``1f44d-1f3fb``; None for anything that is not
    a character a phone can show (out of range, a lone surrogate half)."""
    try:
        points = [int(point, 16) for point in str(code).split("-")[:8]]
    except ValueError:
        return None
    if not points or any(not 0 < p <= 0x10FFFF or 0xD800 <= p <= 0xDFFF for p in points):
        return None
    return "".join(map(chr, points))


def emoji(name: str, code: str | None, tone: str | None = None) -> str:
    """The emoji character(s), from rich text's code points or the built-in names; else ``:name:``."""
    found = _chars(code) if code else None
    if found is None and name in _EMOJI:
        found = _chars(_EMOJI[name])
        if found is not None and tone:
            found = found.replace("\ufe0f", "") + chr(int(_SKIN_TONES[tone], 16))
    if found is None:
        return f":{name}:" + (f":skin-tone-{tone}:" if tone else "")
    return found


def emoji_names(text: str) -> str:
    return _EMOJI_NAME.sub(lambda m: emoji(m[1], None, m[2]), text)
