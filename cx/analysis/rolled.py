"""Reading figures from the rollups kept at import (cx.store.rollups) when the filters and grouping allow.

`answerable` decides, per figure; cx.analysis.metrics then reads the same sufficient statistics from the
rollup instead of the raw tables. The raw tables answer whenever the rollups cannot say the same thing:
- a customer field (segment, region, plan) together with an event field (channel, journey stage,
  touchpoint), any customer attribute, and a duration by customer field: survey figures by customer
  field come from their own rollup, read only while the customers are those it was counted with;
- a row scope (only some customers): an aggregate cannot be limited to customers (cx.analysis.scope);
- another engine (warehouse mode) or a file without rollups, and any file whose rollups do not count the
  same rows as its tables (rows written by hand, outside an import);
- per-customer NPS, a response target other than a bucket edge, and every customer metric.

Survey figures from the rollup are exact. Medians and 90th percentiles come from a log-scale histogram
with 16 buckets per doubling: each order statistic is read as its bucket's geometric middle, so it is
within 2^(1/32) − 1 ≈ 2.2% of the exact value (`QUANTILE_ERROR`), and so is a quantile interpolated
between two of them. Mood's median test splits at the edge of the bucket holding the pooled median
(an exact count above a point within that error of the median).

CX_ROLLUPS=off reads everything raw (to compare both ways, or to rule the rollups out).
"""

from __future__ import annotations

import math
import os
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cx.analysis import filters as flt
from cx.analysis import scope
from cx.analysis.filters import Filters
from cx.store.per_reading import MEMO
from cx.store.rollups import BUCKET_BASE_S, BUCKETS_PER_DOUBLING, CUSTOMERS_SIGNATURE, TABLES

SURVEY_KEYS = ("nps", "csat", "ces", "rating10")
DURATION_COLUMNS = {
    "first_response_time": "response_time_s",
    "resolution_time": "resolution_time_s",
    "response_within_target": "response_time_s",
}
QUANTILE_ERROR = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1


def enabled() -> bool:
    return os.environ.get("CX_ROLLUPS", "on").strip().lower() not in ("off", "0", "no", "false")


def source(backend: Any, key: str, filters: Filters, by: str | None, target_s: float) -> str | None:
    """The rollup that gives this figure as the raw tables would, or None (read them)."""
    if not enabled() or (key not in SURVEY_KEYS and key not in DURATION_COLUMNS):
        return None
    if key == "response_within_target" and _target_bucket(target_s) is None:
        return None
    survey = key in SURVEY_KEYS
    splits = flt.EVENT_FIELDS + (flt.RESPONSE_FIELDS if survey else ())
    if not filters.customer_filters and (by is None or by in splits):
        return ("rollup_responses" if survey else "rollup_interactions") if ready(backend) else None
    by_customer = set(filters.customer_filters) <= set(flt.CUSTOMER_FIELDS)
    if (
        survey
        and by_customer
        and not filters.event_filters
        and (by is None or by in flt.CUSTOMER_FIELDS + flt.RESPONSE_FIELDS)
    ):
        fresh = ready(backend) and customers_unchanged(backend)
        return "rollup_response_customers" if fresh else None
    return None


def answerable(backend: Any, key: str, filters: Filters, by: str | None, target_s: float) -> bool:
    return source(backend, key, filters, by, target_s) is not None


def customers_unchanged(backend: Any) -> bool:
    """The customer-field rollup was counted with the customers this connection sees (not so in a snapshot
    taken before a customers file changed them, nor after customers were written by hand)."""
    memo_ = memo(backend)
    if "customers" not in memo_:
        check = f"SELECT (SELECT value FROM rollup_state WHERE name = 'customers') = ({CUSTOMERS_SIGNATURE}) AS same"
        memo_["customers"] = bool(_engine(backend).sql(check).execute()["same"].iloc[0])
    return memo_["customers"]


def _engine(backend: Any) -> Any:
    """The engine itself, under a viewer's masking (which limits no rows: `_in_step` rules a scope out)."""
    while hasattr(backend, "_backend"):
        backend = backend._backend
    return backend


