"""status/, getincoming/, getincoming_mobileapp/ and the survey calls.

Every answer carries the spec's fields and no others, so a client that relies on an
undocumented key (an ``id`` on incoming messages, say) fails here first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox.mprofi.rules import WARSAW, Text, check_msisdn, parse_range_date
from bot.sandbox.mprofi.state import SimSurvey, SimulatorState
from bot.sandbox.mprofi.validation import Fields, Refused, error

__all__ = [
    "incoming",
    "status",
    "status_ts",
    "survey_detail",
    "survey_report",
    "survey_start",
    "surveys",
]

Handler = Callable[[SimulatorState, Request, Fields], Awaitable[Response]]


def status_ts(ts: datetime | None) -> str | None:
    """status/'s ``ts``: null, or ISO 8601 like ``2015-01-01T09:51:32.431000+01:00``."""
    return ts.astimezone(WARSAW).isoformat(timespec="microseconds") if ts else None


async def status(state: SimulatorState, request: Request, fields: Fields) -> Response:
    raw = fields.get("id")
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()):
        return error(400, Text.BAD_ID)
    message = state.messages.get(int(raw))
    if message is None:
        return JSONResponse({"detail": "Not found."}, status_code=404)
    return JSONResponse({"id": message.id, "status": message.status, "reference": message.reference, "ts": status_ts(message.ts)})


def incoming(mobileapp: bool) -> Handler:
    """getincoming/ (or its mobile-app twin): messages in [date_from, date_to], oldest first."""

    async def handler(state: SimulatorState, request: Request, fields: Fields) -> Response:
        start = parse_range_date(fields.get("date_from"))
        if start is None:
            return error(400, Text.bad_value("date_from"))
        end = parse_range_date(fields.get("date_to"))
        if end is None:
            return error(400, Text.bad_value("date_to"))
        if end < start:
            return error(400, Text.RANGE_ORDER)
        found = sorted((m for m in state.incoming if m.mobileapp == mobileapp and start <= m.ts <= end), key=lambda m: m.ts)
        return JSONResponse(
            [
                {
                    "message": m.message,
                    "sender": m.sender,
                    "recipient": m.recipient,
                    "ts": m.ts.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S"),
                }
                for m in found
            ]
        )

    return handler


def _local(moment: datetime) -> str:
    """Survey times as the spec prints them: '2016-05-07T18:02:00' (Polish time)."""
    return moment.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M:%S")


def _survey_json(survey: SimSurvey, detail: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": survey.id,
        "name": survey.name,
        "created_at": _local(survey.created_at),
        "active": survey.active,
        "start": _local(survey.start),
        "end": _local(survey.end),
    }
    if detail:
        body["msisdn"] = survey.msisdn
        body["participants"] = len(survey.responses)
    return body


def _survey(state: SimulatorState, request: Request) -> SimSurvey:
    survey = state.surveys.get(int(request.path_params["survey_id"]))
    if survey is None:
        raise Refused(JSONResponse({"detail": "Not found."}, status_code=404))
    return survey


async def surveys(state: SimulatorState, request: Request, fields: Fields) -> Response:
    return JSONResponse([_survey_json(state.surveys[i], False) for i in sorted(state.surveys)])


async def survey_detail(state: SimulatorState, request: Request, fields: Fields) -> Response:
    return JSONResponse(_survey_json(_survey(state, request), True))


async def survey_start(state: SimulatorState, request: Request, fields: Fields) -> Response:
    """200 with no body once started; 400 when msisdn is missing or not a number."""
    survey = _survey(state, request)
    msisdn = check_msisdn(fields.get("msisdn"))
    if msisdn is None:
        return error(400, Text.BAD_MSISDN)
    if not survey.active:
        return error(400, Text.SURVEY_INACTIVE)
    survey.responses.setdefault(msisdn, {"answers": [], "finished": None})
    return Response(status_code=200)


async def survey_report(state: SimulatorState, request: Request, fields: Fields) -> Response:
    survey = _survey(state, request)
    return JSONResponse(
        [
            {
                "msisdn": number,
                "answers": list(response["answers"]),
                "finished": _local(response["finished"]) if response["finished"] else None,
            }
            for number, response in survey.responses.items()
        ]
    )
