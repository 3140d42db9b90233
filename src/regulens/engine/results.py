"""Findings (what a check says), results (a finding with its policy) and decisions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from regulens.engine.types import Enforcement, Severity, Status
from regulens.snapshot.resources import ResourceRef, SourceLocation

EMPTY: Mapping[str, Any] = {}
# Members looked up once: reading `Enforcement.DENY` (or a member's `.value`, a property)
# costs several times a plain attribute, and a 200k-object run reads them for 600k results.
_DENY = Enforcement.DENY
_BLOCKING = frozenset({Status.FAIL, Status.ERROR})


# Finding and Result are not `frozen`: a frozen dataclass sets each field through
# `object.__setattr__`, six times the cost of a plain one, and a 50k-object run builds
# 150k of each (a tenth of its time). Nothing mutates them: they are values once built.
@dataclass(slots=True)
class Finding:
    """One judgement of a check about one resource (or about the whole input)."""

    status: Status
    message: str
    resource: ResourceRef | None = None
    location: SourceLocation | None = None
    details: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    # What, inside its resource, the finding is about (see `regulens.engine.fingerprint`):
    # stable across runs (no ages, counts or wording) and distinct for distinct findings.
    subject: str = ""


@dataclass(slots=True)
class Result:
    """A finding attributed to its policy, after enforcement (and exceptions) apply."""

    policy: str
    title: str
    status: Status
    severity: Severity
    enforcement: Enforcement
    controls: tuple[str, ...]
    resource: ResourceRef | None
    message: str
    location: SourceLocation | None = None
    details: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    exception: str | None = None  # id of the exception that applied, if any
    subject: str = ""  # the finding's subject, as its check set it (see `Finding.subject`)

    @property
    def blocking(self) -> bool:
        """True when this result denies: an enforced rule that failed or errored."""
        return self.enforcement is _DENY and self.status in _BLOCKING

    def to_json(self) -> dict[str, Any]:
        """Return the documented JSON form of one result."""
        out: dict[str, Any] = {
            "policy": self.policy,
            "title": self.title,
            "status": self.status._value_,  # the plain string (`.value` is a property)
            "severity": self.severity._value_,
            "enforcement": self.enforcement._value_,
            "controls": list(self.controls),
            "resource": self.resource.to_json() if self.resource is not None else None,
            "message": self.message,
        }
        if self.location is not None:
            out["location"] = {
                "file": self.location.file,
                "document": self.location.document,
                "line": self.location.line,
            }
        if self.subject:
            out["subject"] = self.subject
        if self.details:
            out["details"] = dict(self.details)
        if self.exception is not None:
            out["exception"] = self.exception
        return out


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts of results by status; always derived from the results."""

    passed: int = 0
    failed: int = 0
    warned: int = 0
    errored: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, results: list[Result]) -> Summary:
        """Count `results` by status."""
        counts = dict.fromkeys(Status, 0)
        for r in results:
            counts[r.status] += 1
        return cls(
            counts[Status.PASS],
            counts[Status.FAIL],
            counts[Status.WARN],
            counts[Status.ERROR],
            counts[Status.SKIP],
        )

    @property
    def total(self) -> int:
        """The number of results counted."""
        return self.passed + self.failed + self.warned + self.errored + self.skipped

    def to_json(self) -> dict[str, int]:
        """Return the documented JSON form (`pass`, `fail`, `warn`, `error`, `skip`)."""
        return {
            "pass": self.passed,
            "fail": self.failed,
            "warn": self.warned,
            "error": self.errored,
            "skip": self.skipped,
        }
