"""Made-up but stable HLR answers: the same number always checks the same way."""

from __future__ import annotations

from typing import Any

from bot.mprofi.models import WARSAW
from bot.sandbox.mprofi.state import SimulatorState, now

__all__ = ["hlr_record", "REPORT_COLUMNS"]

# First digit of a Polish mobile number → (network, MCC+MNC). Close enough for a demo.
_POLISH_NETWORKS = {
    "5": ("Orange Polska", "26003"),
    "6": ("Plus", "26001"),
    "7": ("Play", "26006"),
    "8": ("T-Mobile Polska", "26002"),
}

REPORT_COLUMNS = ("msisdn", "hlr_status_code", "hlr_message_id", "hlr_mccmnc", "hlr_check_date", "spn", "valid")


def hlr_record(state: SimulatorState, msisdn: str) -> dict[str, Any]:
    """The check result in mProfi's documented spelling (``Hlr_mccmnc``, ``Hlr_check_data``)."""
    checked = now().astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S")
    override = state.hlr_overrides.get(msisdn)
    if override is not None:
        return {"msisdn": msisdn, "Hlr_check_data": checked, **override}
    if msisdn.startswith("48") and len(msisdn) == 11 and msisdn[2] in _POLISH_NETWORKS:
        network, mccmnc = _POLISH_NETWORKS[msisdn[2]]
        return {
            "msisdn": msisdn,
            "hlr_status_code": "DELIVRD",
            "Hlr_message_id": f"hlr-{msisdn}",
            "Hlr_mccmnc": mccmnc,
            "Hlr_check_data": checked,
            "spn": network,
            "valid": True,
        }
    if msisdn.startswith("48"):
        return {
            "msisdn": msisdn,
            "hlr_status_code": "UNDELIV",
            "Hlr_message_id": f"hlr-{msisdn}",
            "Hlr_mccmnc": "",
            "Hlr_check_data": checked,
            "spn": "",
            "valid": False,
        }
    return {
        "msisdn": msisdn,
        "hlr_status_code": "DELIVRD",
        "Hlr_message_id": f"hlr-{msisdn}",
        "Hlr_mccmnc": "",
        "Hlr_check_data": checked,
        "spn": "International",
        "valid": True,
    }
