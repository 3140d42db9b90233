"""Exceptions (waivers): `kind: ExceptionSet` documents and the pure step that applies them.

The step sits between evaluate and decide. A matching, unexpired exception
turns a fail, warn or error result into `skip` with `Result.exception` set:
in PolicyReport terms the resource was not judged by that policy (Kyverno
reports policy exceptions the same way). The original status and message stay
in the result's details. An exception is in force from `created` (inclusive)
until `expires` (exclusive): one not yet in force or expired is never applied;
expired ones and those that matched nothing (including the not yet in force,
marked `not_before`) are reported. The approver must be a valid identity and
the ticket and reason non-blank (see `regulens.snapshot.identity`); that
`created` is not in the future at load time is checked by the loader, against
the run's `now` (`sources.exceptions.CLOCK_SKEW`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from regulens.engine.policy import SLUG
from regulens.engine.results import Result
from regulens.engine.types import Status
from regulens.snapshot.identity import Identity, Label, Text

MAX_LIFETIME = timedelta(days=90)
EXCEPTION_ID = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"
WAIVABLE = frozenset({Status.FAIL, Status.WARN, Status.ERROR})


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResourceSelector(_Strict):
    """Which object an exception covers; every given field must equal the result's."""

    kind: str | None = Field(default=None, min_length=1)
    namespace: str | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _not_empty(self) -> ResourceSelector:
        if self.kind is None and self.namespace is None and self.name is None:
            raise ValueError("resource needs at least one of kind, namespace, name")
        return self


class PolicyException(_Strict):
    """One waiver: what it covers, why, who approved it, and until when."""

    id: str = Field(pattern=EXCEPTION_ID)
    policy: str = Field(pattern=SLUG, description="Exact policy id; wildcards are not allowed")
    resource: ResourceSelector | None = None
    cve: str | None = Field(default=None, pattern=r"^[A-Za-z]+-[0-9]{4}-[0-9]+$")
    image: str | None = Field(default=None, min_length=1)
    reason: Text = Field(min_length=1)
    ticket: Label = Field(min_length=1)
    approver: Identity = Field(min_length=1)
    created: AwareDatetime = Field(description="In force from here; not in the future")
    expires: AwareDatetime = Field(description="At most 90 days after created")

    @model_validator(mode="after")
    def _lifetime(self) -> PolicyException:
        if self.expires <= self.created:
            raise ValueError("expires must be after created")
        if self.expires - self.created > MAX_LIFETIME:
            raise ValueError(
                f"expires is {(self.expires - self.created).days} days after created; "
                f"at most {MAX_LIFETIME.days} days are allowed"
            )
        return self

    def in_force(self, now: datetime) -> bool:
        """Return True when `now` lies in [created, expires)."""
        return self.created <= now < self.expires

    def matches(self, result: Result) -> bool:
        """Return True when this exception's scope covers `result` (expiry aside)."""
        if result.policy != self.policy:
            return False
        if self.resource is not None:
            ref = result.resource
            if ref is None:
                return False
            sel = self.resource
            if (
                (sel.kind is not None and sel.kind != ref.kind)
                or (sel.namespace is not None and sel.namespace != ref.namespace)
                or (sel.name is not None and sel.name != ref.name)
            ):
                return False
        if self.cve is not None and result.details.get("cve") != self.cve:
            return False
        return self.image is None or result.details.get("image") == self.image


class ExceptionSetMetadata(_Strict):
    """Name of an exception set."""

    name: str = Field(pattern=SLUG)
    description: str | None = None


class ExceptionSet(_Strict):
    """A `kind: ExceptionSet` document."""

    api_version: Literal["regulens/v1"] = Field(alias="apiVersion")
    kind: Literal["ExceptionSet"]
    metadata: ExceptionSetMetadata
    exceptions: tuple[PolicyException, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class ExceptionReport:
    """What the exceptions did in one run: applied, expired (not applied) and unused."""

    applied: tuple[Mapping[str, Any], ...] = ()
    expired: tuple[Mapping[str, Any], ...] = ()
    unused: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return `{"applied": [...], "expired": [...], "unused": [...]}`."""
        return {
            "applied": [dict(a) for a in self.applied],
            "expired": [dict(e) for e in self.expired],
            "unused": [dict(u) for u in self.unused],
        }


def _summary(exc: PolicyException) -> dict[str, Any]:
    return {
        "id": exc.id,
        "policy": exc.policy,
        "ticket": exc.ticket,
        "approver": exc.approver,
        "expires": _iso(exc.expires),
    }


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def apply_exceptions(
    results: Sequence[Result], exceptions: Sequence[PolicyException], now: datetime
) -> tuple[list[Result], ExceptionReport]:
    """Waive the results that an exception in force covers; report expired and unused ones."""
    active = [e for e in exceptions if e.in_force(now)]
    expired = [e for e in exceptions if e.expires <= now]
    pending = [e for e in exceptions if now < e.created]
    used: set[str] = set()
    out: list[Result] = []
    applied: list[dict[str, Any]] = []
    for result in results:
        exc = None
        if result.status in WAIVABLE:
            exc = next((e for e in active if e.matches(result)), None)
        if exc is None:
            out.append(result)
            continue
        used.add(exc.id)
        details = {
            **result.details,
            "waived": {"status": result.status.value, "message": result.message},
        }
        out.append(
            dataclasses.replace(
                result,
                status=Status.SKIP,
                message=f"waived by exception {exc.id} ({exc.ticket}): {result.message}",
                details=details,
                exception=exc.id,
            )
        )
        applied.append(
            {
                **_summary(exc),
                "resource": result.resource.to_json() if result.resource is not None else None,
                "status": result.status.value,
            }
        )
    expired_report = []
    for e in expired:
        would = sum(1 for r in results if r.status in WAIVABLE and e.matches(r))
        expired_report.append({**_summary(e), "would_match": would})
    unused = [_summary(e) for e in active if e.id not in used]
    unused += [{**_summary(e), "not_before": _iso(e.created)} for e in pending]
    return out, ExceptionReport(tuple(applied), tuple(expired_report), tuple(unused))
