"""The metrics section: KPI values evaluated at `now`, each a value or an error reason."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from regulens.snapshot.kubernetes import Provenance


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MetricOrigin(StrEnum):
    """Where a KPI value came from."""

    PROMETHEUS = "prometheus"
    FILE = "file"


class MetricSample(_Strict):
    """One KPI value (a PromQL query result or a metrics-file entry), or why there is none."""

    key: str = Field(description="The PromQL query or the metrics-file name")
    origin: MetricOrigin
    value: float | None = None
    error: str | None = Field(default=None, description="Why there is no usable value")
    observed_at: AwareDatetime | None = Field(
        default=None, description="Evaluation time of the query, or the metrics file's timestamp"
    )


class MetricsState(_Strict):
    """KPI values from Prometheus (by query) and from a metrics file (by name)."""

    provenance: Provenance
    queries: tuple[MetricSample, ...] = ()
    metrics: tuple[MetricSample, ...] = ()

    def query(self, promql: str) -> MetricSample | None:
        """Return the result of a PromQL query, when it was collected."""
        return next((s for s in self.queries if s.key == promql), None)

    def metric(self, name: str) -> MetricSample | None:
        """Return a metrics-file value by name, when present."""
        return next((s for s in self.metrics if s.key == name), None)


__all__ = ["MetricOrigin", "MetricSample", "MetricsState"]
