"""The JSON report, written result by result, is byte for byte the dump of `to_json()`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.outcome import Outcome
from regulens.policies import load_policies
from regulens.reports.json_report import render_json
from regulens.snapshot import Snapshot
from regulens.sources.manifests import read_manifests


def test_same_bytes_as_dumping_the_whole_document(examples: Path) -> None:
    policies = load_policies(["builtin:ops-baseline"]).policies
    snap = Snapshot(kubernetes=read_manifests([str(examples / "platform-noncompliant")]))
    now = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
    results = evaluate(policies, snap, EvalContext(now=now))
    assert len(results) > 2
    for subset in (results, results[:1], []):
        outcome = Outcome.of(decide(subset), subset, snap, now)
        whole = orjson.dumps(outcome.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
        assert render_json(outcome) == whole
