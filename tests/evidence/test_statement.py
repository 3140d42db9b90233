"""The recorded statement: the predicate contract, digests, redaction, determinism."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.outcome import Outcome
from regulens.evidence import RunMeta, build_statement, ci_metadata, open_store, record_run
from regulens.evidence.canonical import canonical_json, digest_of
from regulens.evidence.statement import PREDICATE_TYPE, REDACTED, STATEMENT_TYPE
from regulens.policies import LoadedPolicies, load_policies
from regulens.snapshot import Snapshot
from regulens.snapshot.change import ChangeRequest
from regulens.sources.manifests import read_manifests

NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
RECORDED = datetime(2026, 11, 30, 2, 11, 5, tzinfo=UTC)

SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: regulensai}
data: {password: c3VwZXItc2VjcmV0LXZhbHVl}
stringData: {token: plain-text-token-value}
"""

CHANGE = {
    "apiVersion": "regulens/v1",
    "kind": "ChangeRequest",
    "metadata": {"id": "CHG-1042"},
    "spec": {
        "title": "Roll out API 2.4",
        "category": "normal",
        "requester": "alice",
        "environment": "production",
        "scheduled": {"start": "2026-11-30T02:00:00+01:00", "end": "2026-11-30T03:00:00Z"},
    },
}


def _run(
    examples: Path, tmp_path: Path, *, change: bool = False
) -> tuple[Outcome, Snapshot, LoadedPolicies]:
    (tmp_path / "secret.yaml").write_text(SECRET)
    loaded = load_policies(["builtin:ops-baseline"])
    kubernetes = read_manifests([str(examples / "platform"), str(tmp_path / "secret.yaml")])
    snapshot = Snapshot(
        kubernetes=kubernetes, change=ChangeRequest.model_validate(CHANGE) if change else None
    )
    results = evaluate(loaded.policies, snapshot, EvalContext(now=NOW))
    return Outcome.of(decide(results), results, snapshot, NOW), snapshot, loaded


def _meta(**kw: object) -> RunMeta:
    return RunMeta(
        run_id="run-1",
        command="gate",
        stream="prod",
        recorded_at=RECORDED,
        **kw,  # type: ignore[arg-type]
    )


def test_statement_follows_the_predicate_contract(examples: Path, tmp_path: Path) -> None:
    outcome, snapshot, loaded = _run(examples, tmp_path, change=True)
    meta = _meta(ci={"provider": "gitlab-ci", "commit": "abc"}, tool_version="9.9.9")
    st = build_statement(outcome, snapshot, loaded, meta)
    assert st["_type"] == STATEMENT_TYPE
    assert st["predicateType"] == PREDICATE_TYPE
    out = outcome.to_json()
    assert st["subject"] == [
        {"name": "regulens-run:run-1", "digest": {"sha256": digest_of(out["results"])[7:]}}
    ]
    p = st["predicate"]
    assert {"run", "policies", "inputs", "change", "decision", "results", "coverage",
            "exceptions"} <= set(p)  # fmt: skip
    assert "signoff" not in p
    assert p["run"] == {
        "id": "run-1",
        "command": "gate",
        "stream": "prod",
        "now": "2026-11-30T02:10:00Z",
        "recorded_at": "2026-11-30T02:11:05Z",
        "tool": {"name": "regulens", "version": "9.9.9"},
        "ci": {"provider": "gitlab-ci", "commit": "abc"},
    }
    assert p["policies"]["digest"] == f"sha256:{loaded.digest}"
    assert p["policies"]["sources"] == list(loaded.sources)
    assert p["policies"]["ids"] == [x.id for x in loaded.policies]
    assert set(p["inputs"]) == {"kubernetes", "change"}
    assert p["inputs"]["kubernetes"]["source"] == "manifests"
    assert p["inputs"]["change"]["digest"].startswith("sha256:")
    assert p["change"] == {
        "id": "CHG-1042",
        "category": "normal",
        "environment": "production",
        "requester": "alice",
        "title": "Roll out API 2.4",
        "scheduled": {"start": "2026-11-30T01:00:00Z", "end": "2026-11-30T03:00:00Z"},
        "incident": None,
    }
    assert p["decision"] == {k: out[k] for k in ("decision", "exit_code", "summary")}
    assert p["results"] == out["results"]
    assert p["coverage"] == out["coverage"]
    assert p["exceptions"] == {"applied": [], "expired": [], "unused": []}


def test_signoff_only_for_review_signoff(examples: Path, tmp_path: Path) -> None:
    outcome, snapshot, loaded = _run(examples, tmp_path)
    signoff = {"month": "2026-11", "reviewer": "bob", "date": "2026-12-01", "notes": "ok"}
    meta = RunMeta("r", "review-signoff", "s", RECORDED, signoff=signoff)
    assert build_statement(outcome, snapshot, loaded, meta)["predicate"]["signoff"] == signoff
    st = build_statement(outcome, snapshot, loaded, _meta())
    assert st["predicate"]["change"] is None
    assert set(st["predicate"]["inputs"]) == {"kubernetes"}


def test_statement_bytes_are_deterministic(examples: Path, tmp_path: Path) -> None:
    outcome, snapshot, loaded = _run(examples, tmp_path)
    first = canonical_json(build_statement(outcome, snapshot, loaded, _meta()))
    second = canonical_json(build_statement(*_run(examples, tmp_path)[:3], _meta()))
    assert first == second
    assert orjson.loads(first)["predicate"]["run"]["id"] == "run-1"


def test_secret_values_never_reach_the_store(examples: Path, tmp_path: Path) -> None:
    outcome, snapshot, loaded = _run(examples, tmp_path)
    db = tmp_path / "e.db"
    with open_store(f"sqlite:///{db}") as store:
        rec = record_run(store, outcome=outcome, snapshot=snapshot, loaded=loaded, meta=_meta())
        digest = orjson.loads(rec.payload)["predicate"]["inputs"]["kubernetes"]["digest"]
        blob = store.blob(digest)
    assert blob is not None
    section = orjson.loads(blob.data)
    secrets = {
        r["object"]["metadata"]["name"]: r["object"]
        for r in section["resources"]
        if r["object"]["kind"] == "Secret"
    }
    secret = secrets["db"]
    assert secret["data"] == {"password": REDACTED}
    assert secret["stringData"] == {"token": REDACTED}
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("e.db*"))
    for value in (b"c3VwZXItc2VjcmV0LXZhbHVl", b"plain-text-token-value"):
        assert value not in raw


def test_ci_metadata_reads_only_the_given_mapping() -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": "abc", "GITHUB_TOKEN": "secret", "CI": "true"}
    assert ci_metadata(env) == {"provider": "github-actions", "commit": "abc"}
    assert ci_metadata({"CI": "true"}) == {"provider": "unknown"}
    assert ci_metadata({}) is None
