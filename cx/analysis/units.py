"""One formatter for every unit the dashboard shows: tiles, sentences, axes, hovers, tables, CSV headers.

A figure is shown in one unit wherever it appears. Durations are stored in seconds
and shown in the largest sensible unit for the figure at hand ("7.5 min", not
"451.8"); the chart, its hover, its table and its CSV header use the same unit,
chosen once by `unit_for`. Every number has thousands separators. Churn and
retention always say their basis ("90-day churn", "monthly churn"), because a
monthly rate and a 90-day rate of the same customers differ threefold.

Pure functions of a `cx.metrics.Metric` (only its `unit`, `decimals` and `label`
are read), so nothing here touches data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import pandas as pd


class MetricLike(Protocol):
    key: str
    label: str
    unit: str  # "pts" (NPS), "%", "score", "s", "$"
    decimals: int


@dataclass(frozen=True)
class Unit:
    """How one figure's numbers are shown: `factor` divides the stored value, `symbol` follows it."""

    name: str  # "minutes", "percent", "points", "score", "dollars"
    symbol: str  # "min", "%", "pts", "", "$"
    factor: float = 1.0
    decimals: int | None = None  # None: chosen by size (durations)

    def convert(self, value: float) -> float:
        return value / self.factor


SECONDS = Unit("seconds", "s", 1.0)
MINUTES = Unit("minutes", "min", 60.0)
HOURS = Unit("hours", "h", 3600.0)
DAYS = Unit("days", "days", 86400.0)
DURATIONS = (SECONDS, MINUTES, HOURS, DAYS)

CHURN_KEYS = ("churn_rate", "retention_rate")
FIELD_LABELS = {
    "segment": "Segment",
    "region": "Region",
    "plan": "Plan",
    "channel": "Channel",
    "journey_stage": "Journey stage",
    "touchpoint": "Touchpoint",
}
ATTRIBUTE_PREFIX = "attr."  # as in cx.analysis.filters: an attribute a customers file brought
GRAIN_ADJECTIVE = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly"}
DASH = "–"  # shown for no data: unknown, never 0


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or bool(pd.isna(value))


# --- choosing the unit ----------------------------------------------------------------------


def duration_unit(seconds: float | None) -> Unit:
    """The largest unit in which a typical duration still reads as a number above ~1.5.

    Under 90 s: seconds; under 90 minutes: minutes; under 48 hours: hours; else days.
    """
    if _missing(seconds) or seconds < 90:
        return SECONDS
    if seconds < 90 * 60:
        return MINUTES
    if seconds < 48 * 3600:
        return HOURS
    return DAYS


def unit_for(metric: MetricLike, values: Iterable[float | None] | float | None = None) -> Unit:
    """The one unit for a figure of `metric` whose typical value is the median of `values`.

    Durations pick their unit from the values; every other metric has a fixed unit.
    """
    if metric.unit == "s":
        if values is None or isinstance(values, int | float):
            return duration_unit(values)
        present = [float(v) for v in values if not _missing(v)]
        return duration_unit(float(pd.Series(present).median()) if present else None)
    return {
        "%": Unit("percent", "%", decimals=metric.decimals),
        "pts": Unit("points", "", decimals=metric.decimals),
        "$": Unit("dollars", "$", decimals=0),
    }.get(metric.unit, Unit("score", "", decimals=metric.decimals))


def _duration_decimals(shown: float) -> int:
    return 1 if abs(shown) < 10 else 0


# --- numbers ---------------------------------------------------------------------------------


def count(n: float | None) -> str:
    """A count with thousands separators: 4893 → '4,893'."""
    return DASH if _missing(n) else f"{int(round(n)):,}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: 1 comment, 2 comments, 1,204 themes."""
    return f"{count(n)} {noun if n == 1 else plural or noun + 's'}"


def number(value: float | None, decimals: int = 0) -> str:
    return DASH if _missing(value) else f"{value:,.{decimals}f}"


