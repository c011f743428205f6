"""Print the headline metrics for a period and filters, as text or JSON.

  python -m cx metrics --from 2026-01-01 --to 2026-03-31 --where segment=SMB --where Contract="Two year" --json

Without --from/--to the whole span of the data is used. FIELD is segment, region,
plan, channel, touchpoint, journey_stage or any attribute a customers file brought.
Percentages are numbers on 0-100 at full precision; a metric with no data is null.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cx.analysis import metrics
from cx.analysis.filters import (
    ATTRIBUTE_PREFIX,
    CUSTOMER_FIELDS,
    EARLIEST,
    EVENT_FIELDS,
    Filters,
    PeriodError,
    clean_value,
    latest,
    parse_period,
)
from cx.store import db, warehouse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="database file or warehouse URL (default: $CX_WAREHOUSE, else $CX_DB or data/cx.duckdb)"
    )
    parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="keep only matching rows; repeat a field to allow several values",
    )
    parser.add_argument(
        "--compare-previous",
        action="store_true",
        help="also compute the previous period of equal length and test the change",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def parse_where(items: list[str]) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name.strip():
            raise ValueError(f"--where takes FIELD=VALUE, got {item!r}")
        name = name.strip()
        field = (
            name
            if name in CUSTOMER_FIELDS + EVENT_FIELDS or name.startswith(ATTRIBUTE_PREFIX)
            else ATTRIBUTE_PREFIX + name
        )
        where.setdefault(clean_value(field), []).append(clean_value(value.strip()))
    return where


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def _metric_object(summary: metrics.Summary, fields: dict[str, Any], compare_previous: bool) -> dict[str, Any] | None:
    if summary.current.value is None:
        return None
    result = {name: _clean(value) for name, value in fields.items()}
    if compare_previous:
        previous = summary.previous.value if summary.previous else None
        result["previous"] = _clean(previous)
        result["change"] = _clean(summary.change) if previous is not None else None
        result["significant"] = bool(summary.comparison.significant)
    return result


def compute(backend, filters: Filters, compare_previous: bool) -> dict[str, Any]:
    """The documented JSON object for one period and filter set."""

    def get(key: str) -> metrics.Summary:
        return metrics.summary(backend, key, filters, compare_previous=compare_previous)

    nps, csat, ces = get("nps"), get("csat"), get("ces")
    churn, retention = get("churn_rate"), get("retention_rate")
    response, clv, projected = get("first_response_time"), get("clv_observed"), get("projected_clv")
    output: dict[str, Any] = {
        "filters": {k.removeprefix(ATTRIBUTE_PREFIX): list(v) for k, v in filters.where},
        "from": filters.start.isoformat(),
        "to": filters.end.isoformat(),
    }
    output["nps"] = _metric_object(
        nps,
        {
            "value": nps.current.value,
            "n": nps.current.n,
            "promoters": nps.extra.get("promoters"),
            "passives": nps.extra.get("passives"),
            "detractors": nps.extra.get("detractors"),
            "margin_of_error": nps.extra.get("margin_of_error"),
            "ci_low": nps.current.ci_low,
            "ci_high": nps.current.ci_high,
            "unit": "responses",
        },
        compare_previous,
    )
    output["csat"] = _metric_object(
        csat,
        {
            "value": csat.current.value,
            "n": csat.current.n,
            "mean": csat.extra.get("mean"),
            "ci_low": csat.current.ci_low,
            "ci_high": csat.current.ci_high,
        },
        compare_previous,
    )
    output["ces"] = _metric_object(
        ces,
        {
            "value": ces.current.value,
            "n": ces.current.n,
            "easy_share": ces.extra.get("easy_share"),
            "ci_low": ces.current.ci_low,
            "ci_high": ces.current.ci_high,
        },
        compare_previous,
    )
    for key, summary in (("churn_rate", churn), ("retention_rate", retention)):
        output[key] = _metric_object(
            summary,
            {
                "value": summary.current.value,
                "churned": summary.extra.get("churned"),
                "customers": summary.extra.get("customers"),
                "basis": summary.basis,
                "ci_low": summary.current.ci_low,
                "ci_high": summary.current.ci_high,
            },
            compare_previous,
        )
    output["response_time"] = _metric_object(
        response,
        {
            "median_s": response.current.value,
            "p90_s": response.extra.get("p90"),
            "n": response.current.n,
            "ci_low": response.current.ci_low,
            "ci_high": response.current.ci_high,
        },
        compare_previous,
    )
    output["clv"] = _metric_object(
        clv,
        {
            "value": clv.current.value,
            "basis": "observed to date",
            "n": clv.current.n,
            "ci_low": clv.current.ci_low,
            "ci_high": clv.current.ci_high,
            "projected": projected.current.value,
        },
        compare_previous,
    )
    return output


def default_range(backend) -> tuple[date, date]:
    bounds = metrics.data_range(backend)
    if bounds:  # a stray date far out in the data does not stretch the period beyond what we show
        first, last = bounds
        return max(first, EARLIEST), max(min(last, latest()), EARLIEST)
    return date.today() - timedelta(days=89), date.today()


def _text(result: dict[str, Any]) -> str:
    lines = [
        f"{result['from']} – {result['to']}  ({', '.join(f'{k}={v}' for k, v in result['filters'].items()) or 'all customers'})"
    ]
    labels = {
        "nps": "NPS",
        "csat": "CSAT %",
        "ces": "CES mean",
        "churn_rate": "Churn %",
        "retention_rate": "Retention %",
        "response_time": "First response median (s)",
        "clv": "CLV observed",
    }
    for key, name in labels.items():
        item = result[key]
        if item is None:
            lines.append(f"  {name:<28} no data")
            continue
        value = item.get("value", item.get("median_s"))
        n = item.get("n", item.get("customers"))
        extra = f" [{item['ci_low']:.1f}, {item['ci_high']:.1f}]" if item.get("ci_low") is not None else ""
        change = ""
        if "change" in item and item["change"] is not None:
            change = f"  change {item['change']:+.1f} ({'significant' if item['significant'] else 'not significant'})"
        basis = f" ({item['basis']})" if item.get("basis") in ("snapshot",) else ""
        lines.append(f"  {name:<28} {value:,.1f}{extra}  n={n:,}{basis}{change}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        where = parse_where(args.where)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    source = db.source(args.db)  # a file, or a warehouse URL ($CX_WAREHOUSE or --db postgresql://…)
    if not warehouse.is_url(source) and not Path(source).exists():
        print(f"error: no database at {source}; build one with `python -m cx demo` or import a file", file=sys.stderr)
        return 1
    try:
        with db.reading(source) as backend:
            (start, end), notes = parse_period(args.start, args.end, default_range(backend))
            for note in notes:
                print(f"note: {note}", file=sys.stderr)
            filters = Filters.build(start, end, **where)
            result = compute(backend, filters, args.compare_previous)
    except PeriodError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except db.DatabaseBusy as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else _text(result))
    return 0
