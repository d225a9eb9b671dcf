"""The console's Block Kit renderer: what Slack shows, as HTML in which only our tags are markup.

Every rendering is parsed back with the standard library's HTML parser and checked:
no script, no event handler attribute, no link or image a click could turn into code.
Modal forms are read back the way a browser fills them in, and what they send goes
through :func:`form_values` into the real emulator's ``view_state``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.console.render_blocks import blocks_html, files_html, message_html, reactions_html
from bot.sandbox.console.render_text import mrkdwn_html, mrkdwn_plain, plain_html, text_object_html
from bot.sandbox.console.render_view import form_values, view_html
from bot.sandbox.slack import SlackState
from bot.sandbox.slack.elements import view_state
from bot.slack.blocks import card_forms, templates
from bot.slack.blocks.card import CARD_ACTIONS, CardView, LastMessage, conversation_card
from bot.slack.views import SMS_FORM, TEMPLATE_ACTION, TEXT_ACTION, sms_form
from bot.sms.numbers import PhoneE164

USERS = {"U0ANNA": "Anna Nowak", "U0PIOTR": "Piotr Kowalski", "U0KASIA": "Katarzyna Wiśniewska"}
CHANNELS = {"C0SMSBRIDGE": "sms-bridge", "C0GENERAL": "general"}
GROUPS = {"S0SUPPORT": "wsparcie"}
WARSAW = ZoneInfo("Europe/Warsaw")
HOSTILE = [
    "<script>alert(1)</script>",
    '"onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "</textarea><script>alert(1)</script>",
    "</option></select><img src=x onerror=alert(1)>",
]
ALLOWED_TAGS = {
    "a", "b", "i", "s", "code", "pre", "blockquote", "br", "span", "div", "hr", "figure", "figcaption", "img", "button",
    "select", "option", "optgroup", "input", "label", "textarea", "small", "form", "header", "footer", "ul", "ol", "li",
}  # fmt: skip


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.controls: list[tuple[str, dict[str, str], list[tuple[str, bool]], str]] = []  # tag, attrs, options, text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append((tag, found))
        if tag in ("select", "textarea"):
            self.stack.append((tag, found))
            self.controls.append((tag, found, [], ""))
        elif tag == "option" and self.stack and self.stack[-1][0] == "select":
            self.controls[-1][2].append((found.get("value", ""), "selected" in found))
        elif tag == "input":
            self.controls.append((tag, found, [], ""))

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.stack and self.stack[-1][0] == "textarea":
            tag, found, options, text = self.controls[-1]
            self.controls[-1] = (tag, found, options, text + data)


def parsed(markup: str) -> _Page:
    page = _Page()
    page.feed(markup)
    page.close()
    return page


def assert_safe(markup: str) -> _Page:
    """Only our tags, no handlers, links and images only to addresses that cannot run code."""
    page = parsed(markup)
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, (tag, markup)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, markup)
            if name == "href":
                assert value.startswith(("http://", "https://", "mailto:", "/")), (value, markup)
            if name in ("src", "data-url"):
                assert value.startswith(("http://", "https://", "data:image/", "/")), (value, markup)
    return page


def text_of(markup: str) -> str:
    return "".join(parsed(markup).text)


def controls(markup: str, **wanted: str) -> list[dict[str, str]]:
    """The attributes of every tag carrying all of ``wanted`` (``data_kind`` for ``data-kind``)."""
    want = {k.replace("_", "-"): v for k, v in wanted.items()}
    return [attrs for _tag, attrs in parsed(markup).tags if all(attrs.get(k) == v for k, v in want.items())]


def mrkdwn(text: str) -> str:
    return mrkdwn_html(text, users=USERS, channels=CHANNELS, usergroups=GROUPS)


def blocks(*given: dict[str, Any], interactive: bool = True) -> str:
    return blocks_html(list(given), users=USERS, channels=CHANNELS, usergroups=GROUPS, interactive=interactive)


def view(given: Mapping[str, Any], errors: Mapping[str, str] | None = None) -> str:
    return view_html(given, errors=errors or {}, users=USERS, channels=CHANNELS, usergroups=GROUPS, zone=WARSAW)


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": plain(text or value.title()), "value": value}


# ---- mrkdwn --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("*bold* _italic_ ~strike~", "<b>bold</b> <i>italic</i> <s>strike</s>"),
        ("a `co*de* _x_` b", "a <code>co*de* _x_</code> b"),
        ("```\nline *1*\nline 2```", "<pre>line *1*\nline 2</pre>"),
        ("snake_case_name and 2*3*4 and a*b", "snake_case_name and 2*3*4 and a*b"),
        ("one\ntwo", "one<br>two"),
        ("> quoted\n> more\nafter", "<blockquote>quoted<br>more</blockquote>after"),
        ("before\n>>> all\nof it", "before<blockquote>all<br>of it</blockquote>"),
        ("&lt;b&gt; &amp;amp; &amp;", "&lt;b&gt; &amp;amp; &amp;"),
        ("<@U0ANNA> <@U0ANNA|anna> <@U0NOBODY>", '<span class="mention">@Anna Nowak</span> <span class="mention">@anna</span> '
         '<span class="mention">@U0NOBODY</span>'),
        ("<#C0GENERAL> <#C0X|elsewhere> <#C0SMSBRIDGE|>", '<span class="mention">#general</span> <span class="mention">#elsewhere</span> '
         '<span class="mention">#sms-bridge</span>'),
        ("<!subteam^S0SUPPORT> <!subteam^S0OTHER|@other>", '<span class="mention">@wsparcie</span> <span class="mention">@other</span>'),
        ("<!here> <!channel> <!everyone>", '<span class="mention">@here</span> <span class="mention">@channel</span> '
         '<span class="mention">@everyone</span>'),
        ("<!date^1700000000^{date}|14 Nov 2023>", "14 Nov 2023"),
        ("*<@U0ANNA>* owns it", '<b><span class="mention">@Anna Nowak</span></b> owns it'),
        (":white_check_mark: :warning: :x: :paperclip: :not_an_emoji: 10:30:45", "✅ ⚠️ ❌ 📎 :not_an_emoji: 10:30:45"),
        ("`:x:` :x:", "<code>:x:</code> ❌"),
        ("a <b>tag</b> & <unknown thing>", "a &lt;b&gt;tag&lt;/b&gt; &amp; &lt;unknown thing&gt;"),
    ],
)  # fmt: skip
def test_mrkdwn_reads_as_a_person_sees_it(source: str, shown: str) -> None:
    assert mrkdwn(source) == shown
    assert_safe(mrkdwn(source))


@pytest.mark.parametrize(
    ("source", "href", "label"),
    [
        ("<https://example.com/a?b=1&amp;c=2|see &amp; go>", "https://example.com/a?b=1&c=2", "see & go"),
        ("<http://example.com>", "http://example.com", "http://example.com"),
        ("<mailto:ola@example.com|write>", "mailto:ola@example.com", "write"),
        ('<https://x.example/"onmouseover=alert(1)|x>', 'https://x.example/"onmouseover=alert(1)', "x"),
    ],
)
def test_web_and_mail_links_open_in_a_new_tab(source: str, href: str, label: str) -> None:
    page = assert_safe(mrkdwn(source))
    assert page.tags == [("a", {"href": href, "rel": "noopener noreferrer", "target": "_blank"})]
    assert "".join(page.text) == label


@pytest.mark.parametrize(
    "source",
    ["<javascript:alert(1)|click me>", "<JavaScript:alert(1)>", "<data:text/html;base64,PHNjcmlwdD4=|data>", "<vbscript:x|v>"],
)
def test_other_schemes_stay_text(source: str) -> None:
    page = assert_safe(mrkdwn(source))
    assert not [tag for tag, _attrs in page.tags if tag == "a"]
    assert "".join(page.text) in ("click me", "javascript:alert(1)", "JavaScript:alert(1)", "data", "v")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_is_only_ever_text(hostile: str) -> None:
    for markup in (mrkdwn(hostile), mrkdwn(f"*{hostile}* _{hostile}_ `{hostile}` > {hostile}"), plain_html(hostile)):
        page = assert_safe(markup)
        assert {tag for tag, _attrs in page.tags} <= {"b", "i", "code", "br", "blockquote"}
    # a customer's SMS as the app posts it (Slack-escaped) reads back exactly as typed
    escaped = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert text_of(mrkdwn(escaped)) == hostile


def test_mentions_with_hostile_names_are_escaped() -> None:
    markup = mrkdwn_html(
        "<@U1> <#C1> <!subteam^S1> <@U2|<img src=x onerror=alert(1)>>",
        users={"U1": "<b>x</b>"},
        channels={"C1": '"><script>'},
        usergroups={"S1": "<i>"},
    )
    page = assert_safe(markup)
    assert {tag for tag, _attrs in page.tags} == {"span"}
    assert text_of(markup).startswith('@<b>x</b> #"><script> @<i>')


def test_a_name_that_looks_like_a_placeholder_is_just_text() -> None:
    assert text_of(mrkdwn_html("<@U1> `<@U1>`", users={"U1": "\x000\x00"}, channels={})) == "@0 @0"


def test_plain_text_is_shown_exactly_as_sent() -> None:
    assert plain_html("*not bold* <@U0ANNA> &amp;\n:x:") == "*not bold* &lt;@U0ANNA&gt; &amp;amp;<br>❌"
    assert plain_html(":x:", emoji=False) == ":x:"
    assert text_object_html({"type": "plain_text", "text": "*a* :x:", "emoji": False}, users=USERS, channels=CHANNELS) == "*a* :x:"
    assert text_object_html({"type": "mrkdwn", "text": "*a* :x:"}, users=USERS, channels=CHANNELS) == "<b>a</b> ❌"
    assert text_object_html(None, users=USERS, channels=CHANNELS) == ""
    assert mrkdwn_plain("<@U0ANNA> &lt;x&gt; <https://e.com|site> :x:", users=USERS, channels=CHANNELS) == "@Anna Nowak <x> site ❌"


# ---- blocks --------------------------------------------------------------------------


def test_header_section_fields_divider_context_and_image() -> None:
    markup = blocks(
        {"type": "header", "block_id": "h", "text": plain("📱 Anna :iphone:")},
        {"type": "section", "block_id": "s", "text": {"type": "mrkdwn", "text": "*State:* new"}, "fields": [plain("a"), {"type": "mrkdwn", "text": "_b_"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "image", "image_url": "https://e.com/i.png", "alt_text": "pic"}, {"type": "mrkdwn", "text": "small"}]},
        {"type": "image", "image_url": "https://e.com/big.png", "alt_text": "big", "title": plain("Title")},
        {"type": "image", "image_url": "javascript:alert(1)", "alt_text": "no picture"},
        {"type": "image", "image_url": "data:image/png;base64,iVBOR", "alt_text": "inline"},
    )  # fmt: skip
    page = assert_safe(markup)
    assert '<div class="bk-header">📱 Anna 📱</div>' in markup
    assert (
        '<div class="bk-text"><b>State:</b> new</div><div class="bk-fields"><div class="bk-field">a</div><div class="bk-field"><i>b</i></div></div>'
        in markup
    )
    assert '<hr class="bk-divider">' in markup
    assert '<div class="bk-context"><img class="bk-context-image" src="https://e.com/i.png" alt="pic"><span>small</span></div>' in markup
    assert (
        '<figure class="bk-image"><img class="bk-image-img" src="https://e.com/big.png" alt="big"><figcaption>Title</figcaption></figure>'
        in markup
    )
    assert "no picture" in text_of(markup) and "javascript" not in markup
    assert [a["src"] for t, a in page.tags if t == "img"] == ["https://e.com/i.png", "https://e.com/big.png", "data:image/png;base64,iVBOR"]


def test_buttons_carry_what_the_page_needs_to_press_them() -> None:
    confirm = {"title": plain("Opt out?"), "text": {"type": "mrkdwn", "text": "Nothing goes to *<@U0ANNA>*"}, "confirm": plain("Yes")}
    markup = blocks(
        {
            "type": "actions",
            "block_id": "card-1",
            "elements": [
                {"type": "button", "action_id": "close", "text": plain("Close"), "value": "1", "style": "primary"},
                {"type": "button", "action_id": "opt_out", "text": plain("Opt out"), "value": "1", "style": "danger", "confirm": confirm},
                {"type": "button", "action_id": "docs", "text": plain("Docs"), "url": "https://e.com/docs"},
                {"type": "button", "action_id": "evil", "text": plain("Evil"), "url": "javascript:alert(1)"},
            ],
        }
    )
    assert_safe(markup)
    assert (
        '<button type="button" class="bk-button bk-primary" data-kind="button" data-block="card-1" data-action="close" data-value="1">Close</button>'
        in markup
    )
    danger = controls(markup, data_action="opt_out")[0]
    assert danger["class"] == "bk-button bk-danger" and danger["data-confirm"] == "Opt out?: Nothing goes to @Anna Nowak"
    assert controls(markup, data_action="docs")[0]["data-url"] == "https://e.com/docs"
    assert "data-url" not in controls(markup, data_action="evil")[0]
    assert not any("disabled" in attrs for attrs in controls(markup, data_kind="button"))


def test_selects_offer_options_users_and_channels_with_a_placeholder_first() -> None:
    markup = blocks(
        {
            "type": "section",
            "block_id": "sec",
            "text": plain("Pick"),
            "accessory": {
                "type": "static_select",
                "action_id": "pick",
                "placeholder": plain("Pick one"),
                "option_groups": [{"label": plain("Group"), "options": [option("a"), option("b")]}],
                "initial_option": option("b"),
            },
        },
        {
            "type": "actions",
            "block_id": "act",
            "elements": [
                {"type": "overflow", "action_id": "more", "options": [option("snooze:1", "Snooze"), option("wake:1", "Wake")]},
                {"type": "users_select", "action_id": "assign", "initial_user": "U0PIOTR"},
                {"type": "conversations_select", "action_id": "where"},
                {"type": "channels_select", "action_id": "chan", "initial_channel": "C0GENERAL"},
            ],
        },
    )
    page = assert_safe(markup)
    selects = {attrs["data-action"]: (attrs, options) for tag, attrs, options, _text in page.controls if tag == "select"}
    assert selects["pick"][0] == {"class": "bk-select", "data-kind": "static_select", "data-block": "sec", "data-action": "pick"}
    assert selects["pick"][1] == [("", False), ("a", False), ("b", True)]
    assert '<option value="">Pick one</option><optgroup label="Group">' in markup
    assert selects["more"][0]["data-kind"] == "overflow" and selects["more"][1] == [("", False), ("snooze:1", False), ("wake:1", False)]
    assert '<option value="">Choose…</option>' in markup
    assert selects["assign"][1] == [("", False), ("U0ANNA", False), ("U0KASIA", False), ("U0PIOTR", True)]
    assert selects["where"][1] == [("", False), ("C0GENERAL", False), ("C0SMSBRIDGE", False)]
    assert selects["chan"][0]["data-kind"] == "channels_select" and ("C0GENERAL", True) in selects["chan"][1]
    assert "#sms-bridge" in text_of(markup)


def test_controls_the_console_cannot_use_and_read_only_messages_are_disabled() -> None:
    shown = {
        "type": "actions",
        "block_id": "b",
        "elements": [
            {"type": "button", "action_id": "go", "text": plain("Go")},
            {"type": "static_select", "action_id": "s", "options": [option("x")]},
            {"type": "checkboxes", "action_id": "c", "options": [option("x")], "initial_options": [option("x")]},
            {"type": "radio_buttons", "action_id": "r", "options": [option("x"), option("y")]},
            {"type": "datepicker", "action_id": "d", "initial_date": "2025-01-02"},
            {"type": "timepicker", "action_id": "t"},
            {"type": "workflow_button", "action_id": "w", "text": plain("Run")},
        ],
    }
    live = {a["data-action"]: a for a in controls(blocks(shown), data_block="b")}
    assert {k for k, a in live.items() if "disabled" in a} == {"d", "t", "w"}
    assert live["d"] == {
        "type": "date",
        "class": "bk-picker",
        "data-kind": "datepicker",
        "data-block": "b",
        "data-action": "d",
        "value": "2025-01-02",
        "disabled": "",
    }
    assert live["c"]["type"] == "checkbox" and "checked" in live["c"]
    dead = controls(blocks(shown, interactive=False), data_block="b")
    assert len(dead) == 8 and all("disabled" in attrs for attrs in dead)


def test_rich_text_sections_lists_quotes_and_code() -> None:
    rich = {
        "type": "rich_text",
        "block_id": "r",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Hi ", "style": {"bold": True}},
                    {"type": "text", "text": "all", "style": {"italic": True, "strike": True, "code": True}},
                    {"type": "user", "user_id": "U0ANNA"},
                    {"type": "channel", "channel_id": "C0GENERAL"},
                    {"type": "usergroup", "usergroup_id": "S0SUPPORT"},
                    {"type": "broadcast", "range": "here"},
                    {"type": "emoji", "name": "heart", "unicode": "2764-fe0f"},
                    {"type": "emoji", "name": "eyes"},
                    {"type": "emoji", "name": "custom_one"},
                    {"type": "link", "url": "https://e.com", "text": "site"},
                    {"type": "link", "url": "javascript:alert(1)", "text": "bad"},
                    {"type": "text", "text": "<script>alert(1)</script>"},
                ],
            },
            {"type": "rich_text_list", "style": "ordered", "indent": 1, "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}]},
            {"type": "rich_text_list", "style": "bullet", "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "dot"}]}]},
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "said"}]},
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "x = 1"}]},
        ],
    }  # fmt: skip
    markup = blocks(rich)
    page = assert_safe(markup)
    assert "<b>Hi </b><i><s><code>all</code></s></i>" in markup
    assert "@Anna Nowak#general@wsparcie@here❤️👀:custom_one:" in text_of(markup)
    assert [a for t, a in page.tags if t == "a"] == [{"href": "https://e.com", "rel": "noopener noreferrer", "target": "_blank"}]
    assert '<ol class="bk-indent-1"><li>one</li></ol><ul><li>dot</li></ul><blockquote>said</blockquote><pre>x = 1</pre>' in markup
    assert "&lt;script&gt;" in markup


def test_input_file_and_unknown_blocks_in_a_message() -> None:
    markup = blocks(
        {"type": "input", "block_id": "i", "label": plain("Name"), "element": {"type": "plain_text_input", "action_id": "n"}},
        {"type": "file", "external_id": "ABC", "source": "remote"},
        {"type": "video", "title": plain("v")},
        {"type": "<script>"},
    )
    assert_safe(markup)
    assert '<div class="bk-input"><label>Name</label><input type="text"' in markup and " disabled>" in markup
    assert '<div class="bk-file">📎 remote file ABC</div>' in markup
    assert '<div class="bk-unknown">[video block]</div><div class="bk-unknown">[&lt;script&gt; block]</div>' in markup


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_labels_values_and_ids_stay_inside_their_attributes(hostile: str) -> None:
    markup = blocks(
        {"type": "header", "text": plain(hostile)},
        {"type": "section", "block_id": hostile, "text": {"type": "mrkdwn", "text": hostile}, "fields": [plain(hostile)]},
        {
            "type": "actions",
            "block_id": hostile,
            "elements": [
                {"type": "button", "action_id": hostile, "value": hostile, "url": hostile, "text": plain(hostile), "confirm": {"title": plain(hostile), "text": plain(hostile)}},
                {"type": "static_select", "action_id": hostile, "placeholder": plain(hostile), "options": [option(hostile, hostile)],
                 "option_groups": [{"label": plain(hostile), "options": [option(hostile, hostile)]}]},
                {"type": "checkboxes", "action_id": hostile, "options": [{"text": plain(hostile), "value": hostile, "description": plain(hostile)}]},
                {"type": "users_select", "action_id": "u", "initial_user": hostile},
            ],
        },
        {"type": "context", "elements": [{"type": "image", "image_url": hostile, "alt_text": hostile}, plain(hostile)]},
        {"type": "image", "image_url": "https://e.com/x.png", "alt_text": hostile, "title": plain(hostile)},
    )  # fmt: skip
    page = assert_safe(markup)
    assert {tag for tag, _attrs in page.tags} <= {
        "div",
        "span",
        "button",
        "select",
        "option",
        "optgroup",
        "label",
        "input",
        "small",
        "figure",
        "img",
        "figcaption",
        "br",
    }
    button = controls(markup, data_kind="button")[0]
    assert button["data-block"] == button["data-action"] == button["data-value"] == hostile
    assert button["data-confirm"] == f"{hostile}: {hostile}"
    assert [v for _t, a, options, _x in page.controls if a.get("data-kind") == "static_select" for v, _s in options] == [
        "",
        hostile,
        hostile,
    ]
    assert controls(markup, data_kind="checkboxes")[0]["value"] == hostile


def test_a_message_is_its_blocks_else_its_text() -> None:
    assert (
        message_html(text="*hi* <@U0ANNA>", blocks=None, users=USERS, channels=CHANNELS)
        == '<b>hi</b> <span class="mention">@Anna Nowak</span>'
    )
    assert message_html(text="fallback", blocks=[{"type": "divider"}], users=USERS, channels=CHANNELS) == '<hr class="bk-divider">'
    button = [{"type": "actions", "block_id": "a", "elements": [{"type": "button", "action_id": "x", "text": plain("X")}]}]
    assert "disabled" in message_html(text="", blocks=button, users=USERS, channels=CHANNELS, interactive=False)


def test_files_show_pictures_as_thumbnails_and_others_as_links() -> None:
    files = [
        {"id": "F1", "name": "photo.jpg", "mimetype": "image/jpeg", "size": 2_400_000},
        {"id": "F2", "name": "<script>x</script>.pdf", "mimetype": "application/pdf", "size": 900},
        {"id": "F3", "name": "a.webp", "mimetype": "image/webp", "size": 4096},
    ]
    markup = files_html(files, file_url=lambda file_id: f"/files/{file_id}")
    page = assert_safe(markup)
    assert (
        '<div class="file"><img class="file-thumb" src="/files/F1" alt="photo.jpg"><span class="file-name">photo.jpg</span> <span class="file-size">2.3 MB</span></div>'
        in markup
    )
    assert (
        '<a href="/files/F2" rel="noopener noreferrer" target="_blank"><span class="file-name">&lt;script&gt;x&lt;/script&gt;.pdf</span> <span class="file-size">900 B</span></a>'
        in markup
    )
    assert "4.0 KB" in text_of(markup) and len([t for t, _a in page.tags if t == "img"]) == 2
    evil = files_html([{"id": "F4", "name": "x.png", "mimetype": "image/png"}], file_url=lambda _id: "javascript:alert(1)")
    assert assert_safe(evil).tags == [("div", {"class": "file"}), ("span", {"class": "file-name"})]


def test_reactions_show_their_emoji_and_count() -> None:
    markup = reactions_html({"white_check_mark": ["U0ANNA", "U0PIOTR"], "custom": ["U0ANNA"]}, users=USERS)
    assert_safe(markup)
    assert (
        '<span class="reaction" data-reaction="white_check_mark" title="Anna Nowak, Piotr Kowalski">✅ <span class="reaction-count">2</span></span>'
        in markup
    )
    assert ":custom: <span" in markup
    assert text_of(reactions_html(["eyes", "eyes", "x"])) == "👀 2❌ 1"
    assert reactions_html([]) == ""
    assert_safe(reactions_html({'"><script>': ["<b>"]}))


# ---- the app's own messages ----------------------------------------------------------


def test_the_apps_conversation_card_renders_with_its_buttons() -> None:
    when = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    card = conversation_card(
        CardView(
            conversation_id=7,
            phone=PhoneE164("+48600100200"),
            name="<script>alert(1)</script>",
            state="waiting_us",
            zone=WARSAW,
            owner="U0ANNA",
            waiting_since=when,
            last_in=LastMessage(text="<img src=x onerror=alert(1)> *hi*", at=when),
        )
    )
    markup = message_html(text=card["text"], blocks=card["blocks"], users=USERS, channels=CHANNELS, usergroups=GROUPS)
    page = assert_safe(markup)
    actions = {a["data-action"] for a in controls(markup) if "data-kind" in a}
    assert actions >= {"card_assign_me", "card_assign", "card_close", "card_snooze", "card_name", "card_opt_out"}
    assert actions <= {*CARD_ACTIONS, templates.REPLY_BUTTON}
    assert all(a["data-block"].startswith("card-") for a in controls(markup) if "data-kind" in a)
    assert "<script>alert(1)</script>" in text_of(markup) and "<img src=x" in text_of(markup)
    assert controls(markup, data_action="card_close")[0]["class"] == "bk-button bk-primary"
    assert "data-confirm" in controls(markup, data_action="card_opt_out")[0]
    assigned = next(options for _t, a, options, _x in page.controls if a.get("data-action") == "card_assign")
    assert ("U0ANNA", True) in assigned


# ---- modals --------------------------------------------------------------------------

EVERY_INPUT = {
    "type": "modal",
    "id": "V1",
    "callback_id": "everything",
    "title": plain("All <inputs>"),
    "submit": plain("Send"),
    "blocks": [
        {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "*Fill* it"}},
        {"type": "actions", "block_id": "tools", "elements": [{"type": "button", "action_id": "clear", "text": plain("Clear")}]},
        {"type": "input", "block_id": "text", "label": plain("Text"), "hint": plain("a hint"), "dispatch_action": True,
         "element": {"type": "plain_text_input", "action_id": "t", "max_length": 10, "placeholder": plain("type"), "initial_value": "hi",
                     "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]}}},
        {"type": "input", "block_id": "long", "optional": True, "label": plain("Long"), "element": {"type": "plain_text_input", "action_id": "l", "multiline": True}},
        {"type": "input", "block_id": "num", "label": plain("Number"), "element": {"type": "number_input", "action_id": "n", "is_decimal_allowed": True}},
        {"type": "input", "block_id": "mail", "label": plain("Mail"), "element": {"type": "email_text_input", "action_id": "m"}},
        {"type": "input", "block_id": "site", "optional": True, "label": plain("Site"), "element": {"type": "url_text_input", "action_id": "u"}},
        {"type": "input", "block_id": "pick", "label": plain("Pick"), "element": {"type": "static_select", "action_id": "p", "options": [option("a"), option("b")], "initial_option": option("a")}},
        {"type": "input", "block_id": "picks", "label": plain("Picks"), "element": {"type": "multi_static_select", "action_id": "ps", "options": [option("a"), option("b"), option("c")]}},
        {"type": "input", "block_id": "who", "label": plain("Who"), "element": {"type": "users_select", "action_id": "w"}},
        {"type": "input", "block_id": "whom", "optional": True, "label": plain("Whom"), "element": {"type": "multi_users_select", "action_id": "ws"}},
        {"type": "input", "block_id": "conv", "label": plain("Conversation"), "element": {"type": "conversations_select", "action_id": "c"}},
        {"type": "input", "block_id": "chans", "optional": True, "label": plain("Channels"), "element": {"type": "multi_channels_select", "action_id": "cs"}},
        {"type": "input", "block_id": "boxes", "label": plain("Boxes"), "element": {"type": "checkboxes", "action_id": "b", "options": [option("x"), option("y")], "initial_options": [option("x")]}},
        {"type": "input", "block_id": "radio", "label": plain("Radio"), "element": {"type": "radio_buttons", "action_id": "r", "options": [option("x"), option("y")]}},
        {"type": "input", "block_id": "day", "label": plain("Day"), "element": {"type": "datepicker", "action_id": "d", "initial_date": "2025-05-01"}},
        {"type": "input", "block_id": "time", "label": plain("Time"), "element": {"type": "timepicker", "action_id": "tm"}},
        {"type": "input", "block_id": "at", "label": plain("At"), "element": {"type": "datetimepicker", "action_id": "dt", "initial_date_time": 1746093600}},
        {"type": "input", "block_id": "file", "optional": True, "label": plain("File"), "element": {"type": "file_input", "action_id": "f"}},
    ],
}  # fmt: skip


def test_a_modal_is_a_form_with_named_inputs_errors_and_buttons() -> None:
    markup = view(EVERY_INPUT, errors={"mail": "Not an <address>", "nowhere": "ignored"})
    page = assert_safe(markup)
    assert markup.startswith('<form class="modal" data-view="V1" novalidate><header class="modal-title">All &lt;inputs&gt;</header>')
    assert markup.endswith(
        '<footer class="modal-buttons"><button type="button" data-modal="close">Cancel</button>'
        '<button type="submit" data-modal="submit">Send</button></footer></form>'
    )
    assert '<div class="bk-text"><b>Fill</b> it</div>' in markup
    assert controls(markup, data_kind="button") == [
        {"type": "button", "class": "bk-button", "data-kind": "button", "data-block": "tools", "data-action": "clear"}
    ]
    text = controls(markup, name="text/t")[0]
    assert text == {
        "type": "text", "class": "bk-text-input", "name": "text/t", "data-kind": "plain_text_input", "data-dispatch": "1", "data-block": "text",
        "data-action": "t", "data-trigger": "on_character_entered", "placeholder": "type", "maxlength": "10", "value": "hi",
    }  # fmt: skip
    assert '<div class="bk-input" data-block="text"><label>Text</label><div class="bk-hint">a hint</div>' in markup
    assert '<label>Long <span class="bk-optional">(optional)</span></label>' in markup
    assert '<div class="bk-error">Not an &lt;address&gt;</div>' in markup and "ignored" not in markup
    kinds = {a["name"]: (t, a.get("type"), a["data-kind"]) for t, a, _o, _x in page.controls if "name" in a}
    assert kinds == {
        "text/t": ("input", "text", "plain_text_input"), "long/l": ("textarea", None, "plain_text_input"),
        "num/n": ("input", "number", "number_input"), "mail/m": ("input", "email", "email_text_input"),
        "site/u": ("input", "url", "url_text_input"), "pick/p": ("select", None, "static_select"),
        "picks/ps": ("select", None, "multi_static_select"), "who/w": ("select", None, "users_select"),
        "whom/ws": ("select", None, "multi_users_select"), "conv/c": ("select", None, "conversations_select"),
        "chans/cs": ("select", None, "multi_channels_select"), "boxes/b": ("input", "checkbox", "checkboxes"),
        "radio/r": ("input", "radio", "radio_buttons"), "day/d": ("input", "date", "datepicker"),
        "time/tm": ("input", "time", "timepicker"), "at/dt": ("input", "datetime-local", "datetimepicker"),
        "file/f": ("input", "file", "file_input"),
    }  # fmt: skip
    assert controls(markup, name="num/n")[0]["step"] == "any"
    assert "multiple" in controls(markup, name="picks/ps")[0] and "multiple" not in controls(markup, name="pick/p")[0]
    assert [a.get("checked") for a in controls(markup, name="boxes/b")] == ["", None]
    assert controls(markup, name="day/d")[0]["value"] == "2025-05-01"
    assert controls(markup, name="at/dt")[0]["value"] == "2025-05-01T12:00"  # 10:00 UTC on a Warsaw clock
    assert "disabled" in controls(markup, name="file/f")[0] and "files cannot be attached in the console" in markup
    assert "data-dispatch" not in controls(markup, name="long/l")[0]


def test_a_modal_without_submit_has_only_its_close_button() -> None:
    markup = view({"type": "modal", "id": "V2", "title": plain("Info"), "close": plain("Done"), "blocks": [{"type": "divider"}]})
    assert '<footer class="modal-buttons"><button type="button" data-modal="close">Done</button></footer>' in markup


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_modal_content_stays_text(hostile: str) -> None:
    markup = view(
        {
            "type": "modal",
            "id": hostile,
            "title": plain(hostile),
            "submit": plain(hostile),
            "close": plain(hostile),
            "blocks": [
                {"type": "input", "block_id": hostile, "label": plain(hostile), "hint": plain(hostile), "dispatch_action": True,
                 "element": {"type": "plain_text_input", "action_id": hostile, "multiline": True, "initial_value": hostile, "placeholder": plain(hostile)}},
                {"type": "input", "block_id": "s", "label": plain(hostile), "element": {"type": "static_select", "action_id": hostile, "options": [option(hostile, hostile)], "initial_option": option(hostile, hostile)}},
                {"type": "input", "block_id": "c", "label": plain(hostile), "element": {"type": "checkboxes", "action_id": "c", "options": [option(hostile, hostile)]}},
            ],
        },
        errors={hostile: hostile},
    )  # fmt: skip
    page = assert_safe(markup)
    textarea = next((a, text) for t, a, _o, text in page.controls if t == "textarea")
    assert textarea[1] == hostile and textarea[0]["name"] == f"{hostile}/{hostile}" and textarea[0]["data-block"] == hostile
    assert next(o for t, _a, o, _x in page.controls if t == "select") == [("", False), (hostile, True)]
    assert controls(markup, name="c/c")[0]["value"] == hostile
    assert parsed(markup).tags[0] == ("form", {"class": "modal", "data-view": hostile, "novalidate": ""})


# ---- form values through the real emulator -------------------------------------------


def submitted(shown: dict[str, Any], raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What the app receives when a person sends ``raw`` from the rendered form."""
    state = SlackState()
    kept = state.keep_view("V1", shown)
    assert_safe(view(kept))
    return view_state(
        state.views["V1"], form_values(kept, raw, zone=WARSAW), users={*state.config.users, state.config.bot_user_id}, submitting=True
    )


