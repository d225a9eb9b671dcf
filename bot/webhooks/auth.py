"""The shared secret every mProfi → bridge call must carry.

mProfi sends the token as the whole value of a header (``Authorization: <token>``
by default; the header name can be changed per customer). PUSH status calls cannot
carry headers, so ``?token=`` in the URL is accepted too.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

__all__ = ["webhook_authorized"]

_SCHEMES = ("bearer ", "token ")


def webhook_authorized(request: Request, *, token: str | None, header: str) -> bool:
    """True when ``token`` is unset (open webhooks) or the request carries it."""
    if not token:
        return True
    expected = token.encode()
    offered = [request.query_params.get("token", "")]
    value = request.headers.get(header, "").strip()
    offered.append(value)
    if value.lower().startswith(_SCHEMES):
        offered.append(value.split(" ", 1)[1].strip())
    # Compare every candidate so timing does not depend on which one matched.
    results = [hmac.compare_digest(candidate.encode(), expected) for candidate in offered]
    return any(results)
