"""Block Kit's limits as Slack enforces them on messages and views.

Figures from Slack's Block Kit reference (docs.slack.dev/reference/block-kit/…):
blocks (50 in a message, 100 in a modal or Home tab), section (text 1–3,000, fields
≤ 10 of ≤ 2,000, block_id ≤ 255), header (plain_text ≤ 150), context (≤ 10
elements), actions (≤ 25 elements), image (alt_text ≤ 2,000, title ≤ 2,000,
image_url ≤ 3,000), input (label and hint ≤ 2,000), markdown blocks (≤ 12,000 in
total), text objects (1–3,000); button (text ≤ 75, value ≤ 2,000, url ≤ 3,000,
action_id ≤ 255, style primary/danger, accessibility_label ≤ 75), options (text
≤ 75, value ≤ 150, description ≤ 75; ≤ 100 in a select, ≤ 5 in an overflow, ≤ 10
in checkboxes and radio buttons), placeholders ≤ 150, confirm dialogs (title ≤ 100,
text ≤ 300, confirm/deny ≤ 30); modal title, submit and close ≤ 24,
private_metadata ≤ 3,000, callback_id ≤ 255.

Each problem reads as Slack words it, ending in a JSON pointer, e.g.
``must be less than 3001 characters [json-pointer:/blocks/0/text/text]`` or
``no more than 50 items allowed [json-pointer:/blocks]`` (texts as Slack returns them
in ``errors`` and, prefixed ``[ERROR] ``, in ``response_metadata.messages``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["TEXT_LIMIT", "TRUNCATED_WARNING", "block_problems", "view_problems"]

TEXT_LIMIT = 40_000  # a message's ``text``; longer text is cut and posted with a warning
TRUNCATED_WARNING = "[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters."

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MARKDOWN_TOTAL = 12_000

BLOCK_TYPES = {
    "section",
    "divider",
    "image",
    "actions",
    "context",
    "input",
    "header",
    "rich_text",
    "file",
    "video",
    "markdown",
    "table",
    "context_actions",
}
ELEMENT_TYPES = {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "external_select",
    "multi_external_select",
    "multi_static_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "number_input",
    "overflow",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "static_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "timepicker",
    "url_text_input",
    "workflow_button",
    "image",
    "file_input",
    "icon_button",
    "feedback_buttons",
}
SELECTS = {"static_select", "multi_static_select", "external_select", "multi_external_select"}


class _Check:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str, at: str) -> None:
        self.errors.append(f"{message} [json-pointer:{at}]")

    def schema(self, at: str) -> None:
        self.fail("failed to match all allowed schemas", at)

    def string(self, node: dict[str, Any], key: str, at: str, most: int, *, required: bool = False) -> None:
        value = node.get(key)
        if value is None:
            if required:
                self.fail("must provide a value", f"{at}/{key}")
            return
        if not isinstance(value, str):
            self.fail("must be a string", f"{at}/{key}")
        elif len(value) > most:
            self.fail(f"must be less than {most + 1} characters", f"{at}/{key}")

    def items(self, value: Any, at: str, most: int, *, least: int = 0) -> list[Any]:
        if not isinstance(value, list):
            self.fail("must be an array", at)
            return []
        if len(value) > most:
            self.fail(f"no more than {most} items allowed", at)
        elif len(value) < least:
            self.fail(f"must provide at least {least} items", at)
        return value

    def text(self, obj: Any, at: str, most: int, *, plain: bool = False, either: bool = False) -> None:
        """A text object: ``plain_text`` (or ``mrkdwn`` unless ``plain``), 1..``most`` characters."""
        kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if not isinstance(obj, dict) or obj.get("type") not in kinds or not isinstance(obj.get("text"), str):
            self.schema(at)
            return
        length = len(obj["text"])
        if length == 0:
            self.fail("must be more than 0 characters", f"{at}/text")
        elif length > most:
            if either:
                self.schema(at)
            self.fail(f"must be less than {most + 1} characters", f"{at}/text")

    def optional_text(self, node: dict[str, Any], key: str, at: str, most: int, *, plain: bool = True) -> None:
        if key in node:
            self.text(node[key], f"{at}/{key}", most, plain=plain)

    # ---- elements --------------------------------------------------------------

    def confirm(self, obj: Any, at: str) -> None:
        if not isinstance(obj, dict):
            self.schema(at)
            return
        self.optional_text(obj, "title", at, 100)
        self.optional_text(obj, "text", at, 300, plain=False)
        self.optional_text(obj, "confirm", at, 30)
        self.optional_text(obj, "deny", at, 30)

    def option(self, obj: Any, at: str, *, plain: bool) -> None:
        if not isinstance(obj, dict):
            self.schema(at)
            return
        self.text(obj.get("text"), f"{at}/text", 75, plain=plain)
        self.string(obj, "value", at, 150)
        self.optional_text(obj, "description", at, 75, plain=plain)
        self.string(obj, "url", at, 3000)

    def options(self, node: dict[str, Any], at: str, most: int, *, least: int = 0, plain: bool = True) -> None:
        if "options" in node:
            for index, option in enumerate(self.items(node["options"], f"{at}/options", most, least=least)):
                self.option(option, f"{at}/options/{index}", plain=plain)
        if "option_groups" in node:
            for index, group in enumerate(self.items(node["option_groups"], f"{at}/option_groups", 100)):
                if isinstance(group, dict):
                    self.optional_text(group, "label", f"{at}/option_groups/{index}", 75)
                    self.options(group, f"{at}/option_groups/{index}", 100)

    def element(self, node: Any, at: str, *, allowed: set[str] | None = None) -> None:
        if not isinstance(node, dict) or node.get("type") not in (allowed or ELEMENT_TYPES):
            self.schema(at)
            return
        kind = node["type"]
        self.string(node, "action_id", at, 255)
        if "confirm" in node:
            self.confirm(node["confirm"], f"{at}/confirm")
        if "placeholder" in node:
            self.text(node["placeholder"], f"{at}/placeholder", 150, plain=True)
        if kind == "button":
            self.text(node.get("text"), f"{at}/text", 75, plain=True)
            self.string(node, "value", at, 2000)
            self.string(node, "url", at, 3000)
            self.string(node, "accessibility_label", at, 75)
            if "style" in node and node["style"] not in ("primary", "danger"):
                self.fail("must be one of primary, danger", f"{at}/style")
        elif kind in SELECTS:
            self.options(node, at, 100)
        elif kind == "overflow":
            self.options(node, at, 5, least=1)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(node, at, 10, least=1, plain=False)
        elif kind == "image":
            if "slack_file" not in node:
                self.string(node, "image_url", at, 3000, required=True)
            self.string(node, "alt_text", at, 2000, required=True)
        elif kind == "plain_text_input":
            for key in ("min_length", "max_length"):
                value = node.get(key)
                if value is not None and (not isinstance(value, int) or not 0 <= value <= 3000):
                    self.fail("must be an integer from 0 to 3000", f"{at}/{key}")

    # ---- blocks ----------------------------------------------------------------

    def block(self, node: Any, at: str) -> None:
        if not isinstance(node, dict) or node.get("type") not in BLOCK_TYPES:
            self.schema(at)
            return
        self.string(node, "block_id", at, 255)
        kind = node["type"]
        if kind == "section":
            if "text" not in node and "fields" not in node:
                self.fail("must define either `text` or `fields`", at)
            if "text" in node:
                self.text(node["text"], f"{at}/text", 3000, either=True)
            if "fields" in node:
                for index, item in enumerate(self.items(node["fields"], f"{at}/fields", 10, least=1)):
                    self.text(item, f"{at}/fields/{index}", 2000)
            if "accessory" in node:
                self.element(node["accessory"], f"{at}/accessory")
        elif kind == "header":
            self.text(node.get("text"), f"{at}/text", 150, plain=True)
        elif kind == "context":
            for index, item in enumerate(self.items(node.get("elements"), f"{at}/elements", 10, least=1)):
                if isinstance(item, dict) and item.get("type") == "image":
                    self.element(item, f"{at}/elements/{index}", allowed={"image"})
                else:
                    self.text(item, f"{at}/elements/{index}", 3000)
        elif kind == "actions":
            for index, item in enumerate(self.items(node.get("elements"), f"{at}/elements", 25, least=1)):
                self.element(item, f"{at}/elements/{index}", allowed=ELEMENT_TYPES - {"image"})
        elif kind == "image":
            self.element({**node, "type": "image"}, at, allowed={"image"})
            self.optional_text(node, "title", at, 2000)
        elif kind == "input":
            self.text(node.get("label"), f"{at}/label", 2000, plain=True)
            self.optional_text(node, "hint", at, 2000)
            self.element(node.get("element"), f"{at}/element", allowed=ELEMENT_TYPES - {"image", "button", "overflow"})
        elif kind == "rich_text":
            self.items(node.get("elements"), f"{at}/elements", 10_000, least=1)
        elif kind == "markdown":
            self.string(node, "text", at, MARKDOWN_TOTAL, required=True)

    def blocks(self, blocks: list[Any], at: str, most: int) -> None:
        self.items(blocks, at, most)
        for index, node in enumerate(blocks):
            self.block(node, f"{at}/{index}")
        markdown = sum(len(b.get("text") or "") for b in blocks if isinstance(b, dict) and b.get("type") == "markdown")
        if markdown > MARKDOWN_TOTAL:
            self.fail(f"markdown blocks must be less than {MARKDOWN_TOTAL + 1} characters in total", at)


def block_problems(blocks: list[Any], *, at: str = "/blocks", most: int = MESSAGE_BLOCKS) -> list[str]:
    """Slack's complaints about a message's ``blocks`` (empty when Slack takes them)."""
    check = _Check()
    check.blocks(blocks, at, most)
    return check.errors


def view_problems(view: Any) -> list[str]:
    """Slack's complaints about a modal or Home tab view (``views.open``/``views.update``)."""
    check = _Check()
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        check.schema("/view")
        return check.errors
    if view["type"] == "modal":
        check.text(view.get("title"), "/view/title", 24, plain=True)
        check.optional_text(view, "submit", "/view", 24)
        check.optional_text(view, "close", "/view", 24)
    check.string(view, "private_metadata", "/view", 3000)
    check.string(view, "callback_id", "/view", 255)
    check.string(view, "external_id", "/view", 255)
    blocks = view.get("blocks")
    check.blocks(blocks if isinstance(blocks, list) else [], "/view/blocks", VIEW_BLOCKS)
    if not isinstance(blocks, list):
        check.fail("must provide an array", "/view/blocks")
    return check.errors
