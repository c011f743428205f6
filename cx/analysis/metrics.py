"""Every metric the dashboard shows, defined once.

A metric is a registry entry (label, unit, direction, help text) plus two
steps: an Ibis aggregation that reduces filtered rows to *sufficient
statistics* (counts, sums, sums of squares, ranks) per group, and a pure
function from those statistics to an estimate with its interval (cx.stats).
The aggregation is plain Ibis, so the same definitions run on DuckDB today and
on another Ibis backend later; only small per-group rows come back to Python.

Every tile, trend, segment bar and the `python -m cx metrics` command asks
this module, so nobody recomputes NPS on a page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from cx.analysis import filters as flt
from cx.analysis import rolled, stats, units
from cx.analysis.filters import Filters

ALL = "All"
UNKNOWN = "Unknown"
REST = "The rest"
GRAINS = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}
DEFAULT_RESPONSE_TARGET_S = 4 * 3600
SHARED_SURVEYS = ("nps", "csat", "ces")  # each its own survey, read together (`_shared_survey_stats`)
SURVEY_SUMS = ("n", "promoters", "detractors", "top2", "easy", "total", "total_sq")
MAX_CLV_PERIODS = 36  # observed CLV over time is drawn at most this many points (coarser grain beyond)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "pts" (NPS), "%", "score", "s", "$"
    higher_is_better: bool
    help: str
    source: str  # responses | interactions | customers
    decimals: int = 0

    @property
    def counted(self) -> str:
        """What n counts, said on every figure: responses (transactional), customers or interactions."""
        return "customers" if self.key == "nps_customers" else self.source

    def format(self, value: float | None) -> str:
        """The value as every page shows it (cx.analysis.units is the one formatter)."""
        return units.value(self, value)

    def format_change(self, change: float | None) -> str:
        return units.change(self, change)


def format_duration(seconds: float) -> str:
    return units.value(METRICS["first_response_time"], seconds)


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric(
            "nps",
            "NPS",
            "pts",
            True,
            "Net Promoter Score: % of answers 9–10 (promoters) minus % of answers 0–6 (detractors) to "
            "'How likely are you to recommend us?', from −100 to +100. Every response counts once. "
            "The range is a 95% interval (adjusted Wald).",
            "responses",
        ),
        Metric(
            "nps_customers",
            "NPS (per customer)",
            "pts",
            True,
            "NPS counting each customer's latest answer in the period once (relationship NPS), so "
            "customers who answer often do not weigh more. Anonymous answers are left out.",
            "responses",
        ),
        Metric(
            "csat",
            "CSAT",
            "%",
            True,
            "Customer satisfaction: % of answers 4 or 5 on the 1–5 scale (top-2-box). The range is a 95% "
            "Wilson interval; the mean score is shown beside it.",
            "responses",
        ),
        Metric(
            "ces",
            "CES",
            "score",
            True,
            "Customer effort: mean answer on the 1–7 scale (7 = very easy), with a 95% interval; 'easy' "
            "is the share answering 5–7.",
            "responses",
            decimals=2,
        ),
        Metric(
            "rating10",
            "Rating (1–10)",
            "score",
            True,
            "Mean answer to a 1–10 rating question that is not about recommending (a 1–10 'recommend' "
            "question counts as NPS), with a 95% interval; kept apart from NPS, CSAT and CES.",
            "responses",
            decimals=2,
        ),
        Metric(
            "churn_rate",
            "Churn rate",
            "%",
            False,
            "Customers whose churn date falls in the period ÷ customers active at its start. When a file "
            "only says who churned (no dates), it is churned ÷ all customers, labelled 'snapshot'.",
            "customers",
            decimals=1,
        ),
        Metric(
            "retention_rate",
            "Retention",
            "%",
            True,
            "Customers active at the start of the period who are still active at its end: 100% − churn rate.",
            "customers",
            decimals=1,
        ),
        Metric(
            "first_response_time",
            "First response (median)",
            "s",
            False,
            "Median time to first response over interactions that have one: half were answered faster. "
            "The range is a 95% interval for the median; changes are tested with Mood's median test.",
            "interactions",
        ),
        Metric(
            "resolution_time",
            "Resolution (median)",
            "s",
            False,
            "Median time from first contact to resolution over interactions that record one.",
            "interactions",
        ),
        Metric(
            "response_within_target",
            "Answered within target",
            "%",
            True,
            "Share of interactions whose first response came within the target time (4 hours unless you set "
            "another on the Trends page).",
            "interactions",
            decimals=1,
        ),
        Metric(
            "clv_observed",
            "Observed CLV (to date)",
            "$",
            True,
            "Observed customer value: all revenue recorded up to the end of the period ÷ customers who had "
            "signed up by then (customers without revenue count as 0), with a 95% interval. Observed, not projected. "
            "Over time it is drawn per month or quarter at most.",
            "customers",
        ),
        Metric(
            "projected_clv",
            "Projected CLV",
            "$",
            True,
            "A simple projection: average monthly revenue per active customer × expected lifetime in "
            "months (1 ÷ monthly churn rate), capped at 10 years. A model, not an observation.",
            "customers",
        ),
    ]
}

OVERVIEW_METRICS = ("nps", "csat", "ces", "churn_rate", "retention_rate", "first_response_time")


# --- sufficient statistics per metric (Ibis) ----------------------------------------------------


def _int(expr: ir.BooleanValue) -> ir.IntegerValue:
    # CASE WHEN, not a cast: PostgreSQL cannot cast a boolean to an integer.
    return expr.ifelse(1, 0)


def _survey_stats(table: ir.Table, keys: list[str]) -> ir.Table:
    score = table.score.cast("float64")
    return table.group_by(keys).aggregate(
        n=table.count(),
        promoters=_int(table.score >= 9).sum(),
        detractors=_int(table.score <= 6).sum(),
        top2=_int(table.score >= 4).sum(),
        easy=_int(table.score >= 5).sum(),
        total=score.sum(),
        total_sq=(score * score).sum(),
    )


def _duration_stats(
    table: ir.Table, keys: list[str], column: str, target_s: float, above_pooled: bool = False
) -> ir.Table:
    """Median, 90th percentile and the order statistics that bound the median's 95% interval.

    `above_pooled`: also each group's count above the median of all the rows (Mood's median test of
    two periods read together), in the same query."""
    value = table[column]
    table = table.filter(value.notnull() & (value >= 0))
    if above_pooled:
        table = table.cross_join(table.aggregate(_pooled=table[column].median()))
    window = ibis.window(group_by=keys or None, order_by=table[column])
    counted = table.mutate(
        rank=ibis.row_number().over(window),  # 0-based
        group_n=table.count().over(ibis.window(group_by=keys or None)),
    )
    half_width = 0.98 * counted.group_n.cast("float64").sqrt()  # 1.96 · √n / 2
    low_rank = (counted.group_n.cast("float64") / 2 - half_width).floor()
    high_rank = (counted.group_n.cast("float64") / 2 + half_width).ceil()
    v = counted[column]
    above = {"above": _int(v > counted._pooled).sum()} if above_pooled else {}
    return counted.group_by(keys).aggregate(
        n=counted.count(),
        median=v.median(),
        p90=v.quantile(0.9),
        ci_low=v.max(where=counted["rank"] <= low_rank),
        ci_high=v.min(where=counted["rank"] >= high_rank),
        within_target=_int(v <= target_s).sum(),
        **above,
    )


def _churn_stats(customers: ir.Table, periods: pd.DataFrame, grain: str | None) -> pd.DataFrame:
    """Per (period, group): customers active at the period's start, and how many of them churned within it.

    Active at a start = signed up on or before it, not churned before it. The periods are
    consecutive, so each customer is active from the first period starting on or after their
    signup through the period holding their churn date. One query counts, per group, how many
    customers enter and how many leave at each period (a few rows, no join with the periods);
    the counts per period are running sums of those, in Python.
    """
    labels = [pd.Timestamp(p).date() for p in periods.period]
    first_start, last_end = periods.period_start.iloc[0].date(), periods.period_end.iloc[-1].date()
    starts = [pd.Timestamp(p).date() for p in periods.period_start]

    def bucket(day: ir.DateValue) -> ir.DateValue:
        """The label of the period a date falls in: by the grain, else by the periods' own first days
        (a period and the one before it); none after the last period."""
        if grain:
            return day.truncate(GRAINS[grain]).cast("date")
        if len(labels) == 1:
            return ibis.literal(labels[0], "date")
        latest_first = [
            (day >= start, ibis.literal(label, "date")) for start, label in zip(starts, labels, strict=True)
        ]
        return ibis.cases(
            (day > last_end, ibis.null("date")), *reversed(latest_first), else_=ibis.literal(labels[0], "date")
        )

    signup, churn = customers.signup_date, customers.churn_date
    early = signup.isnull() | (signup <= first_start)
    stays = churn.isnull() | (churn > last_end)
    people = customers.mutate(
        enter=ibis.ifelse(early, ibis.literal(labels[0], "date"), bucket(signup)),
        # Signed up on a period's first day: active from that period; otherwise from the next one.
        on_start=ibis.ifelse(early | (signup == bucket(signup)), 1, 0),
        leave=ibis.ifelse(stays, ibis.literal(labels[-1], "date"), bucket(churn)),
        left=ibis.ifelse(stays, 0, 1),
    )
    # A churned customer with no churn date cannot be placed in time, so period churn leaves it out.
    dated = ~(people.churned & people.churn_date.isnull())
    # Active at some period's start: one of the starts lies between signup and churn.
    people = people.filter(
        dated & (people.churn_date.isnull() | (people.churn_date >= first_start)) & (early | (people.leave >= signup))
    )
    columns = ("kind", "group", "label", "on_start", "n", "churned")
    entering = people.group_by(["group", "enter", "on_start"]).aggregate(n=people.count())
    leaving = people.group_by(["group", "leave"]).aggregate(n=people.count(), churned=people.left.sum())
    groups = customers.select("group").distinct()
    zero = ibis.literal(0, "int64")
    frame = ibis.union(
        entering.select(kind=ibis.literal("enter"), group="group", label="enter", on_start=entering.on_start.cast("int64"),
                        n=entering.n.cast("int64"), churned=zero),
        leaving.select(kind=ibis.literal("leave"), group="group", label="leave", on_start=zero,
                       n=leaving.n.cast("int64"), churned=leaving.churned.cast("int64")),
        groups.select(kind=ibis.literal("group"), group="group", label=ibis.literal(labels[0], "date"), on_start=zero,
                      n=zero, churned=zero),
    ).execute()  # fmt: skip
    index = {label: i for i, label in enumerate(labels)}
    rows = []
    for group, part in frame.groupby("group", sort=True):
        change, churned = [0] * (len(labels) + 1), [0] * len(labels)
        for kind, label, on_start, n, left in part[list(columns[0:1] + columns[2:])].itertuples(index=False):
            at = index.get(pd.Timestamp(label).date())
            if kind == "enter" and at is not None:
                change[min(at + (0 if on_start else 1), len(labels))] += int(n)
            elif kind == "leave" and at is not None:
                change[at + 1] -= int(n)
                churned[at] += int(left)
        active = 0
        for at, period in enumerate(periods.period):
            active += change[at]
            rows.append({"period": period, "group": group, "customers": active, "churned": churned[at]})
    return pd.DataFrame(rows, columns=["period", "group", "customers", "churned"])


def _snapshot_stats(customers: ir.Table, keys: list[str]) -> ir.Table:
    return customers.group_by(keys).aggregate(customers=customers.count(), churned=_int(customers.churned).sum())


def _is_snapshot(backend, customers: ir.Table) -> bool:
    """No signup or churn dates at all: only a churned flag, so no period can be measured.

    Asked once per set of customers and reading (churn, retention and each split ask the same)."""
    memo = rolled.memo(backend).setdefault("snapshot", {})
    if customers.op() not in memo:
        dated = customers.aggregate(d=customers.signup_date.count() + customers.churn_date.count()).execute()
        memo[customers.op()] = int(dated["d"].iloc[0] or 0) == 0
    return memo[customers.op()]


def _revenue_stats(customers: ir.Table, revenue_events: ir.Table, keys: list[str]) -> ir.Table:
    per_customer = revenue_events.group_by("customer_id").aggregate(
        revenue=revenue_events.revenue.sum(), purchases=revenue_events.count()
    )
    joined = customers.left_join(per_customer, customers.customer_id == per_customer.customer_id)
    revenue = joined.revenue.fill_null(0.0)
    return joined.group_by(keys).aggregate(
        customers=joined.count(),
        total=revenue.sum(),
        total_sq=(revenue * revenue).sum(),
        purchases=joined.purchases.fill_null(0).sum(),
    )


# --- estimates from sufficient statistics (pure) ------------------------------------------------


def _sd(total: float, total_sq: float, n: int) -> float | None:
    if n < 2:
        return None
    return math.sqrt(max((total_sq - total * total / n) / (n - 1), 0.0))


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def estimate(key: str, row: dict) -> tuple[stats.Estimate, dict]:
    """One row of sufficient statistics → the metric's estimate, plus its secondary figures."""
    if key in ("nps", "nps_customers"):
        n, promoters, detractors = int(row["n"]), int(row["promoters"]), int(row["detractors"])
        result = stats.nps(promoters, n - promoters - detractors, detractors)
        return result, {
            "promoters": promoters,
            "passives": result.passives,
            "detractors": detractors,
            "margin_of_error": result.margin_of_error,
        }
    if key == "csat":
        n = int(row["n"])
        return stats.proportion(int(row["top2"]), n), {"mean": row["total"] / n if n else None}
    if key in ("ces", "rating10"):
        n = int(row["n"])
        mean = row["total"] / n if n else None
        result = stats.mean_estimate(mean, _sd(row["total"], row["total_sq"], n), n)
        return result, ({"easy_share": 100 * row["easy"] / n if n else None} if key == "ces" else {})
    if key in ("churn_rate", "retention_rate"):
        churn = stats.proportion(int(row["churned"]), int(row["customers"]))
        extra = {"churned": int(row["churned"]), "customers": int(row["customers"])}
        if key == "churn_rate":
            return churn, extra
        flipped = stats.Estimate(
            value=None if churn.value is None else 100 - churn.value,
            n=churn.n,
            ci_low=None if churn.ci_high is None else 100 - churn.ci_high,
            ci_high=None if churn.ci_low is None else 100 - churn.ci_low,
        )
        return flipped, extra
    if key in ("first_response_time", "resolution_time"):
        n = int(row["n"])
        if n == 0:
            return stats.Estimate(value=None, n=0), {"p90": None}
        interval = stats.median_rank_bounds(n)
        low, high = (_float(row["ci_low"]), _float(row["ci_high"])) if interval else (None, None)
        return stats.Estimate(value=float(row["median"]), n=n, ci_low=low, ci_high=high), {"p90": _float(row["p90"])}
    if key == "response_within_target":
        return stats.proportion(int(row["within_target"]), int(row["n"])), {}
    if key == "clv_observed":
        n = int(row["customers"])
        if not row.get("purchases"):  # no revenue recorded at all: unknown, not zero
            return stats.Estimate(value=None, n=n), {"revenue": None}
        mean = row["total"] / n if n else None
        return stats.mean_estimate(mean, _sd(row["total"], row["total_sq"], n), n), {"revenue": row["total"]}
    if key == "projected_clv":
        return _projected_clv(row), {}
    raise KeyError(key)


