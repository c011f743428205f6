"""Print the headline metrics for a period and filters, as text or JSON.

  python -m cx metrics --from 2026-01-01 --to 2026-03-31 --where segment=SMB --where Contract="Two year" --json

Without --from/--to the whole span of the data is used. FIELD is segment, region,
plan, channel, touchpoint, journey_stage, question (the question a survey answer
answers, its header text in the file), any attribute a customers file brought, or a
file's own column name where an import mapped it to one of those fields (Geography=France
when Geography was stored as region).
Two questions on one scale are never pooled: without --where question=…, each survey's
figure is for its question with the most answers.
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
    RESPONSE_FIELDS,
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


FIELDS = CUSTOMER_FIELDS + EVENT_FIELDS + RESPONSE_FIELDS


def parse_where(items: list[str], names: dict[str, str] | None = None) -> dict[str, list[str]]:
    """FIELD=VALUE pairs as filters. `names`: other names (attributes, a file's own column names) -> filter field.

    Without `names`, a name that is no field is taken for a customer attribute."""
    where: dict[str, list[str]] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name.strip():
            raise ValueError(f"--where takes FIELD=VALUE, got {item!r}")
        name = name.strip()
        if name in FIELDS or name.startswith(ATTRIBUTE_PREFIX):
            field = name
        elif names is None:
            field = ATTRIBUTE_PREFIX + name
        elif name in names or name.lower() in names:
            field = names.get(name, names.get(name.lower()))
        else:
            known = ", ".join([*FIELDS, *sorted({n for n, f in names.items() if f.startswith(ATTRIBUTE_PREFIX)})])
            raise ValueError(f'--where: nothing is stored under "{name}"; filter on one of: {known}')
        where.setdefault(clean_value(field), []).append(clean_value(value.strip()))
    return where


def filter_names(backend) -> dict[str, str]:
    """Names --where understands besides the fields: customer attributes, and each file's own column names
    for the fields an import mapped them to (the latest import wins)."""
    names = {a: ATTRIBUTE_PREFIX + a for a in metrics.attribute_names(backend)}
    if "imports" not in backend.list_tables():
        return names  # a warehouse holds the data, not our import history
    imports = backend.table("imports")
    done = imports.filter(imports.status == "done").order_by("import_id").select("mapping").execute()
    for raw in done["mapping"].dropna():
        mapped = json.loads(raw) if isinstance(raw, str) else dict(raw)
        for source, field in mapped.items():
            if field in FIELDS and source not in FIELDS:
                names[source] = field
                names.setdefault(source.lower(), field)
    return names


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

    nps, csat, ces, rating10 = get("nps"), get("csat"), get("ces"), get("rating10")
    churn, retention = get("churn_rate"), get("retention_rate")
    response, clv, projected = get("first_response_time"), get("clv_observed"), get("projected_clv")
    resolution = get("resolution_time")
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
    output["rating10"] = _metric_object(
        rating10,
        {"value": rating10.current.value, "n": rating10.current.n, "ci_low": rating10.current.ci_low,
         "ci_high": rating10.current.ci_high},
        compare_previous,
    )  # fmt: skip
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
    output["resolution_time"] = _metric_object(
        resolution,
        {"median_s": resolution.current.value, "p90_s": resolution.extra.get("p90"), "n": resolution.current.n,
         "ci_low": resolution.current.ci_low, "ci_high": resolution.current.ci_high},
        compare_previous,
    )  # fmt: skip
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
        "rating10": "Rating (1–10) mean",
        "churn_rate": "Churn %",
        "retention_rate": "Retention %",
        "response_time": "First response median (s)",
        "resolution_time": "Resolution median (s)",
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
    source = db.source(args.db)  # a file, or a warehouse URL ($CX_WAREHOUSE or --db postgresql://…)
    if not warehouse.is_url(source) and not Path(source).exists():
        print(f"error: no database at {source}; build one with `python -m cx demo` or import a file", file=sys.stderr)
        return 1
    try:
        with db.reading(source) as backend:
            try:
                where = parse_where(args.where, filter_names(backend))
            except ValueError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
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
