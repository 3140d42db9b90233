"""Kubernetes `wgpolicyk8s.io/v1alpha2` PolicyReport (per namespace) and ClusterPolicyReport.

Results about namespaced objects go to that namespace's PolicyReport; results
about cluster-scoped objects or about no object (the change request itself)
go to the ClusterPolicyReport. Each summary is derived from its results.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from regulens.engine.outcome import Outcome
from regulens.engine.results import Result, Summary

API_VERSION = "wgpolicyk8s.io/v1alpha2"


def _entry(r: Result, seconds: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "source": "regulens",
        "policy": r.policy,
        "rule": r.policy,
        "result": r.status.value,
        "severity": r.severity.value,
        "scored": True,
        "message": r.message,
        "timestamp": {"seconds": seconds, "nanos": 0},
        "properties": {"enforcement": r.enforcement.value, "controls": ",".join(r.controls)},
    }
    if r.exception is not None:
        entry["properties"]["exception"] = r.exception
    if r.resource is not None:
        entry["resources"] = [{k: v for k, v in r.resource.to_json().items() if v is not None}]
    return entry


def report_name(outcome: Outcome) -> str:
    """Return a DNS-1123 name: `regulens-<change id>` for a gate, else `regulens`."""
    if not outcome.change_id:
        return "regulens"
    slug = re.sub(r"[^a-z0-9-]+", "-", outcome.change_id.lower()).strip("-")
    return f"regulens-{slug}"[:63].rstrip("-")


def policy_reports(outcome: Outcome, *, name: str | None = None) -> list[dict[str, Any]]:
    """Build one PolicyReport per namespace (sorted) and one ClusterPolicyReport."""
    name = name or report_name(outcome)
    seconds = int(outcome.now.timestamp())
    by_ns: dict[str | None, list[Result]] = {}
    for r in outcome.results:
        ns = r.resource.namespace if r.resource is not None else None
        by_ns.setdefault(ns, []).append(r)
    labels = {"app.kubernetes.io/managed-by": "regulens"}
    if outcome.change_id:
        labels["regulens.io/change"] = outcome.change_id
    reports = []
    for ns in sorted(n for n in by_ns if n is not None):
        results = by_ns[ns]
        reports.append(
            {
                "apiVersion": API_VERSION,
                "kind": "PolicyReport",
                "metadata": {"name": name, "namespace": ns, "labels": labels},
                "summary": Summary.of(results).to_json(),
                "results": [_entry(r, seconds) for r in results],
            }
        )
    cluster = by_ns.get(None, [])
    reports.append(
        {
            "apiVersion": API_VERSION,
            "kind": "ClusterPolicyReport",
            "metadata": {"name": name, "labels": labels},
            "summary": Summary.of(cluster).to_json(),
            "results": [_entry(r, seconds) for r in cluster],
        }
    )
    return reports


def render_policyreport(outcome: Outcome, *, name: str | None = None) -> bytes:
    """Render the reports as multi-document YAML (for `kubectl apply -f`)."""
    docs = policy_reports(outcome, name=name)
    text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=1000)
    return text.encode("utf-8")
