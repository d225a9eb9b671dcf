"""HTTP endpoints mProfi calls: inbound messages and delivery statuses, plus health."""