def ready(backend: Any) -> bool:
    """The rollups exist here and count exactly the rows the tables hold (as this connection sees them)."""
    memo_ = memo(backend)
    if "ready" not in memo_:
        memo_["ready"] = _in_step(backend)
    return memo_["ready"]


def memo(backend: Any) -> dict:
    """Answers kept for one reading: one read-only opening of the file (a cached page query, a command),
    during which no other connection can write to it, so they cannot go stale; a warehouse's reading
    starts with it empty (cx.store.per_reading), as its connection outlives the reading."""
    try:
        return backend.__dict__.setdefault(MEMO, {})
    except AttributeError:
        return {}


def _in_step(backend: Any) -> bool:
    if scope.is_scoped(backend):
        return False
    engine = _engine(backend)
    if getattr(engine, "name", None) != "duckdb" or not set(TABLES) <= set(backend.list_tables()):
        return False
    # Plain SQL with nothing from the user in it: every page's query asks this once, and compiling it
    # through Ibis cost ten times what running it does.
    check = """SELECT (SELECT coalesce(sum(n), 0) FROM rollup_responses) = (SELECT count(*) FROM responses)
                  AND (SELECT coalesce(sum(n), 0) FROM rollup_interactions WHERE measure = 'rows')
                      = (SELECT count(*) FROM interactions) AS same"""
    return bool(engine.sql(check).execute()["same"].iloc[0])


# --- the rollup rows a figure reads -------------------------------------------------------------


def _events(table: ir.Table, filters: Filters, dated: bool) -> ir.Table:
    """The period, and the event or customer fields filtered (`source` chose a rollup that has them)."""
    if dated:
        table = table.filter((table.day >= filters.start) & (table.day <= filters.end))
    for name, values in (filters.event_filters | filters.customer_filters).items():
        table = table.filter(table[name].isin(values))
    return table


def responses(
    backend: Any, key: str | tuple[str, ...], filters: Filters, per: tuple[str, ...] = (),
    rollup: str = "rollup_responses",
) -> ir.Table:  # fmt: skip
    """Rollup rows of the survey's answers in the period (or of several surveys'), as
    cx.analysis.filters.responses chooses them.

    Unless the filters choose questions, only the question with the most answers counts in each survey
    (and each group of `per`), over any period; answers to an unknown question count with it."""
    table = backend.table(rollup)
    if isinstance(key, str):
        table = table.filter(table.survey == ("nps" if key.startswith("nps") else key))
    else:
        table = table.filter(table.survey.isin(key))
    chosen = _events(table, filters, dated=True)
    for name, values in filters.response_filters.items():
        chosen = chosen.filter(chosen[name].isin(values))
    if filters.values("question") or "question" in per:
        return chosen
    scope_rows = _events(table, filters, dated=False)
    scope_rows = scope_rows.filter(scope_rows.question.notnull())
    scope_rows = scope_rows.mutate(_group=flt._group_key(scope_rows, per), _question=scope_rows.question)
    counts = scope_rows.group_by(["_group", "_question"]).aggregate(_n=scope_rows.n.sum())
    order = ibis.window(group_by="_group", order_by=[ibis.desc("_n"), "_question"])
    ranked = counts.mutate(_rank=ibis.row_number().over(order))
    top = ranked.filter(ranked._rank == 0)
    headline = (top._group + "\x1e" + top._question).name("_key")
    return chosen.filter(chosen.question.isnull() | flt._question_key(chosen, per).isin(headline))


def interactions(backend: Any, key: str, filters: Filters, dated: bool = True) -> ir.Table:
    """Histogram rows (day, event fields, bucket, n) of the figure's duration, for the interactions in the period."""
    table = backend.table("rollup_interactions")
    table = table.filter(table.measure == DURATION_COLUMNS[key])
    return _events(table, filters, dated)


# --- quantiles from a histogram (pure) ----------------------------------------------------------


