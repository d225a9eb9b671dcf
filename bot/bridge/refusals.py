"""What to tell a person when mProfi says no: one plain sentence for every feature.

The client's errors carry mProfi's own words (``exc.message``); only a refused key
needs more, since only an admin can fix it and the sentence names the setting.
"""

from __future__ import annotations

from bot.mprofi import AuthenticationError, MProfiError, NotFoundError, UncertainError

__all__ = ["KEY_REFUSED", "KEY_SETTINGS", "mprofi_sentence"]

# Which setting holds the key each kind of call uses.
KEY_SETTINGS = {
    "send": "MPROFI_API_KEY",
    "hlr": "MPROFI_HLR_KEY (or MPROFI_API_KEY)",
    "survey": "MPROFI_API_KEY",
}


def mprofi_sentence(exc: MProfiError, *, key: str = "send", survey_id: int | None = None, sending: bool = False) -> str:
    """The sentence for ``exc``; ``sending`` adds that nothing was sent (nothing was paid for)."""
    # An answer lost after the request went out may hide a send: never say "nothing was sent" then.
    tail = " Nothing was sent." if sending and not isinstance(exc, UncertainError) else ""
    if isinstance(exc, AuthenticationError):
        what = "our sending key" if key == "send" else f"the {key.upper()} key" if key == "hlr" else "the sending key"
        return f"mProfi refused {what}; an admin must check {KEY_SETTINGS[key]}.{tail}"
    if isinstance(exc, NotFoundError) and survey_id is not None:
        return f"There is no survey {survey_id}; /survey list shows the surveys there are."
    return f"{exc.message}{tail}"


# What every message of a send refused for its key says.
KEY_REFUSED = mprofi_sentence(AuthenticationError("refused"), sending=True)
