"""Every sentence the dashboard says about its figures, from tested comparisons.

One module writes every headline, tile sentence and "what changed" line, so the
same question gets the same answer on every page (the Overview tile, the Trends
headline and the briefing all describe a metric's change with `describe_change`).

The rules:
- "up"/"down", "rose"/"fell", "better"/"worse" only when the comparison is
  significant at the page's level (two-sided, alpha 0.05), after
  Benjamini–Hochberg where many things are tested at once (segments,
  touchpoints, trend points); otherwise "about the same (+x ± m)", m being the
  95% margin of the difference.
- A period the data covers only in part, or with n below the minimum, is never
  the "latest" figure, nor the best or the worst (callers pass only complete
  periods; `cx.analysis.trends` marks them).
- Unequal values never read the same: "fell from 6 min to 6 min" is impossible
  (units.distinct adds the decimals it takes).
- Quarters read "Q4 2026", months "Nov 2026", weeks "week of 30 Nov 2026".

Pure functions of estimates, comparisons and small frames: tests are examples,
"given these counts, expect this sentence".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cx.analysis import stats, units
from cx.analysis.metrics import UNKNOWN, Metric, Summary
from cx.store.schema import JOURNEY_STAGES

# A figure that grows by construction (revenue to date) has no "weakest" period and no "fell".
CUMULATIVE = ("clv_observed",)
MODELS = ("projected_clv",)  # a projection, not an observation: its changes are not tested


# --- periods -----------------------------------------------------------------------------------


def period_label(period, grain: str) -> str:
    """'30 Nov 2026' (day), 'week of 30 Nov 2026', 'Nov 2026', 'Q4 2026'."""
    when = pd.Timestamp(period)
    if grain == "quarter":
        return f"Q{when.quarter} {when.year}"
    if grain == "month":
        return when.strftime("%b %Y")
    if grain == "week":
        return f"week of {when.day} {when:%b %Y}"
    return f"{when.day} {when:%b %Y}"


def period_tick(period, grain: str) -> str:
    """A short axis label: '30 Nov', 'Nov 2026', 'Q4 2026'."""
    when = pd.Timestamp(period)
    if grain in ("day", "week"):
        return f"{when.day} {when:%b}"
    return period_label(when, grain)


def previous_name(grain: str) -> str:
    return {"day": "the day before", "week": "the week before", "month": "the month before"}.get(
        grain, "the quarter before"
    )


# --- one tested comparison --------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A metric now against a reference (the previous period, the rest, a recent level), tested.

    `difference` = current - reference in the metric's units; `margin` is the 95% half-width of that
    difference; `significant` is the verdict at the page's level (after FDR control when the caller
    tested many at once).
    """

    metric: Metric
    current: float | None
    reference: float | None
    difference: float | None
    margin: float | None
    significant: bool
    p_value: float | None = None
    current_n: int = 0
    reference_n: int = 0

    @property
    def direction(self) -> str | None:
        """'up' or 'down' for a significant, non-zero change; None when it may be noise."""
        if not self.significant or not self.difference:
            return None
        return "up" if self.difference > 0 else "down"

    @property
    def tone(self) -> str | None:
        """'better' or 'worse' for a significant change, by the metric's direction; else None."""
        if self.direction is None:
            return None
        return "better" if (self.direction == "up") == self.metric.higher_is_better else "worse"

    @property
    def tested(self) -> bool:
        return self.p_value is not None or self.significant


def _half_width(estimate: stats.Estimate | None) -> float | None:
    if estimate is None or estimate.ci_low is None or estimate.ci_high is None:
        return None
    return (estimate.ci_high - estimate.ci_low) / 2


def margin(
    comparison: stats.Comparison,
    current: stats.Estimate | None = None,
    reference: stats.Estimate | None = None,
    from_test: bool = True,
) -> float | None:
    """The 95% half-width of a difference.

    From the test itself when it is a z or t test on that difference (so "± m" and the verdict agree:
    |difference| > m exactly when p < 0.05 for a z-test); otherwise from the two intervals, as
    √(m₁² + m₂²) for independent estimates (medians, whose test is on shares above the median).
    """
    d, z = comparison.difference, comparison.statistic
    if from_test and d and z and math.isfinite(z) and abs(z) > 1e-12:
        return abs(d) * stats.Z95 / abs(z)
    a, b = _half_width(current), _half_width(reference)
    if a is None or b is None:
        return None
    return math.sqrt(a * a + b * b)