def test_everything_a_person_fills_in_reaches_the_app_as_slack_sends_it() -> None:
    raw = {
        "text/t": "hello", "long/l": "", "num/n": "2.5", "mail/m": "a@e.com", "site/u": "", "pick/p": "b", "picks/ps": ["a", "c"],
        "who/w": "U0KASIA", "whom/ws": ["U0ANNA", "U0PIOTR"], "conv/c": "C0GENERAL", "chans/cs": [], "boxes/b": ["y"],
        "radio/r": "x", "day/d": "2025-06-30", "time/tm": "08:15", "at/dt": "2025-06-30T09:00", "file/f": "x.png",
        "nowhere/x": "ignored", "text/other": "ignored", "intro/none": "ignored",
    }  # fmt: skip
    state = submitted(EVERY_INPUT, raw)
    got = {block: next(iter(entry.values())) for block, entry in state.items()}
    assert got["text"] == {"type": "plain_text_input", "value": "hello"}
    assert got["long"] == {"type": "plain_text_input", "value": None}
    assert got["num"] == {"type": "number_input", "value": "2.5"}
    assert got["mail"] == {"type": "email_text_input", "value": "a@e.com"}
    assert got["pick"] == {"type": "static_select", "selected_option": {"text": plain("B"), "value": "b"}}
    assert got["picks"]["selected_options"] == [{"text": plain("A"), "value": "a"}, {"text": plain("C"), "value": "c"}]
    assert got["who"] == {"type": "users_select", "selected_user": "U0KASIA"}
    assert got["whom"]["selected_users"] == ["U0ANNA", "U0PIOTR"]
    assert got["conv"] == {"type": "conversations_select", "selected_conversation": "C0GENERAL"}
    assert got["chans"] == {"type": "multi_channels_select", "selected_channels": []}
    assert got["boxes"]["selected_options"] == [{"text": plain("Y"), "value": "y"}]
    assert got["radio"]["selected_option"] == {"text": plain("X"), "value": "x"}
    assert got["day"] == {"type": "datepicker", "selected_date": "2025-06-30"}
    assert got["time"] == {"type": "timepicker", "selected_time": "08:15"}
    assert got["at"] == {"type": "datetimepicker", "selected_date_time": int(datetime(2025, 6, 30, 9, tzinfo=WARSAW).timestamp())}
    assert got["file"] == {"type": "file_input", "files": []}  # untouched: nothing is attached from the console


