"""Settings: defaults, per-purpose keys, and the problems ``serve`` reports."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings, SettingsError, load_settings


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_per_purpose_keys_fall_back_to_the_sending_key() -> None:
    keys = settings(mprofi_api_key="send", mprofi_hlr_key="hlr").mprofi_keys()
    assert (keys.send, keys.receive, keys.hlr, keys.mms) == ("send", "send", "hlr", "send")


def test_defaults_follow_the_contract() -> None:
    value = settings()
    assert value.slack_api_url == "https://slack.com/api/"
    assert value.mprofi_api_url == "https://api.mprofi.pl/1.0/"
    assert value.mprofi_webhook_header == "Authorization"
    assert value.database_url.startswith("sqlite:///") and value.port == 3000
    assert settings(slack_api_url="http://127.0.0.1:9/api").slack_api_url == "http://127.0.0.1:9/api/"


def test_secrets_do_not_show_in_reprs() -> None:
    text = repr(settings(slack_bot_token="xoxb-secret-value", mprofi_api_key="abcdef0123"))
    assert "xoxb-secret-value" not in text and "abcdef0123" not in text


def test_a_complete_configuration_has_no_problems() -> None:
    value = settings(slack_bot_token="xoxb-1", slack_signing_secret="s", mprofi_api_key="k", slack_channel="C0ABC1234")
    assert value.problems_for_serve() == []


def test_socket_mode_needs_no_signing_secret_but_http_does() -> None:
    socket_only = settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1", mprofi_api_key="k", slack_channel="C0ABC1234")
    assert socket_only.problems_for_serve() == []
    http = settings(slack_bot_token="xoxb-1", mprofi_api_key="k", slack_channel="C0ABC1234")
    assert http.problems_for_serve() == ["SLACK_SIGNING_SECRET is missing: set it in the environment or in .env."]


def test_placeholders_and_wrong_token_kinds_are_reported() -> None:
    value = settings(
        slack_bot_token="xoxb-your-token",
        slack_signing_secret="s",
        mprofi_api_key="k",
        slack_channel="C0123456789",
        slack_app_token="xoxb-1",
    )
    problems = value.problems_for_serve()
    assert "SLACK_BOT_TOKEN still holds the README's example value; put the real one in." in problems
    assert "SLACK_CHANNEL still holds the README's example value; put the channel's real ID in." in problems
    assert any(p.startswith("SLACK_APP_TOKEN must be an app-level token starting with xapp-") for p in problems)


def test_bad_values_become_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "99999")
    monkeypatch.setenv("WORKER_COUNT", "0")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith("PORT: ")
