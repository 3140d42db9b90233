"""Build Trivy JSON reports (SchemaVersion 2) for tests."""

from __future__ import annotations

import json
from typing import Any

SECRET = "AKIAQ7RLENS0EXAMPLEX"  # must never reach output


def report(
    *,
    image: str = "regulensai/api:v1.2.0",
    created: str | None = "2026-11-29T18:04:11.529340117Z",
    results: list[dict[str, Any]] | None = None,
    **top: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "SchemaVersion": 2,
        "Trivy": {"Version": "0.76.0"},
        "ArtifactName": image,
        "ArtifactType": "container_image",
        "Metadata": {
            "ImageID": "sha256:" + "5b" * 32,
            "RepoTags": [image],
            "RepoDigests": [image.split(":", maxsplit=1)[0] + "@sha256:" + "9c" * 32],
        },
        "Results": results if results is not None else [],
    }
    if created is not None:
        doc["CreatedAt"] = created
    doc.update(top)
    return doc


def vuln(vid: str, severity: str, fixed: str | None = "1.0.1", pkg: str = "libx") -> dict[str, Any]:
    out = {
        "VulnerabilityID": vid,
        "PkgName": pkg,
        "InstalledVersion": "1.0.0",
        "Severity": severity,
        "Title": f"{vid} title",
    }
    if fixed is not None:
        out["FixedVersion"] = fixed
    return out


def os_result(*vulns: dict[str, Any]) -> dict[str, Any]:
    return {"Target": "img (debian 12.8)", "Class": "os-pkgs", "Type": "debian",
            "Vulnerabilities": list(vulns)}  # fmt: skip


def misconfig(check_id: str, severity: str = "HIGH", **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Kubernetes Security Check",
        "ID": check_id,
        "Title": "Privileged",
        "Message": "Container 'c' of Deployment 'api' should set 'securityContext.privileged'",
        "Severity": severity,
        "Status": "FAIL",
        "CauseMetadata": {"StartLine": 12, "EndLine": 14},
        **extra,
    }


def secret_result() -> dict[str, Any]:
    return {
        "Target": "app/settings.py",
        "Class": "secret",
        "Secrets": [
            {
                "RuleID": "aws-access-key-id",
                "Category": "AWS",
                "Severity": "CRITICAL",
                "Title": "AWS Access Key ID",
                "StartLine": 3,
                "EndLine": 3,
                "Code": {"Lines": [{"Number": 3, "Content": f"KEY = '{SECRET}'"}]},
                "Match": f"KEY = '{SECRET}'",
            }
        ],
    }


def dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()
