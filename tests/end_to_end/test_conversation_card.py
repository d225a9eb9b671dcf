"""The card end to end: every button, the picker, the snooze menu and both forms, pressed
as Slack sends them (signed interaction payloads from the emulator) on the running app,
with the card redrawn by ``chat.update`` after each change. Two replicas racing on the
same card (PostgreSQL) give one outcome each."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.sandbox.process import AppProcess
from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import SandboxStack
from storage.models import Contact, Conversation, OptOut
from tests.support import StackFactory, open_thread, stored

ANNA, PIOTR = "U0ANNA", "U0PIOTR"


def card_text(stack: SandboxStack, parent: SlackMessage) -> str:
    return json.dumps(stack.slack.messages[(parent.channel, parent.ts)].blocks, ensure_ascii=False)


def element(stack: SandboxStack, parent: SlackMessage, action_id: str) -> dict[str, Any]:
    """The card's element with ``action_id``, as the card shows it now."""
    blocks = stack.slack.messages[(parent.channel, parent.ts)].blocks or []
    found = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e.get("action_id") == action_id]
    assert found, f"the card has no {action_id} now"
    return dict(found[0])


async def press(stack: SandboxStack, parent: SlackMessage, action_id: str, user: str = ANNA) -> None:
    response, _ = await stack.slack.press_button(element(stack, parent, action_id), user=user, channel=parent.channel, message_ts=parent.ts)
    assert response.status_code == 200
    await stack.drain()


async def the_conversation(stack: SandboxStack) -> Conversation:
    [row] = await stored(stack, select(Conversation))
    return row


