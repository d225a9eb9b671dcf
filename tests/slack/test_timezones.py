"""Each person's time zone from their Slack profile, asked through the real client."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackState
from bot.slack.timezones import UserTimezones


async def test_a_persons_own_zone_is_used_and_remembered(slack: SlackState) -> None:
    slack.config.timezones["U0ANNA"] = "Asia/Tokyo"
    zones = UserTimezones(AsyncWebClient(token=slack.config.bot_token, base_url=slack.config.public_url + "/api/"), default="Europe/Warsaw")
    assert (await zones.user_timezone("U0ANNA")).key == "Asia/Tokyo"
    asked = len(slack.calls)
    assert (await zones.user_timezone("U0ANNA")).key == "Asia/Tokyo"
    assert len(slack.calls) == asked  # remembered: no second users.info


async def test_an_unknown_person_or_a_failing_slack_gives_the_default(slack: SlackState) -> None:
    client = AsyncWebClient(token="xoxb-wrong", base_url=slack.config.public_url + "/api/")
    zones = UserTimezones(client, default="Europe/Warsaw")
    assert (await zones.user_timezone("U0NOBODY")).key == "Europe/Warsaw"


async def test_a_persons_language_comes_from_their_slack_locale(slack: SlackState) -> None:
    slack.config.locales["U0KASIA"] = "pl-PL"
    slack.config.locales["U0PIOTR"] = "de-DE"
    people = UserTimezones(
        AsyncWebClient(token=slack.config.bot_token, base_url=slack.config.public_url + "/api/"), default="Europe/Warsaw"
    )
    assert await people.user_language("U0KASIA") == "pl"
    assert await people.user_language("U0ANNA") == "en"  # Slack's default locale, en-US
    assert await people.user_language("U0PIOTR") is None  # a language we have no words for: BOT_LANGUAGE
    asked = len(slack.calls)
    assert (await people.user_timezone("U0KASIA")).key == "Europe/Warsaw" and len(slack.calls) == asked  # one users.info for both
