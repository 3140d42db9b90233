"""Time-series charts of the HTML reports: a typed spec, its axis domain, and static SVG.

The spec (`Chart`) is plain data built from the report facts; `y_domain` and the
axis kind decide what the reader sees (the domain covers every value and the
threshold with a margin; counts get integer ticks; ratios read as percentages).
`render_svg` draws the spec with matplotlib into self-contained static SVG:
no scripts, fonts as text, a `<title>` and `<desc>` for assistive technology,
each point a link to the run it came from. matplotlib is imported only here,
inside `render_svg`, so commands that draw no chart never pay for it.

Output is deterministic: the SVG id salt is fixed per chart, no date is written,
and ids are prefixed with the chart id so several charts share one HTML page.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from html import escape as _html_escape
from typing import TYPE_CHECKING

from markupsafe import Markup

from regulens.display import printable
from regulens.reports.runs import Period, iso

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D
    from matplotlib.typing import LineStyleType

WIDTH_IN, HEIGHT_IN = 7.2, 2.6
MARKERS = ("o", "s", "^", "D", "v", "P")
DASHES: tuple[LineStyleType, ...] = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 2)))
PALETTE = ("#1f5fa8", "#c0392b", "#b9770e", "#7d3c98", "#117a65", "#5d6d7e")
THRESHOLD_COLOUR = "#c0392b"
MARGIN = 0.1  # of the data span, on each side


class Axis(StrEnum):
    """How values on the y axis read."""

    RATIO = "ratio"  # a fraction in [0, 1], shown as a percentage
    COUNT = "count"  # whole numbers from zero, integer ticks
    MINUTES = "minutes"  # an age in minutes from zero
    VALUE = "value"  # a measured value with a unit


@dataclass(frozen=True, slots=True)
class Point:
    """One measured value at one run."""

    at: datetime
    value: float
    run: str
    ok: bool = True


@dataclass(frozen=True, slots=True)
class Series:
    """A named line of points."""

    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """What one chart shows."""

    id: str
    title: str
    y_label: str
    axis: Axis
    period: Period
    series: tuple[Series, ...]
    threshold: float | None = None
    threshold_label: str = ""
    unit: str = ""
    runs: tuple[str, ...] = field(default=())


@lru_cache(maxsize=1 << 16)
def anchor(run_id: str) -> str:
    """The fragment id of a run in the report's run index (asked for once per link)."""
    return "run-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)


def y_domain(chart: Chart) -> tuple[float, float]:
    """The y range: every value and the threshold, with a margin; zero-based where natural."""
    values = [p.value for s in chart.series for p in s.points]
    if chart.threshold is not None:
        values.append(chart.threshold)
    if not values:
        return (0.0, 1.0)
    low, high = min(values), max(values)
    zero_based = chart.axis in (Axis.COUNT, Axis.MINUTES)
    span = high - low
    if span == 0:
        span = abs(high) * 0.01 or 1.0
    if zero_based or (low >= 0 and low <= span * 0.5):
        low = 0.0
        span = high - low or span
    top = high + span * MARGIN
    bottom = low if low == 0.0 else low - span * MARGIN
    if chart.axis is Axis.COUNT:
        top = max(float(int(top) + 1), 1.0) if top != int(top) else max(top, 1.0)
    if chart.axis is Axis.RATIO:
        bottom, top = max(bottom, 0.0), min(top, 1.0) if high <= 1.0 else top
    return (bottom, top)


def fmt_value(chart: Chart, value: float) -> str:
    """A value as the chart's tooltips and text alternative show it."""
    if chart.axis is Axis.RATIO:
        return f"{value * 100:.5g} %"
    if chart.axis is Axis.COUNT:
        return f"{value:.0f}"
    if chart.axis is Axis.MINUTES:
        return f"{value:.4g} min"
    return f"{value:.4g} {chart.unit}".strip()


def description(chart: Chart) -> str:
    """The text alternative: what is plotted, its range and the threshold."""
    parts: list[str] = []
    for s in chart.series:
        vals = [p.value for p in s.points]
        if not vals:
            continue
        bad = sum(not p.ok for p in s.points)
        parts.append(
            f"{s.name}: {len(vals)} {'point' if len(vals) == 1 else 'points'}, "
            f"from {fmt_value(chart, min(vals))} to {fmt_value(chart, max(vals))}"
            + (f", {bad} outside the threshold" if bad else "")
        )
    if chart.threshold is not None:
        parts.append(chart.threshold_label or f"threshold {fmt_value(chart, chart.threshold)}")
    return f"{chart.title}, {chart.period.label}. " + "; ".join(parts) + "."


def _escape(text: str) -> str:
    return _html_escape(printable(text))


_ID = re.compile(r'\bid="([^"]+)"')


