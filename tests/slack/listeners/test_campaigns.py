"""A CSV shared with a mention and the word campaign: the dry run is started (or the person
told why not), and never mistaken for an HLR check or a contacts import."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from bot.slack.listeners import hlr
from tests.slack.listeners.fakes import FakeDirectory, within_slack_time

if TYPE_CHECKING:
    from bot.bridge import Bridge

FILE = {"id": "F1", "name": "wizyty.csv", "filetype": "csv", "url_private_download": "https://files/F1"}


@dataclass
class FakeCampaigns:
    started: list[dict[str, Any]] = field(default_factory=list)

    async def start(self, **kwargs: Any) -> None:
        self.started.append(kwargs)


@dataclass
class FakeBridge:
    refusal: str | None = None
    campaigns: FakeCampaigns = field(default_factory=FakeCampaigns)
    told: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    directory: FakeDirectory = field(default_factory=lambda: FakeDirectory({"U0PIOTR": "Piotr Kowalski"}))

    def may_send(self, *, user_id: str, channel_id: str) -> str | None:
        return self.refusal

    async def tell_privately(self, *, channel_id: str, user_id: str, text: str, blocks: Any = None) -> None:
        self.told.append(text)

    async def check_numbers_in_file(self, **kwargs: Any) -> None:
        self.other.append("hlr")

    async def start_contacts_import(self, **kwargs: Any) -> None:
        self.other.append("contacts")


async def mention(text: str, bridge: FakeBridge) -> None:
    event = {"user": "U0ANNA", "channel": "C0GENERAL", "ts": "10.1", "text": text, "files": [FILE]}
    await within_slack_time(hlr.handle_mention(event, bridge=cast("Bridge", bridge)))


async def test_the_word_campaign_starts_a_dry_run_with_the_text_as_typed() -> None:
    bridge = FakeBridge()
    await mention("<@U0BOT> Kampania Dzień dobry {imię} &amp; do zobaczenia, <@U0PIOTR>", bridge)
    [started] = bridge.campaigns.started
    assert started["typed"].strip() == "Dzień dobry {imię} & do zobaczenia, Piotr Kowalski" and started["thread_ts"] == "10.1"
    assert started["trigger_id"] == "mention:C0GENERAL:10.1" and started["file"] == FILE
    assert bridge.other == [] and bridge.told == []


async def test_someone_who_may_not_send_is_told_why_and_nothing_starts() -> None:
    bridge = FakeBridge(refusal="You may not send SMS from this channel.")
    await mention("<@U0BOT> campaign #wizyta", bridge)
    assert bridge.told == ["You may not send SMS from this channel."] and bridge.campaigns.started == [] and bridge.other == []


async def test_without_the_word_a_csv_is_still_an_hlr_check() -> None:
    bridge = FakeBridge()
    await mention("<@U0BOT> check these", bridge)
    assert bridge.other == ["hlr"] and bridge.campaigns.started == []


async def test_the_word_campaign_without_a_file_is_answered_privately_and_punctuation_after_it_is_dropped() -> None:
    bridge = FakeBridge()
    event = {"user": "U0ANNA", "channel": "C0GENERAL", "ts": "10.2", "text": "<@U0BOT> kampania Dzień dobry", "files": []}
    await within_slack_time(hlr.handle_mention(event, bridge=cast("Bridge", bridge)))
    assert len(bridge.told) == 1 and bridge.told[0].startswith("Share the CSV in the same message as the mention")
    await mention("<@U0BOT> kampania: Dzień dobry {imię}", bridge)
    assert bridge.campaigns.started[0]["typed"] == "Dzień dobry {imię}"
