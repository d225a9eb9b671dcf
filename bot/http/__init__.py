"""HTTP hardening around the bridge: limits, timeouts and the /slack/events guard.

Each module does one job: ``limits`` (ASGI middleware: requests at once, body
deadline), ``server`` (uvicorn options for ``serve``: header deadline, header size,
open connections), ``slack_guard`` (size, signature and shape of Slack's requests
before Bolt parses them) and ``bolt_logs`` (no request body in Bolt's log lines).
"""
