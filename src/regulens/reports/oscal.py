"""OSCAL assessment-results (1.1) from the compliance report facts.

One result for the period; one observation per evaluated control, whose
relevant evidence points at back-matter resources, one per run, that carry the
record's chain digest (SHA-256); one finding per control that failed in the
period. UUIDs are derived from the facts (uuid5), so the same evidence always
gives the same document.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import orjson

from regulens.reports.render import pct

OSCAL_VERSION = "1.1.2"
NS = "https://regulens.dev/ns/oscal"
_UUID_NS = uuid.UUID("6f1f4d2e-2b0c-5b7e-9a51-7a4c3e0d9b11")
_TOKEN_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def control_token(control: str) -> str:
    """An OSCAL token for a control id: `SOC2:CC6.3` → `soc2_cc6.3`."""
    token = _TOKEN_BAD.sub("_", control.lower()).strip("_-.") or "control"
    return token if token[0].isalpha() else f"c_{token}"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_NS, "\x00".join(parts)))


def _prop(name: str, value: Any) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": str(value)}


def _run_resource(run: Mapping[str, Any], seed: str) -> dict[str, Any]:
    digest = str(run.get("digest") or "")
    algorithm, _, value = digest.partition(":")
    link: dict[str, Any] = {
        "href": f"urn:regulens:evidence:{quote(str(run['stream']), safe='')}:{run['seq']}",
        "media-type": "application/vnd.in-toto+json",
    }
    if algorithm.lower() == "sha256" and re.fullmatch(r"[0-9a-fA-F]{64}", value):
        link["hashes"] = [{"algorithm": "SHA-256", "value": value.lower()}]
    props = [
        _prop("run-id", run["run"]),
        _prop("stream", run["stream"]),
        _prop("seq", run["seq"]),
        _prop("command", run["command"] or "unknown"),
    ]
    if run.get("decision"):
        props.append(_prop("decision", run["decision"]))
    return {
        "uuid": _uuid(seed, "run", str(run["run"])),
        "title": f"Evidence record of run {run['run']} ({run['stream']} #{run['seq']})",
        "description": f"{run['command']} run evaluated at {run['at']}; record digest {digest}.",
        "props": props,
        "rlinks": [link],
    }


def assessment_results(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Build the OSCAL `assessment-results` document (as a dict)."""
    period = facts["period"]
    seed = f"{period['since']}|{period['until']}|{','.join(facts['streams'])}"
    resources = {run["run"]: _run_resource(run, seed) for run in facts["runs"]}
    verification = facts["evidence"]["verification"]
    observations = []
    findings = []
    for control in facts["controls"]:
        token = control_token(control["control"])
        obs_uuid = _uuid(seed, "observation", control["control"])
        counts = control["counts"]
        description = (
            f"{control['control']} was evaluated {control['evaluations']} times by "
            f"{', '.join(control['policies'])}: pass {counts['pass']}, fail {counts['fail']}, "
            f"warn {counts['warn']}, error {counts['error']}, skip {counts['skip']}; "
            f"pass rate {pct(control['pass_rate'])}; status at the last run: "
            f"{control['current_status']}."
        )
        last_at = next(
            (r["at"] for r in facts["runs"] if r["run"] == control["current_run"]),
            period["until"],
        )
        observations.append(
            {
                "uuid": obs_uuid,
                "title": f"Evaluations of {control['control']}",
                "description": description,
                "props": [
                    _prop("control", control["control"]),
                    _prop("pass-rate", pct(control["pass_rate"])),
                    _prop("current-status", control["current_status"]),
                ],
                "methods": ["TEST"],
                "types": ["control-objective"],
                "relevant-evidence": [
                    {
                        "href": f"#{resources[run]['uuid']}",
                        "description": f"run {run}",
                    }
                    for run in dict.fromkeys(control["runs"])
                    if run in resources
                ],
                "collected": last_at,
            }
        )
        if control["first_failure"] is None and control["current_status"] not in ("error",):
            continue
        failing_now = control["current_status"] in ("fail", "warn", "error")
        failed = ", ".join(control["failure_runs"]) or "none"
        findings.append(
            {
                "uuid": _uuid(seed, "finding", control["control"]),
                "title": f"{control['control']} "
                + ("not satisfied" if failing_now else "failed during the period"),
                "description": (
                    f"Failed in {len(control['failure_runs'])} of {control['evaluations']} "
                    f"evaluations (runs: {failed}); status at the last run: "
                    f"{control['current_status']}."
                ),
                "props": [_prop("control", control["control"])],
                "target": {
                    "type": "objective-id",
                    "target-id": token,
                    "status": {"state": "not-satisfied" if failing_now else "satisfied"},
                },
                "related-observations": [{"observation-uuid": obs_uuid}],
            }
        )
    result: dict[str, Any] = {
        "uuid": _uuid(seed, "result"),
        "title": f"regulens compliance assessment {period['label']}",
        "description": (
            "Policy evaluations recorded in the regulens evidence store "
            f"{facts['evidence']['store']} "
            f"from {period['since']} to {period['until']}. Evidence verification: "
            f"{verification['status']} ({verification['message']})."
        ),
        "start": period["since"],
        "end": period["until"],
        "props": [
            _prop("evidence-verification", verification["status"]),
            _prop("evidence-state", facts["evidence"]["state"]),
            _prop("runs", facts["summary"]["runs"]),
        ],
        "reviewed-controls": {
            "control-selections": [
                {
                    "include-controls": [
                        {"control-id": control_token(c["control"])} for c in facts["controls"]
                    ]
                }
                if facts["controls"]
                else {"include-all": {}}
            ]
        },
    }
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    document: dict[str, Any] = {
        "uuid": _uuid(seed, "document", facts["generated_at"]),
        "metadata": {
            "title": f"regulens compliance report {period['label']}",
            "last-modified": facts["generated_at"],
            "version": str(facts["version"]),
            "oscal-version": OSCAL_VERSION,
            "props": [_prop("tool", f"{facts['tool']['name']} {facts['tool']['version']}")],
        },
        "import-ap": {"href": "urn:regulens:assessment-plan:policies"},
        "results": [result],
    }
    if resources:
        document["back-matter"] = {"resources": list(resources.values())}
    return {"assessment-results": document}


def render_oscal(facts: Mapping[str, Any]) -> bytes:
    """Render the OSCAL assessment-results JSON."""
    return orjson.dumps(assessment_results(facts), option=orjson.OPT_INDENT_2) + b"\n"
