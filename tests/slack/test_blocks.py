"""Every Block Kit builder, fed anything a customer, mProfi or a typed argument could
hold: no markup gets through (no ping, no disguised link), and Slack's sizes hold."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack import blocks
from bot.slack.blocks import contacts
from bot.slack.blocks.card import CardView, LastMessage
from bot.sms.numbers import PhoneE164

USER = "U0ANNA"
CHANNEL = "C0BRIDGE"
LINK = "https://example.slack.com/archives/C0BRIDGE/p1"
ALLOWED_TAGS = {f"<@{USER}>", f"<#{CHANNEL}>", f"<{LINK}|Open the conversation thread.>"}
# Slack's date token (shown in each reader's own zone) with a fallback of digits and dots only.
OUR_DATES = re.compile(r"<!date\^\d+\^\{[a-z_]+\}(?: \{time\})?\|[\d. :]+>")
WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Warsaw")  # DEFAULT_TIMEZONE's default

PIECES = [
    "<!channel>",
    "<!here>",
    "<@U123>",
    "&amp;",
    "&lt;",
    "https://evil.example",
    "<https://evil.example|kliknij>",
    "<!subteam^S1>",
    "<#C1>",
    "ł",
    "😀",
    *"<>&!@#|^:/.ab _-*~`\n\"'",
]
hostile = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    st.text(max_size=40),
    st.sampled_from(["<!channel> hi", "<https://evil|click>", "&lt;!channel&gt;", "a" * 5000, "&" * 5000, "<" * 3000]),
)
sender = st.sampled_from([PhoneE164("+48600100200"), PhoneE164("ORANGE"), PhoneE164("Allegro&Co"), PhoneE164("+4791234567")])


def mrkdwn_texts(payload: Any) -> Iterator[str]:
    """Every string Slack parses as markup: a message's ``text`` and every mrkdwn object."""
    if isinstance(payload, str):
        yield payload
        return
    if isinstance(payload, dict):
        if isinstance(payload.get("text"), str) and payload.get("type") != "plain_text":
            yield payload["text"]
        for key, value in payload.items():
            if key != "text" or not isinstance(value, str):
                yield from mrkdwn_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from mrkdwn_texts(item)


def assert_inert(payload: Any) -> None:
    for found in mrkdwn_texts(payload):
        text = OUR_DATES.sub("", found)
        for tag in re.findall(r"<[^>]*>?", text):
            assert tag in ALLOWED_TAGS, f"markup {tag!r} got through in {text[:200]!r}"
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), f"a bare & in {text[:200]!r}"
        assert ">" not in re.sub("|".join(map(re.escape, ALLOWED_TAGS)), "", text)


def assert_within_slack_limits(payload: Any) -> None:
    if isinstance(payload, str):
        assert len(payload) <= 40_000
        return
    assert len(payload.get("text", "")) <= 40_000
    found = payload.get("blocks") or []
    assert len(found) <= 50
    for block in found:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])


def check(payload: Any) -> None:
    assert_inert(payload)
    assert_within_slack_limits(payload)


Builder = Callable[[str, PhoneE164], Any]

