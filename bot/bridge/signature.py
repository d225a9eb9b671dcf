"""SMS_SIGNATURE: who answered, appended to a thread reply before it is counted and stored.

The customer sees one number whoever replies; a signature such as ``— {first_name},
Sklep Kwiatek`` tells them who it was. It is added before the length check and the
part count, so what the line shows and what mProfi bills are the same text. The names
come from the author's Slack profile (cached); a look-up that fails leaves the name
out rather than holding the reply up.
"""

from __future__ import annotations

import re

from bot.bridge.context import Context

__all__ = ["sign", "fill"]


async def sign(ctx: Context, text: str, user_id: str) -> str:
    """``text`` with the signature on a line of its own (unchanged when there is none)."""
    template = ctx.config.sms_signature
    if not template or not template.strip():
        return text
    full = await ctx.directory.profile_name(user_id) or await ctx.directory.user_name(user_id) or ""
    first = await ctx.directory.profile_name(user_id, first=True) or full
    signature = fill(template, first=first, name=full)
    if not signature:
        return text
    return f"{text}\n{signature}" if text else signature


def fill(template: str, *, first: str, name: str) -> str:
    """The signature for one author; with no name known, the name and the punctuation around
    it are left out (``— {first_name}, Sklep`` → ``— Sklep``), never a dangling ``— ,``."""
    signature = template.format(first_name=first, name=name).strip()  # Settings allowed only these two
    if first and name:
        return signature
    signature = re.sub(r"\s*,\s*(?=,|$)", "", signature)  # a comma left before nothing
    signature = re.sub(r"([—–-])\s*,\s*", r"\1 ", signature)  # "— , Sklep" → "— Sklep"
    signature = re.sub(r"^\s*,\s*", "", signature)
    signature = " ".join(signature.split(" ")).strip()
    return "" if not re.search(r"\w", signature) else re.sub(r" {2,}", " ", signature)
