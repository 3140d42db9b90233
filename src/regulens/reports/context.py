"""What a report stands on: its scope (`kind: ReportScope`) and control titles
(`kind: ControlsCatalog`), both user documents read strictly (file:line:col on any problem).

Neither changes a computed fact: the scope is printed at the top of every format, and a
catalog only adds a title beside each control id (ids stay as the policies give them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from regulens.documents import load_documents, validate_document
from regulens.engine.policy import CONTROL
from regulens.errors import DocumentError, Problem

MAX_CONTROLS = 5000
LINE = r"^[^\x00-\x1f\x7f]*$"  # no control characters, no line breaks


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ReportScope(_Strict):
    """A `kind: ReportScope` document: the system a report covers and who owns it."""

    api_version: Literal["regulens/v1"] = Field(alias="apiVersion")
    kind: Literal["ReportScope"]
    system: str = Field(min_length=1, max_length=200, pattern=LINE, description="System name")
    owner: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=LINE, description="Accountable owner"
    )
    environment: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=LINE,
        description="Environment or cluster (default: the evidence streams reported)",
    )
    description: str | None = Field(default=None, max_length=2000, pattern=LINE)


class ControlEntry(_Strict):
    """One control of a catalog: its id as policies name it, and a short title."""

    id: str = Field(pattern=CONTROL, max_length=100, description="e.g. SOC2:CC6.3")
    title: str = Field(min_length=1, max_length=200, pattern=LINE)


class ControlsCatalog(_Strict):
    """A `kind: ControlsCatalog` document: titles for control ids."""

    api_version: Literal["regulens/v1"] = Field(alias="apiVersion")
    kind: Literal["ControlsCatalog"]
    name: str = Field(min_length=1, max_length=200, pattern=LINE)
    controls: tuple[ControlEntry, ...] = Field(min_length=1, max_length=MAX_CONTROLS)


def _one(path: str, model: type[Any], kind: str) -> Any:
    docs = [d for d in load_documents(path) if d.data is not None]
    if len(docs) != 1:
        raise DocumentError(
            [Problem(path, None, None, "", f"expected one {kind} document, found {len(docs)}")]
        )
    (doc,) = docs
    if not isinstance(doc.data, dict) or doc.data.get("kind") != kind:
        raise DocumentError([doc.problem(("kind",), f"expected kind: {kind}")])
    return validate_document(doc, model), doc


def load_scope(path: str) -> ReportScope:
    """Read a scope file (exit 3 with file:line:col on any problem)."""
    scope, _ = _one(path, ReportScope, "ReportScope")
    assert isinstance(scope, ReportScope)
    return scope


def load_catalog(path: str) -> dict[str, str]:
    """Read a controls catalog: id -> title; a duplicate id is an error."""
    catalog, doc = _one(path, ControlsCatalog, "ControlsCatalog")
    assert isinstance(catalog, ControlsCatalog)
    titles: dict[str, str] = {}
    problems = []
    for i, entry in enumerate(catalog.controls):
        if entry.id in titles:
            problems.append(doc.problem(("controls", i, "id"), f"duplicate control {entry.id!r}"))
        titles[entry.id] = entry.title
    if problems:
        raise DocumentError(problems)
    return titles


@dataclass(frozen=True, slots=True)
class ScopeFields:
    """The scope as the user gave it (a file, flags, or both: flags win)."""

    system: str | None = None
    owner: str | None = None
    environment: str | None = None
    description: str | None = None

    @classmethod
    def of(
        cls,
        scope: ReportScope | None,
        *,
        system: str | None = None,
        owner: str | None = None,
        environment: str | None = None,
    ) -> ScopeFields:
        """Merge a scope file and flags (a flag overrides the file's field)."""
        return cls(
            system=system or (scope.system if scope else None),
            owner=owner or (scope.owner if scope else None),
            environment=environment or (scope.environment if scope else None),
            description=scope.description if scope else None,
        )


def scope_facts(
    fields: ScopeFields, streams: Sequence[str], period: Mapping[str, Any]
) -> dict[str, Any]:
    """The scope block every format prints; the environment defaults to the streams."""
    return {
        "system": fields.system,
        "owner": fields.owner,
        "environment": fields.environment or (", ".join(streams) if streams else None),
        "environment_from": "given" if fields.environment else "streams",
        "streams": list(streams),
        "period": dict(period),
        "description": fields.description,
    }


__all__ = [
    "ControlsCatalog",
    "ReportScope",
    "ScopeFields",
    "load_catalog",
    "load_scope",
    "scope_facts",
]
