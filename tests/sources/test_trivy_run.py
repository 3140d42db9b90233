"""The real trivy binary, offline: config scans feed our checks; failed runs are errors."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest

from regulens.engine import EvalContext, Status, evaluate
from regulens.errors import ExitCode
from regulens.policies import load_policies
from regulens.snapshot import Snapshot
from regulens.sources.trivy import TrivyRunError, TrivyRunner, collect_scans
from tests.engine.helpers import NOW

pytestmark = pytest.mark.trivy

PRIVILEGED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: regulensai}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: regulensai/api:v1.2.0
          securityContext: {privileged: true}
"""


@pytest.fixture
def runner(trivy_binary: str, tmp_path: Path) -> TrivyRunner:
    return TrivyRunner(trivy_binary, str(tmp_path / "cache"), timedelta(seconds=120))


def test_config_scan_of_a_privileged_container_fails_scan_no_high_misconfig(
    runner: TrivyRunner, tmp_path: Path
) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "api.yaml").write_text(PRIVILEGED)
    scans = collect_scans([], runner, [str(manifests)])
    (rep,) = scans.reports
    assert rep.created_at is not None and rep.trivy_version
    ids = {m.id for m in rep.misconfigurations}
    assert "KSV-0017" in ids  # Privileged, HIGH
    policies = [p for p in load_policies(["builtin:ops-baseline"]).policies
                if p.id == "scan-no-high-misconfig"]  # fmt: skip
    results = evaluate(policies, Snapshot(scans=scans), EvalContext(now=NOW))
    privileged = [r for r in results if r.details.get("check") == "KSV-0017"]
    assert privileged and privileged[0].status is Status.FAIL
    loc = privileged[0].location
    assert loc is not None and loc.file == f"{manifests}/api.yaml" and loc.line is not None


def test_config_scan_of_one_file_locates_that_file(runner: TrivyRunner, tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(PRIVILEGED)
    (rep,) = collect_scans([], runner, [str(path)]).reports
    assert {m.target for m in rep.misconfigurations} == {str(path)}


def test_a_timed_out_run_is_an_error_never_no_findings(trivy_binary: str, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(PRIVILEGED)
    runner = TrivyRunner(trivy_binary, str(tmp_path / "cache"), timedelta(microseconds=1))
    with pytest.raises(TrivyRunError, match="timed out") as info:
        runner.config(str(tmp_path))
    assert info.value.exit_code is ExitCode.INCOMPLETE


def test_a_failed_run_is_an_error_naming_trivys_complaint(
    runner: TrivyRunner, tmp_path: Path
) -> None:
    with pytest.raises(TrivyRunError, match=r"trivy exited 1: .*no such file") as info:
        runner.config(str(tmp_path / "gone"))
    assert info.value.exit_code is ExitCode.INCOMPLETE


def _image_tar(path: Path) -> None:
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as t:
        osr = b"ID=debian\nVERSION_ID=12\n"
        info = tarfile.TarInfo("etc/os-release")
        info.size = len(osr)
        t.addfile(info, io.BytesIO(osr))
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"}})
    manifest = json.dumps(
        [{"Config": "config.json", "RepoTags": ["regulensai/api:v1.2.0"],
          "Layers": ["layer/layer.tar"]}]
    )  # fmt: skip
    with tarfile.open(path, "w") as t:
        for name, data in (("config.json", config.encode()), ("layer/layer.tar", layer.getvalue()),
                           ("manifest.json", manifest.encode())):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


def test_an_image_scan_without_a_vulnerability_database_is_an_error_with_a_hint(
    runner: TrivyRunner, tmp_path: Path
) -> None:
    archive = tmp_path / "api.tar"
    _image_tar(archive)
    with pytest.raises(TrivyRunError) as info:
        runner.image_archive(str(archive))
    assert info.value.hint is not None and "--trivy-report" in info.value.hint