def change_from_summary(summary: Summary) -> Change:
    """The period-over-period change of a Summary (cx.metrics.summary) as a Change."""
    metric, comparison = summary.metric, summary.comparison
    previous = summary.previous
    # Mood's median test: its statistic is about shares above the median, not about the medians.
    m = margin(comparison, summary.current, previous, from_test=metric.unit != "s")
    return Change(
        metric=metric,
        current=summary.current.value,
        reference=None if previous is None else previous.value,
        difference=comparison.difference,
        margin=m,
        significant=bool(comparison.significant) and metric.key not in MODELS,
        p_value=comparison.p_value,
        current_n=summary.current.n,
        reference_n=0 if previous is None else previous.n,
    )


def plus_minus(metric: Metric, difference: float, margin_: float | None, unit: units.Unit | None = None) -> str:
    """'+2 ± 3 pts', '-0.4 ± 1.1 min', '+0.05 ± 0.08'; just the difference when there is no margin."""
    shown = units.change(metric, difference, unit)
    if margin_ is None:
        return shown
    number, _, suffix = shown.partition(" ")
    return f"{number} ± {_bare(metric, margin_, unit)}" + (f" {suffix}" if suffix else "")


def _bare(metric: Metric, size: float, unit: units.Unit | None) -> str:
    """A size without its unit word ('1.6' for 1.6 min, '3.8' for 3.8 pts; money keeps its '$')."""
    return units.change(metric, size, unit, signed=False).partition(" ")[0]


def compared(change: Change, against: str, unit: units.Unit | None = None, min_n: int = stats.MIN_N) -> str:
    """The verdict phrase: 'up 4.9 pts on the previous 90 days (±1.8)', 'about the same as the week before (+2 ± 3 pts)'.

    `against` names the reference: 'the previous 90 days', 'the week before', 'the rest'.
    """
    metric = change.metric
    if change.reference is None or change.difference is None:
        return f"no data for {against} to compare"
    if stats.is_small(change.current_n, min_n) or stats.is_small(change.reference_n, min_n):
        return f"too few answers to compare with {against}"
    if metric.key in MODELS:
        return f"{units.change(metric, change.difference, unit)} on {against} (a projection, not tested)"
    word = "up" if change.direction == "up" else "down"
    size = units.change(metric, change.difference, unit, signed=False)
    if metric.unit == "s":
        # Medians are tested on the shares above the pooled median (Mood), so a "± m" from their two intervals
        # can disagree with the verdict ("down 5.0 min (±5.7)"): say what they are compared with instead.
        before = units.value(metric, change.reference, unit)
        if change.direction is None:
            return f"about the same as {against} ({before})"
        return f"{word} {size} on {against} (from {before})"
    if change.direction is None:
        return f"about the same as {against} ({plus_minus(metric, change.difference, change.margin, unit)})"
    # The margin is in the unit just said: "up 4.9 pts on the previous 90 days (±1.8)".
    width = "" if change.margin is None else f" (±{_bare(metric, change.margin, unit)})"
    return f"{word} {size} on {against}{width}"


# --- the Overview tile and the "what changed" lines -------------------------------------------


def figure(summary: Summary, days: int | None = None, grain: str | None = None, p90: bool = True) -> str:
    """'NPS 27', 'First response 7.5 min (median; 90% within 25 min)', '90-day churn 3.9%'."""
    metric = summary.metric
    name = units.label(metric, days, grain, snapshot=summary.basis == "snapshot")
    unit = units.unit_for(metric, summary.current.value)
    text = f"{name.replace(' (median)', '')} {units.value(metric, summary.current.value, unit)}"
    if metric.unit == "s":
        slowest = summary.extra.get("p90") if p90 else None
        text += " (median" + (
            f"; 90% within {units.value(metric, slowest, units.unit_for(metric, slowest))})" if slowest else ")"
        )
    return text


