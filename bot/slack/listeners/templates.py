"""Templates in Slack: ``/sms templates`` (its list and add/edit form) and the card's
*Reply with template* (picker, live preview, send).

Who may: anyone who may send SMS from the channel (:meth:`Bridge.may_send`) may also
add, change and remove templates, and reply with one; the card's reply is checked
against the conversation's channel. Every handler acks first or answers the submission
itself; the bridge stores and sends.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.bridge.models import SmsRequest
from bot.i18n import _
from bot.slack.blocks import card
from bot.slack.blocks import templates as forms
from bot.slack.blocks.markup import escape
from bot.slack.listeners import sms_templates
from bot.slack.views import TEMPLATE_ACTION
from bot.sms.numbers import display
from bot.sms.templates import Rendered, TemplateSyntaxError, variables
from bot.sms.text import check_sms_text, wire_encoding

if TYPE_CHECKING:
    from bot.bridge import Bridge
    from bot.bridge.templates import SavedTemplate
    from bot.sms.numbers import PhoneE164

__all__ = [
    "WORDS",
    "register",
    "handle_templates_command",
    "handle_add",
    "handle_edit",
    "handle_remove",
    "handle_template_text",
    "handle_template_form",
    "handle_search",
    "handle_search_submit",
    "handle_reply_button",
    "handle_reply_pick",
    "handle_reply_text",
    "handle_reply_form",
]

logger = logging.getLogger(__name__)

WORDS = frozenset({"templates", "template", "szablony", "szablon"})


def register(app: AsyncApp, bridge: Bridge) -> None:
    app.action(forms.ADD_ACTION)(partial(handle_add, bridge=bridge))
    app.action(forms.EDIT_ACTION)(partial(handle_edit, bridge=bridge))
    app.action(forms.REMOVE_ACTION)(partial(handle_remove, bridge=bridge))
    app.action(forms.TEXT_ACTION)(partial(handle_template_text, bridge=bridge))
    app.view(forms.TEMPLATE_FORM)(partial(handle_template_form, bridge=bridge))
    app.action(forms.SEARCH_ACTION)(partial(handle_search, bridge=bridge))
    app.view(forms.TEMPLATES_LIST)(partial(handle_search_submit, bridge=bridge))
    app.action(forms.REPLY_BUTTON)(partial(handle_reply_button, bridge=bridge))
    app.action(forms.REPLY_PICK_ACTION)(partial(handle_reply_pick, bridge=bridge))
    app.action(forms.REPLY_TEXT_ACTION)(partial(handle_reply_text, bridge=bridge))
    app.view(forms.REPLY_FORM)(partial(handle_reply_form, bridge=bridge))
    app.action(TEMPLATE_ACTION)(partial(sms_templates.handle_form_template, bridge=bridge))


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _meta(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict((view.get("state") or {}).get("values") or {})


def _rows(found: list[SavedTemplate]) -> list[forms.TemplateRow]:
    return [(t.id, t.name, t.text) for t in found]


def _template_preview(text: str) -> str:
    """The form's hint: the text's length as written, and the variables it uses."""
    try:
        used = variables(text)
    except TemplateSyntaxError:
        return ":warning: " + _("A brace opens no variable: write {first_name}, or {{ for a brace itself.") + "\n" + forms.preview(text)
    line = forms.preview(text)
    if used:
        names = escape(", ".join("{" + name + "}" for name in used))
        line += "\n" + _("Variables: {variables} (filled in when it is sent; the length changes).").format(variables=names)
    return line


# ---- /sms templates: the list, the form, Remove --------------------------------------


async def handle_templates_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """``/sms templates`` (``szablony``): the list in a modal."""
    await ack()
    view = forms.templates_list(_rows(await bridge.templates.all()), channel_id=str(command.get("channel_id") or ""))
    await client.views_open(trigger_id=command["trigger_id"], view=view)


async def _show_list(client: AsyncWebClient, view: dict[str, Any], bridge: Bridge, notice: str | None = None) -> None:
    listed = forms.templates_list(_rows(await bridge.templates.all()), channel_id=str(_meta(view).get("channel") or ""), notice=notice)
    await client.views_update(view_id=view["id"], view=listed)


async def handle_add(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    await ack()
    view = body.get("view") or {}
    await client.views_update(
        view_id=view["id"], hash=view.get("hash"), view=forms.template_form(channel_id=_meta(view).get("channel", ""))
    )


async def handle_edit(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    await ack()
    view = body.get("view") or {}
    value = str(action.get("value") or "")
    found = await bridge.templates.get(int(value)) if value.isdigit() else None
    if found is None:
        await _show_list(client, view, bridge, notice=_("That template was removed meanwhile."))
        return
    form = forms.template_form(channel_id=_meta(view).get("channel", ""), template=(found.id, found.name, found.text))
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)


async def handle_remove(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """Remove, after Slack's own confirmation dialog: back to the list, saying what went."""
    await ack()
    view = body.get("view") or {}
    value = str(action.get("value") or "")
    refusal = bridge.may_send(user_id=_user(body), channel_id=str(_meta(view).get("channel") or ""))
    if refusal or not value.isdigit():
        await _show_list(client, view, bridge, notice=refusal)
        return
    name = await bridge.templates.remove(int(value), user_id=_user(body))
    said = _("Removed #{name}.").format(name=escape(name)) if name else _("That template was removed meanwhile.")
    await _show_list(client, view, bridge, notice=said)


