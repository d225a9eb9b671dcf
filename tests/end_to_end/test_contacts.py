"""Contacts end to end: a CSV shared with "@app contacts" through the emulator, its report,
then ``/sms Anna Kowalska …`` reaching the simulator as an SMS to her number."""

from __future__ import annotations

from bot.sandbox.stack import SandboxStack
from tests.support import open_thread

GENERAL = "C0GENERAL"
CSV = "phone;name;tags\n600 100 200;Anna Kowalska;vip\n600100201;Anna Nowak;\n600100202;;\n".encode("cp1250")


async def import_contacts(stack: SandboxStack) -> str:
    file = stack.slack.share_file("U0ANNA", "kontakty.csv", CSV, "text/csv")
    message, response = await stack.slack.user_mentions_bot(GENERAL, "U0ANNA", "contacts", files=[file])
    assert response.status_code == 200
    await stack.drain()
    [report] = [m for m in stack.slack.thread(GENERAL, message.ts) if m.bot_id]
    return str(report.blocks)


async def test_imported_names_are_used_to_send_and_shown_on_the_card(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    report = await import_contacts(stack)
    assert "*2* added, *0* updated, *0* unchanged, *1* refused" in report and "line 4: no name after the number" in report
    assert not [r for r in stack.sim.requests if r[0].startswith("/1.0/hlr")]  # an import, not a paid number check
    assert "Anna Kowalska · +48 600 100 200" in str(stack.slack.messages[(parent.channel, parent.ts)].blocks)

    answer, hook = await stack.slack.run_command("/sms", "Anna Kowalska Dzień dobry, paczka jest gotowa")
    assert answer.status_code == 200 and "Sending: Anna Kowalska (+48 600 100 200)" in answer.text
    sent = await stack.until(lambda: stack.sent_to("48600100200"), what="the SMS")
    assert [m.text for m in sent] == ["Dzień dobry, paczka jest gotowa"]
    told = await stack.until(lambda: stack.slack.hook_posts(hook), what="how it went")
    assert told[0]["text"].startswith("Sent to Anna Kowalska (+48 600 100 200): mProfi accepted it")
    await stack.drain()
    lines = [m for m in stack.replies(parent) if m.bot_id and "SMS to Anna Kowalska (+48 600 100 200)" in m.text]
    assert lines  # the status line names her too

    vague, _ = await stack.slack.run_command("/sms", "Anna hej")
    assert vague.text.startswith("That name fits more than one contact: Anna Kowalska (+48 600 100 200), Anna Nowak")
    listed, _ = await stack.slack.run_command("/sms", "contacts nowak")
    assert listed.text == "1 contact matching “nowak”:\n• Anna Nowak (+48 600 100 201)"


async def test_export_shares_the_contacts_in_the_bridge_channel(stack: SandboxStack) -> None:
    await import_contacts(stack)
    answer, _ = await stack.slack.run_command("/sms", "contacts export")
    assert "CSV file" in answer.text
    await stack.drain()
    [file] = [f for f in stack.slack.files.values() if f.name.startswith("contacts-") and f.share_ts]
    assert file.channel == stack.channel  # personal data goes where the conversations are, not into #general
    assert "+48600100201;Anna Nowak;" in file.content.decode("utf-8-sig")