def tile_sentence(summary: Summary, days: int, min_n: int = stats.MIN_N, with_n: bool = True) -> str:
    """One plain sentence per figure, from the same tested comparison the Trends headline uses.

    'NPS 27, about the same as the previous 90 days (+2 ± 3 pts), n = 4,893.' A tile that shows n
    just above the sentence leaves it out (with_n=False); a small n is always said.
    """
    metric, current = summary.metric, summary.current
    if current.value is None:
        return f"No {units.label(metric, days)} data in this period."
    text = figure(summary, days, p90=False)  # the tile shows the 90th percentile beside the median
    n = f"n = {units.count(current.n)}"
    if stats.is_small(current.n, min_n):
        return f"{text}: {n} is too small to rely on."
    tail = f", {n}." if with_n else "."
    if summary.basis == "snapshot":
        return f"{text}: the data has no churn dates, so there is no earlier period to compare{tail}"
    unit = units.unit_for(metric, current.value)
    return f"{text}, {compared(change_from_summary(summary), f'the previous {days} days', unit, min_n)}{tail}"


@dataclass(frozen=True)
class Line:
    """One 'what changed' line: its text, and the verdict behind it (for ordering and colour)."""

    key: str
    text: str
    significant: bool
    tone: str | None


def what_changed(summaries: Sequence[Summary], days: int, min_n: int = stats.MIN_N) -> list[Line]:
    """One line per metric, significant changes first (largest |z| first), then the steady ones.

    Each metric's change is its own question, tested exactly as on its tile and its Trends headline,
    so a briefing never contradicts a page.
    """
    lines = []
    for summary in summaries:
        if summary.current.value is None:
            continue
        change = change_from_summary(summary)
        text = tile_sentence(summary, days, min_n)
        strength = abs(summary.comparison.statistic or 0) if change.direction else 0
        if change.direction and not math.isfinite(strength):
            strength = 1e9
        lines.append(
            (not bool(change.direction), -strength, Line(summary.metric.key, text, bool(change.direction), change.tone))
        )
    return [line for *_, line in sorted(lines, key=lambda item: (item[0], item[1]))]


# --- trends ------------------------------------------------------------------------------------


def trend_headline(
    frame: pd.DataFrame, metric: Metric, grain: str, summary: Summary | None = None, days: int | None = None
) -> str:
    """The Trends headline for one series: the period's tested change, then the latest complete period.

    `frame` is a cx.analysis.trends frame (one group): `complete`, and per period the test against the
    period before (`prev_difference`, `prev_margin`, `prev_significant`) and the recent level
    (`recent_significant`, `recent_difference`). Incomplete periods are never named as the latest.
    """
    sentences = []
    if summary is not None and summary.current.value is not None and days:
        sentences.append(_period_sentence(summary, days))
    usable = frame[frame["complete"].astype(bool) & frame["value"].notna()].sort_values("period")
    if usable.empty:
        sentences.append(
            f"No {grain} in this range has enough data to read on its own; widen the period or use a coarser grain."
        )
        return " ".join(sentences)
    last = usable.iloc[-1]
    unit = units.unit_for(metric, frame["value"])
    latest = f"Latest full {grain} ({period_label(last.period, grain)}): {units.value(metric, last.value, unit)} (n = {units.count(last.n)})"
    if metric.key in CUMULATIVE:
        sentences.append(latest + ".")
    else:
        before = usable.iloc[-2] if len(usable) > 1 else None
        if (
            before is not None
            and _adjacent(before.period, last.period, grain)
            and pd.notna(last.get("prev_difference"))
        ):
            change = Change(
                metric, last.value, before.value, float(last.prev_difference), _float(last.get("prev_margin")),
                bool(last.prev_significant), _float(last.get("prev_p_value")), int(last.n), int(before.n),
            )  # fmt: skip
            latest = f"{latest}, {compared(change, previous_name(grain), unit)}"
        if bool(last.get("recent_significant")) and _float(last.get("recent_difference")):
            side = "below" if last.recent_difference < 0 else "above"
            size = units.change(metric, abs(last.recent_difference), unit, signed=False)
            latest += f"; {size} {side} the level of the {grain}s before"
        sentences.append(latest + ".")
        standing_out = _standing_out(usable.iloc[:-1], metric, grain, unit)
        if standing_out:
            sentences.append(standing_out)
    return " ".join(sentences)


def _period_sentence(summary: Summary, days: int) -> str:
    metric = summary.metric
    unit = units.unit_for(metric, summary.current.value)
    text = f"Over these {days} days: {figure(summary, days)}"
    if summary.basis == "snapshot" or stats.is_small(summary.current.n, stats.MIN_N):
        return text + f" (n = {units.count(summary.current.n)})."
    return f"{text}, {compared(change_from_summary(summary), f'the previous {days} days', unit)}."


