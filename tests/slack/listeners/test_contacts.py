"""``/sms contacts`` and ``/sms <name> …``, and a CSV shared with "@app contacts", called with fakes."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import pytest

from bot.slack.blocks.contacts import CONTACTS_HELP
from bot.slack.listeners import hlr
from tests.slack.listeners.fakes import FakeBridge, within_slack_time
from tests.slack.listeners.test_sms import form_view, run_sms, submit

if TYPE_CHECKING:
    from bot.bridge import Bridge


async def test_a_whole_name_sends_to_its_contact_and_the_answer_names_them() -> None:
    ack, bridge, _ = await run_sms("Anna Kowalska Dzień dobry, paczka wyszła")
    [request] = bridge.called("start_sms")
    assert request.recipients == ("+48600100300",) and request.text == "Dzień dobry, paczka wyszła"
    assert str(ack.text).startswith("Sending: Anna Kowalska (+48 600 100 300) (1 SMS part).")


async def test_a_name_after_a_send_time_is_read_too() -> None:
    _, bridge, _ = await run_sms("at 2099-01-02 09:00 Anna Nowak Zapraszamy")
    [request] = bridge.called("start_sms")
    assert request.recipients == ("+48600100301",) and request.text == "Zapraszamy" and request.send_at is not None


async def test_a_name_that_fits_two_contacts_lists_them_and_sends_nothing() -> None:
    ack, bridge, _ = await run_sms("Anna dzień dobry")
    assert ack.text == (
        "That name fits more than one contact: Anna Kowalska (+48 600 100 300), Anna Nowak (+48 600 100 301). "
        "Write the whole name, or the number."
    )
    assert bridge.started == []


async def test_a_word_that_is_no_contact_says_so_in_one_sentence() -> None:
    ack, bridge, _ = await run_sms("Zofia dzień dobry")
    assert ack.text == (
        "“Zofia” is neither a number nor a contact's name. Start with the number (or a contact's whole name), "
        "then the message: /sms 600100200 Your parcel is on its way."
    )
    assert bridge.started == []


@pytest.mark.parametrize(("typed", "answer"), [("contacts import", CONTACTS_HELP), ("kontakty pomoc", CONTACTS_HELP)])
async def test_contacts_help_and_import_explain_how(typed: str, answer: str) -> None:
    ack, bridge, _ = await run_sms(typed)
    assert ack.text == answer and bridge.started == []


async def test_contacts_lists_and_searches_privately() -> None:
    ack, _, _ = await run_sms("contacts")
    assert ack.text == "2 contacts:\n• Anna Kowalska (+48 600 100 300)\n• Anna Nowak (+48 600 100 301)"
    ack, _, _ = await run_sms("contacts nowak")
    assert ack.text == "1 contact matching “nowak”:\n• Anna Nowak (+48 600 100 301)"


async def test_contacts_export_is_queued_and_said() -> None:
    ack, bridge, _ = await run_sms("contacts export")
    assert bridge.called("start_contacts_export") == [{"user_id": "U0ANNA", "channel_id": "C0BRIDGE", "response_url": "https://hooks/1"}]
    assert "CSV file" in str(ack.text)


async def test_a_csv_shared_with_the_word_contacts_is_imported_not_checked() -> None:
    bridge = FakeBridge()
    file = {"id": "F1", "name": "kontakty.csv", "filetype": "csv", "url_private_download": "https://files/F1"}
    event = {"type": "app_mention", "channel": "C0GENERAL", "ts": "5.5", "user": "U0ANNA", "text": "<@U0BOT> Kontakty", "files": [file]}
    await within_slack_time(hlr.handle_mention(event, bridge=cast("Bridge", bridge)))
    assert [name for name, _ in bridge.calls] == ["may_send", "start_contacts_import"]
    [call] = bridge.called("start_contacts_import")
    assert (call["thread_ts"], call["file"]) == ("5.5", file)


async def test_numbers_after_a_name_are_part_of_the_message_not_more_recipients() -> None:
    _, bridge, _ = await run_sms("Anna Kowalska 600 100 201 to mój nowy numer")
    [request] = bridge.called("start_sms")
    assert request.recipients == ("+48600100300",) and request.text == "600 100 201 to mój nowy numer"


async def test_a_name_slack_escaped_is_looked_up_as_typed() -> None:
    bridge = FakeBridge()
    bridge.contacts["+48600100399"] = "Kowalski & Syn"
    _, bridge, _ = await run_sms("Kowalski &amp; Syn Faktura gotowa", bridge)
    [request] = bridge.called("start_sms")
    assert request.recipients == ("+48600100399",) and request.text == "Faktura gotowa"


async def test_a_name_without_a_message_asks_for_it() -> None:
    ack, bridge, _ = await run_sms("Anna Nowak")
    assert ack.text == "Add the message after the name: /sms Anna Kowalska Your parcel is on its way."
    assert bridge.started == []
    ack, bridge, _ = await run_sms("Anna Now cześć")
    assert ack.text == "Did you mean Anna Nowak (+48 600 100 301)? Write the whole name, then the message (or use the number)."


async def test_someone_who_may_not_send_may_not_import_names_either() -> None:
    bridge = FakeBridge(refusal="Sorry, you are not on the list.")
    file = {"id": "F1", "name": "kontakty.csv", "filetype": "csv", "url_private_download": "https://files/F1"}
    event = {"type": "app_mention", "channel": "C0GENERAL", "ts": "5.5", "user": "U0EVE", "text": "<@U0BOT> contacts", "files": [file]}
    await within_slack_time(hlr.handle_mention(event, bridge=cast("Bridge", bridge)))
    assert bridge.called("start_contacts_import") == []
    [told] = bridge.called("tell_privately")
    assert told["user_id"] == "U0EVE" and told["text"].startswith("Only people who may send SMS")


async def test_the_forms_answer_names_the_contact_too() -> None:
    _, bridge = await submit(form_view("600 100 300", "Paczka gotowa"))
    [told] = bridge.called("tell_privately")
    assert told["text"].startswith("Sending: Anna Kowalska (+48 600 100 300) (1 SMS part).")
