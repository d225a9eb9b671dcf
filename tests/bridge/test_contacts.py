"""Contacts through the bridge: a CSV import with its report, names on cards, sending by name, export."""

from __future__ import annotations

from datetime import timedelta

from bot.bridge import contacts
from bot.bridge.context import Context
from bot.sandbox.slack import SlackState
from storage.models import utcnow

from .queue import run_jobs, waiting_jobs
from .steps import ANNA, BRIDGE, NUMBER, open_thread, person_posts

CSV = (
    "telefon;imię i nazwisko;tagi\n"
    "600 100 200;Anna Kowalska;vip\n"
    "600100201;Anna Nowak;\n"
    "to nie numer;Ktoś\n"
    "600100202;Jan Kowalski;hurt|sklep\n"
).encode("cp1250")


async def imported(ctx: Context, slack: SlackState, content: bytes = CSV, name: str = "kontakty.csv") -> str:
    """A person shares ``content`` with a mention; the import runs; the report's text."""
    file = slack.share_file(ANNA, name, content, "text/csv")
    message = person_posts(slack, BRIDGE, "@mProfi contacts", files=[file])
    trigger = f"mention:{BRIDGE}:{message.ts}"
    await contacts.start_contacts_import(ctx, trigger_id=trigger, user_id=ANNA, channel_id=BRIDGE, thread_ts=message.ts, file=file)
    await run_jobs(ctx)
    [report] = [m for m in slack.thread(BRIDGE, message.ts) if m.bot_id]
    return str(report.blocks)