def _standing_out(usable: pd.DataFrame, metric: Metric, grain: str, unit: units.Unit) -> str:
    """Periods significantly off the series' recent level (FDR-controlled), worst first; at most two named."""
    if "recent_significant" not in usable:
        return ""
    flagged = usable[usable["recent_significant"].astype(bool)]
    if flagged.empty:
        return ""
    worse = flagged[[_tone(metric, d) == "worse" for d in flagged["recent_difference"]]]
    chosen = worse if len(worse) else flagged
    chosen = chosen.reindex(chosen["recent_difference"].abs().sort_values(ascending=False).index).head(2)
    parts = []
    for row in chosen.itertuples():
        side = "below" if row.recent_difference < 0 else "above"
        parts.append(
            f"{'the ' if grain == 'week' else ''}{period_label(row.period, grain)} ({units.value(metric, row.value, unit)}, "
            f"{units.change(metric, abs(row.recent_difference), unit, signed=False)} {side} the level of the {grain}s before)"
        )
    what = "stands out" if len(parts) == 1 else "stand out"
    return f"{_capital(' and '.join(parts))} {what}."


def _tone(metric: Metric, difference: float) -> str | None:
    if not difference:
        return None
    return "better" if (difference > 0) == metric.higher_is_better else "worse"


def _adjacent(a, b, grain: str) -> bool:
    a, b = pd.Timestamp(a), pd.Timestamp(b)
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}.get(
        grain, pd.DateOffset(months=3)
    )
    return a + step == b


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- groups against the rest (Segments, and a split on Trends) --------------------------------


def versus_rest_headline(table: pd.DataFrame, metric: Metric, by_label: str, days: int | None = None) -> str:
    """'Consumer is significantly worse on CSAT: 68% (n = 2,104) vs 74% for the rest; Enterprise is significantly better (77%, n = 812).'

    `table` is cx.analysis.segments.versus_rest output: each group against all the others,
    significance after Benjamini–Hochberg across the groups. Asked the same question (which group
    is best or worst), the Segments page and a split trend give this same answer.
    """
    name = units.label(metric, days, snapshot=bool((table.get("basis") == "snapshot").any()) if len(table) else False)
    usable = table[~table["small"].astype(bool) & table["value"].notna()]
    what = by_label.lower()
    if len(table) and (table["group"] == UNKNOWN).all():
        return f"No {what} is recorded for the {metric.counted} behind {name}, so there is nothing to compare."
    if usable.empty:
        return f"Too few answers per {what} to compare on {name}."
    unit = units.unit_for(metric, usable["value"])
    if len(usable) == 1:
        only = usable.iloc[0]
        return (
            f"Only {only.group} has enough data to read on {name}: {units.value(metric, only.value, unit)} "
            f"(n = {units.count(only.n)}); there is no other {what} to compare it with."
        )
    worse = usable[usable["direction"] == "worse"]
    better = usable[usable["direction"] == "better"]
    if worse.empty and better.empty:
        best, worst = usable.iloc[0], usable.iloc[-1]
        high, low = units.distinct(metric, best.value, worst.value, unit)
        return (
            f"No {what} differs significantly from the rest on {name} "
            f"(from {high} for {best.group} to {low} for {worst.group})."
        )
    if not worse.empty:
        w = worse.iloc[-1]
        text = (
            f"{w.group} is significantly worse on {name}: {units.value(metric, w.value, unit)} (n = {units.count(w.n)})"
        )
        if _float(w.rest_value) is not None:
            text += f" vs {units.distinct(metric, w.value, w.rest_value, unit)[1]} for the rest"
    else:
        text = f"No {what} is significantly worse on {name}"
    if not better.empty:
        b = better.iloc[0]
        text += f"; {b.group} is significantly better ({units.value(metric, b.value, unit)}, n = {units.count(b.n)})"
    return text + "."


# --- the journey ------------------------------------------------------------------------------


def pain_colours(label: str, days: int) -> str:
    """What the pain-point bars' colours mean (the page's note and the PDF's)."""
    return (f"Red: {label} got significantly worse against the previous {days} days; blue: significantly better; "
            "dark grey: no significant change. With many touchpoints tested at once, false discoveries are "
            "controlled (Benjamini–Hochberg), so a coloured bar is unlikely to be chance. Light grey: fewer than "
            f"{stats.MIN_N} answers.")  # fmt: skip


