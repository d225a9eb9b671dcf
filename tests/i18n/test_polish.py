"""Polish as people read it: plural forms, the person's own language for private answers,
the channel in BOT_LANGUAGE, and the demo."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from bot.demo import run_demo
from bot.i18n import _, current_language, language_of_locale, ngettext, use_language
from bot.sandbox.stack import SandboxStack
from tests.support import StackFactory, open_thread


@pytest.mark.parametrize(
    ("n", "message", "number"),
    [
        (1, "1 wiadomość", "1 numer"),
        (2, "2 wiadomości", "2 numery"),
        (4, "4 wiadomości", "4 numery"),
        (5, "5 wiadomości", "5 numerów"),
        (12, "12 wiadomości", "12 numerów"),
        (22, "22 wiadomości", "22 numery"),
        (25, "25 wiadomości", "25 numerów"),
        (102, "102 wiadomości", "102 numery"),
    ],
)
def test_polish_counts_take_the_right_of_three_forms(n: int, message: str, number: str) -> None:
    with use_language("pl"):
        assert ngettext("{n} message", "{n} messages", n).format(n=n) == message
        assert ngettext("{n} number", "{n} numbers", n).format(n=n) == number
    assert ngettext("{n} message", "{n} messages", n).format(n=n) == message.split()[0] + (" message" if n == 1 else " messages")


def test_the_language_is_per_context_and_restored() -> None:
    assert current_language() == "en"
    with use_language("pl"):
        assert _("Cancel") == "Anuluj"
        with use_language("en"):
            assert _("Cancel") == "Cancel"
        assert current_language() == "pl"
    assert _("Cancel") == "Cancel"
    with pytest.raises(ValueError, match="no catalog for language 'de'"), use_language("de"):
        pass


@pytest.mark.parametrize(
    ("locale", "language"),
    [("pl-PL", "pl"), ("pl_PL", "pl"), ("en-US", "en"), ("en-GB", "en"), ("de-DE", None), ("", None), (None, None)],
)
def test_a_slack_locale_names_a_language_we_speak_or_none(locale: str | None, language: str | None) -> None:
    assert language_of_locale(locale) == language


@pytest.fixture
async def polish_stack(make_stack: StackFactory) -> AsyncIterator[SandboxStack]:
    async with make_stack(settings={"bot_language": "pl"}) as running:
        running.slack.config.locales["U0KASIA"] = "pl-PL"  # the others' Slack speaks English (en-US)
        yield running


async def test_the_channel_speaks_bot_language_and_each_person_their_own(polish_stack: SandboxStack) -> None:
    stack = polish_stack
    parent = await open_thread(stack)
    card = str(stack.slack.messages[(parent.channel, parent.ts)].blocks)
    assert "Nowa" in card and "Przypisz do mnie" in card and "Wypisz" in card
    assert any(m.text.startswith("SMS od +48 600 100 200") for m in stack.replies(parent))

    polish, _hook = await stack.slack.run_command("/sms", "optouts", user="U0KASIA")
    english, _hook = await stack.slack.run_command("/sms", "optouts", user="U0ANNA")
    assert polish.text == "Żaden numer nie jest wypisany."
    assert english.text == "No number is opted out."

    wrong, _hook = await stack.slack.run_command("/sms", "600 Dzień dobry", user="U0KASIA")
    assert "cyfr" in wrong.text  # the refusal of a short number, in Polish

    await stack.phone_texts("+48600100200", "STOP")
    await stack.drain()
    notice = [m.text for m in stack.replies(parent) if "wysłał(a) STOP" in m.text and m.bot_id]
    assert notice == ["+48 600 100 200 wysłał(a) STOP: żaden SMS nie zostanie wysłany na ten numer, dopóki nie wyśle START."]


async def test_the_demo_plays_in_polish() -> None:
    out = io.StringIO()
    assert await run_demo(out=out, language="pl") == 0
    text = out.getvalue()
    assert "Klient pisze SMS z numeru +48 600 100 200" in text
    assert "Rozmowa SMS z +48 600 100 200" in text
    assert "SMS do +48 600 100 200: wysyłka za 5 s  [Anuluj]" in text
    assert "Czeka na klienta" in text and "1 wiadomość" in text and "2 wiadomości" in text
    assert "Nowy SMS w zamkniętej rozmowie: jest znów otwarta." in text


def test_counts_are_written_the_polish_way() -> None:
    from bot.i18n import figure

    with use_language("pl"):
        assert [figure(n) for n in (7, 1500, 15000, 1234567)] == ["7", "1500", "15\u00a0000", "1\u00a0234\u00a0567"]
        assert ngettext("{n} number", "{n} numbers", 15000).format(n=figure(15000)) == "15\u00a0000 numerów"
    assert [figure(n) for n in (1500, 15000)] == ["1,500", "15,000"]
