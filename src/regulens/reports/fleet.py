"""The fleet overview: one row per evidence stream (cluster), built from verified evidence.

One central store holds a stream per cluster (each cluster's scheduled run records
into its own stream). `FleetFold` folds the store's runs, in (stream, seq) order
and without holding them, into one `FleetRow` per stream: runs in the
period, the newest run, the decision of the newest run that decided, the policies
that failed or errored in it, the age of the newest run (stale beyond
`stale_after`) and the verdict of verifying that stream's chain. The CLI
(`report --fleet`, `review --fleet`), the portal (`/api/streams`, the fleet page)
and `/metrics` all read these facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from regulens.reports.facts import PeriodFacts, Tool
from regulens.reports.runs import Period, RunRecord, iso, parse_time
from regulens.snapshot.kubernetes import CoverageGap

FLEET_VERSION = 1
DEFAULT_STALE_AFTER = timedelta(hours=26)  # a daily run, plus two hours of slack
EXPIRY_WINDOW = timedelta(days=30)
STATUS_ORDER = ("pass", "skip", "warn", "fail", "error")  # worst last
FAILING = frozenset({"fail", "error"})
PolicyStatus = Literal["pass", "skip", "warn", "fail", "error"]
VerifyState = Literal["verified", "integrity-only", "failed"]


class _Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FleetPolicy(_Facts):
    """The worst result of one policy in a stream's newest decision."""

    policy: str
    status: PolicyStatus


class StreamVerification(_Facts):
    """The verdict on one stream's chain (verified separately from every other stream)."""

    state: VerifyState
    status: str  # the verifier's status: OK, BROKEN_LINK, CORRUPT, BAD_SIGNATURE, ...
    message: str


class FleetRow(_Facts):
    """One stream (cluster) of the fleet."""

    stream: str
    runs: int  # runs evaluated in the period (every run when no period)
    last_run: str | None  # the newest run (up to the end of the period)
    last_run_at: str | None
    last_command: str | None
    decision: str | None  # of the newest run that decided (allow or deny)
    decision_run: str | None
    decision_at: str | None
    exit_code: int | None
    incomplete: bool  # that decision denied on incomplete data (exit 2 or coverage gaps)
    coverage_gaps: tuple[str, ...]  # what it could not read: "Role (403)", sorted
    failing_policies: tuple[str, ...]  # failed or errored in that decision, sorted
    policies: tuple[FleetPolicy, ...]  # every policy of that decision, sorted
    exceptions_expiring: int  # recorded exceptions expiring within 30 days of `as_of`
    age_seconds: float | None  # of the newest run, at `as_of`
    stale: bool  # no run, or the newest is older than `stale_after`
    verification: StreamVerification


class FleetTotals(_Facts):
    """Counts over the rows."""

    streams: int
    runs: int
    allow: int
    deny: int
    incomplete: int  # streams whose newest decision rests on incomplete data
    undecided: int  # streams without any decision
    failing: int  # streams whose newest decision has failing policies
    stale: int
    verified: int  # streams whose chain verified (with or without signatures checked)
    failed_verification: int


class FleetOverview(_Facts):
    """The fleet overview (`regulens report --fleet --format json`)."""

    kind: Literal["regulens-fleet-overview"] = "regulens-fleet-overview"
    version: Literal[1] = 1
    generated_at: str
    as_of: str  # the end of the period, or `generated_at` when that is earlier
    tool: Tool
    store: str
    period: PeriodFacts | None
    stale_after_seconds: float
    signatures_checked: bool
    rows: tuple[FleetRow, ...]
    totals: FleetTotals


@dataclass(frozen=True, slots=True)
class FleetVerdicts:
    """Per-stream verification results as the builder reads them."""

    signatures_checked: bool
    problems: Mapping[str, tuple[str, str]]  # stream -> (status, message), streams not OK
    store_problem: tuple[str, str] | None = None  # a problem not tied to one stream

    def of(self, stream: str) -> StreamVerification:
        """The verdict on one stream (a store-wide problem fails every stream: fail closed)."""
        problem = self.problems.get(stream) or self.store_problem
        if problem is not None:
            return StreamVerification(state="failed", status=problem[0], message=problem[1])
        if self.signatures_checked:
            return StreamVerification(
                state="verified", status="OK", message="chain and signatures verified"
            )
        return StreamVerification(
            state="integrity-only",
            status="OK",
            message="chain verified; signatures not checked (no --public-key)",
        )


