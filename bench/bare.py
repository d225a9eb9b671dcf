"""The baseline: Starlette + uvicorn answering the webhook's JSON and doing nothing else.

``python -m bench.bare --port N`` serves ``POST /mprofi/incoming`` the way the bridge
answers it (read the body, parse it, answer JSON), with no token check, no database
and no queue, so the ratio bridge / bare shows what the bridge's own work costs.
"""

from __future__ import annotations

import argparse
import json

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def incoming(request: Request) -> JSONResponse:
    json.loads(await request.body())
    return JSONResponse({"ok": True, "message_id": 1, "repeat": False})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/mprofi/incoming", incoming, methods=["POST"]), Route("/healthz", healthz)])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
