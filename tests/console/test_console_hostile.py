"""The console against requests its page never sends: other sites, odd hosts, bad bodies.

Whatever arrives, the console answers a 4xx with one JSON sentence (never a 500 or a
traceback), serves nothing outside its package, and never lets a shared file run as a page.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.api_client import ANNA, CHANNEL, PHONE, PIOTR, console_api, control, refusal
from tests.support import PNG


async def test_an_action_without_the_console_header_or_from_another_host_is_refused() -> None:
    async with console_api() as api:
        for headers in ({}, {"X-Console": "0"}):
            response = await api.http.post("/api/phones/add", headers=headers, json={"number": "600100300"})
            assert "console page" in refusal(response, 403)
        assert len(api.console.session.phones) == 2
        for method in ("GET", "POST"):
            response = await api.http.request(method, "/api/state", headers={"Host": "evil.example", "X-Console": "1"})
            assert response.status_code == 400
        page = await api.http.get("/", headers={"Host": "evil.example"})
        assert page.status_code == 400 and "<html" not in page.text.lower()


async def test_shared_files_show_inline_only_as_pictures_and_never_as_a_page() -> None:
    async with console_api() as api:
        thread = await api.text_in("Proszę o fakturę")
        page = b"<html><script>alert(document.cookie)</script></html>"
        for name, content, kind in (("faktura.html", page, "text/html"), ("zdjecie.png", PNG, "image/png")):
            data = {"user": PIOTR, "channel": CHANNEL, "text": "", "thread": thread}
            response = await api.post("say", data=data, files={"file": (name, content, kind)})
            assert response.status_code == 200, response.text
        by_name = {file.name: file_id for file_id, file in api.stack.slack.files.items()}
        html = await api.http.get(f"/api/files/{by_name['faktura.html']}")
        assert html.content == page and html.headers["content-type"] == "application/octet-stream"
        assert html.headers["content-disposition"].startswith("attachment") and html.headers["x-content-type-options"] == "nosniff"
        picture = await api.http.get(f"/api/files/{by_name['zdjecie.png']}")
        assert picture.content == PNG and picture.headers["content-type"] == "image/png"
        assert picture.headers["content-disposition"].startswith("inline")
        assert refusal(await api.http.get("/api/files/F99999999"), 404)


@pytest.mark.parametrize(
    "path",
    ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fsession.py", "/static/%2e%2e%2f%2e%2e%2fconfig.py", "/static//etc/passwd"],
)
async def test_nothing_outside_the_packages_static_folder_is_served(path: str) -> None:
    async with console_api() as api:
        response = await api.http.get(path)
        assert response.status_code == 404 and "import" not in response.text and "root:" not in response.text


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("phones/add", [1, 2], "JSON object"),
    ("phones/add", "600100300", "JSON object"),
    ("phones/add", {"number": 600100300}, "must be text"),
    ("phones/add", {"number": ["600100300"]}, "must be text"),
    ("phones/add", {"number": "6" * 100_000}, "too long"),
    ("phones/remove", {"digits": None}, "missing"),
    ("phones/text", {"digits": PHONE, "text": {"a": 1}}, "must be text"),
    ("phones/text", {"digits": 48600100200, "text": "hi"}, "must be text"),
    ("phones/survey", {"digits": PHONE, "survey": [1], "answer": "tak"}, "survey"),
    ("say", {"user": "U0ANNA\u0000", "channel": CHANNEL, "text": "hi"}, "not a member"),
    ("say", {"user": "../../etc/passwd", "channel": CHANNEL, "text": "hi"}, "not a member"),
    ("say", {"user": ANNA, "channel": "<script>", "text": "hi"}, "no channel"),
    ("say", {"user": ANNA, "channel": CHANNEL, "text": "hi", "thread": "1.000001"}, "thread is gone"),
    ("say", {"user": ANNA, "channel": CHANNEL, "text": 7}, "must be text"),
    ("act", {"user": ANNA, "channel": CHANNEL, "ts": "1.1", "block": "b", "action": "a"}, "gone"),
    ("act", {"user": ANNA, "channel": CHANNEL, "private": "p99.0", "block": "b", "action": "a"}, "gone"),
    ("modal/submit", {"view": "V1", "values": ["x"]}, "must be an object"),
    ("modal/submit", {"view": "V1", "values": {}}, "closed"),
    ("modal/submit", {"view": ["V1"], "values": {}}, "must be text"),
    ("modal/press", {"view": "V1", "block": "b", "action": "a"}, "closed"),
    ("switches", {"name": "mprofi_5xx", "on": 1}, "true or false"),
    ("switches", {"name": ["mprofi_5xx"], "on": True}, "must be text"),
]


async def test_bodies_of_the_wrong_shape_are_refused_with_a_sentence() -> None:
    async with console_api() as api:
        for action, body, words in BAD_BODIES:
            assert words in await api.refused(action, body), (action, body)
        for raw in (b"{", b"\xff\xfe", b"[" * 100_000, b"null"):
            assert refusal(await api.post("phones/add", content=raw))
        assert "no such action" in refusal(await api.post("launch", {}), 404)
        assert "does not take a GET" in refusal(await api.http.get("/api/say"), 405)
        assert api.stack.sim.standing_fault is None and len(api.console.session.phones) == 2
        state = await api.state(channel="<script>", user="\u0000", thread="../../")
        assert state["channel"] == CHANNEL and state["thread"] is None and state["private"] == ""


async def test_broken_or_overfull_forms_are_refused_with_a_sentence() -> None:
    async with console_api() as api:
        two = [("image", ("a.png", PNG, "image/png")), ("image", ("b.png", PNG, "image/png"))]
        assert "one file" in refusal(await api.post("phones/text", data={"digits": PHONE}, files=two))
        for content_type in ("multipart/form-data", "multipart/form-data; boundary="):
            response = await api.post("phones/text", content=b"--x\r\nbroken", headers={"content-type": content_type})
            assert refusal(response)
        big = {"digits": PHONE, "text": "x" * 2_000_000}  # a field over Starlette's 1 MB part limit
        assert refusal(await api.post("phones/text", data=big, files={"image": ("a.png", PNG, "image/png")}))
        assert api.stack.sim.incoming == []


async def test_huge_texts_meet_the_apps_own_limits_and_never_a_500() -> None:
    async with console_api() as api:
        huge = "Dzień dobry " * 9000  # about 100 KB
        assert (await api.post("phones/text", {"digits": PHONE, "text": huge})).status_code == 200
        await api.stack.drain()
        (record,) = api.stack.sim.incoming
        assert record.attempts and all(400 <= (a.status_code or 0) < 500 for a in record.attempts)  # the app's webhook refused it
        assert "webhook failed" in (await api.state())["phones"][0]["log"]
        thread = await api.text_in("Dzień dobry")
        assert (await api.post("say", {"user": ANNA, "channel": CHANNEL, "text": huge, "thread": thread})).status_code == 200
        assert (await api.post("say", {"user": ANNA, "channel": CHANNEL, "text": "/sms 600100200 " + huge})).status_code == 200
        await api.stack.drain()
        assert api.stack.sim.messages == {}  # nothing that long went out
        assert "over the limit" in (await api.state(user=ANNA))["private"]
        parent = api.stack.thread_of("600 100 200")
        assert parent is not None and "not sent" in api.stack.replies(parent)[-1].text


async def test_choices_no_slack_client_offers_are_refused_not_sent() -> None:
    async with console_api() as api:
        thread = await api.text_in("Proszę o kontakt")
        block = control((await api.state())["messages"], "card_assign")["block"]
        fields = {"user": ANNA, "channel": CHANNEL, "ts": thread, "block": block}
        assert "not a member" in await api.refused("act", {**fields, "action": "card_assign", "value": "U0NOBODY"})
        assert "choose an option" in await api.refused("act", {**fields, "action": "card_snooze", "value": {"x": 1}})
        assert "choose an option" in await api.refused("act", {**fields, "action": "card_snooze"})
        assert "changed since" in await api.refused("act", {**fields, "action": "card_launch"})
