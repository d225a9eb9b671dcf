"""The console's HTTP side: what the page reads and each thing a person does, over real loopback.

Every action goes through the stand-ins exactly as the page sends it, so each test checks
the console's JSON answer and what the mProfi simulator and the Slack emulator saw.
"""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from tests.console.api_client import ANNA, CHANNEL, OTHER, PHONE, PIOTR, ConsoleApi, console_api, control
from tests.support import PNG

ASSETS = files("bot.sandbox.console") / "static"


async def test_the_page_and_its_assets_come_from_the_package_with_security_headers() -> None:
    async with console_api() as api:
        page = await api.http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.text == (ASSETS / "index.html").read_text(encoding="utf-8")
        for name, kind in (("console.js", "javascript"), ("console.css", "text/css")):
            asset = await api.http.get(f"/static/{name}")
            assert asset.status_code == 200 and kind in asset.headers["content-type"]
            assert asset.content == (ASSETS / name).read_bytes()
            assert f"/static/{name}" in page.text
            for answer in (page, asset):
                policy = answer.headers["content-security-policy"]
                assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
                assert answer.headers["x-content-type-options"] == "nosniff"


async def test_the_state_names_phones_channels_teammates_switches_and_what_shows() -> None:
    async with console_api() as api:
        state = await api.state()
        assert set(state) >= {"version", "phones", "teammates", "channels", "channel", "messages", "thread", "private", "modal", "switches"}
        assert [p["digits"] for p in state["phones"]] == [PHONE, OTHER]
        assert state["phones"][0]["display"] == "+48 600 100 200" and "Nothing yet" in state["phones"][0]["log"]
        assert {"id": ANNA, "name": "Anna Nowak"} in state["teammates"]
        assert {"id": CHANNEL, "name": "sms-bridge"} in state["channels"] and state["channel"] == CHANNEL
        assert state["thread"] is None and state["modal"] is None and state["private"] == ""
        names = {"mprofi_refuse", "mprofi_5xx", "mprofi_slow", "mprofi_push_off", "slack_429", "slack_5xx"}
        assert {s["name"] for s in state["switches"]} == names
        assert all(s["on"] is False and s["what"] and s["label"] and s["side"] in ("mProfi", "Slack") for s in state["switches"])
        assert (await api.state(channel="C0GENERAL"))["channel"] == "C0GENERAL"
        assert (await api.state(channel="C0NOSUCH"))["channel"] == CHANNEL  # an unknown channel: the bridge's


async def test_phones_are_added_in_any_spelling_and_removed() -> None:
    async with console_api() as api:
        error = await api.refused("phones/add", {"number": "12"})
        assert "12" in error
        for typed in ("+48 600 100 300", "0048600100300", "600-100-300", "48600100300"):
            assert (await api.ok("phones/add", number=typed))["digits"] == "48600100300"
        assert api.console.session.phones == [PHONE, OTHER, "48600100300"]
        await api.ok("phones/remove", digits="48600100300")
        assert [p["digits"] for p in (await api.state())["phones"]] == [PHONE, OTHER]
        assert "add it first" in await api.refused("phones/text", {"digits": "48600100300", "text": "hi"})


@pytest.mark.parametrize("webhook_format", ["standard", "3cx", "mms"])
async def test_a_text_in_each_webhook_format_reaches_the_app(webhook_format: str) -> None:
    async with console_api() as api:
        await api.ok("phones/text", digits=PHONE, text=f"Dzień dobry ({webhook_format})", format=webhook_format)
        await api.stack.drain()
        (record,) = api.stack.sim.incoming
        assert record.webhook_format == webhook_format and [a.status_code for a in record.attempts] == [200]
        parent = api.stack.thread_of("600 100 200")
        assert parent is not None
        assert any(f"({webhook_format})" in m.text for m in api.stack.replies(parent))
        assert "webhook HTTP 200" in (await api.state())["phones"][0]["log"]


async def test_an_image_upload_makes_an_mms_and_the_page_shows_it() -> None:
    async with console_api() as api:
        image = {"image": ("paczka.png", PNG, "image/png")}
        response = await api.post("phones/text", data={"digits": OTHER, "text": "Zdjęcie paczki"}, files=image)
        assert response.status_code == 200 and response.json() == {"ok": True}
        await api.stack.drain()
        (record,) = api.stack.sim.incoming
        assert record.webhook_format == "mms" and record.images == [("paczka.png", PNG, "image/png")]
        assert [a.status_code for a in record.attempts] == [200]
        assert api.stack.thread_of("600 100 201") is not None
        shown = await api.http.get(f"/api/phone-images/{record.id}/0")
        assert shown.content == PNG and shown.headers["content-type"] == "image/png"
        assert shown.headers["content-disposition"].startswith("inline")


