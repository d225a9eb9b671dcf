"""Templates end to end, through the Slack emulator and the mProfi simulator: the
``/sms templates`` modal (add, edit, remove), the card's *Reply with template*,
``/sms 600100200 #name`` and the /sms form's picker. Every press, pick and submit is a
signed interaction as Slack sends it; what reaches a phone is read at the simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.sandbox.stack import SandboxStack
from storage import contacts, make_engine, make_sessionmaker
from storage import templates as template_store
from storage.template_models import Template
from tests.support import open_thread, outgoing, stored

ANNA = "U0ANNA"
TODAY = datetime.now(UTC).astimezone(ZoneInfo("Europe/Warsaw")).strftime("%Y-%m-%d")  # {date} in English


async def add_template(stack: SandboxStack, name: str, text: str) -> int:
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            return (await template_store.add_template(session, name=name, text=text, by=ANNA)).id
    finally:
        await engine.dispose()


async def name_number(stack: SandboxStack, phone: str, name: str) -> None:
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await contacts.set_name(session, phone, name, by=ANNA)
    finally:
        await engine.dispose()


async def new_view(stack: SandboxStack, before: set[str]) -> str:
    opened: set[str] = await stack.until(lambda: set(stack.slack.views) - before, what="the modal")
    [view_id] = opened
    return view_id


def shown(stack: SandboxStack, view_id: str) -> str:
    return str(stack.slack.views[view_id])


def block(stack: SandboxStack, view_id: str, prefix: str) -> dict[str, Any]:
    return next(b for b in stack.slack.views[view_id]["blocks"] if str(b.get("block_id", "")).startswith(prefix))


async def test_the_templates_modal_adds_edits_and_removes(stack: SandboxStack) -> None:
    before = set(stack.slack.views)
    answer, _ = await stack.slack.run_command("/sms", "szablony")
    assert answer.status_code == 200
    view_id = await new_view(stack, before)
    assert stack.slack.views[view_id]["callback_id"] == "templates_list" and "No templates yet" in shown(stack, view_id)

    await stack.slack.press_button_in_view(view_id, {"action_id": "template_add", "value": "add"}, user=ANNA)
    await stack.until(lambda: stack.slack.views[view_id]["callback_id"] == "template_form", what="the form")
    typed = {"text": {"template_text": {"type": "plain_text_input", "value": "Dzień dobry {imię}, paczka czeka. {agent}"}}}
    await stack.slack.type_in_view(view_id, ANNA, typed, block_id="text", action_id="template_text")
    hint = await stack.until(lambda: "characters" in str(block(stack, view_id, "hint")) and block(stack, view_id, "hint"), what="the hint")
    assert "1 SMS part (UCS-2)" in str(hint) and "Variables: {imię}, {agent}" in str(hint)

    def form(name: str, text: str) -> dict[str, Any]:
        return {
            "name": {"value": {"type": "plain_text_input", "value": name}},
            "text": {"template_text": {"type": "plain_text_input", "value": text}},
        }

    assert (await stack.slack.submit_view(view_id, ANNA, form("two words", "x"))).json()["errors"]["name"].startswith("Use one word")
    stray = (await stack.slack.submit_view(view_id, ANNA, form("dostawa", "Hej {imię"))).json()
    assert stray["errors"] == {"text": stray["errors"]["text"]} and "character 5" in stray["errors"]["text"]
    too_long = (await stack.slack.submit_view(view_id, ANNA, form("dostawa", "x" * 613))).json()
    assert "613 characters long, over the limit of 612" in too_long["errors"]["text"]
    saved = await stack.slack.submit_view(view_id, ANNA, form("Dostawa", "Dzień dobry {imię}, paczka czeka."))
    assert saved.json()["response_action"] == "update"
    assert stack.slack.views[view_id]["callback_id"] == "templates_list" and "#Dostawa" in shown(stack, view_id)
    assert stack.slack.view_refusals == []

    await stack.slack.press_button_in_view(view_id, {"action_id": "template_add", "value": "add"}, user=ANNA)
    await stack.until(lambda: stack.slack.views[view_id]["callback_id"] == "template_form", what="the form")
    taken = (await stack.slack.submit_view(view_id, ANNA, form("DOSTAWA", "Inny tekst"))).json()
    assert taken["errors"] == {"name": "A template called “DOSTAWA” already exists; pick another name or edit that one."}

    [row] = await stored(stack, select(Template))
    await stack.slack.submit_view(view_id, ANNA, form("zwrot", "Zwrot przyjęty."))  # back to the list
    await stack.slack.press_button_in_view(view_id, {"action_id": "template_edit", "value": str(row.id)}, user=ANNA)
    await stack.until(lambda: "Remove this template" in shown(stack, view_id), what="the edit form")
    assert block(stack, view_id, "name")["element"]["initial_value"] == "Dostawa"
    assert (await stack.slack.submit_view(view_id, ANNA, form("dostawa-jutro", "Paczka będzie jutro, {imię}."))).status_code == 200
    edited = {t.name: t.text for t in await stored(stack, select(Template))}
    assert edited == {"dostawa-jutro": "Paczka będzie jutro, {imię}.", "zwrot": "Zwrot przyjęty."}

    await stack.slack.press_button_in_view(view_id, {"action_id": "template_edit", "value": str(row.id)}, user=ANNA)
    await stack.until(lambda: "Remove this template" in shown(stack, view_id), what="the edit form")
    remove = next(e for e in block(stack, view_id, "remove")["elements"] if e["action_id"] == "template_remove")
    assert remove["confirm"]["title"]["text"] == "Remove the template?"  # Slack asks before it sends the press
    await stack.slack.press_button_in_view(view_id, {"action_id": "template_remove", "value": str(row.id)}, user=ANNA)
    await stack.until(lambda: "Removed #dostawa-jutro." in shown(stack, view_id), what="the list again")
    assert [t.name for t in await stored(stack, select(Template))] == ["zwrot"]
    assert stack.slack.view_refusals == []


async def test_reply_with_template_names_a_missing_variable_then_sends_the_text_once(stack: SandboxStack) -> None:
    template_id = await add_template(stack, "powitanie", "Dzień dobry {first_name}, tu {agent}. Data: {date}")
    parent = await open_thread(stack)
    blocks = stack.slack.messages[(parent.channel, parent.ts)].blocks or []
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e.get("action_id") == "card_reply_template"]
    before = set(stack.slack.views)
    response, _ = await stack.slack.press_button(button, user=ANNA, channel=parent.channel, message_ts=parent.ts)
    assert response.status_code == 200
    view_id = await new_view(stack, before)

    pick = {"pick": {"template_reply_pick": {"type": "static_select", "selected_option": {"value": str(template_id)}}}}
    await stack.slack.type_in_view(view_id, ANNA, pick, block_id="pick", action_id="template_reply_pick")
    await stack.until(lambda: block(stack, view_id, "text-")["block_id"].startswith(f"text-{template_id}-"), what="the text filled in")
    # The field keeps the template as written; the preview shows it filled in (Send fills it in once).
    assert block(stack, view_id, "text-")["element"]["initial_value"] == "Dzień dobry {first_name}, tu {agent}. Data: {date}"
    text_block = block(stack, view_id, "text-")["block_id"]
    assert f"The phone gets: “Dzień dobry {{first_name}}, tu anna. Data: {TODAY}”" in str(block(stack, view_id, "hint"))
    assert "No value for {first_name}" in str(block(stack, view_id, "hint"))

    refused = await stack.slack.submit_view(view_id, ANNA, {})
    assert refused.json()["errors"] == {text_block: "No value for {first_name} for this number: write it in, or take it out."}
    assert stack.sent_to("48600100200") == []

    typed = {text_block: {"template_reply_text": {"type": "plain_text_input", "value": "Dzień dobry, {first_name}!"}}}
    await stack.slack.type_in_view(view_id, ANNA, typed, block_id=text_block, action_id="template_reply_text")
    await stack.until(lambda: "26 of 612" in str(block(stack, view_id, "hint")), what="the preview of what was typed")
    assert block(stack, view_id, "text-")["block_id"] == text_block  # a keystroke keeps the field as typed

    await name_number(stack, "+48600100200", "Anna Kowalska")
    await stack.slack.type_in_view(view_id, ANNA, pick, block_id="pick", action_id="template_reply_pick")  # picked again
    expected = f"Dzień dobry Anna, tu anna. Data: {TODAY}"
    await stack.until(lambda: block(stack, view_id, "text-")["block_id"] != text_block, what="the template again")
    assert block(stack, view_id, "text-")["element"].get("initial_value") == "Dzień dobry {first_name}, tu {agent}. Data: {date}"
    assert f"The phone gets: “{expected}”" in str(block(stack, view_id, "hint")) and "No value" not in str(block(stack, view_id, "hint"))
    assert (await stack.slack.submit_view(view_id, ANNA, {})).status_code == 200
    assert (await stack.slack.submit_view(view_id, ANNA, {})).status_code == 200  # a double submit
    sent = await stack.until(lambda: stack.sent_to("48600100200"), what="the SMS")
    await stack.drain()
    assert [m.text for m in stack.sent_to("48600100200")] == [expected]
    assert [m.text for m in await outgoing(stack)] == [expected] and sent[0].encoding == "utf-8"
    lines = [m for m in stack.replies(parent) if m.bot_id and "SMS to Anna Kowalska (+48 600 100 200)" in m.text]
    assert lines  # the reply shows in the thread with its live status
    assert stack.slack.view_refusals == []


async def test_sms_hash_name_fills_the_template_for_that_number(stack: SandboxStack) -> None:
    await add_template(stack, "dostawa", "Dzień dobry {first_name}, paczka jest w drodze.")
    await add_template(stack, "general", "Zapraszamy ponownie!")
    await name_number(stack, "+48600100200", "Anna Kowalska")

    answer, _ = await stack.slack.run_command("/sms", "600100200 #DOSTAWA")
    assert answer.status_code == 200 and "Sending" in answer.text
    await stack.until(lambda: stack.sent_to("48600100200"), what="the SMS")
    assert [m.text for m in stack.sent_to("48600100200")] == ["Dzień dobry Anna, paczka jest w drodze."]

    by_name, _ = await stack.slack.run_command("/sms", "Anna Kowalska #general", escape=True)  # Slack writes <#C0GENERAL|general>
    assert "Sending" in by_name.text
    await stack.until(lambda: len(stack.sent_to("48600100200")) == 2, what="the second SMS")
    assert stack.sent_to("48600100200")[1].text == "Zapraszamy ponownie!"

    unnamed, _ = await stack.slack.run_command("/sms", "600100201 #dostawa")
    assert unnamed.text == (
        "Nothing was sent: {first_name} has no value for +48 600 100 201; name the contact first, or write the text yourself."
    )
    unknown, _ = await stack.slack.run_command("/sms", "600100201 #dostwa")
    assert unknown.text == "There is no template “dostwa”. Did you mean: #dostawa?"
    await stack.drain()
    assert stack.sent_to("48600100201") == []

    both, _ = await stack.slack.run_command("/sms", "600100200 600100201 #dostawa")
    assert both.text.startswith("Nothing was sent: {first_name} has no value for 1 number (+48 600 100 201)")
    await name_number(stack, "+48600100201", "Łukasz Nowak")
    both, _ = await stack.slack.run_command("/sms", "600100200 600100201 #dostawa")
    assert "Sending" in both.text
    await stack.until(lambda: stack.sent_to("48600100201"), what="the SMS to Łukasz")
    assert stack.sent_to("48600100200")[-1].text == "Dzień dobry Anna, paczka jest w drodze."
    assert [m.text for m in stack.sent_to("48600100201")] == ["Dzień dobry Łukasz, paczka jest w drodze."]


async def test_the_sms_form_picker_fills_each_number_and_names_who_lacks_a_value(stack: SandboxStack) -> None:
    template_id = await add_template(stack, "promo", "Cześć {first_name}, mamy dla Ciebie rabat.")
    await name_number(stack, "+48600100200", "Anna Kowalska")
    await name_number(stack, "+48600100201", "Łukasz Nowak")
    before = set(stack.slack.views)
    await stack.slack.run_command("/sms", "")
    view_id = await new_view(stack, before)
    pick = {"template": {"sms_template": {"type": "static_select", "selected_option": {"value": str(template_id)}}}}
    await stack.slack.type_in_view(view_id, ANNA, pick, block_id="template", action_id="sms_template")
    await stack.until(lambda: block(stack, view_id, "text")["block_id"] == f"text-{template_id}", what="the template's text")
    assert block(stack, view_id, "text")["element"]["initial_value"] == "Cześć {first_name}, mamy dla Ciebie rabat."

    def numbers(typed: str) -> dict[str, Any]:
        return {"recipients": {"value": {"type": "plain_text_input", "value": typed}}}

    lacking = (await stack.slack.submit_view(view_id, ANNA, numbers("600100200 600100201 600100202"))).json()
    assert lacking["errors"] == {
        "recipients": "Nothing was sent: {first_name} has no value for 1 number (+48 600 100 202); name those contacts or remove the numbers."
    }
    assert (await stack.slack.submit_view(view_id, ANNA, numbers("600100200 600100201"))).status_code == 200
    await stack.until(lambda: stack.sent_to("48600100201"), what="the SMS")
    await stack.drain()
    assert [m.text for m in stack.sent_to("48600100200")] == ["Cześć Anna, mamy dla Ciebie rabat."]
    assert [m.text for m in stack.sent_to("48600100201")] == ["Cześć Łukasz, mamy dla Ciebie rabat."]
    assert len([r for r in stack.sim.requests if r[0] == "/1.0/sendbulk/"]) == 1  # one call, a messages entry each
    assert stack.slack.view_refusals == []


async def test_filled_texts_go_as_unicode_only_where_their_own_letters_need_it(stack: SandboxStack) -> None:
    await add_template(stack, "ready", "Hi {first_name}, your parcel is ready.")
    await name_number(stack, "+48600100200", "Anna Kowalska")
    await name_number(stack, "+48600100201", "Łukasz Nowak")
    answer, _ = await stack.slack.run_command("/sms", "600100200 600100201 #ready")
    assert "Sending" in answer.text
    await stack.until(lambda: stack.sent_to("48600100200") and stack.sent_to("48600100201"), what="both SMS")
    [anna], [lukasz] = stack.sent_to("48600100200"), stack.sent_to("48600100201")
    assert (anna.text, anna.encoding) == ("Hi Anna, your parcel is ready.", None)  # GSM: 160 characters a part
    assert (lukasz.text, lukasz.encoding) == ("Hi Łukasz, your parcel is ready.", "utf-8")
    assert anna.reference and lukasz.reference and anna.reference != lukasz.reference  # PUSH statuses find their rows
    await stack.drain()
    sent = await outgoing(stack)
    assert sorted((m.phone, m.parts) for m in sent) == [("+48600100200", 1), ("+48600100201", 1)]
