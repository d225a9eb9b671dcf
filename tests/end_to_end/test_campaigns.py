"""A campaign end to end: a CSV uploaded to the emulator and shared with a signed mention,
the dry run in its thread, *Remove Polish letters*, a double-clicked *Send*, sendbulk/
calls at the simulator, a PUSH status on the progress, and the results CSV."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import SandboxStack
from tests.support import StackFactory

GENERAL = "C0GENERAL"
TEMPLATE = "Dzień dobry {imię}! Przypominamy o wizycie {data_wizyty} o 10:00. Do zobaczenia w przychodni."
CSV = (
    "telefon;imię;data wizyty\n"
    "600100200;Łucja;12.12\n"
    "600100201;Jan;13.12\n"
    "600 100 200;Łucja;12.12\n"
    "abc;X;1\n"
    "600100202;Ewa;\n"
    "600100203;Olga;14.12\n"
    "600100204;Zoe;=SUM(A1)\n"
).encode("cp1250")


def campaign_message(stack: SandboxStack, thread: SlackMessage) -> SlackMessage:
    [found] = [m for m in stack.slack.thread(GENERAL, thread.ts) if m.bot_id and "📣" in str(m.blocks)]
    return found


def button(message: SlackMessage, action_id: str) -> dict[str, Any]:
    return next(e for b in message.blocks or [] if b.get("type") == "actions" for e in b["elements"] if e["action_id"] == action_id)


async def test_a_campaign_from_a_csv_dry_run_send_once_statuses_and_results(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_bulk_batch_size": 2}) as stack:
        await stack.phone_texts("48600100203", "STOP")  # opted out before the campaign
        await stack.drain()
        file = stack.slack.share_file("U0ANNA", "wizyty.csv", CSV, "text/csv")
        thread, response = await stack.slack.user_mentions_bot(GENERAL, "U0ANNA", "kampania " + TEMPLATE, files=[file])
        assert response.status_code == 200
        await stack.drain()
        dry_run = campaign_message(stack, thread)
        shown = str(dry_run.blocks)
        assert (
            "*3* texts to send · *1* invalid · *1* duplicate · *1* opted out · *1* with a variable that has no value ({data_wizyty})"
            in shown
        )
        assert "+48 600 100 200: Dzień dobry Łucja! Przypominamy o wizycie 12.12" in shown
        assert "3 texts need Unicode because of Polish letters: 2 parts each." in shown and "In all: *6* SMS parts." in shown
        assert not [r for r in stack.sim.requests if r[0].startswith("/1.0/send")]  # a dry run: nothing sent

        await stack.slack.press_button(button(dry_run, "campaign_plain"), user="U0ANNA", channel=GENERAL, message_ts=dry_run.ts)
        await stack.drain()
        dry_run = campaign_message(stack, thread)
        assert "Polish letters removed: *3* SMS parts in all, 3 fewer than with them." in str(dry_run.blocks)

        send = button(dry_run, "campaign_send")
        presses = await asyncio.gather(
            *(stack.slack.press_button(send, user="U0ANNA", channel=GENERAL, message_ts=dry_run.ts) for _ in range(2))
        )
        assert all(answer.status_code == 200 for answer, _hook in presses)
        await stack.drain()
        said = sorted(str(post.get("text")) for _answer, hook in presses for post in stack.slack.hook_posts(hook))
        assert said[0].startswith("Sending 3 SMS") and "nothing is sent twice" in said[1]

        sent = list(stack.sim.messages.values())
        assert sorted(m.recipient for m in sent) == ["48600100200", "48600100201", "48600100204"]  # each once, 48600100203 opted out
        assert len([r for r in stack.sim.requests if r[0] == "/1.0/sendbulk/"]) == 2  # at most 2 (the batch size) a call
        assert all(m.encoding is None and "Dzien dobry" in m.text and m.reference for m in sent)
        progress = campaign_message(stack, thread)
        assert progress.ts == dry_run.ts and "*3* of *3* accepted by mProfi" in str(progress.blocks)

        stack.sim.set_status(sent[0].id, "delivered")  # mProfi PUSHes it to /mprofi/status
        await stack.until(lambda: "*1* delivered" in str(campaign_message(stack, thread).blocks), what="the delivered count")

        [results] = [f for f in stack.slack.files.values() if f.name.startswith("campaign-") and f.share_ts]
        content = results.content.decode("utf-8-sig")
        header, *lines = content.splitlines()
        assert header == "telefon;imię;data wizyty;phone (E.164);text;parts;status;status time;note"
        assert len(lines) == 7 and lines[0].startswith("600100200;Łucja;12.12;+48600100200;Dzien dobry Lucja!")
        assert "600100204;Zoe;'=SUM(A1);+48600100204;" in content  # a formula stays words in Excel


async def test_schedule_form_refuses_quiet_hours_and_a_scheduled_campaign_waits_and_can_be_cancelled(make_stack: StackFactory) -> None:
    now = datetime.now(ZoneInfo("Europe/Warsaw"))
    quiet = f"{now:%H:00}-{(now + timedelta(hours=2)):%H:00}"
    settings = {"quiet_hours": quiet, "sms_allowed_users": "U0ANNA"}
    async with make_stack(settings=settings) as stack:
        file = stack.slack.share_file("U0ANNA", "wizyty.csv", CSV, "text/csv")
        thread, _response = await stack.slack.user_mentions_bot(GENERAL, "U0ANNA", "campaign " + TEMPLATE, files=[file])
        await stack.drain()
        dry_run = campaign_message(stack, thread)
        assert "Sending now would fall inside the quiet hours" in str(dry_run.blocks)

        refused, hook = await stack.slack.press_button(
            button(dry_run, "campaign_send"), user="U0PIOTR", channel=GENERAL, message_ts=dry_run.ts
        )
        await stack.drain()
        assert refused.status_code == 200 and stack.slack.hook_posts(hook)  # Piotr may not send: told why, privately
        _answer, hook = await stack.slack.press_button(
            button(dry_run, "campaign_send"), user="U0ANNA", channel=GENERAL, message_ts=dry_run.ts
        )
        await stack.drain()
        assert str(stack.slack.hook_posts(hook)[0]["text"]).startswith("It is quiet hours")

        before = set(stack.slack.views)
        await stack.slack.press_button(button(dry_run, "campaign_schedule"), user="U0ANNA", channel=GENERAL, message_ts=dry_run.ts)
        [view_id] = set(stack.slack.views) - before
        inside = {"when": {"value": {"type": "datetimepicker", "selected_date_time": int((now + timedelta(minutes=30)).timestamp())}}}
        answer = await stack.slack.submit_view(view_id, "U0ANNA", inside)
        assert "inside the quiet hours" in answer.json()["errors"]["when"]
        later = now.replace(microsecond=0) + timedelta(hours=3)
        outside = {"when": {"value": {"type": "datetimepicker", "selected_date_time": int(later.timestamp())}}}
        assert (await stack.slack.submit_view(view_id, "U0ANNA", outside)).status_code == 200
        await stack.drain()
        assert stack.sim.messages == {}  # kept in the bridge until its time: opt-outs are checked then
        progress = campaign_message(stack, thread)
        assert f"scheduled for {later:%d.%m.%Y %H:%M}" in str(progress.blocks)
        await stack.slack.press_button(button(progress, "campaign_cancel"), user="U0ANNA", channel=GENERAL, message_ts=progress.ts)
        await stack.drain()
        assert "cancelled; nothing was sent." in str(campaign_message(stack, thread).blocks) and stack.sim.messages == {}