async def test_an_import_reports_what_it_added_updated_and_refused_and_cards_show_the_names(ctx: Context, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    report = await imported(ctx, slack)
    assert "*3* added, *0* updated, *0* unchanged, *1* refused" in report
    assert "line 4: “to nie numer” is not a phone number" in report
    assert "📱 Anna Kowalska · +48 600 100 200" in str(slack.messages[(parent.channel, parent.ts)].blocks)

    again = await imported(ctx, slack, b"600100200,Anna Kowalska-Nowak\n600100201,Anna Nowak\n", "poprawki.csv")
    assert "*0* added, *1* updated, *1* unchanged, *0* refused" in again
    assert "Anna Kowalska-Nowak · +48 600 100 200" in str(slack.messages[(parent.channel, parent.ts)].blocks)


async def test_a_file_that_is_not_text_is_answered_with_a_sentence(ctx: Context, slack: SlackState) -> None:
    report = await imported(ctx, slack, b"PK\x03\x04\x00\x00binary", "kontakty.xlsx")
    assert "kontakty.xlsx is not a text file; share a CSV with the columns phone, name and (optionally) tags." in report


async def test_a_whole_name_finds_one_contact_and_a_part_of_one_lists_the_candidates(ctx: Context, slack: SlackState) -> None:
    await imported(ctx, slack)
    found = await contacts.find_recipient(ctx, [("anna", 4), ("ANNA  kowalska", 14), ("Anna Kowalska Dzień", 20)])
    assert found is not None and (found.phone, found.name, found.end) == (NUMBER, "Anna Kowalska", 14)
    vague = await contacts.find_recipient(ctx, [("Anna", 4), ("Anna dzień", 10)])
    assert vague is not None and vague.phone is None
    assert vague.candidates == (("Anna Kowalska", "+48600100200"), ("Anna Nowak", "+48600100201"))
    assert await contacts.find_recipient(ctx, [("Zofia", 5), ("Zofia dzień", 11)]) is None


async def test_export_shares_every_contact_as_a_csv_excel_reads(ctx: Context, slack: SlackState) -> None:
    await imported(ctx, slack)
    await contacts.start_contacts_export(ctx, user_id=ANNA, channel_id=BRIDGE)
    await run_jobs(ctx)
    [file] = [f for f in slack.files.values() if f.name.startswith("contacts-")]
    assert file.channel == BRIDGE and file.content.startswith("\ufeff".encode())
    assert file.content.decode("utf-8-sig").splitlines() == [
        "phone;name;tags",
        "+48600100200;Anna Kowalska;vip",
        "+48600100201;Anna Nowak;",
        "+48600100202;Jan Kowalski;hurt sklep",
    ]


async def test_an_export_keeps_formulas_as_words(ctx: Context, slack: SlackState) -> None:
    await imported(ctx, slack, b"600100200;=HYPERLINK(1);@vip\n", "zle.csv")
    await contacts.start_contacts_export(ctx, user_id=ANNA, channel_id=BRIDGE)
    await run_jobs(ctx)
    [file] = [f for f in slack.files.values() if f.name.startswith("contacts-")]
    assert file.content.decode("utf-8-sig").splitlines()[1] == "+48600100200;'=HYPERLINK(1);'@vip"


async def test_slack_delivering_the_mention_twice_imports_once_with_one_report(ctx: Context, slack: SlackState) -> None:
    file = slack.share_file(ANNA, "kontakty.csv", CSV, "text/csv")
    message = person_posts(slack, BRIDGE, "@mProfi contacts", files=[file])
    for _ in range(2):
        await contacts.start_contacts_import(
            ctx, trigger_id="mention:again", user_id=ANNA, channel_id=BRIDGE, thread_ts=message.ts, file=file
        )
    await run_jobs(ctx)
    [report] = [m for m in slack.thread(BRIDGE, message.ts) if m.bot_id]
    assert "*3* added" in str(report.blocks)


async def test_a_report_slack_failed_to_take_keeps_the_figures_of_the_import(ctx: Context, slack: SlackState) -> None:
    file = slack.share_file(ANNA, "kontakty.csv", CSV, "text/csv")
    message = person_posts(slack, BRIDGE, "@mProfi contacts", files=[file])
    await contacts.start_contacts_import(ctx, trigger_id="mention:once", user_id=ANNA, channel_id=BRIDGE, thread_ts=message.ts, file=file)
    slack.fail("chat.postMessage", 500)  # the contacts are stored; the report does not get through
    await run_jobs(ctx)
    assert [job.last_error for job in await waiting_jobs(ctx)] != []
    await run_jobs(ctx, now=utcnow() + timedelta(hours=1))
    [report] = [m for m in slack.thread(BRIDGE, message.ts) if m.bot_id]
    assert "*3* added, *0* updated, *0* unchanged, *1* refused" in str(report.blocks)  # not "3 unchanged" from a second import


async def test_export_typed_where_the_app_may_not_share_files_is_answered_privately(ctx: Context, slack: SlackState) -> None:
    await imported(ctx, slack)
    slack.refuse("not_in_channel", method="files.completeUploadExternal")
    hook = slack.config.public_url + "/hooks/export"
    await contacts.start_contacts_export(ctx, user_id=ANNA, channel_id=BRIDGE, response_url=hook)
    await run_jobs(ctx)
    [told] = slack.hook_posts("export")
    assert told["text"].startswith("The app is not a member of this channel, so it cannot share the contacts file here;")
    assert await waiting_jobs(ctx) == []


async def test_a_shorter_whole_name_is_not_taken_when_the_typed_words_go_on_like_a_longer_one(ctx: Context, slack: SlackState) -> None:
    await imported(ctx, slack, b"600100210,Jan\n600100211,Jan Kowalski\n600100212,Kowalski & Syn\n", "jan.csv")
    typo = await contacts.find_recipient(ctx, [("Jan", 3), ("Jan Kowalsky", 12), ("Jan Kowalsky hej", 16)])
    assert typo is not None and typo.phone is None
    assert typo.candidates == (("Jan", "+48600100210"), ("Jan Kowalski", "+48600100211"))
    plain = await contacts.find_recipient(ctx, [("Jan", 3), ("Jan dzień", 9), ("Jan dzień dobry", 15)])
    assert plain is not None and (plain.phone, plain.end) == ("+48600100210", 3)
