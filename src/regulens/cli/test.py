"""`regulens test`: run `kind: PolicyTest` documents through the evaluate path.

Exit codes: 0 every expectation held, 1 a mismatch (with a diff of expected vs
got), 2 a test's inputs could not be read, 3 a bad test document (or none found).
"""

from __future__ import annotations

import socket
import time

import click

from regulens import clock
from regulens.cli.common import load_exceptions, load_selected
from regulens.cli.output import emit
from regulens.cli.run import Run, judge
from regulens.engine.policy import Policy
from regulens.policytest.compare import compare
from regulens.policytest.load import LoadedTest, check_inputs, kubernetes_state, load_tests
from regulens.policytest.report import PolicyTestOutcome, render_json, render_junit, render_text
from regulens.snapshot import Snapshot
from regulens.sources.backups import build_backups
from regulens.sources.inputs import InputRequest, TrivyRequest, collect


def run_test(loaded: LoadedTest) -> PolicyTestOutcome:
    """Load one test's policies and inputs, judge them as `evaluate` does, compare."""
    started = time.perf_counter()
    test = loaded.test
    check_inputs(loaded)
    specs = tuple(loaded.path(p) for p in test.policies)
    policies, chosen = load_selected(specs, test.select, ())
    exceptions = tuple(loaded.path(p) for p in test.inputs.exceptions)
    waivers = load_exceptions(exceptions, policies, test.now)
    snapshot = _snapshot(loaded, chosen)
    outcome = judge(Run(policies, chosen, waivers, snapshot, test.now))
    checks = tuple(compare(test, outcome.results))
    return PolicyTestOutcome(loaded.file, test.metadata.name, checks, time.perf_counter() - started)


def _snapshot(loaded: LoadedTest, chosen: list[Policy]) -> Snapshot:
    inputs = loaded.test.inputs
    path = loaded.path

    def optional(value: str | None) -> str | None:
        return path(value) if value is not None else None

    reports = tuple(path(p) for p in inputs.trivy_reports)
    request = InputRequest(
        change=optional(inputs.change),
        baseline_manifests=tuple(path(p) for p in inputs.current_manifests),
        audit_policy=optional(inputs.audit_policy),
        drills=optional(inputs.drills),
        metrics=optional(inputs.metrics),
        trivy=TrivyRequest(reports) if reports else None,
    )
    snapshot = collect(request, chosen, loaded.test.now, clock=clock.now)
    state = kubernetes_state(loaded)
    # backups derive from the judged objects (CronJobs, Velero) plus the catalog
    backups = build_backups(state, optional(inputs.backups))
    return snapshot.model_copy(update={"kubernetes": state, "backups": backups})


@click.command("test")
@click.argument("paths", nargs=-1, required=True, metavar="PATH|builtin:NAME...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "junit")),
    default="table",
    show_default=True,
)
@click.option("--output", "-o", "output", metavar="FILE", help="Write here instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def test_cmd(paths: tuple[str, ...], fmt: str, output: str | None, force: bool) -> int:
    """Run policy tests (kind: PolicyTest); exit 0 all held, 1 mismatch, 2 unreadable, 3 bad."""
    started = clock.now()
    outcomes = [run_test(t) for t in load_tests(paths)]
    if fmt == "json":
        data = render_json(outcomes)
    elif fmt == "junit":
        data = render_junit(outcomes, timestamp=started, hostname=socket.gethostname())
    else:
        data = render_text(outcomes)
    emit(data, output, force=force)
    return 0 if all(t.passed for t in outcomes) else 1
