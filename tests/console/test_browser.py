"""The sandbox console in a real browser: a person texts in, answers, clicks and watches.

Each test drives the page in headless Chromium as a person would (typing, clicking,
choosing a file) and waits for what the page shows; the app between the stand-ins is
the real one, so every step went through signed Slack requests and mProfi webhooks.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.console.conftest import ARTEFACTS, RunningConsole

WAIT = 30.0
PHONE = "48600100200"
OTHER = "48600100201"


def _png(width: int = 24, height: int = 16) -> bytes:
    """A small valid PNG (a red rectangle): what a phone attaches to an MMS."""
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _until(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page redraws lists as they change: an element read a moment ago may be replaced.
    wait = WebDriverWait(driver, WAIT, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(condition, message=f"the page never showed {what}")


def _css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def _one(driver: Any, selector: str) -> Any:
    return _until(driver, lambda d: (_css(d, selector) or [None])[0], selector)


def _text(driver: Any, selector: str) -> str:
    """What the first element matching ``selector`` shows now ("" when none does), read in one step."""
    script = "const found = document.querySelector(arguments[0]); return found ? found.innerText : '';"
    return str(driver.execute_script(script, selector))


def _click(driver: Any, selector: str, *, containing: str = "") -> None:
    """Click the first element matching ``selector`` (and showing ``containing``), as it is now:
    scrolled to the middle of the view first, and found again if the page redrew it."""

    def clicked(d: Any) -> bool:
        for element in _css(d, selector):
            if containing in element.text:
                d.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
                element.click()
                return True
        return False

    _until(driver, clicked, selector + (f" showing {containing!r}" if containing else ""))


def _open(driver: Any, sandbox: RunningConsole) -> None:
    driver.get(sandbox.url)
    _one(driver, f'.phone[data-phone="{PHONE}"] textarea[name=text]')
    _until(driver, lambda d: _one(d, "#live").text == "live", "the live updates connected")


def _phone_texts(driver: Any, digits: str, text: str) -> None:
    box = _one(driver, f'.phone[data-phone="{digits}"] textarea[name=text]')
    box.send_keys(text)
    _one(driver, f'.phone[data-phone="{digits}"] .phone-compose button[type=submit]').click()


def _phone_log(driver: Any, digits: str) -> str:
    return str(_one(driver, f'.phone[data-phone="{digits}"] .phone-log').text)


def _open_thread(driver: Any) -> None:
    _until(driver, lambda d: _css(d, "#messages [data-open-thread]"), "a thread in the channel")
    _click(driver, "#messages [data-open-thread]")
    _until(driver, lambda d: _one(d, "#thread-pane").is_displayed(), "the thread pane")


def test_a_text_in_opens_a_thread_and_the_reply_reaches_the_phone_delivered(chromium: Any, sandbox: RunningConsole) -> None:
    _open(chromium, sandbox)
    _phone_texts(chromium, PHONE, "Dzień dobry, gdzie moja paczka?")

    _until(chromium, lambda d: "+48 600 100 200" in _one(d, "#messages").text, "the new thread for the number")
    _open_thread(chromium)
    _until(chromium, lambda d: "gdzie moja paczka" in _one(d, "#thread").text, "the customer's text in the thread")

    reply = _one(chromium, "#thread-text")
    reply.send_keys("Wyszła dziś rano, kurier będzie jutro.")
    _one(chromium, "#thread-compose button[type=submit]").click()

    _until(chromium, lambda d: "kurier będzie jutro" in _phone_log(d, PHONE), "the reply on the phone")
    delivered = f'.phone[data-phone="{PHONE}"] .bubble.theirs .status'
    _until(chromium, lambda d: [e for e in _css(d, delivered) if e.text == "delivered"], "the reply marked delivered on the phone")
    # The timeline shows why: mProfi's webhook in, the app's send/ out, the PUSH status back.
    timeline = _one(chromium, "#timeline").text
    assert "mProfi → app" in timeline and "/mprofi/incoming" in timeline
    assert "app → mProfi" in timeline and "/1.0/send/" in timeline
    assert "app → Slack" in timeline and "chat.postMessage" in timeline


def test_close_on_the_card_changes_the_card(chromium: Any, sandbox: RunningConsole) -> None:
    _open(chromium, sandbox)
    _phone_texts(chromium, PHONE, "Proszę o kontakt")
    _one(chromium, '#messages button[data-kind=button][data-action="card_close"]')
    before = _text(chromium, "#messages .msg")
    _click(chromium, '#messages button[data-kind=button][data-action="card_close"]')

    _until(chromium, lambda d: not _css(d, '#messages button[data-action="card_close"]'), "the card without its Close button")
    after = _text(chromium, "#messages .msg")
    assert after != before and "Closed" in after


def test_sms_to_two_numbers_reaches_both_phones(chromium: Any, sandbox: RunningConsole) -> None:
    _open(chromium, sandbox)
    text = "Biuro jest zamknięte w piątek."
    composer = _one(chromium, "#channel-text")
    composer.send_keys(f"/sms 600100200,600100201 {text}")
    _one(chromium, "#channel-compose button[type=submit]").click()

    _until(chromium, lambda d: text in _phone_log(d, PHONE) and text in _phone_log(d, OTHER), "the text on both phones")
    _until(chromium, lambda d: "/sms 600100200,600100201" in _one(d, "#private").text, "the command's private answer")


def test_an_mms_from_a_phone_shows_its_picture_in_the_thread(chromium: Any, sandbox: RunningConsole, tmp_path: Path) -> None:
    _open(chromium, sandbox)
    picture = tmp_path / "zdjecie.png"
    picture.write_bytes(_png())
    _one(chromium, f'.phone[data-phone="{OTHER}"] input[name=image]').send_keys(str(picture))
    _phone_texts(chromium, OTHER, "Zdjęcie uszkodzonej paczki")

    _open_thread(chromium)
    _until(chromium, lambda d: _css(d, "#thread img.file-thumb"), "the picture in the thread")
    log = _phone_log(chromium, OTHER)
    assert "mms" in log


def test_the_page_with_a_conversation_is_saved_as_a_screenshot(chromium: Any, sandbox: RunningConsole) -> None:
    """The artefact a person looks at: the page mid-conversation, timeline row opened."""
    _open(chromium, sandbox)
    _phone_texts(chromium, PHONE, "Czy mogę zmienić adres dostawy?")
    _open_thread(chromium)
    _one(chromium, "#thread-text").send_keys("Tak, proszę podać nowy adres.")
    _one(chromium, "#thread-compose button[type=submit]").click()
    _until(chromium, lambda d: "nowy adres" in _phone_log(d, PHONE), "the reply on the phone")
    _until(chromium, lambda d: [e for e in _css(d, f'.phone[data-phone="{PHONE}"] .status') if e.text == "delivered"], "delivered")
    _click(chromium, "#timeline tr.entry", containing="/mprofi/incoming")
    detail = _one(chromium, "#timeline tr.detail")
    assert "Authorization: •••" in detail.text and "Czy mogę zmienić adres dostawy?" in detail.text
    chromium.set_window_size(1600, 1420)
    chromium.execute_script("window.scrollTo(0, 0);")

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "sandbox-console.png"
    assert chromium.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_a_modal_opens_takes_what_is_typed_and_closes(chromium: Any, sandbox: RunningConsole) -> None:
    """The card's *Name…* opens Slack's modal; the name typed there lands on the card."""
    _open(chromium, sandbox)
    _phone_texts(chromium, PHONE, "Dzień dobry")
    _click(chromium, '#messages button[data-kind=button][data-action="card_name"]')

    form = _one(chromium, "#modal-layer form.modal")
    field = form.find_element("css selector", "input[type=text], textarea")
    field.send_keys("Jan z magazynu")
    form.find_element("css selector", "button[data-modal=submit]").click()

    _until(chromium, lambda d: not _one(d, "#modal-layer").is_displayed(), "the modal closed")
    _until(chromium, lambda d: "Jan z magazynu" in _one(d, "#messages").text, "the name on the card")


def test_a_phone_invited_to_a_survey_answers_its_questions(chromium: Any, sandbox: RunningConsole) -> None:
    _open(chromium, sandbox)
    _one(chromium, "#new-phone").send_keys("600 100 204")
    _one(chromium, "#add-phone button[type=submit]").click()
    survey = '.phone[data-phone="48600100204"] .phone-survey'
    _one(chromium, '.phone[data-phone="48600100204"]')
    assert not _one(chromium, survey).is_displayed()  # not invited yet

    _one(chromium, "#channel-text").send_keys("/survey start 1 600100204")
    _one(chromium, "#channel-compose button[type=submit]").click()
    _until(chromium, lambda d: "Czy poleciłbyś nas znajomym?" in _text(d, survey), "the survey's first question on the phone")
    _one(chromium, f"{survey} input[name=answer]").send_keys("tak")
    _one(chromium, f"{survey} button[type=submit]").click()

    _until(chromium, lambda d: "Ocena obsługi 1-5" in _text(d, survey), "the second question")
    _until(
        chromium,
        lambda d: [line for line in _text(d, "#timeline").splitlines() if "/mprofi/surveys" in line and "\t200\t" in line],
        "mProfi's survey notification accepted by the bridge",
    )
    assert not [line for line in _text(chromium, "#timeline").splitlines() if "/mprofi/surveys" in line and "\t401\t" in line]


def _modal_field(driver: Any, name: str) -> Any:
    return _one(driver, f'#modal form.modal [name="{name}"]')


def test_the_sms_form_keeps_what_is_typed_while_the_app_updates_it(chromium: Any, sandbox: RunningConsole) -> None:
    """The form's live hint comes from the app redrawing the modal: what the person typed stays,
    after the hint and after the app's errors, and the form then sends to both numbers."""
    _open(chromium, sandbox)
    _one(chromium, "#channel-text").send_keys("/sms")
    _one(chromium, "#channel-compose button[type=submit]").click()
    _one(chromium, "#modal form.modal")
    numbers = _modal_field(chromium, "recipients/value")
    hint_before = _text(chromium, "#modal form.modal")
    numbers.send_keys("12")
    text_name = _one(chromium, '#modal form.modal [data-dispatch="1"]').get_attribute("name")
    _modal_field(chromium, text_name).send_keys("Zapraszamy jutro od 9:00")

    _until(chromium, lambda d: "24 " in _text(d, "#modal form.modal") and _text(d, "#modal form.modal") != hint_before, "the hint counting")
    assert _modal_field(chromium, "recipients/value").get_attribute("value") == "12"
    assert _modal_field(chromium, text_name).get_attribute("value") == "Zapraszamy jutro od 9:00"

    _one(chromium, "#modal button[data-modal=submit]").click()
    _until(chromium, lambda d: _css(d, "#modal .bk-error"), "the app's error beside the numbers")
    assert _modal_field(chromium, text_name).get_attribute("value") == "Zapraszamy jutro od 9:00"
    field = _modal_field(chromium, "recipients/value")
    field.clear()
    field.send_keys("600100200, 600100201")
    _one(chromium, "#modal button[data-modal=submit]").click()

    text = "Zapraszamy jutro od 9:00"
    _until(chromium, lambda d: text in _phone_log(d, PHONE) and text in _phone_log(d, OTHER), "the text on both phones")