def compare(key: str, a: dict, b: dict) -> stats.Comparison:
    """Test whether the sufficient statistics `a` and `b` differ (two-sided, 95%)."""
    if key in ("nps", "nps_customers"):
        return stats.compare_nps(estimate(key, a)[0], estimate(key, b)[0])
    if key == "csat":
        return stats.compare_proportions(int(a["top2"]), int(a["n"]), int(b["top2"]), int(b["n"]))
    if key in ("churn_rate", "retention_rate"):
        result = stats.compare_proportions(
            int(a["churned"]), int(a["customers"]), int(b["churned"]), int(b["customers"])
        )
        if key == "retention_rate" and result.difference is not None:
            result = replace(result, difference=-result.difference)
        return result
    if key == "response_within_target":
        return stats.compare_proportions(int(a["within_target"]), int(a["n"]), int(b["within_target"]), int(b["n"]))
    if key in ("ces", "rating10", "clv_observed"):
        n_col = "customers" if key == "clv_observed" else "n"
        na, nb = int(a[n_col]), int(b[n_col])
        if not na or not nb:
            return stats.NO_COMPARISON
        return stats.compare_means(
            a["total"] / na,
            _sd(a["total"], a["total_sq"], na),
            na,
            b["total"] / nb,
            _sd(b["total"], b["total_sq"], nb),
            nb,
        )
    if key in ("first_response_time", "resolution_time"):
        # Mood's median test: the counts above the pooled median are computed by _median_test_counts.
        if "above" not in a or not a["n"] or not b["n"]:
            return stats.NO_COMPARISON
        result = stats.compare_medians(int(a["above"]), int(a["n"]), int(b["above"]), int(b["n"]))
        return replace(result, difference=float(a["median"]) - float(b["median"]))
    return stats.NO_COMPARISON


