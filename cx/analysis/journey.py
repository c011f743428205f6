"""The customer journey: where experience breaks, and what it costs.

Queries are Ibis expressions over the filtered tables (cx.filters) that reduce
to small per-touchpoint or per-stage counts; estimates, tests and headlines are
pure functions of those counts, using the metric definitions in cx.metrics and
the statistics in cx.stats, so a touchpoint's CSAT here is the same number the
Trends page shows for that touchpoint.
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


# --- touchpoints by stage ----------------------------------------------------------------------


def touchpoints(backend: ibis.BaseBackend, filters: Filters, min_n: int = stats.MIN_N) -> pd.DataFrame:
    """One row per touchpoint: stage, volume, CSAT with interval, change on the previous period, NPS, times.

    - volume: interactions in the period; customers: distinct customers among them.
    - csat: the CSAT definition (top-2-box, Wilson interval) over answers about the touchpoint.
    - csat_change / csat_dropped: against the previous period of equal length; "dropped" only when
      the fall is significant after Benjamini–Hochberg across all touchpoints (many are tested at once).
    - nps: NPS of answers given in the period by customers who had an interaction at the touchpoint.
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
    current = _csat_counts(backend, filters, ["touchpoint"])
    previous = _csat_counts(backend, filters.previous(), ["touchpoint"])

    passed = events.filter(events.customer_id.notnull()).select("touchpoint", "customer_id").distinct()
    nps_answers = flt.responses(backend, _customer_scope(filters), survey="nps")
    nps_answers = nps_answers.filter(nps_answers.customer_id.notnull()).select("customer_id", "score")
    joined = passed.join(nps_answers, "customer_id")
    nps_counts = (
        joined.group_by("touchpoint")
        .aggregate(
            nps_n=joined.count(),
            promoters=_int(joined.score >= 9).sum(),
            detractors=_int(joined.score <= 6).sum(),
        )
        .execute()
    )
    return touchpoint_table(volume, current, previous, nps_counts, min_n)


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
    nps_counts: pd.DataFrame,
    min_n: int = stats.MIN_N,
) -> pd.DataFrame:
    """Counts per touchpoint → estimates, change on the previous period and the BH-controlled drop flag."""
    names = sorted(set(volume.get("touchpoint", [])) | set(current.get("touchpoint", [])))
    by_name = {name: {} for name in names}
    for frame, prefix in ((volume, ""), (current, "cur_"), (previous, "prev_"), (nps_counts, "")):
        for row in frame.to_dict("records"):
            if row["touchpoint"] in by_name:
                by_name[row["touchpoint"]].update({(prefix + k if k != "touchpoint" else k): v for k, v in row.items()})
    rows = []
    for name in names:
        r = by_name[name]
        cur = {"n": int(r.get("cur_n") or 0), "top2": int(r.get("cur_top2") or 0), "total": r.get("cur_total") or 0}
        prev = {"n": int(r.get("prev_n") or 0), "top2": int(r.get("prev_top2") or 0)}
        csat, extra = metrics.estimate("csat", cur)
        before = metrics.estimate("csat", {**prev, "total": 0})[0]
        change = metrics.compare("csat", cur, prev)
        testable = not stats.is_small(cur["n"], min_n) and not stats.is_small(prev["n"], min_n)
        nps_n = int(r.get("nps_n") or 0)
        promoters, detractors = int(r.get("promoters") or 0), int(r.get("detractors") or 0)
        nps = stats.nps(promoters, nps_n - promoters - detractors, detractors)
        stage = r.get("journey_stage")
        rows.append(
            {
                "journey_stage": None if pd.isna(stage) else stage,
                "touchpoint": name,
                "volume": int(r.get("volume") or 0),
                "customers": int(r.get("customers") or 0),
                "csat": csat.value,
                "csat_n": csat.n,
                "csat_ci_low": csat.ci_low,
                "csat_ci_high": csat.ci_high,
                "csat_mean": extra["mean"],
                "csat_small": stats.is_small(csat.n, min_n),
                "csat_previous": before.value,
                "csat_previous_n": before.n,
                "csat_change": change.difference,
                "csat_p_value": change.p_value if testable else None,
                "nps": nps.value,
                "nps_n": nps.n,
                "nps_small": stats.is_small(nps.n, min_n),
                "response_median_s": _float(r.get("response_median_s")),
                "resolution_median_s": _float(r.get("resolution_median_s")),
            }
        )
    columns = [
        "journey_stage", "touchpoint", "volume", "customers", "csat", "csat_n", "csat_ci_low", "csat_ci_high",
        "csat_mean", "csat_small", "csat_previous", "csat_previous_n", "csat_change", "csat_p_value", "nps",
        "nps_n", "nps_small", "response_median_s", "resolution_median_s",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    table["csat_q_value"] = stats.bh_adjusted(_p_values(table["csat_p_value"]))
    table["csat_dropped"] = [
        q is not None and q <= stats.ALPHA and (change or 0) < 0
        for q, change in zip(table["csat_q_value"], table["csat_change"], strict=True)
    ]
    table["stage_order"] = [_stage_order(s) for s in table["journey_stage"]]
    return table.sort_values(["stage_order", "volume"], ascending=[True, False]).reset_index(drop=True)


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _p_values(column: pd.Series) -> list[float | None]:
    """A column of p-values with NaN back to None: BH must not count a test that was not done."""
    return [_float(p) for p in column]


def _stage_order(stage: str | None) -> int:
    return JOURNEY_STAGES.index(stage) if stage in JOURNEY_STAGES else len(JOURNEY_STAGES)


def pain_points(table: pd.DataFrame) -> pd.DataFrame:
    """Touchpoints from worst CSAT to best; those with too few answers last (their rank means nothing)."""
    rated = table[table["csat"].notna()].copy()
    rated["rank_key"] = rated["csat"].where(~rated["csat_small"].astype(bool), 1000.0)
    return rated.sort_values(["rank_key", "volume"], ascending=[True, False]).drop(columns="rank_key")


def pain_bars(ranked: pd.DataFrame) -> pd.DataFrame:
    """Pain points in the shape charts.ranked_bars reads: value, n, interval, small, direction."""
    bars = ranked.rename(columns={"csat": "value", "csat_n": "n", "csat_ci_low": "ci_low", "csat_ci_high": "ci_high"})
    return bars.assign(small=bars["csat_small"], direction=bars["csat_dropped"].map({True: "worse", False: None}))


def pain_headline(table: pd.DataFrame, days: int) -> str:
    """'Billing inquiry has the lowest CSAT (61.0%, n = 1,204) and fell 7.0 pts on the previous 90 days.'"""
    ranked = pain_points(table)
    usable = ranked[~ranked["csat_small"].astype(bool)]
    if usable.empty:
        return "Too few CSAT answers per touchpoint to rank them; widen the date range."
    dropped = usable[usable["csat_dropped"].astype(bool)].sort_values("csat_change")
    worst = usable.iloc[0]
    text = f"{worst.touchpoint} has the lowest CSAT ({worst.csat:.1f}%, n = {int(worst.csat_n):,})"
    if worst.csat_dropped:
        text += f" and fell {abs(worst.csat_change):.1f} pts on the previous {days} days"
    elif len(dropped):
        fell = dropped.iloc[0]
        text += (
            f"; {fell.touchpoint} fell significantly, {abs(fell.csat_change):.1f} pts on the previous {days} days "
            f"(now {fell.csat:.1f}%)"
        )
    else:
        text += f"; no touchpoint fell significantly on the previous {days} days"
    return text + "."


def volume_headline(table: pd.DataFrame) -> str:
    """Name the touchpoint that is both busy (above-median volume) and worst rated."""
    usable = table[~table["csat_small"].astype(bool) & table["csat"].notna()]
    if usable.empty:
        return "Not enough CSAT answers to place touchpoints on the satisfaction axis."
    busy = usable[usable["volume"] >= usable["volume"].median()]
    worst = busy.sort_values("csat").iloc[0]
    share = 100 * worst.volume / max(table["volume"].sum(), 1)
    return (
        f"{worst.touchpoint} is busy ({int(worst.volume):,} interactions, {share:.0f}% of all) and rated "
        f"{worst.csat:.1f}% CSAT: the largest pain point by volume."
    )


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
    history = flt.interactions(backend, scope, dated=False)
    history = history.filter(
        history.journey_stage.notnull()
        & (history.occurred_at < ibis.timestamp((filters.end + timedelta(days=1)).isoformat()))
        & history.customer_id.isin(active.customer_id)
    )
    order = ibis.cases(*[(history.journey_stage == s, i) for i, s in enumerate(JOURNEY_STAGES)], else_=None)
    reached = history.select("customer_id", "journey_stage", order=order).distinct()
    reached = metrics._group_column(backend, reached, by)
    per_stage = reached.group_by(["group", "journey_stage"]).aggregate(reached=reached.customer_id.nunique())
    furthest_per_customer = reached.filter(reached.order.notnull()).group_by(["group", "customer_id"])
    furthest = furthest_per_customer.aggregate(order=reached.order.max())
    stopped = furthest.group_by(["group", "order"]).aggregate(stopped=furthest.count())
    return flow_table(per_stage.execute(), stopped.execute())


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


def flow_headline(flow: pd.DataFrame) -> str:
    """The largest drop-out between two consecutive journey stages."""
    known = flow[flow["journey_stage"].isin(JOURNEY_STAGES)]
    if known.empty:
        return "No interactions with a journey stage in this period."
    groups = known["group"].unique()
    rows = known[known["group"] == groups[0]].reset_index(drop=True) if len(groups) == 1 else None
    if rows is None:
        last = known.groupby("group").apply(lambda g: g.iloc[-1]["share_of_top"], include_groups=False)
        return (
            f"{last.idxmax()} keeps the most customers to the last stage ({last.max():.0f}% of its first stage), "
            f"{last.idxmin()} the fewest ({last.min():.0f}%)."
        )
    if len(rows) < 2:
        return f"All {int(rows.reached.iloc[0]):,} customers are at the {rows.journey_stage.iloc[0]} stage."
    loss = rows["reached"].shift(1) - rows["reached"]
    at = int(loss.idxmax())
    before, after = rows.iloc[at - 1], rows.iloc[at]
    return (
        f"The biggest loss is between {before.journey_stage} and {after.journey_stage}: "
        f"{int(before.reached):,} → {int(after.reached):,} customers "
        f"({100 * (before.reached - after.reached) / before.reached:.0f}% do not continue)."
    )


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
    return table.sort_values(["touchpoint", "csat"]).reset_index(drop=True)


def channel_headline(table: pd.DataFrame) -> str:
    worse = table[table["worse"].astype(bool)].sort_values("difference")
    if table.empty:
        return "No CSAT answers that name both a touchpoint and a channel."
    if worse.empty:
        return "No channel is significantly worse than the other channels of the same touchpoint."
    w = worse.iloc[0]
    more = f" ({len(worse) - 1} more flagged)" if len(worse) > 1 else ""
    return (
        f"{w.touchpoint} by {w.channel} scores {w.csat:.1f}% CSAT (n = {int(w.n):,}), "
        f"{abs(w.difference):.1f} pts below its other channels{more}."
    )


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
        return pd.DataFrame(columns=columns)
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

    people = backend.table("customers").select("customer_id", "churn_date", "churned")
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
    revenue = with_spend.revenue.fill_null(0.0)
    frame = (
        with_spend.group_by(["survey", "experience"])
        .aggregate(
            customers=with_spend.count(),
            churned=with_spend.left.sum(),
            revenue_total=revenue.sum(),
            revenue_total_sq=(revenue * revenue).sum(),
        )
        .execute()
    )
    return frame[columns].sort_values(["survey", "experience"]).reset_index(drop=True)


def outcome_bars(outcomes: pd.DataFrame, survey: str) -> pd.DataFrame:
    """One survey's outcome rows in the shape charts.ranked_bars reads."""
    rows = outcomes[outcomes["survey"] == survey]
    return rows.rename(columns={"churn_rate": "value", "customers": "n"})


def outcome_table(counts: pd.DataFrame, min_n: int = stats.MIN_N) -> pd.DataFrame:
    """Per experience group: churn rate (Wilson interval) and mean revenue in the follow-up (t interval)."""
    rows = []
    order = {name: i for i, name in enumerate((*NPS_GROUPS, *CSAT_GROUPS))}
    for row in counts.to_dict("records"):
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
    return frame.sort_values(["survey", "order"]).drop(columns="order").reset_index(drop=True)


@dataclass(frozen=True)
class OutcomeGap:
    """Poor experience vs good: the churn gap, and what it costs.

    customers_at_risk = poor customers × (churn rate poor − churn rate good): the customers lost
    beyond what the same number of customers with a good experience would have lost.
    revenue_at_risk = poor customers × (revenue per good customer − revenue per poor customer)
    over the follow-up window. Both are None when the gap is not significant.
    """

    poor: str
    good: str
    churn_difference: float | None
    significant: bool
    p_value: float | None
    customers_at_risk: float | None
    revenue_at_risk: float | None
    revenue_difference: float | None
    revenue_significant: bool


def outcome_gap(table: pd.DataFrame, survey: str, min_n: int = stats.MIN_N) -> OutcomeGap | None:
    """The gap between the worst and best experience group of a survey ('nps' or 'csat')."""
    poor_name, good_name = (NPS_GROUPS[0], NPS_GROUPS[2]) if survey == "nps" else CSAT_GROUPS
    rows = table[table["survey"] == survey].set_index("experience") if len(table) else table
    if poor_name not in rows.index or good_name not in rows.index:
        return None
    poor, good = rows.loc[poor_name], rows.loc[good_name]
    if stats.is_small(poor.customers, min_n) or stats.is_small(good.customers, min_n):
        return OutcomeGap(poor_name, good_name, None, False, None, None, None, None, False)
    churn = stats.compare_proportions(int(poor.churned), int(poor.customers), int(good.churned), int(good.customers))
    n_poor, n_good = int(poor.customers), int(good.customers)
    revenue = stats.compare_means(
        poor.revenue_per_customer,
        metrics._sd(poor.revenue_total, poor.revenue_total_sq, n_poor),
        n_poor,
        good.revenue_per_customer,
        metrics._sd(good.revenue_total, good.revenue_total_sq, n_good),
        n_good,
    )
    at_risk = n_poor * churn.difference / 100 if churn.significant and churn.difference > 0 else None
    revenue_gap = n_poor * -revenue.difference if revenue.significant and revenue.difference < 0 else None
    return OutcomeGap(
        poor=poor_name,
        good=good_name,
        churn_difference=churn.difference,
        significant=churn.significant,
        p_value=churn.p_value,
        customers_at_risk=at_risk,
        revenue_at_risk=revenue_gap,
        revenue_difference=revenue.difference,
        revenue_significant=revenue.significant,
    )


def outcome_headline(table: pd.DataFrame, survey: str, days: int = FOLLOW_UP_DAYS) -> str:
    """'Detractors churned at 12.0% within 90 days vs 4.0% for promoters: about 96 customers and $48,000 at risk.'"""
    gap = outcome_gap(table, survey)
    if gap is None:
        return f"Not enough {'NPS' if survey == 'nps' else 'CSAT'} answers with {days} days of follow-up to compare."
    rows = table[table["survey"] == survey].set_index("experience")
    poor, good = rows.loc[gap.poor], rows.loc[gap.good]
    if gap.churn_difference is None:
        return f"Too few customers in {gap.poor} or {gap.good} with {days} days of follow-up to compare."
    if survey == "nps":
        text = (
            f"Detractors churned at {poor.churn_rate:.1f}% within {days} days vs {good.churn_rate:.1f}% for promoters"
        )
    else:
        text = (
            f"After a poor experience (CSAT 1–2) {poor.churn_rate:.1f}% of customers churned within {days} days, "
            f"after a good one (4–5) {good.churn_rate:.1f}%"
        )
    if not gap.significant:
        return text + " — not a significant difference."
    risk = f"about {gap.customers_at_risk:,.0f} customers" if gap.customers_at_risk else "no excess churn"
    if gap.revenue_at_risk:
        risk += f" and ${gap.revenue_at_risk:,.0f} of {days}-day revenue"
    return f"{text}: {risk} at risk."
