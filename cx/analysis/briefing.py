"""The briefing: what changed significantly since the previous period, in 3–7 ranked sentences.

Two families of tests, each a question the dashboard already answers elsewhere:
- the headline metrics against the previous period of equal length, tested exactly as their Overview
  tiles are (each its own question, so the briefing never contradicts a tile);
- the same metrics within every segment, region, plan and channel (and CSAT per touchpoint), many tests
  at once, so false discoveries are controlled across the whole family (Benjamini–Hochberg).
Significant changes come first, strongest evidence (|z|) first, and a headline metric that changed is
never left out for a group that changed more; when fewer than three changed, the
steady headline figures say so ("NPS 32, about the same as the previous 90 days (+1 ± 3 pts)"),
because no change is news too. Every sentence comes with the view that shows it. The words are
cx.analysis.narrative's, so the briefing speaks as the tiles and headlines do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import ibis
import pandas as pd

from cx.analysis import metrics, narrative, stats, units
from cx.analysis.filters import Filters

HEADLINE_KEYS = metrics.OVERVIEW_METRICS
# Metrics compared within groups: shares and means (medians need pooled-median counts per group).
GROUP_KEYS = ("nps", "csat", "ces", "churn_rate")
CUSTOMER_DIMENSIONS = ("segment", "region", "plan")
EVENT_DIMENSIONS = ("channel", "touchpoint")
MOST, LEAST = 7, 3
PAGES = {"trends": "pages/1_Trends.py", "journey": "pages/2_Journey.py"}


@dataclass(frozen=True)
class Finding:
    """One sentence of the briefing, the test behind it and the view that shows it."""

    text: str
    key: str  # the metric
    significant: bool
    strength: float  # |z| of the test; 0 when not significant
    page: str  # the page file of the view
    params: dict[str, list[str]] = field(default_factory=dict)  # its URL parameters, filters included
    dimension: str | None = None  # "segment", ..., None for the whole population
    group: str | None = None
    q_value: float | None = None  # after Benjamini–Hochberg (group family only)


def _dimensions(key: str) -> tuple[str, ...]:
    if metrics.METRICS[key].source == "customers":
        return CUSTOMER_DIMENSIONS
    if key == "csat":
        return CUSTOMER_DIMENSIONS + EVENT_DIMENSIONS
    return CUSTOMER_DIMENSIONS + EVENT_DIMENSIONS[:1]


def _strength(comparison: stats.Comparison) -> float:
    z = abs(comparison.statistic or 0.0)
    return 1e9 if not math.isfinite(z) else z


def _link(page: str, filters: Filters, **params: str) -> dict[str, list[str]]:
    link = {k: [v] if isinstance(v, str) else list(v) for k, v in filters.to_query_params().items()}
    link.update({k: [v] for k, v in params.items() if v})
    return link


def headline_findings(summaries: Sequence[metrics.Summary], filters: Filters) -> list[Finding]:
    """The headline metrics, as their tiles test them: significant or steady, in the tiles' words."""
    found = []
    for summary in summaries:
        if summary.current.value is None or summary.metric.key in narrative.MODELS:
            continue
        change = narrative.change_from_summary(summary)
        significant = change.direction is not None and not stats.is_small(change.reference_n)
        found.append(
            Finding(
                text=narrative.tile_sentence(summary, filters.days),
                key=summary.metric.key,
                significant=significant,
                strength=_strength(summary.comparison) if significant else 0.0,
                page=PAGES["trends"],
                params=_link(PAGES["trends"], filters, metric=summary.metric.key),
            )
        )
    return found


@dataclass(frozen=True)
class GroupTest:
    key: str
    dimension: str
    group: str
    current: stats.Estimate
    previous: stats.Estimate
    comparison: stats.Comparison


def group_tests(
    backend: ibis.BaseBackend,
    filters: Filters,
    keys: Sequence[str] = GROUP_KEYS,
    dimensions: Sequence[str] | None = None,
) -> list[GroupTest]:
    """Each metric within each group of each dimension, this period against the previous one.

    Groups with fewer than the minimum n in either period are not tested (and so not counted by the
    false-discovery control), nor are unknown values or a dimension the filters already fix.
    """
    tests = []
    fixed = {name for name, _ in filters.where}
    for key in keys:
        for dimension in dimensions or _dimensions(key):
            if dimension in fixed:
                continue
            now, before = metrics.sufficient_stats_pair(backend, key, filters, by=dimension)
            if now.empty or before.empty or ("basis" in now and (now["basis"] == "snapshot").any()):
                continue
            earlier = {row["group"]: row for row in before.to_dict("records")}
            for row in now.to_dict("records"):
                group = row["group"]
                if group in (metrics.UNKNOWN, None) or group not in earlier:
                    continue
                current, previous = metrics.estimate(key, row)[0], metrics.estimate(key, earlier[group])[0]
                if stats.is_small(current.n) or stats.is_small(previous.n):
                    continue
                tests.append(GroupTest(key, dimension, str(group), current, previous,
                                       metrics.compare(key, row, earlier[group])))  # fmt: skip
    return tests


