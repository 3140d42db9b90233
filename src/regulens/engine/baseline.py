"""Findings baseline (`kind: FindingsBaseline`) and the pure steps that gate a run by severity.

A baseline lists known findings by fingerprint: the one identity of a finding
(`regulens.engine.fingerprint`, also SARIF's `partialFingerprints`): sha256
over the policy id, the resource identity (kind, namespace, name: not
apiVersion, which changes when an API graduates) and the subject its check
set, never the message text, so rewording a message or a new tool version
keeps the match. A failed
result whose fingerprint is in the baseline becomes `warn` with reason "in
baseline"; new failures keep denying; entries that matched nothing are reported
as resolved. Errors (missing or stale data, rules that could not be evaluated)
are never baselined, and never below a `--fail-on` threshold: they still deny.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from regulens.engine import fingerprint as identity
from regulens.engine.policy import SLUG
from regulens.engine.results import Result
from regulens.engine.types import Enforcement, Severity, Status

FINGERPRINT = r"^sha256:[0-9a-f]{64}$"
SEVERITY_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
IN_BASELINE = "in baseline"


def finding_subject(result: Result) -> str:
    """Return what, inside its resource, a finding is about: the subject its check set."""
    return result.subject


def fingerprint(policy: str, resource: BaselineResource | None, subject: str) -> str:
    """Return `sha256:HEX` over policy, resource identity and subject (`engine.fingerprint`)."""
    ident = None if resource is None else (resource.kind, resource.namespace, resource.name)
    return identity.fingerprint(policy, ident, subject)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BaselineResource(_Strict):
    """The identity of the object a known finding is about."""

    kind: str = Field(min_length=1, max_length=253)
    namespace: str | None = Field(default=None, min_length=1, max_length=253)
    name: str = Field(min_length=1, max_length=253)


class BaselineEntry(_Strict):
    """One known finding; its fingerprint must equal the one computed from the other fields."""

    fingerprint: str = Field(pattern=FINGERPRINT)
    policy: str = Field(pattern=SLUG)
    resource: BaselineResource | None = None
    subject: str = Field(default="", max_length=4096)

    @model_validator(mode="after")
    def _consistent(self) -> BaselineEntry:
        expected = fingerprint(self.policy, self.resource, self.subject)
        if self.fingerprint != expected:
            raise ValueError(
                f"fingerprint does not match policy, resource and subject (expected {expected})"
            )
        return self


class BaselineMetadata(_Strict):
    """When and from what a baseline was made."""

    created: AwareDatetime
    source: str = Field(min_length=1, max_length=4096, description="The run or inputs it came from")


class FindingsBaseline(_Strict):
    """A `kind: FindingsBaseline` document: the findings accepted as known (version 1)."""

    api_version: Literal["regulens/v1"] = Field(alias="apiVersion")
    kind: Literal["FindingsBaseline"]
    metadata: BaselineMetadata
    findings: tuple[BaselineEntry, ...] = Field(max_length=100_000)

    @model_validator(mode="after")
    def _unique(self) -> FindingsBaseline:
        seen: set[str] = set()
        for i, entry in enumerate(self.findings):
            if entry.fingerprint in seen:
                raise ValueError(f"findings[{i}]: duplicate fingerprint {entry.fingerprint}")
            seen.add(entry.fingerprint)
        return self


def entry_of(result: Result) -> BaselineEntry:
    """Return the baseline entry that matches `result`."""
    ref = result.resource
    resource = (
        None
        if ref is None
        else BaselineResource(kind=ref.kind, namespace=ref.namespace, name=ref.name)
    )
    return BaselineEntry(
        fingerprint=identity.finding_fingerprint(result),
        policy=result.policy,
        resource=resource,
        subject=result.subject,
    )


def baselinable(result: Result) -> bool:
    """True for the results a baseline may hold: failures of any policy (never errors)."""
    return result.status in (Status.FAIL, Status.WARN) and result.exception is None


@dataclass(frozen=True, slots=True)
class Gating:
    """What `--fail-on`, `--soft-fail` and `--findings-baseline` did in one run (recorded)."""

    fail_on: Severity | None = None
    soft_fail: bool = False
    baseline_digest: str | None = None
    baselined: int = 0
    resolved: tuple[Mapping[str, Any], ...] = ()

    @property
    def active(self) -> bool:
        """True when any of the three was asked for."""
        return self.fail_on is not None or self.soft_fail or self.baseline_digest is not None

    def to_json(self) -> dict[str, Any]:
        """Return `{"fail_on", "soft_fail", "baseline": {"digest", "matched", "resolved"}}`."""
        out: dict[str, Any] = {
            "fail_on": self.fail_on.value if self.fail_on is not None else None,
            "soft_fail": self.soft_fail,
            "baseline": None,
        }
        if self.baseline_digest is not None:
            out["baseline"] = {
                "digest": self.baseline_digest,
                "matched": self.baselined,
                "resolved": [dict(r) for r in self.resolved],
            }
        return out


def _demote(result: Result, reason: str) -> Result:
    details = {**result.details, "demoted": {"status": result.status.value, "reason": reason}}
    return dataclasses.replace(
        result, status=Status.WARN, message=f"{reason}: {result.message}", details=details
    )


def apply_fail_on(results: Sequence[Result], threshold: Severity | None) -> list[Result]:
    """Report failures of enforced policies below `threshold` as `warn`; errors are untouched."""
    if threshold is None:
        return list(results)
    floor = SEVERITY_ORDER.index(threshold)
    out = []
    for r in results:
        below = SEVERITY_ORDER.index(r.severity) < floor
        if r.status is Status.FAIL and r.enforcement is Enforcement.DENY and below:
            out.append(_demote(r, f"below --fail-on {threshold.value}"))
        else:
            out.append(r)
    return out


def apply_baseline(
    results: Sequence[Result], baseline: FindingsBaseline
) -> tuple[list[Result], int, tuple[dict[str, Any], ...]]:
    """Turn failures the baseline knows into `warn` ("in baseline"); report resolved entries.

    Returns the results, how many were matched, and the entries that matched no finding.
    """
    known = {e.fingerprint: e for e in baseline.findings}
    matched: set[str] = set()
    out = []
    for r in results:
        fp = entry_of(r).fingerprint if baselinable(r) else None
        if fp is not None and fp in known:
            matched.add(fp)
            out.append(_demote(r, IN_BASELINE) if r.status is Status.FAIL else r)
        else:
            out.append(r)
    resolved = tuple(
        e.model_dump(mode="json", exclude_none=True)
        for e in baseline.findings
        if e.fingerprint not in matched
    )
    return out, len(matched), resolved
