"""Alembic migrations of the evidence store (run programmatically when a store is opened)."""
