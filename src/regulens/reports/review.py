"""The monthly security review pack, computed from stored runs and stored snapshot sections.

Pure: verified records and the Kubernetes sections they reference (by digest)
in, one frozen `ReviewPack` (reports/facts.py) out. RBAC drift compares the effective
permissions of every subject (computed with the RBAC engine, aggregation
expanded) in the first and the last Kubernetes snapshot of the month.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from regulens.engine.rbac import RBAC_KINDS, ObjectKey, Rule, build_index
from regulens.reports.compliance import (
    exceptions_report,
    gate_decisions,
    kpi_report,
    recovery_report,
    run_index,
    run_ref,
    typed,
)
from regulens.reports.context import ScopeFields, scope_facts
from regulens.reports.facts import REVIEW_VERSION, EvidenceFacts, KpiBreach, ReviewPack, Tool
from regulens.reports.runs import Period, RunRecord, iso, parse_time
from regulens.reports.signoff import SIGNOFF_COMMAND, in_force, signoff_of
from regulens.snapshot import KubernetesState, Provenance, Resource

KUBERNETES_SECTION = "kubernetes"
SCANS_SECTION = "scans"
INCIDENTS_SECTION = "incidents"
EXPIRY_WINDOW = timedelta(days=30)
# Post-implementation reviews of emergency changes, when the record does not say.
PIR_DUE_AFTER = timedelta(days=7)

_RBAC_GROUP = "rbac.authorization.k8s.io"
_RBAC_RESOURCES = {"roles", "rolebindings", "clusterroles", "clusterrolebindings"}
_WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "*"}
_ESCALATING_VERBS = {"escalate", "bind", "impersonate"}
_SENSITIVE_ROLE_NAMES = {"cluster-admin", "admin", "edit", "security-admin"}


# -- Kubernetes objects of a stored section ---------------------------------------------


def section_objects(section: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The raw Kubernetes objects of a stored `kubernetes` section."""
    if not isinstance(section, Mapping):
        return []
    items = section.get("resources") or section.get("items") or ()
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        obj = item.get("object") if isinstance(item.get("object"), Mapping) else item
        if isinstance(obj, Mapping) and "kind" in obj:
            out.append(obj)
    return out


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _key(obj: Mapping[str, Any]) -> ObjectKey:
    meta = _meta(obj)
    return ObjectKey(str(obj.get("kind")), meta.get("namespace") or None, str(meta.get("name", "")))


# -- effective permissions --------------------------------------------------------------


def _rule_permissions(rule: Rule, scope: str) -> set[str]:
    names = f"[{','.join(sorted(rule.resource_names))}]" if rule.resource_names else ""
    out: set[str] = set()
    for verb in rule.verbs:
        out.update(f"{scope} {verb} url:{path}" for path in rule.non_resource_urls)
        for group in rule.api_groups:
            out.update(
                f"{scope} {verb} {group or 'core'}/{resource}{names}" for resource in rule.resources
            )
    return out


def _state(objects: Iterable[Mapping[str, Any]]) -> KubernetesState:
    resources = tuple(Resource.from_object(o) for o in objects if o.get("kind") in RBAC_KINDS)
    return KubernetesState(provenance=Provenance(source="evidence"), resources=resources)


class RbacView:
    """Who holds which flattened permission, through which binding and role.

    Built on the RBAC engine's index (so ClusterRole aggregation is expanded);
    a permission is `scope verb group/resource[names]` or `scope verb url:PATH`,
    scope being the namespace a RoleBinding grants in or `cluster`.
    """

    def __init__(self, objects: Iterable[Mapping[str, Any]]) -> None:
        self.index = build_index(_state(objects))
        self.bindings = {str(b.key): b for b in self.index.bindings}
        self.permissions: dict[str, set[str]] = defaultdict(set)
        self.via: dict[str, list[dict[str, str]]] = defaultdict(list)
        for binding in self.index.bindings:
            scope = "cluster" if binding.cluster else binding.scope or "no-namespace"
            perms: set[str] = set()
            for rule in binding.role.rules if binding.role is not None else ():
                perms |= _rule_permissions(rule, scope)
            for subject in binding.subjects:
                self.permissions[str(subject)] |= perms
                self.via[str(subject)].append(binding.via.to_json())

    def role_reasons(self, key: ObjectKey) -> list[str]:
        """Why a role is sensitive (empty when it is not)."""
        role = self.index.roles.get(key)
        reasons = [f"built-in {key.name}"] if key.name in _SENSITIVE_ROLE_NAMES else []
        if role is None:
            return reasons
        perms: set[str] = set()
        for rule in role.rules:
            perms |= _rule_permissions(rule, "x")
        return reasons + privileged_reasons(perms)

    def wildcard_roles(self) -> dict[str, list[str]]:
        """Roles with a `*` in verbs, resources or API groups, and where."""
        out = {}
        for key, role in self.index.roles.items():
            where = sorted({w for rule in role.own_rules for w in rule.wildcards})
            if where:
                out[str(key)] = where
        return out

    def binding_state(self, name: str) -> Any:
        """What a binding grants: its role and subjects (to tell changed bindings)."""
        b = self.bindings[name]
        return (b.role_key, b.subjects)


