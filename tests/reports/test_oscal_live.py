"""OSCAL from runs recorded against a live cluster (the fake API server), end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tests.reports.month import run_cli
from tests.reports.oscal_refs import dangling_references, resolve_import_ap
from tests.reports.oscal_venv import validate_oscal
from tests.support.fake_apiserver import KUBE_SYSTEM_UID


def _props(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in node.get("props", [])}


def test_live_runs_name_the_cluster_and_its_objects(kubeconfig: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'evidence.db'}"
    key = tmp_path / "signing.pem"
    assert run_cli("keys", "generate", "-o", str(key)) == 0
    for day in ("2026-11-02", "2026-11-03"):
        code = run_cli(
            "evaluate", "--record", "--policies", "builtin:ops-baseline",
            "--select", "workload-*", "--cluster", "--kubeconfig", str(kubeconfig),
            "--now", f"{day}T02:10:00Z", "--evidence", url, "--stream", "prod-eu",
            "--signing-key", str(key), "--format", "json", "-o", str(tmp_path / f"{day}.json"),
        )  # fmt: skip
        assert code in (0, 1)
    ar, ap = tmp_path / "ar.json", tmp_path / "ap.json"
    base = ["report", "--evidence", url, "--period", "2026-11", "--public-key", f"{key}.pub"]
    assert run_cli(*base, "--format", "oscal", "-o", str(ar)) == 0
    assert run_cli(*base, "--format", "oscal-ap", "-o", str(ap)) == 0
    validate_oscal(ar)
    validate_oscal(ap)
    results = orjson.loads(ar.read_bytes())
    assert dangling_references(results) == []
    resolve_import_ap(results)
    (result,) = results["assessment-results"]["results"]
    (cluster,) = result["local-definitions"]["components"]
    props = _props(cluster)
    assert props["stream"] == "prod-eu" and props["kubernetes-source"] == "kubernetes"
    assert props["cluster-uid"] == KUBE_SYSTEM_UID and props["api-server"].startswith("http")
    kinds = {_props(i)["kind"] for i in result["local-definitions"]["inventory-items"]}
    assert {"Namespace", "Deployment"} <= kinds
    assert len(result["assessment-log"]["entries"]) == 2