def _open_thread_of(driver: Any, number: str) -> None:
    """Open the thread whose card names ``number`` (found and clicked in one step)."""
    script = """
        for (const card of document.querySelectorAll('#messages .msg')) {
          const button = card.querySelector('[data-open-thread]');
          if (button && card.innerText.includes(arguments[0])) { button.click(); return true; }
        }
        return false;"""
    _until(driver, lambda d: d.execute_script(script, number), f"the thread of {number}")


def test_channels_and_threads_switch_back_and_forth(chromium: Any, sandbox: RunningConsole) -> None:
    """Each pane shows what was asked for, even when it was drawn before, and a reply goes
    to the thread the page shows; a teammate mentioned in a thread keeps the reply inside."""
    _open(chromium, sandbox)
    _phone_texts(chromium, PHONE, "Pierwszy klient")
    _until(chromium, lambda d: "+48 600 100 200" in _text(d, "#messages"), "the first thread")
    _phone_texts(chromium, OTHER, "Drugi klient")
    _until(chromium, lambda d: "+48 600 100 201" in _text(d, "#messages"), "the second thread")

    _click(chromium, '[data-channel-tab="C0GENERAL"]')
    _until(chromium, lambda d: "+48 600 100 200" not in _text(d, "#messages"), "#general")
    _click(chromium, '[data-channel-tab="C0SMSBRIDGE"]')
    _until(chromium, lambda d: "+48 600 100 201" in _text(d, "#messages"), "#sms-bridge again")

    for number, own, other in [("+48 600 100 200", "Pierwszy", "Drugi"), ("+48 600 100 201", "Drugi", "Pierwszy")] * 2:
        _open_thread_of(chromium, number)

        def only_its_own(d: Any, own: str = own, other: str = other) -> bool:
            return own in _text(d, "#thread") and other not in _text(d, "#thread")

        _until(chromium, only_its_own, number)
        _one(chromium, "#close-thread").click()

    _open_thread_of(chromium, "+48 600 100 200")
    _until(chromium, lambda d: "Pierwszy klient" in _text(d, "#thread"), "the first thread again")
    _one(chromium, "#thread-text").send_keys("Odpowiedź dla pierwszego")
    _one(chromium, "#thread-compose button[type=submit]").click()
    _until(chromium, lambda d: "Odpowiedź dla pierwszego" in _phone_log(d, PHONE), "the reply on the first phone")
    assert "Odpowiedź dla pierwszego" not in _phone_log(chromium, OTHER)

    _one(chromium, "#thread-text").send_keys("@piotr zerknij proszę")
    _one(chromium, "#thread-compose button[type=submit]").click()
    _until(chromium, lambda d: "zerknij" in _text(d, "#thread"), "the note in the thread")
    assert sandbox.console is not None
    sandbox.call(sandbox.console.stack.drain())  # whatever the bridge does with it is done
    assert "zerknij" not in _phone_log(chromium, PHONE)  # a mention keeps it inside the team


