"""The Home tab's blocks: ages in plain words, lists bounded, always a view Slack takes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.sandbox.slack.limits import view_problems
from bot.slack.blocks.home import HomeLine, HomeView, home_view, waited
from bot.slack.blocks.stats import duration

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_wait_reads_in_plain_words() -> None:
    assert waited(NOW - timedelta(seconds=20), NOW) == "waiting less than a minute"
    assert waited(NOW - timedelta(minutes=1), NOW) == "waiting 1 minute"
    assert waited(NOW - timedelta(minutes=45), NOW) == "waiting 45 minutes"
    assert waited(NOW - timedelta(hours=2, minutes=5), NOW) == "waiting 2 h 5 min"
    assert waited(NOW - timedelta(days=3, hours=1), NOW) == "waiting 3 days"
    assert [duration(s) for s in (None, 44.6, 720, 7500, 3 * 86400 + 4 * 3600)] == ["—", "45 s", "12 min", "2 h 5 min", "3 d 4 h"]


def test_long_lists_are_bounded_and_the_view_stays_within_slacks_limits() -> None:
    lines = [
        HomeLine(
            phone=f"+48600{i:06d}", name="<b>Zażółć & gęślą jaźń</b>" * 4, state="waiting_us", link=None, waiting_since=NOW, owner="U0ANNA"
        )
        for i in range(20)
    ]
    view = home_view(
        HomeView(user_id="U0ANNA", zone=ZoneInfo("Europe/Warsaw"), now=NOW, mine=lines, mine_total=250, waiting=lines, waiting_total=1200)
    )
    assert view_problems(view) == []
    shown = json.dumps(view, ensure_ascii=False)
    assert "…and 230 more" in shown and "…and 1,180 more" in shown and "<b>" not in shown  # names are escaped
