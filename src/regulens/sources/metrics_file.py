"""KPI values from a metrics file (`--metrics FILE`) for offline runs and the demo.

The file is `{timestamp: <RFC 3339>, metrics: {name: value}}` in YAML or JSON;
the `kpi` check judges the staleness of `timestamp` at `now`.
"""

from __future__ import annotations

import math

from pydantic import AwareDatetime, BaseModel, ConfigDict

from regulens.snapshot.metrics import MetricOrigin, MetricSample
from regulens.sources.datafile import read_data_file, validate_data


class MetricsFile(BaseModel):
    """A metrics file document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: AwareDatetime
    metrics: dict[str, float | None]


def read_metrics_file(path: str) -> tuple[list[MetricSample], str]:
    """Read a metrics file into samples (one per name); return them with the file's digest."""
    file = read_data_file(path, "metrics")
    doc = validate_data(file, MetricsFile)
    raw = file.document.data.get("metrics") if isinstance(file.document.data, dict) else None
    # YAML .nan/.inf reach validation as null (JSON has no NaN): keep the real reason
    nonfinite = {
        k: v
        for k, v in (raw.items() if isinstance(raw, dict) else ())
        if isinstance(v, float) and not math.isfinite(v)
    }
    samples = []
    for name, value in sorted(doc.metrics.items()):
        error = None
        if name in nonfinite:
            error = f"{name} is {nonfinite[name]} in {path}"
        elif value is None:
            error = f"{name} has no value in {path}"
        elif not math.isfinite(value):
            error = f"{name} is {value} in {path}"
        samples.append(
            MetricSample(
                key=name,
                origin=MetricOrigin.FILE,
                value=value if error is None else None,
                error=error,
                observed_at=doc.timestamp,
            )
        )
    return samples, file.digest