def test_a_template_made_in_its_window_fills_the_sms_form_when_picked(chromium: Any, sandbox: RunningConsole) -> None:
    """A choice in a modal's menu tells the app at once (Slack's dispatch_action), and what the
    app puts back in the form shows."""
    _open(chromium, sandbox)
    _one(chromium, "#channel-text").send_keys("/sms templates")
    _one(chromium, "#channel-compose button[type=submit]").click()
    _click(chromium, '#modal button[data-kind=button][data-action][data-block="add"]')
    _until(chromium, lambda d: _css(d, '#modal [name="name/value"]'), "the template form")
    _modal_field(chromium, "name/value").send_keys("dostawa")
    text_field = _one(chromium, '#modal form.modal textarea[name^="text"]')
    text_field.send_keys("Paczka wyjdzie jutro rano.")
    _one(chromium, "#modal button[data-modal=submit]").click()
    _until(chromium, lambda d: "dostawa" in _text(d, "#modal"), "the template in the list")
    _one(chromium, "#modal button[data-modal=close]").click()
    _until(chromium, lambda d: not _one(d, "#modal-layer").is_displayed(), "the list closed")

    _one(chromium, "#channel-text").send_keys("/sms")
    _one(chromium, "#channel-compose button[type=submit]").click()
    picker = _one(chromium, '#modal select[name^="template/"]')
    from selenium.webdriver.support.ui import Select

    Select(picker).select_by_visible_text("#dostawa")
    _until(
        chromium,
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('#modal textarea')).some(t => t.value.includes('Paczka wyjdzie jutro rano.'))"
        ),
        "the template's text in the message field",
    )
