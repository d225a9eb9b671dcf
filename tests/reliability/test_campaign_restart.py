"""A campaign whose server process is killed hard (SIGKILL) while mProfi holds a batch:
after the restart that batch is shown as uncertain, never sent again, and the rest goes."""

from __future__ import annotations

from tests.end_to_end.test_campaigns import CSV, GENERAL, TEMPLATE, button, campaign_message
from tests.support import StackFactory

FAST_RECOVERY = {"worker_lease_seconds": 1.0, "sms_bulk_batch_size": 2}


async def test_killed_in_the_middle_of_a_batch_it_resumes_and_sends_no_batch_twice(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, settings=FAST_RECOVERY) as stack:
        file = stack.slack.share_file("U0ANNA", "wizyty.csv", CSV, "text/csv")
        thread, _response = await stack.slack.user_mentions_bot(GENERAL, "U0ANNA", "kampania " + TEMPLATE, files=[file])
        await stack.drain(timeout=20)
        dry_run = campaign_message(stack, thread)
        assert "*4* texts to send" in str(dry_run.blocks)

        stack.sim.config.hang_seconds = 3.0
        stack.sim.queue_fault("sendbulk", "hang_after_accept")  # mProfi takes the first batch, then never answers
        await stack.slack.press_button(button(dry_run, "campaign_send"), user="U0ANNA", channel=GENERAL, message_ts=dry_run.ts)
        await stack.until(lambda: len(stack.sim.messages) >= 2, what="mProfi holding the first batch")
        await stack.restart_app(kill=True)

        def finished() -> bool:
            shown = str(campaign_message(stack, thread).blocks)
            return "*0* still to send" in shown and "Results CSV" in shown

        await stack.until(finished, timeout=30, what="the rest of the campaign after the restart")
        await stack.drain(timeout=20)
        recipients = [m.recipient for m in stack.sim.messages.values()]
        assert sorted(recipients) == ["48600100200", "48600100201", "48600100203", "48600100204"]  # each once
        shown = str(campaign_message(stack, thread).blocks)
        assert "*2* of *4* accepted by mProfi" in shown and "*2* uncertain" in shown
