"""The daily volume chart of ``/sms stats``: messages in and out per day, as bars in a PNG.

Drawn with Pillow and its built-in font (nothing is downloaded); the size does not
grow with the counts, only a little with the days (at most 90 pairs of bars). Pillow is
imported when a chart is drawn, not when the bridge starts: most bridges never draw one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

__all__ = ["IN_COLOUR", "OUT_COLOUR", "volume_png"]

IN_COLOUR = (54, 121, 204)  # Slack-ish blue
OUT_COLOUR = (236, 137, 38)
_INK = (60, 60, 60)
_GRID = (225, 225, 225)
WIDTH, HEIGHT = 900, 420
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 20, 50, 60


def _step(peak: int) -> int:
    """A round gridline step (1, 2, 5, 10, 20, 50 …) that gives at most eight lines up to ``peak``."""
    step, factors = 1, (2.0, 2.5, 2.0)
    while peak / step > 8:
        step = round(step * factors[0])
        factors = (*factors[1:], factors[0])
    return step


def volume_png(days: Sequence[date], inbound: Sequence[int], outbound: Sequence[int], *, title: str, labels: tuple[str, str]) -> bytes:
    """A PNG bar chart: for each day a bar of messages in and one of messages out.

    ``labels`` name the two series in the legend (in the report's language).
    """
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    peak = max([1, *inbound, *outbound])
    step = _step(peak)
    top = -(-peak // step) * step
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    base = _TOP + plot_h
    for value in range(0, top + 1, step):
        y = base - plot_h * value / top
        draw.line([(_LEFT, y), (WIDTH - _RIGHT, y)], fill=_GRID)
        draw.text((_LEFT - 6, y), str(value), fill=_INK, font=font, anchor="rm")
    draw.line([(_LEFT, _TOP), (_LEFT, base), (WIDTH - _RIGHT, base)], fill=_INK)
    slot = plot_w / max(1, len(days))
    bar = max(1.0, slot * 0.38)
    every = max(1, -(-len(days) // 15))  # at most 15 dates under the axis
    for index, day in enumerate(days):
        x = _LEFT + slot * index + slot / 2
        for offset, value, colour in ((-bar, inbound[index], IN_COLOUR), (0.0, outbound[index], OUT_COLOUR)):
            if value:
                draw.rectangle([x + offset, base - plot_h * value / top, x + offset + bar - 1, base], fill=colour)
        if index % every == 0:
            draw.text((x, base + 8), day.strftime("%d.%m"), fill=_INK, font=font, anchor="mt")
    draw.text((_LEFT, 18), title, fill=_INK, font=font, anchor="lm")
    legend_x = WIDTH - _RIGHT - 260
    for index, (label, colour) in enumerate(zip(labels, (IN_COLOUR, OUT_COLOUR), strict=True)):
        x = legend_x + index * 130
        draw.rectangle([x, HEIGHT - 24, x + 12, HEIGHT - 12], fill=colour)
        draw.text((x + 18, HEIGHT - 18), label, fill=_INK, font=font, anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
