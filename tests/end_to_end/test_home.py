"""The App Home tab end to end: a signed ``app_home_opened`` from the emulator, the app's
``views.publish`` for that person, the tab brought up to date when a conversation is
taken, and the follow-up mention setting ticked in the tab deciding who is mentioned."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.bridge import home as bridge_home
from bot.sandbox.slack import SlackConfig, SlackMessage
from bot.sandbox.stack import SandboxStack
from storage.people_models import PersonSettings
from tests.support import StackFactory, open_thread, stored

ANNA, PIOTR = "U0ANNA", "U0PIOTR"
BRIDGE, SERVICE = "C0SMSBRIDGE", "G0SERWIS"  # SERVICE: a private channel only Anna (and the app) is in
MENTION = "home_mention_follow_up"


def home(stack: SandboxStack, user: str) -> str:
    return json.dumps(stack.slack.home_of(user) or {}, ensure_ascii=False)


def publishes(stack: SandboxStack, user: str) -> int:
    return sum(1 for who, _ in stack.slack.home_publishes if who == user)


async def take(stack: SandboxStack, parent: SlackMessage, user: str) -> None:
    blocks = stack.slack.messages[(parent.channel, parent.ts)].blocks or []
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e.get("action_id") == "card_assign_me"]
    response, _ = await stack.slack.press_button(button, user=user, channel=parent.channel, message_ts=parent.ts)
    assert response.status_code == 200
    await stack.drain()


def checkbox(stack: SandboxStack, user: str) -> dict[str, Any]:
    view = stack.slack.home_of(user) or {}
    return next(e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"] if e.get("action_id") == MENTION)


async def test_opening_the_home_tab_publishes_that_persons_sections(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await take(stack, parent, ANNA)
    await open_thread(stack, "48600100201")  # nobody's yet: waiting for us

    response = await stack.slack.open_home(ANNA)
    assert response.status_code == 200
    await stack.until(lambda: stack.slack.home_of(ANNA), what="Anna's Home tab")
    shown = home(stack, ANNA)
    assert "My conversations (1)" in shown and "Waiting for us (2)" in shown and "Today" in shown and "My notifications" in shown
    mine = shown.split("Waiting for us")[0]
    assert "+48 600 100 200" in mine and "+48 600 100 201" not in mine  # only hers
    waiting = shown.split("Waiting for us")[1].split("Today")[0]
    assert waiting.index("+48 600 100 200") < waiting.index("+48 600 100 201")  # the oldest wait first
    assert "waiting less than a minute" in waiting and f"owner: <@{ANNA}>" in waiting
    assert f"/archives/{parent.channel}/p{parent.ts.replace('.', '')}" in shown  # a link to the thread
    assert "*In:* 2" in shown and "*Out:* 0" in shown
    assert checkbox(stack, ANNA).get("initial_options")  # FOLLOWUP_MENTION_OWNER's default: on
    assert stack.slack.home_of(PIOTR) is None  # nobody else's tab was drawn


async def test_the_tab_is_brought_up_to_date_when_a_conversation_is_taken(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.slack.open_home(PIOTR)
    await stack.until(lambda: "My conversations (0)" in home(stack, PIOTR), what="Piotr's empty Home tab")
    await take(stack, parent, PIOTR)
    await stack.until(lambda: "My conversations (1)" in home(stack, PIOTR), what="the conversation on Piotr's tab")
    assert publishes(stack, PIOTR) == 2  # opened, then taken: one publish each
    assert stack.slack.home_of(ANNA) is None  # she never opened it: nothing is published for her


async def test_the_mention_setting_decides_who_a_follow_up_mentions(stack: SandboxStack) -> None:
    parent = await open_thread(stack)
    await stack.person_replies(parent, "Paczka wyszła", user=PIOTR)  # Piotr answers: he owns it now
    await stack.drain()
    await stack.slack.open_home(PIOTR)
    await stack.until(lambda: stack.slack.home_of(PIOTR), what="Piotr's Home tab")

    response = await stack.slack.tick_in_home(PIOTR, MENTION, [])  # he clears the box
    assert response.status_code == 200
    await stack.drain()
    [settings] = await stored(stack, select(PersonSettings).where(PersonSettings.user_id == PIOTR))
    assert settings.mention_on_follow_up is False
    await stack.until(lambda: not checkbox(stack, PIOTR).get("initial_options"), what="the cleared box on his tab")

    await stack.phone_texts("48600100200", "Dziękuję!")
    await stack.drain()
    [quiet] = [m for m in stack.replies(parent) if m.bot_id and "Dziękuję!" in m.text]
    assert quiet.broadcast and "The customer answered" in json.dumps(quiet.blocks) and not [p for p in quiet.pings if p.id == PIOTR]

    await stack.slack.tick_in_home(PIOTR, MENTION, ["mention"])  # and ticks it again
    await stack.drain()
    await stack.person_replies(parent, "Proszę bardzo", user=PIOTR)
    await stack.drain()
    await stack.phone_texts("48600100200", "Jeszcze jedno pytanie")
    await stack.drain()
    [loud] = [m for m in stack.replies(parent) if m.bot_id and "Jeszcze jedno" in m.text]
    assert [p.id for p in loud.pings] == [PIOTR]


async def test_a_tab_slack_refuses_is_logged_not_retried(stack: SandboxStack) -> None:
    stack.slack.refuse("user_not_found", method="views.publish", times=None)  # the person has just left
    await stack.slack.open_home(ANNA)
    await stack.drain()
    refusals = [c for c in stack.slack.calls if c.method == "views.publish" and c.error == "user_not_found"]
    assert len(refusals) == 1 and stack.slack.home_of(ANNA) is None
    [settings] = await stored(stack, select(PersonSettings).where(PersonSettings.user_id == ANNA))
    assert settings.home_opened_at is None  # not kept up to date any more: the log said so once

    await open_thread(stack, "48600100201")  # a new wait republishes everyone's tab, but hers no more
    await stack.drain()
    assert len([c for c in stack.slack.calls if c.method == "views.publish"]) == 1


def private_routed(make_stack: StackFactory, **settings: object) -> SandboxStack:
    slack = SlackConfig(
        channels={BRIDGE: "sms-bridge", SERVICE: "serwis", "C0GENERAL": "general"},
        members={SERVICE: ["U0BRIDGEBOT", ANNA]},
    )
    return make_stack(slack=slack, settings={"routes": f"Serwis={SERVICE}", **settings})


async def test_a_tab_lists_only_the_conversations_of_channels_its_person_is_in(make_stack: StackFactory) -> None:
    async with private_routed(make_stack) as stack:
        await stack.phone_texts("48600100301", "Serwis: drukarka nie drukuje")  # routed to the private channel
        await stack.until(lambda: stack.slack.top_level(SERVICE), what="the thread in the private channel")
        await open_thread(stack, "48600100200")  # and one in the bridge channel, everyone's
        await stack.drain()
        for user in (ANNA, PIOTR):
            await stack.slack.open_home(user)
        await stack.until(lambda: stack.slack.home_of(ANNA) and stack.slack.home_of(PIOTR), what="both tabs")
        anna, piotr = home(stack, ANNA), home(stack, PIOTR)
        assert "Waiting for us (2)" in anna and "+48 600 100 301" in anna and "+48 600 100 200" in anna
        assert "Waiting for us (1)" in piotr and "+48 600 100 301" not in piotr and "+48 600 100 200" in piotr
        asked = [c for c in stack.slack.calls if c.method == "conversations.members"]
        assert {c.params.get("channel") for c in asked} == {BRIDGE, SERVICE} and len(asked) == 2  # kept: asked once a channel


async def test_someone_outside_sms_allowed_users_sees_one_sentence(make_stack: StackFactory) -> None:
    async with make_stack(settings={"sms_allowed_users": ANNA}) as stack:
        await open_thread(stack)
        await stack.slack.open_home(PIOTR)
        await stack.until(lambda: stack.slack.home_of(PIOTR), what="Piotr's tab")
        shown = home(stack, PIOTR)
        assert "shown only to people who may send SMS from Slack; ask an admin to add you" in shown
        assert "+48 600 100 200" not in shown and "Waiting for us" not in shown
        assert len((stack.slack.home_of(PIOTR) or {})["blocks"]) == 1


async def test_a_long_wait_list_ends_with_how_many_more(stack: SandboxStack) -> None:
    for n in range(22):
        await stack.phone_texts(f"4860010{n:04d}", "Dzień dobry")
    await stack.drain(timeout=60)
    await stack.slack.open_home(ANNA)
    await stack.until(lambda: stack.slack.home_of(ANNA), what="Anna's tab")
    shown = home(stack, ANNA)
    waiting = shown.split("Waiting for us")[1].split("Today")[0]
    assert "Waiting for us (22)" in shown and "…and 2 more" in waiting
    assert waiting.count("+48 600 10") == 20 and "+48 600 100 000" in waiting and "+48 600 100 021" not in waiting  # the oldest 20


async def test_a_new_wait_republishes_the_tab_of_everyone_who_opened_it(stack: SandboxStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bridge_home, "EVERYONE_GAP_SECONDS", 1.0)  # 60 s in production: the test would wait a minute
    await open_thread(stack)
    for user in (ANNA, PIOTR):
        await stack.slack.open_home(user)
    await stack.until(lambda: "Waiting for us (1)" in home(stack, ANNA) and "Waiting for us (1)" in home(stack, PIOTR), what="tabs")

    await open_thread(stack, "48600100201")  # a new SMS: a new wait on everyone's list

    def two_waiting(user: str) -> bool:
        return "Waiting for us (2)" in home(stack, user)

    for user in (ANNA, PIOTR):
        await stack.until(functools.partial(two_waiting, user), what=f"the new wait on {user}'s tab")
    await stack.drain()
    assert publishes(stack, ANNA) == 2 and publishes(stack, PIOTR) == 2  # once opened, once for the new wait
    assert stack.slack.home_of("U0KASIA") is None  # she never opened it
