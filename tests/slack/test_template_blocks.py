"""The template modals as Slack's own checks see them (the emulator's view validation)."""

from __future__ import annotations

from bot.i18n import use_language
from bot.sandbox.slack.limits import view_problems
from bot.slack.blocks import templates as forms
from bot.slack.views import sms_form

MANY = [(n, f"szablon-{n}-" + "x" * 30, "Dzień dobry {first_name}! " * 20) for n in range(1, 131)]


def test_every_modal_is_one_slack_accepts_also_with_many_long_templates() -> None:
    with use_language("pl"):
        views = [
            forms.templates_list([], channel_id="C1"),
            forms.templates_list(MANY, channel_id="C1", notice="Zapisano."),
            forms.template_form(channel_id="C1"),
            forms.template_form(channel_id="C1", template=MANY[0], hint=forms.preview("x" * 700, ["first_name"])),
            forms.reply_form(conversation_id=1, who="Anna Kowalska (+48 600 100 200)", templates=[]),
            forms.reply_form(conversation_id=1, who="A" * 3000, templates=MANY, chosen=5, text="Dzień dobry Anna!"),
            sms_form(
                channel_id="C1", timezone="Europe/Warsaw", templates=[(t[0], t[1]) for t in MANY], chosen=7, text="x", text_block="text-7"
            ),
        ]
    for view in views:
        assert view_problems(view) == [], view["callback_id"]


def test_the_list_says_how_many_more_there_are_and_a_new_pick_replaces_the_text() -> None:
    with use_language("en"):
        listed = str(forms.templates_list(MANY, channel_id="C1"))
    assert "#szablon-1-" in listed and "and 40 more templates" in listed
    assert forms.text_block_id(3, "a") == forms.text_block_id(3, "a") != forms.text_block_id(3, "b")
