"""Templates end to end, the edges: a template filled in exactly once on every path (so
``{{``/``}}`` reach the phone as single braces and a name's own braces stay text), the
real cost of texts filled in per number, variables typed in ``/sms``, opted-out numbers
that need no values, templates removed meanwhile, and more templates than a select holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete

from bot.sandbox.stack import SandboxStack
from bot.slack.blocks.card import card_value
from storage import make_engine, make_sessionmaker, opt_outs
from storage.template_models import Template
from tests.end_to_end.test_templates import ANNA, add_template, block, name_number, new_view, shown
from tests.support import StackFactory, open_thread, outgoing


async def opt_out(stack: SandboxStack, phone: str) -> None:
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await opt_outs.opt_out(session, phone, word="STOP", by=None, at=datetime.now(UTC))
    finally:
        await engine.dispose()


async def remove_template(stack: SandboxStack, template_id: int) -> None:
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(delete(Template).where(Template.id == template_id))
    finally:
        await engine.dispose()


def pick(block_id: str, action_id: str, template_id: int) -> dict[str, Any]:
    return {block_id: {action_id: {"type": "static_select", "selected_option": {"value": str(template_id)}}}}


def numbers(typed: str) -> dict[str, Any]:
    return {"recipients": {"value": {"type": "plain_text_input", "value": typed}}}


async def open_reply_form(stack: SandboxStack) -> str:
    parent = await open_thread(stack)
    blocks = stack.slack.messages[(parent.channel, parent.ts)].blocks or []
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e.get("action_id") == "card_reply_template"]
    before = set(stack.slack.views)
    await stack.slack.press_button(button, user=ANNA, channel=parent.channel, message_ts=parent.ts)
    return await new_view(stack, before)


async def test_every_path_fills_a_template_once(stack: SandboxStack) -> None:
    promo = await add_template(stack, "promo", "Kod {{PROMO}} dla {first_name}")
    plain = await add_template(stack, "kod", "Kod {{PROMO}}")
    await name_number(stack, "+48600100200", "{Ania} Kowalska")  # a name with braces is text, not a variable
    expected = "Kod {PROMO} dla {Ania}"

    view_id = await open_reply_form(stack)  # the card of +48 600 100 200
    await stack.slack.type_in_view(
        view_id, ANNA, pick("pick", "template_reply_pick", promo), block_id="pick", action_id="template_reply_pick"
    )
    await stack.until(lambda: block(stack, view_id, "text-")["block_id"].startswith(f"text-{promo}-"), what="the template")
    assert block(stack, view_id, "text-")["element"]["initial_value"] == "Kod {{PROMO}} dla {first_name}"
    assert f"The phone gets: “{expected}”" in str(block(stack, view_id, "hint"))
    assert (await stack.slack.submit_view(view_id, ANNA, {})).status_code == 200
    await stack.until(lambda: stack.sent_to("48600100200"), what="the reply")

    answer, _ = await stack.slack.run_command("/sms", "600100200 #promo")
    assert "Sending" in answer.text
    await stack.until(lambda: len(stack.sent_to("48600100200")) == 2, what="the #promo SMS")

    for template_id, typed in ((plain, "600100201"), (promo, "600100200")):
        before = set(stack.slack.views)
        await stack.slack.run_command("/sms", "")
        form = await new_view(stack, before)
        await stack.slack.type_in_view(
            form, ANNA, pick("template", "sms_template", template_id), block_id="template", action_id="sms_template"
        )
        await stack.until(lambda: block(stack, form, "text")["block_id"] == f"text-{template_id}", what="the text")  # noqa: B023
        assert (await stack.slack.submit_view(form, ANNA, numbers(typed))).status_code == 200
    await stack.until(lambda: len(stack.sent_to("48600100200")) == 3 and stack.sent_to("48600100201"), what="the form's SMS")
    await stack.drain()
    assert [m.text for m in stack.sent_to("48600100200")] == [expected] * 3
    assert [m.text for m in stack.sent_to("48600100201")] == ["Kod {PROMO}"]
    assert stack.slack.view_refusals == []


async def test_the_cost_is_the_sum_of_each_filled_in_text(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_confirm_above": 2}) as stack:
        await add_template(stack, "long", "Hi {first_name}, " + "x" * 140)  # 157 characters as written: 1 part
        await name_number(stack, "+48600100200", "Anna Kowalska")  # 149 characters: 1 part
        await name_number(stack, "+48600100201", "Maksymilianna-Konstancja Nowak")  # 170 characters: 2 parts
        answer, _ = await stack.slack.run_command("/sms", "600100200 600100201 #long")
        assert answer.text.startswith("Sending: 2 numbers (3 SMS parts in all, each text filled in for its number).")
        await stack.until(lambda: stack.sent_to("48600100201"), what="the SMS")
        await stack.drain()
        assert sorted(m.parts for m in await outgoing(stack)) == [1, 2]

        await name_number(stack, "+48600100202", "Maksymilianna-Konstancja Nowak")
        asked, _ = await stack.slack.run_command("/sms", "600100200 600100201 600100202 #long")
        question = json.loads(asked.text)["blocks"][0]["text"]["text"]
        assert "This sends *3 SMS* (5 SMS parts to pay for, each text filled in for its number)." in question

        same, _ = await stack.slack.run_command("/sms", "600100201 600100202 #long")  # alike: parts each, as before
        assert same.text.startswith("Sending: 2 numbers (2 SMS parts each, 4 SMS in all).")


async def test_variables_typed_in_sms_are_filled_in_or_named(stack: SandboxStack) -> None:
    await name_number(stack, "+48600100200", "Anna Kowalska")
    await name_number(stack, "+48600100201", "Łukasz Nowak")
    answer, _ = await stack.slack.run_command("/sms", "600100200 600100201 Cześć {first_name} & do zobaczenia", escape=True)
    assert "Sending" in answer.text
    await stack.until(lambda: stack.sent_to("48600100200") and stack.sent_to("48600100201"), what="both SMS")
    assert [m.text for m in stack.sent_to("48600100200")] == ["Cześć Anna & do zobaczenia"]
    assert [m.text for m in stack.sent_to("48600100201")] == ["Cześć Łukasz & do zobaczenia"]

    one, _ = await stack.slack.run_command("/sms", "600100200 Dzień dobry {name} <3", escape=True)
    assert "Sending" in one.text
    await stack.until(lambda: len(stack.sent_to("48600100200")) == 2, what="the one-number SMS")
    assert stack.sent_to("48600100200")[-1].text == "Dzień dobry Anna Kowalska <3"

    unnamed, _ = await stack.slack.run_command("/sms", "600100202 Cześć {first_name}")
    assert unnamed.text == (
        "Nothing was sent: {first_name} has no value for +48 600 100 202; name the contact first, or write the text yourself."
    )
    several, _ = await stack.slack.run_command("/sms", "600100200 600100202 Cześć {imię}")
    assert several.text == (
        "Nothing was sent: {imię} has no value for 1 number (+48 600 100 202); name those contacts or remove the numbers."
    )
    braces, _ = await stack.slack.run_command("/sms", "600100203 Kod {{A}} :-{")  # a stray brace: sent as typed
    assert "Sending" in braces.text
    await stack.drain()
    assert stack.sent_to("48600100202") == []
    assert [m.text for m in stack.sent_to("48600100203")] == ["Kod {{A}} :-{"]


async def test_an_opted_out_number_needs_no_values(stack: SandboxStack) -> None:
    await add_template(stack, "dostawa", "Dzień dobry {first_name}, paczka jest w drodze.")
    await name_number(stack, "+48600100200", "Anna Kowalska")
    await opt_out(stack, "+48600100201")  # no name, and it will not be texted anyway
    answer, _ = await stack.slack.run_command("/sms", "600100200 600100201 #dostawa")
    assert "Sending" in answer.text and "opted out" in answer.text
    typed, _ = await stack.slack.run_command("/sms", "600100200 600100201 Hej {first_name}")
    assert "Sending" in typed.text
    await stack.until(lambda: len(stack.sent_to("48600100200")) == 2, what="the SMS")
    await stack.drain()
    assert [m.text for m in stack.sent_to("48600100200")] == ["Dzień dobry Anna, paczka jest w drodze.", "Hej Anna"]
    assert stack.sent_to("48600100201") == []


async def test_a_template_or_conversation_gone_meanwhile_is_said(stack: SandboxStack) -> None:
    template_id = await add_template(stack, "dostawa", "Paczka jest w drodze.")
    await add_template(stack, "inny", "Inny tekst.")
    view_id = await open_reply_form(stack)
    before = set(stack.slack.views)
    await stack.slack.run_command("/sms", "")
    form = await new_view(stack, before)
    await remove_template(stack, template_id)

    await stack.slack.type_in_view(
        view_id, ANNA, pick("pick", "template_reply_pick", template_id), block_id="pick", action_id="template_reply_pick"
    )
    await stack.until(lambda: "That template was removed meanwhile" in str(block(stack, view_id, "hint")), what="the reply form")
    await stack.slack.type_in_view(form, ANNA, pick("template", "sms_template", template_id), block_id="template", action_id="sms_template")
    await stack.until(lambda: "That template was removed meanwhile" in str(block(stack, form, "hint")), what="the /sms form")

    gone = {"action_id": "card_reply_template", "value": card_value(987654)}
    await stack.slack.press_button(gone, user=ANNA, channel="C0GENERAL", message_ts="1700000000.000100")
    told = await stack.until(lambda: [e for e in stack.slack.ephemeral if e["user"] == ANNA], what="the private answer")
    assert told[-1]["text"] == "This conversation is not known any more."
    assert stack.slack.view_refusals == []


async def test_every_template_can_be_reached_past_a_hundred(stack: SandboxStack) -> None:
    for n in range(105):
        await add_template(stack, f"t{n:03d}", f"Tekst numer {n}.")
    before = set(stack.slack.views)
    await stack.slack.run_command("/sms", "templates")
    view_id = await new_view(stack, before)
    assert "#t089" in shown(stack, view_id) and "#t090" not in shown(stack, view_id) and "and 15 more templates" in shown(stack, view_id)
    search = {"search": {"template_search": {"type": "plain_text_input", "value": "T104"}}}
    await stack.slack.type_in_view(view_id, ANNA, search, block_id="search", action_id="template_search")
    await stack.until(lambda: "#t104" in shown(stack, view_id) and "#t000" not in shown(stack, view_id), what="the search")
    [row] = [b for b in stack.slack.views[view_id]["blocks"] if b["type"] == "section"]
    await stack.slack.press_button_in_view(view_id, {"action_id": "template_edit", "value": row["accessory"]["value"]}, user=ANNA)
    await stack.until(lambda: "Remove this template" in shown(stack, view_id), what="the edit form of #t104")
    assert block(stack, view_id, "name")["element"]["initial_value"] == "t104"

    reply = await open_reply_form(stack)
    picker = block(stack, reply, "pick")
    assert len(picker["element"]["options"]) == 100 and "Only the first 100 of 105 templates" in picker["hint"]["text"]
    text_block = block(stack, reply, "text-")["block_id"]
    typed = {text_block: {"template_reply_text": {"type": "plain_text_input", "value": "#t104"}}}
    await stack.slack.type_in_view(reply, ANNA, typed, block_id=text_block, action_id="template_reply_text")
    await stack.until(lambda: "The phone gets: “Tekst numer 104.”" in str(block(stack, reply, "hint")), what="the preview")
    assert (await stack.slack.submit_view(reply, ANNA, typed)).status_code == 200
    await stack.until(lambda: stack.sent_to("48600100200"), what="the reply")

    before = set(stack.slack.views)
    await stack.slack.run_command("/sms", "")
    form = await new_view(stack, before)
    assert "Only the first 100 of 105 templates" in block(stack, form, "template")["hint"]["text"]
    filled = {**numbers("600100201"), "text": {"sms_text": {"type": "plain_text_input", "value": "#t103"}}}
    assert (await stack.slack.submit_view(form, ANNA, filled)).status_code == 200
    await stack.until(lambda: stack.sent_to("48600100201"), what="the form's SMS")
    await stack.drain()
    assert [m.text for m in stack.sent_to("48600100200")] == ["Tekst numer 104."]
    assert [m.text for m in stack.sent_to("48600100201")] == ["Tekst numer 103."]
    assert stack.slack.view_refusals == []


async def test_a_name_too_long_once_compared_is_said_beside_the_field(stack: SandboxStack) -> None:
    before = set(stack.slack.views)
    await stack.slack.run_command("/sms", "templates")
    view_id = await new_view(stack, before)
    await stack.slack.press_button_in_view(view_id, {"action_id": "template_add", "value": "add"}, user=ANNA)
    await stack.until(lambda: stack.slack.views[view_id]["callback_id"] == "template_form", what="the form")
    form = {
        "name": {"value": {"type": "plain_text_input", "value": "ß" * 40}},  # compared as 80 letters: more than the column holds
        "text": {"template_text": {"type": "plain_text_input", "value": "Dzień dobry."}},
    }
    refused = (await stack.slack.submit_view(view_id, ANNA, form)).json()
    assert refused["errors"] == {"name": "This name is too long once letters such as ß are written out; shorten it."}
    form["name"]["value"]["value"] = "ß" * 20
    assert (await stack.slack.submit_view(view_id, ANNA, form)).json()["response_action"] == "update"
    assert "#" + "ß" * 20 in shown(stack, view_id) and stack.slack.view_refusals == []
