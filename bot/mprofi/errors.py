"""Errors raised by the mProfi client, as types a caller can act on.

::

    MProfiError
    ├── AuthenticationError      401: no key, wrong key, wrong key type, inactive key
    ├── ValidationError          400: mProfi refused the request (code ERR000/1/2 + text)
    ├── NotFoundError            404: unknown message id, survey or HLR upload
    ├── RetryableError           nothing was accepted: connection refused, 429, 503
    ├── UncertainError           the request went out and the answer did not come back
    │                            (read timeout, 5xx after sending): an SMS may have left,
    │                            so the caller must not retry blindly
    └── ProtocolError            a 2xx answer the client cannot read

Error texts never contain API keys: the client never puts a request URL or body into
an exception, and mProfi's own answer is kept only as its ``detail``/code/text.
"""

from __future__ import annotations

__all__ = [
    "MProfiError",
    "AuthenticationError",
    "ValidationError",
    "NotFoundError",
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