def value(metric: MetricLike, v: float | None, unit: Unit | None = None, extra_decimals: int = 0) -> str:
    """A metric's value as people read it: 'NPS 27' → '27', '73%', '5.04', '7.5 min', '$1,204'."""
    if _missing(v):
        return DASH
    unit = unit or unit_for(metric, v)
    if metric.unit == "s":
        shown = unit.convert(v)
        return f"{shown:,.{_duration_decimals(shown) + extra_decimals}f} {unit.symbol}"
    decimals = (unit.decimals or 0) + extra_decimals
    if metric.unit == "%":
        return f"{v:,.{decimals}f}%"
    if metric.unit == "$":
        return f"{'-' if v < 0 else ''}${abs(v):,.{decimals}f}"
    return f"{v:,.{decimals}f}"


def change(metric: MetricLike, difference: float | None, unit: Unit | None = None, signed: bool = True) -> str:
    """A difference in the metric's units: '+4.9 pts', '-5.0 min', '+0.22', '+$120'.

    Percentages change by percentage points (pts), NPS by points; signed=False drops the sign.
    """
    if _missing(difference):
        return DASH
    sign = ("+" if difference > 0 else "-" if difference < 0 else "") if signed else ""
    size = abs(difference)
    if metric.unit == "s":
        unit = unit or unit_for(metric, size)
        shown = unit.convert(size)
        return f"{sign}{shown:,.{_visible(shown, _duration_decimals(shown))}f} {unit.symbol}"
    if metric.unit == "%":
        return f"{sign}{size:,.{_visible(size, max(metric.decimals, 1))}f} pts"
    if metric.unit == "pts":
        return f"{sign}{size:,.{_visible(size, metric.decimals)}f} pts"
    if metric.unit == "$":
        return f"{sign}${size:,.0f}"
    return f"{sign}{size:,.{_visible(size, 2)}f}"


def _visible(size: float, decimals: int, most: int = 3) -> int:
    """Enough decimals that a non-zero difference does not print as 0 ('+0.04 pts', not '+0.0 pts')."""
    while size and round(size, decimals) == 0 and decimals < most:
        decimals += 1
    return decimals


def distinct(metric: MetricLike, a: float, b: float, unit: Unit | None = None) -> tuple[str, str]:
    """Two values formatted with just enough decimals that unequal values never read the same.

    'fell from 6 min to 6 min' is a broken sentence: 6.2 and 5.8 minutes become '6.2 min' and '5.8 min'.
    """
    for extra in range(0, 3):
        shown = value(metric, a, unit, extra), value(metric, b, unit, extra)
        if shown[0] != shown[1] or a == b:
            return shown
    return shown


def interval(metric: MetricLike, low: float | None, high: float | None, unit: Unit | None = None) -> str:
    """'24–29', '72–74%', '6.1–7.0 min', '$1,200–$1,450'; empty when there is no interval."""
    if _missing(low) or _missing(high):
        return ""
    unit = unit or unit_for(metric, [low, high])
    a, b = value(metric, low, unit), value(metric, high, unit)
    for tail in (f" {unit.symbol}", "%"):
        if metric.unit in ("s", "%") and a.endswith(tail) and b.endswith(tail):
            return f"{a.removesuffix(tail)}–{b}"
    return f"{a}–{b}"


# --- names of figures ------------------------------------------------------------------------


def basis(days: int | None = None, grain: str | None = None) -> str:
    """The period a rate is measured over: 'monthly', '90-day'; '' when unknown."""
    if grain:
        return GRAIN_ADJECTIVE.get(grain, grain)
    if days:
        return f"{days}-day"
    return ""


