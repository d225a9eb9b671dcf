"""Phone → Slack over real HTTP: simulator webhook → app → Slack emulator."""

from __future__ import annotations

from bot.sandbox.slack import SlackConfig
from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from tests.support import JPEG, PNG, StackFactory


async def test_first_sms_opens_a_thread_and_later_ones_join_it_whatever_the_number_format(stack: SandboxStack) -> None:
    await stack.phone_texts("48600100200", "Dzień dobry, gdzie moja paczka?")
    parent = await stack.until(lambda: stack.thread_of("+48 600 100 200"), what="the thread")
    await stack.until(lambda: len(stack.replies(parent)) == 1, what="the first message")
    await stack.phone_texts("+48600100200", "Numer zamówienia 1234")
    await stack.phone_texts("0048600100200", "Dziękuję")
    replies = await stack.until(lambda: len(stack.replies(parent)) == 3 and stack.replies(parent), what="three messages")

    assert len(stack.slack.top_level(stack.channel)) == 1
    assert parent.text == "SMS conversation with +48 600 100 200"
    assert [r.text.split(": ", 1)[1] for r in replies] == ["Dzień dobry, gdzie moja paczka?", "Numer zamówienia 1234", "Dziękuję"]
    assert all(r.thread_ts == parent.ts and r.user == stack.slack.config.bot_user_id for r in replies)
    # Every call went through the real slack_sdk client with the bot token.
    assert {c.token for c in stack.slack.calls} == {stack.slack.config.bot_token}


async def test_each_number_gets_its_own_thread(stack: SandboxStack) -> None:
    await stack.phone_texts("48600100200", "one")
    await stack.phone_texts("48600100300", "two")
    await stack.until(lambda: len(stack.slack.top_level(stack.channel)) == 2, what="two threads")
    first, second = stack.thread_of("600 100 200"), stack.thread_of("600 100 300")
    assert first and second and first.ts != second.ts


async def test_a_3cx_message_lands_in_the_thread_of_its_number(stack: SandboxStack) -> None:
    await stack.phone_texts("48600100200", "standard first")
    await stack.phone_texts("+48600100200", "then 3CX", webhook_format="3cx")
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: len(stack.replies(parent)) == 2 and stack.replies(parent))
    assert replies[1].text.endswith("then 3CX")
    assert len(stack.slack.top_level(stack.channel)) == 1


async def test_an_mms_posts_its_text_and_uploads_each_image_into_the_thread(stack: SandboxStack) -> None:
    images = [("photo.png", PNG, "image/png"), ("scan.jpg", JPEG, "image/jpeg")]
    await stack.phone_texts("48600100200", "Zdjęcia uszkodzenia", images=images)
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: len(stack.replies(parent)) == 3 and stack.replies(parent), what="text + 2 files")

    assert "Zdjęcia uszkodzenia" in replies[0].text
    shared = [r.files[0] for r in replies[1:]]
    assert [f["title"] for f in shared] == ["photo.png", "scan.jpg"]
    # The stored name is unique per image, so a retry can tell whether it is already there.
    stored = {f.title: (f.name, f.content) for f in stack.slack.files.values()}
    assert stored == {"photo.png": ("mms1-photo.png", PNG), "scan.jpg": ("mms2-scan.jpg", JPEG)}
    # files_upload_v2: get an upload URL, send the bytes, complete into the thread.
    assert len(stack.slack.calls_to("files.getUploadURLExternal")) == 2
    completes = stack.slack.calls_to("files.completeUploadExternal")
    assert len(completes) == 2 and all(c.params["thread_ts"] == parent.ts for c in completes)


async def test_the_same_text_twice_is_kept_twice_in_the_same_thread(stack: SandboxStack) -> None:
    """Whether the second is called a probable repeat depends on whether the first was answered:
    tests/end_to_end/test_notes_and_repeats.py shows both."""
    body = {"sender": "48600100200", "recipient": "48664400100", "message": "Proszę o kontakt"}
    headers = {"Authorization": WEBHOOK_TOKEN}
    first = await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers=headers)
    again = await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["repeat"] is False and again.json()["repeat"] is True
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: len(stack.replies(parent)) == 2 and stack.replies(parent))
    assert [r.text.endswith("Proszę o kontakt") for r in replies] == [True, True]
    assert len(stack.slack.top_level(stack.channel)) == 1


async def test_the_simulator_retries_until_the_app_answers_and_nothing_is_lost(stack: SandboxStack) -> None:
    stack.slack.fail("chat.postMessage", 429, times=3, retry_after=1)
    await stack.phone_texts("48600100200", "Slack is busy")
    parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=15, what="the thread after rate limits")
    replies = await stack.until(lambda: stack.replies(parent), timeout=15)
    assert replies[0].text.endswith("Slack is busy")
    assert len(stack.slack.top_level(stack.channel)) == 1
    rate_limited = [c for c in stack.slack.calls if c.method == "chat.postMessage" and c.status == 429]
    assert len(rate_limited) == 3


async def test_the_panel_test_button_format_is_accepted(stack: SandboxStack) -> None:
    body = {"sender": "+48600100200", "recipient": "office_shortcode", "message": "test"}
    response = await stack.http.post(stack.app_url + "/mprofi/incoming", json=body, headers={"Authorization": WEBHOOK_TOKEN})
    assert response.status_code == 200
    await stack.until(lambda: stack.thread_of("600 100 200"))


async def test_a_burst_keeps_to_slacks_pace_in_order_without_a_429(make_stack: StackFactory) -> None:
    slack = SlackConfig(post_rate=8.0, post_burst=2)
    async with make_stack(slack=slack, settings={"slack_posts_per_second": 8.0, "slack_post_burst": 1}) as stack:
        texts = [f"wiadomość {i}" for i in range(12)]
        for text in texts:
            await stack.phone_texts("48600100200", text)
        parent = await stack.until(lambda: stack.thread_of("600 100 200"))
        replies = await stack.until(lambda: len(stack.replies(parent)) == 12 and stack.replies(parent), timeout=20)
        assert [r.text.split(": ", 1)[1] for r in replies] == texts
        assert [c for c in stack.slack.calls if c.status == 429] == []
