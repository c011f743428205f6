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

from cx.analysis import filters as flt
from cx.analysis import metrics, narrative, stats, trends, units
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
        frame = frame.merge(_rest_medians(backend, key, filters, by), on="group", how="left")
    return rest_comparison(frame, key, min_n)


def _rest_medians(backend: ibis.BaseBackend, key: str, filters: Filters, by: str) -> pd.DataFrame:
    """Per group, the median of everyone else: medians do not add up, so 'the rest' is its own query."""
    column = "resolution_time_s" if key == "resolution_time" else "response_time_s"
    events = metrics._group_column(backend, flt.interactions(backend, filters), by)
    events = events.filter(events[column].notnull() & (events[column] >= 0)).select("group", time=events[column])
    groups = events.select(chosen="group").distinct()
    others = groups.cross_join(events).filter(lambda t: t.group != t.chosen)
    frame = others.group_by("chosen").aggregate(rest_median=others.time.median()).execute()
    return frame.rename(columns={"chosen": "group"})


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
            other = stats.Estimate(value=_float(row.get("rest_median")), n=int(rest["n"]))
            test = (
                stats.compare_medians(int(row["above"]), int(row["n"]), int(rest["above"]), int(rest["n"]))
                if row["n"] and rest["n"]
                else stats.NO_COMPARISON
            )
            baseline = other.value if other.value is not None else _everyone_median(frame)
            difference = current.value - baseline if current.value is not None else None
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
    columns = ["group", "metric", "value", "n", "small", "rest_value", "difference", "q_value", "direction", "text"]
    return frame[columns + (["basis"] if "basis" in frame else [])]


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
    """The metric per period for two segments of the same attribute (cx.analysis.trends: bands, complete
    periods, marks), and in `attrs["pair"]` the two tested against each other over the whole period."""
    first, second = groups
    frame = trends.trend(backend, key, filters, grain, by, min_n=min_n, keep=[first, second])
    frame = frame[frame["group"].isin(groups)].reset_index(drop=True)
    whole = metrics.sufficient_stats(backend, key, filters, by=by)
    if key in DURATION_METRICS:
        whole = whole.merge(_above_pooled_median(backend, key, filters, by), on="group", how="left").fillna(
            {"above": 0}
        )
    rows = {r["group"]: r for r in whole.to_dict("records")}
    if first in rows and second in rows:
        a, b = metrics.estimate(key, rows[first])[0], metrics.estimate(key, rows[second])[0]
        test = metrics.compare(key, rows[first], rows[second])
        testable = not stats.is_small(a.n, min_n) and not stats.is_small(b.n, min_n)
        frame.attrs["pair"] = {
            "first": a.value, "second": b.value, "first_n": a.n, "second_n": b.n,
            "difference": test.difference if test.difference is not None else _difference(a, b),
            "margin": narrative.margin(test, a, b, from_test=key not in DURATION_METRICS),
            "significant": bool(test.significant) and testable, "p_value": test.p_value,
        }  # fmt: skip
    return frame


def _difference(a: stats.Estimate, b: stats.Estimate) -> float | None:
    return None if a.value is None or b.value is None else a.value - b.value


# --- key drivers --------------------------------------------------------------------------------

DRIVER_TARGETS = {"nps": "NPS", "churn": "churn"}


def _outcome_per_customer(backend: ibis.BaseBackend, filters: Filters, target: str) -> ir.Table:
    """customer_id with promoter/detractor (the customer's latest NPS answer in the period) or churned (1/0)."""
    if target == "nps":
        answers = flt.responses(backend, filters, survey="nps")
        answers = answers.filter(answers.customer_id.notnull())
        latest = ibis.window(group_by="customer_id", order_by=ibis.desc("responded_at"))
        answers = answers.mutate(_latest=ibis.row_number().over(latest)).filter(lambda t: t._latest == 0)
        return answers.select(
            "customer_id",
            promoter=_int(answers.score >= 9),
            detractor=_int(answers.score <= 6),
            churned=ibis.literal(0),
        )
    people = flt.customers_with_events(backend, filters)
    return people.select(
        "customer_id", promoter=ibis.literal(0), detractor=ibis.literal(0), churned=_int(people.churned)
    )


