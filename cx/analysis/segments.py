"""Which customers are we failing: each segment against the rest, on any metric.

A segmentation is any customer attribute: segment, region, plan, or an
attribute a file brought (`attr.Contract`). Every comparison starts from the
additive sufficient statistics of cx.metrics (counts and sums per group), so the
rest of the customers is simply total − segment and costs no extra query.
Testing many segments at once would find "the worst region" by chance alone, so
significance is decided after Benjamini–Hochberg across the segments.
"""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir
import pandas as pd
from scipy import stats as _scipy

from cx.analysis import filters as flt
from cx.analysis import metrics, stats
from cx.analysis.filters import Filters

HEATMAP_METRICS = ("nps", "csat", "ces", "churn_rate", "first_response_time", "clv_observed")
DURATION_METRICS = ("first_response_time", "resolution_time")
# Columns of sufficient statistics that add up across groups (medians and quantiles do not).
ADDITIVE = (
    "n", "promoters", "detractors", "top2", "easy", "total", "total_sq", "customers", "churned",
    "within_target", "revenue", "above",
)  # fmt: skip
# A plain decimal number, small enough for a double on every engine (1e400 is an error on PostgreSQL).
NUMBER_PATTERN = r"^[-+]?([0-9]{1,15}[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]{1,2})?$"
MAX_LEVELS = 30  # an attribute with more distinct values is an identifier or a measurement, not a segment


def _int(expr: ir.BooleanValue) -> ir.IntegerValue:
    # CASE WHEN, not a cast: PostgreSQL cannot cast a boolean to an integer.
    return expr.ifelse(1, 0)


