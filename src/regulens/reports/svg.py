"""Small inline SVG time-series plots for the HTML reports (no scripts, no external assets).

Every point is a link to the run it came from (`#run-<id>` in the report's run
index) and carries a `<title>` tooltip, so a figure is never detached from its evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape as _html_escape

from markupsafe import Markup

from regulens.display import printable
from regulens.reports.runs import Period, iso

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36
PALETTE = ("#1f5fa8", "#c0392b", "#d68910", "#7d3c98", "#117a65", "#5d6d7e")
OK_COLOUR, BAD_COLOUR = "#1f5fa8", "#c0392b"


def escape(text: str) -> str:
    """HTML-escape text from inputs, control characters made visible."""
    return _html_escape(printable(text))


@dataclass(frozen=True, slots=True)
class Point:
    """One measured value at one run."""

    at: datetime
    value: float
    run: str
    ok: bool = True
    label: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    """A named line of points."""

    name: str
    points: Sequence[Point]


def anchor(run_id: str) -> str:
    """The fragment id of a run in the report's run index."""
    return "run-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** len(str(int(value)))  # coarse but monotonic
    for step in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        if value <= magnitude * step:
            return magnitude * step
    return float(magnitude)


def time_series(
    series: Sequence[Series],
    period: Period,
    *,
    title: str,
    y_label: str,
    threshold: float | None = None,
    threshold_label: str = "",
    y_max: float | None = None,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
) -> Markup:
    """Draw one or more series over the period, with an optional dashed threshold line."""
    values = [p.value for s in series for p in s.points]
    top = y_max if y_max is not None else _nice_max(max([*values, threshold or 0.0, 0.0]) * 1.1)
    span = (period.until - period.since).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        return LEFT + plot_w * min(max((at - period.since).total_seconds() / span, 0.0), 1.0)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(max(value / top, 0.0), 1.0))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="plot">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" class="frame"/>',
    ]
    for i in range(5):
        value = top * i / 4
        yy = y(value)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" class="grid"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(fmt(value))}</text>"
        )
    for i in range(5):
        at = period.since + (period.until - period.since) * i / 4
        align = "start" if i == 0 else ("end" if i == 4 else "middle")
        out.append(
            f'<text x="{x(at):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{align}" class="tick">'
            f"{escape(at.strftime('%Y-%m-%d'))}</text>"
        )
    mid = TOP + plot_h / 2
    out.append(
        f'<text x="14" y="{mid:.1f}" transform="rotate(-90 14 {mid:.1f})" '
        f'text-anchor="middle" class="axis">{escape(y_label)}</text>'
    )
    if threshold is not None:
        ty = y(threshold)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'class="threshold"/>'
        )
        out.append(
            f'<text x="{WIDTH - RIGHT - 4}" y="{ty - 4:.1f}" text-anchor="end" '
            f'class="threshold-label">{escape(threshold_label or fmt(threshold))}</text>'
        )
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        ordered = sorted(s.points, key=lambda p: p.at)
        if len(ordered) > 1:
            path = " ".join(f"{x(p.at):.1f},{y(p.value):.1f}" for p in ordered)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" class="line"/>')
        for p in ordered:
            fill = colour if p.ok else BAD_COLOUR
            tip = f"{s.name}: {p.label or fmt(p.value)} at {iso(p.at)} (run {p.run})"
            out.append(
                f'<a href="#{anchor(p.run)}" class="point"><circle cx="{x(p.at):.1f}" '
                f'cy="{y(p.value):.1f}" r="{3.5 if p.ok else 5}" fill="{fill}">'
                f"<title>{escape(tip)}</title></circle></a>"
            )
    if len(series) > 1:
        for index, s in enumerate(series):
            colour = PALETTE[index % len(PALETTE)]
            lx = LEFT + 8 + index * 110
            out.append(f'<rect x="{lx}" y="{TOP + 6}" width="10" height="10" fill="{colour}"/>')
            out.append(f'<text x="{lx + 14}" y="{TOP + 15}" class="legend">{escape(s.name)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every interpolated text is escaped above