def _projected_clv(row: dict) -> stats.Estimate:
    """Average monthly revenue per active customer × expected lifetime (1 / monthly churn)."""
    customers, months = int(row["customers"]), float(row["months"])
    if not customers or months <= 0:
        return stats.Estimate(value=None, n=customers)
    monthly_revenue = row["revenue"] / customers / months
    period_churn = row["churned"] / customers
    monthly_churn = 1 - (1 - period_churn) ** (1 / months)
    lifetime = min(1 / monthly_churn, 120.0) if monthly_churn > 0 else 120.0
    return stats.Estimate(value=monthly_revenue * lifetime, n=customers)


# --- queries: filters + grouping + sufficient statistics ----------------------------------------


def period_starts(filters: Filters, grain: str) -> pd.DataFrame:
    """Buckets of the grain covering the filter range, each clipped to it (week = ISO, Monday)."""
    start, end = pd.Timestamp(filters.start), pd.Timestamp(filters.end)
    freq = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS"}[grain]
    first = {
        "day": start,
        "week": start - pd.Timedelta(days=start.weekday()),
        "month": start.to_period("M").to_timestamp(),
        "quarter": start.to_period("Q").to_timestamp(),
    }[grain]
    starts = pd.date_range(first, end, freq=freq)
    ends = list(starts[1:] - pd.Timedelta(days=1)) + [end]
    return pd.DataFrame(
        {
            "period": starts,
            "period_start": [max(s, start) for s in starts],
            "period_end": [min(e, end) for e in ends],
        }
    )


