"""bench/startup.py: its targets and rows follow from the measured runs (no timing here)."""

from __future__ import annotations

import json
import shlex

import pytest

from bench import startup


def _cases(floor: float, version: float, gate: float | None) -> dict[str, startup.Case]:
    cases = {
        "python -c pass": startup.Case("python -c pass", [], walls=[floor] * 3, cpus=[floor] * 3),
        "regulens --version": startup.Case("regulens --version", [], walls=[version], cpus=[0.1]),
        "regulens --help": startup.Case("regulens --help", [], walls=[1.0, 9.0, 2.0], cpus=[1.0]),
        "evaluate": startup.Case("evaluate", [], walls=[0.2], cpus=[0.2]),
        "gate": startup.Case("gate", [], failures=["exit 4 (expected 0): store"]),
    }
    if gate is not None:
        cases["gate"] = startup.Case("gate", [], walls=[gate], cpus=[gate])
    return cases


def test_targets_are_ratios_to_python_and_absolute_seconds() -> None:
    targets = {t["name"]: t for t in startup.targets(_cases(0.02, 0.06, 0.5))}
    version = targets["regulens --version (wall, x python -c pass)"]
    assert version == {**version, "figure": 3.0, "unit": "x", "target": 4.0, "met": True}
    help_ = targets["regulens --help (wall, x python -c pass)"]
    assert help_["figure"] == 100.0 and help_["met"] is False  # the median, 2.0 s / 0.02 s
    gate = targets["regulens gate demo, signed, recording (wall)"]
    assert (gate["figure"], gate["target"], gate["met"]) == (0.5, 0.35, False)
    evaluate = targets["regulens evaluate example platform (wall)"]
    assert (evaluate["figure"], evaluate["met"]) == (0.2, True)
    json.dumps(list(targets.values()))  # the --json shape is plain JSON


def test_a_command_that_never_succeeded_is_not_measured_not_met() -> None:
    cases = _cases(0.02, 0.06, None)
    gate = next(t for t in startup.targets(cases) if t["name"].startswith("regulens gate"))
    assert gate["figure"] is None and gate["met"] is None
    rows = {r["name"]: r for r in startup.rows(list(cases.values()))}
    assert rows["gate"]["runs"] == 0 and rows["gate"]["failures"]
    assert rows["regulens --version"]["wall_x_floor"] == pytest.approx(3.0)


def test_the_measured_commands_are_the_documented_ones() -> None:
    evaluate = startup.evaluate_argv("regulens")
    assert evaluate[:2] == ["regulens", "evaluate"] and "--now" in evaluate
    gate = startup.gate_argv("regulens", "sqlite:///e.db", "k.pem")
    assert gate[gate.index("--evidence") + 1] == "sqlite:///e.db"
    assert gate[gate.index("--signing-key") + 1] == "k.pem"
    assert gate.count("--trivy-report") == 3 and "builtin:ops-incidents" in gate


def test_the_gate_is_the_makefile_demo_gate() -> None:
    makefile = (startup.ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(x for x in makefile.splitlines() if "$(BIN)/regulens gate " in x)
    demo = shlex.split(line.split("$(BIN)/regulens ", 1)[1])
    ours = startup.gate_argv("regulens", "$(DEMO_EVIDENCE)", "$(DEMO_KEY)")[1:]
    root = f"{startup.ROOT}/"
    assert [a.removeprefix(root) for a in ours] == demo