def _prefix_ids(svg: str, prefix: str) -> str:
    """Make every id of the SVG unique in the page (references to them follow)."""
    ids = set(_ID.findall(svg))
    if not ids:
        return svg

    def ref(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"{match.group(1)}{prefix}-{name}" if name in ids else match.group(0)

    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return re.sub(r"(#)([A-Za-z_][\w.-]*)", ref, svg)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # matplotlib's default `date.epoch`


def _days(at: datetime) -> float:
    """A time as matplotlib's date number (days since its epoch)."""
    return (at - _EPOCH).total_seconds() / 86400


def _draw_series(ax: Axes, chart: Chart, index: int, series: Series) -> Line2D | None:
    """Draw one series (its line, then its points linked to their runs); return its legend
    entry (None: no points)."""
    from matplotlib.lines import Line2D

    ordered = sorted(series.points, key=lambda p: p.at)
    if not ordered:
        return None
    colour = PALETTE[index % len(PALETTE)]
    marker = MARKERS[index % len(MARKERS)]
    dashes = DASHES[index % len(DASHES)]
    width = 1.3 + 0.6 * (len(chart.series) - 1 - index)
    xs, ys = [_days(p.at) for p in ordered], [p.value for p in ordered]
    ax.plot(xs, ys, color=colour, linestyle=dashes, linewidth=width, zorder=2 + index)
    # The points in two collections of one size each: a collection of one size is one
    # marker definition and a use per point (one of varying sizes is a path per point:
    # the 7,300 linked points of a year took seconds).
    for ok in (True, False):
        points = [p for p in ordered if p.ok is ok]
        if not points:
            continue
        scatter = ax.scatter(
            [_days(p.at) for p in points],
            [p.value for p in points],
            marker=marker,
            s=22 if ok else 46,
            facecolors=colour if ok else "white",
            edgecolors=colour if ok else THRESHOLD_COLOUR,
            linewidths=1.2,
            zorder=3 + index,
        )
        scatter.set_urls([f"#{anchor(p.run)}" for p in points])
    return Line2D(
        [], [], color=colour, linestyle=dashes, linewidth=width, marker=marker, markersize=4,
        label=series.name,
    )  # fmt: skip


def render_svg(chart: Chart) -> Markup:
    """Draw the chart as static SVG (matplotlib, imported here and only here)."""
    import matplotlib as mpl
    from matplotlib import dates as mdates
    from matplotlib import ticker
    from matplotlib.figure import Figure

    key = "chart-" + anchor(chart.id)[4:]
    style = {
        "date.epoch": "1970-01-01T00:00:00",
        "svg.hashsalt": key,
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with mpl.rc_context(style):  # type: ignore[arg-type]
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
        ax = fig.add_subplot()
        ax.set_title(chart.title, loc="left", fontsize=10)
        ax.set_ylabel(chart.y_label)
        ax.grid(True, axis="y", color="#e5e8eb", linewidth=0.6)
        ax.set_axisbelow(True)
        handles = [  # the legend: line style and marker shape of each series drawn
            handle
            for index, series in enumerate(chart.series)
            if (handle := _draw_series(ax, chart, index, series)) is not None
        ]
        if chart.threshold is not None:
            handles.append(
                ax.axhline(
                    chart.threshold,
                    color=THRESHOLD_COLOUR,
                    linestyle=(0, (6, 3)),
                    linewidth=1.2,
                    label=chart.threshold_label or "threshold",
                    zorder=1,
                )
            )
        low, high = y_domain(chart)
        ax.set_ylim(low, high)
        ax.set_xlim(_days(chart.period.since), _days(chart.period.until))
        if chart.axis is Axis.COUNT:
            ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=5, integer=True, min_n_ticks=2))
        elif chart.axis is Axis.MINUTES:
            ax.yaxis.set_major_locator(
                ticker.MaxNLocator(nbins=5, steps=[1, 2, 3, 5, 6, 10], integer=True)
            )
        else:
            ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=5))
        if chart.axis is Axis.RATIO:
            ax.yaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=None))
        locator = mdates.AutoDateLocator(minticks=4, maxticks=8)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]
        if len(chart.series) > 1 or chart.threshold is not None:
            ax.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                fontsize=8,
                frameon=False,
            )
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :].replace(' target="_blank"', "")  # in-page run links
    svg = _prefix_ids(svg, key)
    title, desc = _escape(chart.title), _escape(description(chart))
    head_end = svg.index(">") + 1
    opening = svg[:head_end].replace(
        "<svg ",
        f'<svg role="img" aria-labelledby="{key}-t {key}-d" class="plot" ',
        1,
    )
    svg = (
        opening
        + f'<title id="{key}-t">{title}</title>'
        + f'<desc id="{key}-d">{desc}</desc>'
        + svg[head_end:]
    )
    return Markup(svg)  # noqa: S704 - matplotlib escapes its text; ours is escaped above


def tooltip(chart: Chart, series: Series, point: Point) -> str:
    """The text of one point for the adjacent data table."""
    return f"{series.name}: {fmt_value(chart, point.value)} at {iso(point.at)} (run {point.run})"
