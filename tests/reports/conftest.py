"""Fixtures for the report tests: a simulated month of stored runs."""

from __future__ import annotations

from typing import Any

import pytest

from regulens.reports.compliance import compliance_facts
from regulens.reports.review import review_facts
from regulens.reports.runs import RunRecord, month_period
from tests.reports.statements import TOOL, VERIFIED, signoff_record, simulated_month
from tests.support.fixtures import apiserver, fake, kubeconfig

__all__ = ["apiserver", "fake", "kubeconfig"]


@pytest.fixture(scope="session")
def month() -> tuple[list[RunRecord], dict[str, dict[str, Any]]]:
    """Thirty daily gate runs of November 2026 and their Kubernetes sections."""
    return simulated_month()


@pytest.fixture(scope="session")
def compliance(month: tuple[list[RunRecord], dict[str, Any]]) -> dict[str, Any]:
    """The compliance facts of November 2026."""
    return compliance_facts(
        month[0],
        month_period("2026-11"),
        evidence=VERIFIED,
        generated_at="2026-12-01T08:00:00Z",
        tool=TOOL,
    )


@pytest.fixture(scope="session")
def review(month: tuple[list[RunRecord], dict[str, Any]]) -> dict[str, Any]:
    """The review facts of November 2026, signed once."""
    records, sections = month
    return review_facts(
        records,
        month_period("2026-11"),
        sections.get,
        evidence=VERIFIED,
        generated_at="2026-12-01T08:00:00Z",
        tool=TOOL,
        all_records=[*records, signoff_record(31)],
    )