def test_an_empty_required_select_is_refused_by_the_emulator_and_untouched_inputs_keep_their_initial_values() -> None:
    raw = {"text/t": "x", "num/n": "1", "mail/m": "a@e.com", "picks/ps": ["a"], "who/w": "U0ANNA", "conv/c": "C0GENERAL",
           "radio/r": "y", "time/tm": "10:00", "pick/p": ""}  # fmt: skip
    with pytest.raises(ValueError, match="pick/p is required and empty"):
        submitted(EVERY_INPUT, raw)
    del raw["pick/p"]  # not sent at all: the select keeps what it showed
    state = submitted(EVERY_INPUT, raw)
    assert state["pick"]["p"]["selected_option"]["value"] == "a"
    assert state["boxes"]["b"]["selected_options"] == [{"text": plain("X"), "value": "x"}]
    assert state["day"]["d"]["selected_date"] == "2025-05-01"


def test_values_no_option_offers_are_dropped_and_odd_input_never_crashes() -> None:
    shown = {"type": "modal", "id": "V9", "title": plain("T"), "blocks": EVERY_INPUT["blocks"]}
    values = form_values(
        shown, {"pick/p": "<script>", "picks/ps": ["a", "zzz"], "boxes/b": "x", "at/dt": "yesterday", "text/t": ["a", "b"], "num/n": 5}
    )
    assert values["pick"] == {"p": {"type": "static_select", "selected_option": None}}
    assert values["picks"] == {"ps": {"type": "multi_static_select", "selected_options": [{"value": "a"}]}}
    assert values["boxes"] == {"b": {"type": "checkboxes", "selected_options": [{"value": "x"}]}}
    assert values["at"] == {"dt": {"type": "datetimepicker", "selected_date_time": None}}
    assert values["text"] == {"t": {"type": "plain_text_input", "value": "a"}}
    assert values["num"] == {"n": {"type": "number_input", "value": ""}}
    assert form_values({"type": "modal"}, {"a/b": "c"}) == {}


