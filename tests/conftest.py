"""Shared test configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.prometheus import prometheus_server  # noqa: F401 - a shared fixture

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples() -> Path:
    """The examples directory of the repository."""
    return EXAMPLES
