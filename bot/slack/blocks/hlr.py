"""``/hlr``: one checked number, and a bulk check's progress, summary or failure.

What mProfi says of a number (its network name above all) is mProfi's text, escaped
like any other.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks.markup import clip, escape, fallback, when
from bot.sms.numbers import PhoneE164, display

__all__ = ["hlr_single", "hlr_progress", "hlr_summary", "hlr_failed", "digits_display"]


def _country(msisdn_digits: str) -> str:
    import phonenumbers
    from phonenumbers import geocoder

    try:
        return geocoder.country_name_for_number(phonenumbers.parse("+" + msisdn_digits, None), "en") or "unknown country"
    except phonenumbers.NumberParseException:
        return "unknown country"


def digits_display(msisdn_digits: str) -> str:
    """``48600100200`` as a person reads it, escaped (it may be anything mProfi sent)."""
    shown = display(PhoneE164("+" + msisdn_digits)) if msisdn_digits.isdigit() else msisdn_digits
    return escape(shown)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def hlr_single(result: Any, *, user_id: str) -> dict[str, Any]:
    """One checked number, as a person wants to read it."""
    number = digits_display(result.msisdn)
    network = escape(result.provider) if result.provider else ""
    verdict = ":large_green_circle: valid" if result.valid else ":red_circle: not valid (switched off, unknown or disconnected)"
    facts = [f"network *{network or 'unknown'}*", escape(_country(result.msisdn))]
    if result.mccmnc:
        facts.append(f"MCC {escape(result.mcc)} / MNC {escape(result.mnc)}")
    checked = f"checked {when(result.checked_at)}" if result.checked_at else "checked just now"
    line = f"*{number}*: {verdict}\n" + " · ".join(facts) + f"\n{checked} · asked by <@{escape(user_id)}>"
    plain = f"HLR {number}: {'valid' if result.valid else 'not valid'}, {network or 'unknown network'}"
    return {"text": fallback(plain), "blocks": [_section(line)]}


def _skipped_line(skipped: list[Any]) -> str:
    if not skipped:
        return ""
    shown = "; ".join(f"{escape(str(what))} ({escape(str(why))})" for what, why in skipped[:10])
    more = f"; and {len(skipped) - 10} more" if len(skipped) > 10 else ""
    return f"\nNot checked: {shown}{more}."


def hlr_progress(total: int, skipped: list[Any], *, user_id: str, waited: str | None = None, polls: int = 0) -> dict[str, Any]:
    state = f"waiting for mProfi's report ({waited} so far)" if waited else "uploading the numbers to mProfi"
    text = f":mag: HLR check of *{total:,}* numbers for <@{escape(user_id)}>: {state}…" + _skipped_line(skipped)
    return {"text": f"HLR check of {total:,} numbers: {state}", "blocks": [_section(text)]}


def hlr_summary(total: int, valid: int, networks: list[tuple[str, int]], skipped: list[Any], *, user_id: str) -> dict[str, Any]:
    invalid = total - valid
    lines = [f":white_check_mark: HLR check of *{total:,}* numbers for <@{escape(user_id)}>: *{valid:,}* valid, *{invalid:,}* not valid"]
    if networks:
        lines.append("By network: " + ", ".join(f"{escape(name)} {count:,}" for name, count in networks[:8]))
    lines.append("The full report is in the thread as a CSV file.")
    return {
        "text": f"HLR check of {total:,} numbers: {valid:,} valid, {invalid:,} not valid",
        "blocks": [_section("\n".join(lines) + _skipped_line(skipped))],
    }


def hlr_failed(numbers: list[Any], detail: str, *, user_id: str) -> dict[str, Any]:
    what = digits_display(str(numbers[0])) if len(numbers) == 1 else f"{len(numbers):,} numbers"
    text = f":x: HLR check of {what} for <@{escape(user_id)}> did not finish: {escape(detail)}"
    return {"text": fallback(f"HLR check of {what} failed: {escape(detail)}"), "blocks": [_section(text)]}
