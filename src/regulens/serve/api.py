"""The JSON API's typed answers and its OpenAPI document (generated from these models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from regulens import __version__


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")


class RunSummary(_Frozen):
    """One recorded run."""

    run_id: str
    stream: str
    seq: int
    at: str
    recorded_at: str
    command: str
    decision: str
    exit_code: int | None
    summary: dict[str, int]
    change: str | None


class RunPage(_Frozen):
    """A page of runs, newest first."""

    total: int = Field(ge=0)
    page: int = Field(ge=1)
    limit: int = Field(ge=1)
    runs: list[RunSummary]


class Result(_Frozen):
    """One recorded result."""

    policy: str
    rule: str
    status: str
    severity: str
    resource: str
    message: str


class InputDigest(_Frozen):
    """The digest of one input section of a run."""

    section: str
    digest: str
    source: str


class RunDetail(RunSummary):
    """A run with its results, input digests, verification state and replay command."""

    digest: str
    policies_digest: str
    inputs: list[InputDigest]
    results: list[Result]
    verification: str
    verification_message: str
    replay: str


class StreamOverview(_Frozen):
    """One stream of the fleet."""

    stream: str
    runs: int
    last_run_at: str | None
    age_seconds: float | None  # of the newest run, now
    stale: bool  # no run, or the newest is older than the stale-after bound (26 h)
    last_decision: str | None
    last_decision_at: str | None
    incomplete: bool  # that decision rests on incomplete data (exit 2 or coverage gaps)
    coverage_gaps: list[str]  # what it could not read: "Role (403)"
    failing_policies: list[str]
    verification: str  # this stream's chain on its own: verified | integrity-only | failed
    verification_message: str


class Fleet(_Frozen):
    """Every stream, and the verdict on the store."""

    verification: str
    verification_message: str
    streams: list[StreamOverview]


class Problem(_Frozen):
    """An error answer."""

    error: str


_MODELS: tuple[type[BaseModel], ...] = (RunPage, RunDetail, Fleet, Problem)
_RUN_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$"}
_STREAM = {"type": "string", "maxLength": 128, "pattern": "^[A-Za-z0-9][A-Za-z0-9._/:-]*$"}


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in _MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _answer(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
    }


_ERRORS = {
    "400": _answer("Problem", "A query parameter is not valid"),
    "401": _answer("Problem", "Not signed in"),
    "429": _answer("Problem", "Too many failed sign-ins"),
    "503": _answer("Problem", "The evidence store failed or does not verify"),
}


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api."""
    query = [
        ("stream", _STREAM),
        ("period", {"type": "string", "maxLength": 16}),
        ("decision", {"type": "string", "enum": ["allow", "deny", "deny-incomplete"]}),
        ("policy", {"type": "string", "maxLength": 128}),
        ("page", {"type": "integer", "minimum": 1, "maximum": 100000}),
        ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "regulens portal API", "version": __version__},
        "components": {
            "schemas": _components(),
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
        "paths": {
            "/api/streams": {
                "get": {
                    "operationId": "fleet",
                    "summary": "Every stream and the verification verdict",
                    "responses": {"200": _answer("Fleet", "The fleet"), **_ERRORS},
                }
            },
            "/api/runs": {
                "get": {
                    "operationId": "listRuns",
                    "summary": "Recorded runs, filtered, newest first",
                    "parameters": [
                        {"name": n, "in": "query", "required": False, "schema": s} for n, s in query
                    ],
                    "responses": {"200": _answer("RunPage", "A page of runs"), **_ERRORS},
                }
            },
            "/api/runs/{run_id}": {
                "get": {
                    "operationId": "getRun",
                    "summary": "One run in detail",
                    "parameters": [
                        {"name": "run_id", "in": "path", "required": True, "schema": _RUN_ID}
                    ],
                    "responses": {
                        "200": _answer("RunDetail", "The run"),
                        "404": _answer("Problem", "No such run"),
                        **_ERRORS,
                    },
                }
            },
        },
    }
