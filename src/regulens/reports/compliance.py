"""The compliance report model: every fact an auditor's report shows, computed from stored runs.

`compliance_facts` is pure: verified records in, one frozen `ComplianceReport`
(reports/facts.py) out. Every renderer (JSON, Markdown, HTML, OSCAL) renders that
model and computes nothing of its own, so the formats cannot disagree. Each figure carries the
run ids it came from (`runs`), which the renderers turn into links.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from regulens.errors import InputDataError
from regulens.reports.assessed import SectionLookup, assessment
from regulens.reports.context import ScopeFields, scope_facts
from regulens.reports.facts import (
    REPORT_VERSION,
    ComplianceReport,
    CoverageGapFacts,
    EvidenceFacts,
    KpiPoint,
    KpiSeries,
    RunIndexEntry,
    RunRef,
    Tool,
    TrendPoint,
)
from regulens.reports.runs import Period, RunRecord, iso, parse_time

# Worst first: the status a policy gets in a run with several results.
_RANK = {"error": 0, "fail": 1, "warn": 2, "pass": 3, "skip": 4}
STATUSES = ("pass", "fail", "warn", "error", "skip")


def worst(statuses: Iterable[str]) -> str:
    """The worst of several statuses (error > fail > warn > pass > skip)."""
    return min(statuses, key=lambda s: _RANK.get(s, 0), default="skip")


def rate(passed: int, judged: int) -> float | None:
    """Pass rate in [0, 1], or None when nothing was judged."""
    return round(passed / judged, 4) if judged else None


def run_ref(record: RunRecord) -> dict[str, Any]:
    """The short reference of a run that every figure carries (as `RunRef` fields)."""
    return {"run": record.run_id, "at": record.at}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class _Tally:
    """Statuses of one policy (or control) across runs."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    runs: list[str] = field(default_factory=list)
    current: str | None = None
    current_run: str | None = None
    first_failure: dict[str, Any] | None = None
    last_failure: dict[str, Any] | None = None
    failures: list[str] = field(default_factory=list)

    def add(self, record: RunRecord, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        self.runs.append(record.run_id)
        self.current, self.current_run = status, record.run_id
        if status in ("fail", "warn"):
            ref = run_ref(record)
            self.first_failure = self.first_failure or ref
            self.last_failure = ref
            self.failures.append(record.run_id)

    def to_json(self) -> dict[str, Any]:
        judged = sum(self.counts[s] for s in ("pass", "fail", "warn", "error"))
        return {
            "evaluations": len(self.runs),
            "counts": dict(self.counts),
            "pass_rate": rate(self.counts["pass"], judged),
            "current_status": self.current,
            "current_run": self.current_run,
            "first_failure": self.first_failure,
            "last_failure": self.last_failure,
            "failure_runs": list(self.failures),
            "runs": list(self.runs),
        }


def policy_statuses(record: RunRecord) -> dict[str, str]:
    """The worst status of each policy in one run."""
    by_policy: dict[str, list[str]] = defaultdict(list)
    for r in record.results:
        by_policy[str(r.get("policy", ""))].append(str(r.get("status", "error")))
    return {p: worst(s) for p, s in by_policy.items()}


def _policy_meta(records: Sequence[RunRecord]) -> dict[str, dict[str, Any]]:
    meta: dict[str, dict[str, Any]] = {}
    for record in records:
        for r in record.results:
            pid = str(r.get("policy", ""))
            meta[pid] = {  # the newest run wins: titles and controls can change
                "policy": pid,
                "title": str(r.get("title", "")),
                "severity": str(r.get("severity", "")),
                "enforcement": str(r.get("enforcement", "")),
                "controls": [str(c) for c in r.get("controls") or ()],
            }
    return meta


def _evaluating(records: Sequence[RunRecord]) -> list[RunRecord]:
    return [r for r in records if r.command != "review-signoff" and r.results]


def policies_and_controls(records: Sequence[RunRecord]) -> tuple[list[Any], list[Any]]:
    """Per policy and per control: evaluations, pass rate, current status, first/last failure."""
    runs = _evaluating(records)
    meta = _policy_meta(runs)
    waived: dict[str, list[str]] = defaultdict(list)
    policy_tally: dict[str, _Tally] = defaultdict(_Tally)
    control_tally: dict[str, _Tally] = defaultdict(_Tally)
    control_policies: dict[str, set[str]] = defaultdict(set)
    for record in runs:
        statuses = policy_statuses(record)
        for pid in dict.fromkeys(
            str(r.get("policy")) for r in record.results if r.get("exception")
        ):
            waived[pid].append(record.run_id)
        per_control: dict[str, list[str]] = defaultdict(list)
        for pid, status in statuses.items():
            policy_tally[pid].add(record, status)
            for control in meta[pid]["controls"]:
                per_control[control].append(status)
                control_policies[control].add(pid)
        for control, found in per_control.items():
            control_tally[control].add(record, worst(found))
    policies = [
        {**meta[pid], **policy_tally[pid].to_json(), "waived_runs": waived.get(pid, [])}
        for pid in sorted(policy_tally, key=str)
    ]
    controls = []
    for control in sorted(control_tally):
        framework, _, ident = control.partition(":")
        controls.append(
            {
                "control": control,
                "framework": framework if ident else "",
                "id": ident or control,
                "policies": sorted(control_policies[control]),
                **control_tally[control].to_json(),
            }
        )
    return policies, controls


def pass_rate_trend(records: Sequence[RunRecord]) -> tuple[TrendPoint, ...]:
    """One point per evaluating run: the share of its judged policies that passed."""
    points = []
    for record in _evaluating(records):
        statuses = list(policy_statuses(record).values())
        judged = [s for s in statuses if s != "skip"]
        passed = sum(1 for s in judged if s == "pass")
        points.append(
            TrendPoint(
                run=record.run_id,
                at=record.at,
                stream=record.stream,
                command=record.command,
                passed=passed,
                judged=len(judged),
                pass_rate=rate(passed, len(judged)),
            )
        )
    return tuple(points)


def _blocking_reasons(record: RunRecord) -> list[str]:
    reasons = {
        str(r.get("policy"))
        for r in record.results
        if r.get("enforcement") == "deny" and r.get("status") in ("fail", "error")
    }
    return sorted(reasons)


def gate_decisions(records: Sequence[RunRecord]) -> dict[str, Any]:
    """Decisions on changes by category: allowed/denied, and the policies that denied."""
    by_category: dict[str, dict[str, Any]] = {}
    changes = []
    for record in records:
        # Every run that judged a change request: `gate`, or `evaluate --change`.
        if record.change is None or record.command == "review-signoff":
            continue
        change = record.change
        category = str(change.get("category") or "none")
        decision = str(record.decision.get("decision", "deny"))
        reasons = _blocking_reasons(record) if decision == "deny" else []
        entry = by_category.setdefault(
            category,
            {"category": category, "allowed": 0, "denied": 0, "runs": [], "reasons": {}},
        )
        entry["allowed" if decision == "allow" else "denied"] += 1
        entry["runs"].append(record.run_id)
        for pid in reasons:
            reason = entry["reasons"].setdefault(pid, {"policy": pid, "count": 0, "runs": []})
            reason["count"] += 1
            reason["runs"].append(record.run_id)
        scheduled = change.get("scheduled") if isinstance(change.get("scheduled"), Mapping) else {}
        changes.append(
            {
                **run_ref(record),
                "change": change.get("id"),
                "title": change.get("title"),
                "category": category,
                "environment": change.get("environment"),
                "requester": change.get("requester"),
                "incident": change.get("incident"),
                "scheduled_start": (scheduled or {}).get("start"),
                "scheduled_end": (scheduled or {}).get("end"),
                "decision": decision,
                "exit_code": record.decision.get("exit_code"),
                "reasons": reasons,
            }
        )
    categories = []
    for category in sorted(by_category):
        entry = by_category[category]
        ranked = sorted(entry["reasons"].values(), key=lambda x: (-x["count"], x["policy"]))
        categories.append({**entry, "reasons": ranked})
    return {"by_category": categories, "changes": changes}


_EXCEPTION_TEXT = ("policy", "ticket", "approver", "expires", "created", "not_before", "status")
_RESOURCE_FIELDS = ("apiVersion", "kind", "namespace", "name")


def exception_entry(item: object) -> dict[str, Any]:
    """Normalise a recorded exception (an id, or a mapping with `id` and its fields).

    Only the fields an exception report records are kept, each only when it has its type.
    """
    if not isinstance(item, Mapping):
        return {"id": str(item)}
    out: dict[str, Any] = {"id": str(item.get("id") or item.get("name") or "")}
    for key in _EXCEPTION_TEXT:
        if isinstance(item.get(key), str):
            out[key] = item[key]
    matched = item.get("would_match")
    if isinstance(matched, int) and not isinstance(matched, bool):
        out["would_match"] = matched
    res = item.get("resource")
    if isinstance(res, Mapping):
        out["resource"] = {k: res[k] for k in _RESOURCE_FIELDS if isinstance(res.get(k), str)}
    return out


def _exception_lists(record: RunRecord) -> dict[str, list[dict[str, Any]]]:
    block = record.predicate.get("exceptions")
    out: dict[str, list[dict[str, Any]]] = {"applied": [], "expired": [], "unused": []}
    if isinstance(block, Mapping):
        for key in out:
            items = block.get(key)
            if isinstance(items, list):
                out[key] = [exception_entry(i) for i in items]
    return out


def known_exceptions(records: Iterable[RunRecord]) -> set[str]:
    """Ids of every exception the records mention."""
    ids: set[str] = set()
    for record in records:
        for entries in _exception_lists(record).values():
            ids.update(e["id"] for e in entries)
    return ids


def exceptions_report(
    records: Sequence[RunRecord], period: Period, earlier: set[str] | None = None
) -> dict[str, Any]:
    """Exceptions in force at the end of the period, granted, applied, expired and unused in it.

    Granted: created in the period when the record says when; otherwise first
    recorded in the period (no run before it knew the exception; `earlier` is
    the set of ids known before the period, None when that is unknown).
    """
    known: dict[str, dict[str, Any]] = {}
    applied_runs: dict[str, list[str]] = defaultdict(list)
    applied_results: dict[str, int] = defaultdict(int)
    expired_runs: dict[str, list[str]] = defaultdict(list)
    unused_runs: dict[str, list[str]] = defaultdict(list)
    first_seen: dict[str, str] = {}
    last_lists: dict[str, list[dict[str, Any]]] | None = None
    last_run: str | None = None
    for record in records:
        if record.command == "review-signoff":
            continue
        lists = _exception_lists(record)
        for key, sink in (
            ("applied", applied_runs),
            ("expired", expired_runs),
            ("unused", unused_runs),
        ):
            for entry in lists[key]:
                known.setdefault(entry["id"], {}).update(entry)
                sink[entry["id"]].append(record.run_id)
                first_seen.setdefault(entry["id"], record.run_id)
        for r in record.results:
            if r.get("exception"):
                applied_results[str(r["exception"])] += 1
                applied_runs[str(r["exception"])].append(record.run_id)
                known.setdefault(str(r["exception"]), {"id": str(r["exception"])})
        if any(lists.values()) or record.predicate.get("exceptions") is not None:
            last_lists, last_run = lists, record.run_id

    def row(eid: str, runs: list[str]) -> dict[str, Any]:
        return {**known[eid], "id": eid, "runs": sorted(set(runs), key=runs.index)}

    in_force = []
    if last_lists is not None:
        for entry in last_lists["applied"] + last_lists["unused"]:
            in_force.append({**known[entry["id"]], "id": entry["id"], "runs": [last_run]})
    granted = []
    for eid, entry in sorted(known.items()):
        created = entry.get("created")
        new = False
        if isinstance(created, str):
            try:
                new = period.contains(parse_time(created))
            except ValueError:
                new = False
        elif earlier is not None:
            new = eid not in earlier
        if new:
            seen = first_seen.get(eid)
            granted.append({**row(eid, [seen] if seen else []), "first_recorded": seen})
    applied = [
        {**row(eid, runs), "results": applied_results.get(eid, 0)}
        for eid, runs in sorted(applied_runs.items())
    ]
    never_applied = {eid: runs for eid, runs in unused_runs.items() if eid not in applied_runs}
    return {
        "in_force": sorted(in_force, key=lambda e: e["id"]),
        "granted": granted,
        "applied": applied,
        "expired": [row(eid, runs) for eid, runs in sorted(expired_runs.items())],
        "unused": [row(eid, runs) for eid, runs in sorted(never_applied.items())],
    }


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def recovery_report(records: Sequence[RunRecord]) -> dict[str, Any]:
    """Backup age at each evaluation against its RPO, and restore drills against their RTO."""
    backups: dict[tuple[str, str], dict[str, Any]] = {}
    drills: dict[tuple[str, str], dict[str, Any]] = {}
    for record in _evaluating(records):
        for r in record.results:
            details = r.get("details")
            if not isinstance(details, Mapping):
                continue
            status = str(r.get("status"))
            # A backup-recency result that measured an age (schedule results carry none).
            if "target" in details and "age_seconds" in details and "max_age_seconds" in details:
                key = (str(r.get("policy")), str(details["target"]))
                entry = backups.setdefault(
                    key,
                    {
                        "policy": key[0],
                        "target": key[1],
                        "max_age_seconds": _num(details.get("max_age_seconds")),
                        "points": [],
                    },
                )
                entry["max_age_seconds"] = _num(details.get("max_age_seconds"))
                entry["points"].append(
                    {
                        **run_ref(record),
                        "age_seconds": _num(details.get("age_seconds")),
                        "completed_at": details.get("completed_at"),
                        "status": status,
                    }
                )
            elif "recovery_seconds" in details or "max_recovery_seconds" in details:
                key = (str(r.get("policy")), str(details.get("system", "")))
                entry = drills.setdefault(
                    key,
                    {
                        "policy": key[0],
                        "system": key[1],
                        "tier": details.get("tier"),
                        "max_recovery_seconds": _num(details.get("max_recovery_seconds")),
                        "evaluations": [],
                        "drills": {},
                    },
                )
                entry["evaluations"].append({**run_ref(record), "status": status})
                started = details.get("started_at")
                if started is not None:
                    drill = entry["drills"].setdefault(
                        str(started),
                        {
                            "started_at": started,
                            "recovery_seconds": _num(details.get("recovery_seconds")),
                            "max_recovery_seconds": _num(details.get("max_recovery_seconds")),
                            "status": status,
                            "runs": [],
                        },
                    )
                    drill["runs"].append(record.run_id)
    backup_list = []
    for entry in sorted(backups.values(), key=lambda e: (e["target"], e["policy"])):
        points = entry["points"]
        breaches = [p for p in points if p["status"] in ("fail", "warn", "error")]
        ages = [p["age_seconds"] for p in points if p["age_seconds"] is not None]
        backup_list.append(
            {
                **entry,
                "evaluations": len(points),
                "within": len(points) - len(breaches),
                "breaches": len(breaches),
                "breach_runs": [p["run"] for p in breaches],
                "max_observed_age_seconds": max(ages) if ages else None,
                "runs": [p["run"] for p in points],
            }
        )
    drill_list = []
    for entry in sorted(drills.values(), key=lambda e: (e["system"], e["policy"])):
        found = sorted(entry["drills"].values(), key=lambda d: str(d["started_at"]))
        evaluations = entry["evaluations"]
        breaches = [e for e in evaluations if e["status"] in ("fail", "warn", "error")]
        drill_list.append(
            {
                **entry,
                "drills": found,
                "breaches": len(breaches),
                "breach_runs": [e["run"] for e in breaches],
                "runs": [e["run"] for e in evaluations],
            }
        )
    return {"backups": backup_list, "drills": drill_list}


def kpi_report(records: Sequence[RunRecord]) -> tuple[KpiSeries, ...]:
    """Each KPI's measured value at every evaluation, against its threshold."""
    first: dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
    last: dict[str, Mapping[str, Any]] = {}
    points: dict[str, list[KpiPoint]] = defaultdict(list)
    for record in _evaluating(records):
        for r in record.results:
            details = r.get("details")
            if not isinstance(details, Mapping):
                continue
            if "threshold" not in details or "comparator" not in details:
                continue
            pid = str(r.get("policy"))
            first.setdefault(pid, (r, details))
            last[pid] = details  # the newest threshold and comparator win
            points[pid].append(
                KpiPoint(
                    run=record.run_id,
                    at=record.at,
                    value=_num(details.get("value")),
                    status=str(r.get("status")),
                )
            )
    out = []
    for pid in sorted(points):
        result, details = first[pid]
        series = points[pid]
        breaches = [p for p in series if p.status in ("fail", "warn", "error")]
        out.append(
            KpiSeries(
                policy=pid,
                title=_text(result.get("title")),
                unit=_text(details.get("unit")),
                comparator=_text(last[pid].get("comparator")),
                threshold=_num(last[pid].get("threshold")),
                query=_text(details.get("query")),
                points=tuple(series),
                evaluations=len(series),
                breaches=len(breaches),
                breach_runs=tuple(p.run for p in breaches),
                runs=tuple(p.run for p in series),
            )
        )
    return tuple(out)


def coverage_report(records: Sequence[RunRecord]) -> tuple[CoverageGapFacts, ...]:
    """Coverage gaps seen: what could not be read, how often, and in which runs."""
    seen: dict[tuple[str, str, str], list[RunRecord]] = {}
    for record in records:
        coverage = record.predicate.get("coverage")
        if not isinstance(coverage, Mapping):
            continue
        for gap in coverage.get("gaps") or ():
            if not isinstance(gap, Mapping):
                continue
            key = (str(gap.get("kind")), str(gap.get("namespace") or ""), str(gap.get("reason")))
            seen.setdefault(key, []).append(record)
    return tuple(
        CoverageGapFacts(
            kind=kind,
            namespace=namespace or None,
            reason=reason,
            first=RunRef(run=runs[0].run_id, at=runs[0].at),
            last=RunRef(run=runs[-1].run_id, at=runs[-1].at),
            runs=tuple(r.run_id for r in runs),
            count=len(runs),
        )
        for (kind, namespace, reason), runs in sorted(seen.items())
    )


def _counts(value: object) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): n for k, v in value.items() if (n := _int(v)) is not None}


