"""Nothing a customer or mProfi writes can ping or link anyone in Slack: checked on
what the Slack emulator would show and notify, for every way text comes in."""

from __future__ import annotations

from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from tests.support import NUMBER, PNG, open_thread, status_lines

HOSTILE = "<!channel> pilne <@U0ANNA> <https://evil.example|Twoja paczka> &lt;b&gt; <!subteam^S0SUPPORT> <#C0GENERAL>"


def nothing_pinged_or_linked(stack: SandboxStack, *, authors: tuple[str, ...] = ()) -> None:
    """``authors``: the people the bridge itself names on purpose (a status line's "by @anna")."""
    assert [seen for seen in stack.slack.pings_anywhere() if getattr(seen.what, "id", None) not in authors] == []
    assert [seen for seen in stack.slack.links_anywhere() if "evil" in str(seen.what) or "#C0GENERAL" in str(seen.what)] == []


async def test_an_sms_that_tries_to_ping_or_link_shows_as_words(stack: SandboxStack) -> None:
    await stack.phone_texts(NUMBER, HOSTILE)
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    [message] = await stack.until(lambda: stack.replies(parent))
    assert message.shown.endswith(HOSTILE)  # a person reads exactly what the customer typed
    await stack.phone_texts(NUMBER, HOSTILE)  # the same again: shown as a repeat
    await stack.until(lambda: len(stack.replies(parent)) == 2)
    nothing_pinged_or_linked(stack)


async def test_3cx_fields_mms_file_names_and_sender_names_are_escaped(stack: SandboxStack) -> None:
    await stack.phone_texts("+48600100200", HOSTILE, webhook_format="3cx")
    files = {"image1": ("<!here>.png", PNG, "image/png"), "image2": ("<!channel>.pdf", b"%PDF", "application/pdf")}
    response = await stack.http.post(
        stack.app_url + "/mprofi/incoming",
        data={"sender": "48600100300", "message": HOSTILE},
        files=files,
        headers={"Authorization": WEBHOOK_TOKEN},
    )
    assert response.status_code == 200
    await stack.phone_texts("Allegro&Co", HOSTILE)
    await stack.until(lambda: len(stack.slack.top_level(stack.channel)) == 3, what="three threads")
    mms = await stack.until(lambda: stack.thread_of("600 100 300"))
    await stack.until(lambda: len(stack.replies(mms)) == 3, what="text, image, note")
    nothing_pinged_or_linked(stack)


async def test_status_lines_with_mprofis_words_are_escaped(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    stack.sim.queue_fault("send", "400")
    await stack.person_replies(parent, "Odpowiedź")
    await stack.until(lambda: [m for m in status_lines(stack, parent) if "not sent" in m.text])
    nothing_pinged_or_linked(stack, authors=("U0ANNA",))


async def test_survey_notifications_are_escaped_however_they_come(stack: SandboxStack) -> None:
    hook = stack.app_url + f"/mprofi/surveys?token={WEBHOOK_TOKEN}"
    answer = await stack.http.post(hook, json={"survey_id": 1, "msisdn": "<!channel>", "answer": HOSTILE})
    unreadable = await stack.http.post(hook, content=b"<!channel> " + HOSTILE.encode(), headers={"Content-Type": "text/plain"})
    report = await stack.http.post(hook, json={"survey_id": 1, "report": [{"msisdn": "<!here>", "answers": [HOSTILE], "finished": None}]})
    assert {answer.status_code, unreadable.status_code, report.status_code} == {200}
    await stack.until(lambda: len([m for m in stack.slack.messages.values() if m.bot_id]) >= 3, what="the survey posts")
    nothing_pinged_or_linked(stack)


async def test_a_5000_character_sms_that_escaping_makes_longer_reaches_slack_whole(stack: SandboxStack) -> None:
    text = "<&> " * 1250  # 5,000 characters; 17,500 once escaped: six sections, none over Slack's 3,000
    await stack.phone_texts(NUMBER, text)
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    [message] = await stack.until(lambda: stack.replies(parent))
    sections = [b for b in message.blocks if b["type"] == "section"]
    assert len(sections) >= 6
    joined = "".join(b["text"]["text"] for b in sections).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert joined.replace(" ", "") == text.replace(" ", "")  # all of it, in the blocks; the fallback is a preview
    nothing_pinged_or_linked(stack)