def verdicts(
    problems: Iterable[Mapping[str, object]], streams: Iterable[str], *, signatures_checked: bool
) -> FleetVerdicts:
    """FleetVerdicts from the verifier's problem reports (`StreamReport.to_json()` forms)."""
    known = set(streams)
    by_stream: dict[str, tuple[str, str]] = {}
    store_problem: tuple[str, str] | None = None
    for p in problems:
        stream, status = str(p.get("stream", "")), str(p.get("status", ""))
        seq, message = p.get("seq"), str(p.get("message", ""))
        text = f"{status} at seq {seq}: {message}" if seq is not None else f"{status}: {message}"
        if stream in known:
            by_stream.setdefault(stream, (status, text))
        elif store_problem is None:
            store_problem = (status, f"stream {stream}: {text}")
    return FleetVerdicts(signatures_checked, by_stream, store_problem)


@dataclass
class _State:
    runs: int = 0
    last: RunRecord | None = None
    decided: RunRecord | None = None


def policy_status(run: RunRecord) -> dict[str, PolicyStatus]:
    """Policy -> worst status among the run's results (an unknown status counts as error)."""
    out: dict[str, PolicyStatus] = {}
    for r in run.results:
        policy, raw = str(r.get("policy", "")), str(r.get("status", ""))
        status: PolicyStatus = raw if raw in STATUS_ORDER else "error"  # type: ignore[assignment]
        if policy not in out or STATUS_ORDER.index(status) > STATUS_ORDER.index(out[policy]):
            out[policy] = status
    return out


def expiring(run: RunRecord, now: datetime, within: timedelta = EXPIRY_WINDOW) -> int:
    """Exceptions recorded by the run (applied or unused) that expire within `within` of now."""
    block = run.predicate.get("exceptions")
    seen: set[str] = set()
    if not isinstance(block, Mapping):
        return 0
    for key in ("applied", "unused"):
        items = block.get(key)
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping) or not isinstance(item.get("expires"), str):
                continue
            try:
                when = parse_time(str(item["expires"]))
            except ValueError:
                continue
            if now <= when < now + within:
                seen.add(str(item.get("id") or item.get("name") or ""))
    return len(seen)


def _exit_code(run: RunRecord) -> int | None:
    value = run.decision.get("exit_code")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def coverage_gaps(run: RunRecord) -> tuple[str, ...]:
    """The recorded coverage gaps as the run described them (`Role in ns (403)`), sorted."""
    block = run.predicate.get("coverage")
    gaps = block.get("gaps") if isinstance(block, Mapping) else None
    out: set[str] = set()
    for gap in gaps if isinstance(gaps, list) else []:
        try:
            out.add(CoverageGap.model_validate(gap).describe())
        except ValidationError:
            out.add("a gap recorded in an unknown shape")
    return tuple(sorted(out))


def _incomplete(run: RunRecord, gaps: tuple[str, ...]) -> bool:
    block = run.predicate.get("coverage")
    partial = isinstance(block, Mapping) and block.get("complete") is False
    return _exit_code(run) == 2 or partial or bool(gaps)


