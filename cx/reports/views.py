"""A view (a page with its URL parameters) as sections a report can print: heading, finding, chart, key figures.

The pages draw these with Streamlit; a report (PDF, e-mail) needs the same figures without it. Each
builder asks the same analysis functions and chart functions the page does, with the choices the
page reads from its URL, so a slide of a deck and its page in the report show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import pandas as pd
import plotly.graph_objects as go

from cx import charts
from cx.analysis import journey, metrics, narrative, segments, trends, units
from cx.analysis.filters import Filters
from cx.analysis.stats import MIN_N
from cx.reports import exports

PAGE_FILES = {
    "overview": "dashboard.py",
    "trends": "pages/1_Trends.py",
    "journey": "pages/2_Journey.py",
    "segments": "pages/3_Segments.py",
}
PAGE_TITLES = {path: name.capitalize() for name, path in PAGE_FILES.items()}
MAX_TABLE_ROWS = 12


@dataclass(frozen=True)
class Section:
    title: str
    headline: str
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None  # the chart's figures with n and 95% intervals, as people read them
    n: str | None = None
    metric: metrics.Metric | None = None


@dataclass(frozen=True)
class View:
    page: str
    title: str
    filters: Filters
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the page computes what it shows
    metrics_used: list[str] = field(default_factory=list)


def page_file(name: str) -> str:
    """'trends', 'Trends' or 'pages/1_Trends.py' → the page file."""
    key = name.strip().lower().removesuffix(".py")
    if key in PAGE_FILES:
        return PAGE_FILES[key]
    for path in PAGE_FILES.values():
        if path == name or path.lower().endswith(f"_{key}.py"):
            return path
    raise ValueError(f"There is no page called {name!r}; pages: {', '.join(PAGE_FILES)}.")


def _choice(params: dict[str, list[str]], name: str, options: list[str], default: str) -> str:
    value = (params.get(name) or [None])[0]
    return value if value in options else default


def _label(field_name: str) -> str:
    return units.field_label(field_name)


def _table(frame: pd.DataFrame, metric: metrics.Metric | None = None, keep: list[str] | None = None) -> pd.DataFrame:
    rows = frame[[c for c in keep if c in frame]] if keep else frame
    return exports.human_table(rows.head(MAX_TABLE_ROWS), metric)


def overview_view(backend: ibis.BaseBackend, filters: Filters, params: dict[str, list[str]]) -> View:
    tiles = metrics.overview(backend, filters)
    table = exports.overview_table([summary for summary, _ in tiles])
    sentences = " ".join(narrative.tile_sentence(summary, filters.days) for summary, _ in tiles)
    section = Section("Headline figures", sentences, None, table)
    notes = [f"Changes are against the previous {filters.days} days; called a change only when significant (95%)."]
    return View("dashboard.py", "Overview", filters, [section], notes, [s.metric.key for s, _ in tiles])


def trends_view(backend: ibis.BaseBackend, filters: Filters, params: dict[str, list[str]]) -> View:
    key = _choice(params, "metric", list(metrics.METRICS), "nps")
    grain = _choice(params, "grain", list(metrics.GRAINS), "week" if filters.days <= 120 else "month")
    split = _choice(params, "split", metrics.split_options(backend, key), "")
    metric = metrics.METRICS[key]
    frame = trends.trend(backend, key, filters, grain, split or None)
    title = f"{metric.label} by {grain}" + (f", split by {_label(split).lower()}" if split else "")
    if frame.empty or frame["value"].isna().all():
        return View(
            "pages/1_Trends.py", "Trends", filters, [Section(title, f"No {metric.label} data for these filters.")]
        )
    latest = frame.sort_values("period").groupby("group", sort=False).tail(1)
    section = Section(
        title,
        _trend_headline(backend, frame, metric, grain, split, filters),
        charts.trend(frame, metric, grain),
        _table(latest, metric, ["period", "group", "value", "ci_low", "ci_high", "n", "small"]),
        exports.sample_size(frame, metric.counted),
        metric,
    )
    notes = [f"n counts {metric.counted}; shaded bands are 95% intervals; hollow grey points have fewer than {MIN_N}. "
             "The table gives the latest period of each line."]  # fmt: skip
    return View("pages/1_Trends.py", "Trends", filters, [section], notes, [key])


def _trend_headline(
    backend, frame: pd.DataFrame, metric: metrics.Metric, grain: str, split: str, filters: Filters
) -> str:
    """The Trends page's headline: the groups against the rest when split, else the tested trend."""
    if split:
        table = segments.versus_rest(backend, metric.key, filters, split)
        return narrative.versus_rest_headline(table, metric, _label(split), filters.days)
    summary = metrics.summary(backend, metric.key, filters)
    return narrative.trend_headline(frame, metric, grain, summary, filters.days)