def pain_headline(table: pd.DataFrame, metric: Metric, days: int) -> str:
    """'Billing inquiry has the lowest CSAT (53%, n = 1,306); no touchpoint changed significantly on the previous 90 days.'

    `table` is cx.analysis.journey.touchpoints; changes are significant only after BH across touchpoints.
    """
    if table.empty or table["value"].isna().all():
        return f"No {metric.label} answers name a touchpoint in this period, so touchpoints cannot be ranked."
    usable = table[~table["small"].astype(bool) & table["value"].notna()]
    if len(usable) < 2:
        return (
            f"Too few {metric.label} answers per touchpoint to rank them (at least {stats.MIN_N} each for two "
            "touchpoints); widen the date range."
        )
    unit = units.unit_for(metric, usable["value"])
    worst_first = usable.sort_values("value", ascending=metric.higher_is_better)
    worst = worst_first.iloc[0]
    text = f"{worst.touchpoint} has the {'lowest' if metric.higher_is_better else 'highest'} {metric.label} "
    text += f"({units.value(metric, worst.value, unit)}, n = {units.count(worst.n)})"
    against = f"the previous {days} days"
    if worst.direction == "worse":
        text += (
            f" and {_fell_or_rose(worst.change)} {units.change(metric, worst.change, unit, signed=False)} on {against}"
        )
        return text + "."
    moved = usable[usable["direction"] == "worse"]
    if len(moved):
        m = moved.reindex(moved["change"].abs().sort_values(ascending=False).index).iloc[0]
        return (
            f"{text}; {m.touchpoint} {_fell_or_rose(m.change)} significantly, "
            f"{units.change(metric, m.change, unit, signed=False)} on {against} "
            f"(now {units.value(metric, m.value, unit)})."
        )
    return f"{text}; no touchpoint got significantly worse on {against}."


def _fell_or_rose(change: float) -> str:
    return "fell" if change < 0 else "rose"


def volume_headline(table: pd.DataFrame, metric: Metric) -> str:
    """Among the busier half of the touchpoints, the one rated worst, with its share of all interactions."""
    usable = table[~table["small"].astype(bool) & table["value"].notna() & (table["volume"] > 0)]
    if len(usable) < 2:
        return f"Too few touchpoints with both interactions and {metric.label} answers to weigh volume against rating."
    busy = usable[usable["volume"] >= usable["volume"].median()]
    worst = busy.sort_values("value", ascending=metric.higher_is_better).iloc[0]
    share = 100 * worst.volume / max(table["volume"].sum(), 1)
    unit = units.unit_for(metric, usable["value"])
    return (
        f"Of the busier half of the touchpoints, {worst.touchpoint} is rated lowest: {metric.label} "
        f"{units.value(metric, worst.value, unit)} (n = {units.count(worst.n)}) on {units.count(worst.volume)} "
        f"interactions, {share:.0f}% of all."
    )


def shift_lines(shifts: pd.DataFrame, metrics_by_key: dict[str, Metric]) -> tuple[str, list[str]]:
    """The 'worth a look' box: a lead sentence and one line per flagged touchpoint-month (cx.journey.touchpoint_shifts).

    'Billing inquiry: CSAT fell to 11% in Jul 2026, 42 pts below its level of the months before (53%), n = 522.'
    """
    attrs = shifts.attrs
    if shifts.empty:
        return "", []
    lead = (
        f"Worth a look: tested month by month against each touchpoint's own recent level "
        f"({units.count(attrs.get('tests'))} tests over {attrs.get('touchpoints')} touchpoints, "
        f"{_day(attrs.get('start'))} – {_day(attrs.get('end'))}, false discoveries controlled), these stand out."
    )
    lines = []
    for row in shifts.itertuples():
        metric = metrics_by_key[row.metric]
        unit = units.unit_for(metric, row.value)
        side = "below" if row.difference < 0 else "above"
        lines.append(
            f"{row.touchpoint}: {metric.label} {_fell_or_rose(row.difference)} to {units.value(metric, row.value, unit)} "
            f"in {period_label(row.period, 'month')}, {units.change(metric, abs(row.difference), unit, signed=False)} "
            f"{side} its level of the months before ({units.value(metric, row.level, unit)}), n = {units.count(row.n)}."
        )
    return lead, lines


def _day(value) -> str:
    return "" if value is None else f"{pd.Timestamp(value).day} {pd.Timestamp(value):%b %Y}"