def _counts(table: ir.Table, keys: list[str]) -> pd.DataFrame:
    return (
        table.group_by(keys)
        .aggregate(
            n=table.count(),
            promoters=table.promoter.sum(),
            detractors=table.detractor.sum(),
            churned=table.churned.sum(),
        )  # fmt: skip
        .execute()
    )


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


def drivers(backend: ibis.BaseBackend, filters: Filters, target: str = "nps", min_n: int = stats.MIN_N) -> pd.DataFrame:
    """What goes with a better NPS (or with churn), as effects in the outcome's own units.

    - Touchpoint: customers satisfied there (their mean CSAT at it in the period 4–5) against those who were
      not: the difference in NPS points (or churn percentage points), with its 95% interval.
    - Customer attribute: each value against all other customers (numeric attributes with many values:
      above against at or below their median); each attribute is shown by its value with the strongest effect.
    Benjamini–Hochberg across every comparison made; ranked on the interval's bound nearest zero, so a
    large effect from few customers does not outrank a solid one.
    """
    outcome = _outcome_per_customer(backend, filters, target)
    answers = flt.responses(backend, filters, survey="csat", per=("touchpoint",))  # each touchpoint its own question
    answers = answers.filter(answers.customer_id.notnull() & answers.touchpoint.notnull())
    rated = answers.group_by(["customer_id", "touchpoint"]).aggregate(mean=answers.score.cast("float64").mean())
    rated = rated.mutate(satisfied=rated["mean"] >= 4).join(outcome, "customer_id")
    touchpoint_counts = _counts(rated, ["touchpoint", "satisfied"])

    long = _attributes_long(backend).join(outcome, "customer_id")
    levels = long.group_by("attribute").aggregate(levels=long.value.nunique(), numeric=long.number.count()).execute()
    categorical = levels[levels["levels"] <= MAX_LEVELS]["attribute"].tolist()
    numeric = levels[(levels["levels"] > MAX_LEVELS) & (levels["numeric"] > 0)]["attribute"].tolist()
    cells = long.filter(long.attribute.isin(categorical) if categorical else ibis.literal(False))
    level_counts = _counts(cells, ["attribute", "value"])
    numbers = long.filter(long.attribute.isin(numeric) & long.number.notnull() if numeric else ibis.literal(False))
    medians = numbers.group_by("attribute").aggregate(median=numbers.number.median())
    split = numbers.join(medians, "attribute")
    split = split.mutate(value=ibis.cases((split.number > split["median"], "above"), else_="at or below"))
    numeric_counts = _counts(split, ["attribute", "value", "median"])
    if len(numeric_counts):
        numeric_counts["value"] = [
            f"{v} {m:,.4g}" for v, m in zip(numeric_counts["value"], numeric_counts["median"], strict=True)
        ]
    all_levels = pd.concat([level_counts, numeric_counts.drop(columns="median")], ignore_index=True)
    return drivers_table(touchpoint_counts, all_levels, target, min_n)


def _outcome(target: str, counts: dict) -> stats.Estimate:
    n = int(counts["n"])
    if target == "nps":
        p, d = int(counts["promoters"]), int(counts["detractors"])
        return stats.nps(p, n - p - d, d)
    return stats.proportion(int(counts["churned"]), n)


def _effect(target: str, a: dict, b: dict) -> stats.Comparison:
    if target == "nps":
        return stats.compare_nps(_outcome(target, a), _outcome(target, b))
    return stats.compare_proportions(int(a["churned"]), int(a["n"]), int(b["churned"]), int(b["n"]))


DRIVER_COLUMNS = [
    "kind", "driver", "level", "label", "effect", "ci_low", "ci_high", "n", "n_in", "n_out", "p_value",
    "q_value", "significant", "strength", "small", "direction",
]  # fmt: skip


