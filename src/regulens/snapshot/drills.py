"""The restore drills section: measured recoveries, the evidence for RTO."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from regulens.snapshot.kubernetes import Provenance


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tier(StrEnum):
    """The recovery tier of a system."""

    CRITICAL = "critical"
    NON_CRITICAL = "non-critical"


class RestoreDrill(_Strict):
    """One restore drill: a system restored from backup, timed and verified."""

    system: str = Field(min_length=1)
    tier: Tier
    started_at: AwareDatetime
    service_restored_at: AwareDatetime
    data_verified: bool
    backup_target: str | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RestoreDrill:
        if self.service_restored_at < self.started_at:
            raise ValueError("service_restored_at is before started_at")
        return self

    @property
    def recovery(self) -> timedelta:
        """The measured recovery time: service_restored_at - started_at."""
        return self.service_restored_at - self.started_at


class DrillsState(_Strict):
    """Every restore drill known to the run."""

    provenance: Provenance
    drills: tuple[RestoreDrill, ...] = ()


__all__ = ["DrillsState", "RestoreDrill", "Tier"]