def focus_headline(row, metric: Metric, name: str, others: str, days: int | None = None) -> str:
    """One item against the rest: 'Billing inquiry: CSAT 47% (n = 4,317) vs 75% for the other touchpoints,
    significantly lower (-28 ± 2 pts).' `row` is one row of a versus-the-rest table (BH across the items)."""
    label = units.label(metric, days)
    if row is None or _float(row.value) is None:
        return f"No {label} data for {name} in this period."
    unit = units.unit_for(metric, row.value)
    text = f"{name}: {label} {units.value(metric, row.value, unit)} (n = {units.count(row.n)})"
    if stats.is_small(row.n, stats.MIN_N):
        return f"{text}, too few to compare with {others}."
    rest = _float(getattr(row, "rest_value", None))
    if rest is None:
        return f"{text}; there is nothing to compare it with."
    now, them = units.distinct(metric, row.value, rest, unit)
    text = f"{name}: {label} {now} (n = {units.count(row.n)}) vs {them} for {others}"
    difference = _float(row.difference)
    if getattr(row, "direction", None) in ("better", "worse") and difference:
        word = "higher" if difference > 0 else "lower"
        return f"{text}, significantly {word} ({units.change(metric, difference, unit)})."
    return f"{text}: not a significant difference."


def flow_headline(flow: pd.DataFrame) -> str:
    """The largest drop-out between two consecutive journey stages; for a split, the last stage kept, tested."""
    known = flow[flow["journey_stage"].isin(JOURNEY_STAGES)]
    if known.empty:
        return "No interactions with a journey stage in this period."
    groups = list(dict.fromkeys(known["group"]))
    if len(groups) > 1:
        last = known.groupby("group", sort=False).agg(first=("reached", "max"), kept=("reached", "last"))
        last["share"] = 100 * last["kept"] / last["first"]
        best, worst = last["share"].idxmax(), last["share"].idxmin()
        test = stats.compare_proportions(
            int(last.loc[best, "kept"]), int(last.loc[best, "first"]), int(last.loc[worst, "kept"]),
            int(last.loc[worst, "first"]),
        )  # fmt: skip
        share = (
            f"{last.loc[best, 'share']:.0f}% of its first stage for {best}, {last.loc[worst, 'share']:.0f}% for {worst}"
        )
        pairs = len(groups) * (len(groups) - 1) / 2  # best against worst is one of that many pairs (Bonferroni)
        if test.p_value is not None and test.p_value * pairs < stats.ALPHA:
            return f"{best} keeps significantly more customers to the last stage than {worst} ({share})."
        return f"No group keeps significantly more customers to the last stage ({share})."
    rows = known.reset_index(drop=True)
    if len(rows) < 2:
        return f"All {units.count(rows.reached.iloc[0])} customers are at the {rows.journey_stage.iloc[0]} stage."
    loss = rows["reached"].shift(1) - rows["reached"]
    at = int(loss.idxmax())
    before, after = rows.iloc[at - 1], rows.iloc[at]
    return (
        f"The biggest loss is between {before.journey_stage} and {after.journey_stage}: "
        f"{units.count(before.reached)} → {units.count(after.reached)} customers "
        f"({100 * (before.reached - after.reached) / before.reached:.0f}% do not continue)."
    )


def stage_headline(flow: pd.DataFrame, stage: str) -> str:
    """A stage picked in the funnel: how many reached it, against the first stage, and how many went no further."""
    rows = flow[(flow["journey_stage"] == stage)]
    if rows.empty:
        return f"No customer in this period reached the {stage} stage."
    row = rows.iloc[0]
    return (
        f"{units.count(row.reached)} customers reached {stage} ({row.share_of_top:.0f}% of the stage most reached); "
        f"{units.count(row.stopped)} of them ({0 if pd.isna(row.stopped_share) else row.stopped_share:.0f}%) "
        "went no further so far."
    )


def channel_headline(table: pd.DataFrame) -> str:
    """The channel furthest below the same touchpoint's other channels, when significantly so (BH)."""
    if table.empty:
        return "No CSAT answers that name both a touchpoint and a channel."
    worse = table[table["worse"].astype(bool)].sort_values("difference")
    if worse.empty:
        return "No channel is significantly worse than the other channels of the same touchpoint."
    w = worse.iloc[0]
    more = f" ({len(worse) - 1} more flagged)" if len(worse) > 1 else ""
    return (
        f"{w.touchpoint} by {w.channel} scores {w.csat:.1f}% CSAT (n = {units.count(w.n)}), "
        f"{abs(w.difference):.1f} pts below its other channels{more}."
    )


