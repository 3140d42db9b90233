"""The report charts: domains, ticks and series of the spec and of the rendered SVG."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest

from regulens.reports.charts import Axis, Chart, Point, Series, anchor, render_svg, y_domain
from regulens.reports.facts import ComplianceReport, KpiPoint, KpiSeries
from regulens.reports.render import compliance_charts, report_json, review_charts
from regulens.reports.runs import month_period

NS = {"svg": "http://www.w3.org/2000/svg"}
PERIOD = month_period("2026-11")


def _points(values: list[float], ok: bool = True) -> tuple[Point, ...]:
    return tuple(
        Point(PERIOD.since + timedelta(days=i, hours=2), v, f"run-{i}", ok=ok)
        for i, v in enumerate(values)
    )


def _chart(axis: Axis, *series: tuple[str, list[float]], threshold: float | None = None) -> Chart:
    return Chart(
        id=f"t-{axis}",
        title=f"A {axis} chart",
        y_label="y",
        axis=axis,
        period=PERIOD,
        series=tuple(Series(name, _points(values)) for name, values in series),
        threshold=threshold,
        threshold_label="threshold" if threshold is not None else "",
    )


def _svg(chart: Chart) -> ET.Element:
    return ET.fromstring(str(render_svg(chart)))


def _ticks(root: ET.Element, axis: str) -> list[str]:
    """The tick labels of one axis, in drawing order."""
    out = []
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if re.search(rf"-{axis}tick_\d+$", group.get("id", "")):
            out.extend("".join(t.itertext()).strip() for t in group.iter(f"{{{NS['svg']}}}text"))
    return out


def _percent(label: str) -> float:
    assert label.endswith("%"), label
    return float(label.rstrip("%").replace("\u2212", "-")) / 100


def test_availability_near_its_threshold_is_readable() -> None:
    chart = _chart(Axis.RATIO, ("availability", [0.9996, 0.99958, 0.99961]), threshold=0.999)
    low, high = y_domain(chart)
    assert low < 0.999 < 0.99961 < high
    assert high - low < 0.001  # not 0..1.5: the threshold and the values are apart
    ticks = [_percent(t) for t in _ticks(_svg(chart), "y")]
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks)
    assert all(low - 1e-9 <= t <= high + 1e-9 for t in ticks)


def test_error_rate_reads_as_percent_from_zero() -> None:
    chart = _chart(Axis.RATIO, ("error rate", [0.002, 0.0021, 0.0019]), threshold=0.01)
    low, high = y_domain(chart)
    assert low == 0.0 and 0.01 < high < 0.012
    ticks = [_percent(t) for t in _ticks(_svg(chart), "y")]
    assert ticks[0] == 0.0 and max(ticks) >= 0.01


def test_counts_have_integer_ticks_and_identical_series_stay_distinguishable() -> None:
    same = [1.0] * 17 + [0.0] * 13
    chart = _chart(Axis.COUNT, ("CRITICAL", same), ("HIGH", same), ("LOW", same))
    assert y_domain(chart) == (0.0, 2.0)
    text = str(render_svg(chart))
    ticks = _ticks(ET.fromstring(text), "y")
    assert ticks == ["0", "1", "2"]
    for name in ("CRITICAL", "HIGH", "LOW"):
        assert f">{name}</text>" in text  # a legend entry each
    # three different line styles (solid, dashed, dotted) and three marker shapes
    series_lines = re.findall(r'<path d="M [^"]+" clip-path="[^"]+" style="([^"]+)"', text)
    dashes = {re.search(r"stroke-dasharray: ([^;]+)", s) and s for s in series_lines}
    assert len({d for d in dashes if d}) >= 2
    markers = {m for m in re.findall(r'<path id="(chart-[^"]*-m[0-9a-f]+)"', text)}
    assert len(markers) >= 3


def test_backup_ages_use_whole_minute_ticks() -> None:
    chart = _chart(Axis.MINUTES, ("database", [5.0, 7.5, 40.0, 6.0]), threshold=15.0)
    low, high = y_domain(chart)
    assert low == 0.0 and high > 40.0
    ticks = [int(t) for t in _ticks(_svg(chart), "y")]
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and steps.pop() in (5, 10, 15, 20, 30)


def test_every_chart_has_a_title_and_text_alternative() -> None:
    chart = _chart(Axis.VALUE, ("latency <p95>", [1.2, 2.5]), threshold=2.0)
    root = _svg(chart)
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and title.text == "A value chart"
    assert desc is not None and "latency <p95>: 2 points, from 1.2 to 2.5" in (desc.text or "")
    assert set((root.get("aria-labelledby") or "").split()) == {title.get("id"), desc.get("id")}


def test_same_chart_gives_the_same_bytes_and_ids_do_not_collide() -> None:
    a = _chart(Axis.COUNT, ("x", [1.0, 2.0]))
    first, again = str(render_svg(a)), str(render_svg(a))
    assert first == again
    assert "<dc:date>" not in first
    other = str(
        render_svg(
            Chart(
                id="other",
                title=a.title,
                y_label=a.y_label,
                axis=a.axis,
                period=a.period,
                series=a.series,
            )
        )
    )
    ids = re.findall(r' id="([^"]+)"', first + other)
    assert len(ids) == len(set(ids))


def test_points_link_to_their_runs() -> None:
    svg = str(render_svg(_chart(Axis.COUNT, ("x", [1.0, 2.0]))))
    assert f'xlink:href="#{anchor("run-0")}"' in svg and f'href="#{anchor("run-1")}"' in svg
    assert "_blank" not in svg
    assert "<script" not in svg


def test_the_month_charts(compliance: dict[str, Any], review: dict[str, Any]) -> None:
    charts = {c.id: c for c in compliance_charts(compliance)}
    assert charts["pass-rate"].axis is Axis.RATIO
    assert charts["backup-rpo-database-database"].axis is Axis.MINUTES
    (vulns,) = review_charts(review)
    assert vulns.axis is Axis.COUNT and len(vulns.series) == len(
        report_json(review)["vulnerabilities"]["severities"]
    )
    for chart in [*charts.values(), vulns]:
        low, high = y_domain(chart)
        values = [p.value for s in chart.series for p in s.points]
        if chart.threshold is not None:
            values.append(chart.threshold)
        assert low <= min(values) and max(values) <= high, chart.id


@pytest.mark.parametrize("unit", ["", "ratio"])
def test_unitless_fraction_kpis_are_ratios(compliance: ComplianceReport, unit: str) -> None:
    point = KpiPoint(at="2026-11-02T02:10:00Z", value=0.9996, run="r1", status="pass")
    kpi = KpiSeries(
        policy="kpi-availability", title=None, unit=unit, comparator=">", threshold=0.999,
        query=None, points=(point,), evaluations=1, breaches=0, breach_runs=(), runs=("r1",),
    )  # fmt: skip
    facts = compliance.model_copy(update={"kpis": (kpi,)})
    chart = next(c for c in compliance_charts(facts) if c.id == "kpi-kpi-availability")
    assert chart.axis is Axis.RATIO
    assert chart.threshold_label == "threshold > 99.9 %"


def test_matplotlib_is_imported_only_when_a_chart_is_drawn() -> None:
    code = (
        "import sys, regulens.cli, regulens.reports.render, regulens.reports.charts;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_year_of_points_is_one_marker_definition_and_a_linked_use_each() -> None:
    days = [PERIOD.since + timedelta(hours=3 * i) for i in range(2000)]
    points = tuple(Point(at, float(i % 5), f"run-{i}", ok=i % 10 != 9) for i, at in enumerate(days))
    chart = Chart(
        id="year",
        title="Many runs",
        y_label="y",
        axis=Axis.COUNT,
        period=PERIOD,
        series=(Series("x", points),),
        threshold=3.0,
    )
    svg = str(render_svg(chart))
    root = ET.fromstring(svg)
    links = root.findall(".//svg:a", NS)
    assert len(links) == 2000
    uses = [a.find(".//svg:use", NS) for a in links]
    assert all(u is not None for u in uses)  # each point a use of a marker, not its own path
    shapes = {u.get("{http://www.w3.org/1999/xlink}href") for u in uses if u is not None}
    assert len(shapes) == 2  # passing and failing points: one definition each
    hrefs = {a.get("{http://www.w3.org/1999/xlink}href") for a in links}
    assert hrefs == {f"#{anchor(f'run-{i}')}" for i in range(2000)}
    styles = {u.get("style") for u in uses if u is not None}
    assert any("fill: #ffffff" in (s or "") for s in styles)  # failing points are open
    assert len(svg) < 600_000  # about 250 bytes a point
