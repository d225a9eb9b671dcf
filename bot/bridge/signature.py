"""SMS_SIGNATURE: who answered, appended to a thread reply before it is counted and stored.

The customer sees one number whoever replies; a signature such as ``— {first_name},
Sklep Kwiatek`` tells them who it was. It is added before the length check and the
part count, so what the line shows and what mProfi bills are the same text. The names
come from the author's Slack profile (cached); a look-up that fails leaves the name
out rather than holding the reply up.
"""

from __future__ import annotations

from bot.bridge.context import Context

__all__ = ["sign"]


async def sign(ctx: Context, text: str, user_id: str) -> str:
    """``text`` with the signature on a line of its own (unchanged when there is none)."""
    template = ctx.config.sms_signature
    if not template or not template.strip():
        return text
    full = await ctx.directory.profile_name(user_id) or await ctx.directory.user_name(user_id) or ""
    first = await ctx.directory.profile_name(user_id, first=True) or full
    signature = template.format(first_name=first, name=full).strip()  # Settings allowed only these two
    if not signature:
        return text
    return f"{text}\n{signature}" if text else signature