def privileged_reasons(perms: Iterable[str]) -> list[str]:
    """Why a set of flattened permissions is privileged (empty when it is not)."""
    reasons = set()
    for perm in perms:
        _, verb, target = perm.split(" ", 2)
        group, _, resource = target.rpartition("/")
        if verb == "*" and resource == "*":
            reasons.add("wildcard access (*/*)")
        elif resource == "*" and verb in _WRITE_VERBS:
            reasons.add("writes any resource")
        if resource in ("secrets", "*") and group in ("core", "*") and verb in ("get", "list", "*"):
            reasons.add("reads secrets")
        if group in (_RBAC_GROUP, "*") and resource in (_RBAC_RESOURCES | {"*"}):
            if verb in _WRITE_VERBS:
                reasons.add("manages RBAC")
            if verb in _ESCALATING_VERBS or verb == "*":
                reasons.add("can escalate or bind roles")
        if verb == "impersonate":
            reasons.add("can impersonate")
        if resource == "serviceaccounts/token" and verb in ("create", "*"):
            reasons.add("mints service account tokens")
    return sorted(reasons)


def rbac_drift(
    first: Sequence[Mapping[str, Any]], last: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Subjects that gained or lost permissions, new sensitive bindings, new wildcard roles."""
    before, after = RbacView(first), RbacView(last)
    subjects = []
    for who in sorted(set(before.permissions) | set(after.permissions)):
        gained = sorted(after.permissions.get(who, set()) - before.permissions.get(who, set()))
        lost = sorted(before.permissions.get(who, set()) - after.permissions.get(who, set()))
        if gained or lost:
            subjects.append(
                {
                    "subject": who,
                    "gained": gained,
                    "lost": lost,
                    "privileged_gained": privileged_reasons(gained),
                    "via": after.via.get(who) or before.via.get(who) or [],
                }
            )
    new_bindings = []
    for name, binding in sorted(after.bindings.items()):
        changed = name in before.bindings
        if changed and before.binding_state(name) == after.binding_state(name):
            continue
        reasons = after.role_reasons(binding.role_key)
        if reasons:
            new_bindings.append(
                {
                    "binding": name,
                    "role": str(binding.role_key),
                    "subjects": [str(s) for s in binding.subjects],
                    "changed": changed,
                    "why_sensitive": reasons,
                }
            )
    old_wild = before.wildcard_roles()
    new_wildcards = [
        {"role": key, "wildcards": where}
        for key, where in sorted(after.wildcard_roles().items())
        if old_wild.get(key) != where
    ]
    roles_before = {str(k) for k in before.index.roles}
    roles_after = {str(k) for k in after.index.roles}
    return {
        "subjects": subjects,
        "new_sensitive_bindings": new_bindings,
        "new_wildcard_roles": new_wildcards,
        "roles_added": sorted(roles_after - roles_before),
        "roles_removed": sorted(roles_before - roles_after),
        "bindings_added": sorted(set(after.bindings) - set(before.bindings)),
        "bindings_removed": sorted(set(before.bindings) - set(after.bindings)),
    }


def privileged_subjects(objects: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Subjects that hold privileged permissions in a snapshot, with why and through what."""
    view = RbacView(objects)
    out = []
    for who in sorted(view.permissions):
        reasons = privileged_reasons(view.permissions[who])
        if reasons:
            out.append({"subject": who, "reasons": reasons, "via": view.via[who]})
    return out


# -- audit policy -------------------------------------------------------------------------


def audit_policy_objects(objects: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Audit policy objects (and ConfigMaps carrying one) by name, with a content digest."""
    out = {}
    for obj in objects:
        api = str(obj.get("apiVersion", ""))
        is_audit = api.startswith("audit.k8s.io/")
        if obj.get("kind") == "ConfigMap":
            data = obj.get("data")
            is_audit = isinstance(data, Mapping) and any(
                "audit.k8s.io" in str(v) for v in data.values()
            )
        if is_audit:
            body = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
            canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            out[str(_key(obj))] = "sha256:" + hashlib.sha256(canonical).hexdigest()
    return out


# -- the pack -----------------------------------------------------------------------------


def kubernetes_digests(records: Sequence[RunRecord]) -> list[tuple[RunRecord, str]]:
    """The runs that recorded a Kubernetes section, with its digest, oldest first."""
    out = []
    for record in records:
        section = record.inputs.get(KUBERNETES_SECTION)
        if section is not None and section.get("digest"):
            out.append((record, str(section["digest"])))
    return out


_VULN_KEYS = ("vulnerability_id", "vulnerability", "VulnerabilityID", "cve", "cve_id")


def _vulnerability(result: Mapping[str, Any]) -> tuple[str, str, str] | None:
    details = result.get("details")
    if not isinstance(details, Mapping):
        return None
    vid = next((details[k] for k in _VULN_KEYS if isinstance(details.get(k), str)), None)
    if vid is None:
        return None
    severity = str(details.get("severity") or result.get("severity") or "unknown").upper()
    image = str(details.get("image") or details.get("artifact") or "")
    return image, vid, severity


def report_vulnerabilities(section: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """Distinct (image, vulnerability id) → severity of a stored `scans` section (Trivy reports)."""
    found: dict[tuple[str, str], str] = {}
    for report in section.get("reports") or ():
        if not isinstance(report, Mapping):
            continue
        tags = report.get("repo_tags") or ()
        image = str(tags[0] if tags else report.get("artifact_name", ""))
        for vuln in report.get("vulnerabilities") or ():
            if isinstance(vuln, Mapping) and vuln.get("id"):
                found[(image, str(vuln["id"]))] = str(vuln.get("severity", "unknown")).upper()
    return found


def vulnerability_trend(
    records: Sequence[RunRecord],
    sections: Callable[[str], Mapping[str, Any] | None] = lambda _digest: None,
) -> dict[str, Any]:
    """Distinct (image, vulnerability) by severity at each run that recorded Trivy data.

    From the stored Trivy reports (the run's `scans` section) when the store
    holds them, else from the vulnerability findings in the run's results.
    """
    points = []
    severities: set[str] = set()
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        found: dict[tuple[str, str], str] = {}
        source = "findings"
        scans = record.inputs.get(SCANS_SECTION)
        section = sections(str(scans["digest"])) if scans and scans.get("digest") else None
        if section is not None:
            found, source = report_vulnerabilities(section), "reports"
        else:
            for r in record.results:
                vuln = _vulnerability(r)
                if vuln is not None:
                    found[(vuln[0], vuln[1])] = vuln[2]
        if not found and section is None:
            continue
        counts: dict[str, int] = defaultdict(int)
        for sev in found.values():
            counts[sev] += 1
            severities.add(sev)
        points.append(
            {**run_ref(record), "counts": dict(counts), "total": len(found), "source": source}
        )
        latest = {
            k: {"image": k[0], "vulnerability": k[1], "severity": s, "run": record.run_id}
            for k, s in found.items()
        }
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
    sev_list = [s for s in order if s in severities] + sorted(severities - set(order))
    return {
        "severities": sev_list,
        "points": [{**p, "counts": {s: p["counts"].get(s, 0) for s in sev_list}} for p in points],
        "latest": sorted(
            latest.values(), key=lambda v: (v["severity"], v["image"], v["vulnerability"])
        ),
    }


def _recorded_review(record: RunRecord) -> Mapping[str, Any] | None:
    for r in record.results:
        details = r.get("details")
        if isinstance(details, Mapping):
            pir = details.get("post_implementation_review")
            if isinstance(pir, Mapping) and isinstance(pir.get("due"), str):
                return pir
    return None


def changes_review(records: Sequence[RunRecord], period: Period) -> dict[str, Any]:
    """Failed gate decisions, emergency changes, and post-implementation reviews due."""
    gates = gate_decisions(records)
    by_run = {r.run_id: r for r in records}
    failed = [c for c in gates["changes"] if c["decision"] == "deny"]
    emergency = [c for c in gates["changes"] if c["category"] == "emergency"]
    reviews = []
    seen = set()
    for change in gates["changes"]:
        if change["decision"] != "allow" or change["change"] in seen:
            continue
        recorded = _recorded_review(by_run[change["run"]])
        if recorded is None and change["category"] != "emergency":
            continue
        seen.add(change["change"])
        if recorded is not None:
            due = str(recorded["due"])
        else:
            end = change.get("scheduled_end") or change["at"]
            due = iso(parse_time(str(end)) + PIR_DUE_AFTER)
        reviews.append(
            {
                "change": change["change"],
                "title": change["title"],
                "incident": change["incident"],
                "run": change["run"],
                "due": due,
                "due_recorded": recorded is not None,
                "reason": (recorded or {}).get("reason") or "emergency change",
                "overdue": parse_time(due) < period.until,
            }
        )
    return {
        "by_category": gates["by_category"],
        "failed": failed,
        "emergency": emergency,
        "post_implementation_reviews": reviews,
    }


def expiring_exceptions(
    records: Sequence[RunRecord], period: Period, within: timedelta = EXPIRY_WINDOW
) -> list[dict[str, Any]]:
    """Exceptions in force at the end of the month that expire within `within` after it."""
    report = exceptions_report(records, period)
    out = []
    for entry in report["in_force"]:
        expires = entry.get("expires")
        if not isinstance(expires, str):
            continue
        try:
            when = parse_time(expires)
        except ValueError:
            continue
        if when < period.until + within:
            days = (when - period.until).total_seconds() / 86400
            out.append({**entry, "days_left": round(days, 1)})
    return sorted(out, key=lambda e: str(e.get("expires")))


def breaches(records: Sequence[RunRecord]) -> dict[str, Any]:
    """Recovery (RPO/RTO) and KPI evaluations that did not pass."""
    recovery = recovery_report(records)
    backup = [
        {"policy": b["policy"], "target": b["target"], "max_age_seconds": b["max_age_seconds"], **p}
        for b in recovery["backups"]
        for p in b["points"]
        if p["status"] in ("fail", "warn", "error")
    ]
    drills = [
        {"policy": d["policy"], "system": d["system"], **e}
        for d in recovery["drills"]
        for e in d["evaluations"]
        if e["status"] in ("fail", "warn", "error")
    ]
    kpis = [
        KpiBreach(policy=k.policy, threshold=k.threshold, comparator=k.comparator, **p.model_dump())
        for k in kpi_report(records)
        for p in k.points
        if p.status in ("fail", "warn", "error")
    ]
    return {"backups": backup, "drills": drills, "kpis": kpis}


def _incident_results(record: RunRecord, key: str) -> list[Mapping[str, Any]]:
    """Results of a run whose details name an incident and carry `key` (one check type)."""
    out = []
    for r in record.results:
        details = r.get("details")
        if (
            isinstance(details, Mapping)
            and isinstance(details.get("incident"), str)
            and key in details
        ):
            out.append(r)
    return out


def _stored_incidents(
    records: Sequence[RunRecord], section: Callable[[str], Mapping[str, Any] | None]
) -> tuple[dict[str, dict[str, Any]], list[str], int]:
    """The latest stored record of each incident, the unreadable notes, and the runs read."""
    latest: dict[str, dict[str, Any]] = {}
    unreadable: list[str] = []
    read = 0
    for record in records:
        ref = record.inputs.get(INCIDENTS_SECTION)
        if ref is None or not ref.get("digest"):
            continue
        found = section(str(ref["digest"]))
        if found is None:
            continue
        read += 1
        if isinstance(found.get("unreadable"), str):
            unreadable.append(str(found["unreadable"]))
        for incident in found.get("incidents") or ():
            if isinstance(incident, Mapping) and isinstance(incident.get("id"), str):
                latest[str(incident["id"])] = {**incident, "run": record.run_id}
    return latest, sorted(set(unreadable)), read


def _after(text: str, until: datetime) -> bool:
    """True when the time `text` is at or after `until` (an unreadable time counts as open)."""
    try:
        return parse_time(text) >= until
    except ValueError:
        return True


def incidents_review(
    records: Sequence[RunRecord],
    period: Period,
    section: Callable[[str], Mapping[str, Any] | None],
) -> dict[str, Any]:
    """Incidents of the month by severity, response-time breaches and overdue action items.

    Counts come from the incident records the runs stored (the latest copy of
    each incident); breaches and overdue items from the incident checks' results.
    """
    recorded = [r for r in records if INCIDENTS_SECTION in r.inputs]
    if not recorded:
        return {"available": False, "reason": "no run of the month recorded incident records"}
    latest, unreadable, read = _stored_incidents(recorded, section)
    month: list[dict[str, Any]] = []
    for incident in latest.values():
        try:
            detected = parse_time(str(incident.get("detected")))
        except ValueError:
            continue
        if period.contains(detected):
            month.append(incident)
    by_severity = {str(s): 0 for s in (1, 2, 3, 4)}
    open_at_end = []
    for incident in sorted(month, key=lambda i: (str(i.get("detected")), str(i["id"]))):
        by_severity[str(incident.get("severity"))] = (
            by_severity.get(str(incident.get("severity")), 0) + 1
        )
        resolved = incident.get("resolved")
        if not isinstance(resolved, str) or _after(resolved, period.until):
            open_at_end.append(
                {k: incident.get(k) for k in ("id", "severity", "service", "detected", "run")}
            )
    breaches: dict[tuple[str, str], dict[str, Any]] = {}
    for record in recorded:
        for r in _incident_results(record, "max_response_seconds"):
            if r.get("status") != "fail":
                continue
            d = r["details"]
            breaches[(str(r.get("policy")), str(d["incident"]))] = {
                "policy": r.get("policy"),
                "incident": d["incident"],
                "severity": d.get("severity"),
                "service": d.get("service"),
                "detected": d.get("detected"),
                "response_seconds": d.get("response_seconds"),
                "max_response_seconds": d.get("max_response_seconds"),
                "acknowledged": d.get("acknowledged"),
                "run": record.run_id,
            }
    reviewed = [r for r in recorded if _incident_results(r, "review_within_seconds")]
    overdue: list[dict[str, Any]] = []
    late_reviews: list[dict[str, Any]] = []
    if reviewed:
        last = reviewed[-1]
        for r in _incident_results(last, "review_within_seconds"):
            d = r["details"]
            for item in d.get("overdue_action_items") or ():
                if isinstance(item, Mapping):
                    fields = {k: item.get(k) for k in ("description", "owner", "due", "status")}
                    overdue.append({**fields, "incident": d["incident"], "run": last.run_id})
            if r.get("status") == "fail" and d.get("review_due") and not d.get("review_completed"):
                late_reviews.append(
                    {
                        "incident": d["incident"],
                        "severity": d.get("severity"),
                        "due": d.get("review_due"),
                        "missing": list(d.get("review_missing") or ()),
                        "run": last.run_id,
                    }
                )
    return {
        "available": True,
        "runs": len(recorded),
        "stored": read,
        "unreadable": unreadable,
        "total": len(month),
        "by_severity": by_severity,
        "open_at_end": open_at_end,
        "sla_breaches": sorted(
            breaches.values(), key=lambda b: (str(b["detected"]), b["incident"])
        ),
        "overdue_action_items": sorted(
            overdue, key=lambda i: (str(i.get("due")), str(i["incident"]))
        ),
        "reviews_overdue": late_reviews,
    }


def signoffs(all_records: Iterable[RunRecord], month: str) -> list[dict[str, Any]]:
    """Sign-offs of the month in force (not superseded), whenever they were recorded."""
    records = list(all_records)
    found = [
        s
        for record in records
        if record.command == SIGNOFF_COMMAND
        and (s := signoff_of(record.run_id, record.stream, record.seq, record.predicate))
        is not None
    ]
    digests = {r.run_id: r.digest for r in records if r.command == SIGNOFF_COMMAND}
    return [
        {
            "reviewer": s.reviewer,
            "date": s.date,
            "notes": s.notes,
            "supersedes": s.supersedes,
            "run": s.run_id,
            "stream": s.stream,
            "seq": s.seq,
            "digest": digests.get(s.run_id),
        }
        for s in in_force(found)
        if s.month == month
    ]


def _subject_text(subject: Mapping[str, Any]) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f"ServiceAccount {subject.get('namespace')}/{subject.get('name')}"
    return f"{subject.get('kind')} {subject.get('name')}"


def rbac_findings(record: RunRecord | None) -> list[dict[str, Any]]:
    """RBAC results (those naming a subject) of one run that did not pass."""
    if record is None:
        return []
    out = []
    for r in record.results:
        details = r.get("details")
        if not isinstance(details, Mapping) or not isinstance(details.get("subject"), Mapping):
            continue
        if r.get("status") in ("fail", "warn", "error"):
            subject = details["subject"]
            out.append(
                {
                    "policy": str(r.get("policy")),
                    "status": str(r.get("status")),
                    "subject": _subject_text(subject),
                    "via": [v for v in details.get("via") or () if isinstance(v, Mapping)],
                    "message": str(r.get("message") or ""),
                    "run": record.run_id,
                }
            )
    return out


def review_facts(
    records: Sequence[RunRecord],
    period: Period,
    sections: Callable[[str], Mapping[str, Any] | None],
    *,
    evidence: EvidenceFacts | Mapping[str, Any],
    generated_at: str,
    tool: Tool | Mapping[str, str],
    all_records: Iterable[RunRecord] = (),
    scope: ScopeFields | None = None,
) -> ReviewPack:
    """Compute the monthly review pack for the runs of the month `period`.

    `sections` returns a stored Kubernetes section by digest (None when the store
    does not hold it); `all_records` are searched for sign-offs of the month.
    """
    month = sorted(
        (r for r in records if period.contains(r.now) and r.command != "review-signoff"),
        key=lambda r: (r.now, r.stream, r.seq),
    )
    snaps = kubernetes_digests(month)
    loaded: dict[str, list[Mapping[str, Any]] | None] = {}
    cache: dict[str, Mapping[str, Any] | None] = {}

    def section(digest: str) -> Mapping[str, Any] | None:
        if digest not in cache:  # daily runs mostly share their sections
            cache[digest] = sections(digest)
        return cache[digest]

    def objects(digest: str) -> list[Mapping[str, Any]] | None:
        if digest not in loaded:
            found = section(digest)
            loaded[digest] = None if found is None else section_objects(found)
        return loaded[digest]

    rbac: dict[str, Any] = {"available": False, "reason": "no Kubernetes snapshot in the month"}
    audit_changes: list[dict[str, Any]] = []
    privileged: list[dict[str, Any]] = []
    stored = [(rec, d) for rec, d in snaps if objects(d) is not None]
    if snaps and not stored:
        rbac["reason"] = "the store holds none of the month's Kubernetes snapshots"
    if stored:
        (first_rec, first_d), (last_rec, last_d) = stored[0], stored[-1]
        first_objs, last_objs = objects(first_d) or [], objects(last_d) or []
        rbac = {
            "available": True,
            "method": "effective permissions per subject from the RBAC engine "
            "(aggregated ClusterRoles expanded), as `scope verb group/resource`",
            "first": {**run_ref(first_rec), "digest": first_d},
            "last": {**run_ref(last_rec), "digest": last_d},
            **rbac_drift(first_objs, last_objs),
        }
        privileged = privileged_subjects(last_objs)
        previous: dict[str, str] | None = None
        previous_digest = None
        for rec, digest in stored:
            if digest == previous_digest:
                continue
            current = audit_policy_objects(objects(digest) or [])
            if previous is not None and current != previous:
                changed = sorted(
                    name
                    for name in set(current) | set(previous)
                    if current.get(name) != previous.get(name)
                )
                audit_changes.append({**run_ref(rec), "digest": digest, "objects": changed})
            previous, previous_digest = current, digest
    last_run = month[-1] if month else None
    signed = signoffs(all_records, period.label)
    facts = {
        "kind": "regulens-monthly-review",
        "version": REVIEW_VERSION,
        "month": period.label,
        "generated_at": generated_at,
        "tool": tool,
        "period": period.to_json(),
        "streams": sorted({r.stream for r in month}),
        "scope": scope_facts(
            scope or ScopeFields(), sorted({r.stream for r in month}), period.to_json()
        ),
        "evidence": evidence,
        "summary": {
            "runs": len(month),
            "snapshots": len({d for _, d in snaps}),
            "first_run": run_ref(month[0]) if month else None,
            "last_run": run_ref(last_run) if last_run else None,
        },
        "rbac_drift": rbac,
        "privileged_subjects": privileged,
        "rbac_findings": rbac_findings(last_run),
        "exceptions_expiring": expiring_exceptions(month, period),
        "vulnerabilities": vulnerability_trend(month, section),
        "changes": changes_review(month, period),
        "audit_policy_changes": audit_changes,
        "breaches": breaches(month),
        "incidents": incidents_review(month, period, section),
        "signoff": {"signed": bool(signed), "signoffs": signed},
        "runs": run_index(month),
    }
    return typed(ReviewPack, facts)


__all__ = ["RbacView", "privileged_subjects", "rbac_drift", "review_facts"]
