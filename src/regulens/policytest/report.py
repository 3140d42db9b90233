"""Render policy test outcomes: a table with a diff per mismatch, JSON, or JUnit XML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

import orjson

from regulens.display import printable
from regulens.policytest.compare import Check


@dataclass(frozen=True)
class PolicyTestOutcome:
    """The checks of one PolicyTest document, and how long it took."""

    file: str
    name: str
    checks: tuple[Check, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        """True when every check held."""
        return all(c.ok for c in self.checks)


def _expected(check: Check) -> str:
    text = check.expected.value
    return f"{text} (message contains {check.message!r})" if check.message else text


def render_text(outcomes: Sequence[PolicyTestOutcome]) -> bytes:
    """One line per check, then the expected and got lines of every mismatch, then a summary."""
    lines: list[str] = []
    failed = 0
    for t in outcomes:
        for c in t.checks:
            verdict = "ok  " if c.ok else "FAIL"
            lines.append(printable(f"{verdict} {t.name}  {c.policy}  {c.resource}  {_expected(c)}"))
            if c.ok:
                continue
            failed += 1
            lines.append(printable(f"     {t.file}: {c.reason}"))
            lines.append(printable(f"     - expected: {_expected(c)}"))
            if not c.got:
                lines.append("     + got:      (no result)")
            for g in c.got:
                lines.append(
                    printable(f"     + got:      {g.status.value} {g.resource}: {g.message}")
                )
    total = sum(len(t.checks) for t in outcomes)
    passed_tests = sum(1 for t in outcomes if t.passed)
    lines.append(
        f"{passed_tests}/{len(outcomes)} tests passed; {total - failed}/{total} expectations held"
    )
    return ("\n".join(lines) + "\n").encode()


def _check_json(c: Check) -> dict[str, object]:
    return {
        "policy": c.policy,
        "resource": c.resource,
        "expected": {"status": c.expected.value, "message": c.message},
        "got": [
            {"resource": g.resource, "status": g.status.value, "message": g.message} for g in c.got
        ],
        "ok": c.ok,
        "reason": c.reason,
    }


def render_json(outcomes: Sequence[PolicyTestOutcome]) -> bytes:
    """The documented JSON form: every test with its checks, and a summary."""
    doc = {
        "tests": [
            {
                "file": t.file,
                "name": t.name,
                "passed": t.passed,
                "checks": [_check_json(c) for c in t.checks],
            }
            for t in outcomes
        ],
        "summary": {
            "tests": len(outcomes),
            "passed": sum(1 for t in outcomes if t.passed),
            "failed": sum(1 for t in outcomes if not t.passed),
        },
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


def render_junit(
    outcomes: Sequence[PolicyTestOutcome], *, timestamp: datetime, hostname: str
) -> bytes:
    """One testsuite per test document, one testcase per check; a mismatch is a failure."""
    suites = ET.Element("testsuites", name="regulens test")
    all_tests = all_failures = 0
    total_time = 0.0
    for t in outcomes:
        failures = sum(1 for c in t.checks if not c.ok)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=printable(t.name),
            tests=str(len(t.checks)),
            failures=str(failures),
            errors="0",
            skipped="0",
            time=f"{t.seconds:.3f}",
            timestamp=timestamp.strftime("%Y-%m-%dT%H:%M:%S"),
            hostname=printable(hostname),
            file=printable(t.file),
        )
        each = t.seconds / len(t.checks) if t.checks else 0.0
        for c in t.checks:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=printable(t.name),
                name=printable(f"{c.policy} {c.resource} {c.expected.value}"),
                file=printable(t.file),
                time=f"{each:.3f}",
            )
            if not c.ok:
                got = "\n".join(f"+ got: {g.status.value} {g.resource}: {g.message}" for g in c.got)
                el = ET.SubElement(case, "failure", message=printable(c.reason), type="mismatch")
                el.text = printable(
                    f"- expected: {_expected(c)}\n{got or '+ got: (no result)'}", keep_newlines=True
                )
        all_tests += len(t.checks)
        all_failures += failures
        total_time += t.seconds
    suites.set("tests", str(all_tests))
    suites.set("failures", str(all_failures))
    suites.set("errors", "0")
    suites.set("time", f"{total_time:.3f}")
    ET.indent(suites)
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
