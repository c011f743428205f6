"""The same figures from DuckDB, PostgreSQL and Spark: every page's question asked of the demo data on each engine.

The demo database is copied into each engine with `python -m cx warehouse push`'s own code;
then every metric (summary, trend at each grain, split by customer and event fields,
breakdown by an imported attribute), the cohorts, the journey and the segment comparisons
are computed on each engine and compared with DuckDB's: counts exactly, sums and
estimates to 1e-9 relative, and in the same order.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from cx.analysis import journey, metrics, segments, trends
from cx.analysis.filters import Filters
from cx.store import db, warehouse
from tests.engines import engine_url, namespaced

OTHER_ENGINES = ("postgres", "spark")


def figures(backend, last_day: date) -> dict[str, object]:
    """Everything the pages ask for, by name."""
    quarter = Filters.default(today=last_day)
    month = Filters.default(today=last_day, days=30)
    year = Filters.default(today=last_day, days=365)
    narrowed = quarter.with_values(segment=["SMB", "Enterprise"], channel=["Chat", "Email"])
    out: dict[str, object] = {
        "data_range": metrics.data_range(backend),
        "attributes": metrics.attribute_names(backend),
        "splits": metrics.split_options(backend, "nps"),
        "coverage": segments.data_coverage(backend),
    }
    for field in ("segment", "region", "plan", "channel", "journey_stage"):
        out[f"values {field}"] = metrics.field_values(backend, field)
    for key in metrics.METRICS:
        # Filters of both kinds, the previous period and the change test; a split by a customer field
        # at a weekly grain; a split by an imported attribute. (Spark takes seconds a query here, so
        # each metric is asked three ways, not every way.)
        summary = metrics.summary(backend, key, narrowed)
        out[f"summary {key}"] = (summary.current, summary.previous, summary.comparison, summary.extra)
        out[f"trend {key} week by region"] = trends.trend(backend, key, quarter, "week", by="region")
        out[f"breakdown {key} by industry"] = metrics.breakdown(backend, key, year, by="attr.industry")
    out["trend churn by day"] = metrics.trend(backend, "churn_rate", month, "day", by="plan")
    out["trend csat by quarter"] = metrics.trend(backend, "csat", year, "quarter", by="channel")
    out["overview"] = metrics.overview(backend, quarter)
    out["cohorts"] = metrics.cohort_retention(backend, year)
    out["touchpoints"] = journey.touchpoints(backend, quarter)
    out["flow"] = journey.stage_flow(backend, quarter)
    out["flow by plan"] = journey.stage_flow(backend, narrowed, "plan")
    out["channels"] = journey.channel_consistency(backend, quarter)
    out["outcomes"] = journey.experience_outcomes(backend, year)
    out["versus rest"] = segments.versus_rest(backend, "first_response_time", quarter, "segment")
    out["heatmap by region"] = segments.heatmap(backend, quarter, "region")
    out["drivers of nps"] = segments.drivers(backend, year, "nps")
    out["drivers of churn"] = segments.drivers(backend, year, "churn")
    out["two over time"] = segments.two_over_time(backend, "csat", year, "segment", ("SMB", "Enterprise"), "month")
    return out


def same(expected: object, actual: object, where: str) -> None:
    """Equal, with floats to a relative 1e-9 and frames cell by cell in the same order."""
    if isinstance(expected, pd.DataFrame):
        assert isinstance(actual, pd.DataFrame), where
        assert list(actual.columns) == list(expected.columns), where
        assert len(actual) == len(expected), f"{where}: {len(actual)} rows instead of {len(expected)}"
        for column in expected.columns:
            for row, (a, b) in enumerate(zip(expected[column], actual[column], strict=True)):
                same(a, b, f"{where}, row {row}, {column}")
        return
    if isinstance(expected, dict):
        assert set(actual) == set(expected), where
        for key in expected:
            same(expected[key], actual[key], f"{where}[{key}]")
        return
    if isinstance(expected, list | tuple):
        assert len(actual) == len(expected), where
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            same(a, b, f"{where}[{i}]")
        return
    if hasattr(expected, "__dataclass_fields__"):
        same(vars(expected), vars(actual), where)
        return
    if expected is None or (isinstance(expected, float) and math.isnan(expected)) or expected is pd.NaT:
        assert actual is None or pd.isna(actual), f"{where}: {actual!r} instead of nothing"
        return
    if isinstance(expected, pd.Timestamp | date):
        assert pd.Timestamp(actual) == pd.Timestamp(expected), f"{where}: {actual!r} != {expected!r}"
        return
    if isinstance(expected, bool) or not isinstance(expected, int | float):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
        return
    assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9), f"{where}: {actual!r} != {expected!r}"


@pytest.fixture(scope="module")
def duckdb_figures(demo_db):
    # The raw tables, as on the other engines: the local file's rollups give medians only within a bucket
    # (tests/unit/test_rollups.py compares the two ways).
    with pytest.MonkeyPatch.context() as patch, db.reading(demo_db) as backend:
        patch.setenv("CX_ROLLUPS", "off")
        last_day = metrics.data_range(backend)[1]
        return last_day, figures(backend, last_day)


@pytest.mark.parametrize("engine_name", OTHER_ENGINES)
def test_every_figure_is_the_same_on_another_engine(request, demo_db, duckdb_figures, engine_name):
    last_day, expected = duckdb_figures
    base = engine_url(request, engine_name)
    url = namespaced(base, "demo_" + engine_name)
    copied = warehouse.push(demo_db, url)
    assert copied["interactions"] == expected["coverage"]["interactions"]
    try:
        with warehouse.reading(url) as backend:
            actual = figures(backend, last_day)
    finally:
        warehouse.close(url)
    assert list(actual) == list(expected)
    differences = []
    for name in expected:
        try:
            same(expected[name], actual[name], name)
        except AssertionError as difference:
            differences.append(str(difference).splitlines()[0])
    assert not differences, "\n".join(differences)