def _row(
    stream: str, state: _State, as_of: datetime, stale_after: timedelta, verdict: StreamVerification
) -> FleetRow:
    last, decided = state.last, state.decided
    age = max(0.0, (as_of - last.now).total_seconds()) if last is not None else None
    statuses = policy_status(decided) if decided is not None else {}
    gaps = coverage_gaps(decided) if decided is not None else ()
    return FleetRow(
        stream=stream,
        runs=state.runs,
        last_run=last.run_id if last else None,
        last_run_at=last.at if last else None,
        last_command=(last.command or None) if last else None,
        decision=str(decided.decision.get("decision")) if decided else None,
        decision_run=decided.run_id if decided else None,
        decision_at=decided.at if decided else None,
        exit_code=_exit_code(decided) if decided else None,
        incomplete=_incomplete(decided, gaps) if decided else False,
        coverage_gaps=gaps,
        failing_policies=tuple(sorted(p for p, s in statuses.items() if s in FAILING)),
        policies=tuple(FleetPolicy(policy=p, status=s) for p, s in sorted(statuses.items())),
        exceptions_expiring=expiring(decided, as_of) if decided else 0,
        age_seconds=age,
        stale=age is None or age > stale_after.total_seconds(),
        verification=verdict,
    )


def _totals(rows: Sequence[FleetRow]) -> FleetTotals:
    return FleetTotals(
        streams=len(rows),
        runs=sum(r.runs for r in rows),
        allow=sum(1 for r in rows if r.decision == "allow"),
        deny=sum(1 for r in rows if r.decision == "deny"),
        incomplete=sum(1 for r in rows if r.incomplete),
        undecided=sum(1 for r in rows if r.decision is None),
        failing=sum(1 for r in rows if r.failing_policies),
        stale=sum(1 for r in rows if r.stale),
        verified=sum(1 for r in rows if r.verification.state != "failed"),
        failed_verification=sum(1 for r in rows if r.verification.state == "failed"),
    )


class FleetFold:
    """The fleet overview being folded: `add` each run as it is read, then `overview`.

    Runs come in (stream, seq) order and are not held: each stream keeps its newest
    run and its newest deciding run. `streams` are the streams the overview covers (a
    stream without a readable run still gets a row: stale, undecided). Runs evaluated
    after the period are left out; the newest run is the one with the highest seq up
    to then, its age taken at `as_of`.
    """

    def __init__(self, streams: Sequence[str], *, now: datetime, period: Period | None) -> None:
        self.now = now
        self.period = period
        self.as_of = min(now, period.until) if period is not None else now
        self._states: dict[str, _State] = {s: _State() for s in streams}

    def add(self, run: RunRecord) -> None:
        """Fold one run into its stream's row (a run of another stream is ignored)."""
        state = self._states.get(run.stream)
        if state is None:
            return
        at, period = run.now, self.period
        if period is not None and at >= period.until:
            return
        if period is None or period.contains(at):
            state.runs += 1
        if state.last is None or run.seq > state.last.seq:
            state.last = run
        decided = state.decided
        if run.decision.get("decision") is not None and (decided is None or run.seq > decided.seq):
            state.decided = run

    def overview(
        self, verdict: FleetVerdicts, *, stale_after: timedelta, tool: Tool, store: str
    ) -> FleetOverview:
        """The overview of the runs added, each row with its stream's verdict."""
        states = self._states
        rows = tuple(
            _row(s, states[s], self.as_of, stale_after, verdict.of(s)) for s in sorted(states)
        )
        period = self.period
        return FleetOverview(
            generated_at=iso(self.now),
            as_of=iso(self.as_of),
            tool=tool,
            store=store,
            period=PeriodFacts.model_validate(period.to_json()) if period is not None else None,
            stale_after_seconds=stale_after.total_seconds(),
            signatures_checked=verdict.signatures_checked,
            rows=rows,
            totals=_totals(rows),
        )


def fleet_overview(
    runs: Iterable[RunRecord],
    verdict: FleetVerdicts,
    *,
    streams: Sequence[str],
    now: datetime,
    period: Period | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    tool: Tool,
    store: str,
) -> FleetOverview:
    """Fold runs (in (stream, seq) order; streamed, not held) into one row per stream."""
    fold = FleetFold(streams, now=now, period=period)
    for run in runs:
        fold.add(run)
    return fold.overview(verdict, stale_after=stale_after, tool=tool, store=store)


def verification_failed(overview: FleetOverview) -> list[FleetRow]:
    """The rows whose chain did not verify."""
    return [r for r in overview.rows if r.verification.state == "failed"]
