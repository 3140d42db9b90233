"""JUnit XML for CI test tabs: one testcase per policy x resource.

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


def render_junit(outcome: Outcome) -> bytes:
    """Render the outcome as a JUnit XML document."""
    cases: dict[tuple[str, str], list[Result]] = {}
    for r in outcome.results:
        cases.setdefault((r.policy, _name(r)), []).append(r)
    suite = ET.Element("testsuite", name=printable(f"regulens {outcome.change_id or 'evaluate'}"))
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for (policy, name), group in cases.items():
        group.sort(key=lambda r: _WORST[r.status])
        worst = group[0]
        case = ET.SubElement(suite, "testcase", classname=printable(policy), name=name)
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
        elif worst.status is Status.SKIP:
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=message)
        else:
            ET.SubElement(case, "system-out").text = text
    for key, value in counts.items():
        suite.set(key, str(value))
    suites = ET.Element("testsuites", name="regulens")
    for key, value in counts.items():
        suites.set(key, str(value))
    suites.append(suite)
    ET.indent(suites)
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