def drivers_table(
    touchpoint_counts: pd.DataFrame, level_counts: pd.DataFrame, target: str, min_n: int = stats.MIN_N
) -> pd.DataFrame:
    """Counts → one row per driver: effect with 95% interval, n, BH significance, ranked on the interval's lower bound."""
    rows = []
    zero = {"n": 0, "promoters": 0, "detractors": 0, "churned": 0}
    for touchpoint, groups in touchpoint_counts.groupby("touchpoint", sort=True):
        by = {bool(k): r for k, r in zip(groups["satisfied"], groups.to_dict("records"), strict=True)}
        rows.append(
            _driver_row("touchpoint", touchpoint, "satisfied", by.get(True, zero), by.get(False, zero), target, min_n)
        )
    tested = []
    for attribute, groups in level_counts.groupby("attribute", sort=True):
        total = {c: groups[c].sum() for c in ("n", "promoters", "detractors", "churned")}
        for record in groups.to_dict("records"):
            rest = {c: total[c] - record[c] for c in total}
            tested.append(_driver_row("attribute", attribute, str(record["value"]), record, rest, target, min_n))
    table = pd.DataFrame(rows + tested, columns=DRIVER_COLUMNS)
    table["q_value"] = stats.bh_adjusted([_float(p) for p in table["p_value"]])
    table["significant"] = [q is not None and q <= stats.ALPHA for q in table["q_value"]]
    table = table[table["effect"].notna()]
    # One row per attribute: the value whose effect is most certainly away from zero.
    # Ties (the two values of a yes/no attribute) go to the value that raises the outcome, then to the first
    # name and value, so every engine agrees.
    order = ["small", "strength", "effect", "driver", "level"]
    table = table.sort_values(order, ascending=[True, False, False, True, True], kind="stable")
    table = pd.concat(
        [table[table["kind"] == "touchpoint"], table[table["kind"] == "attribute"].drop_duplicates("driver")]
    )
    ranked = table.sort_values(["kind", *order], ascending=[False, True, False, False, True, True], kind="stable")
    return ranked.reset_index(drop=True)


def _driver_row(kind: str, name: str, level: str, inside: dict, outside: dict, target: str, min_n: int) -> dict:
    n_in, n_out = int(inside["n"]), int(outside["n"])
    comparison = _effect(target, inside, outside) if n_in and n_out else stats.NO_COMPARISON
    effect = comparison.difference
    width = _interval_width(target, inside, outside) if effect is not None else None
    small = stats.is_small(n_in, min_n) or stats.is_small(n_out, min_n)
    return {
        "kind": kind,
        "driver": name,
        "level": level,
        "label": driver_label(kind, name, level),
        "effect": effect,
        "ci_low": None if width is None else effect - width,
        "ci_high": None if width is None else effect + width,
        "n": n_in + n_out,
        "n_in": n_in,
        "n_out": n_out,
        "p_value": None if small else comparison.p_value,
        "q_value": None,
        "significant": False,
        "strength": 0.0 if width is None or effect is None else max(abs(effect) - width, 0.0),
        "small": small,
        "direction": None if not effect else ("↑" if effect > 0 else "↓"),
    }


def _interval_width(target: str, a: dict, b: dict) -> float:
    """95% half-width of the difference, unpooled (a test pools under 'no difference'; an interval must not),
    in NPS points or percentage points."""
    if target == "nps":
        variance = sum(
            (p + d - (p - d) ** 2) / n
            for n, p, d in ((int(x["n"]), x["promoters"] / x["n"], x["detractors"] / x["n"]) for x in (a, b))
        )
    else:
        variance = sum((x["churned"] / x["n"]) * (1 - x["churned"] / x["n"]) / x["n"] for x in (a, b))
    return 100 * stats.Z95 * math.sqrt(max(variance, 0.0))


def driver_label(kind: str, name: str, level: str) -> str:
    """'Billing inquiry', 'Acquisition channel: Paid search', 'Tenure: above 29'."""
    if kind == "touchpoint":
        return name
    return f"{units.field_label(name)}: {level}"


def driver_bars(table: pd.DataFrame, kind: str, target: str, limit: int = 10) -> pd.DataFrame:
    """One list of drivers shaped for charts.ranked_bars: the effect, its interval, n, coloured when significant."""
    rows = table[table["kind"] == kind].head(limit)
    good = [(e < 0) if target == "churn" else (e > 0) for e in rows["effect"]]
    return pd.DataFrame(
        {
            "label": [
                f"{d} {label}" if isinstance(d, str) else label
                for d, label in zip(rows["direction"], rows["label"], strict=True)
            ],
            "value": rows["effect"],
            "n": rows["n"],
            "ci_low": rows["ci_low"],
            "ci_high": rows["ci_high"],
            "small": rows["small"],
            "direction": [
                ("better" if g else "worse") if s else None for g, s in zip(good, rows["significant"], strict=True)
            ],
        }
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
