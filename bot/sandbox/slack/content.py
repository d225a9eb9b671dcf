"""What a message carries, checked as Slack checks it before posting or answering.

Shared by the Web API methods (:mod:`bot.sandbox.slack.methods`) and ``response_url``
posts (:mod:`bot.sandbox.slack.app`): ``no_text`` without text, blocks or attachments;
``invalid_blocks_format`` for blocks that are not a JSON array; ``invalid_blocks``
with ``errors`` and ``response_metadata.messages`` for Block Kit limits
(:mod:`bot.sandbox.slack.limits`); ``text`` over 40,000 characters cut and posted
with the ``message_truncated`` warning (Slack changelog 2018-04, "Truncating really
long messages"), or ``msg_too_long`` when ``SlackConfig.long_text == "refuse"``;
``invalid_metadata_format`` for message metadata without ``event_type`` and ``event_payload``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack import directory
from bot.sandbox.slack.limits import TEXT_LIMIT, TRUNCATED_WARNING, block_problems
from bot.sandbox.slack.markup import Rendered, render_payload
from bot.sandbox.slack.state import SlackState

__all__ = ["Prepared", "SlackError", "checked_metadata", "parse_json", "prepare", "refused_blocks", "truthy"]

Params = dict[str, Any]


class SlackError(Exception):
    """An ``ok: false`` answer: the error code and any fields Slack adds beside it."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true") if value is not None else False


def parse_json(value: Any, error: str) -> Any:
    if isinstance(value, str):
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error) from None
    return value


def refused_blocks(problems: list[str], error: str = "invalid_blocks") -> SlackError:
    return SlackError(error, errors=problems, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


@dataclass
class Prepared:
    text: str
    blocks: list[dict[str, Any]] | None
    rendered: Rendered
    truncated: bool

    def notes(self) -> dict[str, Any]:
        """What Slack adds to a successful answer when it cut the text."""
        if not self.truncated:
            return {}
        return {"warning": "message_truncated", "response_metadata": {"warnings": ["message_truncated"], "messages": [TRUNCATED_WARNING]}}


def prepare(state: SlackState, params: Params, *, require_content: bool = True) -> Prepared:
    """Check a message's content as Slack does and read what it would do to people."""
    text = params.get("text")
    text = "" if text is None else str(text)
    blocks = parse_json(params.get("blocks"), "invalid_blocks_format")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    attachments = parse_json(params.get("attachments"), "invalid_attachments")
    if require_content and not text and not blocks and not attachments:
        raise SlackError("no_text")
    if blocks:
        problems = block_problems(blocks)
        if problems:
            raise refused_blocks(problems)
    truncated = len(text) > TEXT_LIMIT
    if truncated:
        if state.config.long_text == "refuse":
            raise SlackError("msg_too_long")
        text = text[:TEXT_LIMIT]
    config = state.config
    rendered = render_payload(
        text,
        blocks,
        attachments,
        names=directory.names(config),
        find_names=truthy(params.get("link_names")) or params.get("parse") == "full",
        handles=directory.handles(config),
        channel_names=directory.channel_ids(config),
    )
    return Prepared(text=text, blocks=blocks, rendered=rendered, truncated=truncated)


def checked_metadata(value: Any) -> dict[str, Any] | None:
    """``metadata`` as Slack checks it: an ``event_type`` and an ``event_payload`` object."""
    value = parse_json(value, "invalid_metadata_format")
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("event_type"), str) or not isinstance(value.get("event_payload"), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": value["event_type"], "event_payload": value["event_payload"]}