def _group_column(
    backend: ibis.BaseBackend, table: ir.Table, by: str | None, keep: Sequence[str] | None = None
) -> ir.Table:
    """Add a `group` column: the split dimension's value, 'Unknown' where missing.

    With `keep`, every other value is pooled as 'The rest' (a chart shows at most a handful of lines).
    """
    if by is None:
        return table.mutate(group=ibis.literal(ALL))
    if keep is not None:
        grouped = _group_column(backend, table, by)
        return grouped.mutate(group=ibis.cases((grouped.group.isin(list(keep)), grouped.group), else_=REST))
    if by in table.columns:
        return table.mutate(group=table[by].cast("string").fill_null(UNKNOWN))
    if by.startswith(flt.ATTRIBUTE_PREFIX):
        attributes = backend.table("customer_attributes")
        lookup = attributes.filter(attributes.attribute == by.removeprefix(flt.ATTRIBUTE_PREFIX)).select(
            "customer_id", dimension="value"
        )
    elif by in flt.CUSTOMER_FIELDS:
        customers = backend.table("customers")
        lookup = customers.select("customer_id", dimension=customers[by])
    else:
        raise ValueError(f"This metric cannot be split by {by!r}")
    lookup = lookup.rename(lookup_id="customer_id")
    joined = table.left_join(lookup, table.customer_id == lookup.lookup_id)
    return joined.mutate(group=joined.dimension.cast("string").fill_null(UNKNOWN)).drop("lookup_id", "dimension")


def _responses_source(backend: ibis.BaseBackend, key: str, filters: Filters, by: str | None = None) -> ir.Table:
    survey = "nps" if key.startswith("nps") else key
    # Split by an answer's own column, each group keeps its own question (one per touchpoint, say).
    per = (by,) if by in flt.EVENT_FIELDS + flt.RESPONSE_FIELDS else ()
    table = flt.responses(backend, filters, survey=survey, per=per)
    if key == "nps_customers":
        latest = ibis.window(group_by="customer_id", order_by=ibis.desc("responded_at"))
        table = table.filter(table.customer_id.notnull())
        table = table.mutate(_latest=ibis.row_number().over(latest)).filter(lambda t: t._latest == 0).drop("_latest")
    return table


