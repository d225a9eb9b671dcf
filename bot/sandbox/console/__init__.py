"""The sandbox's web console: phones, the Slack channel and the requests between them, on one local page."""
