"""Socket Mode, and the bridge with no public endpoint at all.

The app dials the Slack emulator's WebSocket (``apps.connections.open`` with the
app-level token) and gets events, slash commands and button presses as envelopes.
With ``public_endpoint=False`` nothing calls the app: inbound SMS come through the
``getincoming/`` catch-up poller and delivery statuses by PULL.
"""

from __future__ import annotations

import httpx
import pytest

from bot.app import create_app
from bot.preflight import StartupRefused
from tests.support import NUMBER, StackFactory, open_thread, status_lines


async def test_with_no_public_endpoint_a_whole_conversation_works(make_stack: StackFactory) -> None:
    async with make_stack(public_endpoint=False) as stack:
        assert stack.slack.config.events_url is None and stack.sim.config.webhook_url is None and stack.sim.config.push_url is None
        await stack.slack.sockets.wait_connected()
        record = await stack.phone_texts(NUMBER, "Bez publicznego adresu")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=10, what="the thread, via getincoming/")
        await stack.until(lambda: stack.replies(parent), timeout=10)
        assert record.attempts == []  # mProfi never called the bridge

        await stack.person_replies(parent, "Odpowiedź przez Socket Mode")
        sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        stack.sim.set_status(sent[0].id, "delivered")
        await stack.until(lambda: [m for m in status_lines(stack, parent) if ": delivered" in m.text], timeout=10, what="PULL status")

        response, _ = await stack.slack.run_command("/sms", "600 100 300 Przez komendę")
        assert response.json()["text"].startswith("Sending: +48 600 100 300")
        await stack.until(lambda: stack.sent_to("48600100300"), what="the /sms")
        await stack.drain()
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Odpowiedź przez Socket Mode"]
        assert len(stack.sent_to("48600100300")) == 1
        kinds = {envelope["type"] for envelope in stack.slack.sockets.sent}
        assert kinds == {"events_api", "slash_commands"}


async def test_after_slack_asks_for_a_refresh_the_app_reconnects_and_nothing_is_lost(make_stack: StackFactory) -> None:
    async with make_stack(socket_mode=True) as stack:
        await stack.slack.sockets.wait_connected()
        parent = await open_thread(stack)
        await stack.slack.sockets.refresh()  # Slack's "disconnect: refresh_requested"
        await stack.person_replies(parent, "Po ponownym połączeniu")
        await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS after the reconnect")
        await stack.drain()
        assert stack.slack.sockets.opened >= 2
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Po ponownym połączeniu"]


async def test_an_envelope_slack_sends_again_sends_the_sms_once(make_stack: StackFactory) -> None:
    async with make_stack(socket_mode=True) as stack:
        parent = await open_thread(stack)
        _message, envelope, response = await stack.slack.user_says(stack.channel, "U0ANNA", "Tylko raz", thread_ts=parent.ts)
        assert response.status_code == 200
        again = await stack.slack.deliver(envelope, retry_num=1)  # Slack did not see the ack in time
        assert again.status_code == 200
        await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        await stack.drain()
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Tylko raz"]


async def test_the_server_process_runs_in_socket_mode(make_stack: StackFactory) -> None:
    async with make_stack(app_process=True, public_endpoint=False) as stack:
        stack.sim.inject_inbound(NUMBER, "Do procesu")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=15, what="the thread")
        await stack.person_replies(parent, "Z procesu")
        await stack.until(lambda: stack.sent_to(NUMBER), timeout=10, what="the SMS")
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Z procesu"]


async def test_an_app_token_slack_refuses_stops_start_up_with_one_plain_line(make_stack: StackFactory) -> None:
    async with make_stack(socket_mode=True) as stack:
        settings = stack.settings().model_copy(update={"slack_app_token": stack.settings().slack_bot_token})
        app = create_app(settings)
        with pytest.raises(StartupRefused, match=r"Slack refused SLACK_APP_TOKEN for Socket Mode \(not_allowed_token_type\)"):
            async with app.router.lifespan_context(app):
                pass


async def test_without_a_signing_secret_slack_events_over_http_are_refused(make_stack: StackFactory) -> None:
    async with make_stack(public_endpoint=False) as stack:
        response = await stack.http.post(stack.app_url + "/slack/events", content=b"{}", headers={"Content-Type": "application/json"})
        assert response.status_code == 404
        assert "Socket Mode" in response.json()["error"]
        assert isinstance(response, httpx.Response)
