"""The container image (built by `make image`; `make image-test` runs these tests against it):
its config, and regulens running inside it as a non-root user on a read-only root
filesystem with a writable /tmp, gating the examples mounted read-only."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess

import pytest

from tests.package.conftest import ROOT

IMAGE = os.environ.get("REGULENS_IMAGE", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not IMAGE, reason="builds the image first: run `make image-test`"),
]

NOW = "2026-11-30T01:30:00Z"


# `make image-test` passes the podman command and the rlimit flags this machine needs
PODMAN = shlex.split(os.environ.get("REGULENS_PODMAN", "podman"))
LIMITS = shlex.split(os.environ.get("REGULENS_PODMAN_LIMITS", ""))


def _podman(*argv: str) -> subprocess.CompletedProcess[str]:
    assert shutil.which(PODMAN[0]), "make image-test needs podman"
    return subprocess.run(
        [*PODMAN, *argv], capture_output=True, text=True, timeout=300, check=False
    )


def _run(*argv: str, entrypoint: str | None = None) -> subprocess.CompletedProcess[str]:
    options = ["run", "--rm", "--read-only", "--tmpfs", "/tmp", "--network", "none", *LIMITS]
    options += ["-v", f"{ROOT / 'examples'}:/work/ex:ro"]
    if entrypoint:
        options += ["--entrypoint", entrypoint]
    return _podman(*options, IMAGE, *argv)


def test_the_image_config_is_non_root_with_regulens_as_entrypoint() -> None:
    inspected = _podman("image", "inspect", IMAGE)
    assert inspected.returncode == 0, inspected.stderr
    (image,) = json.loads(inspected.stdout)
    config = image["Config"]
    assert config["Entrypoint"] == ["regulens"]
    assert config["User"] == "10001:10001"
    labels = config["Labels"]
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.version"] == "0.1.0"


def test_regulens_runs_in_the_image_on_a_read_only_root() -> None:
    version = _run("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "regulens, version 0.1.0"
    who = _run("-c", "import os; print(os.getuid(), os.getgid())", entrypoint="python3")
    assert who.stdout.split() == ["10001", "10001"], who.stderr
    no_pip = _run("-c", "import pip", entrypoint="/opt/regulens/bin/python")
    assert no_pip.returncode != 0 and "No module named 'pip'" in no_pip.stderr
    no_ensurepip = _run("-m", "ensurepip", "--version", entrypoint="python3")
    assert no_ensurepip.returncode != 0, no_ensurepip.stdout


@pytest.mark.parametrize(("change", "code"), [("allowed.yaml", 0), ("denied-missing-cab.yaml", 1)])
def test_a_gate_over_the_mounted_examples(change: str, code: int) -> None:
    gate = _run(
        "gate", "--change", f"ex/changes/{change}",
        "--policies", "builtin:ops-baseline", "--policies", "builtin:ops-incidents",
        "--manifests", "ex/platform", "--current-manifests", "ex/platform",
        "--backups", "ex/ops/backups.yaml", "--drills", "ex/ops/drills.yaml",
        "--metrics", "ex/ops/metrics.json", "--incidents", "ex/ops/incidents.yaml",
        "--alertmanager-silences", "ex/ops/alertmanager-silences.json",
        "--trivy-report", "ex/scans/api-v1.1.0.trivy.json",
        "--trivy-report", "ex/scans/worker-v1.1.0.trivy.json",
        "--trivy-report", "ex/scans/backup-v2.3.1.trivy.json", "--now", NOW,
        "--evidence", "sqlite:////tmp/evidence.db", "--format", "json",
    )  # fmt: skip
    assert gate.returncode == code, gate.stdout[-2000:] + gate.stderr[-2000:]
    assert json.loads(gate.stdout)["exit_code"] == code