def journey_view(backend: ibis.BaseBackend, filters: Filters, params: dict[str, list[str]]) -> View:
    """The Journey page: pain points on the metric it ranks on (chosen, else the one with most answers)."""
    available = journey.rankable(backend, filters)
    key = _choice(params, "pain", list(available), journey.default_metric(available) or "") or None
    sections = []
    if key is None:
        sections.append(Section("Pain points", "No survey answer in this period names a touchpoint, so touchpoints "
                                "cannot be ranked."))  # fmt: skip
    else:
        metric = metrics.METRICS[key]
        table = journey.touchpoints(backend, filters, key)
        ranked = journey.pain_points(table, metric.higher_is_better)
        headline = narrative.pain_headline(table, metric, filters.days)
        if not journey.can_rank(table):
            sections.append(Section("Pain points", headline))
        else:
            sections.append(Section(
                "Pain points", headline,
                charts.metric_bars(ranked.rename(columns={"touchpoint": "group"}), metric, worst_first=True),
                _table(ranked, metric, ["touchpoint", "value", "ci_low", "ci_high", "n", "small"]),
                exports.sample_size(ranked, metric.counted), metric,
            ))  # fmt: skip
            if (table["volume"] > 0).sum() >= 2:
                sections.append(Section("Volume and satisfaction", narrative.volume_headline(table, metric),
                                        charts.volume_satisfaction(table, metric), None,
                                        f"n = {int(table['volume'].sum()):,} interactions"))  # fmt: skip
    flow = journey.stage_flow(backend, filters)
    if len(flow):
        sections.append(Section("Flow through the journey", narrative.flow_headline(flow), charts.funnel(flow),
                                _table(flow, None, ["journey_stage", "reached", "share_of_top", "stopped"]),
                                exports.sample_size(flow)))  # fmt: skip
    channels = journey.channel_consistency(backend, filters)
    if len(channels):
        sections.append(Section("Channel consistency", narrative.channel_headline(channels),
                                charts.channel_dots(channels), None, exports.sample_size(channels, "responses")))  # fmt: skip
    label = metrics.METRICS[key].label if key else "The score"
    notes = [
        *([metrics.METRICS[key].help] if key else []),
        narrative.pain_colours(label, filters.days),
    ]
    return View("pages/2_Journey.py", "Journey", filters, sections, notes, [key] if key else [])


def segments_view(backend: ibis.BaseBackend, filters: Filters, params: dict[str, list[str]]) -> View:
    coverage = segments.data_coverage(backend)
    keys = segments.metrics_with_data(coverage)
    if not keys:
        return View(
            "pages/3_Segments.py", "Segments", filters, [Section("Segments", "There is no data to compare yet.")]
        )
    splits = metrics.split_options(backend, "churn_rate")
    key = _choice(params, "metric", keys, keys[0])
    by = _choice(params, "by", splits, "segment")
    metric, by_label = metrics.METRICS[key], _label(by)
    sections = []
    frame = segments.versus_rest(backend, key, filters, by)
    if len(frame) and not frame["value"].isna().all():
        figure = charts.metric_bars(frame, metric, days=filters.days, reference=frame.attrs.get("overall"))
        sections.append(Section(f"{metric.label} by {by_label.lower()}", narrative.versus_rest_headline(frame, metric, by_label, filters.days),
                                figure, _table(frame, metric, ["group", "value", "ci_low", "ci_high", "n", "small"]),
                                exports.sample_size(frame, metric.counted), metric))  # fmt: skip
    heat = segments.heatmap(backend, filters, by, tuple(k for k in segments.HEATMAP_METRICS if k in keys))
    if len(heat):
        labels = {k: units.label(m, filters.days) for k, m in metrics.METRICS.items()}
        sections.append(Section(f"Every metric by {by_label.lower()}", narrative.heatmap_headline(heat, by_label, labels),
                                charts.heatmap(heat, labels), None, exports.sample_size(heat)))  # fmt: skip
    available = [t for t in segments.DRIVER_TARGETS if t != "nps" or coverage.get("nps")]
    target = _choice(params, "driver", available, available[0]) if available else None
    drivers = segments.drivers(backend, filters, target) if target else pd.DataFrame()
    if len(drivers):
        unit = "NPS points" if target == "nps" else "churn, percentage points"
        for kind, what in (("touchpoint", "Touchpoints"), ("attribute", "Customer attributes")):
            rows = segments.driver_bars(drivers, kind, target)
            if len(rows) and rows["value"].notna().any():
                figure = charts.ranked_bars(rows, label="label", value_label=f"Difference ({unit})",
                                            value_format="+.1f", sort=False)  # fmt: skip
                sections.append(Section(f"Key drivers: {what.lower()}", narrative.drivers_headline(drivers, target),
                                        figure, None, exports.sample_size(drivers[drivers["kind"] == kind])))  # fmt: skip
    notes = [
        "Each segment is compared with all the other customers together (two-sided test at 95%), with false "
        f"discoveries controlled (Benjamini–Hochberg): blue = significantly better, red = worse, grey = fewer than {MIN_N}.",
        "Key drivers are differences with 95% intervals, ranked on the end nearest zero; they go together with the "
        "outcome, which is not proof of cause.",
    ]
    return View("pages/3_Segments.py", "Segments", filters, sections, notes, [key])


BUILDERS: dict[str, Callable[[ibis.BaseBackend, Filters, dict[str, list[str]]], View]] = {
    "dashboard.py": overview_view,
    "pages/1_Trends.py": trends_view,
    "pages/2_Journey.py": journey_view,
    "pages/3_Segments.py": segments_view,
}


def build(backend: ibis.BaseBackend, page: str, params: dict[str, list[str]], default_filters: Filters) -> View:
    """The view a page shows for these URL parameters (filters from them, or `default_filters` without dates)."""
    if page not in BUILDERS:
        raise ValueError(f"The page {page!r} has no report view (pages: {', '.join(PAGE_FILES)}).")
    filters = Filters.from_query_params(params) if params.get("from") else default_filters.with_values(
        **dict(Filters.from_query_params(params).where)
    )  # fmt: skip
    return BUILDERS[page](backend, filters, params)
