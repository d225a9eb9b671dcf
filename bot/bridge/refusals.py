"""What to tell a person when mProfi says no: one plain sentence for every feature.

The client's errors carry mProfi's own words (``exc.message``); only a refused key
needs more, since only an admin can fix it and the sentence names the setting.
"""

from __future__ import annotations

from bot.i18n import N_, _
from bot.mprofi import AuthenticationError, MProfiError, NotFoundError, UncertainError

__all__ = ["KEY_REFUSED", "KEY_SETTINGS", "mprofi_sentence"]

# Which setting holds the key each kind of call uses.
KEY_SETTINGS = {
    "send": "MPROFI_API_KEY",
    "hlr": "MPROFI_HLR_KEY (or MPROFI_API_KEY)",
    "survey": "MPROFI_API_KEY",
}

# What every message of a send refused for its key says (English; shown through ``_``).
KEY_REFUSED = N_("mProfi refused our sending key; an admin must check MPROFI_API_KEY. Nothing was sent.")

# A refused key, by kind of call and whether it says that nothing was sent; each names its KEY_SETTINGS entry.
_KEY_SENTENCES = {
    ("send", False): N_("mProfi refused our sending key; an admin must check MPROFI_API_KEY."),
    ("send", True): KEY_REFUSED,
    ("hlr", False): N_("mProfi refused the HLR key; an admin must check MPROFI_HLR_KEY (or MPROFI_API_KEY)."),
    ("hlr", True): N_("mProfi refused the HLR key; an admin must check MPROFI_HLR_KEY (or MPROFI_API_KEY). Nothing was sent."),
    ("survey", False): N_("mProfi refused the sending key; an admin must check MPROFI_API_KEY."),
    ("survey", True): N_("mProfi refused the sending key; an admin must check MPROFI_API_KEY. Nothing was sent."),
}


def mprofi_sentence(exc: MProfiError, *, key: str = "send", survey_id: int | None = None, sending: bool = False) -> str:
    """The sentence for ``exc``; ``sending`` adds that nothing was sent (nothing was paid for)."""
    # An answer lost after the request went out may hide a send: never say "nothing was sent" then.
    nothing_sent = sending and not isinstance(exc, UncertainError)
    if isinstance(exc, AuthenticationError):
        return _(_KEY_SENTENCES[key, nothing_sent])
    if isinstance(exc, NotFoundError) and survey_id is not None:
        return _("There is no survey {survey_id}; /survey list shows the surveys there are.").format(survey_id=survey_id)
    if nothing_sent:
        return _("{reason} Nothing was sent.").format(reason=exc.message)
    return exc.message
