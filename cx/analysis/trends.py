"""A metric over time, marked with what each point can support.

On top of cx.metrics' per-period estimates, every trend point here carries:
- whether the data covers its whole period (`status`: complete, "so far" for the
  current period the data has only begun, "partial" for one the date range cuts,
  "small" when n is below the minimum). Only complete points may end a sparkline
  or a headline, or be called best or worst.
- a test against the period before and against the series' own recent level
  (the pooled RECENT_PERIODS complete periods before it), with Benjamini–Hochberg
  across all the tests of the series, so a marked point is unlikely to be chance.
A split with more than MAX_GROUPS groups keeps the TOP_GROUPS largest and pools
the others as "The rest".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from cx.analysis import filters as flt
from cx.analysis import metrics, stats
from cx.analysis.filters import Filters
from cx.analysis.narrative import CUMULATIVE, MODELS, margin

RECENT_PERIODS = 4
MAX_GROUPS = 6
TOP_GROUPS = 5
DURATIONS = ("first_response_time", "resolution_time")
# Columns of sufficient statistics that add up across groups (medians and quantiles do not).
ADDITIVE = (
    "n", "promoters", "detractors", "top2", "easy", "total", "total_sq", "customers", "churned",
    "within_target", "revenue", "above", "purchases",
)  # fmt: skip
STEP = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}


def _step(grain: str) -> pd.DateOffset:
    return STEP.get(grain, pd.DateOffset(months=3))


# --- which periods the data covers ------------------------------------------------------------


def coverage(periods, grain: str, start: date, end: date, span: tuple[date, date] | None = None) -> pd.DataFrame:
    """Per period start: its last calendar day, the days it has, the days the range and data cover, status.

    A period is complete when the date range and the data both cover every one of its days.
    Cut at the end by the data's last day it is "so far" (the current week, month or quarter);
    cut by the chosen range it is "partial".
    """
    first = max(start, span[0]) if span else start
    last = min(end, span[1]) if span else end
    rows = []
    for period in sorted({pd.Timestamp(p) for p in periods}):
        full_end = period + _step(grain) - pd.Timedelta(days=1)
        covered_from, covered_to = max(period, pd.Timestamp(first)), min(full_end, pd.Timestamp(last))
        days = (full_end - period).days + 1
        covered = max((covered_to - covered_from).days + 1, 0)
        if covered == days:
            status = "complete"
        elif covered_to < full_end and span is not None and pd.Timestamp(last) == pd.Timestamp(span[1]):
            status = "so far"
        else:
            status = "partial"
        rows.append({"period": period, "period_end": full_end, "days": days, "covered_days": covered, "status": status})
    return pd.DataFrame(rows, columns=["period", "period_end", "days", "covered_days", "status"])


# --- the query ---------------------------------------------------------------------------------


def trend(
    backend: ibis.BaseBackend,
    key: str,
    filters: Filters,
    grain: str = "month",
    by: str | None = None,
    *,
    min_n: int = stats.MIN_N,
    target_s: float = metrics.DEFAULT_RESPONSE_TARGET_S,
    max_groups: int = MAX_GROUPS,
    keep: list[str] | None = None,
    known_only: bool = False,
) -> pd.DataFrame:
    """The metric per period (and group) with n, interval, coverage status and significance marks.

    `keep` names the groups to draw (the others pooled as 'The rest'); by default the largest
    TOP_GROUPS when there are more than `max_groups`. `known_only` leaves the 'Unknown' group out
    (additive metrics only; medians are pooled in the query).
    """
    raw = metrics.sufficient_stats(backend, key, filters, by=by, grain=grain, target_s=target_s)
    if known_only:  # e.g. "the other touchpoints" are not the answers that name no touchpoint
        raw = raw[raw["group"] != metrics.UNKNOWN]
    keep = list(keep) if keep is not None else top_groups(raw, key, max_groups)
    if keep is not None and key in DURATIONS:  # medians do not add up: pool the rest in the query
        raw = metrics.sufficient_stats(backend, key, filters, by=by, grain=grain, target_s=target_s, keep=keep)
    elif keep is not None:
        raw = pool_rest(raw, keep)
    if key in DURATIONS and len(raw):
        raw = raw.merge(
            _above_series_median(backend, key, filters, grain, by, keep), on=["period", "group"], how="left"
        )
        raw["above"] = raw["above"].fillna(0)
    return tested(raw, key, grain, filters.start, filters.end, metrics.data_range(backend), min_n)


def _above_series_median(
    backend: ibis.BaseBackend, key: str, filters: Filters, grain: str, by: str | None, keep
) -> pd.DataFrame:
    """Per period, the interactions slower than the group's median over the whole range (for Mood's test)."""
    column = "resolution_time_s" if key == "resolution_time" else "response_time_s"
    events = metrics._group_column(backend, flt.interactions(backend, filters), by, keep)
    events = events.filter(events[column].notnull() & (events[column] >= 0))
    medians = events.group_by("group").aggregate(threshold=events[column].median())
    joined = events.join(medians, "group")
    joined = joined.mutate(period=joined.occurred_at.truncate(metrics.GRAINS[grain]))
    above: ir.IntegerValue = (joined[column] > joined.threshold).ifelse(1, 0).sum()  # PostgreSQL casts no boolean
    frame = joined.group_by(["period", "group"]).aggregate(above=above).execute()
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _size_column(raw: pd.DataFrame) -> str:
    return "n" if "n" in raw else "customers"


def top_groups(raw: pd.DataFrame, key: str, max_groups: int = MAX_GROUPS) -> list[str] | None:
    """The TOP_GROUPS largest groups when there are more than `max_groups`; None when all fit."""
    if raw.empty or raw["group"].nunique() <= max_groups:
        return None
    sizes = raw.groupby("group")[_size_column(raw)].sum().sort_values(ascending=False, kind="stable")
    return [str(g) for g in sizes.index[: max_groups - 1]]


def pool_rest(raw: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """Groups not in `keep` summed into one 'The rest' group per period (additive statistics only)."""
    kept = raw[raw["group"].isin(keep)]
    rest = raw[~raw["group"].isin(keep)]
    if rest.empty:
        return kept
    additive = [c for c in ADDITIVE if c in rest]
    others = [c for c in rest.columns if c not in additive and c not in ("period", "group")]
    pooled = rest.groupby("period", as_index=False).agg(
        {**{c: "sum" for c in additive}, **{c: "first" for c in others}}
    )
    pooled["group"] = metrics.REST
    return pd.concat([kept, pooled[raw.columns]], ignore_index=True)


# --- marks (pure) ------------------------------------------------------------------------------


def tested(
    raw: pd.DataFrame,
    key: str,
    grain: str,
    start: date,
    end: date,
    span: tuple[date, date] | None,
    min_n: int = stats.MIN_N,
) -> pd.DataFrame:
    """Sufficient statistics per (period, group) → estimates, coverage status and the tests of each point."""
    frame = metrics.table(raw, key, min_n)
    if frame.empty:
        return frame.assign(status=[], complete=[], period_end=[])
    covered = coverage(frame["period"], grain, start, end, span)
    frame = frame.merge(covered[["period", "period_end", "status"]], on="period", how="left")
    frame.loc[frame["small"].astype(bool) & (frame["status"] == "complete"), "status"] = "small"
    frame.loc[frame["value"].isna(), "status"] = "no data"
    frame["complete"] = frame["status"] == "complete"
    parts = []
    raw_rows = {(pd.Timestamp(r["period"]), r["group"]): r for r in raw.to_dict("records")}
    for _, rows in frame.groupby("group", sort=False):
        parts.append(_test_series(rows.sort_values("period"), raw_rows, key, grain))
    marked = pd.concat(parts, ignore_index=True)
    order = {g: i for i, g in enumerate(_group_order(raw))}
    marked["_order"] = marked["group"].map(order)
    return marked.sort_values(["_order", "period"]).drop(columns="_order").reset_index(drop=True)


def _group_order(raw: pd.DataFrame) -> list[str]:
    sizes = raw.groupby("group")[_size_column(raw)].sum().sort_values(ascending=False, kind="stable")
    groups = [g for g in sizes.index if g != metrics.REST]
    return groups + ([metrics.REST] if metrics.REST in sizes.index else [])


TEST_COLUMNS = (
    "prev_difference", "prev_margin", "prev_p_value", "prev_significant",
    "recent_level", "recent_difference", "recent_margin", "recent_p_value", "recent_significant",
)  # fmt: skip


def _test_series(rows: pd.DataFrame, raw_rows: dict, key: str, grain: str) -> pd.DataFrame:
    """Each complete point against the complete period just before it and against the pooled recent level."""
    results = {c: [None] * len(rows) for c in TEST_COLUMNS}
    testable = key not in CUMULATIVE and key not in MODELS
    history: list[tuple[dict, bool]] = []  # complete periods so far, oldest first, and whether each stood out
    tests: list[tuple[int, str, float | None]] = []
    periods = list(rows["period"])
    for i, (period, group, complete) in enumerate(zip(periods, rows["group"], rows["complete"], strict=True)):
        if not complete:
            continue
        current = raw_rows[(pd.Timestamp(period), group)]
        if testable and history and pd.Timestamp(history[-1][0]["period"]) + _step(grain) == pd.Timestamp(period):
            _record(results, tests, i, "prev", key, current, history[-1][0])
        recent = _recent_level(history)
        stood_out = False
        if testable and len(recent) >= 2:
            _record(results, tests, i, "recent", key, current, _pooled(recent, key))
            p_value = results["recent_p_value"][i]
            stood_out = p_value is not None and p_value < stats.ALPHA
        history.append((current, stood_out))
    adjusted = stats.bh_adjusted([p for *_, p in tests])
    for (i, family, _), q in zip(tests, adjusted, strict=True):
        results[f"{family}_significant"][i] = (
            q is not None and q <= stats.ALPHA and bool(results[f"{family}_difference"][i])
        )
    for name in ("prev_significant", "recent_significant"):
        results[name] = [bool(v) for v in results[name]]
    return rows.assign(**results)


def _record(results: dict, tests: list, i: int, family: str, key: str, current: dict, reference: dict) -> None:
    comparison = metrics.compare(key, current, reference)
    if comparison.difference is None:
        return
    now, before = metrics.estimate(key, current)[0], metrics.estimate(key, reference)[0]
    results[f"{family}_difference"][i] = comparison.difference
    results[f"{family}_margin"][i] = margin(comparison, now, before, from_test=key not in DURATIONS)
    results[f"{family}_p_value"][i] = comparison.p_value
    if family == "recent":
        results["recent_level"][i] = before.value
    tests.append((i, family, comparison.p_value))


def _recent_level(history: list[tuple[dict, bool]]) -> list[dict]:
    """The periods that make up the recent level: the last RECENT_PERIODS that did not stand out themselves.

    One incident month must not drag the level so far that the normal months after it look like
    rises; but a change that lasts becomes the new level (look back at most twice as far, and use
    the last periods as they are when too few ordinary ones remain).
    """
    window = history[-2 * RECENT_PERIODS :]
    ordinary = [row for row, stood_out in window if not stood_out][-RECENT_PERIODS:]
    return ordinary if len(ordinary) >= 2 else [row for row, _ in history[-RECENT_PERIODS:]]


def _pooled(rows: list[dict], key: str) -> dict:
    """The recent level: the periods' sufficient statistics added up (for medians, their mean median)."""
    pooled = dict(rows[-1])
    for column in ADDITIVE:
        if column in pooled:
            pooled[column] = sum(r[column] or 0 for r in rows)
    if key in DURATIONS:
        medians = [r["median"] for r in rows if r.get("median") is not None]
        pooled["median"] = sum(medians) / len(medians) if medians else None
        pooled["ci_low"] = pooled["ci_high"] = None  # an interval of pooled medians is not defined
    if "months" in pooled:  # a rate over the pooled periods is still a per-period rate
        pooled["months"] = rows[-1]["months"]
    return pooled


