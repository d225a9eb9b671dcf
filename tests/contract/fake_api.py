"""A stand-in for api.mprofi.pl: records every request, answers with the spec's examples.

It knows nothing of our client; it only serves what the spec prints, so that the
requests can be held to spec_schema and the answers parsed as the spec shows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from bot.mprofi import MProfiClient, MProfiKeys
from tests.contract.spec_examples import API_KEY, BASE_URL, RESPONSES

__all__ = ["Answer", "RecordingApi", "spec_client"]

# hlr/download/ has no example in the spec: a small CSV report stands in.
HLR_REPORT_CSV = "msisdn,hlr_status_code,hlr_mccmnc,spn,valid\n48600100200,DELIVRD,26002,T-Mobile,true\n"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "application/json"


@dataclass
class RecordingApi:
    """The MockTransport handler: keeps each request, answers by path below /1.0/."""

    requests: list[httpx.Request] = field(default_factory=list)
    overrides: dict[str, Answer] = field(default_factory=dict)

    def answer(self, path: str, status: int, body: str, content_type: str = "application/json") -> None:
        """Serve ``body`` with ``status`` on ``path`` (below /1.0/) instead of the example."""
        self.overrides[path] = Answer(status, body, content_type)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.split("/1.0/", 1)[-1]
        answer = self.overrides.get(path) or self._example(path)
        headers = {"Content-Type": answer.content_type} if answer.body else {}
        return httpx.Response(answer.status, headers=headers, content=answer.body.encode())

    @staticmethod
    def _example(path: str) -> Answer:
        if path == "hlr/download/":
            return Answer(200, HLR_REPORT_CSV, "text/csv")
        if path in RESPONSES:
            return Answer(200, RESPONSES[path])
        if path.startswith("surveys/"):  # any survey id answers like survey 1
            generic = "surveys/1/" + path.split("/", 2)[2]
            if generic in RESPONSES:
                return Answer(200, RESPONSES[generic])
        return Answer(404, '{"detail": "Not found."}')

    def only(self) -> httpx.Request:
        """The single request made; fails when there were none or several."""
        assert len(self.requests) == 1, f"expected one request, got {[str(r.url) for r in self.requests]}"
        return self.requests[0]


@asynccontextmanager
async def spec_client(api: RecordingApi, key: str = API_KEY) -> AsyncIterator[MProfiClient]:
    """The real client over a MockTransport: no network, the spec's base URL."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(api.handle)) as http:
        yield MProfiClient(http, MProfiKeys.single(key), base_url=BASE_URL)
