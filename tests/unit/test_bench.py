"""The benchmark compares like with like: its raw-SQL and pandas baselines give our metric layer's figures.

Speed itself is never asserted here (that is what `python -m cx bench` reports); what is tested is
that the baselines compute the same numbers, and that the report says which targets are missed.
"""

from __future__ import annotations

import pytest

from cx.cli import bench, bench_figures


@pytest.fixture(scope="module")
def three_ways(demo_db) -> dict[str, dict]:
    return {way: bench_figures.measure(str(demo_db), way, 1) for way in ("metric", "sql", "pandas")}


@pytest.mark.parametrize("key", [key for key, _ in bench_figures.FIGURES])
def test_raw_sql_and_pandas_give_the_metric_layers_figure(three_ways, key):
    ours = three_ways["metric"]["figures"][key]["value"]
    assert ours is not None and ours != {}  # a figure that exists in the demo data, not an empty comparison
    for way in ("sql", "pandas"):
        theirs = three_ways[way]["figures"][key]["value"]
        if isinstance(ours, dict):
            # The metric layer also shows anonymous answers as a group of their own; the rest must match.
            assert set(theirs) <= set(ours) and len(theirs) >= len(ours) - 1, way
            for group, value in theirs.items():
                assert value == pytest.approx(ours[group], rel=1e-9), f"{way}, {group}"
        else:
            # A median from the metric layer is read from the rollups' histogram: within its stated error.
            assert theirs == pytest.approx(ours, rel=bench.tolerance(key)), way


def test_the_pandas_way_reports_its_load_and_frames(three_ways):
    pandas = three_ways["pandas"]
    assert pandas["load_s"] > 0
    assert pandas["frames_mib"] > 0
    assert pandas["peak_mib"] >= pandas["frames_mib"]


def result_with(filter_change_s: float, cold_s: float) -> dict:
    page = {"name": "Journey", "cold_s": cold_s, "warm_s": 0.01, "filter_change_s": filter_change_s,
            "filter_change_queries": 9, "peak_mib": 300}  # fmt: skip
    return {"interactions": 10_000_000, "pages": [page]}


def test_a_page_slower_than_the_target_is_reported_as_missed_by_name():
    found = {t["target"]: t for t in bench.targets(result_with(filter_change_s=1.4, cold_s=2.5))}
    missed = found["every page < 1 s after a filter change"]
    assert missed["met"] is False and "Journey 1.40 s" in missed["measured"]
    assert found["every page < 3 s cold"]["met"] is True


def test_the_markdown_report_lists_every_target_with_met_or_missed():
    result = {
        **result_with(filter_change_s=0.4, cold_s=3.5),
        "repeat": 5,
        "taken_at": "2026-12-01 15:00 UTC",
        "commit": "abc1234",
        "machine": "2 cores",
        "load_before": 3.0,
        "load_after": 4.0,
        "under_load": True,
    }
    result["targets"] = bench.targets(result)
    table = bench.markdown(result)
    assert "| Journey | 3.50 s | 0.010 s | 0.40 s | 9 | 300 MiB |" in table
    assert "| every page < 3 s cold | slowest: Journey 3.50 s | **no** |" in table
    assert "| every page < 1 s after a filter change | slowest: Journey 0.40 s | yes |" in table
    assert "taken under load" in table


def test_the_page_benchmark_counts_the_queries_sent_to_duckdb(demo_db):
    from cx.analysis import metrics
    from cx.analysis.filters import Filters
    from cx.app.bench import QueryCounter
    from cx.store import db

    with db.reading(demo_db) as backend, QueryCounter() as counter:
        metrics.data_range(backend)
        after_one = counter.count
        metrics.summary(backend, "csat", Filters.default(metrics.data_range(backend)[1]), compare_previous=False)
    assert after_one >= 1 and counter.count > after_one
    counted = counter.count
    with db.reading(demo_db) as backend:  # closed: counting no more
        metrics.data_range(backend)
    assert counter.count == counted


def test_a_run_of_some_sections_keeps_the_others_from_the_earlier_run_and_says_when():
    earlier = {**result_with(filter_change_s=0.4, cold_s=1.0), "taken_at": "2026-12-01 15:00 UTC", "commit": "abc1234",
               "import": {"rows": 1_000_000, "imported": 1_000_000, "duplicates_found": 1_000_000, "import_s": 4.0,
                          "reimport_duplicates_s": 3.0, "duckdb_read_csv_s": 1.0}}  # fmt: skip
    now = {**result_with(filter_change_s=0.9, cold_s=2.0), "repeat": 5, "taken_at": "2026-12-02 09:00 UTC",
           "commit": "def5678", "machine": "2 cores", "load_before": 0.1, "load_after": 0.2, "under_load": False}  # fmt: skip
    bench.carry_over(now, earlier, ["pages"])
    assert now["pages"][0]["filter_change_s"] == 0.9  # measured now, not carried
    assert now["import"] == earlier["import"]
    assert now["carried"] == {"import": "2026-12-01 15:00 UTC, commit abc1234"}
    now["targets"] = bench.targets(now)
    table = bench.markdown(now)
    assert "kept from an earlier one: import (2026-12-01 15:00 UTC, commit abc1234)" in table
    assert "import of 1,000,000 rows within 2× of DuckDB's read_csv" in table
    # Carried again by a later partial run, a section keeps the date it was measured at.
    later = {"interactions": 10_000_000}
    bench.carry_over(later, now, ["browser"])
    assert later["carried"]["import"] == "2026-12-01 15:00 UTC, commit abc1234"
    assert later["carried"]["pages"] == "2026-12-02 09:00 UTC, commit def5678"
