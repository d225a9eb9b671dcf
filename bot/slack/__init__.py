"""Slack: the Bolt app (``bot.slack.app``), its listeners and the Block Kit messages.

Listeners acknowledge Slack and hand the work to the bridge; they hold no SQL and
make no slow calls before answering.
"""
