"""Consent and data protection end to end, through the emulator on the running app:
Polish opt-out words, ``/sms optouts``, the audit log, a number's export and its erasure."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.sandbox.stack import SandboxStack
from storage import make_engine
from tests.support import PNG, StackFactory, every_value, open_thread

NUMBER = "+48600100200"
ADMIN = "U0KASIA"


@pytest.fixture
async def stack(make_stack: StackFactory) -> AsyncIterator[SandboxStack]:
    async with make_stack(settings={"admin_users": [ADMIN]}) as running:
        yield running


async def everything_stored(stack: SandboxStack) -> str:
    engine = make_engine(stack.settings().database_url)
    try:
        return await every_value(engine)
    finally:
        await engine.dispose()


async def test_rezygnuje_opts_out_the_list_shows_it_and_lifting_it_needs_a_reason(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.phone_texts(NUMBER, "Rezygnuję!")
    await stack.drain()
    assert any("texted REZYGNUJĘ: no SMS will be sent" in m.text for m in stack.replies(parent))

    listed, _ = await stack.slack.run_command("/sms", "optouts")
    assert listed.text.startswith("1 opted-out number:") and "texted REZYGNUJĘ" in listed.text
    refused, _ = await stack.slack.run_command("/sms", "600100200 Czy na pewno?")
    assert "opted out" in refused.text and not stack.sent_to("48600100200")

    bare, _ = await stack.slack.run_command("/sms", "optouts remove 600100200")
    assert bare.text.startswith("Say why +48 600 100 200 may be texted again")
    lifted, _ = await stack.slack.run_command("/sms", "optouts remove 600100200 klientka prosiła telefonicznie 30.11")
    assert lifted.text == "+48 600 100 200 may be texted again. The reason is kept in the audit log."
    await stack.drain()
    assert any("opted back in (“klientka prosiła telefonicznie 30.11”)" in m.text for m in stack.replies(parent))
    empty, _ = await stack.slack.run_command("/sms", "optouts")
    assert empty.text == "No number is opted out."


async def test_nie_answers_a_question_and_opts_nobody_out(stack: SandboxStack) -> None:
    await open_thread(stack)
    await stack.phone_texts(NUMBER, "NIE")
    await stack.drain()
    listed, _ = await stack.slack.run_command("/sms", "optouts")
    assert listed.text == "No number is opted out."


async def test_adding_an_opt_out_from_slack_and_exporting_the_list(stack: SandboxStack) -> None:
    added, _ = await stack.slack.run_command("/sms", "optouts add 600 100 201 prośba mailowa")
    assert added.text.startswith("+48 600 100 201 is opted out")
    again, _ = await stack.slack.run_command("/sms", "optouts add 600100201")
    assert again.text == "+48 600 100 201 is opted out already; nothing changed."
    exported, _ = await stack.slack.run_command("/sms", "optouts export")
    assert "CSV file" in exported.text
    await stack.drain()
    [file] = [f for f in stack.slack.files.values() if f.name.startswith("opt-outs-") and f.share_ts]
    assert file.channel == stack.channel
    content = file.content.decode("utf-8-sig")
    assert content.splitlines()[0] == "phone;name;how;by;since" and "+48600100201;;set in Slack;U0ANNA;" in content


async def test_the_audit_log_and_a_numbers_export_are_for_admins_only(stack: SandboxStack) -> None:
    await open_thread(stack)
    for command in ("audit", "export 600100200", "forget 600100200"):
        refused, _ = await stack.slack.run_command("/sms", command, user="U0ANNA")
        assert refused.text.startswith("Only the people named in ADMIN_USERS may do this"), command

    await stack.slack.run_command("/sms", "600100201 Kurier będzie jutro")
    parent = stack.thread_of("200")
    assert parent is not None
    await stack.slack.user_says(parent.channel, "U0PIOTR", "Zamówienie wysłane", thread_ts=parent.ts)
    await stack.until(lambda: stack.sent_to("48600100200"), what="the reply")
    await stack.drain()
    await stack.slack.run_command("/sms", "optouts add 600100200 na prośbę klienta")
    everything, _ = await stack.slack.run_command("/sms", "audit", user=ADMIN)
    assert everything.text == "Preparing the audit log: the CSV will be in a direct message from the app in a moment."
    answer, _ = await stack.slack.run_command("/sms", "audit 600100200", user=ADMIN)
    assert "direct message" in answer.text
    await stack.drain()
    whole, file = sorted((f for f in stack.slack.files.values() if f.name.startswith("audit-")), key=job_number)
    sent = [row.split(";") for row in whole.content.decode("utf-8-sig").splitlines() if ";SMS sent;" in row]
    assert [(r[2], r[3], r[4], r[5], r[6]) for r in sent] == [
        ("U0ANNA", "C0GENERAL", "+48600100201", "Kurier będzie jutro", "1"),
        ("U0PIOTR", stack.channel, "+48600100200", "Zamówienie wysłane", "1"),
    ]
    assert all(
        r[7] and r[8] in ("accepted by mProfi", "sent to the network", "delivered") for r in sent
    )  # mProfi's id, where it stands now
    rows = file.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "time;what;who;channel;number;text;SMS parts;mProfi id;outcome;details"
    assert any(";opted out;U0ANNA;C0GENERAL;+48600100200;" in row and "SLACK: na prośbę klienta" in row for row in rows)
    assert file.channel == "D0KASIA"  # a direct message with the admin: nobody else reads every text sent
    parent = stack.slack.messages[(str(file.channel), str(file.thread_ts))]
    assert parent.text.startswith("Audit log (+48 600 100 200) for <@U0KASIA>:")

    by_person, _ = await stack.slack.run_command("/sms", "audit @piotr", user=ADMIN)  # typed as plain text, as Slack sends it
    assert "direct message" in by_person.text
    await stack.drain()
    piotrs = max((f for f in stack.slack.files.values() if f.name.startswith("audit-")), key=job_number)
    assert [row.split(";")[2] for row in piotrs.content.decode("utf-8-sig").splitlines()[1:]] == ["U0PIOTR"]
    nobody, _ = await stack.slack.run_command("/sms", "audit @zenon", user=ADMIN)
    assert nobody.text.startswith("Nobody in this workspace is @zenon")

    wrong, _ = await stack.slack.run_command("/sms", "audit wczoraj", user=ADMIN)
    assert wrong.text.startswith("“wczoraj” is neither a number, a person nor a date")

    exported, _ = await stack.slack.run_command("/sms", "export 600100200", user=ADMIN)
    assert "a JSON and a CSV file" in exported.text
    await stack.drain()
    [data] = [f for f in stack.slack.files.values() if f.name == "48600100200.json"]
    assert data.channel == "D0KASIA"
    held = json.loads(data.content)
    assert held["phone"] == NUMBER and [m["text"] for m in held["messages"]] == ["Dzień dobry", "Zamówienie wysłane"]
    assert held["opt_out"]["word"] == "SLACK"


def job_number(file: Any) -> int:
    """``audit-12.csv`` → 12: the files in the order the exports were asked for."""
    return int(str(file.name).removeprefix("audit-").removesuffix(".csv"))


def _button(answer: Any, action_id: str) -> dict[str, Any]:
    body = json.loads(answer.text)
    elements = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return next(e for e in elements if e["action_id"] == action_id)


async def test_forget_erases_the_number_deletes_the_bots_posts_and_keeps_the_opt_out(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.slack.user_says(parent.channel, "U0ANNA", "Dzień dobry, sprawdzę zamówienie", thread_ts=parent.ts)
    await stack.until(lambda: stack.sent_to("48600100200"), what="the reply")
    await stack.phone_texts(NUMBER, "Zdjęcie dowodu", images=[("dowod.png", PNG, "image/png")])
    await stack.phone_texts(NUMBER, "STOP")
    await stack.drain()
    assert "600100200" in await everything_stored(stack)
    [uploaded] = [f.id for f in stack.slack.files.values() if f.thread_ts == parent.ts and f.user == stack.slack.config.bot_user_id]

    question, _ = await stack.slack.run_command("/sms", "forget 600 100 200", user=ADMIN)
    assert "Erase everything held about +48 600 100 200?" in question.text
    cancel, hook = await stack.slack.press_button(_button(question, "privacy_forget_cancel"), user=ADMIN, channel="C0GENERAL")
    assert cancel.status_code == 200
    assert stack.slack.hook_posts(hook)[-1]["text"].startswith("Nothing was erased")

    question, _ = await stack.slack.run_command("/sms", "forget 600 100 200", user=ADMIN)
    pressed, hook = await stack.slack.press_button(_button(question, "privacy_forget"), user=ADMIN, channel="C0GENERAL")
    assert pressed.status_code == 200
    answer = stack.slack.hook_posts(hook)[0]["text"]
    assert answer.startswith("+48 600 100 200 is erased:") and "only a salted hash of it is kept" in answer
    await stack.drain()

    stored = await everything_stored(stack)
    assert "600100200" not in stored and "600 100 200" not in stored and "Dzień dobry" not in stored
    assert not [m for m in stack.replies(parent) if m.bot_id and not m.deleted]
    assert uploaded not in stack.slack.files  # the image itself, not only the post that showed it
    done = stack.slack.hook_posts(hook)[-1]["text"]
    assert done.startswith("Erasure finished:") and "One message written by a person stays in the thread" in done

    again, _ = await stack.slack.run_command("/sms", "600100200 Wracamy z ofertą")
    assert "opted out" in again.text
    assert [m.text for m in stack.sent_to("48600100200")] == ["Dzień dobry, sprawdzę zamówienie"]  # only the reply before STOP
