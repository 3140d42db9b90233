"""The GitHub Action, the GitLab template and the pre-commit hooks: read strictly, and their
shell parts run for real against the installed wheel and the extracted examples."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from regulens.documents.strict_yaml import load_text
from tests.package.conftest import ROOT, clean_env

pytestmark = pytest.mark.slow

NOW = "2026-11-30T01:30:00Z"
OPS = (
    "--backups ex/ops/backups.yaml --drills ex/ops/drills.yaml --metrics ex/ops/metrics.json"
    " --incidents ex/ops/incidents.yaml --alertmanager-silences ex/ops/alertmanager-silences.json"
    " --trivy-report ex/scans/api-v1.1.0.trivy.json"
    " --trivy-report ex/scans/worker-v1.1.0.trivy.json"
    f" --trivy-report ex/scans/backup-v2.3.1.trivy.json --now {NOW}"
)


def _strict(path: Path) -> Any:
    (doc,) = load_text(path.read_text(), str(path))
    return doc.data


def test_the_integration_files_are_strict_yaml() -> None:
    for path in (
        ROOT / "action.yml",
        ROOT / ".pre-commit-hooks.yaml",
        ROOT / "ci" / "gitlab" / "regulens.gitlab-ci.yml",
    ):
        assert _strict(path), path


def _workspace(installed: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    work = tmp_path / "workspace"
    work.mkdir()
    env = clean_env(PATH=f"{installed}:/usr/bin:/bin", HOME=str(tmp_path), CI="true")
    env.pop("REGULENS_EVIDENCE", None)
    env.pop("REGULENS_ALLOW_UNSIGNED", None)
    for argv in (["regulens", "examples", "--extract", "ex"],
                 ["regulens", "keys", "generate", "-o", str(tmp_path / "key.pem")]):  # fmt: skip
        done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    return work, env


_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _run_action(
    inputs: dict[str, str], work: Path, env: dict[str, str], tmp_path: Path
) -> tuple[int, Path, Path]:
    """Run the composite action's gate step the way the runner does: `${{ inputs.X }}`
    replaced by the input or its default, GITHUB_* files, bash."""
    action = _strict(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    declared = action["inputs"]
    assert set(inputs) <= set(declared)
    values = {name: inputs.get(name, spec.get("default", "")) for name, spec in declared.items()}
    missing = [n for n, spec in declared.items() if spec.get("required") and n not in inputs]
    assert not missing, missing

    def expand(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            expression = match.group(1)
            assert expression.startswith("inputs."), expression  # nothing else is expanded
            return values[expression.removeprefix("inputs.")]

        return _EXPR.sub(one, text)

    summary, output = tmp_path / "summary.md", tmp_path / "github_output"
    step_env = {
        **env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(tmp_path),
    }
    (gate,) = [s for s in action["runs"]["steps"] if s.get("id") == "gate"]
    step_env.update({k: expand(str(v)) for k, v in gate["env"].items()})
    assert gate["shell"] == "bash"
    done = subprocess.run(
        ["bash", "-c", expand(gate["run"])],
        cwd=work,
        env=step_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stderr
    return done.returncode, summary, output


def test_the_action_gates_writes_the_summary_sarif_and_a_signed_record(
    installed: Path, tmp_path: Path
) -> None:
    work, env = _workspace(installed, tmp_path)
    store = f"sqlite:///{tmp_path / 'evidence.db'}"
    inputs = {
        "policies": "builtin:ops-baseline builtin:ops-incidents",
        "manifests": "ex/platform",
        "current-manifests": "ex/platform",
        "change": "ex/changes/allowed.yaml",
        "extra-args": OPS,
        "evidence-url": store,
        "signing-key": (tmp_path / "key.pem").read_text(),
        "stream": "github/pr-1",
    }
    code, summary, output = _run_action(inputs, work, env, tmp_path)
    assert code == 0
    assert output.read_text() == "exit-code=0\n"
    assert "allow" in summary.read_text().lower()
    sarif = (work / "regulens.sarif").read_text()
    assert '"version": "2.1.0"' in sarif or '"version":"2.1.0"' in sarif
    verified = subprocess.run(
        ["regulens", "evidence", "verify", "--evidence", store, "--stream", "github/pr-1",
         "--public-key", str(tmp_path / "key.pem.pub")],
        cwd=work, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert not list(tmp_path.glob("regulens.*")), "the key's scratch directory is removed"

    inputs["change"] = "ex/changes/denied-missing-cab.yaml"
    output.unlink()
    code, _, output = _run_action(inputs, work, env, tmp_path)
    assert code == 1
    assert output.read_text() == "exit-code=1\n"
    assert "change-approval" in (work / "regulens.sarif").read_text()
    assert summary.read_text().lower().count("deny") >= 1  # appended to the job summary


def test_the_action_under_ci_without_a_store_fails_closed(installed: Path, tmp_path: Path) -> None:
    work, env = _workspace(installed, tmp_path)
    inputs = {"manifests": "ex/platform", "change": "ex/changes/allowed.yaml", "extra-args": OPS}
    inputs["policies"] = "builtin:ops-baseline builtin:ops-incidents"
    code, _, output = _run_action(inputs, work, env, tmp_path)
    assert code == 3  # CI=true: recording needs an explicit store and key, never an allow
    assert output.read_text() == "exit-code=3\n"


def test_the_gitlab_template_script_runs_and_writes_a_junit_report(
    installed: Path, dists: Any, tmp_path: Path
) -> None:
    work, env = _workspace(installed, tmp_path)
    template = _strict(ROOT / "ci" / "gitlab" / "regulens.gitlab-ci.yml")
    job = template["regulens-gate"]
    assert job["artifacts"]["reports"]["junit"] == "regulens-junit.xml"
    job_env = {
        **env,
        **{k: str(v) for k, v in job["variables"].items()},
        "GITLAB_CI": "true",
        "REGULENS_REQUIREMENT": str(dists.wheel),  # installed already: pip has nothing to do
        "REGULENS_CHANGE": "ex/changes/allowed.yaml",
        "REGULENS_ARGS": "--policies builtin:ops-baseline --policies builtin:ops-incidents "
        f"--manifests ex/platform "
        f"--current-manifests ex/platform {OPS}",
        "REGULENS_EVIDENCE": f"sqlite:///{tmp_path / 'evidence.db'}",
        "REGULENS_SIGNING_KEY": str(tmp_path / "key.pem"),
    }
    script = "set -e\n" + "\n".join(job["script"])
    done = subprocess.run(
        ["bash", "-c", script], cwd=work, env=job_env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    suite = ET.parse(work / "regulens-junit.xml").getroot()
    assert suite.iter("testcase")
    for path in job["artifacts"]["paths"]:
        assert (work / path).is_file(), path


def _hook(hook_id: str) -> dict[str, Any]:
    (hook,) = [h for h in _strict(ROOT / ".pre-commit-hooks.yaml") if h["id"] == hook_id]
    return hook


def test_the_validate_hook_passes_the_policy_files_and_refuses_a_broken_one(
    installed: Path, tmp_path: Path
) -> None:
    hook = _hook("regulens-validate")
    files = re.compile(hook["files"])
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    policies = [f for f in tracked if files.search(f) and f.startswith("examples/")]
    assert policies == ["examples/policies/year-end-freeze.yaml"]
    env = clean_env(PATH=f"{installed}:/usr/bin:/bin")
    entry = hook["entry"].split()
    done = subprocess.run(
        [*entry, *policies], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    broken = tmp_path / "policies" / "broken.yaml"
    broken.parent.mkdir()
    broken.write_text((ROOT / policies[0]).read_text().replace("kind:", "kind: x\nkind:", 1))
    assert files.search("policies/broken.yaml")
    done = subprocess.run(
        [*entry, str(broken)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 3
    assert "broken.yaml:" in done.stderr


def test_the_evaluate_hook_runs_with_the_documented_args(installed: Path) -> None:
    hook = _hook("regulens-evaluate")
    assert hook["pass_filenames"] is False
    env = clean_env(PATH=f"{installed}:/usr/bin:/bin")
    args = ["--policies", "builtin:pod-security-baseline", "--manifests", "examples/platform"]
    done = subprocess.run(
        [*hook["entry"].split(), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    bad = ["--policies", "builtin:pod-security-restricted", "--manifests", "examples/platform"]
    done = subprocess.run(
        [*hook["entry"].split(), *bad],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1


def test_the_action_installs_with_the_script_the_installed_fixture_ran() -> None:
    # the `installed` fixture runs ci/install.sh exactly as this step does, with `version`
    # set to the freshly built wheel
    (step,) = [s for s in _strict(ROOT / "action.yml")["runs"]["steps"] if "id" not in s]
    assert step["run"] == 'bash "$GITHUB_ACTION_PATH/ci/install.sh"'
    assert step["env"] == {"REGULENS_REQUIREMENT": "${{ inputs.version }}"}


def test_install_without_a_requirement_or_action_path_stops(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "ci" / "install.sh")],
        env=clean_env(RUNNER_TEMP=str(tmp_path)),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "set REGULENS_REQUIREMENT" in done.stderr
