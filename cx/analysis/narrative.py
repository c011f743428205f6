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
from cx.analysis.metrics import Metric, Summary

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
    if change.direction is None:
        return f"about the same as {against} ({plus_minus(metric, change.difference, change.margin, unit)})"
    word = "up" if change.direction == "up" else "down"
    size = units.change(metric, change.difference, unit, signed=False)
    # The margin is in the unit just said: "down 5.4 min on the previous 90 days (±1.6)".
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