async def test_a_text_in_that_cannot_be_sent_is_refused_with_a_sentence() -> None:
    async with console_api() as api:
        page = {"image": ("page.html", b"<h1>hi</h1>", "text/html")}
        assert "not an image" in await api.refused("phones/text", data={"digits": PHONE, "text": "x"}, files=page)
        assert "type a text" in await api.refused("phones/text", {"digits": PHONE, "text": "  "})
        assert "no phone" in await api.refused("phones/text", {"digits": "48999999999", "text": "hi"})
        assert "standard, 3cx, mms" in await api.refused("phones/text", {"digits": PHONE, "text": "hi", "format": "xml"})
        assert api.stack.sim.incoming == []


async def _invited(api: ConsoleApi) -> str:
    """A new phone on the desk, invited to survey 1 with ``/survey start`` typed in the channel."""
    digits = str((await api.ok("phones/add", number="600100300"))["digits"])
    assert "not invited" in await api.refused("phones/survey", {"digits": digits, "survey": "1", "answer": "tak"})
    await api.ok("say", user=ANNA, channel=CHANNEL, text="/survey start 1 600100300")
    await api.stack.until(lambda: digits in api.stack.sim.surveys[1].responses, what="the invitation")
    return digits


async def test_a_survey_is_answered_question_by_question_until_the_last() -> None:
    async with console_api() as api:
        digits = await _invited(api)
        survey = api.stack.sim.surveys[1]
        phone = next(p for p in (await api.state())["phones"] if p["digits"] == digits)
        assert phone["surveys"] == [{"id": 1, "name": survey.name, "question": survey.questions[0]}]
        for answer in ("tak", "5", "Dziękuję"):
            await api.ok("phones/survey", digits=digits, survey="1", answer=answer)
        assert survey.responses[digits]["answers"] == ["tak", "5", "Dziękuję"]
        assert "every question" in await api.refused("phones/survey", {"digits": digits, "survey": "1", "answer": "więcej"})
        assert "not running" in await api.refused("phones/survey", {"digits": digits, "survey": "2", "answer": "x"})
        phone = next(p for p in (await api.state())["phones"] if p["digits"] == digits)
        assert phone["surveys"] == []  # every question answered: nothing left to answer


async def test_the_app_receives_each_survey_answer() -> None:
    async with console_api() as api:
        digits = await _invited(api)
        await api.ok("phones/survey", digits=digits, survey="1", answer="tak")
        await api.stack.drain()
        assert len(await api.seen("mProfi", "/mprofi/surveys", 200)) == 1


async def test_a_thread_reply_reaches_the_phone_and_shows_delivered() -> None:
    async with console_api() as api:
        thread = await api.text_in("Gdzie moja paczka?")
        await api.ok("say", user=PIOTR, channel=CHANNEL, text="Jutro rano.", thread=thread)
        await api.stack.drain()
        assert [m.text for m in api.stack.sent_to(PHONE)] == ["Jutro rano."]
        await api.stack.until(lambda: api.stack.sent_to(PHONE)[0].status == "delivered", what="the delivery")
        assert "status-delivered" in (await api.state(thread=thread))["phones"][0]["log"]


async def test_a_slash_command_in_the_composer_runs_and_answers_only_its_user() -> None:
    async with console_api() as api:
        await api.ok("say", user=ANNA, channel=CHANNEL, text="/sms 600100200 Biuro otwarte od 9.")
        await api.stack.drain()
        assert [m.text for m in api.stack.sent_to(PHONE)] == ["Biuro otwarte od 9."]
        mine = (await api.state(user=ANNA))["private"]
        assert "/sms 600100200 Biuro otwarte od 9." in mine and "Only visible to you" in mine
        assert (await api.state(user=PIOTR))["private"] == ""
        error = await api.refused("say", {"user": ANNA, "channel": CHANNEL, "text": "/weather Warsaw"})
        assert "/weather" in error and all(name in error for name in ("/sms", "/hlr", "/survey"))