def _form_fields(view: dict[str, Any]) -> tuple[str, str]:
    values = _values(view)
    name = str(((values.get("name") or {}).get("value") or {}).get("value") or "").strip()
    text = str(((values.get("text") or {}).get(forms.TEXT_ACTION) or {}).get("value") or "")
    return name, text.strip()


async def handle_template_text(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """The form's live hint, redrawn as the text is typed."""
    await ack()
    view = body.get("view") or {}
    meta = _meta(view)
    name, text = _form_fields(view)
    template = (int(meta["id"]), name, text) if isinstance(meta.get("id"), int) else None
    form = forms.template_form(channel_id=str(meta.get("channel") or ""), template=template, hint=_template_preview(text))
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)


async def handle_template_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], *, bridge: Bridge) -> None:
    """Save: mistakes beside their field, else back to the list."""
    meta = _meta(view)
    name, text = _form_fields(view)
    refusal = bridge.may_send(user_id=_user(body), channel_id=str(meta.get("channel") or ""))
    if refusal:
        await ack(response_action="errors", errors={"name": refusal})
        return
    template_id = meta.get("id") if isinstance(meta.get("id"), int) else None
    errors = await bridge.templates.save(template_id=template_id, name=name, text=text, user_id=_user(body))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    listed = forms.templates_list(
        _rows(await bridge.templates.all()), channel_id=str(meta.get("channel") or ""), notice=_("Saved #{name}.").format(name=escape(name))
    )
    await ack(response_action="update", view=listed)


def _query(view: dict[str, Any]) -> str:
    return str(((_values(view).get("search") or {}).get(forms.SEARCH_ACTION) or {}).get("value") or "").strip()


async def _found_list(bridge: Bridge, view: dict[str, Any]) -> dict[str, Any]:
    """The list showing only the templates whose name or text has what was typed in its search field."""
    query = _query(view)
    everything = await bridge.templates.all()
    found = bridge.templates.matching(everything, query)
    return forms.templates_list(_rows(found), channel_id=str(_meta(view).get("channel") or ""), query=query, total=len(everything))


async def handle_search(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """Enter in the list's search field: the list narrows to what matches."""
    await ack()
    view = body.get("view") or {}
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=await _found_list(bridge, view))


async def handle_search_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], *, bridge: Bridge) -> None:
    """The list's Search button (a modal with an input has a submit button): the same as Enter."""
    await ack(response_action="update", view=await _found_list(bridge, view))


# ---- the card's Reply with template -------------------------------------------------


def _reply_text(view: dict[str, Any]) -> tuple[str, str]:
    """(the text block's id, what it holds now)."""
    for block_id, entries in _values(view).items():
        if block_id.startswith("text-"):
            return block_id, str((entries.get(forms.REPLY_TEXT_ACTION) or {}).get("value") or "")
    return forms.text_block_id(None), ""


def _picked(view: dict[str, Any]) -> int | None:
    selected = ((_values(view).get("pick") or {}).get(forms.REPLY_PICK_ACTION) or {}).get("selected_option") or {}
    value = str(selected.get("value") or "")
    return int(value) if value.isdigit() else None


async def _render(bridge: Bridge, text: str, phone: PhoneE164, user_id: str) -> Rendered | str | None:
    """What the phone gets for the reply as it stands, filled in once: a ``#name`` message is
    that template; the sentence when there is no such template; None when a brace opens no
    variable (then the text goes as it is)."""
    found = await bridge.templates.resolve(text)
    if isinstance(found, str):
        return found
    try:
        return await bridge.templates.render_for(found.text if found else text, phone, user_id=user_id)
    except TemplateSyntaxError:
        return None  # a brace in a reply is only a brace


def _new_block(view: dict[str, Any], chosen: int | None, text: str) -> str:
    """A text block id the field has not had just now, so a pick always replaces what was
    typed (the same template picked again gives the same id: it alternates)."""
    fresh = forms.text_block_id(chosen, text)
    return fresh + "-again" if fresh == _reply_text(view)[0] else fresh


def _who(target: Any) -> str:
    return f"{target.name} ({display(target.phone)})" if target.name else display(target.phone)


def _gone() -> str:
    return _("This conversation is not known any more.")


