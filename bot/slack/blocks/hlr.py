"""``/hlr``: one checked number, and a bulk check's progress, summary or failure.

What mProfi says of a number (its network name above all) is mProfi's text, escaped
like any other.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from bot.i18n import _, current_language, figure, ngettext, pgettext
from bot.slack.blocks.markup import clip, escape, fallback, when
from bot.sms.numbers import PhoneE164, display

__all__ = ["hlr_single", "hlr_progress", "hlr_summary", "hlr_failed", "digits_display"]


def _country(msisdn_digits: str) -> str:
    import phonenumbers
    from phonenumbers import geocoder

    try:
        return geocoder.country_name_for_number(phonenumbers.parse("+" + msisdn_digits, None), current_language()) or _("unknown country")
    except phonenumbers.NumberParseException:
        return _("unknown country")


def digits_display(msisdn_digits: str) -> str:
    """``48600100200`` as a person reads it, escaped (it may be anything mProfi sent)."""
    shown = display(PhoneE164("+" + msisdn_digits)) if msisdn_digits.isdigit() else msisdn_digits
    return escape(shown)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def hlr_single(result: Any, *, user_id: str, zone: tzinfo) -> dict[str, Any]:
    """One checked number, as a person wants to read it (when it was checked, in ``zone``)."""
    number = digits_display(result.msisdn)
    network = escape(result.provider) if result.provider else ""
    verdict = (
        ":large_green_circle: " + _("valid") if result.valid else ":red_circle: " + _("not valid (switched off, unknown or disconnected)")
    )
    facts = [_("network *{network}*").format(network=network or pgettext("network", "unknown")), escape(_country(result.msisdn))]
    if result.mccmnc:
        facts.append(f"MCC {escape(result.mcc)} / MNC {escape(result.mnc)}")
    checked = _("checked {time}").format(time=when(result.checked_at, zone)) if result.checked_at else _("checked just now")
    asked = _("asked by {user}").format(user=f"<@{escape(user_id)}>")
    line = f"*{number}*: {verdict}\n" + " · ".join(facts) + f"\n{checked} · {asked}"
    plain = _("HLR {number}: {verdict}, {network}").format(
        number=number, verdict=_("valid") if result.valid else _("not valid"), network=network or _("unknown network")
    )
    return {"text": fallback(plain), "blocks": [_section(line)]}


def _skipped_line(skipped: list[Any]) -> str:
    if not skipped:
        return ""
    shown = "; ".join(f"{escape(str(what))} ({escape(str(why))})" for what, why in skipped[:10])
    if len(skipped) > 10:
        shown = _("{items}; and {n} more").format(items=shown, n=len(skipped) - 10)
    return "\n" + _("Not checked: {numbers}.").format(numbers=shown)


# English has always said "numbers" in these, even for one: the singular is kept as it was.
def hlr_progress(total: int, skipped: list[Any], *, user_id: str, waited: str | None = None, polls: int = 0) -> dict[str, Any]:
    state = _("waiting for mProfi's report ({waited} so far)").format(waited=waited) if waited else _("uploading the numbers to mProfi")
    user, n = f"<@{escape(user_id)}>", figure(total)
    text = ":mag: " + ngettext(
        "HLR check of *{n}* numbers for {user}: {state}…", "HLR check of *{n}* numbers for {user}: {state}…", total
    ).format(n=n, user=user, state=state)
    plain = ngettext("HLR check of {n} numbers: {state}", "HLR check of {n} numbers: {state}", total).format(n=n, state=state)
    return {"text": plain, "blocks": [_section(text + _skipped_line(skipped))]}


def hlr_summary(total: int, valid: int, networks: list[tuple[str, int]], skipped: list[Any], *, user_id: str) -> dict[str, Any]:
    figures = {"n": figure(total), "valid": figure(valid), "invalid": figure(total - valid)}
    head = ngettext(
        "HLR check of *{n}* numbers for {user}: *{valid}* valid, *{invalid}* not valid",
        "HLR check of *{n}* numbers for {user}: *{valid}* valid, *{invalid}* not valid",
        total,
    ).format(user=f"<@{escape(user_id)}>", **figures)
    lines = [":white_check_mark: " + head]
    if networks:
        lines.append(
            _("By network: {networks}").format(networks=", ".join(f"{escape(name)} {figure(count)}" for name, count in networks[:8]))
        )
    lines.append(_("The full report is in the thread as a CSV file."))
    plain = ngettext(
        "HLR check of {n} numbers: {valid} valid, {invalid} not valid",
        "HLR check of {n} numbers: {valid} valid, {invalid} not valid",
        total,
    ).format(**figures)
    return {"text": plain, "blocks": [_section("\n".join(lines) + _skipped_line(skipped))]}


def hlr_failed(numbers: list[Any], detail: str, *, user_id: str) -> dict[str, Any]:
    user, why = f"<@{escape(user_id)}>", escape(detail)
    if len(numbers) == 1:
        number = digits_display(str(numbers[0]))
        text = _("HLR check of {number} for {user} did not finish: {detail}").format(number=number, user=user, detail=why)
        plain = _("HLR check of {number} failed: {detail}").format(number=number, detail=why)
    else:
        n = figure(len(numbers))
        text = ngettext(
            "HLR check of {n} number for {user} did not finish: {detail}",
            "HLR check of {n} numbers for {user} did not finish: {detail}",
            len(numbers),
        ).format(n=n, user=user, detail=why)
        plain = ngettext("HLR check of {n} number failed: {detail}", "HLR check of {n} numbers failed: {detail}", len(numbers)).format(
            n=n, detail=why
        )
    return {"text": fallback(plain), "blocks": [_section(":x: " + text)]}