def sufficient_stats(
    backend: ibis.BaseBackend,
    key: str,
    filters: Filters,
    *,
    by: str | None = None,
    grain: str | None = None,
    target_s: float = DEFAULT_RESPONSE_TARGET_S,
    keep: Sequence[str] | None = None,
    split_at: date | None = None,
) -> pd.DataFrame:
    """Per (period, group) row: the counts and sums the metric's estimate is computed from.

    Without a grain, `period` is the filter's start date; with `split_at` (where `pairable`), rows from
    that day on form a second period labelled `split_at`, so two consecutive periods come from one query
    (`sufficient_stats_pair`). Churn-based metrics carry a `basis`
    column: "period", or "snapshot" when the customers have no dates at all. `keep` pools the
    groups not named as 'The rest' (used for medians, which cannot be pooled afterwards).
    """
    metric = METRICS[key]
    periods = (
        period_starts(filters, grain)
        if grain
        else pd.DataFrame(
            {
                "period": [pd.Timestamp(filters.start)],
                "period_start": [pd.Timestamp(filters.start)],
                "period_end": [pd.Timestamp(filters.end)],
            }
        )
    )
    if split_at is not None and (grain or not pairable(key, filters)):
        raise ValueError(f"{key} cannot be split into two periods in one query")
    if split_at is not None and metric.source == "customers":
        split = pd.Timestamp(split_at)
        periods = pd.DataFrame({"period": [periods.period[0], split], "period_start": [periods.period[0], split],
                                "period_end": [split - pd.Timedelta(days=1), pd.Timestamp(filters.end)]})  # fmt: skip
    if key in SHARED_SURVEYS:
        frame = _shared_survey_stats(backend, key, filters, by, grain, split_at)
    elif rollup := rolled.source(backend, key, filters, by, target_s):
        frame = _rolled_stats(backend, rollup, key, filters, by, grain, target_s, keep, split_at)
    elif metric.source == "responses":
        table = _group_column(backend, _responses_source(backend, key, filters, by), by)
        table = table.mutate(period=_period_label(table.responded_at, filters, grain, split_at))
        frame = _survey_stats(table, ["period", "group"]).execute()
    elif metric.source == "interactions":
        table = _group_column(backend, flt.interactions(backend, filters), by, keep)
        table = table.mutate(period=_period_label(table.occurred_at, filters, grain, split_at))
        column = "resolution_time_s" if key == "resolution_time" else "response_time_s"
        # Two periods of one figure are compared by Mood's test: its counts come in the same query.
        above_pooled = split_at is not None and by is None and key != "response_within_target"
        frame = _duration_stats(table, ["period", "group"], column, target_s, above_pooled).execute()
    elif key == "clv_observed":
        # One query per period (value to date at each period's end): keep the count of periods bounded.
        for coarser in ("month", "quarter"):
            if len(periods) > MAX_CLV_PERIODS:
                periods = period_starts(filters, coarser)
        frame = _clv_observed_stats(backend, filters, by, periods)
    else:
        frame = _churn_frame(backend, key, filters, by, periods, grain)
    frame["period"] = pd.to_datetime(frame["period"])
    return frame.sort_values(["period", "group"]).reset_index(drop=True)


def _shared_survey_stats(
    backend, key: str, filters: Filters, by: str | None, grain: str | None, split_at: date | None
) -> pd.DataFrame:
    """NPS, CSAT and CES are the same statistics over the same table, one survey each: a page asks for all
    three with the same filters (its tiles, the briefing's groups), so one query per reading answers them."""
    memo = rolled.memo(backend).setdefault("surveys", {})
    asked = (filters, by, grain, split_at)
    if asked not in memo:
        per = (by,) if by in flt.EVENT_FIELDS + flt.RESPONSE_FIELDS else ()
        if rollup := rolled.source(backend, key, filters, by, DEFAULT_RESPONSE_TARGET_S):  # the same for all three
            table = _group_column(backend, rolled.responses(backend, SHARED_SURVEYS, filters, per, rollup), by)
            table = table.mutate(period=_period_label(table.day, filters, grain, split_at))
            sums = {name: table[name].sum() for name in SURVEY_SUMS}
            frame = table.group_by(["survey", "period", "group"]).aggregate(**sums).execute()
        else:
            table = _group_column(backend, flt.responses(backend, filters, survey=SHARED_SURVEYS, per=per), by)
            table = table.mutate(period=_period_label(table.responded_at, filters, grain, split_at))
            frame = _survey_stats(table, ["survey", "period", "group"]).execute()
        memo[asked] = {survey: part.drop(columns="survey") for survey, part in frame.groupby("survey")}
        memo[asked][None] = frame.drop(columns="survey").iloc[:0]  # a survey with no answers here
    found = memo[asked]
    return found.get(key, found[None]).reset_index(drop=True).copy()


def pairable(key: str, filters: Filters) -> bool:
    """Whether this period and the previous one can come from one query: survey and interaction metrics
    except per-customer NPS (each customer's latest answer is taken within one period), and churn and
    retention unless an event field chooses the customers (those who had such an interaction in the period)."""
    if key in ("churn_rate", "retention_rate"):
        return not filters.event_filters
    return METRICS[key].source in ("responses", "interactions") and key != "nps_customers"