def label(metric: MetricLike, days: int | None = None, grain: str | None = None, snapshot: bool = False) -> str:
    """The metric's name, with its basis for churn and retention: '90-day churn', 'Monthly retention'.

    A snapshot (no churn dates) has no period: 'Churn (snapshot)'.
    """
    if metric.key not in CHURN_KEYS:
        return metric.label
    noun = "churn" if metric.key == "churn_rate" else "retention"
    if snapshot:
        return f"{noun.capitalize()} (snapshot)"
    period = basis(days, grain)
    return f"{period.capitalize()} {noun}" if period else noun.capitalize()


def axis_title(metric: MetricLike, unit: Unit | None = None, days: int | None = None, grain: str | None = None) -> str:
    """An axis or column title carrying the unit: 'CSAT (%)', 'First response (median, minutes)'."""
    name = label(metric, days, grain)
    unit = unit or unit_for(metric)
    if metric.unit == "s":
        base = name.replace(" (median)", "")
        return f"{base} (median, {unit.name})" if "(median)" in name else f"{base} ({unit.name})"
    if metric.unit == "%":
        return f"{name} (%)"
    if metric.unit == "$":
        return f"{name} ($)"
    return name


def column(metric: MetricLike, unit: Unit | None = None, days: int | None = None, grain: str | None = None) -> str:
    """A CSV or table header: 'First response (median, minutes)', 'Monthly churn (%)'."""
    return axis_title(metric, unit, days, grain)


def plotly_format(metric: MetricLike, unit: Unit | None = None) -> str:
    """The d3 format for the metric's numbers in a hover or on an axis (values already converted)."""
    unit = unit or unit_for(metric)
    if metric.unit == "s":
        return ",.1f"
    if metric.unit == "$":
        return ",.0f"
    return f",.{max(unit.decimals or 0, 1) if metric.unit == '%' else unit.decimals or 0}f"


def suffix(metric: MetricLike, unit: Unit | None = None) -> str:
    """What follows a converted number on a chart: '%', ' min', ''."""
    unit = unit or unit_for(metric)
    return {"%": "%", "s": f" {unit.symbol}"}.get(metric.unit, "")


def convert(metric: MetricLike, values: pd.Series, unit: Unit | None = None) -> pd.Series:
    """Stored values (seconds for durations) in the figure's unit, for axes and CSV columns."""
    unit = unit or unit_for(metric, values)
    return values.astype("float64") / unit.factor if metric.unit == "s" else values


def display_table(
    frame: pd.DataFrame,
    metric: MetricLike,
    unit: Unit | None = None,
    columns: tuple[str, ...] = ("value", "ci_low", "ci_high", "p90"),
    days: int | None = None,
    grain: str | None = None,
) -> pd.DataFrame:
    """A frame for download: the metric's value columns converted to the figure's unit and named with it.

    'value' becomes 'First response (median, minutes)', 'ci_low' '… 95% low' and so on.
    """
    unit = unit or unit_for(metric, frame["value"] if "value" in frame else None)
    title = column(metric, unit, days, grain)
    out = frame.copy()
    names = {
        "value": title,
        "ci_low": f"{title} 95% low",
        "ci_high": f"{title} 95% high",
        "p90": f"{title} p90",
        "rest_value": f"{title}, the rest",
        "recent_level": f"{title}, recent level",
    }
    if metric.unit == "s":
        names["p90"] = title.replace("median", "90th percentile")
    for name in columns:
        if name in out:
            out[name] = convert(metric, out[name], unit)
    return out.rename(columns={k: v for k, v in names.items() if k in columns and k in out})


def field_label(name: str) -> str:
    """A field or attribute as people name it: 'journey_stage' → 'Journey stage', 'attr.acquisition_channel' →
    'Acquisition channel', 'attr.Contract' → 'Contract' (a file's own header keeps its spelling)."""
    if name.startswith(ATTRIBUTE_PREFIX):
        bare = name.removeprefix(ATTRIBUTE_PREFIX)
        return bare.replace("_", " ").capitalize() if bare.islower() or "_" in bare else bare
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