def _rounded(value: float, money: bool = False) -> str:
    """Two significant figures, for ranges that must not look more precise than they are: '$1.9M', '60'."""
    if value == 0:
        return "$0" if money else "0"
    digits = 1 - int(math.floor(math.log10(abs(value))))  # negative for hundreds and more: 237.7 → 240
    rounded = round(value, digits)
    prefix = "$" if money else ""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")) if money else ():
        if abs(rounded) >= size:
            return f"{prefix}{rounded / size:.2g}{suffix}"
    return f"{prefix}{rounded:,.0f}"


def outcome_headline(gap, survey: str, days: int) -> str:
    """'After a poor experience (CSAT 1–2) 7.8% churned within 90 days, after a good one 3.0%, compared within
    segment and plan: about 18–40 customers and $1.1M–$2.9M of 90-day revenue go with it — an association, not proof of cause.'

    `gap` is cx.analysis.journey.outcome_gap (None when a group is missing).
    """
    name = "NPS" if survey == "nps" else "CSAT"
    if gap is None:
        return f"Not enough {name} answers with {days} days of follow-up to compare."
    if gap.churn_difference is None:
        return f"Too few customers in {gap.poor} and {gap.good} of the same segment and plan with {days} days of follow-up to compare."
    if survey == "nps":
        text = f"Detractors churned at {gap.poor_rate:.1f}% within {days} days vs {gap.good_rate:.1f}% for promoters of the same segment and plan"
    else:
        text = (
            f"After a poor experience (CSAT 1–2) {gap.poor_rate:.1f}% of customers churned within {days} days, after a "
            f"good one (4–5) {gap.good_rate:.1f}%, within the same segment and plan"
        )
    if not gap.significant:
        return text + ": not a significant difference."
    risk = f"about {_rounded(gap.customers_low)}–{_rounded(gap.customers_high)} customers"
    if gap.revenue_at_risk is not None:
        money = (
            f"up to {_rounded(gap.revenue_high, True)}"
            if _rounded(gap.revenue_low, True) == "$0"
            else f"{_rounded(gap.revenue_low, True)}–{_rounded(gap.revenue_high, True)}"
        )
        risk += f" and {money} of {days}-day revenue"
    return f"{text}: {risk} lost beyond what like customers with a good experience lost — an association, not proof of cause."


# --- segments ---------------------------------------------------------------------------------


def named_groups(frame: pd.DataFrame) -> list[str]:
    """The groups that have a name and a value ('Unknown' is not a group one can compare with the rest)."""
    if frame.empty:
        return []
    rows = frame[(frame["group"] != UNKNOWN) & frame["value"].notna()]
    return list(dict.fromkeys(rows["group"]))


def heatmap_headline(frame: pd.DataFrame, by_label: str, labels: dict[str, str]) -> str:
    """The group significantly worse than the rest on the most metrics (BH within each metric)."""
    if frame.empty:
        return f"No data to compare by {by_label.lower()}."
    if not named_groups(frame):
        return f"No {by_label.lower()} is recorded in this data, so there is nothing to compare."
    if len(named_groups(frame)) < 2:
        return f"Only one {by_label.lower()} is recorded in this data ({named_groups(frame)[0]}): nothing to compare."
    worse = frame[frame["direction"] == "worse"]
    if worse.empty:
        return f"No {by_label.lower()} is significantly worse than the rest on any metric."
    counts = worse.groupby("group").size().sort_values(ascending=False, kind="stable")
    group = counts.index[0]
    names = ", ".join(labels.get(k, k) for k in worse[worse["group"] == group]["metric"])
    of = "1 metric" if counts.iloc[0] == 1 else f"{counts.iloc[0]} metrics"
    return f"{group} is significantly worse than the rest on {of}: {names}."


