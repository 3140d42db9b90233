"""The change request under review: a `kind: ChangeRequest` document (a snapshot section)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from regulens.snapshot.identity import Identity

CHANGE_ID = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"


class Category(StrEnum):
    """Change categories, least to most scrutiny of the approval path."""

    STANDARD = "standard"
    NORMAL = "normal"
    EMERGENCY = "emergency"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChangeMetadata(_Strict):
    """Identity of a change request."""

    id: str = Field(pattern=CHANGE_ID)


class Schedule(_Strict):
    """When the change is to be deployed."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        if self.end <= self.start:
            raise ValueError("scheduled.end must be after scheduled.start")
        return self


class Approval(_Strict):
    """One approval: who, in which role, when."""

    approver: Identity = Field(min_length=1)
    role: str = Field(min_length=1, description="e.g. cab (normal) or eca (emergency)")
    at: AwareDatetime


TestOutcome = Literal["passed", "failed", "skipped", "not-run"]


class ChangeSpec(_Strict):
    """What is changed, by whom, when, with which approvals and safety nets."""

    title: str = Field(min_length=1)
    category: Category
    requester: Identity = Field(min_length=1)
    environment: str = Field(min_length=1)
    namespace: str | None = None
    scheduled: Schedule
    images: tuple[str, ...] = ()
    approvals: tuple[Approval, ...] = ()
    rollback: str | None = Field(default=None, description="How to roll back (command or runbook)")
    tests: dict[str, TestOutcome] = {}
    incident: str | None = Field(default=None, description="Incident id; required for emergency")
    description: str | None = None


class ChangeRequest(_Strict):
    """A `kind: ChangeRequest` document."""

    api_version: Literal["regulens/v1"] = Field(alias="apiVersion")
    kind: Literal["ChangeRequest"]
    metadata: ChangeMetadata
    spec: ChangeSpec


__all__ = ["Approval", "Category", "ChangeRequest", "ChangeSpec", "Schedule"]
