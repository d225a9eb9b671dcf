"""Local stand-ins for the outside world: an mProfi simulator (and a Slack emulator).

Used by the tests and by ``mprofi-slack demo``; they listen on loopback only.
"""
