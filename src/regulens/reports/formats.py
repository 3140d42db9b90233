"""Output formats of the report commands (no renderer imports: read at CLI start-up)."""

from __future__ import annotations

COMPLIANCE_FORMATS = ("html", "markdown", "json", "oscal", "oscal-ap")
REVIEW_FORMATS = ("html", "markdown", "json")
