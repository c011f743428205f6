"""Alerts: rules checked on a schedule (`python -m cx alerts`) and shown as a banner in the app.

Rules live in a TOML file (`CX_ALERTS`, default `alerts.toml` beside the database's project;
`alerts.example.toml` shows every kind):

    mail_to = ["cx-leads@example.com"]        # optional: e-mail fired alerts here

    [[rule]]
    name = "NPS drops for a segment"
    metric = "nps"
    change = "worse"                          # worse | better | any: a significant change
    by = "segment"                            # optional: every group of this field, BH across them
    days = 30                                 # the last 30 days of data against the 30 before

    [[rule]]
    name = "First response p90 over 8 h"
    metric = "first_response_time"
    statistic = "p90"                         # value (default) | p90 (durations)
    above = "8h"                              # or below = ...; durations take s, min, h, d
    days = 30

The statistics are the briefing's: a change rule fires only for a significant change (two-sided 95%,
Benjamini–Hochberg across the groups of `by`), a threshold rule only when the figure is significantly past
the threshold (its 95% interval wholly beyond it; Benjamini–Hochberg across the groups of `by`), so noise
does not send an alert.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import ibis
import pandas as pd

from cx.analysis import briefing, metrics, stats, units
from cx.analysis import filters as flt
from cx.analysis.filters import CUSTOMER_FIELDS, Filters

DEFAULT_FILE = "alerts.toml"
DIMENSIONS = CUSTOMER_FIELDS + ("channel", "touchpoint", "journey_stage")
DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|sec|min|m|h|hours?|d|days?)\s*$", re.IGNORECASE)
SECONDS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400,
           "days": 86400}  # fmt: skip


class RulesError(ValueError):
    """The rules file cannot be used; the message names the rule and the problem."""


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    days: int = 30
    change: str | None = None  # worse | better | any
    by: str | None = None
    statistic: str = "value"  # value | p90
    above: float | None = None  # in the metric's stored unit (seconds for durations)
    below: float | None = None
    where: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    mail_to: tuple[str, ...] = ()
    source: Path | None = None


@dataclass(frozen=True)
class Alert:
    rule: str
    text: str  # one sentence: what crossed, by how much, n, the period
    metric: str
    group: str | None = None


def rules_path(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("CX_ALERTS") or DEFAULT_FILE).expanduser().resolve()


def _threshold(value, metric: metrics.Metric, rule_name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if metric.unit == "s":
        match = DURATION.match(text)
        if match:
            return float(match.group(1)) * SECONDS[match.group(2).lower()]
    try:
        return float(text.removesuffix("%"))
    except ValueError:
        raise RulesError(f"Rule {rule_name!r}: {value!r} is not a threshold for {metric.label} "
                         f"({'a duration such as 8h or 30min' if metric.unit == 's' else 'a number'}).") from None  # fmt: skip


def parse(text: str, source: Path | None = None) -> Rules:
    """Rules from TOML text; a RulesError names the rule and what is wrong with it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"The alerts file is not valid TOML: {error}") from None
    mail_to = data.get("mail_to", [])
    mail_to = [mail_to] if isinstance(mail_to, str) else list(mail_to)
    rules = []
    for index, raw in enumerate(data.get("rule", []), start=1):
        name = str(raw.get("name") or f"rule {index}")
        key = raw.get("metric")
        if key not in metrics.METRICS:
            raise RulesError(f"Rule {name!r}: metric must be one of {', '.join(metrics.METRICS)}, not {key!r}.")
        metric = metrics.METRICS[key]
        change, statistic = raw.get("change"), raw.get("statistic", "value")
        above = _threshold(raw["above"], metric, name) if "above" in raw else None
        below = _threshold(raw["below"], metric, name) if "below" in raw else None
        if change not in (None, "worse", "better", "any"):
            raise RulesError(f"Rule {name!r}: change is worse, better or any, not {change!r}.")
        if (change is None) == (above is None and below is None):
            raise RulesError(f"Rule {name!r}: give either change = ... or a threshold (above = ... or below = ...).")
        if statistic not in ("value", "p90") or (statistic == "p90" and metric.unit != "s"):
            raise RulesError(f"Rule {name!r}: statistic is value, or p90 for a duration metric, not {statistic!r}.")
        by = raw.get("by")
        if by is not None and by not in DIMENSIONS and not str(by).startswith("attr."):
            raise RulesError(f"Rule {name!r}: by is one of {', '.join(DIMENSIONS)} or attr.NAME, not {by!r}.")
        days = raw.get("days", 30)
        if not isinstance(days, int) or not 1 <= days <= 366:
            raise RulesError(f"Rule {name!r}: days is a whole number from 1 to 366, not {days!r}.")
        where = {
            str(k): [str(v)] if isinstance(v, str) else [str(x) for x in v] for k, v in raw.get("where", {}).items()
        }
        rules.append(Rule(name, key, days, change, by, statistic, above, below, where))
    return Rules(tuple(rules), tuple(mail_to), source)


def load(path: str | os.PathLike | None = None) -> Rules | None:
    """The rules in the file, or None when there is no file (no alerts configured)."""
    source = rules_path(path)
    if not source.exists():
        return None
    return parse(source.read_text(encoding="utf-8"), source)


# --- checking -----------------------------------------------------------------------------------


def window(backend: ibis.BaseBackend, rule: Rule) -> Filters | None:
    """The last `days` days of data (the previous window is the same length just before)."""
    span = metrics.data_range(backend)
    if span is None:
        return None
    end = span[1]
    return Filters(start=end - timedelta(days=rule.days - 1), end=end).with_values(**rule.where)


def _period(filters: Filters) -> str:
    return f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}"


