"""Errors raised by the mProfi client, as types a caller can act on.

::

    MProfiError
    ├── AuthenticationError      401: no key, wrong key, wrong key type, inactive key
    ├── ValidationError          400: mProfi refused the request (code ERR000/1/2 + text)
    ├── NotFoundError            404: unknown message id, survey or HLR upload
    ├── NotSentError             the request never left and would not leave if repeated:
    │                            a URL httpx cannot use (no http(s) scheme, one that does
    │                            not parse),
    │                            a request it refused to build; a definite failure
    ├── RetryableError           nothing was accepted and the same request may go again:
    │                            connection refused, no address for the host name,
    │                            connect or pool timeout, a proxy that would not connect,
    │                            a body cut off while it was written; 429, 503
    ├── UncertainError           the request was written in full and the answer did not
    │                            come back (read timeout, a connection broken or closed
    │                            without an answer, 5xx after sending): an SMS may have
    │                            left, so the caller must not retry blindly
    └── ProtocolError            a 2xx answer the client cannot read

Which httpx exception becomes which is decided in :mod:`bot.mprofi.faults`::

    httpx.UnsupportedProtocol, httpx.InvalidURL          → NotSentError
    httpx.LocalProtocolError, a header that is not ASCII → NotSentError
                                   (UncertainError if the request was written in full)
    httpx.ConnectError (refused, DNS, TLS), ConnectTimeout,
    PoolTimeout, ProxyError                              → RetryableError
    WriteError, WriteTimeout, and any failure while the
    request was still being written                      → RetryableError
    ReadTimeout, ReadError, RemoteProtocolError ("Server
    disconnected without sending a response") and other
    failures once the request was written in full        → UncertainError
    httpx.DecodingError (an answer that does not decode) → UncertainError for a send,
                                                           ProtocolError otherwise

Error texts never contain API keys: the client never puts a request URL or body into
an exception, and mProfi's own answer is kept only as its ``detail``/code/text.
"""

from __future__ import annotations

__all__ = [
    "MProfiError",
    "AuthenticationError",
    "ValidationError",
    "NotFoundError",
    "NotSentError",
    "RetryableError",
    "UncertainError",
    "ProtocolError",
]


class MProfiError(Exception):
    """Root of every error the mProfi client raises."""

    def __init__(self, message: str, *, status_code: int | None = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.endpoint = endpoint


class AuthenticationError(MProfiError):
    """mProfi did not accept the key (HTTP 401)."""


class ValidationError(MProfiError):
    """mProfi refused the request as invalid (HTTP 400).

    ``code`` is mProfi's ``ERR000``/``ERR001``/``ERR002`` when it sent one and
    ``text`` its explanation.
    """

    def __init__(self, message: str, *, code: str | None, text: str, status_code: int = 400, endpoint: str = "") -> None:
        super().__init__(message, status_code=status_code, endpoint=endpoint)
        self.code = code
        self.text = text


class NotFoundError(MProfiError):
    """The thing asked for does not exist at mProfi (HTTP 404)."""


class NotSentError(MProfiError):
    """The request never left and would not leave if it were made again.

    A configuration problem (the mProfi URL, a key that cannot travel in a header):
    nothing reached mProfi, so nothing was sent or spent, and retrying is pointless
    until an admin fixes the setting. Show it as a plain failure.
    """


class RetryableError(MProfiError):
    """mProfi accepted nothing; the same request may safely be sent again.

    ``retry_after`` is mProfi's ``Retry-After`` in seconds when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, status_code: int | None = None, endpoint: str = "") -> None:
        super().__init__(message, status_code=status_code, endpoint=endpoint)
        self.retry_after = retry_after


class UncertainError(MProfiError):
    """The request reached mProfi but its answer was lost: it may have been carried out.

    For sends this means the SMS may have left. Show it as uncertain and let a
    person decide to resend; never retry automatically.
    """


class ProtocolError(MProfiError):
    """mProfi answered with something the client cannot read."""
