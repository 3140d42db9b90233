"""The `kpi` check: an operational KPI (PromQL query or metrics-file value) meets a threshold."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.timefmt import human, iso
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot
from regulens.snapshot.change import Category
from regulens.snapshot.metrics import MetricSample

Comparator = Literal["<", "<=", ">", ">="]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# a metrics file stamped slightly after `now` is clock skew, not the future
_SKEW = timedelta(minutes=1)


class Kpi(Check):
    """A KPI value compares to a threshold (no data, NaN or a query error is an error)."""

    type: Literal["kpi"]
    query: str | None = Field(
        default=None, min_length=1, description="PromQL evaluated at now (with --prometheus)"
    )
    metric: str | None = Field(default=None, min_length=1, description="Name in the --metrics file")
    comparator: Comparator = Field(description="The value must be <, <=, > or >= the threshold")
    threshold: float = Field(allow_inf_nan=False)
    unit: str = Field(default="", description="Shown after values, e.g. s, req/min, %")
    max_staleness: Duration = Field(
        default=timedelta(minutes=15),
        description="How old a metrics-file value may be at now",
    )
    change_categories: tuple[Category, ...] = Field(
        default=(),
        description="Only applies to change requests of these categories (empty: always)",
    )
    inputs = frozenset({Input.METRICS})

    @model_validator(mode="after")
    def _has_source(self) -> Kpi:
        if self.query is None and self.metric is None:
            raise ValueError("a kpi check needs a PromQL 'query', a metrics-file 'metric' or both")
        return self

    def skip_reason(self, snap: Snapshot) -> str | None:
        """Skip for a change request whose category is not in `change_categories`."""
        change = snap.change
        if not self.change_categories or change is None:
            return None
        if change.spec.category in self.change_categories:
            return None
        allowed = ", ".join(c.value for c in self.change_categories)
        return (
            f"not a precondition for {change.spec.category.value} changes (applies to: {allowed})"
        )

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Compare the collected value to the threshold."""
        assert snap.metrics is not None
        details: dict[str, object] = {
            "value": None,
            "threshold": self.threshold,
            "comparator": self.comparator,
            "unit": self.unit,
            "query": self.query,
        }
        if self.metric is not None:
            details["metric"] = self.metric
        subject = f"metric:{self.metric}" if self.metric is not None else ""
        sample = self._sample(snap)
        if sample is None:
            wanted = " or ".join(
                f"{what} {key!r}"
                for what, key in (("query", self.query), ("metric", self.metric))
                if key is not None
            )
            yield Finding(
                Status.ERROR,
                f"no data: {wanted} was not collected",
                details=details,
                subject=subject,
            )
            return
        details["origin"] = sample.origin.value
        if sample.observed_at is not None:
            details["observed_at"] = iso(sample.observed_at)
        problem = self._problem(sample, ctx)
        if problem is not None:
            yield Finding(
                Status.ERROR, f"no usable value: {problem}", details=details, subject=subject
            )
            return
        assert sample.value is not None
        value = sample.value
        details["value"] = value
        unit = f" {self.unit}" if self.unit else ""
        measured = f"measured {value:.6g}{unit}"
        wanted = f"must be {self.comparator} {self.threshold:g}{unit}"
        if _COMPARE[self.comparator](value, self.threshold):
            yield Finding(Status.PASS, f"{measured}; {wanted}", details=details, subject=subject)
        else:
            yield Finding(
                Status.FAIL, f"{measured}, but {wanted}", details=details, subject=subject
            )

    def _sample(self, snap: Snapshot) -> MetricSample | None:
        assert snap.metrics is not None
        if self.query is not None:
            found = snap.metrics.query(self.query)
            if found is not None:
                return found
        if self.metric is not None:
            return snap.metrics.metric(self.metric)
        return None

    def _problem(self, sample: MetricSample, ctx: EvalContext) -> str | None:
        if sample.error is not None:
            return sample.error
        if sample.value is None:
            return "the value is empty"
        if math.isnan(sample.value) or math.isinf(sample.value):
            return f"the value is {sample.value}"
        if sample.origin.value == "file" and sample.observed_at is not None:
            age = ctx.now - sample.observed_at
            if age > self.max_staleness:
                return (
                    f"the metrics file is {human(age)} old at {iso(ctx.now)}, "
                    f"stale beyond {format_duration(self.max_staleness)}"
                )
            if -age > _SKEW:
                return f"the metrics file is dated {human(-age)} after {iso(ctx.now)}"
        return None
