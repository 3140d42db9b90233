"""OSCAL assessment-results and assessment-plan (1.1) from the compliance report facts.

Pure: the facts in (times come from the evidence, `generated_at` is the `now`
the CLI passed), JSON out. The documents name what was assessed:

- local definitions: a component per assessed cluster (an evidence stream), an
  inventory item per namespace and per Kubernetes object that a result judged,
  and regulens itself as the assessment tool (a `software` component);
- observations: one per evaluated control, and one per resource a policy
  failed in a cluster, with `subjects` (the resource's inventory item and the
  cluster), `relevant-evidence` pointing at the back-matter resource of each
  run it failed in (run id, stream, seq and the record's SHA-256 chain digest)
  and `collected` = when the last of those records was written;
- findings: one per control, whose target is the control's objective status
  (satisfied when every cluster passed it at its last run), relating the
  control's observation and its failing-resource observations;
- origins: regulens as the tool; reviewers who signed the month off
  (`review sign`) as parties, also in an attestation and the assessment log;
- an assessment-log entry per run;
- `import-ap` points at a back-matter resource holding the generated
  assessment plan (base64, byte-identical to `report --format oscal-ap`).

UUIDs are uuid5 of stable identities: an object keeps its inventory uuid
across reports; the same evidence gives the same document.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import orjson

from regulens.display import printable
from regulens.reports.assessed import (
    AssessedResource,
    Assessment,
    Cluster,
    ControlStatus,
    FailingResource,
    Reviewer,
)
from regulens.reports.facts import ComplianceReport, ControlFacts, RunIndexEntry
from regulens.reports.render import pct
from regulens.reports.signoff import reviewer_key

OSCAL_VERSION = "1.1.2"
NS = "https://regulens.dev/ns/oscal"
EVIDENCE_SCHEME = "regulens-evidence:"
_UUID_NS = uuid.UUID("6f1f4d2e-2b0c-5b7e-9a51-7a4c3e0d9b11")
_TOKEN_BAD = re.compile(r"[^A-Za-z0-9._-]+")
REVIEWER_ROLE = "reviewer"
PLAN_MEDIA_TYPE = "application/oscal.ap+json"

Json = dict[str, Any]


def control_token(control: str) -> str:
    """An OSCAL token for a control id: `SOC2:CC6.3` → `soc2_cc6.3`."""
    token = _TOKEN_BAD.sub("_", control.lower()).strip("_-.") or "control"
    return token if token[0].isalpha() else f"c_{token}"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_NS, "\x00".join(parts)))


def _prop(name: str, value: Any) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": _line(str(value))}


def _line(text: str) -> str:
    """One printable line, never empty, no outer spaces (OSCAL markup-line and prop values)."""
    return " ".join(printable(text).split()) or "-"


def _printable(node: Any) -> Any:
    """Every string of a document, with control and bidi characters made visible."""
    if isinstance(node, str):
        return printable(node, keep_newlines=True)
    if isinstance(node, dict):
        return {k: _printable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_printable(v) for v in node]
    return node


def _tool(facts: ComplianceReport) -> tuple[str, str]:
    return facts.tool.name, facts.tool.version


# --- identities ------------------------------------------------------------------------------


def _seed(facts: ComplianceReport) -> str:
    period = facts.period
    return f"{period.since}|{period.until}|{','.join(facts.streams)}"


def _evidence_seed(facts: ComplianceReport) -> str:
    """The identity of the evidence a document stands on: every record digest, in order."""
    digests = "\n".join(f"{r.stream}:{r.seq}:{r.digest}" for r in facts.runs)
    return hashlib.sha256(digests.encode()).hexdigest()


def tool_uuid(name: str, version: str) -> str:
    """The `software` component of regulens (one per version)."""
    return _uuid("component", "software", name, version)


def cluster_uuid(stream: str) -> str:
    """The component of an assessed cluster (its evidence stream)."""
    return _uuid("component", "cluster", stream)


def namespace_uuid(stream: str, namespace: str) -> str:
    """The inventory item of a namespace of a cluster."""
    return _uuid("inventory", "namespace", stream, namespace)


def resource_uuid(stream: str, res: AssessedResource) -> str:
    """The inventory item of one Kubernetes object of a cluster."""
    return _uuid(
        "inventory", "resource", stream, res.api_version, res.kind, res.namespace or "", res.name
    )


def party_uuid(reviewer: str) -> str:
    """The party of a reviewer (compared as sign-offs compare them)."""
    return _uuid("party", reviewer_key(reviewer))


def record_uuid(stream: str, run: str, digest: str) -> str:
    """The back-matter resource of one evidence record."""
    return _uuid("evidence", stream, run, digest)


def _runs_text(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _resource_text(res: AssessedResource | None) -> str:
    if res is None:
        return "the run's input"
    ns = f"{res.namespace}/" if res.namespace else ""
    return f"{res.kind} {ns}{res.name}"


# --- back-matter -----------------------------------------------------------------------------


def _evidence_href(stream: str, seq: int) -> str:
    return f"{EVIDENCE_SCHEME}{quote(stream, safe='')}/{seq}"


def _record_resource(
    *, stream: str, seq: int, run: str, digest: str, title: str, description: str, props: list[Any]
) -> Json:
    algorithm, _, value = digest.partition(":")
    link: Json = {"href": _evidence_href(stream, seq), "media-type": "application/vnd.in-toto+json"}
    if algorithm.lower() == "sha256" and re.fullmatch(r"[0-9a-fA-F]{64}", value):
        link["hashes"] = [{"algorithm": "SHA-256", "value": value.lower()}]
    return {
        "uuid": record_uuid(stream, run, digest),
        "title": _line(title),
        "description": description,
        "props": [
            _prop("run-id", run),
            _prop("stream", stream),
            _prop("seq", seq),
            _prop("record-digest", digest or "none"),
            *props,
        ],
        "rlinks": [link],
    }


def _run_resource(run: RunIndexEntry) -> Json:
    props = [_prop("command", run.command or "unknown")]
    if run.decision:
        props.append(_prop("decision", run.decision))
    return _record_resource(
        stream=run.stream,
        seq=run.seq,
        run=run.run,
        digest=run.digest,
        title=f"Evidence record of run {run.run} ({run.stream} #{run.seq})",
        description=(
            f"{run.command} run evaluated at {run.at}, recorded at {run.recorded_at}; "
            f"record digest {run.digest}."
        ),
        props=props,
    )


def _signoff_resource(s: Reviewer) -> Json:
    return _record_resource(
        stream=s.stream,
        seq=s.seq,
        run=s.run,
        digest=s.digest,
        title=f"Review sign-off of {s.month} by {s.reviewer} ({s.stream} #{s.seq})",
        description=f"review-signoff record written at {s.recorded_at}; digest {s.digest}.",
        props=[_prop("command", "review-signoff"), _prop("month", s.month)],
    )


# --- local definitions -----------------------------------------------------------------------


def _tool_component(facts: ComplianceReport) -> Json:
    name, version = _tool(facts)
    return {
        "uuid": tool_uuid(name, version),
        "type": "software",
        "title": f"{name} {version}",
        "description": "Policy-driven compliance engine that evaluated the policies and "
        "wrote the hash-chained evidence records.",
        "props": [_prop("version", version)],
        "status": {"state": "operational"},
    }


def _platform(facts: ComplianceReport) -> Json:
    name, version = _tool(facts)
    return {
        "uuid": _uuid("platform", name, version),
        "title": f"{name} {version}",
        "uses-components": [{"component-uuid": tool_uuid(name, version)}],
    }


def _cluster_component(cluster: Cluster) -> Json:
    return {
        "uuid": cluster_uuid(cluster.stream),
        "type": "service",
        "title": f"Kubernetes cluster {_line(cluster.stream)}",
        "description": (
            f"The cluster whose regulens runs record to evidence stream {cluster.stream} "
            f"({len(cluster.runs)} runs in the period; Kubernetes input read from "
            f"{', '.join(cluster.sources) or 'no Kubernetes input'})."
        ),
        "props": [
            _prop("stream", cluster.stream),
            *(_prop("kubernetes-source", s) for s in cluster.sources),
            *_identity_props(cluster),
        ],
        "status": {"state": "operational"},
    }


def _identity_props(cluster: Cluster) -> list[dict[str, str]]:
    identity = cluster.identity
    if identity is None:
        return []
    props = [_prop("api-server", identity.server)]
    if identity.context:
        props.append(_prop("kube-context", identity.context))
    if identity.kube_system_uid:
        props.append(_prop("cluster-uid", identity.kube_system_uid))
    return props


def _inventory(cluster: Cluster) -> list[Json]:
    implemented = [{"component-uuid": cluster_uuid(cluster.stream)}]
    items: list[Json] = []
    for namespace in sorted({r.namespace for r in cluster.resources if r.namespace}):
        items.append(
            {
                "uuid": namespace_uuid(cluster.stream, namespace),
                "description": f"Namespace {namespace} of cluster {cluster.stream}",
                "props": [
                    _prop("stream", cluster.stream),
                    _prop("kind", "Namespace"),
                    _prop("name", namespace),
                ],
                "implemented-components": implemented,
            }
        )
    for res in cluster.resources:
        props = [
            _prop("stream", cluster.stream),
            _prop("api-version", res.api_version or "unknown"),
            _prop("kind", res.kind),
            _prop("name", res.name),
        ]
        if res.namespace:
            props.append(_prop("namespace", res.namespace))
        items.append(
            {
                "uuid": resource_uuid(cluster.stream, res),
                "description": f"{_resource_text(res)} in cluster {cluster.stream}",
                "props": props,
                "implemented-components": implemented,
            }
        )
    return items


def _local_definitions(facts: ComplianceReport, assessed: Assessment) -> Json:
    out: Json = {}
    if assessed.clusters:
        out["components"] = [_cluster_component(c) for c in assessed.clusters]
        items = [i for c in assessed.clusters for i in _inventory(c)]
        if items:
            out["inventory-items"] = items
    out["assessment-assets"] = {
        "components": [_tool_component(facts)],
        "assessment-platforms": [_platform(facts)],
    }
    return out


# --- observations and findings ---------------------------------------------------------------


def _tool_origin(facts: ComplianceReport) -> Json:
    return {"actors": [{"type": "tool", "actor-uuid": tool_uuid(*_tool(facts))}]}


def _origins(facts: ComplianceReport, signoffs: Sequence[Reviewer]) -> list[Json]:
    origins = [_tool_origin(facts)]
    reviewers = dict.fromkeys(party_uuid(s.reviewer) for s in signoffs)
    if reviewers:
        origins.append(
            {
                "actors": [
                    {"type": "party", "actor-uuid": p, "role-id": REVIEWER_ROLE} for p in reviewers
                ]
            }
        )
    return origins


def _evidence_links(
    runs: Iterable[str], by_run: Mapping[str, RunIndexEntry]
) -> list[dict[str, str]]:
    out = []
    for run in dict.fromkeys(runs):
        record = by_run.get(run)
        if record is None:
            continue
        out.append(
            {
                "href": "#" + record_uuid(record.stream, run, record.digest),
                "description": f"run {run} ({record.stream} #{record.seq}), "
                f"record digest {record.digest}",
            }
        )
    return out


def _collected(runs: Sequence[str], by_run: Mapping[str, RunIndexEntry], default: str) -> str:
    times = [by_run[r].recorded_at for r in runs if r in by_run]
    return times[-1] if times else default


def _control_observation(
    facts: ComplianceReport,
    control: ControlFacts,
    statuses: Sequence[ControlStatus],
    by_run: Mapping[str, RunIndexEntry],
) -> Json:
    counts = control.counts
    description = (
        f"{control.control} was evaluated {control.evaluations} times by "
        f"{', '.join(control.policies)}: pass {counts.get('pass', 0)}, "
        f"fail {counts.get('fail', 0)}, warn {counts.get('warn', 0)}, "
        f"error {counts.get('error', 0)}, skip {counts.get('skip', 0)}; "
        f"pass rate {pct(control.pass_rate)}; status at each cluster's last run: "
        + ", ".join(f"{s.stream} {s.status}" for s in statuses)
        + "."
    )
    observation: Json = {
        "uuid": _uuid(_seed(facts), "observation", control.control),
        "title": f"Evaluations of {control.control}",
        "description": description,
        "props": [
            _prop("control", control.control),
            _prop("pass-rate", pct(control.pass_rate)),
            _prop("current-status", control.current_status),
        ],
        "methods": ["TEST"],
        "types": ["control-objective"],
        "origins": [_tool_origin(facts)],
        "collected": _collected(control.runs, by_run, facts.period.until),
    }
    subjects = [
        {"subject-uuid": cluster_uuid(s), "type": "component", "title": f"cluster {_line(s)}"}
        for s in dict.fromkeys(st.stream for st in statuses)
    ]
    if subjects:
        observation["subjects"] = subjects
    evidence = _evidence_links(control.runs, by_run)
    if evidence:
        observation["relevant-evidence"] = evidence
    return observation


def _failing_observation(
    facts: ComplianceReport, failing: FailingResource, by_run: Mapping[str, RunIndexEntry]
) -> Json:
    res = failing.resource
    what = _resource_text(res)
    subjects: list[Json] = []
    if res is not None:
        subjects.append(
            {
                "subject-uuid": resource_uuid(failing.stream, res),
                "type": "inventory-item",
                "title": _line(what),
            }
        )
    subjects.append(
        {
            "subject-uuid": cluster_uuid(failing.stream),
            "type": "component",
            "title": f"cluster {_line(failing.stream)}",
        }
    )
    key = "" if res is None else resource_uuid(failing.stream, res)
    state = "still failing" if failing.failing_now else "passing again"
    return {
        "uuid": _uuid(_seed(facts), "observation", "resource", failing.stream, failing.policy, key),
        "title": _line(f"{failing.policy} {failing.last_status} on {what} in {failing.stream}"),
        "description": (
            f"{failing.policy} failed on {what} in cluster {failing.stream} in "
            f"{_runs_text(len(failing.runs))} ({', '.join(failing.runs)}); {state} at the "
            f"cluster's last run that evaluated it. Last message: {failing.last_message or '-'}"
        ),
        "props": [
            _prop("policy", failing.policy),
            *(_prop("control", c) for c in failing.controls),
            _prop("status", failing.last_status),
            _prop("failing-now", str(failing.failing_now).lower()),
            _prop("failed-runs", len(failing.runs)),
        ],
        "methods": ["TEST"],
        "types": ["finding"],
        "origins": [_tool_origin(facts)],
        "subjects": subjects,
        "relevant-evidence": _evidence_links(failing.runs, by_run),
        "collected": _collected(failing.runs, by_run, facts.period.until),
    }


def _finding(
    facts: ComplianceReport,
    control: ControlFacts,
    statuses: Sequence[ControlStatus],
    observations: Sequence[str],
    signoffs: Sequence[Reviewer],
) -> Json:
    name = control.control
    passing = bool(statuses) and all(s.status == "pass" for s in statuses)
    failing = [s for s in statuses if s.status in ("fail", "warn", "error")]
    reason = "pass" if passing else ("fail" if failing else "other")
    per_cluster = ", ".join(f"{s.stream}: {s.status} (run {s.run})" for s in statuses) or "none"
    failures = control.failure_runs
    return {
        "uuid": _uuid(_seed(facts), "finding", name),
        "title": f"{name} " + ("satisfied" if passing else "not satisfied"),
        "description": (
            f"Status at each cluster's last run: {per_cluster}. Failed in {len(failures)} of "
            f"{control.evaluations} evaluations in the period"
            + (f" (runs: {', '.join(failures)})." if failures else ".")
        ),
        "props": [_prop("control", name)],
        "origins": _origins(facts, signoffs),
        "target": {
            "type": "objective-id",
            "target-id": control_token(name),
            "status": {"state": "satisfied" if passing else "not-satisfied", "reason": reason},
        },
        "related-observations": [{"observation-uuid": u} for u in observations],
    }


# --- the log and the reviewers ---------------------------------------------------------------


def _log_entries(facts: ComplianceReport, signoffs: Sequence[Reviewer]) -> list[Json]:
    entries: list[Json] = []
    for run in facts.runs:
        digest = run.digest
        entry: Json = {
            "uuid": _uuid("log", run.stream, run.run, digest),
            "title": _line(f"{run.command} run {run.run} on {run.stream}"),
            "description": (
                f"regulens {run.command} evaluated at {run.at} and recorded at "
                f"{run.recorded_at} as {run.stream} #{run.seq}"
                + (f"; decision {run.decision}." if run.decision else ".")
            ),
            "start": run.at,
            "props": [
                _prop("run-id", run.run),
                _prop("stream", run.stream),
                _prop("seq", run.seq),
            ],
            "links": [{"href": f"#{record_uuid(run.stream, run.run, digest)}", "rel": "evidence"}],
        }
        if run.recorded_at >= run.at:
            entry["end"] = run.recorded_at
        entries.append(entry)
    for s in signoffs:
        entries.append(
            {
                "uuid": _uuid("log", s.stream, s.run, s.digest),
                "title": _line(f"Review of {s.month} signed off by {s.reviewer}"),
                "description": f"review-signoff recorded as {s.stream} #{s.seq} (run {s.run}).",
                "start": s.recorded_at,
                "props": [_prop("run-id", s.run), _prop("stream", s.stream)],
                "links": [
                    {"href": f"#{record_uuid(s.stream, s.run, s.digest)}", "rel": "evidence"}
                ],
                "logged-by": [{"party-uuid": party_uuid(s.reviewer), "role-id": REVIEWER_ROLE}],
            }
        )
    return entries


def _parties(signoffs: Sequence[Reviewer]) -> list[Json]:
    seen: dict[str, Json] = {}
    for s in signoffs:
        seen.setdefault(
            party_uuid(s.reviewer),
            {"uuid": party_uuid(s.reviewer), "type": "person", "name": _line(s.reviewer)},
        )
    return list(seen.values())


def _attestations(signoffs: Sequence[Reviewer]) -> list[Json]:
    return [
        {
            "responsible-parties": [
                {"role-id": REVIEWER_ROLE, "party-uuids": [party_uuid(s.reviewer)]}
            ],
            "parts": [
                {
                    "uuid": _uuid("attestation", s.stream, s.run, s.digest),
                    "name": "sign-off",
                    "title": _line(f"Monthly review {s.month} of {s.stream}"),
                    "prose": f"{s.reviewer} signed off the review of {s.month} on {s.date} "
                    f"(record {s.stream} #{s.seq}, run {s.run}).",
                }
            ],
        }
        for s in signoffs
    ]


# --- the documents ---------------------------------------------------------------------------


def _metadata(facts: ComplianceReport, title: str, signoffs: Sequence[Reviewer]) -> Json:
    name, version = _tool(facts)
    metadata: Json = {
        "title": title,
        "last-modified": facts.generated_at,
        "version": str(facts.version),
        "oscal-version": OSCAL_VERSION,
        "props": [_prop("tool", f"{name} {version}")],
    }
    if signoffs:
        metadata["roles"] = [{"id": REVIEWER_ROLE, "title": "Monthly security reviewer"}]
        metadata["parties"] = _parties(signoffs)
    return metadata


def _reviewed_controls(facts: ComplianceReport) -> Json:
    controls = facts.controls
    selection: Json = (
        {"include-controls": [{"control-id": control_token(c.control)} for c in controls]}
        if controls
        else {"include-all": {}}
    )
    return {"control-selections": [selection]}


def assessment_plan(facts: ComplianceReport) -> Json:
    """The OSCAL `assessment-plan` the results import: what regulens assesses, and how."""
    assessed = facts.assessment
    period = facts.period
    name, version = _tool(facts)
    system = {
        "uuid": _uuid(_seed(facts), "system"),
        "title": "The clusters assessed (no separate system security plan)",
        "description": "regulens has no SSP to import: the assessed system is the set of "
        "clusters defined in this plan's local definitions, one per evidence stream.",
    }
    plan: Json = {
        "uuid": _uuid(_seed(facts), "plan"),
        "metadata": _metadata(facts, f"regulens assessment plan {period.label}", ()),
        "import-ssp": {"href": f"#{system['uuid']}"},
        "reviewed-controls": _reviewed_controls(facts),
        "assessment-assets": _local_definitions(facts, assessed)["assessment-assets"],
        "terms-and-conditions": {
            "parts": [
                {
                    "uuid": _uuid(_seed(facts), "plan", "method"),
                    "name": "method",
                    "title": "Automated policy evaluation",
                    "prose": (
                        f"{name} {version} evaluates its policy sets against each cluster "
                        "(live API reads or rendered manifests) on a schedule and in CI gates, "
                        "and records every decision in a hash-chained, signed evidence store; "
                        f"the results cover {period.since} to {period.until}."
                    ),
                }
            ]
        },
        "back-matter": {"resources": [system]},
    }
    if assessed.clusters:
        # The plan names the clusters; the objects found in them are the results' inventory.
        plan["local-definitions"] = {
            "components": [_cluster_component(c) for c in assessed.clusters]
        }
        plan["assessment-subjects"] = [
            {
                "type": "component",
                "include-subjects": [
                    {"subject-uuid": cluster_uuid(c.stream), "type": "component"}
                    for c in assessed.clusters
                ],
            }
        ]
    return {"assessment-plan": _printable(plan)}


def _dump(document: Json) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def render_oscal_plan(facts: ComplianceReport) -> bytes:
    """Render the OSCAL assessment-plan JSON (`report --format oscal-ap`)."""
    return _dump(assessment_plan(facts))


def assessment_results(facts: ComplianceReport) -> Json:
    """Build the OSCAL `assessment-results` document (as a dict)."""
    period = facts.period
    seed = _seed(facts)
    assessed = facts.assessment
    runs = facts.runs
    by_run = {r.run: r for r in runs}
    verification = facts.evidence.verification
    statuses: dict[str, list[ControlStatus]] = {}
    for status in assessed.control_status:
        statuses.setdefault(status.control, []).append(status)
    by_control: dict[str, list[Json]] = {}
    resource_observations = []
    for failing in assessed.failing:
        observation = _failing_observation(facts, failing, by_run)
        resource_observations.append(observation)
        for control_id in failing.controls:
            by_control.setdefault(control_id, []).append(observation)
    observations: list[Json] = []
    findings = []
    for control in facts.controls:
        name = control.control
        observation = _control_observation(facts, control, statuses.get(name, []), by_run)
        observations.append(observation)
        related = [observation["uuid"], *(o["uuid"] for o in by_control.get(name, []))]
        findings.append(
            _finding(facts, control, statuses.get(name, []), related, assessed.signoffs)
        )
    observations.extend(resource_observations)
    result: Json = {
        "uuid": _uuid(seed, "result"),
        "title": f"regulens compliance assessment {period.label}",
        "description": (
            "Policy evaluations recorded in the regulens evidence store "
            f"{facts.evidence.store} "
            f"from {period.since} to {period.until}. Evidence verification: "
            f"{verification.status} ({verification.message})."
        ),
        "start": period.since,
        "end": period.until,
        "props": [
            _prop("evidence-verification", verification.status),
            _prop("evidence-state", facts.evidence.state),
            _prop("runs", facts.summary.runs),
        ],
        "local-definitions": _local_definitions(facts, assessed),
        "reviewed-controls": _reviewed_controls(facts),
    }
    if assessed.signoffs:
        result["attestations"] = _attestations(assessed.signoffs)
    entries = _log_entries(facts, assessed.signoffs)
    if entries:
        result["assessment-log"] = {"entries": entries}
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    plan = render_oscal_plan(facts)
    plan_resource: Json = {
        "uuid": _uuid(seed, "plan-resource"),
        "title": "The assessment plan these results follow",
        "description": "Generated with the results; the same bytes as "
        "`regulens report --format oscal-ap` for the same evidence.",
        "props": [_prop("sha256", hashlib.sha256(plan).hexdigest())],
        "base64": {
            "filename": "assessment-plan.json",
            "media-type": PLAN_MEDIA_TYPE,
            "value": base64.b64encode(plan).decode("ascii"),
        },
    }
    resources = [plan_resource, *(_run_resource(r) for r in runs)]
    resources.extend(_signoff_resource(s) for s in assessed.signoffs)
    document: Json = {
        "uuid": _uuid(seed, "document", _evidence_seed(facts)),
        "metadata": _metadata(
            facts, f"regulens compliance report {period.label}", assessed.signoffs
        ),
        "import-ap": {"href": f"#{plan_resource['uuid']}"},
        "results": [result],
        "back-matter": {"resources": resources},
    }
    return {"assessment-results": _printable(document)}


def render_oscal(facts: ComplianceReport) -> bytes:
    """Render the OSCAL assessment-results JSON."""
    return _dump(assessment_results(facts))