async def test_assign_close_reopen_and_the_picker_change_the_card(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    edits = stack.slack.messages[(parent.channel, parent.ts)].edits
    await press(stack, parent, "card_assign_me")
    assert f"<@{ANNA}>" in card_text(stack, parent) and (await the_conversation(stack)).owner == ANNA
    assert stack.slack.messages[(parent.channel, parent.ts)].edits > edits

    picker = element(stack, parent, "card_assign")
    assert picker["type"] == "users_select" and picker.get("initial_user") == ANNA
    response, _ = await stack.slack.select_user(picker, user=ANNA, channel=parent.channel, message_ts=parent.ts, chosen=PIOTR)
    assert response.status_code == 200
    await stack.drain()
    assert (await the_conversation(stack)).owner == PIOTR
    assert any(p.id == PIOTR for m in stack.replies(parent) for p in m.pings)  # the new owner hears of it

    await press(stack, parent, "card_close", user=PIOTR)
    assert "Closed" in card_text(stack, parent) and (await the_conversation(stack)).state == "closed"
    await press(stack, parent, "card_reopen", user=PIOTR)
    assert (await the_conversation(stack)).state == "waiting_us"


async def test_the_snooze_menu_and_its_form(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    menu = element(stack, parent, "card_snooze")
    assert menu["type"] == "overflow"
    tomorrow = next(o["value"] for o in menu["options"] if o["value"].startswith("tomorrow:"))
    response, _ = await stack.slack.choose_option(menu, tomorrow, user=ANNA, channel=parent.channel, message_ts=parent.ts)
    assert response.status_code == 200
    await stack.drain()
    snoozed = (await the_conversation(stack)).snoozed_until
    assert snoozed is not None and snoozed > datetime.now(UTC) and "Snoozed until" in card_text(stack, parent)

    menu = element(stack, parent, "card_snooze")
    pick = next(o["value"] for o in menu["options"] if o["value"].startswith("pick:"))
    before = set(stack.slack.views)
    await stack.slack.choose_option(menu, pick, user=ANNA, channel=parent.channel, message_ts=parent.ts)
    [view_id] = set(stack.slack.views) - before
    past = {"until": {"until": {"type": "datetimepicker", "selected_date_time": int(datetime.now(UTC).timestamp()) - 60}}}
    refused = await stack.slack.submit_view(view_id, ANNA, past)
    assert refused.json() == {"response_action": "errors", "errors": {"until": "Pick a date and time in the future."}}
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    chosen = {"until": {"until": {"type": "datetimepicker", "selected_date_time": int(later.timestamp())}}}
    assert (await stack.slack.submit_view(view_id, ANNA, chosen)).status_code == 200
    await stack.drain()
    assert (await the_conversation(stack)).snoozed_until == later

    menu = element(stack, parent, "card_snooze")
    wake = next(o["value"] for o in menu["options"] if o["value"].startswith("wake:"))
    await stack.slack.choose_option(menu, wake, user=ANNA, channel=parent.channel, message_ts=parent.ts)
    await stack.drain()
    assert (await the_conversation(stack)).snoozed_until is None and "Snoozed" not in card_text(stack, parent)


async def test_name_opt_out_and_check_number(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    before = set(stack.slack.views)
    await press(stack, parent, "card_name")
    [view_id] = set(stack.slack.views) - before
    empty = await stack.slack.submit_view(view_id, ANNA, {"name": {"name": {"type": "plain_text_input", "value": "  "}}})
    assert empty.json()["response_action"] == "errors"
    named = {"name": {"name": {"type": "plain_text_input", "value": "Jan Wiśniewski"}}}
    assert (await stack.slack.submit_view(view_id, ANNA, named)).status_code == 200
    await stack.drain()
    assert [c.name for c in await stored(stack, select(Contact))] == ["Jan Wiśniewski"]
    assert "Jan Wiśniewski · +48 600 100 200" in card_text(stack, parent)

    await press(stack, parent, "card_opt_out")
    [opt_out] = await stored(stack, select(OptOut))
    assert opt_out.by == ANNA and "Opted out" in card_text(stack, parent)
    before = set(stack.slack.views)
    await press(stack, parent, "card_opt_in", user=PIOTR)
    [reason_form] = set(stack.slack.views) - before
    assert len(await stored(stack, select(OptOut))) == 1  # not before a reason is given
    with pytest.raises(ValueError, match="at least 5 characters"):  # Slack itself refuses a shorter reason (min_length)
        await stack.slack.submit_view(reason_form, PIOTR, {"reason": {"reason": {"type": "plain_text_input", "value": "tak"}}})
    reason = {"reason": {"reason": {"type": "plain_text_input", "value": "klient prosił mailem 30.11"}}}
    assert (await stack.slack.submit_view(reason_form, PIOTR, reason)).status_code == 200
    await stack.drain()
    assert await stored(stack, select(OptOut)) == []

    await press(stack, parent, "card_check_number")
    assert len([r for r in stack.sim.requests if r[0] == "/1.0/hlr/single/"]) == 1
    assert "Number check:" in card_text(stack, parent)


def block_actions(stack: SandboxStack, parent: SlackMessage, button: dict[str, Any], user: str) -> bytes:
    """A button press as Slack posts it (``block_actions``, form-encoded ``payload``), for sending to any replica."""
    payload = {
        "type": "block_actions",
        "team": {"id": stack.slack.config.team_id},
        "user": {"id": user, "team_id": stack.slack.config.team_id},
        "api_app_id": "A0SANDBOX",
        "container": {"type": "message", "channel_id": parent.channel, "message_ts": parent.ts, "is_ephemeral": False},
        "channel": {"id": parent.channel},
        "trigger_id": stack.slack.next_id("trig."),
        "response_url": f"{stack.slack.config.public_url}/hooks/{stack.slack.next_id('H')}",
        "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"], "block_id": "b", "action_ts": "1"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_racing_on_one_card_give_one_outcome_each(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True) as stack:
        second = AppProcess(stack.settings())
        await second.start()
        try:
            parent = await open_thread(stack)
            urls = [stack.app_url + "/slack/events", second.url + "/slack/events"]

            async def both(action_id: str) -> None:
                button = element(stack, parent, action_id)
                bodies = [block_actions(stack, parent, button, user) for user in (ANNA, PIOTR)]
                answers = await asyncio.gather(
                    *(
                        stack.http.post(url, content=body, headers=stack.slack.signed_headers(body, "application/x-www-form-urlencoded"))
                        for url, body in zip(urls, bodies, strict=True)
                    )
                )
                assert [a.status_code for a in answers] == [200, 200]
                await stack.drain()

            await both("card_assign_me")  # Anna on one replica, Piotr on the other, the same card
            owner = (await the_conversation(stack)).owner
            assert owner in (ANNA, PIOTR)
            loser = PIOTR if owner == ANNA else ANNA
            assert [e["user"] for e in stack.slack.ephemeral] == [loser]  # told once, the winner nothing
            assert f"it is <@{owner}> now" in stack.slack.ephemeral[0]["text"]  # who has it, as the other replica left it

            await both("card_close")
            assert (await the_conversation(stack)).state == "closed"
            closed_by = (await the_conversation(stack)).state_by
            [told] = stack.slack.ephemeral[1:]  # one of the two Close presses lost, and was told who won
            assert told["user"] != closed_by and told["text"] == f"<@{closed_by}> closed this conversation a moment ago."
            assert "Closed" in card_text(stack, parent)
        finally:
            await second.stop()