def two_groups_headline(frame: pd.DataFrame, metric: Metric, groups: tuple[str, str], grain: str, days: int) -> str:
    """'Over these 90 days Enterprise's NPS is about the same as Mid-market's: 30 (n = 585) against 25
    (n = 1,193), +5 ± 9 pts. Latest full week (week of 23 Nov 2026): Enterprise 30, Mid-market 39.'"""
    first, second = groups
    pair = frame.attrs.get("pair")
    label = units.label(metric, days)
    if not pair or pair["first"] is None or pair["second"] is None:
        return f"Too few answers in {first} or {second} to compare them on {label}."
    unit = units.unit_for(metric, [pair["first"], pair["second"]])
    a, b = units.distinct(metric, pair["first"], pair["second"], unit)
    counts = f"{a} (n = {units.count(pair['first_n'])}) against {b} (n = {units.count(pair['second_n'])})"
    small = stats.is_small(pair["first_n"], stats.MIN_N) or stats.is_small(pair["second_n"], stats.MIN_N)
    difference = pair["difference"]
    if small:
        verdict = f"Over these {days} days {first}'s {label} cannot be compared with {second}'s: {counts}, too few."
    elif pair["significant"] and difference:
        word = "higher" if difference > 0 else "lower"
        verdict = (
            f"Over these {days} days {first}'s {label} is significantly {word} than {second}'s: {counts}, "
            f"{plus_minus(metric, difference, pair['margin'], unit)}."
        )
    else:
        verdict = (
            f"Over these {days} days {first}'s {label} is about the same as {second}'s: {counts}, "
            f"{plus_minus(metric, difference or 0.0, pair['margin'], unit)}."
        )
    usable = frame[frame["complete"].astype(bool)] if "complete" in frame else frame.iloc[0:0]
    both = usable.pivot_table(index="period", columns="group", values="value")
    if first in both and second in both and len(both[[first, second]].dropna()):
        latest = both[[first, second]].dropna().index.max()
        x, y = units.distinct(
            metric, both.loc[latest, first], both.loc[latest, second], units.unit_for(metric, frame["value"])
        )
        verdict += f" Latest full {grain} ({period_label(latest, grain)}): {first} {x}, {second} {y}."
    return verdict


def drivers_headline(table: pd.DataFrame, target: str) -> str:
    """The strongest driver in each list (touchpoints, attributes), by its interval's lower bound, significant only."""
    what = "NPS" if target == "nps" else "churn"
    if table.empty:
        return f"Nothing we measured can be compared on {what} for these customers."
    unit = "pts"
    parts = []
    for kind in ("touchpoint", "attribute"):
        rows = table[(table["kind"] == kind) & table["significant"].astype(bool)]
        if rows.empty:
            continue
        top = rows.sort_values("strength", ascending=False).iloc[0]
        decimals = 0 if target == "nps" else 1
        low, high = sorted((abs(top.ci_low), abs(top.ci_high)))
        size = f"{abs(top.effect):.{decimals}f} {unit}"
        width = f"95% range {low:.{decimals}f}–{high:.{decimals}f}"
        more_or_less = "higher" if top.effect > 0 else "lower"
        if kind == "touchpoint":
            parts.append(
                f"customers satisfied at {top.label} have {what} {size} {more_or_less} than those who were not "
                f"({width}, n = {units.count(top.n)})"
            )
        else:
            parts.append(
                f"{top.label} goes with {what} {size} {more_or_less} than other customers "
                f"({width}, n = {units.count(top.n_in)} vs {units.count(top.n_out)})"
            )
    if not parts:
        return f"Nothing we measured goes significantly with {what} for these customers."
    return _capital("; ".join(parts)) + " — a correlation, not proof of cause."


# --- annotations ------------------------------------------------------------------------------


def across_headline(label: str, day, days: int, summary: Summary | None, metric: Metric) -> str:
    """'Across “New billing system live” (15 Jul 2026): CSAT 41% in the 28 days from then, down 21.0 pts on the
    28 days before (±6.2), n = 320.' Untested, and said so, when the day is too close to the data's edge."""
    name = f"“{label}” ({_day(day)})"
    if summary is None or days <= 0:
        return f"Across {name}: too close to the edge of the data to compare a week before with a week after."
    if summary.current.value is None:
        return f"Across {name}: no {units.label(metric, days)} data in the {days} days from then."
    text = figure(summary, days, p90=False)
    n = f"n = {units.count(summary.current.n)}"
    if stats.is_small(summary.current.n):
        return f"Across {name}: {text} in the {days} days from then, but {n} is too small to rely on."
    unit = units.unit_for(metric, summary.current.value)
    against = compared(change_from_summary(summary), f"the {days} days before", unit)
    return f"Across {name}: {text} in the {days} days from then, {against}, {n}."
