"""The side-by-side stage turns medians into targets: ratios, timeouts as lower bounds, gaps."""

from __future__ import annotations

from pathlib import Path

from bench.run import Case, Run, commands, side_by_side_targets


def cases(size: str, walls: dict[str, float], **status: tuple[str, str]) -> list[Case]:
    """One Case per tool of the bench at `size`; tools not in `walls` were not run."""
    out = []
    for tool in commands(Path("/x"), [], Path("/w")):
        case = Case(tool, "input", size, 10_000)
        if tool in walls:
            case.runs = [Run(walls[tool], walls[tool], 100.0 + walls[tool], 0)]
        else:
            case.status, case.note = status.get(tool, ("not run", "not selected (--peers)"))
        if tool in status and tool in walls:
            case.status, case.note = status[tool]
        out.append(case)
    return out


def by_name(targets: list) -> dict:
    return {t.name: t for t in targets}


def test_ten_k_ratios_and_a_peer_that_did_not_finish() -> None:
    walls = {"regulens": 2.0, "floor-yaml-rs": 1.0, "checkov": 250.0, "trivy": 150.0}
    got = by_name(
        side_by_side_targets(
            cases("10k", walls, trivy=("timeout", "did not finish in 150 s")), ["10k"]
        )
    )
    floor = got["10k objects from YAML vs the yaml-rs parse floor"]
    assert (floor.figure, floor.met, floor.direction) == (2.0, False, "≤")
    checkov = got["Checkov at 10k, x regulens from YAML"]
    assert (checkov.figure, checkov.met) == (125.0, True)
    trivy = got["Trivy at 10k, x regulens from YAML"]
    assert (trivy.figure, trivy.met) == (75.0, False)
    assert trivy.note == "did not finish in 150 s: at least this"
    gap = got["50k objects from a JSON snapshot vs the orjson parse floor"]
    assert gap.not_run == "--sizes did not include 50k"
    assert gap.figure is None


def test_fifty_k_snapshot_ratio_rss_and_a_failed_floor() -> None:
    walls = {"regulens": 8.0, "regulens-snapshot": 4.0, "floor-orjson": 1.0}
    got = by_name(
        side_by_side_targets(
            cases("50k", walls, **{"floor-orjson-eval": ("failed", "exit 1: boom")}), ["50k"]
        )
    )
    snap = got["50k objects from a JSON snapshot vs the orjson parse floor"]
    assert (snap.figure, snap.met) == (4.0, False)
    rss = got["50k objects from a JSON snapshot, peak RSS"]
    assert (rss.figure, rss.met) == (104.0, True)
    engine = got["50k objects from a JSON snapshot vs orjson parse + the pure engine in-process"]
    assert engine.not_run == "floor-orjson-eval: exit 1: boom"
    assert got["Checkov at 10k, x regulens from YAML"].not_run == "--sizes did not include 10k"


def test_stage_not_selected_lists_its_targets_as_not_run() -> None:
    targets = side_by_side_targets([], [], "stage not selected (--stages)")
    assert len(targets) == 5
    assert {t.not_run for t in targets} == {"stage not selected (--stages)"}
