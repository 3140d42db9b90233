"""The engine: policies + snapshot + now in, results out. Pure: no I/O, no clock, no env."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from regulens.engine.checks import CheckError
from regulens.engine.context import EvalContext
from regulens.engine.inputs import missing_input_message
from regulens.engine.policy import Policy
from regulens.engine.results import Finding, Result
from regulens.engine.types import Enforcement, Status
from regulens.snapshot import Snapshot


def evaluate(policies: Sequence[Policy], snap: Snapshot, ctx: EvalContext) -> list[Result]:
    """Evaluate every policy against the snapshot, in policy order; never raises for data."""
    results: list[Result] = []
    for policy in policies:
        results.extend(_attribute(policy, _findings(policy, snap, ctx)))
    return results


def _findings(policy: Policy, snap: Snapshot, ctx: EvalContext) -> list[Finding]:
    check = policy.check
    reason = check.skip_reason(snap)
    if reason is not None:
        return [Finding(Status.SKIP, reason)]
    for needed in sorted(check.inputs):
        if getattr(snap, needed.value) is None:
            return [Finding(Status.ERROR, missing_input_message(needed))]
    if snap.kubernetes is not None and check.inputs and snap.kubernetes.gaps:
        kinds = check.kinds()
        if policy.match is not None and policy.match.kinds:
            kinds = frozenset(policy.match.kinds) if kinds is None else kinds
        namespaces = policy.match.namespaces if policy.match and policy.match.namespaces else None
        if kinds is None or kinds:
            gaps = snap.kubernetes.gaps_for(kinds, namespaces)
            if gaps:
                listed = "; ".join(
                    f"{g.kind}{' in ' + g.namespace if g.namespace else ''} ({g.reason})"
                    for g in gaps
                )
                return [
                    Finding(
                        Status.ERROR,
                        f"not evaluated: the snapshot could not read {listed}",
                        details={"gaps": [g.model_dump() for g in gaps]},
                    )
                ]
    policy_ctx = EvalContext(now=ctx.now, match=policy.match)
    try:
        findings = list(check.evaluate(snap, policy_ctx))
    except CheckError as exc:
        return [Finding(Status.ERROR, f"not evaluated: {exc}")]
    if not findings:
        return [Finding(Status.SKIP, "nothing in scope")]
    return findings


def _attribute(policy: Policy, findings: Iterable[Finding]) -> list[Result]:
    enforced = policy.enforcement is Enforcement.DENY
    out = []
    for f in findings:
        status = f.status
        if status is Status.FAIL and not enforced:
            status = Status.WARN
        out.append(
            Result(
                policy=policy.id,
                title=policy.title,
                status=status,
                severity=policy.severity,
                enforcement=policy.enforcement,
                controls=policy.controls,
                resource=f.resource,
                message=f.message,
                location=f.location,
                details=f.details,
            )
        )
    return out
