"""The JSON report and review pack follow their shipped JSON Schemas, which follow the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from regulens.reports.facts import ComplianceReport, ReviewPack
from regulens.schemas import OUTPUTS, committed, render
from tests.reports import month as m
from tests.reports.month import Month, fill_month, run_cli

REPORT_SCHEMA = "compliance-report.schema.json"
REVIEW_SCHEMA = "review-pack.schema.json"


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_shipped_report_schema_has_not_drifted(name: str) -> None:
    assert committed(name) == json.loads(render(OUTPUTS[name], name)), (
        f"{name} drifted from reports/facts.py: run `make schema` and commit"
    )


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Month:
    from tests.conftest import EXAMPLES

    return fill_month(EXAMPLES, tmp_path_factory.mktemp("month"))


def _json(month: Month, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "out.json"
    argv = [*args, "--evidence", month.url, "--public-key", str(month.public_key)]
    assert run_cli(*argv, "--format", "json", "-o", str(out)) == 0
    data: dict[str, Any] = orjson.loads(out.read_bytes())
    return data


def _errors(document: dict[str, Any], name: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(committed(name))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_the_json_report_of_a_month_validates(month: Month, tmp_path: Path) -> None:
    facts = _json(month, tmp_path, "report", "--period", "2026-11")
    assert facts["summary"]["runs"] == m.DAYS  # a real report, not an empty one
    assert facts["policies"] and facts["controls"] and facts["gates"]["changes"]
    assert _errors(facts, REPORT_SCHEMA) == []
    # and it is the models' serialisation: it reads back, and dumps to the same document
    assert ComplianceReport.model_validate(facts).model_dump(mode="json") == facts


def test_the_json_review_pack_of_a_month_validates(month: Month, tmp_path: Path) -> None:
    facts = _json(month, tmp_path, "review", "--period", "2026-11")
    assert facts["summary"]["runs"] == m.DAYS
    assert facts["rbac_drift"]["available"] is True
    assert _errors(facts, REVIEW_SCHEMA) == []
    assert ReviewPack.model_validate(facts).model_dump(mode="json") == facts


def test_the_schema_rejects_what_the_models_reject(month: Month, tmp_path: Path) -> None:
    facts = _json(month, tmp_path, "report", "--period", "2026-11")
    extra = {**facts, "summary": {**facts["summary"], "surprise": 1}}
    wrong = {**facts, "kind": "regulens-monthly-review"}
    missing = {k: v for k, v in facts.items() if k != "evidence"}
    for bad in (extra, wrong, missing):
        assert _errors(bad, REPORT_SCHEMA), "the schema accepted a malformed report"
