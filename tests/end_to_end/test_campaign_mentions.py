"""Campaign mentions and the schedule form through the emulator, on SQLite and PostgreSQL:
Slack delivering a mention again makes one campaign, a mention with no file is answered,
and a schedule over the hourly limit is refused beside the field."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support import StackFactory

from .test_campaigns import CSV, GENERAL, TEMPLATE, button, campaign_message


async def test_a_mention_slack_delivers_again_makes_one_campaign(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        file = stack.slack.share_file("U0ANNA", "wizyty.csv", CSV, "text/csv")
        thread, first = await stack.slack.user_mentions_bot(GENERAL, "U0ANNA", "kampania: " + TEMPLATE, files=[file])
        mention = {**thread.as_event(), "type": "app_mention", "event_ts": thread.ts}
        mention.pop("subtype", None)
        again = await stack.slack.deliver(stack.slack.envelope(mention), retry_num=1)  # X-Slack-Retry-Num: 1
        assert first.status_code == again.status_code == 200
        await stack.drain()
        shown = str(campaign_message(stack, thread).blocks)  # exactly one campaign message in the thread
        assert "600 100 200: Dzień dobry Łucja! Przypominamy" in shown  # the ":" after the word is not part of the text


async def test_a_campaign_mention_without_a_file_is_told_how(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        await stack.slack.user_mentions_bot(GENERAL, "U0ANNA", "kampania " + TEMPLATE)
        told = await stack.until(lambda: stack.slack.ephemeral, what="the private answer")
        assert told[0]["user"] == "U0ANNA" and "Share the CSV in the same message as the mention" in told[0]["text"]


async def test_a_schedule_over_the_hourly_limit_is_refused_beside_the_field(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_user_limit_per_hour": 2}) as stack:
        file = stack.slack.share_file("U0ANNA", "wizyty.csv", CSV, "text/csv")
        thread, _response = await stack.slack.user_mentions_bot(GENERAL, "U0ANNA", "campaign " + TEMPLATE, files=[file])
        await stack.drain()
        dry_run = campaign_message(stack, thread)
        before = set(stack.slack.views)
        await stack.slack.press_button(button(dry_run, "campaign_schedule"), user="U0ANNA", channel=GENERAL, message_ts=dry_run.ts)
        [view_id] = set(stack.slack.views) - before
        later = datetime.now(ZoneInfo("Europe/Warsaw")).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=1)
        picked = {"when": {"value": {"type": "datetimepicker", "selected_date_time": int(later.timestamp())}}}
        answer = await stack.slack.submit_view(view_id, "U0ANNA", picked)
        assert "the limit is 2 (SMS_USER_LIMIT_PER_HOUR)" in answer.json()["errors"]["when"]
        await stack.drain()
        assert stack.sim.messages == {} and "dry run" in str(campaign_message(stack, thread).blocks)
