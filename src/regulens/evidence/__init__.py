"""The tamper-evident evidence store."""
