"""When an exchange with mProfi fails without an answer: did the request leave?

httpx raises one of its exceptions; what matters to the caller is whether mProfi can
have acted on the request. Three answers, each an error of :mod:`bot.mprofi.errors`:

* it never left and never will (a URL httpx cannot use, a request it refused to
  build): :class:`NotSentError`, a definite failure — repeating it changes nothing;
* it never left, or left only in part, and repeating it is safe (no connection, no
  address for the name, a full pool, a body cut off while it was written):
  :class:`RetryableError`;
* it was written in full and the answer did not come (read timeout, broken
  connection, a server that hung up without answering): :class:`UncertainError`.

"Written in full" is read from httpcore's ``trace`` extension (:class:`WriteWatch`),
because HTTP/1.1 hides a failed write: httpcore swallows the ``WriteError`` and tries
to read an early answer, so a server that hangs up in the middle of the body shows up
as a ``ReadError`` or ``RemoteProtocolError`` like one that hangs up after it. When
no trace arrives (a transport without httpcore, such as a test's mock), only the
exception's class is known and everything after connecting counts as uncertain but
``WriteError``/``WriteTimeout``.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.i18n import _
from bot.mprofi.errors import MProfiError, NotSentError, ProtocolError, RetryableError, UncertainError

__all__ = ["CAUGHT", "WriteWatch", "failure"]

# Nothing reached mProfi: no connection was made (refused, no address for the name,
# TLS refused, a proxy that would not open the way) or none was free in time.
_NOT_CONNECTED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)

# httpx cannot use the URL: no http(s) scheme, a port or host that does not parse.
_BAD_ADDRESS = (httpx.UnsupportedProtocol, httpx.InvalidURL)

# The request could not be made at all: h11 refused it (a control character in a
# header, a body of another length than announced) or a header is not ASCII (a key).
_UNBUILDABLE = (httpx.LocalProtocolError, UnicodeEncodeError)

# What is caught around one request: anything else is a bug, not a fault of the way.
CAUGHT: tuple[type[Exception], ...] = (httpx.HTTPError, httpx.InvalidURL, UnicodeEncodeError)


class WriteWatch:
    """httpcore's ``trace`` callback for one request: was it written in full?

    ``written`` is None while no request was started on a connection, False once its
    headers started and until its body has been handed over entirely, True after that.
    A proxy's CONNECT goes first on the same trace, so each new request starts over.
    """

    def __init__(self) -> None:
        self.written: bool | None = None

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith(".send_request_headers.started"):
            self.written = False
        elif event.endswith(".send_request_body.complete"):
            self.written = True


def failure(exc: BaseException, *, written: bool | None, endpoint: str, sends: bool) -> MProfiError:
    """The error for an exchange that ended in ``exc`` (one of :data:`CAUGHT`) before an answer could be read.

    ``written`` is :attr:`WriteWatch.written`; ``sends`` whether the request spends
    money (an unreadable answer to it may hide an SMS that left).
    """
    error = type(exc).__name__
    if isinstance(exc, _NOT_CONNECTED):
        return RetryableError(_("Could not connect to mProfi ({error}); nothing was sent.").format(error=error), endpoint=endpoint)
    if isinstance(exc, _BAD_ADDRESS):
        return NotSentError(
            _("The mProfi address cannot be used ({error}), so nothing was sent; an admin must check MPROFI_API_URL.").format(error=error),
            endpoint=endpoint,
        )
    if isinstance(exc, _UNBUILDABLE) and written is not True:
        return NotSentError(
            _(
                "The request to mProfi could not be made ({error}), so nothing was sent; an admin must check MPROFI_API_URL and the keys."
            ).format(error=error),
            endpoint=endpoint,
        )
    if isinstance(exc, httpx.DecodingError):  # an answer came, in an encoding that does not decode
        kind = UncertainError if sends else ProtocolError
        return kind(_("mProfi's answer to {endpoint} could not be decoded.").format(endpoint=endpoint), endpoint=endpoint)
    if written is False or (written is None and isinstance(exc, (httpx.WriteError, httpx.WriteTimeout))):
        return RetryableError(
            _("The request to mProfi could not be written in full ({error}); nothing was sent.").format(error=error),
            endpoint=endpoint,
        )
    if isinstance(exc, httpx.TimeoutException):
        return UncertainError(
            _("mProfi did not answer in time ({error}); the request may have been carried out.").format(error=error), endpoint=endpoint
        )
    return UncertainError(
        _("The connection to mProfi broke ({error}); the request may have been carried out.").format(error=error), endpoint=endpoint
    )