def complete(frame: pd.DataFrame) -> pd.DataFrame:
    """The points a headline, a sparkline end or a best/worst claim may use."""
    if frame.empty or "complete" not in frame:
        return frame.iloc[0:0] if len(frame) else frame
    return frame[frame["complete"].astype(bool)]


def sparkline(frame: pd.DataFrame, grain: str, filters: Filters, span: tuple[date, date] | None) -> list[float]:
    """A tile's small line: complete periods only, so it never ends in the cliff of a one-day week."""
    if frame.empty:
        return []
    covered = coverage(frame["period"], grain, filters.start, filters.end, span)
    full = set(covered.loc[covered["status"] == "complete", "period"])
    rows = frame[frame["period"].isin(full) & ~frame["small"].astype(bool) & frame["value"].notna()]
    return [float(v) for v in rows.sort_values("period")["value"]]


# --- annotations: events a leader named, and a test across each ---------------------------------

ANNOTATION_COLUMNS = ["annotation_id", "metric", "day", "label", "author", "created_at"]
ACROSS_DAYS = 28  # the before/after windows around an annotation: four weeks each
MIN_ACROSS_DAYS = 7  # an event closer than a week to the data's edge is not tested yet


def annotations(backend: ibis.BaseBackend, key: str | None, filters: Filters) -> pd.DataFrame:
    """The annotations of metric `key` (and those on every metric) whose day falls in the filters' dates."""
    if "annotations" not in backend.list_tables():
        return pd.DataFrame(columns=ANNOTATION_COLUMNS)
    notes = backend.table("annotations")
    on_metric = notes.metric.isnull() if key is None else (notes.metric.isnull() | (notes.metric == key))
    chosen = notes.filter(on_metric & (notes.day >= filters.start) & (notes.day <= filters.end))
    frame = chosen.select(*ANNOTATION_COLUMNS).order_by(["day", "annotation_id"]).to_pandas()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def label_periods(frame: pd.DataFrame, notes: pd.DataFrame) -> pd.DataFrame:
    """The trend frame with an `annotation` column: the labels of the annotations inside each period
    (so a CSV of the chart carries them beside the figures)."""
    if frame.empty or notes.empty or "period_end" not in frame:
        return frame
    days = pd.to_datetime(notes["day"])

    def labels(row) -> str:
        inside = notes[(days >= row.period) & (days <= row.period_end)]
        return "; ".join(f"{n.label} ({n.day:%d %b})" for n in inside.itertuples())

    return frame.assign(annotation=[labels(r) for r in frame.itertuples()])


