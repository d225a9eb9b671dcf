"""Contract tests: the mProfi client held to the vendor's spec v1.15, not to itself."""
