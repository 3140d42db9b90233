"""JUnit XML for CI test tabs: one testcase per policy x resource, every finding listed.

Statuses map onto what CI test tabs show: `fail` is a `<failure>`, `error`
(not evaluated) an `<error>`, and `warn` (a failure of a policy that does not
deny) a `<skipped message="warn: ...">`: visible in the tab as not passed,
yet not a failed build (a `<failure>` would fail the pipeline of a policy that
only warns). `skip` (not selected, waived) is `<skipped>` too. A testcase's
`file` is where its object was read from (else the change or first policy
file); the suite carries the run's `now` as `timestamp` and the `hostname`
the CLI passes. Policies are not timed one by one: testcases carry
`time="0.000"` and the suite the evaluation time when given.

XML 1.0 cannot carry most control characters at all (not even as references),
and CI test tabs show these texts to people: input text goes through `printable`.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from regulens.display import printable
from regulens.engine.outcome import Outcome
from regulens.engine.results import Result
from regulens.engine.types import Status

# The worst status of a policy x resource decides its testcase.
_WORST = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2, Status.PASS: 3, Status.SKIP: 4}


def _name(result: Result) -> str:
    return printable(str(result.resource)) if result.resource is not None else "(input)"


def _file(group: list[Result], fallback: str | None) -> str | None:
    for r in group:
        if r.location is not None and r.location.file not in ("", "-"):
            return r.location.file
    return fallback


def render_junit(
    outcome: Outcome,
    *,
    hostname: str | None = None,
    fallback_file: str | None = None,
    seconds: float | None = None,
) -> bytes:
    """Render the outcome as a JUnit XML document."""
    cases: dict[tuple[str, str], list[Result]] = {}
    for r in outcome.results:
        cases.setdefault((r.policy, _name(r)), []).append(r)
    suite = ET.Element("testsuite", name=printable(f"regulens {outcome.change_id or 'evaluate'}"))
    suite.set("timestamp", outcome.now.strftime("%Y-%m-%dT%H:%M:%S"))
    if hostname:
        suite.set("hostname", printable(hostname))
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for (policy, name), group in cases.items():
        group.sort(key=lambda r: _WORST[r.status])
        worst = group[0]
        case = ET.SubElement(
            suite, "testcase", classname=printable(policy), name=name, time="0.000"
        )
        file = _file(group, fallback_file)
        if file is not None:
            case.set("file", printable(file))
        text = "\n".join(f"{r.status.value}: {printable(r.message)}" for r in group)
        message = printable(worst.message)
        counts["tests"] += 1
        if worst.status is Status.FAIL:
            counts["failures"] += 1
            el = ET.SubElement(case, "failure", message=message, type=worst.severity.value)
            el.text = text
        elif worst.status is Status.ERROR:
            counts["errors"] += 1
            el = ET.SubElement(case, "error", message=message, type="not-evaluated")
            el.text = text
        elif worst.status is Status.WARN:
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=f"warn: {message}").text = text
        elif worst.status is Status.SKIP:
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=message).text = text
        if worst.status is not Status.SKIP:
            ET.SubElement(case, "system-out").text = text
    total = f"{seconds:.3f}" if seconds is not None else "0.000"
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", total)
    suites = ET.Element("testsuites", name="regulens")
    for key, value in counts.items():
        suites.set(key, str(value))
    suites.set("time", total)
    suites.append(suite)
    ET.indent(suites)
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
