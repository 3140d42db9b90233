"""Shared test configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.postgres import postgres_server  # noqa: F401 - a shared fixture
from tests.support.prometheus import prometheus_server  # noqa: F401 - a shared fixture

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def _evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(autouse=True)
def _isolated_evidence(_evidence_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that record (gate, evaluate --record) never touch the user's own store."""
    monkeypatch.setenv("REGULENS_EVIDENCE", f"sqlite:///{_evidence_dir / 'evidence.db'}")
    monkeypatch.delenv("REGULENS_SIGNING_KEY", raising=False)


@pytest.fixture
def examples() -> Path:
    """The examples directory of the repository."""
    return EXAMPLES
