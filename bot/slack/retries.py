"""Which failed Slack calls the client may repeat on its own.

slack_sdk retries a call once when the connection fails. For a call that creates
something (a message, a shared file) that is only safe when the request never left:
after a reset or a dropped connection Slack may well have posted it, and a blind
repeat would post it twice. Those failures go up to the job queue instead, whose
retry first looks for the earlier copy (:mod:`bot.bridge.posts`).
"""

from __future__ import annotations

from aiohttp import ClientConnectorError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

__all__ = ["CREATING_METHODS", "SafeConnectionErrorRetryHandler"]

CREATING_METHODS = ("chat.postMessage", "files.completeUploadExternal", "chat.postEphemeral")


class SafeConnectionErrorRetryHandler(AsyncConnectionErrorRetryHandler):
    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith(CREATING_METHODS):
            return isinstance(error, ClientConnectorError)  # never connected: nothing was sent
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)
