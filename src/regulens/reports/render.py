"""Render report facts (from `compliance_facts` / `review_facts`) as JSON, Markdown or HTML.

Renderers only lay out the typed facts (reports/facts.py); the JSON report is their
serialisation, and the plots are drawn here from the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from markupsafe import escape as _html_escape

from regulens.display import markdown_text, printable
from regulens.reports.charts import Axis, Chart, Point, Series, anchor, render_svg
from regulens.reports.facts import ComplianceReport, KpiSeries, PeriodFacts, ReviewPack
from regulens.reports.fleet import FleetOverview
from regulens.reports.formats import COMPLIANCE_FORMATS, REVIEW_FORMATS
from regulens.reports.runs import Period, parse_time
from regulens.reports.wording import DASH, count, duration, unit, word


def pct(value: Any) -> str:
    """A rate in [0, 1] as a percentage, or an en dash when nothing was judged."""
    return DASH if value is None else unit(f"{float(value) * 100:.1f}", "%")


def number(value: Any) -> str:
    """A measured value without noise digits."""
    if value is None:
        return DASH
    return f"{float(value):.4g}"


def short(run: str) -> str:
    """A run id as shown in running text (UUIDs are cut to 8 characters; the index has all)."""
    return run[:8] if len(run) > 12 else run


def escape(value: Any) -> Markup:
    """HTML-escape a value from inputs, control characters made visible."""
    return value if isinstance(value, Markup) else _html_escape(printable(str(value)))


@lru_cache(maxsize=1 << 16)
def _link_text(run: str) -> str:
    # Plain string building, once per run: these links are the bulk of a big report (a
    # year's names each run about 30 times).
    return (
        f'<a href="#{escape(anchor(run))}" class="run" title="run {escape(run)}">'
        f"{escape(short(run))}</a>"
    )


def _html_link(run: str) -> Markup:
    return Markup(_link_text(run))  # noqa: S704 - every part is escaped


def _html_runs(runs: Iterable[str], limit: int = 6) -> Markup:
    ids = list(dict.fromkeys(runs))
    links = " ".join(_link_text(r) for r in ids)
    if len(ids) <= limit:
        return Markup(links)  # noqa: S704 - every part is escaped
    # Collapsed on screen; on paper a closed <details> prints nothing, so the same links are
    # repeated in a span that only print styles show.
    return Markup(  # noqa: S704 - every part is escaped
        f'<details class="runs"><summary>{count(len(ids), "run")}</summary>{links}</details>'
        f'<span class="runs-print">{links}</span>'
    )


def _md_cell(value: Any) -> Markup:
    return (
        value
        if isinstance(value, Markup)
        else _md(markdown_text("" if value is None else str(value)))
    )


def _md(text: str) -> Markup:
    # In the Markdown environment `Markup` only marks text as already escaped for Markdown.
    return Markup(text)  # noqa: S704 - built from escaped parts


def _md_finalize(value: Any) -> Any:
    """Escape every value a Markdown template prints, unless a filter already did."""
    return value if isinstance(value, Markup) else markdown_text(str(value))


def _html_finalize(value: Any) -> Any:
    """Make control characters visible in every value an HTML template prints."""
    return value if isinstance(value, Markup) else printable(str(value))


def _md_runs(runs: Iterable[str], limit: int = 4) -> Markup:
    ids = list(dict.fromkeys(runs))
    link = [f"[{markdown_text(r)}](#{anchor(r)})" for r in ids]
    if len(link) <= limit:
        return _md(", ".join(link))
    return _md(f"{count(len(link), 'run')}: {link[0]}, {link[1]} … {link[-2]}, {link[-1]}")


def _run_link_html(run: Any) -> Markup:
    if not run:
        return escape(DASH)
    return _html_link(str(run))


def _run_link_md(run: Any) -> Markup:
    return _md(f"[{markdown_text(str(run))}](#{anchor(str(run))})" if run else DASH)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


@cache
def _environment(kind: str) -> Environment:
    html = kind == "html"
    env = Environment(
        loader=PackageLoader("regulens.reports", "templates"),
        # Markdown is not HTML: HTML autoescaping would corrupt it, so every printed value
        # goes through `markdown_text` instead (filters that build Markdown return Markup).
        autoescape=select_autoescape(["html", "j2"]) if html else False,  # noqa: S701
        finalize=_html_finalize if html else _md_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=pct,
        duration=duration,
        number=number,
        anchor=anchor,
        runs=_html_runs if html else _md_runs,
        run=_run_link_html if html else _run_link_md,
        cell=(lambda v: v) if html else _md_cell,
        tojson_compact=_json_dumps,
        noun=count,
        word=word,
    )
    return env


def _period(p: PeriodFacts) -> Period:
    return Period(p.label, parse_time(p.since), parse_time(p.until))


def _figure(chart: Chart) -> dict[str, Any]:
    return {
        "title": chart.title,
        "svg": render_svg(chart),
        "runs": list(chart.runs),
        "chart": chart,
    }


def _kpi_axis(kpi: KpiSeries, threshold: float, values: list[float]) -> Axis:
    """A unitless KPI with values and threshold in [0, 1] is a ratio (availability, errors)."""
    unit = kpi.unit or ""
    if unit == "ratio":
        return Axis.RATIO
    if unit == "" and 0 < threshold < 1 and all(0 <= v <= 1 for v in values):
        return Axis.RATIO
    return Axis.VALUE


def compliance_charts(facts: ComplianceReport) -> list[Chart]:
    """The chart specs of the compliance report, in page order."""
    period = _period(facts.period)
    charts: list[Chart] = []
    trend = [(p, p.pass_rate) for p in facts.pass_rate_trend if p.pass_rate is not None]
    if trend:
        charts.append(
            Chart(
                id="pass-rate",
                title="Pass rate of policies per run",
                y_label="policies passing",
                axis=Axis.RATIO,
                period=period,
                series=(
                    Series(
                        "pass rate",
                        tuple(
                            Point(parse_time(p.at), rate, p.run, ok=p.passed == p.judged)
                            for p, rate in trend
                        ),
                    ),
                ),
                runs=tuple(p.run for p, _ in trend),
            )
        )
    for backup in facts.recovery.backups:
        pts = [(p, p.age_seconds) for p in backup.points if p.age_seconds is not None]
        if not pts:
            continue
        rpo = backup.max_age_seconds
        charts.append(
            Chart(
                id=f"backup-{backup.policy}-{backup.target}",
                title=f"Backup age of {backup.target} vs RPO ({backup.policy})",
                y_label="backup age (minutes)",
                axis=Axis.MINUTES,
                period=period,
                series=(
                    Series(
                        backup.target,
                        tuple(
                            Point(parse_time(p.at), age / 60, p.run, ok=p.status == "pass")
                            for p, age in pts
                        ),
                    ),
                ),
                threshold=rpo / 60 if rpo is not None else None,
                threshold_label=f"RPO {duration(rpo)}",
                runs=tuple(p.run for p, _ in pts),
            )
        )
    for kpi in facts.kpis:
        values = [(p, p.value) for p in kpi.points if p.value is not None]
        if not values or kpi.threshold is None:
            continue
        unit = kpi.unit or ""
        threshold = kpi.threshold
        axis = _kpi_axis(kpi, threshold, [v for _, v in values])
        shown = f"{threshold * 100:g} %" if axis is Axis.RATIO else f"{number(threshold)} {unit}"
        charts.append(
            Chart(
                id=f"kpi-{kpi.policy}",
                title=f"{kpi.policy}: measured value vs threshold",
                y_label=("share" if axis is Axis.RATIO else unit or "value"),
                axis=axis,
                period=period,
                series=(
                    Series(
                        kpi.policy,
                        tuple(
                            Point(parse_time(p.at), value, p.run, ok=p.status == "pass")
                            for p, value in values
                        ),
                    ),
                ),
                threshold=threshold,
                threshold_label=f"threshold {kpi.comparator} {shown.strip()}",
                unit=unit,
                runs=tuple(p.run for p, _ in values),
            )
        )
    return charts


def compliance_figures(facts: ComplianceReport) -> dict[str, Any]:
    """The SVG figures of the compliance report, keyed by figure id."""
    return {chart.id: _figure(chart) for chart in compliance_charts(facts)}


def review_charts(facts: ReviewPack) -> list[Chart]:
    """The chart specs of the review pack (vulnerability trend by severity)."""
    vulns = facts.vulnerabilities
    if not vulns.points:
        return []
    series = tuple(
        Series(
            severity,
            tuple(
                Point(parse_time(p.at), float(p.counts.get(severity, 0)), p.run)
                for p in vulns.points
            ),
        )
        for severity in vulns.severities
    )
    return [
        Chart(
            id="vulnerabilities",
            title="Open vulnerabilities by severity per run",
            y_label="findings",
            axis=Axis.COUNT,
            period=_period(facts.period),
            series=series,
            runs=tuple(p.run for p in vulns.points),
        )
    ]


def review_figures(facts: ReviewPack) -> dict[str, Any]:
    """The SVG figures of the review pack."""
    return {chart.id: _figure(chart) for chart in review_charts(facts)}


def report_json(facts: ComplianceReport | ReviewPack | FleetOverview) -> dict[str, object]:
    """The JSON form of the facts: exactly their serialisation (what the schema describes)."""
    return facts.model_dump(mode="json")


def render_json(facts: ComplianceReport | ReviewPack | FleetOverview) -> bytes:
    """The facts as indented JSON with sorted keys (the machine-readable report)."""
    return (
        orjson.dumps(report_json(facts), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )


def _template(kind: str, name: str, **context: Any) -> bytes:
    return _environment(kind).get_template(name).render(**context).encode("utf-8")


def render_compliance(facts: ComplianceReport, fmt: str) -> bytes:
    """Render the compliance report as html, markdown, json, oscal or oscal-ap."""
    if fmt == "json":
        return render_json(facts)
    if fmt == "oscal":
        from regulens.reports.oscal import render_oscal

        return render_oscal(facts)
    if fmt == "oscal-ap":
        from regulens.reports.oscal import render_oscal_plan

        return render_oscal_plan(facts)
    if fmt == "markdown":
        return _template("markdown", "compliance.md.j2", r=facts)
    if fmt == "html":
        return _template("html", "compliance.html.j2", r=facts, figures=compliance_figures(facts))
    raise ValueError(f"unknown report format {fmt!r}")


def render_review(facts: ReviewPack, fmt: str) -> bytes:
    """Render the monthly review pack as html, markdown or json."""
    if fmt == "json":
        return render_json(facts)
    if fmt == "markdown":
        return _template("markdown", "review.md.j2", r=facts)
    if fmt == "html":
        return _template("html", "review.html.j2", r=facts, figures=review_figures(facts))
    raise ValueError(f"unknown review format {fmt!r}")


def render_fleet(facts: FleetOverview, fmt: str) -> bytes:
    """Render the fleet overview as html, markdown or json."""
    if fmt == "json":
        return render_json(facts)
    if fmt == "markdown":
        return _template("markdown", "fleet.md.j2", r=facts)
    if fmt == "html":
        return _template("html", "fleet.html.j2", r=facts)
    raise ValueError(f"unknown fleet format {fmt!r}")


__all__ = [
    "COMPLIANCE_FORMATS",
    "REVIEW_FORMATS",
    "render_compliance",
    "render_fleet",
    "render_review",
]