async def handle_reply_button(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge
) -> None:
    await ack()
    pressed = card.read_card_value(action.get("value"))
    target = await bridge.templates.conversation(pressed[0]) if pressed else None
    if pressed is None or target is None:  # the card outlived its conversation: said privately
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        if channel:
            await bridge.tell_privately(channel_id=channel, user_id=_user(body), text=_gone())
        return
    refusal = bridge.may_send(user_id=_user(body), channel_id=target.channel_id)
    if refusal:
        await bridge.tell_privately(channel_id=target.channel_id, user_id=_user(body), text=refusal)
        return
    form = forms.reply_form(conversation_id=pressed[0], who=_who(target), templates=_rows(await bridge.templates.all()))
    await client.views_open(trigger_id=body["trigger_id"], view=form)


async def _redraw_reply(
    client: AsyncWebClient,
    view: dict[str, Any],
    bridge: Bridge,
    *,
    user_id: str,
    chosen: int | None,
    text: str,
    keep: bool,
    notice: str | None = None,
) -> None:
    """Redraw the reply form: ``keep`` the text block (a keystroke), or a new one with ``text``
    (a pick). The field holds the text as written, variables and all; the preview shows it
    filled in for this number, which is what Send sends (filled in once, there)."""
    conversation_id = int(_meta(view).get("c") or 0)
    target = await bridge.templates.conversation(conversation_id)
    if target is None:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=forms.reply_gone(conversation_id, _gone()))
        return
    rendered = await _render(bridge, text, target.phone, user_id)
    if isinstance(rendered, Rendered):
        hint = forms.preview(rendered.text, rendered.missing, typed=text)
    else:
        hint = forms.preview(text) if rendered is None else ":warning: " + rendered + "\n" + forms.preview(text)
    form = forms.reply_form(
        conversation_id=conversation_id,
        who=_who(target),
        templates=_rows(await bridge.templates.all()),
        chosen=chosen,
        text=text,
        hint=(":warning: " + notice + "\n" + hint) if notice else hint,
        text_block=_reply_text(view)[0] if keep else _new_block(view, chosen, text),
    )
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)


async def handle_reply_pick(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """A template picked: its text, as written, replaces the text field; the preview fills it in."""
    await ack()
    view = body.get("view") or {}
    chosen = _picked(view)
    found = await bridge.templates.get(chosen) if chosen is not None else None
    if found is None:  # removed since the form was drawn: said where the preview is
        gone = _("That template was removed meanwhile; pick another.")
        await _redraw_reply(client, view, bridge, user_id=_user(body), chosen=None, text=_reply_text(view)[1], keep=True, notice=gone)
        return
    await _redraw_reply(client, view, bridge, user_id=_user(body), chosen=chosen, text=found.text, keep=False)


async def handle_reply_text(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """The text changed: the preview follows (the text itself stays as typed)."""
    await ack()
    view = body.get("view") or {}
    chosen = _meta(view).get("t")
    known = chosen if isinstance(chosen, int) else None
    await _redraw_reply(client, view, bridge, user_id=_user(body), chosen=known, text=_reply_text(view)[1], keep=True)


async def handle_reply_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], *, bridge: Bridge) -> None:
    """Send: refused beside the text while a variable has no value; otherwise the text filled
    in once for the conversation's number, exactly as a one-number /sms (its line shows in the thread)."""
    user = _user(body)
    block_id, text = _reply_text(view)
    target = await bridge.templates.conversation(int(_meta(view).get("c") or 0))
    if target is None:
        await ack(response_action="errors", errors={block_id: _gone()})
        return
    refusal = bridge.may_send(user_id=user, channel_id=target.channel_id)
    if refusal:
        await ack(response_action="errors", errors={block_id: refusal})
        return
    rendered = await _render(bridge, text, target.phone, user)
    if isinstance(rendered, str):  # "#name" of no template
        await ack(response_action="errors", errors={block_id: rendered})
        return
    if rendered is not None and rendered.missing:
        names = ", ".join("{" + name + "}" for name in rendered.missing)
        said = _("No value for {variables} for this number: write it in, or take it out.").format(variables=names)
        await ack(response_action="errors", errors={block_id: said})
        return
    sent = text if rendered is None else rendered.text  # braces that open no variable are sent as they are
    encoding = wire_encoding(sent)
    try:
        check_sms_text(sent, utf8=encoding == "utf-8")
    except ValueError as exc:
        await ack(response_action="errors", errors={block_id: str(exc)})
        return
    request = SmsRequest(
        trigger_id=f"view:{view.get('id')}",  # a double submit sends nothing twice
        user_id=user,
        channel_id=target.channel_id,
        text=sent,
        recipients=(target.phone,),
        encoding=encoding,
    )
    accepted = await bridge.start_sms(request)
    if accepted.refusal:
        await ack(response_action="errors", errors={block_id: accepted.refusal})
        return
    await ack()
    if accepted.quiet_question is not None:
        await bridge.tell_privately(channel_id=target.channel_id, user_id=user, **accepted.quiet_question)
    elif accepted.opted_out:
        said = _("Nothing was sent: {number} opted out of SMS.").format(number=display(target.phone))
        await bridge.tell_privately(channel_id=target.channel_id, user_id=user, text=said)