def sufficient_stats_pair(
    backend: ibis.BaseBackend,
    key: str,
    filters: Filters,
    *,
    by: str | None = None,
    target_s: float = DEFAULT_RESPONSE_TARGET_S,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`sufficient_stats` of the filters' period and of the previous one, in one query where the metric allows.

    Each frame is what `sufficient_stats` gives for its period alone: the same rows, the same `period`
    labels; read raw, a response time also carries `above`, its count above the median of both periods
    (Mood's test). (A page compares many figures with the period before; every separate query costs Ibis
    tens of milliseconds to compile, whatever it reads.)"""
    before = filters.previous()
    if not pairable(key, filters) or before.start >= filters.start:
        return (
            sufficient_stats(backend, key, filters, by=by, target_s=target_s),
            sufficient_stats(backend, key, before, by=by, target_s=target_s),
        )
    both = sufficient_stats(backend, key, replace(filters, start=before.start), by=by, target_s=target_s,
                            split_at=filters.start)  # fmt: skip
    if "basis" in both and (both["basis"] == "snapshot").any():
        # Customers without dates are one snapshot, whatever the period: both periods see the same counts.
        return (both.assign(period=pd.Timestamp(filters.start)),
                both.assign(period=pd.Timestamp(before.start)))  # fmt: skip
    now = both["period"] == pd.Timestamp(filters.start)
    return both[now].reset_index(drop=True), both[~now].reset_index(drop=True)


def _period_label(column: ir.Column, filters: Filters, grain: str | None, split_at: date | None) -> ir.Value:
    """Each row's period: its grain's bucket, else the filters' start, or `split_at` from that day on."""
    if grain:
        return column.truncate(GRAINS[grain])
    start = ibis.literal(pd.Timestamp(filters.start))
    if split_at is None:
        return start
    split = pd.Timestamp(split_at)
    boundary = ibis.literal(split.date()) if column.type().is_date() else ibis.literal(split)
    return ibis.ifelse(column >= boundary, ibis.literal(split), start)


def _rolled_stats(
    backend, rollup: str, key: str, filters: Filters, by: str | None, grain: str | None, target_s: float,
    keep: Sequence[str] | None, split_at: date | None,
) -> pd.DataFrame:  # fmt: skip
    """The same statistics as the raw queries above, from the daily rollups (cx.analysis.rolled)."""
    if METRICS[key].source == "responses":
        per = (by,) if by in flt.EVENT_FIELDS + flt.RESPONSE_FIELDS else ()
        table = _group_column(backend, rolled.responses(backend, key, filters, per, rollup), by)
    else:
        table = _group_column(backend, rolled.interactions(backend, key, filters), by, keep)
    table = table.mutate(period=_period_label(table.day, filters, grain, split_at))
    if METRICS[key].source == "responses":
        sums = {name: table[name].sum() for name in SURVEY_SUMS}
        return table.group_by(["period", "group"]).aggregate(**sums).execute()
    histogram = table.group_by(["period", "group", "bucket"]).aggregate(n=table.n.sum()).execute()
    return rolled.duration_stats(histogram, ["period", "group"], target_s)


def _churn_frame(
    backend, key: str, filters: Filters, by: str | None, periods: pd.DataFrame, grain: str | None
) -> pd.DataFrame:
    # Churn and retention are the same counts: a page showing both asks once per backend (one read).
    memo = rolled.memo(backend).setdefault("churn", {})
    asked = ("projected_clv" if key == "projected_clv" else "churn", filters, by, tuple(periods.period))
    if asked not in memo:
        memo[asked] = _churn_counts(backend, key, filters, by, periods, grain)
    return memo[asked].copy()


def _churn_counts(
    backend, key: str, filters: Filters, by: str | None, periods: pd.DataFrame, grain: str | None
) -> pd.DataFrame:
    chosen = flt.customers_with_events(backend, filters)
    customers = _group_column(backend, chosen, by)
    if _is_snapshot(backend, chosen):
        frame = _snapshot_stats(customers, ["group"]).execute()
        frame["period"] = periods.period.iloc[0]
        frame["basis"] = "snapshot"
        frame["months"] = float("nan")
    else:
        frame = _churn_stats(customers, periods, grain)
        frame["basis"] = "period"
        spans = frame[["period"]].merge(periods, on="period", how="left")
        frame["months"] = ((spans.period_end - spans.period_start).dt.days + 1) / 30.4375
    if key == "projected_clv":
        frame = frame.merge(_period_revenue(backend, filters, by, periods), on=["period", "group"], how="left")
        frame["revenue"] = frame["revenue"].fillna(0.0)
    return frame


def _period_revenue(backend, filters: Filters, by: str | None, periods: pd.DataFrame) -> pd.DataFrame:
    events = _group_column(backend, flt.interactions(backend, filters), by)
    events = events.filter(events.revenue.notnull())
    if len(periods) == 1:
        events = events.mutate(period=ibis.literal(periods.period[0]))
    else:
        grain = _grain_of(periods)
        events = events.mutate(period=events.occurred_at.truncate(GRAINS[grain]))
    frame = events.group_by(["period", "group"]).aggregate(revenue=events.revenue.sum()).execute()
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _grain_of(periods: pd.DataFrame) -> str:
    gap = (periods.period.iloc[1] - periods.period.iloc[0]).days
    return "day" if gap <= 1 else "week" if gap <= 7 else "month" if gap <= 31 else "quarter"


def _clv_observed_stats(backend, filters: Filters, by: str | None, periods: pd.DataFrame) -> pd.DataFrame:
    """Revenue to date per customer, for every customer we know of by then.

    A purchases file (interactions with revenue) may name customers no customers file
    has listed; they count too, so a transactions-only data set still has a value.
    """
    rows = []
    for period_end, period in zip(periods.period_end, periods.period, strict=True):
        end = period_end.date()
        events = flt.interactions(backend, filters, dated=False)
        events = events.filter(
            events.revenue.notnull() & (events.occurred_at < ibis.timestamp((end + timedelta(days=1)).isoformat()))
        )
        listed = flt.customers_with_events(backend, filters)
        listed = listed.filter(listed.signup_date.isnull() | (listed.signup_date <= end))
        listed = listed.select(customer_id=listed.customer_id.cast("string"))
        unlisted = events.filter(~events.customer_id.isin(backend.table("customers").customer_id))
        unlisted = unlisted.filter(unlisted.customer_id.notnull()).select(
            customer_id=unlisted.customer_id.cast("string")
        )
        population = listed.union(unlisted.distinct())
        frame = _revenue_stats(_group_column(backend, population, by), events, ["group"]).execute()
        frame["period"] = period
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def table(frame: pd.DataFrame, key: str, min_n: int = stats.MIN_N) -> pd.DataFrame:
    """Sufficient statistics → one row per (period, group) with value, n, interval and flags."""
    out = []
    for row in frame.to_dict("records"):
        result, extra = estimate(key, row)
        out.append(
            {
                "period": row["period"],
                "group": row["group"],
                "value": result.value,
                "n": result.n,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "small": stats.is_small(result.n, min_n),
                "basis": row.get("basis"),
                **extra,
            }
        )
    columns = ["period", "group", "value", "n", "ci_low", "ci_high", "small", "basis"]
    return pd.DataFrame(out, columns=None if out else columns)


def trend(
    backend: ibis.BaseBackend,
    key: str,
    filters: Filters,
    grain: str = "month",
    by: str | None = None,
    min_n: int = stats.MIN_N,
    target_s: float = DEFAULT_RESPONSE_TARGET_S,
) -> pd.DataFrame:
    """The metric per period (and group), with n and a 95% interval."""
    return table(sufficient_stats(backend, key, filters, by=by, grain=grain, target_s=target_s), key, min_n)


def breakdown(
    backend: ibis.BaseBackend,
    key: str,
    filters: Filters,
    by: str | None = None,
    min_n: int = stats.MIN_N,
    target_s: float = DEFAULT_RESPONSE_TARGET_S,
) -> pd.DataFrame:
    """The metric over the whole filter period, one row per group."""
    return table(sufficient_stats(backend, key, filters, by=by, target_s=target_s), key, min_n)


@dataclass(frozen=True)
class Summary:
    """A metric over the filter period, against the previous period of equal length."""

    metric: Metric
    current: stats.Estimate
    previous: stats.Estimate | None
    comparison: stats.Comparison
    extra: dict
    basis: str | None = None

    @property
    def change(self) -> float | None:
        return self.comparison.difference

    @property
    def improved(self) -> bool | None:
        """True/False only for a significant change; None when it may be noise."""
        if not self.comparison.significant or self.change is None:
            return None
        return (self.change > 0) == self.metric.higher_is_better


def summary(
    backend: ibis.BaseBackend,
    key: str,
    filters: Filters,
    compare_previous: bool = True,
    target_s: float = DEFAULT_RESPONSE_TARGET_S,
) -> Summary:
    paired = compare_previous and pairable(key, filters)
    if paired:
        now, before = sufficient_stats_pair(backend, key, filters, target_s=target_s)
    else:
        now = sufficient_stats(backend, key, filters, target_s=target_s)
    current_row = _single_row(now, key)
    current, extra = estimate(key, current_row)
    basis = current_row.get("basis")
    previous, comparison = None, stats.NO_COMPARISON
    if compare_previous and basis != "snapshot":
        if not paired:
            before = sufficient_stats(backend, key, filters.previous(), target_s=target_s)
        previous_row = _single_row(before, key)
        previous = estimate(key, previous_row)[0]
        tested = "above" in current_row and "above" in previous_row  # read with the pair (raw durations)
        if METRICS[key].source == "interactions" and key != "response_within_target" and not tested:
            current_row, previous_row = _median_test_counts(backend, key, filters, current_row, previous_row)
        comparison = (
            compare(key, current_row, previous_row) if key != "projected_clv" else _difference_only(current, previous)
        )
    return Summary(METRICS[key], current, previous, comparison, extra, basis)


def _difference_only(current: stats.Estimate, previous: stats.Estimate) -> stats.Comparison:
    if current.value is None or previous.value is None:
        return stats.NO_COMPARISON
    return stats.Comparison(difference=current.value - previous.value, p_value=None, significant=False)


def _single_row(frame: pd.DataFrame, key: str) -> dict:
    if len(frame):
        return frame.iloc[0].to_dict()
    empty = {
        c: 0
        for c in (
            "n",
            "promoters",
            "detractors",
            "top2",
            "easy",
            "total",
            "total_sq",
            "customers",
            "churned",
            "within_target",
            "revenue",
            "months",
        )
    }
    return {**empty, "median": None, "p90": None, "ci_low": None, "ci_high": None, "basis": None}


def _median_test_counts(backend, key: str, filters: Filters, current: dict, previous: dict) -> tuple[dict, dict]:
    """Counts above the pooled median of both periods, for Mood's median test."""
    both_periods = replace(filters, start=filters.previous().start)
    if rolled.answerable(backend, key, filters, None, DEFAULT_RESPONSE_TARGET_S):
        rows = rolled.interactions(backend, key, both_periods)
        rows = rows.mutate(current=rows.day >= filters.start)
        above = rolled.median_test_counts(rows.group_by(["current", "bucket"]).aggregate(n=rows.n.sum()).execute())
        if above is None:
            return current, previous
        return {**current, "above": above.get(True, 0)}, {**previous, "above": above.get(False, 0)}
    column = "resolution_time_s" if key == "resolution_time" else "response_time_s"
    both = flt.interactions(backend, replace(filters, start=filters.previous().start))
    both = both.filter(both[column].notnull() & (both[column] >= 0))
    # The pooled median joined to every row: one query, not one for the median and one for the counts.
    rows = both.cross_join(both.aggregate(pooled=both[column].median()))
    is_current = rows.occurred_at >= ibis.timestamp(filters.start.isoformat())
    counts = rows.group_by(current=is_current).aggregate(above=_int(rows[column] > rows.pooled).sum()).execute()
    if counts.empty:
        return current, previous
    above = dict(zip(counts["current"], counts["above"], strict=True))
    return {**current, "above": above.get(True, 0)}, {**previous, "above": above.get(False, 0)}


# --- what can be filtered and split on ----------------------------------------------------------


def attribute_names(backend: ibis.BaseBackend) -> list[str]:
    attributes = backend.table("customer_attributes")
    return sorted(attributes.select("attribute").distinct().execute()["attribute"].dropna().tolist())


def field_values(backend: ibis.BaseBackend, field: str, limit: int = 200) -> list[str]:
    """The distinct values of a filterable field, most common first."""
    if field.startswith(flt.ATTRIBUTE_PREFIX):
        t = backend.table("customer_attributes")
        t = t.filter(t.attribute == field.removeprefix(flt.ATTRIBUTE_PREFIX)).select(value="value")
    elif field in flt.RESPONSE_FIELDS:
        t = backend.table("responses").select(value=field)
    elif field in flt.CUSTOMER_FIELDS:
        t = backend.table("customers").select(value=field)
    else:
        t = backend.table("interactions").select(value=field).union(backend.table("responses").select(value=field))
    present = t.filter(t.value.notnull())
    counts = present.group_by("value").aggregate(n=present.count())
    frame = counts.order_by(ibis.desc("n")).limit(limit).execute()
    return [str(v) for v in frame["value"]]


def split_options(backend: ibis.BaseBackend, key: str) -> list[str]:
    """Dimensions a metric can be split by: customer fields and attributes; event fields for event metrics."""
    options = list(flt.CUSTOMER_FIELDS)
    if METRICS[key].source != "customers":
        options += list(flt.EVENT_FIELDS)
    if METRICS[key].source == "responses":
        options += list(flt.RESPONSE_FIELDS)
    return options + [flt.ATTRIBUTE_PREFIX + name for name in attribute_names(backend)]


def data_range(backend: ibis.BaseBackend) -> tuple[date, date] | None:
    """First and last day with any event, to bound the date pickers."""
    bounds = []
    for name, column in (("interactions", "occurred_at"), ("responses", "responded_at")):
        t = backend.table(name)
        row = t.aggregate(first=t[column].min(), last=t[column].max()).execute().iloc[0]
        if pd.notna(row["first"]):
            bounds.append((pd.Timestamp(row["first"]).date(), pd.Timestamp(row["last"]).date()))
    if not bounds:
        return None
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


def sparkline_grain(filters: Filters) -> str:
    return "day" if filters.days <= 31 else "week" if filters.days <= 200 else "month"


def overview(
    backend: ibis.BaseBackend, filters: Filters, keys: Sequence[str] = OVERVIEW_METRICS
) -> list[tuple[Summary, pd.DataFrame]]:
    """The headline tiles: each metric against the previous period, with its trend for a sparkline."""
    grain = sparkline_grain(filters)
    tiles = []
    for key in keys:
        headline = summary(backend, key, filters)
        # A snapshot has no time in it: a flat sparkline would pretend otherwise.
        line = trend(backend, key, filters, grain) if headline.basis != "snapshot" else table(pd.DataFrame(), key)
        tiles.append((headline, line))
    return tiles


def cohort_retention(backend: ibis.BaseBackend, filters: Filters, months: int = 12) -> pd.DataFrame:
    """Share of each signup-month cohort still active k months after signing up (k = 0..months).

    Cohorts are the signup months within the filter period; a cell is left out when its
    month lies beyond the data (the cohort has not reached that age yet).
    """
    customers = flt.customers_with_events(backend, replace(filters, where=tuple(filters.customer_filters.items())))
    customers = customers.filter(
        customers.signup_date.notnull()
        & (customers.signup_date >= filters.start)
        & (customers.signup_date <= filters.end)
        & ~(customers.churned & customers.churn_date.isnull())
    )
    signup, churn = customers.signup_date, customers.churn_date
    # Active k months on = not churned before the first day of the cohort month + k months, that is:
    # churned (if at all) k or more calendar months after the signup month.
    churn_age = (churn.year() - signup.year()) * 12 + churn.month() - signup.month()
    counts = (
        customers.group_by(cohort=signup.truncate("M").cast("date"), churn_age=churn_age)
        .aggregate(n=customers.count())
        .execute()
    )
    rows = []
    for cohort, part in counts.groupby("cohort", sort=True):
        start = pd.Timestamp(cohort)
        total = int(part["n"].sum())
        for age in range(months + 1):
            if start + pd.DateOffset(months=age) > pd.Timestamp(filters.end):
                break  # the cohort has not reached this age within the data
            active = int(part.loc[part["churn_age"].isna() | (part["churn_age"] >= age), "n"].sum())
            rows.append({"cohort": start, "age": age, "customers": total, "active": active})
    frame = pd.DataFrame(rows, columns=["cohort", "age", "customers", "active"])
    frame["retention"] = 100 * frame["active"] / frame["customers"]
    frame["cohort"] = pd.to_datetime(frame["cohort"])
    return frame.reset_index(drop=True)