def _float(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


# --- each segment against the rest --------------------------------------------------------------


def versus_rest(
    backend: ibis.BaseBackend, key: str, filters: Filters, by: str, min_n: int = stats.MIN_N
) -> pd.DataFrame:
    """One row per segment: the metric with n and interval, the rest's value, the difference and its test."""
    frame = metrics.sufficient_stats(backend, key, filters, by=by)
    if key in DURATION_METRICS:
        above = _above_pooled_median(backend, key, filters, by)
        above = above.astype({"group": frame["group"].dtype})  # an empty period gives an untyped, empty frame
        frame = frame.merge(above, on="group", how="left")
        frame["above"] = frame["above"].fillna(0)
    return rest_comparison(frame, key, min_n)


def _above_pooled_median(backend: ibis.BaseBackend, key: str, filters: Filters, by: str) -> pd.DataFrame:
    """Per group, the interactions slower than everyone's median: the counts of Mood's median test."""
    column = "resolution_time_s" if key == "resolution_time" else "response_time_s"
    events = metrics._group_column(backend, flt.interactions(backend, filters), by)
    events = events.filter(events[column].notnull() & (events[column] >= 0))
    pooled = events[column].median().execute()
    if pooled is None or pd.isna(pooled):
        return pd.DataFrame({"group": [], "above": []})
    return events.group_by("group").aggregate(above=_int(events[column] > pooled).sum()).execute()


def rest_comparison(frame: pd.DataFrame, key: str, min_n: int = stats.MIN_N) -> pd.DataFrame:
    """Sufficient statistics per group → each group vs the rest (total − group), BH across groups.

    For medians (response times) the rest's median cannot be derived from sums, so the difference
    is against everyone's median and the test is Mood's median test on the counts above it.
    """
    metric = metrics.METRICS[key]
    additive = [c for c in ADDITIVE if c in frame.columns]
    totals = frame[additive].sum()
    everyone = {**frame.iloc[0].to_dict(), **totals.to_dict()} if len(frame) else {}
    rows = []
    for row in frame.to_dict("records"):
        rest = {**row, **{c: totals[c] - row[c] for c in additive}}
        current, _ = metrics.estimate(key, row)
        if key in DURATION_METRICS:
            other = stats.Estimate(value=None, n=int(rest["n"]))
            test = (
                stats.compare_medians(int(row["above"]), int(row["n"]), int(rest["above"]), int(rest["n"]))
                if row["n"] and rest["n"]
                else stats.NO_COMPARISON
            )
            difference = current.value - _everyone_median(frame) if current.value is not None else None
        else:
            other = metrics.estimate(key, rest)[0] if _size(key, rest) else stats.Estimate(value=None, n=0)
            test = metrics.compare(key, row, rest) if _size(key, rest) else stats.NO_COMPARISON
            difference = test.difference
            if difference is None and current.value is not None and other.value is not None:
                difference = current.value - other.value
        testable = not stats.is_small(current.n, min_n) and not stats.is_small(other.n, min_n)
        rows.append(
            {
                "group": row["group"],
                "value": current.value,
                "n": current.n,
                "ci_low": current.ci_low,
                "ci_high": current.ci_high,
                "small": stats.is_small(current.n, min_n),
                "rest_value": other.value,
                "rest_n": other.n,
                "difference": difference,
                "p_value": test.p_value if testable else None,
                "basis": row.get("basis"),
            }
        )
    columns = ["group", "value", "n", "ci_low", "ci_high", "small", "rest_value", "rest_n", "difference"]
    table = pd.DataFrame(rows, columns=[*columns, "p_value", "basis"])
    table["q_value"] = stats.bh_adjusted([_float(p) for p in table["p_value"]])
    table["significant"] = [q is not None and q <= stats.ALPHA for q in table["q_value"]]
    table["direction"] = [
        _direction(d, metric.higher_is_better) if s else None
        for d, s in zip(table["difference"], table["significant"], strict=True)
    ]
    table.attrs["overall"] = (
        metrics.estimate(key, everyone)[0].value if everyone and key not in DURATION_METRICS else None
    )
    return sort_segments(table, metric.higher_is_better)


def _everyone_median(frame: pd.DataFrame) -> float:
    # Weighted by n: an approximation used only to state the difference; the test uses exact counts.
    usable = frame[frame["n"] > 0]
    return float((usable["median"] * usable["n"]).sum() / usable["n"].sum())


def _size(key: str, row: dict) -> int:
    return int(row.get("customers" if metrics.METRICS[key].source == "customers" else "n", 0) or 0)


def _direction(difference: float | None, higher_is_better: bool) -> str | None:
    if difference is None or difference == 0:
        return None
    return "better" if (difference > 0) == higher_is_better else "worse"


def sort_segments(table: pd.DataFrame, higher_is_better: bool) -> pd.DataFrame:
    """Best first; segments with too small a sample, or no data, last."""
    order = table.assign(
        _missing=table["value"].isna() | table["small"].astype(bool),
        _key=table["value"] if not higher_is_better else -table["value"],
    )
    attrs = table.attrs
    ordered = order.sort_values(["_missing", "_key", "group"]).drop(columns=["_missing", "_key"])
    ordered.attrs = attrs
    return ordered.reset_index(drop=True)


# --- the segment × metric heatmap ---------------------------------------------------------------


def heatmap(
    backend: ibis.BaseBackend,
    filters: Filters,
    by: str,
    keys: tuple[str, ...] = HEATMAP_METRICS,
    min_n: int = stats.MIN_N,
) -> pd.DataFrame:
    """Long table: one row per (segment, metric) with the value, n and its difference from the rest."""
    parts = []
    for key in keys:
        table = versus_rest(backend, key, filters, by, min_n)
        parts.append(table.assign(metric=key))
    return heatmap_table(parts)


def heatmap_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack per-metric comparisons and add the display text ('n too small', '–' for no data)."""
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return frame
    frame["text"] = [
        "n too small" if small and value is not None and not pd.isna(value) else metrics.METRICS[key].format(value)
        for key, value, small in zip(frame["metric"], frame["value"], frame["small"], strict=True)
    ]
    return frame[["group", "metric", "value", "n", "small", "rest_value", "difference", "q_value", "direction", "text"]]


def heatmap_headline(frame: pd.DataFrame, by_label: str) -> str:
    if frame.empty:
        return f"No data to compare by {by_label.lower()}."
    worse = frame[frame["direction"] == "worse"]
    if worse.empty:
        return f"No {by_label.lower()} is significantly worse than the rest on any metric."
    counts = worse.groupby("group").size().sort_values(ascending=False)
    group = counts.index[0]
    labels = ", ".join(metrics.METRICS[k].label for k in worse[worse["group"] == group]["metric"])
    return f"{group} is significantly worse than the rest on {counts.iloc[0]} of the metrics: {labels}."


# --- two segments over time ---------------------------------------------------------------------


def two_over_time(
    backend: ibis.BaseBackend,
    key: str,
    filters: Filters,
    by: str,
    groups: tuple[str, str],
    grain: str = "month",
    min_n: int = stats.MIN_N,
) -> pd.DataFrame:
    """The metric per period for two segments of the same attribute, with bands (metrics.trend)."""
    frame = metrics.trend(backend, key, filters, grain, by, min_n)
    return frame[frame["group"].isin(groups)].reset_index(drop=True)


# --- key drivers --------------------------------------------------------------------------------


def _target_per_customer(backend: ibis.BaseBackend, filters: Filters, target: str) -> ir.Table:
    """customer_id, y: the customer's mean NPS score in the period, or 1/0 churned."""
    if target == "nps":
        answers = flt.responses(backend, filters, survey="nps")
        answers = answers.filter(answers.customer_id.notnull())
        return answers.group_by("customer_id").aggregate(y=answers.score.cast("float64").mean())
    people = flt.customers_with_events(backend, filters)
    return people.select("customer_id", y=people.churned.ifelse(1.0, 0.0))


def drivers(backend: ibis.BaseBackend, filters: Filters, target: str = "nps", min_n: int = stats.MIN_N) -> pd.DataFrame:
    """What goes with a better NPS (or with churn): touchpoint satisfaction and customer attributes.

    - Touchpoint: Pearson correlation, over customers who answered both, between the customer's mean
      CSAT at that touchpoint in the period and the target; variance explained = r².
    - Attribute with at most MAX_LEVELS values: how much of the target's variation lies between its
      groups, adjusted for the number of groups (epsilon², like an adjusted R²); numeric attributes
      with more values: r² of their value. BH across all candidates decides significance.
    """
    y = _target_per_customer(backend, filters, target)
    answers = flt.responses(backend, filters, survey="csat", per=("touchpoint",))  # each touchpoint its own question
    answers = answers.filter(answers.customer_id.notnull() & answers.touchpoint.notnull())
    x = answers.group_by(["customer_id", "touchpoint"]).aggregate(x=answers.score.cast("float64").mean())
    pairs = x.join(y, "customer_id")
    touchpoint_sums = (
        pairs.group_by(name=pairs.touchpoint)
        .aggregate(**_moment_sums(pairs.x, pairs.y), n=pairs.count())
        .execute()
        .assign(kind="Touchpoint satisfaction")
    )

    long = _attributes_long(backend)
    joined = long.join(y, "customer_id")
    levels = joined.group_by("attribute").aggregate(levels=joined.value.nunique(), numeric=joined.number.count())
    level_counts = levels.execute()
    categorical = level_counts[level_counts["levels"] <= MAX_LEVELS]["attribute"].tolist()
    cells = joined.filter(joined.attribute.isin(categorical) if categorical else ibis.literal(False))
    group_sums = (
        cells.group_by(["attribute", "value"])
        .aggregate(n=cells.count(), total=cells.y.sum(), total_sq=(cells.y * cells.y).sum())
        .execute()
    )
    numeric = level_counts[(level_counts["levels"] > MAX_LEVELS) & (level_counts["numeric"] > 0)]["attribute"].tolist()
    numbers = joined.filter(
        joined.attribute.isin(numeric) & joined.number.notnull() if numeric else ibis.literal(False)
    )
    numeric_sums = (
        numbers.group_by(name=numbers.attribute)
        .aggregate(**_moment_sums(numbers.number, numbers.y), n=numbers.count())
        .execute()
        .assign(kind="Customer attribute (numeric)")
    )
    return drivers_table(pd.concat([touchpoint_sums, numeric_sums], ignore_index=True), group_sums, min_n)


def _moment_sums(x: ir.NumericColumn, y: ir.NumericColumn) -> dict[str, ir.NumericScalar]:
    return {"sx": x.sum(), "sy": y.sum(), "sxx": (x * x).sum(), "syy": (y * y).sum(), "sxy": (x * y).sum()}


def _attributes_long(backend: ibis.BaseBackend) -> ir.Table:
    """Every customer attribute as (customer_id, attribute, value, number) rows."""
    people = backend.table("customers")
    parts = [
        people.select("customer_id", attribute=ibis.literal(name), value=people[name].cast("string"))
        for name in flt.CUSTOMER_FIELDS
    ]
    extra = backend.table("customer_attributes")
    parts.append(extra.select("customer_id", attribute=flt.ATTRIBUTE_PREFIX + extra.attribute, value=extra.value))
    long = ibis.union(*parts)
    long = long.filter(long.value.notnull() & (long.value != ""))
    # Only values written as plain numbers are numbers: PostgreSQL has no TRY_CAST, and a cast of
    # any other text would fail the whole query rather than give NULL.
    number = long.value.strip().re_search(NUMBER_PATTERN)
    return long.mutate(number=number.ifelse(long.value.strip(), ibis.null("string")).cast("float64"))


def correlation(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> float | None:
    """Pearson r from sums; None when either side does not vary or n < 3."""
    if n < 3:
        return None
    cov = sxy - sx * sy / n
    vx, vy = sxx - sx * sx / n, syy - sy * sy / n
    if vx <= 1e-12 or vy <= 1e-12:
        return None
    return max(-1.0, min(1.0, cov / math.sqrt(vx * vy)))


def correlation_p_value(r: float, n: int) -> float | None:
    """Two-sided test of r = 0: t = r·sqrt(n − 2)/sqrt(1 − r²) with n − 2 degrees of freedom."""
    if n < 3:
        return None
    if abs(r) >= 1:
        return 0.0
    t = r * math.sqrt(n - 2) / math.sqrt(1 - r * r)
    return float(2 * _scipy.t.sf(abs(t), n - 2))


def between_groups(groups: pd.DataFrame) -> tuple[float | None, float | None, int]:
    """Adjusted share of variance between groups (epsilon²) and the one-way ANOVA p-value, from sums.

    SS_between = Σ n_g (mean_g − mean)², SS_within = Σ (Σy²_g − n_g mean_g²);
    epsilon² = (SS_between − (k − 1) · SS_within / (N − k)) / SS_total, floored at 0.
    """
    n_total = int(groups["n"].sum())
    k = len(groups)
    if k < 2 or n_total <= k:
        return None, None, n_total
    grand = groups["total"].sum() / n_total
    means = groups["total"] / groups["n"]
    ss_between = float((groups["n"] * (means - grand) ** 2).sum())
    ss_within = float((groups["total_sq"] - groups["n"] * means**2).sum())
    ss_total = ss_between + ss_within
    if ss_total <= 1e-12:
        return None, None, n_total
    ms_within = ss_within / (n_total - k)
    epsilon_sq = max((ss_between - (k - 1) * ms_within) / ss_total, 0.0)
    if ms_within <= 1e-12:
        return epsilon_sq, 0.0, n_total
    f = (ss_between / (k - 1)) / ms_within
    return epsilon_sq, float(_scipy.f.sf(f, k - 1, n_total - k)), n_total


def drivers_table(moments: pd.DataFrame, group_sums: pd.DataFrame, min_n: int = stats.MIN_N) -> pd.DataFrame:
    """Candidates → one row each: variance explained (%), direction, n, p and BH significance, ranked."""
    rows = []
    for row in moments.to_dict("records"):
        n = int(row["n"])
        r = correlation(n, row["sx"], row["sy"], row["sxx"], row["syy"], row["sxy"])
        rows.append(
            {
                "driver": row["name"],
                "kind": row["kind"],
                "explained": None if r is None else 100 * r * r,
                "correlation": r,
                "n": n,
                "p_value": None if r is None else correlation_p_value(r, n),
            }
        )
    for attribute, groups in group_sums.groupby("attribute", sort=True):
        epsilon_sq, p_value, n = between_groups(groups)
        rows.append(
            {
                "driver": attribute,
                "kind": "Customer attribute",
                "explained": None if epsilon_sq is None else 100 * epsilon_sq,
                "correlation": None,
                "n": n,
                "p_value": p_value,
            }
        )
    table = pd.DataFrame(rows, columns=["driver", "kind", "explained", "correlation", "n", "p_value"])
    table["small"] = [stats.is_small(n, min_n) for n in table["n"]]
    table.loc[table["small"], "p_value"] = None
    table["q_value"] = stats.bh_adjusted([_float(p) for p in table["p_value"]])
    table["significant"] = [q is not None and q <= stats.ALPHA for q in table["q_value"]]
    table = table[table["explained"].notna()]
    return table.sort_values(["small", "explained"], ascending=[True, False]).reset_index(drop=True)


def drivers_headline(table: pd.DataFrame, target: str) -> str:
    what = "NPS" if target == "nps" else "churn"
    usable = table[table["significant"].astype(bool)]
    if usable.empty:
        return f"Nothing we measured goes significantly with {what} for these customers."
    top = usable.iloc[0]
    name = top.driver.removeprefix(flt.ATTRIBUTE_PREFIX)
    kind = "satisfaction at " + name if top.kind == "Touchpoint satisfaction" else name.replace("_", " ")
    return (
        f"{kind[0].upper() + kind[1:]} goes most with {what}: it accounts for {top.explained:.0f}% of the "
        f"differences between customers (n = {int(top.n):,}) — a correlation, not proof of cause."
    )


# --- what the data can show ---------------------------------------------------------------------


def data_coverage(backend: ibis.BaseBackend) -> dict[str, int]:
    """How many rows back each kind of metric: answers per survey, interactions, customers, dated churn."""
    answers = backend.table("responses")
    per_survey = answers.group_by("survey").aggregate(n=answers.count()).execute()
    events = backend.table("interactions")
    people = backend.table("customers")
    counts = people.aggregate(
        customers=people.count(), dated=people.signup_date.count() + people.churn_date.count()
    ).execute()
    coverage = {survey: 0 for survey in ("nps", "csat", "ces")}
    coverage.update(dict(zip(per_survey["survey"], per_survey["n"].astype(int), strict=True)))
    coverage["interactions"] = int(events.count().execute())
    coverage["revenue"] = int(events.revenue.count().execute())
    coverage["response_times"] = int(events.response_time_s.count().execute())
    coverage["customers"] = int(counts["customers"].iloc[0])
    coverage["dated_customers"] = int(counts["dated"].iloc[0] or 0)
    return coverage


_NEEDS = {
    "nps": "nps", "nps_customers": "nps", "csat": "csat", "ces": "ces", "churn_rate": "customers",
    "retention_rate": "customers", "first_response_time": "response_times", "resolution_time": "response_times",
    "response_within_target": "response_times", "clv_observed": "revenue", "projected_clv": "revenue",
}  # fmt: skip


def metrics_with_data(coverage: dict[str, int]) -> list[str]:
    """The metric keys the data can back, in registry order."""
    return [key for key in metrics.METRICS if coverage.get(_NEEDS.get(key, key), 0) > 0]


def missing_data_notes(coverage: dict[str, int]) -> list[str]:
    """Plain sentences about what this data cannot show, and why."""
    notes = []
    surveys = [s.upper() for s in ("nps", "csat", "ces") if not coverage.get(s)]
    if surveys:
        notes.append(f"No {', '.join(surveys)} survey answers in the data, so those scores cannot be compared.")
    if not coverage.get("interactions"):
        notes.append("No interactions: response times, revenue (CLV) and touchpoints are not available.")
    elif not coverage.get("revenue"):
        notes.append("Interactions carry no revenue, so customer value (CLV) is not available.")
    if coverage.get("customers") and not coverage.get("dated_customers"):
        notes.append(
            "Customers have no signup or churn dates: churn is a snapshot (churned ÷ all customers) "
            "and cannot be followed over time."
        )
    return notes


def driver_bars(table: pd.DataFrame, limit: int = 12) -> pd.DataFrame:
    """The strongest drivers shaped for charts.ranked_bars: significant ones flagged (coloured)."""
    top = table.head(limit)
    return pd.DataFrame(
        {
            "label": [
                d.removeprefix(flt.ATTRIBUTE_PREFIX) + (" (CSAT)" if k == "Touchpoint satisfaction" else "")
                for d, k in zip(top["driver"], top["kind"], strict=True)
            ],
            "value": top["explained"],
            "n": top["n"],
            "ci_low": float("nan"),
            "ci_high": float("nan"),
            "small": top["small"],
            "direction": ["better" if s else None for s in top["significant"]],
            "correlation": top["correlation"],
        }
    )


def two_over_time_headline(frame: pd.DataFrame, metric: metrics.Metric, groups: tuple[str, str], grain: str) -> str:
    """'Europe was ahead of LATAM on NPS in 11 of 14 weeks; latest week (16 Nov 2026): 27 vs 38.'"""
    first, second = groups
    usable = frame[~frame["small"].astype(bool) & frame["value"].notna()]
    both = usable.pivot_table(index="period", columns="group", values="value")
    if first not in both or second not in both or both[[first, second]].dropna().empty:
        return f"Too few answers per {grain} in {first} or {second} to compare them over time on {metric.label}."
    both = both[[first, second]].dropna().sort_index()
    ahead = (both[first] > both[second]) if metric.higher_is_better else (both[first] < both[second])
    leader, trailer, count = (first, second, int(ahead.sum())) if ahead.sum() >= len(both) / 2 else (
        second, first, int((~ahead).sum())
    )  # fmt: skip
    latest = both.index[-1]
    when = pd.Timestamp(latest).strftime("%d %b %Y" if grain in ("day", "week") else "%b %Y")
    return (
        f"{leader} was ahead of {trailer} on {metric.label} in {count} of {len(both)} {grain}s with enough answers; "
        f"latest ({when}): {first} {metric.format(both.loc[latest, first])}, "
        f"{second} {metric.format(both.loc[latest, second])}."
    )
