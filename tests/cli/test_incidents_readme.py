"""`make demo`'s gate and docs/policies.md's incident example (commands: tests/test_docs.py)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_gate_allows_with_the_incident_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.sub(r"\\\n\s*", " ", makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0])
    key = tmp_path / "signing.pem"
    variables = {
        "$(DEMO_EVIDENCE)": f"sqlite:///{tmp_path / 'evidence.db'}",
        "$(DEMO_KEY)": str(key),
        "$(DEMO_DIR)": str(tmp_path),
    }
    assert run_cli(["keys", "generate", "-o", str(key)], capsys)[0] == 0
    ran = []
    for raw in recipe.splitlines():
        command = raw.strip()
        if not command.startswith("$(BIN)/regulens "):
            continue
        for name, value in variables.items():
            command = command.replace(name, value)
        args = shlex.split(command)[1:]
        code, out, err = run_cli(args, capsys)
        assert code == 0, (args, out, err)
        ran.append(args[0])
    assert ran == ["gate", "evidence", "report", "review"]
    review = (tmp_path / "review.html").read_text()
    assert '<h2 id="incidents">Incidents</h2>' in review
    counts = "<td>1</td><td>1</td><td>1</td><td>1</td><td>4</td><td>1</td>"
    assert f"<td>incidents detected</td>{counts}" in review  # INC-2026-0158 is still open
    assert "no response-time breach this month" in review
    assert "no overdue action item" in review


def test_the_documented_records_example_is_valid(tmp_path: Path) -> None:
    from regulens.sources.incidents import read_incidents

    page = (ROOT / "docs" / "policies.md").read_text()
    body = page.split("## Incident response\n", 1)[1].split("\n## ", 1)[0]
    example = body.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "incidents.yaml"
    path.write_text(example)
    (incident,) = read_incidents(str(path)).incidents
    assert incident.id == "INC-2026-0150" and incident.review is not None
    assert incident.review.missing() == []
