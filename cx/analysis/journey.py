"""The customer journey: where experience breaks, and what it costs.

Queries are Ibis expressions over the filtered tables (cx.filters) that reduce
to small per-touchpoint or per-stage counts; estimates, tests and headlines are
pure functions of those counts, using the metric definitions in cx.metrics and
the statistics in cx.stats, so a touchpoint's CSAT here is the same number the
Trends page shows for that touchpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd
from scipy import stats as _scipy

from cx.analysis import filters as flt
from cx.analysis import metrics, narrative, rolled, segments, stats, trends
from cx.analysis.filters import Filters
from cx.store.schema import JOURNEY_STAGES

FOLLOW_UP_DAYS = 90
NPS_GROUPS = ("Detractors", "Passives", "Promoters")
CSAT_GROUPS = ("Poor (1–2)", "Good (4–5)")


def _int(expr: ir.BooleanValue) -> ir.IntegerValue:
    # CASE WHEN, not a cast: PostgreSQL cannot cast a boolean to an integer.
    return expr.ifelse(1, 0)


def _customer_scope(filters: Filters) -> Filters:
    """The same customers and period without channel/stage/touchpoint filters.

    A relationship NPS survey is not about one channel or stage, so it is selected by who answered.
    """
    return replace(filters, where=tuple(filters.customer_filters.items()))


def _csat_counts(backend: ibis.BaseBackend, filters: Filters, keys: list[str]) -> pd.DataFrame:
    # Per touchpoint: a wide survey asks one question per touchpoint, each its own figure.
    answers = flt.responses(backend, filters, survey="csat", per=("touchpoint",))
    answers = answers.filter(answers.touchpoint.notnull())
    score = answers.score.cast("float64")
    return (
        answers.group_by(keys)
        .aggregate(n=answers.count(), top2=_int(answers.score >= 4).sum(), total=score.sum())
        .execute()
    )


# --- touchpoints by stage, on any survey metric ------------------------------------------------

RANKABLE = ("csat", "nps", "ces")  # survey metrics whose answers can name a touchpoint
# A shift smaller than this is not worth a leader's attention, even when a large n makes it significant.
PRACTICAL_SHIFT = {"csat": 5.0, "nps": 5.0, "ces": 0.25}
SCAN_MONTHS = 12


def rankable(backend: ibis.BaseBackend, filters: Filters) -> dict[str, int]:
    """Answers per survey metric that name a touchpoint in the period: what pain points can rank on."""
    answers = flt.responses(backend, _without(filters, "touchpoint"))
    answers = answers.filter(answers.touchpoint.notnull() & answers.survey.isin(RANKABLE))
    counts = answers.group_by("survey").aggregate(n=answers.count()).execute()
    found = {str(s): int(n) for s, n in zip(counts["survey"], counts["n"], strict=True)}
    return {key: found[key] for key in RANKABLE if found.get(key)}


def default_metric(available: dict[str, int]) -> str | None:
    """The metric with most answers naming a touchpoint (CSAT first on a tie)."""
    return max(available, key=lambda k: (available[k], -RANKABLE.index(k))) if available else None


def _without(filters: Filters, *fields: str) -> Filters:
    return replace(filters, where=tuple((k, v) for k, v in filters.where if k not in fields))


def touchpoints(
    backend: ibis.BaseBackend, filters: Filters, key: str = "csat", min_n: int = stats.MIN_N
) -> pd.DataFrame:
    """One row per touchpoint: stage, volume, the metric (from answers naming it) with interval, its change.

    - volume: interactions in the period; customers: distinct customers among them (0 without interactions).
    - value, n, ci_low, ci_high: the metric's own definition (cx.metrics) over answers about the touchpoint.
    - change, p_value, q_value, direction: against the previous period of equal length; "worse"/"better"
      only when significant after Benjamini–Hochberg across all touchpoints (many are tested at once).
    - response_median_s / resolution_median_s: medians over the touchpoint's interactions.
    """
    events = flt.interactions(backend, filters)
    events = events.filter(events.touchpoint.notnull())
    volume = (
        events.group_by("touchpoint")
        .aggregate(
            volume=events.count(),
            customers=events.customer_id.nunique(),
            response_median_s=events.response_time_s.median(),
            resolution_median_s=events.resolution_time_s.median(),
        )
        .execute()
    )
    volume = volume.merge(_usual_stage(events), on="touchpoint", how="left")
    answers = flt.responses(backend, filters)
    answers = answers.filter(answers.touchpoint.notnull() & answers.journey_stage.notnull())
    stages = _usual_stage(answers).rename(columns={"journey_stage": "answer_stage"})
    current, previous = metrics.sufficient_stats_pair(backend, key, filters, by="touchpoint")
    return touchpoint_table(volume, current, previous, key, min_n, stages)


def _usual_stage(events: ir.Table) -> pd.DataFrame:
    """Each touchpoint's most common journey stage; a tie goes to the earlier stage, so every engine agrees.

    (Counted per pair rather than with MODE(), which Spark lacks and which breaks ties at random.)
    """
    pairs = events.group_by(["touchpoint", "journey_stage"]).aggregate(n=events.count()).execute()
    pairs = pairs[pairs["journey_stage"].notna()]
    if pairs.empty:  # keeps the columns' types, so the merge with the touchpoints still lines up
        return pairs[["touchpoint", "journey_stage"]]
    pairs = pairs.assign(order=lambda f: [_stage_order(s) for s in f["journey_stage"]])
    pairs = pairs.sort_values(["touchpoint", "n", "order", "journey_stage"], ascending=[True, False, True, True])
    usual = pairs.drop_duplicates("touchpoint")[["touchpoint", "journey_stage"]]
    return usual.reset_index(drop=True)


def touchpoint_table(
    volume: pd.DataFrame,
    current: pd.DataFrame,
    previous: pd.DataFrame,
    key: str = "csat",
    min_n: int = stats.MIN_N,
    stages: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-touchpoint counts → estimates, change on the previous period and the BH-controlled direction."""
    metric = metrics.METRICS[key]
    rated = {r["group"]: r for r in current.to_dict("records") if r["group"] != metrics.UNKNOWN}
    before = {r["group"]: r for r in previous.to_dict("records") if r["group"] != metrics.UNKNOWN}
    volumes = {r["touchpoint"]: r for r in volume.to_dict("records")}
    answer_stage = dict(zip(stages["touchpoint"], stages["answer_stage"], strict=True)) if stages is not None else {}
    rows = []
    for name in sorted(set(volumes) | set(rated)):
        v = volumes.get(name, {})
        now = metrics.estimate(key, rated[name])[0] if name in rated else stats.Estimate(value=None, n=0)
        then = metrics.estimate(key, before[name])[0] if name in before else stats.Estimate(value=None, n=0)
        test = metrics.compare(key, rated[name], before[name]) if name in rated and name in before else None
        testable = test is not None and not stats.is_small(now.n, min_n) and not stats.is_small(then.n, min_n)
        stage = v.get("journey_stage")
        stage = answer_stage.get(name) if stage is None or pd.isna(stage) else stage
        rows.append(
            {
                "journey_stage": None if stage is None or pd.isna(stage) else stage,
                "touchpoint": name,
                "volume": int(v.get("volume") or 0),
                "customers": int(v.get("customers") or 0),
                "value": now.value,
                "n": now.n,
                "ci_low": now.ci_low,
                "ci_high": now.ci_high,
                "small": stats.is_small(now.n, min_n),
                "previous": then.value,
                "previous_n": then.n,
                "change": None if test is None else test.difference,
                "change_margin": narrative.margin(test, now, then) if test is not None else None,
                "p_value": test.p_value if testable else None,
                "response_median_s": _float(v.get("response_median_s")),
                "resolution_median_s": _float(v.get("resolution_median_s")),
            }
        )
    columns = [
        "journey_stage", "touchpoint", "volume", "customers", "value", "n", "ci_low", "ci_high", "small",
        "previous", "previous_n", "change", "change_margin", "p_value", "response_median_s", "resolution_median_s",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    table["q_value"] = stats.bh_adjusted(_p_values(table["p_value"]))
    table["direction"] = [
        _direction(change, metric.higher_is_better) if q is not None and q <= stats.ALPHA else None
        for q, change in zip(table["q_value"], table["change"], strict=True)
    ]
    table["stage_order"] = [_stage_order(s) for s in table["journey_stage"]]
    table.attrs["metric"] = key
    return table.sort_values(["stage_order", "volume", "touchpoint"], ascending=[True, False, True]).reset_index(
        drop=True
    )


def _direction(difference: float | None, higher_is_better: bool) -> str | None:
    if difference is None or pd.isna(difference) or difference == 0:
        return None
    return "better" if (difference > 0) == higher_is_better else "worse"


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _p_values(column: pd.Series) -> list[float | None]:
    """A column of p-values with NaN back to None: BH must not count a test that was not done."""
    return [_float(p) for p in column]


def _stage_order(stage: str | None) -> int:
    return JOURNEY_STAGES.index(stage) if stage in JOURNEY_STAGES else len(JOURNEY_STAGES)


def pain_points(table: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """Touchpoints from worst to best on the metric; those with too few answers last (their rank means nothing)."""
    rated = table[table["value"].notna()].copy()
    worst_first = rated["value"] if higher_is_better else -rated["value"]
    rated["rank_key"] = worst_first.where(~rated["small"].astype(bool), float("inf"))
    ordered = rated.sort_values(["rank_key", "volume"], ascending=[True, False]).drop(columns="rank_key")
    ordered.attrs = table.attrs
    return ordered


def can_rank(table: pd.DataFrame) -> bool:
    """At least two touchpoints with enough answers: anything less is not a ranking (and gets no chart)."""
    return int((~table["small"].astype(bool) & table["value"].notna()).sum()) >= 2 if len(table) else False


def touchpoint_shifts(
    backend: ibis.BaseBackend, filters: Filters, months: int = SCAN_MONTHS, min_n: int = stats.MIN_N
) -> pd.DataFrame:
    """Touchpoint-months that moved away from the touchpoint's own recent level, found without looking.

    Over the `months` calendar months up to the period's end (other filters kept, the touchpoint filter
    dropped), every complete month of every touchpoint on every survey metric that names touchpoints is
    tested against the touchpoint's recent level (cx.analysis.trends); Benjamini–Hochberg across all of
    them, and a shift must also be at least PRACTICAL_SHIFT to be flagged. Largest shifts first.
    """
    last_month = pd.Timestamp(filters.end).to_period("M")
    first = (last_month - (months - 1)).to_timestamp().date()
    scope = replace(_without(filters, "touchpoint"), start=first)
    span = metrics.data_range(backend)
    rows = []
    for key in RANKABLE:  # one query answers all three (metrics.SHARED_SURVEYS); none without answers
        raw = metrics.sufficient_stats(backend, key, scope, by="touchpoint", grain="month")
        raw = raw[raw["group"] != metrics.UNKNOWN]
        if raw.empty:
            continue
        marked = trends.tested(raw, key, "month", scope.start, scope.end, span, min_n)
        for r in marked[marked["recent_p_value"].notna()].itertuples():
            rows.append(
                {"metric": key, "touchpoint": r.group, "period": r.period, "value": r.value, "n": int(r.n),
                 "level": r.recent_level, "difference": r.recent_difference, "p_value": r.recent_p_value}
            )  # fmt: skip
    columns = ["metric", "touchpoint", "period", "value", "n", "level", "difference", "p_value"]
    tested = pd.DataFrame(rows, columns=columns)
    tested["q_value"] = stats.bh_adjusted(_p_values(tested["p_value"]))
    large = [abs(d) >= PRACTICAL_SHIFT[k] for k, d in zip(tested["metric"], tested["difference"], strict=True)]
    flagged = tested[(tested["q_value"] <= stats.ALPHA) & pd.Series(large, index=tested.index, dtype=bool)].copy()
    flagged["size"] = [
        abs(d) / PRACTICAL_SHIFT[k] for k, d in zip(flagged["metric"], flagged["difference"], strict=True)
    ]
    flagged = flagged.sort_values("size", ascending=False).drop(columns="size").reset_index(drop=True)
    flagged.attrs.update(tests=len(tested), touchpoints=tested["touchpoint"].nunique(), start=first, end=filters.end)
    return flagged


def focus_trend(
    backend: ibis.BaseBackend, key: str, filters: Filters, touchpoint: str, grain: str, min_n: int = stats.MIN_N
) -> pd.DataFrame:
    """The touchpoint's trend beside the other touchpoints together (never beside itself)."""
    frame = trends.trend(backend, key, _without(filters, "touchpoint"), grain, "touchpoint", min_n=min_n,
                         keep=[touchpoint], known_only=True)  # fmt: skip
    return frame.assign(group=frame["group"].replace({metrics.REST: OTHER_TOUCHPOINTS}))


OTHER_TOUCHPOINTS = "Other touchpoints"


def touchpoint_versus_rest(
    backend: ibis.BaseBackend, key: str, filters: Filters, min_n: int = stats.MIN_N
) -> pd.DataFrame:
    """Each touchpoint against the other touchpoints (answers naming no touchpoint left out), BH across them."""
    frame = metrics.sufficient_stats(backend, key, _without(filters, "touchpoint"), by="touchpoint")
    return segments.rest_comparison(frame[frame["group"] != metrics.UNKNOWN], key, min_n)


# --- flow between stages -----------------------------------------------------------------------


def stage_flow(backend: ibis.BaseBackend, filters: Filters, by: str | None = None) -> pd.DataFrame:
    """How far customers active in the period have come through the journey, per group.

    A customer counts as having reached a stage when they had any interaction at it up to the end
    of the period (earlier periods included: onboarding done last year still counts). Stopped =
    furthest stage reached. A journey-stage filter is ignored here: it would cut the funnel itself.
    """
    scope = replace(filters, where=tuple((k, v) for k, v in filters.where if k != "journey_stage"))
    active = flt.interactions(backend, scope)
    active = active.filter(active.customer_id.notnull()).select("customer_id").distinct()
    until = ibis.timestamp((filters.end + timedelta(days=1)).isoformat())
    if not scope.event_filters and rolled.enabled() and rolled.ready(backend):
        # Each customer's first interaction at each stage (cx.store.rollups), not the whole history. The
        # customer filters are in `active` already; channel or touchpoint filters need every interaction.
        firsts = backend.table("rollup_stages")
        history = firsts.filter((firsts.first_at < until) & firsts.customer_id.isin(active.customer_id))
    else:
        history = flt.interactions(backend, scope, dated=False)
        history = history.filter(
            history.journey_stage.notnull()
            & (history.occurred_at < until)
            & history.customer_id.isin(active.customer_id)
        )
    order = ibis.cases(*[(history.journey_stage == s, i) for i, s in enumerate(JOURNEY_STAGES)], else_=None)
    reached = history.select("customer_id", "journey_stage", order=order).distinct()
    reached = metrics._group_column(backend, reached, by)
    per_stage = reached.group_by(["group", "journey_stage"]).aggregate(reached=reached.customer_id.nunique())
    furthest_per_customer = reached.filter(reached.order.notnull()).group_by(["group", "customer_id"])
    furthest = furthest_per_customer.aggregate(order=reached.order.max())
    stopped = furthest.group_by(["group", "order"]).aggregate(stopped=furthest.count())
    # One query for both counts: the customers active in the period are found once, not twice.
    both = ibis.union(
        per_stage.select(kind=ibis.literal("reached"), group=per_stage.group.cast("string"),
                         journey_stage=per_stage.journey_stage.cast("string"), order=ibis.null("int64"),
                         n=per_stage.reached.cast("int64")),
        stopped.select(kind=ibis.literal("stopped"), group=stopped.group.cast("string"),
                       journey_stage=ibis.null("string"),
                       order=stopped.order.cast("int64"), n=stopped.stopped.cast("int64")),
    ).execute()  # fmt: skip
    counted = both[both["kind"] == "reached"]
    ended = both[both["kind"] == "stopped"]
    return flow_table(
        counted[["group", "journey_stage"]].assign(reached=counted["n"]).reset_index(drop=True),
        ended[["group", "order"]].assign(stopped=ended["n"]).reset_index(drop=True),
    )


def flow_table(per_stage: pd.DataFrame, stopped: pd.DataFrame) -> pd.DataFrame:
    """Stage counts → funnel rows in journey order with the share of the first stage and drop-outs."""
    columns = ["group", "journey_stage", "reached", "share_of_top", "stopped", "stopped_share"]
    if per_stage.empty:  # no interaction names a journey stage (e.g. a help-desk export)
        return pd.DataFrame(columns=columns)
    stopped = stopped.assign(journey_stage=[JOURNEY_STAGES[int(o)] for o in stopped["order"]])
    frame = per_stage.merge(stopped[["group", "journey_stage", "stopped"]], on=["group", "journey_stage"], how="left")
    frame["stopped"] = frame["stopped"].fillna(0).astype(int)
    frame["reached"] = frame["reached"].astype(int)
    frame["stage_order"] = [_stage_order(s) for s in frame["journey_stage"]]
    frame = frame.sort_values(["group", "stage_order", "journey_stage"]).reset_index(drop=True)
    first = frame.groupby("group")["reached"].transform("max")
    frame["share_of_top"] = 100 * frame["reached"] / first
    # Known stages are ordered, so "stopped here" means the journey ended at this stage.
    frame.loc[frame["stage_order"] >= len(JOURNEY_STAGES), "stopped"] = 0
    frame["stopped_share"] = 100 * frame["stopped"] / frame["reached"].where(frame["reached"] > 0)
    return frame[columns]


# --- channel consistency ------------------------------------------------------------------------


def channel_consistency(backend: ibis.BaseBackend, filters: Filters, min_n: int = stats.MIN_N) -> pd.DataFrame:
    """CSAT of each touchpoint per channel, each channel tested against the touchpoint's other channels."""
    counts = _csat_counts(backend, filters, ["touchpoint", "channel"])
    counts = counts[counts["channel"].notna()]
    return channel_table(counts, min_n)


def channel_table(counts: pd.DataFrame, min_n: int = stats.MIN_N) -> pd.DataFrame:
    """Per (touchpoint, channel) CSAT vs the same touchpoint's other channels (rest = total − channel).

    A channel is flagged worse only when the two-proportion test is significant after
    Benjamini–Hochberg across every (touchpoint, channel) pair tested.
    """
    rows = []
    totals = counts.groupby("touchpoint")[["n", "top2"]].sum()
    channels = counts.groupby("touchpoint")["channel"].nunique()
    for row in counts.to_dict("records"):
        n, top2 = int(row["n"]), int(row["top2"])
        rest_n = int(totals.loc[row["touchpoint"], "n"]) - n
        rest_top2 = int(totals.loc[row["touchpoint"], "top2"]) - top2
        csat = stats.proportion(top2, n)
        rest = stats.proportion(rest_top2, rest_n)
        test = stats.compare_proportions(top2, n, rest_top2, rest_n)
        testable = (
            channels[row["touchpoint"]] > 1 and not stats.is_small(n, min_n) and not stats.is_small(rest_n, min_n)
        )
        rows.append(
            {
                "touchpoint": row["touchpoint"],
                "channel": row["channel"],
                "csat": csat.value,
                "n": n,
                "ci_low": csat.ci_low,
                "ci_high": csat.ci_high,
                "small": stats.is_small(n, min_n),
                "other_channels_csat": rest.value,
                "difference": test.difference if channels[row["touchpoint"]] > 1 else None,
                "p_value": test.p_value if testable else None,
            }
        )
    columns = ["touchpoint", "channel", "csat", "n", "ci_low", "ci_high", "small", "other_channels_csat"]
    table = pd.DataFrame(rows, columns=[*columns, "difference", "p_value"])
    table["q_value"] = stats.bh_adjusted(_p_values(table["p_value"]))
    table["worse"] = [
        q is not None and q <= stats.ALPHA and (d or 0) < 0
        for q, d in zip(table["q_value"], table["difference"], strict=True)
    ]
    # The channel breaks ties of CSAT: otherwise their order is whatever order the engine returned.
    return table.sort_values(["touchpoint", "csat", "channel"]).reset_index(drop=True)


# --- experience → outcome ----------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeWindow:
    """Which responses have a complete follow-up: answered on or before `last_response_day`."""

    data_end: date | None
    last_response_day: date | None
    days: int = FOLLOW_UP_DAYS


def outcome_window(backend: ibis.BaseBackend, days: int = FOLLOW_UP_DAYS) -> OutcomeWindow:
    bounds = metrics.data_range(backend)
    if bounds is None:
        return OutcomeWindow(None, None, days)
    return OutcomeWindow(bounds[1], bounds[1] - timedelta(days=days), days)


def outcome_period(filters: Filters, window: OutcomeWindow) -> Filters:
    """The filters' period, or — when all its answers are too recent to follow up — the latest period
    of the same length whose answers have a complete follow-up."""
    if window.last_response_day is None or window.last_response_day >= filters.start:
        return filters
    end = window.last_response_day
    return replace(filters, start=end - timedelta(days=filters.days - 1), end=end)


def experience_outcomes(backend: ibis.BaseBackend, filters: Filters, days: int = FOLLOW_UP_DAYS) -> pd.DataFrame:
    """Churn and revenue in the `days` after each customer's latest NPS and CSAT answer in the period.

    Only answers with a complete follow-up (at least `days` before the data ends) count, so recent
    answers do not look loyal just because there was no time to churn. A customer already gone
    when answering, or marked churned without a date, is left out. Groups: detractors / passives /
    promoters (NPS) and poor 1–2 / good 4–5 (CSAT; 3 is neither).
    """
    window = outcome_window(backend, days)
    columns = ["survey", "experience", "customers", "churned", "revenue_total", "revenue_total_sq"]
    if window.last_response_day is None or window.last_response_day < filters.start:
        return pd.DataFrame(columns=[*columns, "segment", "plan"])
    answers = flt.responses(backend, filters)
    answers = answers.filter(
        answers.customer_id.notnull()
        & answers.survey.isin(["nps", "csat"])
        & (answers.responded_at < ibis.timestamp((window.last_response_day + timedelta(days=1)).isoformat()))
    )
    latest = ibis.window(group_by=["customer_id", "survey"], order_by=ibis.desc("responded_at"))
    answers = answers.mutate(_latest=ibis.row_number().over(latest))
    answers = answers.filter(answers._latest == 0).select("customer_id", "survey", "score", "responded_at")
    experience = ibis.cases(
        ((answers.survey == "nps") & (answers.score >= 9), NPS_GROUPS[2]),
        ((answers.survey == "nps") & (answers.score >= 7), NPS_GROUPS[1]),
        (answers.survey == "nps", NPS_GROUPS[0]),
        (answers.score >= 4, CSAT_GROUPS[1]),
        (answers.score <= 2, CSAT_GROUPS[0]),
        else_=None,
    )
    answers = answers.mutate(experience=experience, follow_up_end=answers.responded_at + ibis.interval(days=days))
    answers = answers.filter(answers.experience.notnull())

    people = backend.table("customers").select("customer_id", "churn_date", "churned", "segment", "plan")
    joined = answers.join(people, "customer_id")
    answered_day = joined.responded_at.cast("date")
    joined = joined.filter(
        ~(joined.churned & joined.churn_date.isnull())
        & (joined.churn_date.isnull() | (joined.churn_date >= answered_day))
    )
    joined = joined.mutate(
        left=_int(joined.churn_date.notnull() & (joined.churn_date <= joined.follow_up_end.cast("date")))
    )

    events = backend.table("interactions")
    events = events.filter(events.revenue.notnull()).select("customer_id", "occurred_at", "revenue")
    spend = joined.select("customer_id", "survey", "responded_at", "follow_up_end").join(events, "customer_id")
    spend = spend.filter((spend.occurred_at > spend.responded_at) & (spend.occurred_at <= spend.follow_up_end))
    spend = spend.group_by(["customer_id", "survey"]).aggregate(revenue=spend.revenue.sum())
    with_spend = joined.left_join(spend, ["customer_id", "survey"])
    # Like with like: the gap is measured within each segment × plan, so bigger customers (who may
    # answer differently) are not compared with smaller ones.
    strata = with_spend.mutate(
        segment=with_spend.segment.fill_null(metrics.UNKNOWN),
        plan=with_spend.plan.fill_null(metrics.UNKNOWN),
        revenue=with_spend.revenue.fill_null(0.0),
    )
    frame = (
        strata.group_by(["survey", "experience", "segment", "plan"])
        .aggregate(
            customers=strata.count(),
            churned=strata.left.sum(),
            revenue_total=strata.revenue.sum(),
            revenue_total_sq=(strata.revenue * strata.revenue).sum(),
        )
        .execute()
    )
    ordered = frame[[*columns, "segment", "plan"]].sort_values(["survey", "experience", "segment", "plan"])
    return ordered.reset_index(drop=True)  # in one order on every engine


def outcome_bars(outcomes: pd.DataFrame, survey: str) -> pd.DataFrame:
    """One survey's outcome rows in the shape charts.ranked_bars reads."""
    rows = outcomes[outcomes["survey"] == survey]
    return rows.rename(columns={"churn_rate": "value", "customers": "n"})


def outcome_table(counts: pd.DataFrame, min_n: int = stats.MIN_N) -> pd.DataFrame:
    """Per experience group: churn rate (Wilson interval) and mean revenue in the follow-up (t interval).

    The strata (segment × plan) of experience_outcomes are added up here; `table.attrs["strata"]`
    keeps them for outcome_gap.
    """
    additive = ["customers", "churned", "revenue_total", "revenue_total_sq"]
    strata = counts.copy()
    totals = counts.groupby(["survey", "experience"], as_index=False)[additive].sum() if len(counts) else counts
    rows = []
    order = {name: i for i, name in enumerate((*NPS_GROUPS, *CSAT_GROUPS))}
    for row in totals.to_dict("records"):
        n = int(row["customers"])
        churn = stats.proportion(int(row["churned"]), n)
        mean = row["revenue_total"] / n if n else None
        revenue = stats.mean_estimate(mean, metrics._sd(row["revenue_total"], row["revenue_total_sq"], n), n)
        rows.append(
            {
                "survey": row["survey"],
                "experience": row["experience"],
                "customers": n,
                "churned": int(row["churned"]),
                "churn_rate": churn.value,
                "ci_low": churn.ci_low,
                "ci_high": churn.ci_high,
                "small": stats.is_small(n, min_n),
                "revenue_per_customer": revenue.value,
                "revenue_ci_low": revenue.ci_low,
                "revenue_ci_high": revenue.ci_high,
                "revenue_total": float(row["revenue_total"]),
                "revenue_total_sq": float(row["revenue_total_sq"]),
                "order": order.get(row["experience"], 99),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.sort_values(["survey", "order"]).drop(columns="order").reset_index(drop=True)
    frame.attrs["strata"] = strata
    return frame


@dataclass(frozen=True)
class OutcomeGap:
    """Poor experience vs good, compared like with like (within segment × plan, then summed).

    excess churn in a stratum = poor customers × (churn rate poor − churn rate good) there; summed over
    the strata that hold both groups, with a 95% range from the strata's binomial variances. Revenue at
    risk = each stratum's excess churners × what a good-experience customer of that stratum brought in
    the follow-up window, summed, with its range. Both say what goes together, not what causes what.
    """

    poor: str
    good: str
    poor_rate: float | None  # churn rates pooled over the compared strata
    good_rate: float | None
    significant: bool
    p_value: float | None
    customers_at_risk: float | None
    customers_low: float | None
    customers_high: float | None
    revenue_at_risk: float | None
    revenue_low: float | None
    revenue_high: float | None
    compared: int  # poor-experience customers in strata that also hold good ones
    poor_customers: int

    @property
    def churn_difference(self) -> float | None:
        if self.poor_rate is None or self.good_rate is None:
            return None
        return self.poor_rate - self.good_rate


MIN_STRATUM = 5  # a segment × plan with fewer customers on either side cannot say what "like" customers do


def outcome_gap(table: pd.DataFrame, survey: str, min_n: int = stats.MIN_N) -> OutcomeGap | None:
    """The gap between the worst and best experience group of a survey ('nps' or 'csat'), like with like."""
    poor_name, good_name = (NPS_GROUPS[0], NPS_GROUPS[2]) if survey == "nps" else CSAT_GROUPS
    strata = table.attrs.get("strata") if len(table) else None
    if strata is None or strata.empty:
        return None
    rows = strata[strata["survey"] == survey]
    poor = rows[rows["experience"] == poor_name]
    good = rows[rows["experience"] == good_name]
    if poor.empty or good.empty:
        return None
    both = poor.merge(good, on=["segment", "plan"], suffixes=("_poor", "_good"), how="inner")
    both = both[(both["customers_poor"] >= MIN_STRATUM) & (both["customers_good"] >= MIN_STRATUM)]
    n_poor, n_good = int(both["customers_poor"].sum()), int(both["customers_good"].sum())
    empty = OutcomeGap(poor_name, good_name, None, None, False, None, None, None, None, None, None, None,
                       n_poor, int(poor["customers"].sum()))  # fmt: skip
    if stats.is_small(n_poor, min_n) or stats.is_small(n_good, min_n):
        return empty
    p_poor = both["churned_poor"] / both["customers_poor"]
    p_good = both["churned_good"] / both["customers_good"]
    excess = both["customers_poor"] * (p_poor - p_good)
    variance = both["customers_poor"] ** 2 * (
        p_poor * (1 - p_poor) / both["customers_poor"] + p_good * (1 - p_good) / both["customers_good"]
    )
    at_risk, spread = float(excess.sum()), math.sqrt(float(variance.sum()))
    if spread > 0:
        z = at_risk / spread
        p_value = float(2 * _scipy.norm.sf(abs(z)))
    else:
        p_value = 0.0 if at_risk else 1.0
    significant = p_value < stats.ALPHA and at_risk > 0
    revenue_good = both["revenue_total_good"] / both["customers_good"]
    revenue_var = (both["revenue_total_sq_good"] / both["customers_good"] - revenue_good**2).clip(lower=0) / both[
        "customers_good"
    ]
    revenue = float((excess * revenue_good).sum())
    revenue_spread = math.sqrt(float((revenue_good**2 * variance + excess**2 * revenue_var).sum()))
    has_revenue = bool((both["revenue_total_good"] > 0).any())
    return OutcomeGap(
        poor=poor_name,
        good=good_name,
        poor_rate=100 * float(both["churned_poor"].sum()) / n_poor,
        good_rate=100 * float(both["churned_good"].sum()) / n_good,
        significant=significant,
        p_value=p_value,
        customers_at_risk=at_risk if significant else None,
        customers_low=max(at_risk - stats.Z95 * spread, 0.0) if significant else None,
        customers_high=at_risk + stats.Z95 * spread if significant else None,
        revenue_at_risk=revenue if significant and has_revenue else None,
        revenue_low=max(revenue - stats.Z95 * revenue_spread, 0.0) if significant and has_revenue else None,
        revenue_high=revenue + stats.Z95 * revenue_spread if significant and has_revenue else None,
        compared=n_poor,
        poor_customers=int(poor["customers"].sum()),
    )