@dataclass(frozen=True)
class Across:
    """A metric in equal windows before and after an annotation's day, tested (metrics.summary does the test)."""

    note: dict
    days: int  # length of each window; 0 when the event is too close to the data's edge to test
    summary: metrics.Summary | None


def across_annotation(
    backend: ibis.BaseBackend, key: str, filters: Filters, day: date, window: int = ACROSS_DAYS
) -> Across:
    """The metric in the `window` days from `day` against the `window` days before it, on the same filters
    (except dates); shorter windows when the data ends or starts sooner, untested under MIN_ACROSS_DAYS."""
    span = metrics.data_range(backend)
    if span is None:
        return Across({}, 0, None)
    first, last = span
    days = min(window, (last - day).days + 1, (day - first).days)
    if days < MIN_ACROSS_DAYS:
        return Across({}, max(days, 0), None)
    after = replace(filters, start=day, end=day + timedelta(days=days - 1))
    return Across({}, days, metrics.summary(backend, key, after))


def across_annotations(backend: ibis.BaseBackend, key: str, filters: Filters) -> list[Across]:
    """A before/after test across every annotation of the metric in the period, in date order."""
    notes = annotations(backend, key, filters)
    found = []
    for note in notes.to_dict("records"):
        result = across_annotation(backend, key, filters, note["day"])
        found.append(replace(result, note=note))
    return found