# ---- the app's own modals ------------------------------------------------------------


def test_the_sms_form_renders_and_submits_through_the_emulator() -> None:
    form = sms_form(channel_id="C0SMSBRIDGE", timezone="Europe/Warsaw", templates=[(1, "hello"), (2, "<b>bye</b>")])
    markup = view({**form, "id": "V1"})
    assert_safe(markup)
    assert form["callback_id"] == SMS_FORM
    live = controls(markup, data_dispatch="1")
    assert {(a["data-block"], a["data-action"], a.get("data-trigger")) for a in live} == {
        ("template", TEMPLATE_ACTION, None),
        ("text", TEXT_ACTION, "on_character_entered"),
    }
    state = submitted(
        form, {"recipients/value": "600100200, 600100201", f"text/{TEXT_ACTION}": "Hi!", "when/value": "", "encoding/value": "auto"}
    )
    assert state["recipients"]["value"]["value"] == "600100200, 600100201"
    assert state["text"][TEXT_ACTION]["value"] == "Hi!"
    assert state["when"]["value"]["selected_date_time"] is None
    assert state["encoding"]["value"]["selected_option"]["value"] == "auto"
    assert json.loads(form["private_metadata"])["channel"] == "C0SMSBRIDGE"


def test_the_cards_forms_and_the_template_forms_render_and_submit() -> None:
    name = card_forms.name_form(conversation_id=7, phone=PhoneE164("+48600100200"), name='Ola "<b>"')
    assert controls(view({**name, "id": "V1"}), name="name/name")[0]["value"] == 'Ola "<b>"'
    assert submitted(name, {"name/name": "Ola K."})["name"]["name"]["value"] == "Ola K."
    snooze = card_forms.snooze_form(conversation_id=7, initial=datetime(2025, 3, 3, 8, tzinfo=UTC))
    assert controls(view({**snooze, "id": "V1"}), name="until/until")[0]["value"] == "2025-03-03T09:00"
    moved = submitted(snooze, {"until/until": "2025-03-04T09:30"})["until"]["until"]["selected_date_time"]
    assert moved == int(datetime(2025, 3, 4, 8, 30, tzinfo=UTC).timestamp())
    form = templates.template_form(channel_id="C0SMSBRIDGE", template=(3, "hi", "Hello {first_name}"))
    markup = view({**form, "id": "V1"})
    assert_safe(markup)
    remove = controls(markup, data_kind="button")[0]
    assert remove["data-block"] == "remove" and remove["data-action"] and "data-confirm" in remove
    assert submitted(form, {"name/value": "hey"})["name"]["value"]["value"] == "hey"
    reply = templates.reply_form(conversation_id=7, who="Ola", templates=[(1, "a", "A {name}"), (2, "b", "B")], chosen=2, text="B")
    kept = view({**reply, "id": "V1"})
    assert_safe(kept)
    pick = next(o for t, a, o, _x in parsed(kept).controls if t == "select")
    assert pick == [("", False), ("1", False), ("2", True)]