async def test_a_mention_typed_in_the_composer_reaches_the_app_as_an_app_mention() -> None:
    async with console_api() as api:
        await api.ok("say", user=ANNA, channel=CHANNEL, text="@mprofi-bridge campaign")
        await api.stack.drain()
        delivered = [await api.http.get(f"/api/timeline/{e['id']}") for e in await api.seen("Slack", "/slack/events", 200)]
        assert any('"type": "app_mention"' in d.json()["request_body"] for d in delivered)
        (answer,) = api.stack.slack.ephemeral  # the app answers a campaign without its CSV: how to attach it
        assert answer["user"] == ANNA and "CSV" in answer["text"]
        assert "CSV" in (await api.state(user=ANNA))["private"]


async def test_the_cards_buttons_and_menus_act_on_the_card() -> None:
    async with console_api() as api:
        thread = await api.text_in("Proszę o kontakt")
        fields = {"user": ANNA, "channel": CHANNEL, "ts": thread}
        before = (await api.state())["messages"]
        snooze = control(before, "card_snooze")
        assert "no option" in await api.refused("act", {**fields, "block": snooze["block"], "action": "card_snooze", "value": "never"})
        await api.ok("act", **fields, block=snooze["block"], action="card_snooze", value="tomorrow:1")
        await api.stack.drain()
        snoozed = (await api.state())["messages"]
        assert snoozed != before and "Snoozed" in snoozed
        close = control(snoozed, "card_close")
        await api.ok("act", **fields, block=close["block"], action="card_close")
        await api.stack.drain()
        after = (await api.state())["messages"]
        assert 'data-action="card_close"' not in after and 'data-action="card_reopen"' in after and "Closed" in after
        assert "changed since" in await api.refused("act", {**fields, "block": close["block"], "action": "card_close"})


async def test_a_button_on_a_private_answer_works_and_replaces_the_answer() -> None:
    async with console_api(sms_confirm_above=1) as api:
        await api.ok("say", user=ANNA, channel=CHANNEL, text="/sms 600100200,600100201 Biuro zamknięte w piątek.")
        private = (await api.state())["private"]
        assert api.stack.sim.messages == {} and "Send 2 SMS" in private  # two numbers: asked first
        key = re.findall(r'data-private="([^"]+)"', private)[-1]
        send = control(private, "sms_confirm")
        await api.ok("act", user=ANNA, channel=CHANNEL, private=key, block=send["block"], action="sms_confirm")
        await api.stack.drain()
        assert sorted(m.recipient for m in api.stack.sim.messages.values()) == [PHONE, OTHER]
        private = (await api.state())["private"]
        assert 'data-action="sms_confirm"' not in private and "Sending to 2 numbers" in private


async def test_a_modal_opens_keeps_the_apps_errors_and_closes_when_accepted() -> None:
    async with console_api() as api:
        thread = await api.text_in("Tu Jan")
        name = control((await api.state())["messages"], "card_name")
        await api.ok("act", user=ANNA, channel=CHANNEL, ts=thread, block=name["block"], action="card_name")
        modal = (await api.state())["modal"]
        assert modal is not None and "<form" in modal["html"]
        (field,) = re.findall(r'name="([^"]+/[^"]+)"', modal["html"])
        answer = await api.ok("modal/submit", view=modal["view"], values={field: "   "})
        assert answer["errors"] == {"name": "Write a name, or press Cancel to keep the card as it is."}
        kept = (await api.state())["modal"]
        assert kept is not None and kept["view"] == modal["view"] and "Write a name" in kept["html"]
        assert (await api.ok("modal/submit", view=modal["view"], values={field: "Jan Kowalski"}))["errors"] == {}
        assert (await api.state())["modal"] is None
        await api.stack.drain()
        assert "Jan Kowalski" in (await api.state())["messages"]


async def test_a_command_opens_a_modal_that_closes_without_submitting() -> None:
    async with console_api() as api:
        await api.ok("say", user=ANNA, channel=CHANNEL, text="/sms")
        modal = (await api.state())["modal"]
        assert modal is not None and re.findall(r'name="[^"]+/[^"]+"', modal["html"])
        await api.ok("modal/close", view=modal["view"])
        assert (await api.state())["modal"] is None
        assert "closed already" in await api.refused("modal/submit", {"view": modal["view"], "values": {}})
        assert api.stack.sim.messages == {}
