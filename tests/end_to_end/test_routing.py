"""Routing end to end: ROUTES and ROUTE_KEYS over the real app, simulator and emulator,
on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from bot.sandbox.mprofi import SimulatorConfig
from bot.sandbox.slack import SlackConfig, SlackMessage
from bot.sandbox.stack import SandboxStack
from tests.support import StackFactory

DEFAULT = "C0SMSBRIDGE"
SALES, SERVICE, GENERAL = "C0SALES", "C0SERVICE", "C0GENERAL"
SALES_NUMBER = "48500100200"  # the number customers of the sales team text
SALES_KEY = "5123456789abcdef0123456789abcdef"
ROUTES = f"{SALES_NUMBER}=C0SALES, Serwis=C0SERVICE"


def routed_stack(make_stack: StackFactory, *, app_process: bool = False, **settings: Any) -> SandboxStack:
    channels = {DEFAULT: "sms-bridge", SALES: "sprzedaz", SERVICE: "serwis", GENERAL: "general"}
    simulator = SimulatorConfig(sending_keys={SALES_KEY: SALES_NUMBER})
    values = {"routes": ROUTES, "route_keys": f"{SALES}={SALES_KEY}", **settings}
    return make_stack(slack=SlackConfig(channels=channels), simulator=simulator, settings=values, app_process=app_process)


def thread_in(stack: SandboxStack, channel: str, fragment: str) -> SlackMessage | None:
    return next((m for m in stack.slack.top_level(channel) if fragment in m.text), None)


async def a_thread(stack: SandboxStack, channel: str, fragment: str) -> SlackMessage:
    parent: SlackMessage = await stack.until(lambda: thread_in(stack, channel, fragment), what=f"the thread in {channel}")
    return parent


async def test_the_number_texted_decides_the_channel_and_the_reply_goes_with_that_channels_key(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        await stack.phone_texts("48600100200", "Ile kosztuje abonament?", recipient=SALES_NUMBER)
        parent = await a_thread(stack, SALES, "600 100 200")
        await stack.until(lambda: stack.replies(parent), what="the SMS in the sales thread")
        await stack.person_replies(parent, "Dzień dobry, 49 zł miesięcznie.")
        sent = await stack.until(lambda: stack.sent_to("48600100200"), what="the reply")

        assert [m.sender for m in sent] == [SALES_NUMBER]  # the customer hears back from the number they texted
        assert sent[0].text == "Dzień dobry, 49 zł miesięcznie."
        assert stack.slack.top_level(DEFAULT) == [] and stack.slack.top_level(SERVICE) == []
        stack.sim.set_status(sent[0].id, "delivered")
        await stack.until(lambda: any(": delivered" in m.text for m in stack.replies(parent)), what="the status in the sales thread")


async def test_a_keyword_wins_whatever_its_case_accents_or_punctuation(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        await stack.phone_texts("48600100300", "SERWIS, pralka nie wiruje", recipient=SALES_NUMBER)
        await stack.phone_texts("48600100400", "sérwis! drzwi", recipient="48664400100")
        await a_thread(stack, SERVICE, "600 100 300")
        parent = await a_thread(stack, SERVICE, "600 100 400")
        await stack.person_replies(parent, "Technik będzie jutro.")
        sent = await stack.until(lambda: stack.sent_to("48600100400"), what="the reply")
        assert sent[0].sender == stack.sim.config.own_number  # no ROUTE_KEYS for the service channel: MPROFI_API_KEY
        assert stack.slack.top_level(SALES) == []


async def test_what_no_route_claims_goes_to_the_bridge_channel(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        await stack.phone_texts("48600100500", "Dzień dobry, serwis?", recipient="48664400100")  # the keyword is not first
        await a_thread(stack, DEFAULT, "600 100 500")
        assert stack.slack.top_level(SALES) == [] and stack.slack.top_level(SERVICE) == []


async def test_a_conversation_started_by_sms_from_a_channel_lives_there_when_the_customer_answers(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        response, _hook = await stack.slack.run_command("/sms", "600 100 600 Oferta specjalna dla Pana", channel=SALES)
        assert response.status_code == 200 and "Sending" in response.text
        parent = await a_thread(stack, SALES, "600 100 600")
        sent = await stack.until(lambda: stack.sent_to("48600100600"), what="the /sms")
        assert sent[0].sender == SALES_NUMBER
        # The customer answers to the bridge's main number, with the service keyword even: the thread stays.
        await stack.phone_texts("48600100600", "Serwis też mnie interesuje", recipient="48664400100")
        await stack.until(lambda: any("Serwis też" in m.text for m in stack.replies(parent)), what="the answer in the sales thread")
        assert stack.slack.top_level(SERVICE) == [] and stack.slack.top_level(DEFAULT) == []


async def test_answers_to_many_numbers_sent_from_a_routed_channel_come_back_there(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        response, _hook = await stack.slack.run_command("/sms", "600 100 701, 600 100 702 Przegląd w sobotę", channel=SERVICE)
        assert response.status_code == 200
        await stack.until(lambda: stack.sent_to("48600100701") and stack.sent_to("48600100702"), what="the broadcast")
        await stack.phone_texts("48600100702", "Pasuje mi 10:00", recipient=SALES_NUMBER)
        await a_thread(stack, SERVICE, "600 100 702")
        assert stack.slack.top_level(SALES) == []


async def test_sms_typed_where_no_conversations_live_opens_the_thread_in_the_bridge_channel(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        response, _hook = await stack.slack.run_command("/sms", "600 100 800 Dzień dobry", channel=GENERAL)
        assert response.status_code == 200 and f"<#{DEFAULT}>" in response.text
        await a_thread(stack, DEFAULT, "600 100 800")
        assert stack.slack.top_level(GENERAL) == []


async def test_changing_routes_never_splits_a_conversation(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack, routes="", route_keys="", app_process=True) as stack:
        await stack.phone_texts("48600100900", "Pierwsza wiadomość", recipient=SALES_NUMBER)
        parent = await a_thread(stack, DEFAULT, "600 100 900")  # no routes yet: the bridge channel
        stack.change_settings(routes=ROUTES, route_keys=f"{SALES}={SALES_KEY}")
        await stack.restart_app(kill=False)
        await stack.phone_texts("48600100900", "Druga wiadomość", recipient=SALES_NUMBER)
        await stack.until(lambda: any("Druga" in m.text for m in stack.replies(parent)), what="the second SMS in the same thread")
        assert stack.slack.top_level(SALES) == []
        # A new number texting the same line now goes where the new route says.
        await stack.phone_texts("48600101000", "Nowy klient", recipient=SALES_NUMBER)
        await a_thread(stack, SALES, "600 101 000")


async def test_a_number_with_threads_in_two_channels_answers_in_the_one_last_used(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        await stack.phone_texts("48600101100", "Pytanie ogólne", recipient="48664400100")
        first = await a_thread(stack, DEFAULT, "600 101 100")
        response, _hook = await stack.slack.run_command("/sms", "600 101 100 Mamy dla Pana ofertę", channel=SALES)
        assert response.status_code == 200
        second = await a_thread(stack, SALES, "600 101 100")
        await stack.until(lambda: stack.sent_to("48600101100"), what="the /sms")
        await stack.phone_texts("48600101100", "Poproszę szczegóły", recipient="48664400100")
        await stack.until(lambda: any("szczegóły" in m.text for m in stack.replies(second)), what="the answer in the sales thread")
        assert not any("szczegóły" in m.text for m in stack.replies(first))


async def test_sms_to_many_numbers_typed_in_a_channel_with_its_own_key_goes_with_that_key(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        response, _hook = await stack.slack.run_command("/sms", "600 101 201, 600 101 202 Nowa oferta", channel=SALES)
        assert response.status_code == 200
        await stack.until(lambda: stack.sent_to("48600101201") and stack.sent_to("48600101202"), what="the broadcast")
        assert {m.sender for m in stack.sent_to("48600101201") + stack.sent_to("48600101202")} == {SALES_NUMBER}


async def test_sms_typed_elsewhere_to_a_teams_customer_joins_their_thread_and_number(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack) as stack:
        await stack.phone_texts("48600101300", "Ile za światłowód?", recipient=SALES_NUMBER)
        parent = await a_thread(stack, SALES, "600 101 300")
        response, _hook = await stack.slack.run_command("/sms", "600 101 300 Oddzwonimy jutro", channel=GENERAL)
        assert response.status_code == 200 and "Sending" in response.text
        assert f"<#{SALES}>" in response.text  # the answer points to the thread where it shows
        sent = await stack.until(lambda: stack.sent_to("48600101300"), what="the /sms")
        assert sent[0].sender == SALES_NUMBER  # the customer hears from the number they texted
        await stack.until(lambda: any("Oddzwonimy" in str(m.blocks) + m.text for m in stack.replies(parent)), what="in their thread")
        assert stack.slack.top_level(DEFAULT) == [] and stack.slack.top_level(GENERAL) == []


async def test_a_route_removed_leaves_its_conversations_answering_with_the_channels_key(make_stack: StackFactory) -> None:
    async with routed_stack(make_stack, app_process=True) as stack:
        await stack.phone_texts("48600101400", "Dzień dobry", recipient=SALES_NUMBER)
        parent = await a_thread(stack, SALES, "600 101 400")
        stack.change_settings(routes="SERWIS=C0SERVICE")  # the sales number's route is gone; its key stays
        await stack.restart_app(kill=False)
        await stack.phone_texts("48600101400", "Jeszcze pytanie", recipient=SALES_NUMBER)
        await stack.until(lambda: any("Jeszcze pytanie" in m.text for m in stack.replies(parent)), what="the SMS in the same thread")
        await stack.person_replies(parent, "Słucham")
        sent = await stack.until(lambda: stack.sent_to("48600101400"), what="the reply")
        assert sent[0].sender == SALES_NUMBER
        await stack.phone_texts("48600101500", "Nowy klient", recipient=SALES_NUMBER)  # no route now: the bridge channel
        await a_thread(stack, DEFAULT, "600 101 500")
