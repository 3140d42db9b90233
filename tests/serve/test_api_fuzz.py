"""The JSON API fuzzed from its own OpenAPI document with schemathesis (bounded examples)."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from tests.reports.month import Month
from tests.serve.conftest import Signed


def test_openapi_document_is_served_without_sign_in(client: httpx.Client) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/api/streams", "/api/runs", "/api/runs/{run_id}"}


def test_api_conforms_to_its_openapi_document(base_url: str, signed: Signed, month: Month) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    headers = {"authorization": f"Bearer {signed.token}"}
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=20, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            nonlocal checked
            response = case.call(headers=headers, timeout=30)
            checked += 1
            case.validate_response(
                response,
                excluded_checks=[ignored_auth, negative_data_rejection, positive_data_acceptance],
            )
            assert response.status_code < 500, response.text

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert checked >= 30
    assert not failures, "\n".join(failures)