def run_index(records: Sequence[RunRecord]) -> tuple[RunIndexEntry, ...]:
    """Every run the report used: the targets of its links."""
    out = []
    for r in records:
        policies = r.predicate.get("policies")
        tool = r.run.get("tool")
        out.append(
            RunIndexEntry(
                run=r.run_id,
                stream=r.stream,
                seq=r.seq,
                at=r.at,
                recorded_at=r.recorded_at,
                command=r.command,
                decision=_text(r.decision.get("decision")),
                exit_code=_int(r.decision.get("exit_code")),
                summary=_counts(r.decision.get("summary")),
                change=_text((r.change or {}).get("id")),
                digest=r.digest,
                policies_digest=(
                    _text(policies.get("digest")) if isinstance(policies, Mapping) else None
                ),
                inputs={k: _text(v.get("digest")) for k, v in sorted(r.inputs.items())},
                tool=(
                    {str(k): v for k, v in tool.items() if isinstance(v, str)}
                    if isinstance(tool, Mapping)
                    else {}
                ),
            )
        )
    return tuple(out)


def compliance_facts(
    records: Sequence[RunRecord],
    period: Period,
    *,
    evidence: EvidenceFacts | Mapping[str, Any],
    generated_at: str,
    tool: Tool | Mapping[str, str],
    streams: Sequence[str] | None = None,
    sections: SectionLookup | None = None,
    scope: ScopeFields | None = None,
    titles: Mapping[str, str] | None = None,
) -> ComplianceReport:
    """Compute the whole compliance report for the runs of `period` (already verified).

    `evidence` describes the store and its verification (status, message, key
    fingerprints, whether the user accepted an unverified store); it is shown as given.
    `sections` reads stored snapshot sections by digest (the clusters' identities).
    """
    chosen = sorted(
        (r for r in records if period.contains(r.now)), key=lambda r: (r.now, r.stream, r.seq)
    )
    before = [r for r in records if r.now < period.since]
    policies, controls = policies_and_controls(chosen)
    by_command: dict[str, int] = defaultdict(int)
    for r in chosen:
        by_command[r.command] += 1
    evaluating = _evaluating(chosen)
    results = [s for r in evaluating for s in policy_statuses(r).values()]
    judged = [s for s in results if s != "skip"]
    shown = sorted({r.stream for r in chosen}) if streams is None else list(streams)
    for c in controls:
        c["title"] = (titles or {}).get(c["control"])
    facts = {
        "kind": "regulens-compliance-report",
        "version": REPORT_VERSION,
        "generated_at": generated_at,
        "tool": tool,
        "period": period.to_json(),
        "streams": shown,
        "scope": scope_facts(scope or ScopeFields(), shown, period.to_json()),
        "evidence": evidence,
        "summary": {
            "runs": len(chosen),
            "runs_by_command": dict(sorted(by_command.items())),
            "first_run": run_ref(chosen[0]) if chosen else None,
            "last_run": run_ref(chosen[-1]) if chosen else None,
            "policies": len(policies),
            "controls": len(controls),
            "policy_evaluations": len(results),
            "pass_rate": rate(sum(1 for s in judged if s == "pass"), len(judged)),
            "failing_now": sorted(
                p
                for p, st in (policy_statuses(evaluating[-1]) if evaluating else {}).items()
                if st in ("fail", "warn", "error")
            ),
        },
        "controls": controls,
        "policies": policies,
        "pass_rate_trend": pass_rate_trend(chosen),
        "gates": gate_decisions(chosen),
        "exceptions": exceptions_report(
            chosen, period, known_exceptions(before) if before else None
        ),
        "recovery": recovery_report(chosen),
        "kpis": kpi_report(chosen),
        "coverage_gaps": coverage_report(chosen),
        "runs": run_index(chosen),
        "assessment": assessment(chosen, records, period, sections),
    }
    return typed(ComplianceReport, facts)


M = TypeVar("M", bound=BaseModel)


def typed(model: type[M], facts: Mapping[str, Any]) -> M:
    """The facts as their model; recorded values of the wrong type fail closed (exit 2)."""
    try:
        return model.model_validate(facts)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputDataError(
            f"the recorded evidence does not give a well-formed report: {where}: {first['msg']}"
        ) from None


__all__ = ["ComplianceReport", "compliance_facts", "iso", "policy_statuses", "worst"]