def bucket_value(bucket: float | None) -> float:
    """The value a bucket stands for: its geometric middle (zero for the zero bucket)."""
    if bucket is None or pd.isna(bucket):
        return 0.0
    return BUCKET_BASE_S * 2 ** ((float(bucket) - 0.5) / BUCKETS_PER_DOUBLING)


def _target_bucket(target_s: float) -> int | None:
    """The bucket whose upper edge is the target, when it is one (4 h · 2^(k/16)); else None."""
    if target_s <= 0:
        return None
    k = BUCKETS_PER_DOUBLING * math.log2(target_s / BUCKET_BASE_S)
    return round(k) if abs(k - round(k)) < 1e-9 else None


class Histogram:
    """Counts per bucket, in value order (the zero bucket first)."""

    def __init__(self, buckets: list[float | None], counts: list[int]) -> None:
        pairs = sorted(zip(buckets, counts, strict=True), key=lambda p: -math.inf if pd.isna(p[0]) else p[0])
        self.buckets = [None if pd.isna(b) else int(b) for b, _ in pairs]
        self.counts = [int(c) for _, c in pairs]
        self.n = sum(self.counts)

    def order_statistic(self, rank: int) -> float:
        """The value of the rank-th smallest (0-based), as its bucket's middle."""
        seen = 0
        for bucket, count in zip(self.buckets, self.counts, strict=True):
            seen += count
            if rank < seen:
                return bucket_value(bucket)
        raise IndexError(rank)

    def quantile(self, q: float) -> float | None:
        """As QUANTILE_CONT: interpolated between the two order statistics around q·(n − 1)."""
        if not self.n:
            return None
        h = q * (self.n - 1)
        low, high = math.floor(h), math.ceil(h)
        a, b = self.order_statistic(low), self.order_statistic(high)
        return a + (h - low) * (b - a)

    def above_bucket(self, bucket: int | None) -> int:
        """How many values lie in higher buckets than `bucket` (None: the zero bucket)."""
        level = -math.inf if bucket is None else bucket
        return sum(c for b, c in zip(self.buckets, self.counts, strict=True) if b is not None and b > level)

    def bucket_of(self, rank: int) -> int | None:
        seen = 0
        for bucket, count in zip(self.buckets, self.counts, strict=True):
            seen += count
            if rank < seen:
                return bucket
        raise IndexError(rank)


def duration_stats(frame: pd.DataFrame, keys: list[str], target_s: float) -> pd.DataFrame:
    """(keys…, bucket, n) histogram rows → the columns of metrics' raw duration statistics, per group."""
    target = _target_bucket(target_s)
    rows = []
    for group, part in frame.groupby(keys, sort=True, dropna=False):
        histogram = Histogram(list(part["bucket"]), list(part["n"]))
        n = histogram.n
        if not n:
            continue
        half_width = 0.98 * math.sqrt(n)  # as the raw query: ranks n/2 ∓ 1.96·√n/2
        low_rank, high_rank = math.floor(n / 2 - half_width), math.ceil(n / 2 + half_width)
        within = None if target is None else n - histogram.above_bucket(target)
        rows.append(
            {
                **dict(zip(keys, group if isinstance(group, tuple) else (group,), strict=True)),
                "n": n,
                "median": histogram.quantile(0.5),
                "p90": histogram.quantile(0.9),
                "ci_low": histogram.order_statistic(low_rank) if low_rank >= 0 else None,
                "ci_high": histogram.order_statistic(high_rank) if high_rank <= n - 1 else None,
                "within_target": within,
            }
        )
    columns = [*keys, "n", "median", "p90", "ci_low", "ci_high", "within_target"]
    return pd.DataFrame(rows, columns=columns)


def median_test_counts(frame: pd.DataFrame) -> dict[bool, int] | None:
    """(current, bucket, n) rows of both periods → per period, how many lie above the pooled median's bucket."""
    pooled = Histogram(list(frame["bucket"]), list(frame["n"]))
    if not pooled.n:
        return None
    split = pooled.bucket_of(math.floor((pooled.n - 1) / 2))
    return {
        bool(current): Histogram(list(part["bucket"]), list(part["n"])).above_bucket(split)
        for current, part in frame.groupby("current")
    }