BUILDERS: dict[str, Builder] = {
    "conversation_card": lambda t, p: blocks.conversation_card(
        CardView(
            conversation_id=1,
            phone=p,
            name=t,
            state="waiting_us",
            owner=USER,
            state_by=USER,
            snoozed_until=WHEN,
            waiting_since=WHEN,
            last_in=LastMessage(text=t, at=WHEN),
            last_out=LastMessage(text=t, at=WHEN, author=USER, status="delivered"),
            opted_out_by="",
            opted_out_word=t,
            opted_out_at=WHEN,
            hlr_network=t,
            hlr_active=True,
            hlr_at=WHEN,
            count=3,
            zone=ZONE,
            note_prefix=t,
        )
    ),
    "contacts_report": lambda t, p: contacts.contacts_report(
        file_name=t, added=1, updated=2, unchanged=3, refused=[(n, t) for n in range(40)], too_many=True, user_id=USER
    ),
    "contacts_list": lambda t, p: contacts.contacts_list([(p, t, [t, t])] * 25, total=99, query=t),
    "follow_up": lambda t, p: blocks.follow_up(blocks.inbound_message(p, t, WHEN, zone=ZONE), reason="reopened", owner=USER),
    "inbound_message": lambda t, p: blocks.inbound_message(p, t, WHEN, zone=ZONE, images=2),
    "inbound_repeat": lambda t, p: blocks.inbound_repeat(p, t, WHEN, zone=ZONE),
    "status_line": lambda t, p: blocks.status_line(
        message_id=1, kind="sms", phone=p, status="uncertain", at=WHEN, zone=ZONE, detail=t, author=USER, text=t, received=t
    ),
    "notice": lambda t, p: blocks.notice(t),
    "sms_outcome_failed": lambda t, p: blocks.sms_outcome(phone=p, status="failed", detail=t, scheduled_for=None, link=LINK, zone=ZONE),
    "sms_outcome_uncertain": lambda t, p: blocks.sms_outcome(
        phone=p, status="uncertain", detail=t, scheduled_for=None, link=LINK, zone=ZONE
    ),
    "dispatch_progress": lambda t, p: blocks.dispatch_progress(
        user_id=USER,
        text=t,
        total=3,
        counts={"failed": 2, "accepted": 1},
        failures=[(p, "failed", t), (p, "failed", t + "x")],
        refused=[(t, t)] * 12,
        send_at=WHEN,
        done=True,
        zone=ZONE,
    ),
    "sms_ack": lambda t, p: blocks.sms_ack(
        sending=(p, p), opted_out=(p,), refused=((t, t),) * 3, duplicates=1, parts=1, send_at=None, bridge_channel=CHANNEL, zone=ZONE
    ),
    "sms_ack_one": lambda t, p: blocks.sms_ack(
        sending=(p,), opted_out=(), refused=((t, t),), duplicates=0, parts=1, send_at=None, bridge_channel=CHANNEL, zone=ZONE
    ),
    "sms_confirm": lambda t, p: blocks.sms_confirm(
        dispatch_id=1, numbers=500, parts=1, text=t, skipped=blocks.escape(t)
    ),  # sms_ack's escaped words
    "hlr_single": lambda t, p: blocks.hlr_single(
        SimpleNamespace(msisdn=t, valid=True, provider=t, mccmnc=t, mcc=t[:3], mnc=t[3:], checked_at=WHEN), user_id=USER, zone=ZONE
    ),
    "hlr_progress": lambda t, p: blocks.hlr_progress(3, [(t, t)] * 11, user_id=USER, waited="2 s"),
    "hlr_summary": lambda t, p: blocks.hlr_summary(3, 2, [(t, 2)] * 9, [(t, t)], user_id=USER),
    "hlr_failed": lambda t, p: blocks.hlr_failed([t], t, user_id=USER),
    "survey_list": lambda t, p: blocks.survey_list(
        [SimpleNamespace(id=i, name=t, active=True, start=WHEN, end=WHEN) for i in range(45)], zone=ZONE
    ),
    "survey_detail": lambda t, p: blocks.survey_detail(
        SimpleNamespace(id=1, name=t, active=True, start=WHEN, end=WHEN, msisdn=t, participants=3), zone=ZONE
    ),
    "survey_started": lambda t, p: blocks.survey_started(SimpleNamespace(id=1, name=t), {t: "ok", t + "1": t}),
    "survey_report": lambda t, p: blocks.survey_report(
        SimpleNamespace(id=1, name=t),
        [SimpleNamespace(answers=tuple([t] * 25), finished=WHEN) for _ in range(3)],
        user_id=USER,
    ),
    "survey_thread_parent": lambda t, p: blocks.survey_thread_parent(1, t),
    "survey_answer": lambda t, p: blocks.survey_answer(t, t),
    "survey_unreadable": lambda t, p: blocks.survey_unreadable(7, t),
}