def group_findings(tests: Sequence[GroupTest], filters: Filters) -> list[Finding]:
    """The group changes that survive Benjamini–Hochberg across every group test, in narrative's words."""
    q_values = stats.bh_adjusted([t.comparison.p_value for t in tests])
    found = []
    for test, q in zip(tests, q_values, strict=True):
        if q is None or q > stats.ALPHA or not test.comparison.difference:
            continue
        metric = metrics.METRICS[test.key]
        change = narrative.Change(
            metric=metric,
            current=test.current.value,
            reference=test.previous.value,
            difference=test.comparison.difference,
            margin=narrative.margin(test.comparison, test.current, test.previous, from_test=metric.unit != "s"),
            significant=True,
            p_value=test.comparison.p_value,
            current_n=test.current.n,
            reference_n=test.previous.n,
        )
        unit = units.unit_for(metric, test.current.value)
        name = units.label(metric, filters.days).replace(" (median)", "")
        where = f"{'at' if test.dimension == 'touchpoint' else 'for'} {test.dimension.replace('_', ' ')} {test.group}"
        text = (f"{name} {where} {units.value(metric, test.current.value, unit)}, "
                f"{narrative.compared(change, f'the previous {filters.days} days', unit)}, "
                f"n = {units.count(test.current.n)}.")  # fmt: skip
        if test.dimension == "touchpoint":
            page, params = PAGES["journey"], _link(PAGES["journey"], filters.with_values(touchpoint=[test.group]))
        else:
            page = PAGES["trends"]
            params = _link(page, filters.with_values(**{test.dimension: [test.group]}), metric=test.key)
        found.append(Finding(text, test.key, True, _strength(test.comparison), page, params, test.dimension,
                             test.group, q))  # fmt: skip
    return found


def rank(
    headlines: Sequence[Finding], groups: Sequence[Finding], most: int = MOST, least: int = LEAST
) -> list[Finding]:
    """Significant findings by strength of evidence, every changed headline metric among them and the
    strongest group changes in the places left; then steady headline figures until there are `least`."""
    moved = sorted([f for f in headlines if f.significant], key=lambda f: -f.strength)[:most]
    strongest = sorted([f for f in groups if f.significant], key=lambda f: -f.strength)[: most - len(moved)]
    changed = sorted(moved + strongest, key=lambda f: -f.strength)
    steady = [f for f in headlines if not f.significant]
    return changed + steady[: max(0, least - len(changed))]


def briefing(backend: ibis.BaseBackend, filters: Filters, most: int = MOST, least: int = LEAST) -> list[Finding]:
    """The briefing for the filters' period against the previous period of equal length."""
    summaries = [metrics.summary(backend, key, filters) for key in HEADLINE_KEYS]
    return from_tests(summaries, group_tests(backend, filters), filters, most, least)


def with_tiles(
    backend: ibis.BaseBackend, filters: Filters
) -> tuple[list[tuple[metrics.Summary, pd.DataFrame]], list[Finding]]:
    """The Overview's figures in one reading: its headline tiles, and the briefing built on their summaries."""
    tiles = metrics.overview(backend, filters, HEADLINE_KEYS)
    return tiles, from_tests([summary for summary, _ in tiles], group_tests(backend, filters), filters)


def from_tests(
    summaries: Sequence[metrics.Summary], tests: Sequence[GroupTest], filters: Filters,
    most: int = MOST, least: int = LEAST,
) -> list[Finding]:  # fmt: skip
    """The briefing from headline summaries already computed (the Overview's tiles) and the group tests."""
    return rank(headline_findings(summaries, filters), group_findings(tests, filters), most, least)


def intro(findings: Sequence[Finding], filters: Filters) -> str:
    """The line above the sentences: how many changes, tested how."""
    changed = sum(f.significant for f in findings)
    if not findings:
        return "No data in this period to compare."
    if changed == 0:
        return f"Nothing changed significantly on the previous {filters.days} days; the headline figures:"
    return (f"{changed} significant change{'s' if changed > 1 else ''} on the previous {filters.days} days "
            "(95%; false discoveries controlled across segments), strongest first:")  # fmt: skip


def as_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    """The briefing as a table, for a download: sentence, metric, where, verdict, q-value."""
    return pd.DataFrame(
        [{"sentence": f.text, "metric": metrics.METRICS[f.key].label, "dimension": f.dimension or "all",
          "group": f.group or "", "significant": f.significant, "q_value": f.q_value} for f in findings]
    )  # fmt: skip
