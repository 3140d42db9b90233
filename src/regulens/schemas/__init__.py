"""JSON Schemas generated from the pydantic models (the single source of truth)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel

from regulens.engine.baseline import FindingsBaseline
from regulens.engine.exceptions import ExceptionSet
from regulens.engine.policy import PolicySet
from regulens.policytest.model import PolicyTest
from regulens.reports.context import ControlsCatalog, ReportScope
from regulens.reports.facts import ComplianceReport, ReviewPack
from regulens.reports.fleet import FleetOverview
from regulens.snapshot.change import ChangeRequest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Documents regulens writes: their schema describes the serialised form (every field present).
OUTPUTS: dict[str, type[BaseModel]] = {
    "compliance-report.schema.json": ComplianceReport,
    "review-pack.schema.json": ReviewPack,
    "fleet-overview.schema.json": FleetOverview,
}
SCHEMAS: dict[str, type[BaseModel]] = {
    "policy.schema.json": PolicySet,
    "change-request.schema.json": ChangeRequest,
    "exception-set.schema.json": ExceptionSet,
    "policy-test.schema.json": PolicyTest,
    "findings-baseline.schema.json": FindingsBaseline,
    "report-scope.schema.json": ReportScope,
    "controls-catalog.schema.json": ControlsCatalog,
    **OUTPUTS,
}


def generate(model: type[BaseModel], name: str) -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of a document model, by alias.

    Documents regulens reads are described as they are validated, documents it writes
    (`OUTPUTS`) as they are serialised.
    """
    mode: Literal["validation", "serialization"] = (
        "serialization" if name in OUTPUTS else "validation"
    )
    schema = model.model_json_schema(by_alias=True, mode=mode)
    return {"$schema": SCHEMA_DIALECT, "$id": f"https://regulens.dev/schemas/{name}", **schema}


def render(model: type[BaseModel], name: str) -> str:
    """Return the committed text form of a schema."""
    return json.dumps(generate(model, name), indent=2, sort_keys=True) + "\n"


def committed(name: str) -> dict[str, Any]:
    """Load a committed schema shipped with the package."""
    text = (resources.files("regulens.schemas") / name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
