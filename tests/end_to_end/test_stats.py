"""``/sms stats`` end to end: the signed command, the report's blocks in the channel where it
was typed, its CSV (read back) and its PNG chart in the report's thread; a period that is
not one, and a channel the app may not post in, each told in one sentence."""

from __future__ import annotations

import io
import json
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import select

from bot.sandbox.stack import SandboxStack
from storage.models import Message
from tests.support import open_thread, stored

GENERAL = "C0GENERAL"


async def test_stats_posts_the_figures_a_csv_and_a_chart_where_it_was_typed(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "Tak, wyszło dziś rano.")
    await stack.until(lambda: stack.sent_to("48600100200"), what="the reply at mProfi")
    await stack.drain()

    answer, _hook = await stack.slack.run_command("/sms", "stats 30d", channel=GENERAL)
    assert answer.status_code == 200 and answer.text == "Preparing the report…"
    await stack.drain()
    [report] = [m for m in stack.slack.top_level(GENERAL) if m.bot_id]
    shown = json.dumps(report.blocks, ensure_ascii=False)
    assert "SMS report: the last 30 days" in shown
    assert "*Messages in:* 1" in shown and "*Messages out:* 1 (1 SMS parts)" in shown
    assert "p50" in shown and "1 answered wait" in shown and "*Opt-outs:* 0" in shown
    assert "@anna: 1 message sent, first response p50" in shown and not report.pings  # named, nobody pinged

    files = {f.name.rsplit(".", 1)[-1]: f for f in stack.slack.files.values() if f.name.startswith("sms-stats-") and f.share_ts}
    assert set(files) == {"csv", "png"} and {f.thread_ts for f in files.values()} == {report.ts}
    assert {f.channel for f in files.values()} == {GENERAL}
    rows = files["csv"].content.decode("utf-8-sig").splitlines()
    assert rows[0] == "day;in;out;SMS parts;delivered;failed;opt-outs" and len(rows) == 31
    # The report's days are DEFAULT_TIMEZONE's; each message counts on the day it was stored on
    # (run across midnight, the message and its answer, or the report, fall on different days).
    zone = ZoneInfo(stack.settings().default_timezone)
    expected: dict[str, list[int]] = {}
    for m in await stored(stack, select(Message)):
        figures = expected.setdefault(m.created_at.astimezone(zone).date().isoformat(), [0, 0, 0])
        figures[0 if m.direction == "in" else 1] += 1
        figures[2] += m.parts if m.direction == "out" else 0
    assert sum(f[0] for f in expected.values()) == 1 and sum(f[1] for f in expected.values()) == 1
    for row in rows[1:]:
        day, *cells = row.split(";")
        if day in expected:
            assert cells[:3] == [str(n) for n in expected.pop(day)]
        else:
            assert cells == ["0"] * 6
    assert not expected  # every message's day is in the report
    assert max(rows[1:]).split(";")[0] == rows[-1].split(";")[0]  # the days in order, the last one the report's today

    png = files["png"].content
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and 2_000 < len(png) < 500_000
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (900, 420)


async def test_a_period_that_is_not_one_gets_one_plain_sentence(stack: SandboxStack) -> None:
    answer, _ = await stack.slack.run_command("/sms", "stats trzy tygodnie", channel=GENERAL)
    assert answer.text == "“trzy tygodnie” is not a period; type /sms stats 7d or /sms stats 30d (up to 90 days)."
    await stack.drain()
    assert not [m for m in stack.slack.top_level(GENERAL) if m.bot_id]


async def test_a_channel_the_app_may_not_post_in_is_told_privately(stack: SandboxStack) -> None:
    stack.slack.refuse("not_in_channel", method="chat.postMessage", channel=GENERAL, times=None)
    answer, hook = await stack.slack.run_command("/sms", "statystyki", channel=GENERAL)
    assert answer.text == "Preparing the report…"
    told = await stack.until(lambda: stack.slack.hook_posts(hook), what="the private sentence")
    assert told[0]["text"].startswith("The report cannot be posted in this channel: invite the app here")
    await stack.drain()
    assert not [f for f in stack.slack.files.values() if f.name.startswith("sms-stats-")]
