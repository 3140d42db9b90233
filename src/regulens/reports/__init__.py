"""Renderers: every output format is a rendering of one `Outcome` (or of stored evidence)."""