@settings(max_examples=60, deadline=None)
@given(text=hostile, phone=sender, name=st.sampled_from(sorted(BUILDERS)))
def test_no_builder_lets_markup_through_or_breaks_a_slack_limit(text: str, phone: PhoneE164, name: str) -> None:
    check(BUILDERS[name](text, phone))


def test_every_builder_is_exercised() -> None:
    public = {n for n in blocks.__all__ if callable(getattr(blocks, n)) and n[0].islower() and n not in ("escape", "note_marker")}
    covered = {n.removesuffix("_one").removesuffix("_uncertain") for n in BUILDERS} | {"sms_outcome"}
    assert public <= covered, public - covered


def test_a_ping_in_an_sms_stays_words_in_the_fallback_too() -> None:
    payload = blocks.inbound_message(PhoneE164("+48600100200"), "<!channel> hi <https://evil|click>", WHEN, zone=ZONE)
    assert payload["text"] == "SMS from +48 600 100 200: &lt;!channel&gt; hi &lt;https://evil|click&gt;"


def test_a_5000_character_sms_that_escaping_makes_longer_is_split_not_refused() -> None:
    text = "<&> " * 1250  # 5,000 characters; 17,500 once escaped
    payload = blocks.inbound_message(PhoneE164("+48600100200"), text, WHEN, zone=ZONE)
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert len(sections) >= 6 and all(len(s) <= 3000 for s in sections)
    joined = "".join(sections).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert joined.replace(" ", "") == text.replace(" ", "")  # nothing lost, no entity cut in two


# ---- times are told in DEFAULT_TIMEZONE (12:00 UTC is 07:00 in New York, 13:00 in Warsaw) ----

NEW_YORK = ZoneInfo("America/New_York")


def test_the_cards_date_tokens_fall_back_to_the_configured_zone() -> None:
    view = CardView(conversation_id=1, phone=PhoneE164("+48600100200"), name=None, state="waiting_us", zone=NEW_YORK, waiting_since=WHEN)
    card = str(blocks.conversation_card(view)["blocks"])
    stamp = int(WHEN.timestamp())
    assert f"<!date^{stamp}^{{time}}|30.11.2026 07:00>" in card and f"<!date^{stamp}^{{ago}}|30.11.2026 07:00>" in card
    assert "13:00" not in card


def test_thread_messages_show_clock_times_in_the_configured_zone() -> None:
    phone = PhoneE164("+48600100200")
    inbound = str(blocks.inbound_message(phone, "Tak", WHEN, zone=NEW_YORK)["blocks"])
    repeat = str(blocks.inbound_repeat(phone, "Tak", WHEN, zone=NEW_YORK)["blocks"])
    line = str(blocks.status_line(message_id=1, kind="sms", phone=phone, status="queued", at=WHEN, zone=NEW_YORK, scheduled_for=WHEN))
    assert "· 07:00" in inbound and "(first at 07:00)" in repeat and "scheduled for 30.11.2026 07:00" in line
    assert "13:00" not in inbound + repeat + line


def test_answers_with_a_date_tell_it_in_the_zone_given() -> None:
    ack = blocks.sms_ack(
        sending=(PhoneE164("+48600100200"),),
        opted_out=(),
        refused=(),
        duplicates=0,
        parts=1,
        send_at=WHEN,
        bridge_channel=CHANNEL,
        zone=NEW_YORK,
    )
    survey = blocks.survey_list(
        [SimpleNamespace(id=1, name="NPS", active=True, start=datetime(2026, 12, 1, 3, 0, tzinfo=UTC), end=None)], zone=NEW_YORK
    )
    assert ack.startswith("Scheduling for 30.11.2026 07:00:")
    assert "30.11.2026 → ?" in str(survey["blocks"])  # 03:00 UTC on 1 December is still 30 November there