def _wanted(rule: Rule, metric: metrics.Metric, difference: float) -> bool:
    if rule.change == "any":
        return True
    better = (difference > 0) == metric.higher_is_better
    return better if rule.change == "better" else not better


def check_change(backend: ibis.BaseBackend, rule: Rule, filters: Filters) -> list[Alert]:
    metric = metrics.METRICS[rule.metric]
    if rule.by is None:
        summary = metrics.summary(backend, rule.metric, filters)
        found = briefing.headline_findings([summary], filters)
        fired = [f for f in found if f.significant and _wanted(rule, metric, summary.change or 0)]
        return [Alert(rule.name, f"{f.text.rstrip('.')} ({_period(filters)}).", rule.metric) for f in fired]
    tests = briefing.group_tests(backend, filters, keys=(rule.metric,), dimensions=(rule.by,))
    alerts = []
    for finding in briefing.group_findings(tests, filters):
        test = next(t for t in tests if t.group == finding.group)
        if _wanted(rule, metric, test.comparison.difference or 0):
            alerts.append(
                Alert(rule.name, f"{finding.text.rstrip('.')} ({_period(filters)}).", rule.metric, finding.group)
            )
    return alerts


def quantile_interval(backend: ibis.BaseBackend, filters: Filters, column: str, q: float) -> stats.Estimate:
    """A quantile of a duration with its 95% order-statistic interval: the empirical quantiles at
    q ± 1.96·√(q(1−q)/n), the normal approximation to the binomial count below the quantile."""
    table = flt.interactions(backend, filters)
    table = table.filter(table[column].notnull() & (table[column] >= 0))
    values = table[column]
    n = int(table.count().execute())
    if n == 0:
        return stats.Estimate(value=None, n=0)
    half = stats.Z95 * math.sqrt(q * (1 - q) / n)
    low_q, high_q = max(q - half, 0.0), min(q + half, 1.0)
    row = table.aggregate(
        value=values.quantile(q), low=values.quantile(low_q), high=values.quantile(high_q)
    ).execute().iloc[0]  # fmt: skip
    return stats.Estimate(value=float(row["value"]), n=n, ci_low=float(row["low"]), ci_high=float(row["high"]))


def _estimate(backend: ibis.BaseBackend, rule: Rule, filters: Filters) -> stats.Estimate:
    if rule.statistic == "p90":
        column = "resolution_time_s" if rule.metric == "resolution_time" else "response_time_s"
        return quantile_interval(backend, filters, column, 0.9)
    return metrics.summary(backend, rule.metric, filters, compare_previous=False).current


def _past_threshold(estimate: stats.Estimate, threshold: float) -> float | None:
    """Two-sided p-value that the figure differs from the threshold, from its 95% interval (normal
    approximation); 1.0 at the threshold. A figure whose 95% interval lies wholly past it has p < 0.05."""
    if estimate.value is None or estimate.ci_low is None or estimate.ci_high is None:
        return None
    spread = (estimate.ci_high - estimate.ci_low) / (2 * stats.Z95)
    if spread <= 0:
        return 0.0 if estimate.value != threshold else 1.0
    return math.erfc(abs(estimate.value - threshold) / spread / math.sqrt(2))


def check_threshold(backend: ibis.BaseBackend, rule: Rule, filters: Filters) -> list[Alert]:
    """The figure (per group with `by`) past the threshold, significantly: Benjamini–Hochberg across groups."""
    metric = metrics.METRICS[rule.metric]
    limit = rule.above if rule.above is not None else rule.below
    groups: list[tuple[str | None, Filters]] = [(None, filters)]
    if rule.by:
        groups = [(g, filters.with_values(**{rule.by: [g]})) for g in metrics.field_values(backend, rule.by)]
    candidates = []
    for group, scope in groups:
        estimate = _estimate(backend, rule, scope)
        if estimate.value is None or stats.is_small(estimate.n):
            continue
        past = estimate.value > limit if rule.above is not None else estimate.value < limit
        candidates.append((group, scope, estimate, _past_threshold(estimate, limit) if past else None))
    q_values = stats.bh_adjusted([p for *_, p in candidates])
    alerts = []
    for (group, scope, estimate, _), q in zip(candidates, q_values, strict=True):
        if q is None or q > stats.ALPHA:
            continue
        unit = units.unit_for(metric, estimate.value)
        name = ("90th percentile of " + metric.label.replace(" (median)", "").lower()
                if rule.statistic == "p90" else metric.label)  # fmt: skip
        where = f" for {rule.by.replace('_', ' ')} {group}" if group else ""
        word = "over" if rule.above is not None else "under"
        text = (f"{name[:1].upper()}{name[1:]}{where} {units.value(metric, estimate.value, unit)} "
                f"(95% {units.interval(metric, estimate.ci_low, estimate.ci_high, unit)}), "
                f"{word} the threshold of {units.value(metric, limit, units.unit_for(metric, limit))}, "
                f"n = {units.count(estimate.n)} ({_period(scope)}).")  # fmt: skip
        alerts.append(Alert(rule.name, text, rule.metric, group))
    return alerts


def check(backend: ibis.BaseBackend, rules: Rules | Sequence[Rule]) -> list[Alert]:
    """Every rule against the latest data; the alerts that fire, in rule order."""
    alerts: list[Alert] = []
    for rule in rules.rules if isinstance(rules, Rules) else rules:
        filters = window(backend, rule)
        if filters is None:
            continue
        check_rule = check_change if rule.change else check_threshold
        alerts += check_rule(backend, rule, filters)
    return alerts


def as_frame(alerts: Sequence[Alert]) -> pd.DataFrame:
    return pd.DataFrame([{"rule": a.rule, "alert": a.text, "metric": a.metric, "group": a.group} for a in alerts])
